"""Golden rows for the indexing family (mirrors tests/ops/cases_indexing.cpp)."""
import torch
import torch.nn.functional as F

from make_golden import row, ids, bmask

row("indexing", "index_select.dim0_repeated", [(4, 3)], lambda x: torch.index_select(x, 0, ids([3, 0, 3, 1, 3], (5,))))
row("indexing", "index_select.dim1_transposed", [(4, 3)], lambda x: torch.index_select(x.t(), 1, ids([2, 2, 0], (3,))))
row("indexing", "index_select.neg_dim_3d", [(2, 3, 4)], lambda x: torch.index_select(x, -1, ids([1, 3, 1], (3,))))
row("indexing", "index_add.repeated", [(4, 3), (5, 3)], lambda x, s: torch.index_add(x, 0, ids([2, 0, 2, 3, 2], (5,)), s))
row("indexing", "gather.dim1_repeated", [(3, 4)], lambda x: torch.gather(x, 1, ids([3, 3, 0, 1, 1, 1, 2, 0, 2], (3, 3))))
row("indexing", "gather.dim0_sliced", [(3, 6)], lambda x: torch.gather(x[:, 0:6:2], 0, ids([2, 2, 0, 1, 0, 2], (2, 3))))
row("indexing", "scatter_add.dim1_repeated", [(3, 4), (3, 3)],
    lambda x, s: torch.scatter_add(x, 1, ids([3, 3, 0, 1, 1, 1, 2, 0, 2], (3, 3)), s))
row("indexing", "scatter_add.dim0", [(2, 3), (4, 3)],
    lambda x, s: torch.scatter_add(x, 0, ids([1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0], (4, 3)), s))
row("indexing", "embedding.repeated", [(5, 3)], lambda w: F.embedding(ids([4, 1, 4, 0, 1, 4], (2, 3)), w))
row("indexing", "embedding.padding_idx", [(5, 3)],
    lambda w: F.embedding(ids([2, 1, 2, 0, 3, 2], (3, 2)), w, padding_idx=2)
    * torch.tensor([0.0, 1, 0, 1, 1, 0]).reshape(3, 2, 1))
row("indexing", "masked_fill.broadcast_mask", [(3, 4)], lambda x: x.masked_fill(bmask([True, False, False, True], (4,)), -2.5))
row("indexing", "masked_fill.transposed", [(4, 3)],
    lambda x: x.t().masked_fill(bmask([True, False, True, False, False, True, True, False, False, True, False, False], (3, 4)), 1.0))
row("indexing", "cat.dim0", [(2, 3), (1, 3), (3, 3)], lambda a, b, c: torch.cat([a, b, c], 0))
row("indexing", "cat.neg_dim_transposed", [(2, 3), (3, 2)], lambda a, b: torch.cat([a, b.t()], -1))
row("indexing", "stack.dim0", [(2, 3), (2, 3)], lambda a, b: torch.stack([a, b], 0))
row("indexing", "stack.last_dim", [(2, 3), (2, 3), (2, 3)], lambda a, b, c: torch.stack([a, b, c], 2))
row("indexing", "pad.last_two_dims", [(2, 3, 4)], lambda x: F.pad(x, (1, 2, 0, 1), value=0.5))
row("indexing", "pad.negative_crop", [(3, 5)], lambda x: F.pad(x, (-1, 2, 1, -1)))
