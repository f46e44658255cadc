"""Golden rows for the linalg family (mirrors tests/ops/cases_linalg.cpp)."""
import torch
import torch.nn.functional as F

from make_golden import row

for _name, _shapes in [("matmul.dot", [(4,), (4,)]), ("matmul.vec_mat", [(3,), (3, 4)]), ("matmul.mat_vec", [(2, 3), (3,)]),
                       ("matmul.mat_mat", [(2, 3), (3, 4)]), ("matmul.vec_batched", [(3,), (2, 3, 4)]),
                       ("matmul.batched_vec", [(2, 3, 4), (4,)]), ("matmul.batched_mat", [(2, 3, 4), (4, 5)]),
                       ("matmul.mat_batched", [(3, 4), (2, 4, 5)]), ("matmul.batched_broadcast", [(2, 1, 3, 4), (5, 4, 2)])]:
    row("linalg", _name, _shapes, lambda a, b: torch.matmul(a, b))
row("linalg", "matmul.transposed", [(3, 2), (4, 3)], lambda a, b: torch.matmul(a.t(), b.t()))
row("linalg", "matmul.sliced", [(4, 6), (8, 3)], lambda a, b: torch.matmul(a[:, 1:5], b[0:8:2, 1:3]))
row("linalg", "mm", [(3, 4), (4, 2)], lambda a, b: torch.mm(a, b))
row("linalg", "mm.transposed", [(4, 3), (2, 4)], lambda a, b: torch.mm(a.t(), b.t()))
row("linalg", "bmm", [(2, 3, 4), (2, 4, 5)], lambda a, b: torch.bmm(a, b))
row("linalg", "bmm.transposed", [(2, 4, 3), (2, 4, 5)], lambda a, b: torch.bmm(a.transpose(1, 2), b))
row("linalg", "addmm", [(2, 4), (2, 3), (3, 4)], lambda s, a, b: torch.addmm(s, a, b))
row("linalg", "addmm.broadcast_scaled", [(4,), (2, 3), (3, 4)], lambda s, a, b: torch.addmm(s, a, b, beta=0.5, alpha=2.0))
row("linalg", "linear", [(5, 3), (4, 3), (4,)], lambda x, w, b: F.linear(x, w, b))
row("linalg", "linear.no_bias", [(5, 3), (4, 3)], lambda x, w: F.linear(x, w))
row("linalg", "linear.batched", [(2, 5, 3), (4, 3), (4,)], lambda x, w, b: F.linear(x, w, b))
row("linalg", "linear.vector", [(3,), (4, 3), (4,)], lambda x, w, b: F.linear(x, w, b))
row("linalg", "linear.transposed_input", [(3, 5), (4, 3), (4,)], lambda x, w, b: F.linear(x.t(), w, b))
