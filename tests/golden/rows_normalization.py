"""Golden rows for the normalisation family (mirrors tests/ops/cases_normalization.cpp)."""
import torch
import torch.nn.functional as F

from make_golden import row

RM3 = torch.tensor([0.1, -0.2, 0.3])
RV3 = torch.tensor([0.5, 1.5, 2.0])


def dropout_seed7(x):
    torch.manual_seed(7)
    return F.dropout(x, 0.3, True)


row("normalization", "layer_norm.last", [(3, 5), (5,), (5,)], lambda x, w, b: F.layer_norm(x, (5,), w, b))
row("normalization", "layer_norm.two_dims", [(2, 3, 4), (3, 4), (3, 4)],
    lambda x, w, b: F.layer_norm(x, (3, 4), w, b))
row("normalization", "layer_norm.no_affine", [(4, 6)], lambda x: F.layer_norm(x, (6,)))
row("normalization", "layer_norm.transposed", [(5, 3), (5,), (5,)], lambda x, w, b: F.layer_norm(x.t(), (5,), w, b))
row("normalization", "layer_norm.eps", [(2, 4), (4,)], lambda x, w: F.layer_norm(x, (4,), w, None, 0.1))
row("normalization", "batch_norm.train_2d", [(4, 3), (3,), (3,)],
    lambda x, w, b: F.batch_norm(x, None, None, w, b, True))
row("normalization", "batch_norm.train_4d", [(2, 3, 2, 2), (3,), (3,)],
    lambda x, w, b: F.batch_norm(x, None, None, w, b, True))
row("normalization", "batch_norm.train_no_affine", [(3, 2, 4)], lambda x: F.batch_norm(x, None, None, None, None, True))
row("normalization", "batch_norm.eval_4d", [(2, 3, 2, 2), (3,), (3,)],
    lambda x, w, b: F.batch_norm(x, RM3.clone(), RV3.clone(), w, b, False))
row("normalization", "batch_norm.train_sliced", [(4, 6), (3,), (3,)],
    lambda x, w, b: F.batch_norm(x[:, 0:6:2], None, None, w, b, True))
row("normalization", "dropout.eval", [(2, 3)], lambda x: F.dropout(x, 0.5, False))
row("normalization", "dropout.train_seed7", [(4, 5)], dropout_seed7)
