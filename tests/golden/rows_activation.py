"""Golden rows for the activation family (mirrors tests/ops/cases_activation.cpp)."""
import torch
import torch.nn.functional as F

from make_golden import row

row("activation", "relu", [(2, 3)], lambda x: F.relu(x), "away_from_zero")
row("activation", "relu.transposed", [(3, 2)], lambda x: F.relu(x.t()), "away_from_zero")
row("activation", "leaky_relu", [(2, 3)], lambda x: F.leaky_relu(x, 0.2), "away_from_zero")
row("activation", "sigmoid", [(2, 3)], lambda x: torch.sigmoid(x))
row("activation", "tanh", [(2, 3)], lambda x: torch.tanh(x))
row("activation", "tanh.sliced", [(4, 6)], lambda x: torch.tanh(x[:, 0:6:3]))
row("activation", "gelu", [(2, 3)], lambda x: F.gelu(x))
row("activation", "gelu.tanh", [(2, 3)], lambda x: F.gelu(x, approximate="tanh"))
row("activation", "softplus", [(2, 3)], lambda x: F.softplus(x))
row("activation", "softplus.beta2_threshold1", [(2, 3)], lambda x: F.softplus(x, beta=2.0, threshold=1.0))
row("activation", "silu", [(2, 3)], lambda x: F.silu(x))
row("activation", "silu.transposed", [(3, 2)], lambda x: F.silu(x.t()))
