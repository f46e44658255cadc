#!/usr/bin/python3
"""Writes PyTorch reference data for Strata's attention layers: tests/golden/attention/attention.bin and
tests/golden/attention/keys.txt (the state_dict keys of each layer, in order).

Run by hand with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_golden_attention.py

Record format as make_golden_nn.py (tests/ops/golden_io.h): name, inputs, output, upstream gradient, gradients
of the inputs (None where there is none). Inputs of a record, by family:
  sdpa.*   (float64)  q, k, v, mask|None                                   grads: q, k, v, mask (float masks)
           PyTorch 1.13 has no F.scaled_dot_product_attention: the reference math is written out below.
  mha.*               query, key, value, key_padding_mask|None, attn_mask|None, the parameters in
                      parameters() order, then the returned attention weights (no gradient). Self-attention
                      records pass one tensor three times; its whole gradient sits in slot 0.
  enc.*               src, src_mask|None, src_key_padding_mask|None, parameters...
  dec.*               tgt, memory, tgt_mask|None, memory_mask|None, tgt_key_padding_mask|None,
                      memory_key_padding_mask|None, parameters...
  encoder.*           src, parameters...              (a 2-layer TransformerEncoder with a final norm)
  gpt.block           x, parameters...                (nanoGPT's Block, written out below)
Dropout is 0 and the modules are in training mode with gradients on, so PyTorch's fused fast paths are off.
"""
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPE_CODES = {torch.float32: 0, torch.float64: 1, torch.int64: 2, torch.bool: 3}
GEN = torch.Generator().manual_seed(4321)


def pack(t):
    if t is None:
        return struct.pack("<B", 255)
    t = t.detach().contiguous()
    head = struct.pack("<BI", DTYPE_CODES[t.dtype], t.dim()) + b"".join(struct.pack("<q", s) for s in t.shape)
    return head + t.numpy().tobytes()


def record(name, inputs, out, grad_out, grads):
    body = struct.pack("<I", len(name)) + name.encode() + struct.pack("<I", len(inputs))
    body += b"".join(pack(x) for x in inputs) + pack(out) + pack(grad_out)
    body += b"".join(pack(g) for g in grads)
    return body


def randn(*shape, dtype=torch.float32):
    return torch.randn(shape, generator=GEN, dtype=dtype)


def keep_mask(*shape):
    """Random bool mask, true = keep, with the first key always kept (no fully masked row)."""
    m = torch.rand(shape, generator=GEN) > 0.4
    m[..., 0] = True
    return m


def pad_mask(n, s, lengths):
    """key_padding_mask (true = ignore) from lengths."""
    return torch.arange(s).unsqueeze(0) >= torch.tensor(lengths).unsqueeze(1)


def randomise(module):
    """Non-trivial values for every parameter (biases and norms are zero/one after PyTorch's init)."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(randn(*p.shape) * 0.5)


# ---- scaled dot-product attention: PyTorch 2.x semantics, written out ----

def sdpa_ref(q, k, v, mask=None, causal=False, scale=None):
    L, S = q.size(-2), k.size(-2)
    scale = 1 / math.sqrt(q.size(-1)) if scale is None else scale
    s = q @ k.transpose(-2, -1) * scale
    if causal:
        s = s.masked_fill(torch.ones(L, S, dtype=torch.bool).tril().logical_not(), float("-inf"))
    if mask is not None:
        s = s.masked_fill(mask.logical_not(), float("-inf")) if mask.dtype == torch.bool else s + mask
    return torch.softmax(s, -1) @ v


def sdpa_record(name, qs, ks, vs, mask=None, causal=False, scale=None):
    d = torch.float64
    q, k, v = (randn(*s, dtype=d).requires_grad_() for s in (qs, ks, vs))
    diff = [q, k, v]
    if mask is not None and mask.dtype != torch.bool:
        mask = mask.to(d).requires_grad_()
        diff.append(mask)
    out = sdpa_ref(q, k, v, mask, causal, scale)
    g = randn(*out.shape, dtype=d)
    grads = list(torch.autograd.grad(out, diff, g))
    if len(grads) == 3:
        grads.append(None)
    return record(name, [q, k, v, mask], out, g, grads)


# ---- modules ----

def mha_record(name, mha, query, key, value, kpm=None, attn_mask=None, average=True):
    params = list(mha.parameters())
    same = query is key and key is value
    if same:
        query.requires_grad_()
        diff = [query]
    else:
        for t in (query, key, value):
            t.requires_grad_()
        diff = [query, key, value]
    mask_diff = attn_mask is not None and attn_mask.dtype != torch.bool
    if mask_diff:
        attn_mask.requires_grad_()
        diff.append(attn_mask)
    out, w = mha(query, key, value, key_padding_mask=kpm, need_weights=True, attn_mask=attn_mask,
                 average_attn_weights=average)
    g = randn(*out.shape)
    grads = list(torch.autograd.grad(out, diff + params, g))
    gq = grads[0]
    gk, gv = (None, None) if same else (grads[1], grads[2])
    rest = grads[1:] if same else grads[3:]
    gmask = rest[0] if mask_diff else None
    gparams = rest[1:] if mask_diff else rest
    inputs = [query, key, value, kpm, attn_mask] + params + [w]
    return record(name, inputs, out, g, [gq, gk, gv, None, gmask] + list(gparams) + [None])


def module_record(name, module, leading, kwargs):
    """leading: the tensor inputs in record order (None allowed); only float ones that are not masks get grads."""
    params = list(module.parameters())
    xs = [t for t in leading if t is not None and t.dtype == torch.float32 and t.requires_grad]
    out = module(**kwargs)
    g = randn(*out.shape)
    grads = torch.autograd.grad(out, xs + params, g)
    gx = {id(t): gr for t, gr in zip(xs, grads[:len(xs)])}
    lead_grads = [gx.get(id(t)) if t is not None else None for t in leading]
    return record(name, list(leading) + params, out, g, lead_grads + list(grads[len(xs):]))


class CausalSelfAttention(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.h = h

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
        y = sdpa_ref(q, k, v, causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class MLP(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.c_fc = nn.Linear(d, 4 * d)
        self.c_proj = nn.Linear(4 * d, d)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))


class Block(nn.Module):
    """nanoGPT's Block (pre-LN), dropout 0."""

    def __init__(self, d, h):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = CausalSelfAttention(d, h)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = MLP(d)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


def req(t):
    return t.requires_grad_()


def main():
    torch.set_num_threads(1)
    recs = []
    keys = {}

    # SDPA (float64)
    recs.append(sdpa_record("sdpa.plain", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 4)))
    recs.append(sdpa_record("sdpa.causal", (2, 2, 5, 4), (2, 2, 5, 4), (2, 2, 5, 3), causal=True))
    recs.append(sdpa_record("sdpa.bool_mask", (2, 2, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3), mask=keep_mask(2, 1, 5, 6)))
    recs.append(sdpa_record("sdpa.float_mask", (2, 5, 4), (2, 6, 4), (2, 6, 3), mask=randn(5, 6)))
    recs.append(sdpa_record("sdpa.scale0.3", (3, 4, 5), (3, 4, 5), (3, 4, 2), scale=0.3))

    # MultiheadAttention (float32)
    E, H = 8, 2
    m = nn.MultiheadAttention(E, H)
    randomise(m)
    keys["mha"] = list(m.state_dict().keys())
    x = randn(5, 2, E)
    recs.append(mha_record("mha.self", m, x, x, x))
    x = randn(5, 2, E)
    recs.append(mha_record("mha.self.masks", m, x, x, x, kpm=pad_mask(2, 5, [5, 3]), attn_mask=randn(5, 5)))
    q, kk, vv = randn(4, 2, E), randn(6, 2, E), randn(6, 2, E)
    am = keep_mask(2 * H, 4, 6).logical_not()  # MHA's bool convention: true = not allowed
    recs.append(mha_record("mha.cross.bool_masks", m, q, kk, vv, kpm=pad_mask(2, 6, [6, 4]), attn_mask=am))
    x = randn(5, E)
    recs.append(mha_record("mha.unbatched", m, x, x, x))
    mb = nn.MultiheadAttention(E, H, batch_first=True)
    randomise(mb)
    q, kv = randn(2, 4, E), randn(2, 6, E)
    recs.append(mha_record("mha.batch_first.kv.per_head", mb, q, kv, kv, kpm=pad_mask(2, 6, [2, 6]), average=False))

    # TransformerEncoderLayer / DecoderLayer (d 8, 2 heads, ff 16, dropout 0)
    d, ff = 8, 16
    causal5 = nn.Transformer.generate_square_subsequent_mask(5)
    for norm_first, act, bf in ((False, "relu", False), (True, "gelu", True)):
        tag = ("pre" if norm_first else "post") + "." + act + (".batch_first" if bf else "")
        enc = nn.TransformerEncoderLayer(d, H, ff, 0.0, act, 1e-5, bf, norm_first)
        randomise(enc)
        keys["enc"] = list(enc.state_dict().keys())
        src = req(randn(2, 5, d) if bf else randn(5, 2, d))
        kpm = pad_mask(2, 5, [5, 2])
        recs.append(module_record("enc." + tag, enc, [src, causal5, kpm],
                                  dict(src=src, src_mask=causal5, src_key_padding_mask=kpm)))
        dec = nn.TransformerDecoderLayer(d, H, ff, 0.0, act, 1e-5, bf, norm_first)
        randomise(dec)
        keys["dec"] = list(dec.state_dict().keys())
        tgt = req(randn(2, 4, d) if bf else randn(4, 2, d))
        mem = req(randn(2, 6, d) if bf else randn(6, 2, d))
        tmask = nn.Transformer.generate_square_subsequent_mask(4)
        mmask = keep_mask(4, 6).logical_not()
        tkpm, mkpm = pad_mask(2, 4, [4, 3]), pad_mask(2, 6, [3, 6])
        recs.append(module_record("dec." + tag, dec, [tgt, mem, tmask, mmask, tkpm, mkpm],
                                  dict(tgt=tgt, memory=mem, tgt_mask=tmask, memory_mask=mmask,
                                       tgt_key_padding_mask=tkpm, memory_key_padding_mask=mkpm)))

    # A 2-layer encoder stack with a final norm (post-norm relu, seq-first).
    stack = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, H, ff, 0.0), 2, norm=nn.LayerNorm(d))
    randomise(stack)
    keys["encoder"] = list(stack.state_dict().keys())
    src = req(randn(5, 2, d))
    recs.append(module_record("encoder.2layers", stack, [src], dict(src=src)))

    # GPT block (pre-LN, causal, GELU MLP 4d)
    blk = Block(d, H)
    randomise(blk)
    keys["gpt"] = list(blk.state_dict().keys())
    x = req(randn(2, 6, d))
    recs.append(module_record("gpt.block", blk, [x], dict(x=x)))

    write(recs, keys)


def write(recs, keys):
    data = b"STRATAGD" + struct.pack("<II", 1, len(recs)) + b"".join(recs)
    os.makedirs(os.path.join(HERE, "attention"), exist_ok=True)
    path = os.path.join(HERE, "attention", "attention.bin")
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)
    print(f"{path}: {len(recs)} records, {len(data)} bytes")
    kpath = os.path.join(HERE, "attention", "keys.txt")
    with open(kpath, "w") as f:
        for name, ks in keys.items():
            f.write(name + " " + " ".join(ks) + "\n")
    print(kpath)


if __name__ == "__main__":
    main()
