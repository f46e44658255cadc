#!/usr/bin/python3
"""How libgomp's spin-wait setting changes Strata's speed on a quiet and on a busy machine.

Runs bench/strata_bench workloads (2 threads) under several GOMP_SPINCOUNT values (GOMP_SPINCOUNT=0 is what
OMP_WAIT_POLICY=passive gives; libgomp's default is 300,000 spins), first as the machine is, then with
`--hogs N` CPU-bound processes (busy loops, like other jobs compiling) running beside it, and prints the median
of each cell. docs/performance.md ("Busy machines") has the figures and the policy they led to.

    /usr/bin/python3 bench/omp/spin_policy.py                       # quiet, then with 2 hogs
    /usr/bin/python3 bench/omp/spin_policy.py --hogs 0 --reps 3     # quiet only
"""
import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def hog(stop):
    x = 0
    while not stop.is_set():
        for _ in range(100000):
            x += 1


def run(bench, name, spin, args):
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    env.pop("OMP_WAIT_POLICY", None)
    env.pop("GOMP_SPINCOUNT", None)
    if spin != "default":
        env["GOMP_SPINCOUNT"] = spin
    out = subprocess.run([bench, name, "--segments", str(args.segments), "--segment-time", str(args.segment_time),
                          "--warmup", str(args.warmup), "--threads", str(args.threads)],
                         env=env, capture_output=True, text=True, timeout=600).stdout
    for line in out.splitlines():
        d = json.loads(line)
        if d.get("type") == "metric" and "RSS" not in d["metric"]:
            return d["metric"], statistics.median(d["values"])
    return None, None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench", default=os.path.join(HERE, "..", "..", "build", "bench", "strata_bench"))
    p.add_argument("--workloads", default="elementwise.add_1M,mlp.train,lenet.train,char_gru.train,gpt.train_t128_b16")
    p.add_argument("--spins", default="default,100000,10000,1000,0")
    p.add_argument("--hogs", type=int, default=2, help="CPU-bound processes for the busy half (0: quiet only)")
    p.add_argument("--skip-quiet", action="store_true", help="only the busy half")
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--segments", type=int, default=3)
    p.add_argument("--segment-time", type=float, default=0.5)
    p.add_argument("--warmup", type=float, default=0.3)
    args = p.parse_args()
    names, spins = args.workloads.split(","), args.spins.split(",")
    conditions = ([] if args.skip_quiet else ["quiet"]) + ([f"{args.hogs} hogs"] if args.hogs else [])
    table = {}
    metrics = {}
    for cond in conditions:
        stop, procs = multiprocessing.Event(), []
        if cond != "quiet":
            procs = [multiprocessing.Process(target=hog, args=(stop,)) for _ in range(args.hogs)]
            for pr in procs:
                pr.start()
            time.sleep(0.5)
        try:
            for rep in range(args.reps):
                for name in names:
                    for spin in spins if rep % 2 == 0 else spins[::-1]:
                        metric, v = run(args.bench, name, spin, args)
                        metrics[name] = metric
                        table.setdefault((cond, name, spin), []).append(v)
                        print(f"{cond} {name} spin={spin}: {v}", file=sys.stderr, flush=True)
        finally:
            stop.set()
            for pr in procs:
                pr.join()
    print(f"| condition | workload | metric | " + " | ".join(f"spin {s}" for s in spins) + " |")
    print("|" + "---|" * (3 + len(spins)))
    for cond in conditions:
        for name in names:
            cells = []
            for s in spins:
                vals = [v for v in table.get((cond, name, s), []) if v is not None]
                cells.append(f"{statistics.median(vals):,.3g}" if vals else "-")
            print(f"| {cond} | {name} | {metrics.get(name)} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
