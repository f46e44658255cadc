"""Golden rows for the reduction family (mirrors tests/ops/cases_reduction.cpp)."""
import math
import torch

from make_golden import row

INF = math.inf

row("reduction", "sum.all", [(2, 3)], lambda x: torch.sum(x))
row("reduction", "sum.dim1", [(3, 4)], lambda x: torch.sum(x, (1,)))
row("reduction", "sum.dim0.keepdim", [(3, 4)], lambda x: torch.sum(x, (0,), keepdim=True))
row("reduction", "sum.dims02", [(2, 3, 4)], lambda x: torch.sum(x, (0, 2)))
row("reduction", "sum.transposed", [(3, 4)], lambda x: torch.sum(x.t(), (0,)))
row("reduction", "mean.all", [(2, 3)], lambda x: torch.mean(x))
row("reduction", "mean.neg_dim.keepdim", [(2, 3, 4)], lambda x: torch.mean(x, (-1,), keepdim=True))
row("reduction", "var.dim1", [(3, 4)], lambda x: torch.var(x, (1,), unbiased=True))
row("reduction", "var.all.correction0", [(2, 5)], lambda x: torch.var(x, unbiased=False))
row("reduction", "var.dims01.keepdim", [(2, 3, 4)], lambda x: torch.var(x, (0, 1), unbiased=True, keepdim=True))
row("reduction", "std.dim0", [(4, 3)], lambda x: torch.std(x, (0,), unbiased=True))
row("reduction", "std.all", [(3, 4)], lambda x: torch.std(x, unbiased=True))
row("reduction", "max.all", [(3, 4)], lambda x: torch.max(x))
row("reduction", "min.all", [(3, 4)], lambda x: torch.min(x))
row("reduction", "max.dim1", [(3, 5)], lambda x: torch.max(x, 1).values)
row("reduction", "min.dim0.keepdim", [(4, 3)], lambda x: torch.min(x, 0, keepdim=True).values)
row("reduction", "amax.dims02", [(2, 3, 4)], lambda x: torch.amax(x, (0, 2)))
row("reduction", "amin.dim1.keepdim", [(3, 4)], lambda x: torch.amin(x, (1,), keepdim=True))
row("reduction", "logsumexp.dim1", [(3, 4)], lambda x: torch.logsumexp(x, (1,)))
row("reduction", "logsumexp.dims01.keepdim", [(2, 3, 2)], lambda x: torch.logsumexp(x, (0, 1), keepdim=True))
row("reduction", "norm.p2", [(3, 4)], lambda x: torch.linalg.vector_norm(x, 2.0))
row("reduction", "norm.p2.dim1", [(3, 4)], lambda x: torch.linalg.vector_norm(x, 2.0, (1,)))
row("reduction", "norm.p1", [(3, 4)], lambda x: torch.linalg.vector_norm(x, 1.0), "away_from_zero")
row("reduction", "norm.inf.dim0", [(3, 4)], lambda x: torch.linalg.vector_norm(x, INF, (0,)))
row("reduction", "norm.p3.dim1.keepdim", [(3, 4)], lambda x: torch.linalg.vector_norm(x, 3.0, (1,), keepdim=True))
row("reduction", "norm.p1_5", [(5,)], lambda x: torch.linalg.vector_norm(x, 1.5), "away_from_zero")
row("reduction", "norm.p0_5", [(5,)], lambda x: torch.linalg.vector_norm(x, 0.5), "away_from_zero")
