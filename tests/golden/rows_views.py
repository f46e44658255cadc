"""Golden rows for the views family (mirrors tests/ops/cases_views.cpp)."""

from make_golden import row

row("views", "reshape.transposed", [(2, 3, 4)], lambda x: x.transpose(0, 1).reshape(3, 8))
row("views", "reshape.view", [(2, 3, 4)], lambda x: x.reshape(4, -1))
row("views", "view", [(2, 6)], lambda x: x.view(3, 2, 2))
row("views", "flatten", [(2, 3, 2)], lambda x: x.flatten(1))
row("views", "permute", [(2, 3, 4)], lambda x: x.permute(2, 0, 1))
row("views", "transpose", [(3, 4)], lambda x: x.transpose(0, 1))
row("views", "narrow", [(4, 5)], lambda x: x.narrow(1, 1, 3))
row("views", "slice.step", [(3, 7)], lambda x: x[:, 1::2])
row("views", "select", [(3, 4)], lambda x: x.select(0, 1))
row("views", "select.negative", [(3, 4, 2)], lambda x: x.select(1, -1))
row("views", "expand", [(3, 1)], lambda x: x.expand(2, 3, 4))
row("views", "chunk.1", [(2, 7)], lambda x: x.chunk(3, 1)[1])
row("views", "split.2", [(5, 3)], lambda x: x.split(2, 0)[2])
row("views", "unsqueeze", [(3, 2)], lambda x: x.unsqueeze(1))
row("views", "squeeze", [(3, 1, 2)], lambda x: x.squeeze(1))
row("views", "squeeze.all", [(1, 3, 1)], lambda x: x.squeeze())
row("views", "clone", [(2, 3)], lambda x: x.clone())
row("views", "contiguous.transposed", [(2, 3)], lambda x: x.t().contiguous())
row("views", "select.twice", [(3, 4)], lambda x: x.select(0, 0) * x.select(0, 2))
