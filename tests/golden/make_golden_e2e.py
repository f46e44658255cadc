#!/usr/bin/python3
"""Writes PyTorch reference training runs for Strata's end-to-end tests: tests/golden/e2e/e2e.bin.

Run by hand with Debian's python3-torch (the suite itself never needs torch):
    /usr/bin/python3 tests/golden/make_golden_e2e.py

As llm.c's test does: two small models start from recorded weights and take 10 optimizer steps on fixed
batches with mean cross-entropy; every step's loss and the final state_dict are recorded. Each model is
trained once with SGD (momentum) and once with Adam, from the same initial weights and batches.

  mlp  Flatten, Linear(64, 32), ReLU, Linear(32, 16), ReLU, Linear(16, 10)        input (8, 1, 8, 8)
  cnn  Conv2d(1, 4, 3, padding=1, bias=False), BatchNorm2d(4), ReLU, MaxPool2d(2),
       Conv2d(4, 8, 3), ReLU, MaxPool2d(2), Flatten, Linear(32, 10)              input (8, 1, 12, 12)

A step is: zero_grad(set_to_none), loss = cross_entropy(model(x), y), backward, optimizer.step(); step k
uses batch k % n_batches. The model is in training mode (batch norm uses batch statistics and updates its
running statistics, which are part of the final state_dict). The convolution before the batch norm has no
bias: batch norm removes it, so its gradient is float rounding noise that Adam would scale up to full steps.

Format (little-endian), read by tests/e2e/e2e_test.cpp:
  "STRATAE2" u32 version=1, u32 n_models, then per model:
    str name, u32 n_entries, n_entries x (str key, tensor) (the initial state_dict, PyTorch's keys and order),
    u32 n_batches, n_batches x (tensor x (float32), tensor y (int64)),
    u32 n_runs, per run: str optimizer ("SGD", "Adam"), opts (its options), u32 n_steps, n_steps x f64 (loss),
      n_entries x tensor (the state_dict after the last step, same order)
  str: u32 length + bytes; opts: u32 count, count x (str key, f64 value); tensor: as make_golden.pack_tensor.
"""
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_golden import pack_tensor  # noqa: E402

STEPS = 10
BATCHES = 5
BATCH = 8
RUNS = [("SGD", {"lr": 0.05, "momentum": 0.9}), ("Adam", {"lr": 0.01})]


def pstr(s):
    return struct.pack("<I", len(s)) + s.encode()


def popts(opts):
    return struct.pack("<I", len(opts)) + b"".join(pstr(k) + struct.pack("<d", float(v)) for k, v in opts.items())


def make_mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 10))


def make_cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32, 10))


MODELS = [("mlp", make_mlp, (1, 8, 8)), ("cnn", make_cnn, (1, 12, 12))]


def record_model(name, make, image_shape, gen):
    torch.manual_seed(int.from_bytes(name.encode(), "little"))
    model = make()
    init = {k: v.detach().clone() for k, v in model.state_dict().items()}
    batches = [(torch.randn((BATCH,) + image_shape, generator=gen), torch.randint(0, 10, (BATCH,), generator=gen))
               for _ in range(BATCHES)]
    body = pstr(name) + struct.pack("<I", len(init))
    body += b"".join(pstr(k) + pack_tensor(v) for k, v in init.items())
    body += struct.pack("<I", len(batches)) + b"".join(pack_tensor(x) + pack_tensor(y) for x, y in batches)
    body += struct.pack("<I", len(RUNS))
    for kind, opts in RUNS:
        model.load_state_dict(init)
        model.train()
        opt = getattr(torch.optim, kind)(model.parameters(), foreach=False, **opts)
        losses = []
        for step in range(STEPS):
            x, y = batches[step % len(batches)]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        body += pstr(kind) + popts(opts) + struct.pack("<I", STEPS)
        body += b"".join(struct.pack("<d", v) for v in losses)
        body += b"".join(pack_tensor(v) for v in model.state_dict().values())
        print(f"{name} {kind}: loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    return body


if __name__ == "__main__":
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(2026)
    data = b"STRATAE2" + struct.pack("<I", 1) + struct.pack("<I", len(MODELS))
    data += b"".join(record_model(name, make, shape, gen) for name, make, shape in MODELS)
    os.makedirs(os.path.join(HERE, "e2e"), exist_ok=True)
    path = os.path.join(HERE, "e2e", "e2e.bin")
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)
    print(f"{path}: {len(MODELS)} models x {len(RUNS)} runs of {STEPS} steps, {len(data)} bytes")
