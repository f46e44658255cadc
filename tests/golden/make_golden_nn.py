#!/usr/bin/python3
"""Writes PyTorch reference data for Strata's nn layers: tests/golden/nn/layers.bin.

Run by hand with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_golden_nn.py

Same record format as the op-table golden files (tests/ops/golden_io.h): name, inputs, output, upstream
gradient, gradients of the inputs. It lives in a subfolder because tests/golden/*.bin are replayed against
the op table. The inputs of a record are the layer's input followed by its state, in this order:
  linear*            x, weight[, bias]                       grads: x, weight, bias
  batchnorm*.train   x, weight, bias, running_mean, running_var (before), running_mean, running_var (after)
  batchnorm*.eval    x, weight, bias, running_mean, running_var, (the same two again: unchanged)
  layernorm          x, weight, bias
  sequential.mlp     x, 0.weight, 0.bias, 2.weight, 2.bias   (Linear(5, 4), ReLU, Linear(4, 3))
  activations, dropout.eval: x
and tests/golden/nn/conv_layers.bin (Conv2d, pooling, BasicBlock: x then the parameters in order).
"""
import os
import struct

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPE_CODES = {torch.float32: 0, torch.float64: 1, torch.int64: 2, torch.bool: 3}


def pack(t):
    if t is None:
        return struct.pack("<B", 255)
    t = t.detach().contiguous()
    head = struct.pack("<BI", DTYPE_CODES[t.dtype], t.dim()) + b"".join(struct.pack("<q", s) for s in t.shape)
    return head + t.numpy().tobytes()


def record(name, inputs, out, grad_out, grads):
    body = struct.pack("<I", len(name)) + name.encode() + struct.pack("<I", len(inputs))
    body += b"".join(pack(x) for x in inputs) + pack(out) + pack(grad_out)
    body += b"".join(pack(g) for g in grads)
    return body


GEN = torch.Generator().manual_seed(1234)


def randn(*shape):
    return torch.randn(shape, generator=GEN)


def run_module(name, module, x, extra_before=(), extra_after=None):
    """Forward + backward through `module` with its parameters as recorded inputs."""
    x = x.clone().requires_grad_(True)
    params = [p for p in module.parameters()]
    before = [t.clone() for t in extra_before]
    out = module(x)
    g = randn(*out.shape)
    grads = torch.autograd.grad(out, [x] + params, g)
    after = [t.clone() for t in (extra_after() if extra_after else [])]
    inputs = [x] + params + before + after
    all_grads = list(grads) + [None] * (len(before) + len(after))
    return record(name, inputs, out, g, all_grads)


def batchnorm(name, cls, c, x_shape, train):
    m = cls(c)
    with torch.no_grad():
        m.weight.copy_(randn(c))
        m.bias.copy_(randn(c))
        m.running_mean.copy_(randn(c))
        m.running_var.copy_(torch.rand(c, generator=GEN) + 0.5)
    m.train(train)
    before = [m.running_mean, m.running_var]
    return run_module(name, m, randn(*x_shape), before, lambda: [m.running_mean, m.running_var])


def main():
    torch.set_num_threads(1)
    recs = []
    lin = nn.Linear(5, 3)
    recs.append(run_module("linear", lin, randn(4, 5)))
    recs.append(run_module("linear.no_bias", nn.Linear(5, 3, bias=False), randn(2, 3, 5)))
    recs.append(batchnorm("batchnorm1d.train", nn.BatchNorm1d, 4, (6, 4), True))
    recs.append(batchnorm("batchnorm1d.train_3d", nn.BatchNorm1d, 3, (4, 3, 5), True))
    recs.append(batchnorm("batchnorm1d.eval", nn.BatchNorm1d, 4, (6, 4), False))
    recs.append(batchnorm("batchnorm2d.train", nn.BatchNorm2d, 4, (3, 4, 3, 3), True))
    recs.append(batchnorm("batchnorm2d.eval", nn.BatchNorm2d, 4, (3, 4, 3, 3), False))
    ln = nn.LayerNorm((4, 6))
    with torch.no_grad():
        ln.weight.copy_(randn(4, 6))
        ln.bias.copy_(randn(4, 6))
    recs.append(run_module("layernorm", ln, randn(3, 4, 6)))
    recs.append(run_module("dropout.eval", nn.Dropout(0.5).eval(), randn(3, 4)))
    acts = [("relu", nn.ReLU()), ("leaky_relu", nn.LeakyReLU(0.2)), ("sigmoid", nn.Sigmoid()), ("tanh", nn.Tanh()),
            ("gelu", nn.GELU()), ("gelu.tanh", nn.GELU("tanh")), ("softmax.dim1", nn.Softmax(1)),
            ("log_softmax.dim0", nn.LogSoftmax(0)), ("flatten", nn.Flatten())]
    for name, m in acts:
        shape = (2, 3, 2) if name == "flatten" else (3, 4)
        recs.append(run_module(name, m, randn(*shape)))
    mlp = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))
    recs.append(run_module("sequential.mlp", mlp, randn(6, 5)))

    write("layers.bin", recs)

    # Conv/pool layers (tests/nn/conv_layers_test.cpp): x then the parameters in parameters() order.
    recs = []
    recs.append(run_module("conv2d", nn.Conv2d(3, 4, 3, stride=2, padding=1), randn(2, 3, 7, 6)))
    recs.append(run_module("conv2d.same_asym", nn.Conv2d(2, 3, (4, 3), padding="same", bias=False), randn(1, 2, 6, 5)))
    recs.append(run_module("conv2d.same_dilated", nn.Conv2d(2, 2, 3, padding="same", dilation=(2, 1)), randn(1, 2, 7, 5)))
    recs.append(run_module("conv2d.groups", nn.Conv2d(4, 6, (3, 2), stride=(1, 2), padding=(1, 0), dilation=2, groups=2),
                           randn(2, 4, 6, 7)))
    recs.append(run_module("maxpool2d", nn.MaxPool2d(2), randn(2, 3, 6, 5)))
    recs.append(run_module("maxpool2d.pad_stride", nn.MaxPool2d(3, 2, 1), randn(1, 2, 7, 6)))
    recs.append(run_module("avgpool2d", nn.AvgPool2d(2), randn(2, 3, 6, 4)))
    recs.append(run_module("avgpool2d.pad", nn.AvgPool2d(3, 2, 1), randn(1, 2, 5, 6)))
    recs.append(run_module("adaptive_avgpool2d.global", nn.AdaptiveAvgPool2d(1), randn(2, 3, 5, 4)))
    recs.append(run_module("adaptive_avgpool2d.3x2", nn.AdaptiveAvgPool2d((3, 2)), randn(1, 2, 7, 5)))
    recs.append(run_module("basicblock.identity", basic_block(4, 4, 1), randn(2, 4, 5, 5)))
    recs.append(run_module("basicblock.projection", basic_block(4, 6, 2), randn(2, 4, 6, 5)))
    write("conv_layers.bin", recs)


class BasicBlock(nn.Module):
    """torchvision.models.resnet.BasicBlock (torchvision is not installed here)."""

    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


def basic_block(inplanes, planes, stride):
    b = BasicBlock(inplanes, planes, stride)
    with torch.no_grad():
        for m in b.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(randn(planes))
                m.bias.copy_(randn(planes))
    return b  # training mode: batch statistics


def write(fname, recs):
    data = b"STRATAGD" + struct.pack("<II", 1, len(recs)) + b"".join(recs)
    os.makedirs(os.path.join(HERE, "nn"), exist_ok=True)
    path = os.path.join(HERE, "nn", fname)
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)
    print(f"{path}: {len(recs)} records, {len(data)} bytes")


if __name__ == "__main__":
    main()
