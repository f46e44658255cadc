#!/usr/bin/python3
"""Golden files for transfer learning (tests/tools/transfer_config_test.cpp); run with Debian's python3-torch.

  transfer_torch.safetensors     the state_dict of a small torch model {backbone: Linear(8,16), BatchNorm1d(16),
                                 ReLU, Linear(16,6); head: Linear(6,3)} after a few training steps (so the
                                 batch norm's running statistics are not their initial values)
  transfer_torch_io.safetensors  an input x (4, 8) and the backbone's eval-mode output y (4, 6)

Strata loads the backbone into a layer list with a different head via init_from with rename
{"backbone.": ""} and skip ["head.*"], and must reproduce y. safetensors is written by hand as in
make_golden_io.py (Debian has no `safetensors` package).

Usage: /usr/bin/python3 tests/golden/make_golden_transfer.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden_io import write_safetensors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

torch.manual_seed(0)
model = torch.nn.Module()
model.backbone = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
                                     torch.nn.Linear(16, 6))
model.head = torch.nn.Linear(6, 3)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(5):
    x = torch.randn(32, 8)
    t = torch.randint(0, 3, (32,))
    loss = torch.nn.functional.cross_entropy(model.head(torch.relu(model.backbone(x))), t)
    opt.zero_grad()
    loss.backward()
    opt.step()
model.eval()
x = torch.randn(4, 8)
with torch.no_grad():
    y = model.backbone(x)
sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
write_safetensors(os.path.join(HERE, "transfer_torch.safetensors"), sd, {"format": "pt"})
write_safetensors(os.path.join(HERE, "transfer_torch_io.safetensors"), {"x": x, "y": y}, {"format": "pt"})
print("wrote", sorted(sd))
