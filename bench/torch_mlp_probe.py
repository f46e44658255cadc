#!/usr/bin/python3
"""Where PyTorch's mlp.train step goes on 1 thread: the batch gather as (N, 1, 28, 28) or (N, 784), forward +
backward with and without nn.Flatten, and one Adam step single-tensor and foreach (docs/benchmarks.md, "Why
PyTorch's MLP swings"). Times are process CPU time per call, in microseconds. Run it twice to see glibc's
allocator at work:

    OMP_NUM_THREADS=1 LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/time -f "%R faults" \\
        /usr/bin/python3 bench/torch_mlp_probe.py
    MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=1073741824 (the same command)
"""
import time

import torch

torch.set_num_threads(1)


def per_call_us(f, n=300):
    f()
    t0 = time.process_time()
    for _ in range(n):
        f()
    return (time.process_time() - t0) / n * 1e6


def main():
    x4 = torch.randn(60000, 1, 28, 28)
    x2 = x4.reshape(-1, 784).contiguous()
    idx = torch.randperm(60000)[:128]
    print(f"gather (N, 1, 28, 28): {per_call_us(lambda: x4[idx]):.1f} us")
    print(f"gather (N, 784):       {per_call_us(lambda: x2[idx]):.1f} us")
    nn = torch.nn
    layers = [nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)]
    m4, m2 = nn.Sequential(nn.Flatten(), *layers), nn.Sequential(*layers)
    a, b, y = x4[idx], x2[idx], torch.randint(0, 10, (128,))
    loss = nn.CrossEntropyLoss()

    def fwd_bwd(m, x):
        for p in m.parameters():
            p.grad = None
        loss(m(x), y).backward()
    print(f"forward + backward, Flatten on images: {per_call_us(lambda: fwd_bwd(m4, a)):.0f} us")
    print(f"forward + backward, rows:              {per_call_us(lambda: fwd_bwd(m2, b)):.0f} us")
    single = torch.optim.Adam(m2.parameters(), lr=1e-3)
    multi = torch.optim.Adam(m2.parameters(), lr=1e-3, foreach=True)
    fwd_bwd(m2, b)
    print(f"Adam step, single-tensor: {per_call_us(single.step):.0f} us")
    print(f"Adam step, foreach:       {per_call_us(multi.step):.0f} us")


if __name__ == "__main__":
    main()
