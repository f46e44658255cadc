"""Golden rows for the arithmetic family (mirrors tests/ops/cases_arithmetic.cpp)."""
import torch

from make_golden import row

row("arithmetic", "add", [(2, 3), (2, 3)], lambda a, b: torch.add(a, b))
row("arithmetic", "add.broadcast", [(2, 3), (3,)], lambda a, b: a + b)
row("arithmetic", "add.alpha", [(4,), (4,)], lambda a, b: torch.add(a, b, alpha=2.5))
row("arithmetic", "sub.broadcast", [(2, 1, 3), (4, 1)], lambda a, b: a - b)
row("arithmetic", "mul.broadcast", [(3, 1), (1, 4)], lambda a, b: a * b)
row("arithmetic", "mul.transposed", [(3, 4), (4, 3)], lambda a, b: a * b.t())
row("arithmetic", "div", [(2, 3), (2, 3)], lambda a, b: a / b, "positive")
row("arithmetic", "div.scalar", [(5,)], lambda a: 2.0 / a, "positive")
row("arithmetic", "neg.sliced", [(4, 6)], lambda a: -a[:, 1:5:2])
