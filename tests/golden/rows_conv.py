"""Golden rows for the conv family (mirrors tests/ops/cases_conv.cpp)."""
import torch.nn.functional as F

from make_golden import row

row("conv", "conv2d", [(2, 2, 5, 5), (3, 2, 3, 3), (3,)], lambda x, w, b: F.conv2d(x, w, b))
row("conv", "conv2d.no_bias", [(1, 2, 4, 4), (2, 2, 2, 2)], lambda x, w: F.conv2d(x, w))
row("conv", "conv2d.stride2_pad1", [(2, 2, 5, 5), (3, 2, 3, 3), (3,)], lambda x, w, b: F.conv2d(x, w, b, 2, 1))
row("conv", "conv2d.dilation2", [(1, 2, 6, 6), (2, 2, 2, 2), (2,)], lambda x, w, b: F.conv2d(x, w, b, 1, 1, 2))
row("conv", "conv2d.groups2", [(2, 4, 4, 4), (4, 2, 3, 3), (4,)], lambda x, w, b: F.conv2d(x, w, b, 1, 1, 1, 2))
row("conv", "conv2d.depthwise", [(1, 3, 4, 4), (3, 1, 3, 3)], lambda x, w: F.conv2d(x, w, None, 1, 1, 1, 3))
row("conv", "conv2d.pointwise", [(2, 3, 4, 4), (4, 3, 1, 1), (4,)], lambda x, w, b: F.conv2d(x, w, b))
row("conv", "conv2d.proj_1x1_s2", [(2, 3, 5, 5), (4, 3, 1, 1)], lambda x, w: F.conv2d(x, w, None, 2))
row("conv", "conv2d.asymmetric", [(1, 2, 5, 6), (2, 2, 2, 3), (2,)],
    lambda x, w, b: F.conv2d(x, w, b, (2, 1), (0, 1), (1, 2)))
row("conv", "conv2d.unbatched", [(2, 5, 5), (3, 2, 3, 3), (3,)], lambda x, w, b: F.conv2d(x, w, b, 1, 1))
row("conv", "conv2d.transposed_input", [(1, 2, 6, 5), (2, 2, 3, 3), (2,)],
    lambda x, w, b: F.conv2d(x.transpose(2, 3), w, b))
row("conv", "max_pool2d.k2", [(2, 2, 4, 4)], lambda x: F.max_pool2d(x, 2))
row("conv", "max_pool2d.k3s2p1", [(1, 2, 5, 5)], lambda x: F.max_pool2d(x, 3, 2, 1))
row("conv", "max_pool2d.stride1", [(1, 2, 4, 5)], lambda x: F.max_pool2d(x, 2, 1))
row("conv", "max_pool2d.dilation2", [(1, 2, 6, 6)], lambda x: F.max_pool2d(x, 2, 1, 1, 2))
row("conv", "max_pool2d.ceil", [(1, 2, 5, 7)], lambda x: F.max_pool2d(x, (2, 3), 2, (0, 1), 1, ceil_mode=True))
row("conv", "avg_pool2d.k2", [(2, 2, 4, 4)], lambda x: F.avg_pool2d(x, 2))
row("conv", "avg_pool2d.k3s2p1", [(1, 2, 5, 5)], lambda x: F.avg_pool2d(x, 3, 2, 1))
row("conv", "avg_pool2d.k3s2p1_exclude_pad", [(1, 2, 5, 5)],
    lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False))
row("conv", "avg_pool2d.ceil", [(1, 2, 5, 6)], lambda x: F.avg_pool2d(x, (2, 3), 2, 1, ceil_mode=True))
row("conv", "avg_pool2d.ceil_exclude_pad", [(1, 2, 5, 6)],
    lambda x: F.avg_pool2d(x, (2, 3), 2, 1, ceil_mode=True, count_include_pad=False))
row("conv", "adaptive_avg_pool2d", [(2, 2, 5, 7)], lambda x: F.adaptive_avg_pool2d(x, (3, 4)))
row("conv", "adaptive_avg_pool2d.global", [(2, 3, 4, 4)], lambda x: F.adaptive_avg_pool2d(x, 1))
row("conv", "adaptive_avg_pool2d.larger_output", [(1, 2, 3, 2)], lambda x: F.adaptive_avg_pool2d(x, (4, 3)))
