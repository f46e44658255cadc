"""Golden rows for the elementwise family (mirrors tests/ops/cases_elementwise.cpp)."""
import torch

from make_golden import row, bmask

WHERE_MASK = [True, False, True, False, False, True]  # the (2, 3) mask of the where rows

row("elementwise", "pow.scalar", [(2, 3)], lambda x: torch.pow(x, 2.5), "positive")
row("elementwise", "pow.square", [(2, 3)], lambda x: torch.pow(x, 2.0))
row("elementwise", "pow.cube", [(5,)], lambda x: torch.pow(x, 3.0))
row("elementwise", "pow.neg_frac", [(4,)], lambda x: torch.pow(x, -1.5), "positive")
row("elementwise", "pow.sqrt", [(4,)], lambda x: torch.pow(x, 0.5), "positive")
row("elementwise", "pow.tensor", [(2, 3), (2, 3)], lambda x, e: torch.pow(x, e), "positive")
row("elementwise", "pow.tensor_broadcast", [(2, 1), (3,)], lambda x, e: torch.pow(x, e), "positive")
row("elementwise", "pow.scalar_base", [(2, 2)], lambda x: torch.pow(2.0, x))
row("elementwise", "sqrt", [(2, 3)], lambda x: torch.sqrt(x), "positive")
row("elementwise", "sqrt.transposed", [(3, 2)], lambda x: torch.sqrt(x.t()), "positive")
row("elementwise", "rsqrt", [(2, 3)], lambda x: torch.rsqrt(x), "positive")
row("elementwise", "square", [(2, 3)], lambda x: torch.square(x))
row("elementwise", "square.sliced", [(4, 6)], lambda x: torch.square(x[:, 1:5:2]))
row("elementwise", "exp", [(2, 3)], lambda x: torch.exp(x))
row("elementwise", "exp.transposed", [(3, 4)], lambda x: torch.exp(x.t()))
row("elementwise", "log", [(2, 3)], lambda x: torch.log(x), "positive")
row("elementwise", "log1p", [(2, 3)], lambda x: torch.log1p(x), "positive")
row("elementwise", "erf", [(2, 3)], lambda x: torch.erf(x))
row("elementwise", "erfc", [(2, 3)], lambda x: torch.erfc(x))
row("elementwise", "abs", [(2, 3)], lambda x: torch.abs(x), "away_from_zero")
row("elementwise", "sign", [(2, 3)], lambda x: torch.sign(x), "away_from_zero")
row("elementwise", "clamp", [(3, 4)], lambda x: torch.clamp(x, -0.5, 0.5))
row("elementwise", "clamp.min", [(3, 4)], lambda x: torch.clamp(x, min=0.3))
row("elementwise", "clamp.max", [(3, 4)], lambda x: torch.clamp(x, max=0.3))
row("elementwise", "minimum", [(2, 3), (2, 3)], lambda a, b: torch.minimum(a, b))
row("elementwise", "maximum", [(2, 3), (2, 3)], lambda a, b: torch.maximum(a, b))
row("elementwise", "maximum.broadcast", [(2, 3), (3,)], lambda a, b: torch.maximum(a, b))
row("elementwise", "where", [(2, 3), (2, 3)], lambda a, b: torch.where(bmask(WHERE_MASK, (2, 3)), a, b))
row("elementwise", "where.broadcast", [(2, 3), (3,)], lambda a, b: torch.where(bmask(WHERE_MASK, (2, 3)), a, b))
row("elementwise", "where.scalar", [(2, 3)], lambda a: torch.where(bmask(WHERE_MASK, (2, 3)), a, torch.tensor(0.5)))
