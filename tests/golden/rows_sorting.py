"""Golden rows for the sorting family (mirrors tests/ops/cases_sorting.cpp)."""
import torch

from make_golden import row

row("sorting", "sort.last_dim", [(3, 5)], lambda x: torch.sort(x, -1).values)
row("sorting", "sort.dim0_descending", [(4, 3)], lambda x: torch.sort(x, 0, descending=True).values)
row("sorting", "sort.transposed", [(3, 4)], lambda x: torch.sort(x.t(), 1).values)
row("sorting", "topk.largest", [(3, 6)], lambda x: torch.topk(x, 2).values)
row("sorting", "topk.smallest_dim0", [(5, 2)], lambda x: torch.topk(x, 3, 0, largest=False).values)
row("sorting", "topk.3d_middle", [(2, 4, 3)], lambda x: torch.topk(x, 2, 1).values)
