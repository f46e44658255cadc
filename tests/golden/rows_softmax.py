"""Golden rows for the softmax family (mirrors tests/ops/cases_softmax.cpp)."""
import torch
import torch.nn.functional as F

from make_golden import row, ids

CLASS_W5 = [0.5, 1.0, 2.0, 1.5, 0.7]


def weights(v):
    return torch.tensor(v, dtype=torch.float32)


row("softmax", "softmax.dim1", [(3, 4)], lambda x: torch.softmax(x, 1))
row("softmax", "softmax.dim0", [(3, 4)], lambda x: torch.softmax(x, 0))
row("softmax", "softmax.dim1.of3d", [(2, 3, 4)], lambda x: torch.softmax(x, 1))
row("softmax", "softmax.transposed", [(3, 4)], lambda x: torch.softmax(x.t(), -1))
row("softmax", "log_softmax.dim1", [(3, 4)], lambda x: torch.log_softmax(x, 1))
row("softmax", "log_softmax.neg_dim.of3d", [(2, 3, 4)], lambda x: torch.log_softmax(x, -2))
row("softmax", "nll_loss.mean", [(4, 5)], lambda x: F.nll_loss(x, ids([1, 0, 4, 2], (4,))))
row("softmax", "nll_loss.weighted.ignore", [(4, 5)],
    lambda x: F.nll_loss(x, ids([1, -100, 4, 2], (4,)), weights(CLASS_W5)))
row("softmax", "nll_loss.sum", [(4, 5)], lambda x: F.nll_loss(x, ids([3, 3, 0, 1], (4,)), reduction="sum"))
row("softmax", "nll_loss.none", [(3, 4)], lambda x: F.nll_loss(x, ids([0, 3, -100], (3,)), reduction="none"))
row("softmax", "nll_loss.spatial", [(2, 3, 2)], lambda x: F.nll_loss(x, ids([2, 0, 1, -100], (2, 2))))
row("softmax", "cross_entropy.mean", [(4, 5)], lambda x: F.cross_entropy(x, ids([1, 0, 4, 2], (4,))))
row("softmax", "cross_entropy.weighted.ignore", [(4, 5)],
    lambda x: F.cross_entropy(x, ids([1, -100, 4, 2], (4,)), weights(CLASS_W5)))
row("softmax", "cross_entropy.smoothing", [(4, 5)],
    lambda x: F.cross_entropy(x, ids([1, 0, 4, 2], (4,)), label_smoothing=0.1))
row("softmax", "cross_entropy.smoothing.weighted.ignore", [(4, 5)],
    lambda x: F.cross_entropy(x, ids([1, -100, 4, 2], (4,)), weights(CLASS_W5), label_smoothing=0.2))
row("softmax", "cross_entropy.none", [(3, 4)],
    lambda x: F.cross_entropy(x, ids([0, 3, -100], (3,)), reduction="none"))
row("softmax", "cross_entropy.sum.smoothing", [(3, 4)],
    lambda x: F.cross_entropy(x, ids([2, 3, 1], (3,)), reduction="sum", label_smoothing=0.3))
row("softmax", "cross_entropy.spatial.weighted", [(2, 3, 2)],
    lambda x: F.cross_entropy(x, ids([2, 0, 1, -100], (2, 2)), weights([0.5, 1.0, 2.0]), label_smoothing=0.1))
