#!/usr/bin/python3
"""The PyTorch side of bench/dist_scaling.py: the twin of bench/dist/dist_scaling.cpp.

    /usr/bin/python3 bench/dist/torch_dist_scaling.py --model mlp --ranks 2 --threads 1

The models, optimizers and global batches of bench/torch_bench.py's training workloads, configured as its "tuned"
config is (foreach optimizers, zero_grad(set_to_none=True), (N, 784) rows for the MLP, channels_last for the
convolutional models, jemalloc preloaded). With --ranks 2 it spawns that many processes (torch.multiprocessing,
gloo over 127.0.0.1), each wrapping the model in DistributedDataParallel (its defaults: 25 MB buckets) and taking
its share of every global batch. Timing as the C++ twin: segments that start and end with a barrier; rank 0 prints
one JSON line.
"""
import argparse
import json
import os
import socket
import statistics
import sys
import time

import torch
import torch.distributed as dist

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import torch_bench as tb  # noqa: E402  (the models and data of the side-by-side benchmarks)

tb.CONFIG = "tuned"


def build(name, world, rank):
    """(model, optimizer, global batch, tokens per sample, unit, next_batch) for this rank's share."""
    nn = torch.nn
    if name == "gpt":
        V, T, B = 96, 128, 16
        b = B // world
        model = tb._TinyGPT(V, T, 128, 4, 4)
        for blk in model.h:  # the causal mask is a bool buffer, which gloo cannot broadcast: a plain attribute
            mask = blk._buffers.pop("mask")
            blk.mask = mask
        opt = tb.optimizer(torch.optim.Adam, model.parameters(), lr=3e-4)
        data = torch.randint(0, V, (B, T + 1), generator=torch.Generator().manual_seed(0))
        rows = data[rank * b:(rank + 1) * b]
        x, y = rows[:, :T].contiguous(), rows[:, 1:].reshape(b * T)

        def loss_fn(m):
            return torch.nn.functional.cross_entropy(m(x).view(b * T, V), y)
        return model, opt, B, T, "tokens/s", lambda: loss_fn
    x_all, y_all = tb.load_fashion_mnist()
    if name == "mlp":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
        x_all = x_all.reshape(-1, 784).contiguous()
        B, make_opt = 128, lambda p: tb.optimizer(torch.optim.Adam, p, lr=1e-3)
    elif name == "lenet":
        model = tb.lenet_model()
        B, make_opt = 64, lambda p: tb.optimizer(torch.optim.SGD, p, lr=0.01, momentum=0.9)
    elif name == "resnet_small":
        model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
                              tb.BasicBlock(32, 32), tb.BasicBlock(32, 32), tb.BasicBlock(32, 64, 2),
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
        B, make_opt = 128, lambda p: tb.optimizer(torch.optim.Adam, p, lr=1e-3)
    else:
        raise SystemExit(f"torch_dist_scaling: unknown model '{name}' (mlp, lenet, resnet_small, gpt)")
    if name != "mlp" and tb.channels_last():
        model = model.to(memory_format=torch.channels_last)
        x_all = x_all.contiguous(memory_format=torch.channels_last)
    model.train()
    opt = make_opt(model.parameters())
    perm = torch.randperm(x_all.shape[0], generator=torch.Generator().manual_seed(0))
    b = B // world
    ce = torch.nn.CrossEntropyLoss()
    pos = [0]

    def next_batch():
        if pos[0] + B > perm.shape[0]:
            pos[0] = 0
        idx = perm[pos[0] + rank * b:pos[0] + (rank + 1) * b]
        pos[0] += B
        x, y = x_all[idx], y_all[idx]
        return lambda m: ce(m(x), y)
    return model, opt, B, 1, "samples/s", next_batch


def agree(v, world):
    """Rank 0's value on every rank."""
    if world == 1:
        return v
    t = torch.tensor([v if dist.get_rank() == 0 else 0.0], dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return t.item()


def barrier(world):
    if world > 1:
        dist.barrier()


def worker(rank, args, port):
    world = args.ranks
    torch.set_num_threads(args.threads)
    if world > 1:
        os.environ["MASTER_ADDR"] = "127.0.0.1"
        os.environ["MASTER_PORT"] = str(port)
        dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(0)
    model, opt, B, per_sample, unit, next_batch = build(args.model, world, rank)
    params = sum(p.numel() for p in model.parameters())
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model

    def step():
        loss_fn = next_batch()
        tb.zero_grad(opt)
        loss_fn(net).backward()
        opt.step()

    barrier(world)
    t0, warm = time.perf_counter(), 0
    while True:
        step()
        warm += 1
        if agree(1.0 if warm >= 3 and time.perf_counter() - t0 >= args.warmup else 0.0, world) > 0:
            break
    per_step = (time.perf_counter() - t0) / warm
    steps = int(agree(max(2.0, -(-args.segment_time // per_step)), world))
    throughput = []
    for _ in range(args.segments):
        barrier(world)
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        barrier(world)
        throughput.append(steps * B * per_sample / (time.perf_counter() - t0))
    if rank == 0:
        print(json.dumps({"type": "result", "side": "pytorch", "model": args.model, "ranks": world,
                          "threads": torch.get_num_threads(), "global_batch": B, "local_batch": B // world,
                          "unit": unit, "throughput": throughput, "median": statistics.median(throughput),
                          "steps_per_segment": steps, "parameters": params, "torch": torch.__version__,
                          "backend": "gloo" if world > 1 else None}), flush=True)
    if world > 1:
        dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True)
    p.add_argument("--ranks", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--segments", type=int, default=5)
    p.add_argument("--segment-time", type=float, default=1.0)
    p.add_argument("--warmup", type=float, default=0.5)
    args = p.parse_args()
    if os.path.exists(tb.JEMALLOC) and tb.JEMALLOC not in os.environ.get("LD_PRELOAD", ""):
        # As torch_bench.py's tuned config: jemalloc preloaded before the interpreter allocates.
        env = dict(os.environ, LD_PRELOAD=":".join(filter(None, [tb.JEMALLOC, os.environ.get("LD_PRELOAD")])))
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    if args.ranks == 1:
        worker(0, args, 0)
    else:
        torch.multiprocessing.spawn(worker, args=(args, free_port()), nprocs=args.ranks, join=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
