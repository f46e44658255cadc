#!/usr/bin/python3
"""Writes PyTorch reference data for Strata's op table: tests/golden/<family>.bin.

Run by hand with Debian's python3-torch (/usr/bin/python3; the suite itself never needs torch):
    /usr/bin/python3 tests/golden/make_golden.py            # all families
    /usr/bin/python3 tests/golden/make_golden.py reduction  # one family

Every row in tests/golden/rows_<family>.py mirrors the row of the same name in tests/ops/cases_<family>.cpp: same input shapes and the
same function, written with torch. For each row the script stores the float32 inputs, the output, a random
upstream gradient and the gradients of the inputs. The format is described in tests/ops/golden_io.h.
"""
import hashlib
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = {}  # family -> list of (name, shapes, domain, fn)


def row(family, name, shapes, fn, domain="any"):
    ROWS.setdefault(family, []).append((name, [tuple(s) for s in shapes], domain, fn))


def make_input(shape, domain, gen):
    if domain == "any":
        return torch.randn(shape, generator=gen)
    if domain == "positive":
        return torch.rand(shape, generator=gen) * 1.5 + 0.5
    if domain == "unit":
        return torch.rand(shape, generator=gen) * 0.9 + 0.05
    if domain == "away_from_zero":
        x = torch.randn(shape, generator=gen)
        return torch.where(x.abs() < 0.1, x + 0.1 * torch.sign(x + 1e-12), x)
    raise ValueError(domain)


DTYPE_CODES = {torch.float32: 0, torch.float64: 1, torch.int64: 2, torch.bool: 3}


def pack_tensor(t):
    if t is None:
        return struct.pack("<B", 255)
    t = t.detach().contiguous()
    head = struct.pack("<BI", DTYPE_CODES[t.dtype], t.dim()) + b"".join(struct.pack("<q", s) for s in t.shape)
    return head + t.numpy().tobytes()


def record(name, shapes, domain, fn):
    seed = int(hashlib.sha1(name.encode()).hexdigest()[:8], 16)
    gen = torch.Generator().manual_seed(seed)
    inputs = [make_input(s, domain, gen).requires_grad_(True) for s in shapes]
    out = fn(*inputs)
    grad_out = torch.randn(out.shape, generator=gen) if out.dtype.is_floating_point else None
    grads = [None] * len(inputs)
    if grad_out is not None and out.requires_grad:
        grads = list(torch.autograd.grad(out, inputs, grad_out, allow_unused=True))
    body = struct.pack("<I", len(name)) + name.encode() + struct.pack("<I", len(inputs))
    body += b"".join(pack_tensor(x) for x in inputs) + pack_tensor(out) + pack_tensor(grad_out)
    body += b"".join(pack_tensor(g) for g in grads)
    return body


def write_family(family):
    rows = ROWS[family]
    data = b"STRATAGD" + struct.pack("<II", 1, len(rows))
    data += b"".join(record(*r) for r in rows)
    path = os.path.join(HERE, family + ".bin")
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)
    print(f"{path}: {len(rows)} records, {len(data)} bytes")


def ids(v, shape):
    """A constant int64 tensor (indices, targets) captured by a row."""
    return torch.tensor(v, dtype=torch.int64).reshape(shape)


def bmask(v, shape):
    """A constant bool tensor (masks) captured by a row."""
    return torch.tensor(v, dtype=torch.bool).reshape(shape)


def load_rows():
    """Imports every tests/golden/rows_<family>.py; each calls row() for its family's rows."""
    import importlib
    sys.path.insert(0, HERE)
    sys.modules.setdefault("make_golden", sys.modules[__name__])
    for fname in sorted(os.listdir(HERE)):
        if fname.startswith("rows_") and fname.endswith(".py"):
            importlib.import_module(fname[:-3])


if __name__ == "__main__":
    torch.set_num_threads(1)
    load_rows()
    families = sys.argv[1:] or sorted(ROWS)
    for fam in families:
        write_family(fam)
