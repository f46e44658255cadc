#!/usr/bin/python3
"""Golden safetensors files for tests/io (run with Debian's /usr/bin/python3 and python3-torch).

Debian has no `safetensors` Python package, so this script reads and writes the format by hand with
json + struct, following the specification (https://github.com/huggingface/safetensors):
  8-byte little-endian header length N | N bytes of JSON header | data section
with {"dtype", "shape", "data_offsets"} per tensor and an optional "__metadata__" of strings. Like the
reference writer, header keys are sorted, the data is ordered by dtype size (largest first) then name,
and the header is padded with spaces to a multiple of 8 bytes.

It writes
  io_torch.safetensors  tensors made by torch (a Linear layer with its input and torch's output, and one
                        tensor of each supported dtype), loaded by tests/io/safetensors_test.cpp;
and checks
  io_strata.safetensors the file written by Strata's writer (committed; regenerate it with
                        STRATA_UPDATE_GOLDEN=1 build/tests/strata_io_tests --gtest_filter='*StrataWritten*'),
                        which must parse with this reader and equal the same tensors built in torch.

Usage: /usr/bin/python3 tests/golden/make_golden_io.py
"""
import json
import os
import struct
import sys
import zlib

import torch

HERE = os.path.dirname(os.path.abspath(__file__))

DTYPES = {
    "F32": torch.float32,
    "F64": torch.float64,
    "I64": torch.int64,
    "BOOL": torch.bool,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
}
NAMES = {v: k for k, v in DTYPES.items()}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata=None):
    order = sorted(tensors, key=lambda k: (-tensors[k].element_size(), k))
    entries, chunks, offset = {}, [], 0
    for name in order:
        t = tensors[name]
        data = tensor_bytes(t)
        entries[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name in sorted(entries):
        header[name] = entries[name]
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def read_safetensors(path):
    """Reads and validates a file as the specification requires; returns (tensors in file order, metadata)."""
    with open(path, "rb") as f:
        blob = f.read()
    assert len(blob) >= 8, f"{path}: shorter than 8 bytes"
    (n,) = struct.unpack("<Q", blob[:8])
    assert 8 + n <= len(blob), f"{path}: header length {n} past the end"
    header = json.loads(blob[8 : 8 + n].decode("utf-8"), object_pairs_hook=_no_duplicates)
    data = blob[8 + n :]
    metadata = header.pop("__metadata__", {})
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()), "metadata must be strings"
    # Strata's per-tensor checksums: zlib CRC-32 of each tensor's bytes, as 8 hex digits (docs/io.md).
    sums = json.loads(metadata.pop("strata.crc32", "{}"))
    assert set(sums) <= set(header), f"{path}: checksums for missing tensors {set(sums) - set(header)}"
    for name, crc in sums.items():
        b, e = header[name]["data_offsets"]
        assert f"{zlib.crc32(data[b:e]):08x}" == crc, f"{path}: tensor {name}: checksum mismatch"
    spans, tensors = [], {}
    for name, e in header.items():
        assert set(e) == {"dtype", "shape", "data_offsets"}, f"{name}: fields {sorted(e)}"
        dtype = DTYPES[e["dtype"]]
        shape = e["shape"]
        assert all(isinstance(d, int) and d >= 0 for d in shape), f"{name}: shape {shape}"
        begin, end = e["data_offsets"]
        numel = 1
        for d in shape:
            numel *= d
        itemsize = torch.empty(0, dtype=dtype).element_size()
        assert 0 <= begin <= end <= len(data) and end - begin == numel * itemsize, f"{name}: offsets {begin},{end}"
        spans.append((begin, end, name))
        raw = bytearray(data[begin:end])
        if dtype in (torch.float16, torch.bfloat16):
            t = torch.frombuffer(raw, dtype=torch.int16).view(dtype) if raw else torch.empty(0, dtype=dtype)
        else:
            t = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(shape).clone()
    pos = 0
    for begin, end, name in sorted(spans):
        assert begin == pos, f"{name}: data not contiguous at {begin} (expected {pos})"
        pos = end
    assert pos == len(data), f"{path}: {len(data) - pos} trailing bytes"
    ordered = {name: tensors[name] for _, _, name in sorted(spans)}
    return ordered, metadata


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate keys in {keys}"
    return dict(pairs)


def torch_golden():
    torch.manual_seed(0)
    fc = torch.nn.Linear(4, 3)
    x = torch.randn(2, 4)
    with torch.no_grad():
        y = fc(x)
    half = torch.tensor([0.5, -1.5, 65504.0, 6e-8, 1.0 / 3.0], dtype=torch.float16)
    bf16 = torch.tensor([1.0 / 3.0, -2.5e-5, 3.0e38], dtype=torch.bfloat16)
    return {
        "fc.weight": fc.weight.detach().clone(),
        "fc.bias": fc.bias.detach().clone(),
        "input": x,
        "output": y,
        "ramp": (torch.arange(6, dtype=torch.float32) * 0.25 - 1.0).reshape(2, 3),
        "f64": torch.tensor([[0.1, -2.5], [1e-300, 3.0]], dtype=torch.float64),
        "i64": torch.tensor([-(2**62), -1, 0, 2**62 + 1], dtype=torch.int64),
        "mask": torch.tensor([[True, False, True], [False, False, True]]),
        "half": half,
        "half_as_f32": half.float(),
        "bf16": bf16,
        "bf16_as_f32": bf16.float(),
        "scalar": torch.tensor(42.5),
        "empty": torch.zeros(0, 2),
    }


def strata_expected():
    """The tensors tests/io/safetensors_test.cpp (strata_golden_state) writes to io_strata.safetensors."""
    return {
        "layers.0.weight": (torch.arange(6, dtype=torch.float32).reshape(3, 2) * 0.5 - 1.0).t(),
        "layers.0.bias": torch.tensor([0.1, -0.2], dtype=torch.float64),
        "steps": torch.tensor(123456789012345, dtype=torch.int64),
        "flags": torch.tensor([True, False, True]),
        "h": torch.tensor([1.5, -0.25], dtype=torch.float16),
        "b": torch.tensor([3.0, -0.125], dtype=torch.bfloat16),
        "empty": torch.zeros(0),
    }, {"producer": "strata", "note": 'golden "quoted" \u20ac'}


def same(a, b):
    return a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape) and torch.equal(a, b)


def main():
    golden = torch_golden()
    path = os.path.join(HERE, "io_torch.safetensors")
    write_safetensors(path, golden, {"format": "pt", "producer": "make_golden_io.py"})
    back, meta = read_safetensors(path)
    assert meta == {"format": "pt", "producer": "make_golden_io.py"}
    for k, v in golden.items():
        assert same(back[k], v), k
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(golden)} tensors)")

    path = os.path.join(HERE, "io_strata.safetensors")
    if not os.path.exists(path):
        sys.exit(f"{path} is missing: run STRATA_UPDATE_GOLDEN=1 build/tests/strata_io_tests first")
    got, meta = read_safetensors(path)
    want, want_meta = strata_expected()
    assert meta == want_meta, meta
    assert list(got) == list(want), list(got)  # Strata writes in insertion order
    for k, v in want.items():
        assert same(got[k], v), f"{k}: {got[k]} != {v}"
    print(f"checked {path}: {len(want)} tensors and the metadata equal torch's")


if __name__ == "__main__":
    main()
