"""PyTorch twin of `make demo` (examples/lenet/config.json) for the per-epoch time in docs/benchmarks.md.

LeNet-5 with 16 and 32 filters (conv5x5 pad 2, ReLU, maxpool, conv5x5, ReLU, maxpool, fc 128, 84, 10), Adam lr 2e-3
with a per-step cosine decay over all epochs, batch 64, shuffled Fashion-MNIST normalised with (x/255 - 0.2860) / 0.3530.
Prints the seconds of each epoch (data gathering included, evaluation excluded) and the test accuracy.
Run with Debian's interpreter:  /usr/bin/python3 bench/torch_demo_epoch.py --epochs 1 --threads 2 [--tuned]
--tuned configures PyTorch for speed as bench/torch_bench.py's "tuned" configuration does: foreach Adam,
channels_last model and data, and jemalloc preloaded (the script re-executes itself with LD_PRELOAD).
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np
import torch

ROOT = "/usr/share/datasets/fashion-mnist/"


def load(prefix):
    with gzip.open(ROOT + prefix + "-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(ROOT + prefix + "-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    x = (torch.from_numpy(x.astype(np.float32)) / 255 - 0.2860) / 0.3530
    return x, torch.from_numpy(y.astype(np.int64))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tuned", action="store_true", help="foreach Adam, channels_last, jemalloc")
    args = ap.parse_args()
    jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
    if args.tuned and os.path.exists(jemalloc) and jemalloc not in os.environ.get("LD_PRELOAD", ""):
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, LD_PRELOAD=jemalloc))
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 5), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(800, 128), nn.ReLU(), nn.Linear(128, 84), nn.ReLU(),
                          nn.Linear(84, 10))
    if args.tuned:
        model = model.to(memory_format=torch.channels_last)
        xtr, xte = xtr.contiguous(memory_format=torch.channels_last), xte.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3, foreach=True) if args.tuned else \
        torch.optim.Adam(model.parameters(), lr=2e-3)
    steps_per_epoch = (len(xtr) + 63) // 64
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps_per_epoch * args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 64):
            idx = perm[i:i + 64]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
            sched.step()
        secs = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"epoch {epoch + 1}: {secs:.2f} s, test accuracy {100 * acc:.2f}%", flush=True)


if __name__ == "__main__":
    main()
