#!/usr/bin/python3
"""The PyTorch side of the side-by-side benchmarks: the twin of bench/strata_bench.

Every workload here has the same name, metrics and units as its C++ twin (bench/workloads_*.cpp) and prints
the same JSON lines. Run it with Debian's interpreter (/usr/bin/python3); bench/run.py starts it with
LD_LIBRARY_PATH pointing at OpenBLAS's OpenMP build and records which BLAS is mapped into the process.

    /usr/bin/python3 bench/torch_bench.py --list
    /usr/bin/python3 bench/torch_bench.py NAME... [--segments N] [--segment-time S] [--warmup S] [--threads N]
                                          [--config default|foreach|tuned]

Configurations (--config; docs/benchmarks.md explains each setting and why):
  default  PyTorch 1.13's defaults: single-tensor optimizers, zero_grad() writing zeros, the models as written
           (nn.Flatten on (N, 1, 28, 28) batches, NCHW convolutions), torch.no_grad() for inference.
  foreach  default + multi-tensor (foreach=True) optimizers and zero_grad(set_to_none=True).
  tuned    foreach + the input layout the first layer wants: (N, 784) rows for MLPs, channels_last model and data
           for convolutional models (oneDNN's preferred layout), torch.inference_mode() for inference, and
           jemalloc (libjemalloc2, preloaded by re-executing this script) instead of glibc's malloc, as PyTorch's
           CPU performance guide recommends: glibc returns large freed blocks to the OS, and re-faulting them
           cost single-tensor Adam 60% of its time here (docs/benchmarks.md).
A workload lists the configurations that differ for it (--list); bench/run.py runs each of them and compares
Strata with the fastest.

Adding a workload: write one function decorated with @workload("name", "description") that builds its
inputs and calls ctx.throughput / ctx.latency / ctx.peak_rss, and register its C++ twin with STRATA_BENCHMARK.
"""
import argparse
import json
import os
import re
import resource
import sys
import time

import torch

WORKLOADS = {}
CONFIGS = ("default", "foreach", "tuned")
CONFIG = "tuned"  # set by --config before a workload runs


def workload(name, description, configs=("default", "tuned")):
    """configs: the --config values that give this workload a different PyTorch setup (run.py runs each)."""
    def register(fn):
        WORKLOADS[name] = (description, fn, tuple(configs))
        return fn
    return register


# Configuration helpers: every training workload builds its optimizer, zeroes its gradients and lays out its
# model and data through these, so --config changes only what it names.
def optimizer(cls, params, **kw):
    return cls(params, **kw) if CONFIG == "default" else cls(params, foreach=True, **kw)


def zero_grad(opt):
    opt.zero_grad() if CONFIG == "default" else opt.zero_grad(set_to_none=True)


def channels_last():
    return CONFIG == "tuned"


def inference_guard():
    return torch.inference_mode() if CONFIG == "tuned" else torch.no_grad()


TRAIN_CONFIGS = CONFIGS             # the layout matters: all three
OPTIM_CONFIGS = ("default", "tuned")  # only the optimizer settings differ (tuned == foreach)


# STRATA_BENCH_CLOCK=cpu: segments timed in process CPU time (as bench/main.cpp), for 1-thread comparisons on
# a machine that other processes keep busy.
clock = time.process_time if os.environ.get("STRATA_BENCH_CLOCK") == "cpu" else time.perf_counter


class Context:
    def __init__(self, name, segments, segment_seconds, warmup_seconds):
        self.name = name
        self.segments = segments
        self.segment_seconds = segment_seconds
        self.warmup_seconds = warmup_seconds

    def _time_segments(self, loop):
        """Seconds per call of each timed segment; loop(n) makes n calls."""
        n, warm_start = 1, clock()
        while True:
            t0 = clock()
            loop(n)
            dt = clock() - t0
            per_call = dt / n
            if clock() - warm_start >= self.warmup_seconds and dt >= 0.02:
                break
            n *= 2
        calls = max(1, int(self.segment_seconds / max(per_call, 1e-12)))
        out = []
        for _ in range(self.segments):
            t0 = clock()
            loop(calls)
            out.append((clock() - t0) / calls)
        return out

    def throughput(self, metric, work_per_call, loop):
        self._emit(metric, [work_per_call / s for s in self._time_segments(loop)], True)

    def latency(self, metric, scale, loop):
        self._emit(metric, [s * scale for s in self._time_segments(loop)], False)

    def peak_rss(self, metric="peak RSS (MiB)"):
        self._emit(metric, [peak_rss_mib()], False)

    def _emit(self, metric, values, higher_is_better):
        print(json.dumps({"type": "metric", "side": "pytorch", "config": CONFIG, "workload": self.name, "metric": metric,
                          "higher_is_better": higher_is_better, "values": [float(f"{v:.6g}") for v in values]}),
              flush=True)


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"


def mapped_allocator():
    with open("/proc/self/maps") as maps:
        return "jemalloc" if any("libjemalloc" in line for line in maps) else "glibc malloc"


def mapped_blas_libraries():
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if path.startswith("/") and re.search(r"(blas|lapack)[^/]*\.so", path):
                libs.add(path)
    return sorted(libs)


# ---- per-op overhead (twins of bench/workloads_core.cpp) ----

@workload("overhead.add_1x16", "c = a + b, 1x16 float32, inputs need no grad")
def overhead_add(ctx):
    a, b = torch.randn(1, 16), torch.randn(1, 16)

    def loop(n):
        for _ in range(n):
            c = a + b  # noqa: F841
    ctx.latency("ns/op", 1e9, loop)


@workload("overhead.add_1x16.autograd", "c = a + b, 1x16 float32, a and b require grad (graph node recorded and freed)")
def overhead_add_autograd(ctx):
    a, b = torch.randn(1, 16, requires_grad=True), torch.randn(1, 16, requires_grad=True)

    def loop(n):
        for _ in range(n):
            c = a + b  # noqa: F841
    ctx.latency("ns/op", 1e9, loop)


@workload("overhead.add_1x16.no_grad_mode", "c = a + b, 1x16 float32, a and b require grad, under NoGradGuard")
def overhead_add_no_grad(ctx):
    a, b = torch.randn(1, 16, requires_grad=True), torch.randn(1, 16, requires_grad=True)

    def loop(n):
        for _ in range(n):
            c = a + b  # noqa: F841
    with torch.no_grad():
        ctx.latency("ns/op", 1e9, loop)


# ---- elementwise bandwidth (workloads_core.cpp, workloads_elementwise.cpp, workloads_activation.cpp) ----

N_1M = 1 << 20


@workload("elementwise.add_1M", "c = a + b, 2^20 float32 each (12 MiB moved per op)")
def add_1m(ctx):
    a, b = torch.randn(N_1M), torch.randn(N_1M)

    def loop(n):
        for _ in range(n):
            c = a + b  # noqa: F841
    ctx.throughput("GB/s", 3 * 4 * N_1M / 1e9, loop)


def unary_bandwidth(ctx, fn):
    x = torch.randn(N_1M)

    def loop(n):
        for _ in range(n):
            y = fn(x)  # noqa: F841
    ctx.throughput("GB/s", 2 * 4 * N_1M / 1e9, loop)


@workload("elementwise.exp_1M", "y = exp(x), 2^20 float32 (8 MiB moved per op)")
def exp_1m(ctx):
    unary_bandwidth(ctx, torch.exp)


@workload("elementwise.relu_1M", "y = relu(x), 2^20 float32 (8 MiB moved per op)")
def relu_1m(ctx):
    unary_bandwidth(ctx, torch.relu)


# ---- GEMM (twins of bench/workloads_linalg.cpp) ----

def gemm(ctx, m, k, n):
    a, b = torch.randn(m, k), torch.randn(k, n)

    def loop(calls):
        for _ in range(calls):
            c = torch.matmul(a, b)  # noqa: F841
    ctx.throughput("GFLOP/s", 2.0 * m * k * n / 1e9, loop)


@workload("gemm.128x784x512", "matmul (128, 784) @ (784, 512): MLP layer 1 forward")
def gemm_mlp1(ctx):
    gemm(ctx, 128, 784, 512)


@workload("gemm.128x512x256", "matmul (128, 512) @ (512, 256): MLP layer 2 forward")
def gemm_mlp2(ctx):
    gemm(ctx, 128, 512, 256)


@workload("gemm.128x256x10", "matmul (128, 256) @ (256, 10): MLP layer 3 forward")
def gemm_mlp3(ctx):
    gemm(ctx, 128, 256, 10)


@workload("gemm.t.512x128x784", "matmul G.t() @ X, G (128, 512), X (128, 784): layer 1 dW")
def gemm_mlp1_dw(ctx):
    g, x = torch.randn(128, 512), torch.randn(128, 784)

    def loop(calls):
        for _ in range(calls):
            c = torch.matmul(g.t(), x)  # noqa: F841
    ctx.throughput("GFLOP/s", 2.0 * 512 * 128 * 784 / 1e9, loop)


@workload("gemm.256x256x256", "matmul of two 256x256 float32 matrices")
def gemm_256(ctx):
    gemm(ctx, 256, 256, 256)


@workload("gemm.512x512x512", "matmul of two 512x512 float32 matrices")
def gemm_512(ctx):
    gemm(ctx, 512, 512, 512)


@workload("gemm.1024x1024x1024", "matmul of two 1024x1024 float32 matrices")
def gemm_1024(ctx):
    gemm(ctx, 1024, 1024, 1024)


# ---- MLP inference (twin of bench/workloads_mlp.cpp) ----

@workload("mlp.infer_b1", "MLP 784-512-256-10 forward on one 1x784 input under NoGradGuard (PyTorch: no_grad, "
          "or inference_mode on a (1, 784) input when tuned)", ("default", "tuned"))
def mlp_infer_b1(ctx):
    nn = torch.nn
    layers = [nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)]
    if CONFIG == "tuned":
        model, x = nn.Sequential(*layers).eval(), torch.randn(1, 784)
    else:
        model, x = nn.Sequential(nn.Flatten(), *layers).eval(), torch.randn(1, 1, 28, 28)

    def loop(calls):
        for _ in range(calls):
            y = model(x)  # noqa: F841
    with inference_guard():
        ctx.latency("us/forward", 1e6, loop)


@workload("lenet.infer_b1", "LeNet-5 forward on one (1, 1, 28, 28) image, eval, under NoGradGuard (PyTorch: no_grad, "
          "or inference_mode with channels_last when tuned)", ("default", "tuned"))
def lenet_infer_b1(ctx):
    model, x = lenet_model().eval(), torch.randn(1, 1, 28, 28)
    if channels_last():
        model, x = model.to(memory_format=torch.channels_last), x.to(memory_format=torch.channels_last)

    def loop(calls):
        for _ in range(calls):
            y = model(x)  # noqa: F841
    with inference_guard():
        ctx.latency("us/forward", 1e6, loop)


# ---- Char-level LSTM / GRU training (twin of bench/workloads_rnn.cpp) ----

class CharRNN(torch.nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.emb = torch.nn.Embedding(96, 64)
        self.rnn = cell(64, 256, num_layers=2)
        self.head = torch.nn.Linear(256, 96)

    def forward(self, x):
        return self.head(self.rnn(self.emb(x))[0])


def char_rnn(ctx, cell, bf16=False):
    T, B, V = 64, 32, 96
    model = CharRNN(cell)
    opt = optimizer(torch.optim.Adam, model.parameters(), lr=2e-3)
    corpus = torch.randint(0, V, (200000,))
    gen = torch.Generator().manual_seed(1)

    def step():
        starts = torch.randint(0, corpus.numel() - T - 1, (B,), generator=gen)
        idx = starts[None, :] + torch.arange(T)[:, None]  # (T, B)
        x, y = corpus[idx], corpus[idx + 1]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = torch.nn.functional.cross_entropy(model(x).reshape(T * B, V), y.reshape(T * B))
        zero_grad(opt)
        loss.backward()
        opt.step()

    def loop(calls):
        for _ in range(calls):
            step()
    ctx.throughput("tokens/s", T * B, loop)
    ctx.peak_rss()


@workload("char_lstm.train", "char LSTM: Embedding(96,64) -> 2x LSTM 256 -> Linear(256,96), T64 B32, Adam: one step", OPTIM_CONFIGS)
def char_lstm_train(ctx):
    char_rnn(ctx, torch.nn.LSTM)


@workload("char_lstm.train_bf16",
          "char LSTM: Embedding(96,64) -> 2x LSTM 256 -> Linear(256,96), T64 B32, Adam: one step, bf16 autocast",
          OPTIM_CONFIGS)
def char_lstm_train_bf16(ctx):
    char_rnn(ctx, torch.nn.LSTM, bf16=True)


@workload("char_gru.train", "char GRU: Embedding(96,64) -> 2x GRU 256 -> Linear(256,96), T64 B32, Adam: one step", OPTIM_CONFIGS)
def char_gru_train(ctx):
    char_rnn(ctx, torch.nn.GRU)


# ---- GPT training step (twin of bench/workloads_gpt.cpp; the GPT baseline workload) ----

class _GPTBlock(torch.nn.Module):
    """Pre-LN block: causal attention (fused qkv, explicit q@k^T / masked_fill / softmax / @v, as PyTorch 1.13 has
    no fused SDPA) and an exact-GELU MLP."""

    def __init__(self, d, heads, ctx):
        super().__init__()
        self.ln_1 = torch.nn.LayerNorm(d)
        self.c_attn = torch.nn.Linear(d, 3 * d)
        self.c_proj = torch.nn.Linear(d, d)
        self.ln_2 = torch.nn.LayerNorm(d)
        self.c_fc = torch.nn.Linear(d, 4 * d)
        self.mlp_proj = torch.nn.Linear(4 * d, d)
        self.heads = heads
        self.register_buffer("mask", torch.ones(ctx, ctx, dtype=torch.bool).tril().logical_not())

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / (C // self.heads) ** 0.5)
        att = torch.softmax(att.masked_fill(self.mask[:T, :T], float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(torch.nn.functional.gelu(self.c_fc(self.ln_2(x))))


class _TinyGPT(torch.nn.Module):
    def __init__(self, vocab, ctx, d, heads, layers):
        super().__init__()
        self.wte = torch.nn.Embedding(vocab, d)
        self.wpe = torch.nn.Embedding(ctx, d)
        self.h = torch.nn.ModuleList(_GPTBlock(d, heads, ctx) for _ in range(layers))
        self.ln_f = torch.nn.LayerNorm(d)
        self.lm_head = torch.nn.Linear(d, vocab, bias=False)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for blk in self.h:
            x = blk(x)
        return self.lm_head(self.ln_f(x))


@workload("attention.causal_b16_h4_t128_d32",
          "causal attention (16, 4, 128, 32), forward + backward (PyTorch: q@k^T, masked_fill, softmax, @v)")
def sdpa_causal(ctx):
    q, k, v = (torch.randn(16, 4, 128, 32, requires_grad=True) for _ in range(3))
    g = torch.randn(16, 4, 128, 32)
    mask = torch.ones(128, 128, dtype=torch.bool).tril().logical_not()

    def loop(calls):
        for _ in range(calls):
            att = torch.softmax((q @ k.transpose(-2, -1) * (32 ** -0.5)).masked_fill(mask, float("-inf")), -1)
            torch.autograd.grad(att @ v, [q, k, v], g)
    ctx.throughput("tokens/s", 16 * 128, loop)


def gpt_train(ctx, bf16=False):
    V, T, B = 96, 128, 16
    model = _TinyGPT(V, T, 128, 4, 4)
    opt = optimizer(torch.optim.Adam, model.parameters(), lr=3e-4)
    data = torch.randint(0, V, (B, T + 1))
    x, y = data[:, :T].contiguous(), data[:, 1:].reshape(B * T)

    def loop(steps):
        for _ in range(steps):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = torch.nn.functional.cross_entropy(model(x).view(B * T, V), y)
            zero_grad(opt)
            loss.backward()
            opt.step()
    ctx.throughput("tokens/s", B * T, loop)
    ctx.peak_rss()


@workload("gpt.train_t128_b16", "GPT d128 h4 L4 (fused qkv, GELU MLP 512), T 128, batch 16, Adam 3e-4: one training step", OPTIM_CONFIGS)
def gpt_train_fp32(ctx):
    gpt_train(ctx)


@workload("gpt.train_t128_b16_bf16",
          "GPT d128 h4 L4 (fused qkv, GELU MLP 512), T 128, batch 16, Adam 3e-4: one training step, under bf16 autocast",
          OPTIM_CONFIGS)
def gpt_train_bf16(ctx):
    gpt_train(ctx, bf16=True)


# ---- training on Fashion-MNIST (twins of bench/workloads_train.cpp; models as in pytorch-baselines.md) ----

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def load_fashion_mnist():
    """The training set as float32 (60000, 1, 28, 28), normalised as Strata's data::FashionMNIST, and int64 labels."""
    import gzip
    import numpy as np
    with gzip.open(f"{FASHION_MNIST}/train-images-idx3-ubyte.gz", "rb") as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(f"{FASHION_MNIST}/train-labels-idx1-ubyte.gz", "rb") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    x = (torch.from_numpy(images.astype(np.float32)) / 255.0 - 0.2860) / 0.3530
    return x, torch.from_numpy(labels.astype(np.int64))


def train_throughput(ctx, model, make_opt, batch, bf16=False, flat=False):
    """bf16: forward and loss under torch.autocast("cpu", dtype=torch.bfloat16), as the Strata twins' Stepper does.
    PyTorch 1.13's CPU autocast has no float16, so the *.train_fp16 workloads are Strata-only.
    flat: the model takes (N, 784) rows (tuned MLP); otherwise (N, 1, 28, 28) images, channels_last when tuned.
    make_opt(params) builds the optimizer (after the model has its final memory format)."""
    x_all, y_all = load_fashion_mnist()
    if flat:
        x_all = x_all.reshape(-1, 784).contiguous()
    elif channels_last():
        model = model.to(memory_format=torch.channels_last)
        x_all = x_all.contiguous(memory_format=torch.channels_last)
    opt = make_opt(model.parameters())
    perm = torch.randperm(x_all.shape[0], generator=torch.Generator().manual_seed(0))
    loss_fn = torch.nn.CrossEntropyLoss()
    pos = [0]
    model.train()

    def loop(steps):
        for _ in range(steps):
            if pos[0] + batch > perm.shape[0]:
                pos[0] = 0
            idx = perm[pos[0]:pos[0] + batch]
            pos[0] += batch
            x, y = x_all[idx], y_all[idx]
            zero_grad(opt)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
    ctx.throughput("samples/s", batch, loop)
    ctx.peak_rss()


@workload("mlp.train", "MLP 784-512-256-10 ReLU, Adam lr 1e-3, batch 128, Fashion-MNIST in memory: one training step",
          ("default", "foreach", "tuned"))
def mlp_train(ctx, bf16=False):
    nn = torch.nn
    flat = CONFIG == "tuned"  # rows of 784 go straight into the first Linear; otherwise nn.Flatten on images
    layers = [nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)]
    model = nn.Sequential(*layers) if flat else nn.Sequential(nn.Flatten(), *layers)
    train_throughput(ctx, model, lambda p: optimizer(torch.optim.Adam, p, lr=1e-3), 128, bf16, flat)


def lenet_model():
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


@workload("lenet.train", "LeNet-5 (conv5x5 1-6 pad 2, pool, conv5x5 6-16, pool, fc 120-84-10), SGD lr 0.01 momentum 0.9, "
          "batch 64, Fashion-MNIST in memory: one training step", ("default", "foreach", "tuned"))
def lenet_train(ctx, bf16=False):
    train_throughput(ctx, lenet_model(), lambda p: optimizer(torch.optim.SGD, p, lr=0.01, momentum=0.9), 64, bf16)


class BasicBlock(torch.nn.Module):
    """torchvision's BasicBlock: conv3x3-BN-ReLU-conv3x3-BN + skip (1x1 conv + BN when the shape changes), ReLU."""

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        nn = torch.nn
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


@workload("resnet.train", "small ResNet (conv3x3 1-32 + BN + ReLU, 2 BasicBlocks of 32, BasicBlock 32-64 stride 2, global "
          "average pool, fc 10), Adam lr 1e-3, batch 128, Fashion-MNIST in memory: one training step", ("default", "foreach", "tuned"))
def resnet_train(ctx, bf16=False):
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
                          BasicBlock(32, 32), BasicBlock(32, 32), BasicBlock(32, 64, 2), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(64, 10))
    train_throughput(ctx, model, lambda p: optimizer(torch.optim.Adam, p, lr=1e-3), 128, bf16)


# The bf16 twins: the same step under torch.autocast("cpu", dtype=torch.bfloat16).
for _name, _fn in (("mlp", mlp_train), ("lenet", lenet_train), ("resnet", resnet_train)):
    workload(f"{_name}.train_bf16", WORKLOADS[f"{_name}.train"][0] + ", under bf16 autocast", TRAIN_CONFIGS)(
        lambda ctx, _fn=_fn: _fn(ctx, bf16=True))


def _deterministic(fn, ctx):
    torch.use_deterministic_algorithms(True)
    try:
        fn(ctx)
    finally:
        torch.use_deterministic_algorithms(False)


# The deterministic twins: the same step under torch.use_deterministic_algorithms(True).
for _name, _fn in (("mlp", mlp_train), ("lenet", lenet_train), ("resnet", resnet_train)):
    workload(f"{_name}.train_deterministic", WORKLOADS[f"{_name}.train"][0] + ", deterministic algorithms",
             TRAIN_CONFIGS)(
        lambda ctx, _fn=_fn: _deterministic(_fn, ctx))


# ---- generative models on Fashion-MNIST (twins of bench/workloads_generative.cpp) ----
# Tuned (--config tuned or foreach): foreach (multi-tensor) Adam and zero_grad(set_to_none=True); the DCGAN's
# G step also leaves D's weight gradients off. --config default runs PyTorch 1.13's defaults.
def adam(params, **kw):
    return optimizer(torch.optim.Adam, params, **kw)


def load_fashion_mnist_pixels():
    """The training set as float32 pixels in [0, 1], (60000, 1, 28, 28)."""
    x, _ = load_fashion_mnist()
    return x * 0.3530 + 0.2860


class _VAE(torch.nn.Module):
    def __init__(self, latent):
        super().__init__()
        nn = torch.nn
        self.latent = latent
        self.encoder = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                                     nn.Linear(256, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(),
                                     nn.Linear(512, 784), nn.Sigmoid())

    def forward(self, x):
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decoder(z), mu, logvar


@workload("vae.train_b128", "MLP VAE 784-512-256-(2x20) / 20-256-512-784 Sigmoid, BCE (sum per example) + KL, Adam "
          "lr 1e-3, batch 128, Fashion-MNIST pixels in [0, 1]: one training step", OPTIM_CONFIGS)
def vae_train(ctx):
    F = torch.nn.functional
    batch = 128
    x_all = load_fashion_mnist_pixels().reshape(-1, 784).contiguous()
    perm = torch.randperm(x_all.shape[0], generator=torch.Generator().manual_seed(0))
    model = _VAE(20)
    opt = adam(model.parameters(), lr=1e-3)
    model.train()
    pos = [0]

    def loop(steps):
        for _ in range(steps):
            if pos[0] + batch > perm.shape[0]:
                pos[0] = 0
            x = x_all[perm[pos[0]:pos[0] + batch]]
            pos[0] += batch
            zero_grad(opt)
            recon, mu, logvar = model(x)
            rec = F.binary_cross_entropy(recon, x, reduction="sum") / batch
            kl = -0.5 * torch.sum(1 + logvar - mu * mu - torch.exp(logvar)) / batch
            loss = rec + kl
            loss.backward()
            opt.step()
            loss.item(), rec.item(), kl.item()  # logged, as train::VAETask does
    ctx.throughput("samples/s", batch, loop)
    ctx.peak_rss()


def _dcgan(noise):
    nn = torch.nn
    g = nn.Sequential(nn.Linear(noise, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (128, 7, 7)),
                      nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                      nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
    d = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128),
                      nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
    return g, d


@workload("dcgan.train_b64", "DCGAN 28x28: G 64 -> fc 6272 + BN + ReLU -> (128, 7, 7) -> convT 4x4/2 64 + BN + ReLU -> "
          "convT 4x4/2 1 + Tanh; D conv 4x4/2 64 + LReLU -> conv 4x4/2 128 + BN + LReLU -> fc 1; Adam 2e-4 beta1 0.5 "
          "each, batch 64, Fashion-MNIST in [-1, 1]: one D step + one G step", OPTIM_CONFIGS)
def dcgan_train(ctx):
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    batch, noise = 64, 64
    x_all = (load_fashion_mnist_pixels() * 2 - 1).contiguous()
    perm = torch.randperm(x_all.shape[0], generator=torch.Generator().manual_seed(0))
    g, d = _dcgan(noise)
    g_opt = adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    g.train()
    d.train()
    pos = [0]

    def loop(steps):
        for _ in range(steps):
            if pos[0] + batch > perm.shape[0]:
                pos[0] = 0
            real = x_all[perm[pos[0]:pos[0] + batch]]
            pos[0] += batch
            # Discriminator: real -> 1, a detached fake batch -> 0 (two D calls, as train::GANTask).
            zero_grad(d_opt)
            with torch.no_grad():
                fake = g(torch.randn(batch, noise))
            lr, lf = d(real), d(fake)
            d_loss = bce(lr, torch.ones_like(lr)) + bce(lf, torch.zeros_like(lf))
            d_loss.backward()
            d_opt.step()
            with torch.no_grad():  # logged, as train::GANTask does
                torch.sigmoid(lr).mean().item(), torch.sigmoid(lf).mean().item()
            # Generator: non-saturating loss on fresh noise. Tuned: D's weight gradients are not computed during the
            # G step (requires_grad off, as train::GANTask does); PyTorch's DCGAN example leaves them on.
            zero_grad(g_opt)
            if CONFIG != "default":
                d.requires_grad_(False)
            lf = d(g(torch.randn(batch, noise)))
            g_loss = bce(lf, torch.ones_like(lf))
            g_loss.backward()
            if CONFIG != "default":
                d.requires_grad_(True)
            g_opt.step()
            d_loss.item(), g_loss.item()
    ctx.throughput("samples/s", batch, loop)
    ctx.peak_rss()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*")
    p.add_argument("--list", action="store_true")
    p.add_argument("--all", action="store_true")
    p.add_argument("--segments", type=int, default=5)
    p.add_argument("--segment-time", type=float, default=0.25)
    p.add_argument("--warmup", type=float, default=0.2)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--config", choices=CONFIGS, default="tuned",
                   help="PyTorch configuration (default: tuned); see the top of this file")
    args = p.parse_args()
    global CONFIG
    CONFIG = args.config

    if args.list:
        for name, (description, _, configs) in WORKLOADS.items():
            print(json.dumps({"type": "workload", "workload": name, "description": description,
                              "configs": list(configs)}))
        return 0
    if CONFIG == "tuned" and os.path.exists(JEMALLOC) and JEMALLOC not in os.environ.get("LD_PRELOAD", ""):
        # The allocator must be in place before the interpreter allocates: start again with it preloaded.
        env = dict(os.environ, LD_PRELOAD=":".join(filter(None, [JEMALLOC, os.environ.get("LD_PRELOAD")])))
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    if args.threads:
        torch.set_num_threads(args.threads)
    names = list(WORKLOADS) if args.all else args.names
    if not names:
        p.print_usage(sys.stderr)
        return 2
    status = 0
    for name in names:
        if name not in WORKLOADS:
            print(f"torch_bench: unknown workload '{name}' (see --list)", file=sys.stderr)
            status = 1
            continue
        torch.manual_seed(0)
        try:
            WORKLOADS[name][1](Context(name, args.segments, args.segment_time, args.warmup))
            print(json.dumps({"type": "meta", "side": "pytorch", "workload": name, "config": CONFIG,
                              "allocator": mapped_allocator(), "threads": torch.get_num_threads(),
                              "torch": torch.__version__, "peak_rss_mib": round(peak_rss_mib(), 2),
                              "blas": mapped_blas_libraries()}), flush=True)
        except Exception as e:  # reported as a row error, the other workloads still run
            print(json.dumps({"type": "error", "side": "pytorch", "config": CONFIG, "workload": name,
                              "error": repr(e)}), flush=True)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
