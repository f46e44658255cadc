#!/usr/bin/python3
"""PyTorch side of bench/conv/conv_layer.cpp: the same layer, median ms per call of forward and backward.
   /usr/bin/python3 bench/conv/torch_conv_layer.py [threads=2] [reps=20] [n c h w cout k stride pad]"""
import sys
import time

import torch
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
n, c, h, w, cout, k, s, p = ([int(v) for v in sys.argv[3:11]] + [64, 32, 28, 28, 32, 3, 1, 1][len(sys.argv[3:11]):])
torch.set_num_threads(threads)
torch.manual_seed(0)
x = torch.randn(n, c, h, w, requires_grad=True)
wt = (torch.randn(cout, c, k, k) * 0.1).requires_grad_()
b = torch.randn(cout, requires_grad=True)
y = F.conv2d(x, wt, b, s, p)
g = torch.randn_like(y)


def median_ms(f):
    t = []
    for r in range(reps + 3):
        t0 = time.perf_counter()
        f()
        if r >= 3:
            t.append((time.perf_counter() - t0) * 1e3)
    t.sort()
    return t[len(t) // 2]


fwd = median_ms(lambda: F.conv2d(x, wt, b, s, p))
bwd = median_ms(lambda: F.conv2d(x, wt, b, s, p).backward(g)) - fwd
print(f"torch {torch.__version__} conv2d N={n} C={c} {h}x{w} Cout={cout} k={k} s={s} p={p} threads={threads}: "
      f"fwd {fwd:.2f} ms, bwd {bwd:.2f} ms, fwd+bwd {fwd + bwd:.2f} ms")
