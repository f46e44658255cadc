#!/usr/bin/python3
"""Writes PyTorch reference data for Strata's op table: tests/golden/<family>.bin.

Run by hand with Debian's python3-torch (/usr/bin/python3; the suite itself never needs torch):
    /usr/bin/python3 tests/golden/make_golden.py            # all families
    /usr/bin/python3 tests/golden/make_golden.py reduction  # one family

Every row here mirrors the row of the same name in tests/ops/cases_<family>.cpp: same input shapes and the
same function, written with torch. For each row the script stores the float32 inputs, the output, a random
upstream gradient and the gradients of the inputs. The format is described in tests/ops/golden_io.h.
"""
import hashlib
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

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


# ---- arithmetic (tests/ops/cases_arithmetic.cpp) ----
row("arithmetic", "add", [(2, 3), (2, 3)], lambda a, b: torch.add(a, b))
row("arithmetic", "add.broadcast", [(2, 3), (3,)], lambda a, b: a + b)
row("arithmetic", "add.alpha", [(4,), (4,)], lambda a, b: torch.add(a, b, alpha=2.5))
row("arithmetic", "sub.broadcast", [(2, 1, 3), (4, 1)], lambda a, b: a - b)
row("arithmetic", "mul.broadcast", [(3, 1), (1, 4)], lambda a, b: a * b)
row("arithmetic", "mul.transposed", [(3, 4), (4, 3)], lambda a, b: a * b.t())
row("arithmetic", "div", [(2, 3), (2, 3)], lambda a, b: a / b, "positive")
row("arithmetic", "div.scalar", [(5,)], lambda a: 2.0 / a, "positive")
row("arithmetic", "neg.sliced", [(4, 6)], lambda a: -a[:, 1:5:2])


# ---- indexing (tests/ops/cases_indexing.cpp) ----
def ids(v, shape):
    return torch.tensor(v, dtype=torch.int64).reshape(shape)


def bmask(v, shape):
    return torch.tensor(v, dtype=torch.bool).reshape(shape)


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


# ---- views (tests/ops/cases_views.cpp) ----
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


# ---- elementwise (tests/ops/cases_elementwise.cpp) ----
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


# ---- activation (tests/ops/cases_activation.cpp) ----
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


# ---- reduction (tests/ops/cases_reduction.cpp) ----
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


# ---- softmax (tests/ops/cases_softmax.cpp) ----
CLASS_W5 = [0.5, 1.0, 2.0, 1.5, 0.7]


def weights(v):
    return torch.tensor(v, dtype=torch.float32)


row("softmax", "softmax.dim1", [(3, 4)], lambda x: torch.softmax(x, 1))
row("softmax", "softmax.dim0", [(3, 4)], lambda x: torch.softmax(x, 0))
row("softmax", "softmax.dim1.of3d", [(2, 3, 4)], lambda x: torch.softmax(x, 1))
row("softmax", "softmax.transposed", [(3, 4)], lambda x: torch.softmax(x.t(), -1))
row("softmax", "log_softmax.dim1", [(3, 4)], lambda x: torch.log_softmax(x, 1))
row("softmax", "log_softmax.neg_dim.of3d", [(2, 3, 4)], lambda x: torch.log_softmax(x, -2))
row("softmax", "nll_loss.mean", [(4, 5)], lambda x: F.nll_loss(x, ids([1, 0, 4, 2], (4,))))
row("softmax", "nll_loss.weighted.ignore", [(4, 5)],
    lambda x: F.nll_loss(x, ids([1, -100, 4, 2], (4,)), weights(CLASS_W5)))
row("softmax", "nll_loss.sum", [(4, 5)], lambda x: F.nll_loss(x, ids([3, 3, 0, 1], (4,)), reduction="sum"))
row("softmax", "nll_loss.none", [(3, 4)], lambda x: F.nll_loss(x, ids([0, 3, -100], (3,)), reduction="none"))
row("softmax", "nll_loss.spatial", [(2, 3, 2)], lambda x: F.nll_loss(x, ids([2, 0, 1, -100], (2, 2))))
row("softmax", "cross_entropy.mean", [(4, 5)], lambda x: F.cross_entropy(x, ids([1, 0, 4, 2], (4,))))
row("softmax", "cross_entropy.weighted.ignore", [(4, 5)],
    lambda x: F.cross_entropy(x, ids([1, -100, 4, 2], (4,)), weights(CLASS_W5)))
row("softmax", "cross_entropy.smoothing", [(4, 5)],
    lambda x: F.cross_entropy(x, ids([1, 0, 4, 2], (4,)), label_smoothing=0.1))
row("softmax", "cross_entropy.smoothing.weighted.ignore", [(4, 5)],
    lambda x: F.cross_entropy(x, ids([1, -100, 4, 2], (4,)), weights(CLASS_W5), label_smoothing=0.2))
row("softmax", "cross_entropy.none", [(3, 4)],
    lambda x: F.cross_entropy(x, ids([0, 3, -100], (3,)), reduction="none"))
row("softmax", "cross_entropy.sum.smoothing", [(3, 4)],
    lambda x: F.cross_entropy(x, ids([2, 3, 1], (3,)), reduction="sum", label_smoothing=0.3))
row("softmax", "cross_entropy.spatial.weighted", [(2, 3, 2)],
    lambda x: F.cross_entropy(x, ids([2, 0, 1, -100], (2, 2)), weights([0.5, 1.0, 2.0]), label_smoothing=0.1))


# ---- linalg (tests/ops/cases_linalg.cpp) ----
for _name, _shapes in [("matmul.dot", [(4,), (4,)]), ("matmul.vec_mat", [(3,), (3, 4)]), ("matmul.mat_vec", [(2, 3), (3,)]),
                       ("matmul.mat_mat", [(2, 3), (3, 4)]), ("matmul.vec_batched", [(3,), (2, 3, 4)]),
                       ("matmul.batched_vec", [(2, 3, 4), (4,)]), ("matmul.batched_mat", [(2, 3, 4), (4, 5)]),
                       ("matmul.mat_batched", [(3, 4), (2, 4, 5)]), ("matmul.batched_broadcast", [(2, 1, 3, 4), (5, 4, 2)])]:
    row("linalg", _name, _shapes, lambda a, b: torch.matmul(a, b))
row("linalg", "matmul.transposed", [(3, 2), (4, 3)], lambda a, b: torch.matmul(a.t(), b.t()))
row("linalg", "matmul.sliced", [(4, 6), (8, 3)], lambda a, b: torch.matmul(a[:, 1:5], b[0:8:2, 1:3]))
row("linalg", "mm", [(3, 4), (4, 2)], lambda a, b: torch.mm(a, b))
row("linalg", "mm.transposed", [(4, 3), (2, 4)], lambda a, b: torch.mm(a.t(), b.t()))
row("linalg", "bmm", [(2, 3, 4), (2, 4, 5)], lambda a, b: torch.bmm(a, b))
row("linalg", "bmm.transposed", [(2, 4, 3), (2, 4, 5)], lambda a, b: torch.bmm(a.transpose(1, 2), b))
row("linalg", "addmm", [(2, 4), (2, 3), (3, 4)], lambda s, a, b: torch.addmm(s, a, b))
row("linalg", "addmm.broadcast_scaled", [(4,), (2, 3), (3, 4)], lambda s, a, b: torch.addmm(s, a, b, beta=0.5, alpha=2.0))
row("linalg", "linear", [(5, 3), (4, 3), (4,)], lambda x, w, b: F.linear(x, w, b))
row("linalg", "linear.no_bias", [(5, 3), (4, 3)], lambda x, w: F.linear(x, w))
row("linalg", "linear.batched", [(2, 5, 3), (4, 3), (4,)], lambda x, w, b: F.linear(x, w, b))
row("linalg", "linear.vector", [(3,), (4, 3), (4,)], lambda x, w, b: F.linear(x, w, b))
row("linalg", "linear.transposed_input", [(3, 5), (4, 3), (4,)], lambda x, w, b: F.linear(x.t(), w, b))


if __name__ == "__main__":
    torch.set_num_threads(1)
    families = sys.argv[1:] or sorted(ROWS)
    for fam in families:
        write_family(fam)
