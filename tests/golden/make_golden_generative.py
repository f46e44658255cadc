#!/usr/bin/python3
"""Writes PyTorch reference data for the layers of the generative models: tests/golden/nn/generative.bin.

Run by hand with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_golden_generative.py

Record format as tests/golden/make_golden_nn.py (tests/ops/golden_io.h). Records (tests/nn/generative_layers_test.cpp):
  convt.*      x, weight[, bias] of an nn.ConvTranspose2d          grads: x, weight, bias
  upsample.*   x of an nn.Upsample                                 grads: x
  mbstd.*      x of ProGAN's minibatch-stddev layer (written out below, torch has none)
  convt.init   weight, bias of nn.ConvTranspose2d(4, 6, (3, 2), groups=2) after torch.manual_seed(7); output = weight
"""
import torch
import torch.nn as nn

from make_golden_nn import randn, record, run_module, write


class MinibatchStdDev(nn.Module):
    def forward(self, x):
        sd = torch.sqrt(x.var(0, unbiased=False) + 1e-8).mean()
        shape = list(x.shape)
        shape[1] = 1
        return torch.cat([x, sd.reshape([1] * x.dim()).expand(shape)], 1)


def main():
    torch.set_num_threads(1)
    recs = []
    convt = [
        ("convt.dcgan", nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1), (2, 4, 3, 3)),
        ("convt.groups_op", nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                                               groups=2, dilation=(1, 2)), (2, 4, 3, 4)),
        ("convt.dilation_op", nn.ConvTranspose2d(2, 3, 3, stride=1, output_padding=1, dilation=2), (1, 2, 4, 5)),
        ("convt.nonsquare_nobias", nn.ConvTranspose2d(3, 2, (2, 3), stride=(1, 2), padding=(0, 1), bias=False),
         (2, 3, 5, 4)),
        ("convt.pointwise", nn.ConvTranspose2d(3, 5, 1), (2, 3, 4, 3)),
    ]
    for name, m, shape in convt:
        recs.append(run_module(name, m, randn(*shape)))
    ups = [
        ("upsample.nearest_x2", nn.Upsample(scale_factor=2, mode="nearest"), (2, 3, 3, 4)),
        ("upsample.nearest_size", nn.Upsample(size=(5, 7), mode="nearest"), (1, 2, 3, 4)),
        ("upsample.nearest_down", nn.Upsample(size=(2, 3), mode="nearest"), (1, 2, 5, 7)),
        ("upsample.bilinear_x2", nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), (2, 3, 3, 4)),
        ("upsample.bilinear_x1.5", nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=False), (1, 2, 4, 5)),
        ("upsample.bilinear_size", nn.Upsample(size=(5, 7), mode="bilinear", align_corners=False), (1, 2, 3, 4)),
        ("upsample.bilinear_down", nn.Upsample(size=(2, 3), mode="bilinear", align_corners=False), (1, 2, 5, 7)),
        ("upsample.bilinear_ac_x2", nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True), (2, 3, 3, 4)),
        ("upsample.bilinear_ac_size", nn.Upsample(size=(5, 7), mode="bilinear", align_corners=True), (1, 2, 3, 4)),
        ("upsample.bilinear_ac_down", nn.Upsample(size=(2, 3), mode="bilinear", align_corners=True), (1, 2, 5, 7)),
    ]
    for name, m, shape in ups:
        recs.append(run_module(name, m, randn(*shape)))
    recs.append(run_module("mbstd.2d", MinibatchStdDev(), randn(5, 4)))
    recs.append(run_module("mbstd.4d", MinibatchStdDev(), randn(3, 2, 3, 4)))
    torch.manual_seed(7)
    m = nn.ConvTranspose2d(4, 6, (3, 2), groups=2)
    recs.append(record("convt.init", [m.weight, m.bias], m.weight, None, [None, None]))
    write("generative.bin", recs)


if __name__ == "__main__":
    main()
