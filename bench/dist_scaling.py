#!/usr/bin/python3
"""Data-parallel scaling on this machine: Strata (bench/dist/dist_scaling.cpp, dist::DataParallel over MPI) against
PyTorch (bench/dist/torch_dist_scaling.py, DistributedDataParallel over gloo). docs/distributed_scaling.md.

Configurations, each a fresh process (tree) per round, both sides interleaved and the order rotated every round
(the VM drifts between minutes; medians over all segments of all rounds):
  1x1  one process, 1 thread                  (OMP_NUM_THREADS=1; torch.set_num_threads(1))
  1x2  one process, 2 threads                 (OMP_NUM_THREADS=2)
  2x1  two ranks of 1 thread, half the global batch each
       Strata: mpirun -np 2 --bind-to none -x OMP_NUM_THREADS=1 strata_dist_scaling
       PyTorch: torch.multiprocessing.spawn of 2 processes, gloo over 127.0.0.1, DDP
  2x1-nosync (Strata, with --nosync): two ranks training their halves without communicating: the ceiling.
Efficiency = throughput(2x1) / (2 * throughput(1x1)), global samples (or tokens) per second.

    /usr/bin/python3 bench/dist_scaling.py --rounds 3                        # the table of docs/distributed_scaling.md
    /usr/bin/python3 bench/dist_scaling.py --models mlp --sides strata --nosync --bind core
    /usr/bin/python3 bench/dist_scaling.py --allreduce --rounds 3             # dist::all_reduce latency / bandwidth
"""
import argparse
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as side_by_side  # noqa: E402  (process runner with foreign-load accounting, wait_for_quiet)

TORCH_PYTHON = side_by_side.TORCH_PYTHON
MODELS = ("mlp", "lenet", "resnet_small", "gpt")
CONFIGS = {"1x1": (1, 1), "1x2": (1, 2), "2x1": (2, 1), "2x1-nosync": (2, 1)}


def mpi_env(env):
    if os.geteuid() == 0:  # OpenMPI refuses root without these
        env = dict(env, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return env


def strata_cmd(args, model, config):
    ranks, threads = CONFIGS[config]
    cmd = [args.strata, "--model", model, "--segments", str(args.segments), "--segment-time", str(args.segment_time)]
    if config.endswith("nosync"):
        cmd.append("--no-sync")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    if ranks > 1:
        cmd = ["mpirun", "-np", str(ranks), "--bind-to", args.bind, "-x", f"OMP_NUM_THREADS={threads}"] + cmd
        env = mpi_env(env)
    return cmd, env


def torch_cmd(args, model, config):
    ranks, threads = CONFIGS[config]
    cmd = [TORCH_PYTHON, os.path.join(HERE, "dist", "torch_dist_scaling.py"), "--model", model, "--ranks", str(ranks),
           "--threads", str(threads), "--segments", str(args.segments), "--segment-time", str(args.segment_time)]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    blas_dir = side_by_side.openblas_openmp_dir()  # as run.py: PyTorch with OpenBLAS's OpenMP build
    if blas_dir:
        env["LD_LIBRARY_PATH"] = blas_dir + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    return cmd, env


args_wait = 10  # seconds to wait for a quiet machine before each run (--quiet-wait)


def run_one(cmd, env, log, tag):
    load = side_by_side.wait_for_quiet(args_wait)
    r = side_by_side.Run(cmd, env, timeout=600)
    results = [d for d in r.lines if d.get("type") in ("result", "allreduce")]
    if r.returncode != 0 or not results:
        print(f"dist_scaling: {tag} failed ({r.returncode}): {r.stderr[-2000:]}", file=sys.stderr)
    for d in results:
        d["foreign_load"] = round(r.foreign_load, 3)
        d["load_before"] = round(load, 3)
        d["command"] = " ".join(cmd)
        if log:
            log.write(json.dumps(d) + "\n")
            log.flush()
    return results


def fmt(v):
    return "-" if v is None else side_by_side.fmt(v)


def scaling(args, log):
    sides = args.sides.split(",")
    configs = args.configs.split(",") if args.configs else ["1x1", "1x2", "2x1"] + (["2x1-nosync"] if args.nosync else [])
    jobs = [(s, c) for c in configs for s in sides if not (s == "pytorch" and c.endswith("nosync"))]
    runs = {}    # (side, model, config) -> result lines, one per run
    for rnd in range(args.rounds):
        for m in args.models.split(","):
            k = (rnd + MODELS.index(m) if m in MODELS else rnd) % len(jobs)
            for side, config in jobs[k:] + jobs[:k]:
                cmd, env = (strata_cmd if side == "strata" else torch_cmd)(args, m, config)
                for d in run_one(cmd, env, log, f"{side} {m} {config}"):
                    runs.setdefault((side, m, config), []).append(d)
                    print(f"round {rnd + 1} {m:13s} {config:10s} {side:8s} {d['median']:12,.0f} {d['unit']}"
                          f"  (foreign load {d['foreign_load']:.2f})", file=sys.stderr, flush=True)
    table(args, runs, configs)


def load_runs(paths):
    """(side, model, config) -> result lines, from files that --json wrote."""
    runs = {}
    for path in paths:
        for line in open(path):
            d = json.loads(line)
            if d.get("type") != "result":
                continue
            config = f"{d['ranks']}x{d['threads']}" + ("" if d.get("sync", True) else "-nosync")
            runs.setdefault((d["side"], d["model"], config), []).append(d)
    return runs


def table(args, runs, configs):
    splits = {(m, c): ds for (side, m, c), ds in runs.items() if side == "strata"}
    # As run.py: the runs that other processes left alone (foreign load < --noisy), if at least 2 were.
    med, used = {}, {}
    for k, ds in runs.items():
        clean = [d for d in ds if d["foreign_load"] < args.noisy]
        pick = clean if len(clean) >= args.min_clean else ds
        med[k] = statistics.median(v for d in pick for v in d["throughput"])
        used[k] = f"{len(pick)}/{len(ds)}"
    unit = {"gpt": "tokens/s"}
    print(f"\nGlobal throughput (median over the segments of the runs used: those with foreign load < {args.noisy} when at least {args.min_clean} were, else all; samples/s, GPT tokens/s); "
          "efficiency = 2x1 / (2 x 1x1)\n")
    print("| workload | config | Strata | PyTorch | Strata/PyTorch | efficiency Strata | efficiency PyTorch | runs used |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for m in args.models.split(","):
        for c in configs:
            s, t = med.get(("strata", m, c)), med.get(("pytorch", m, c))
            ratio = f"{s / t:.2f}x" if s and t else "-"
            eff = ["-", "-"]
            if c.startswith("2x1"):
                for i, side in enumerate(("strata", "pytorch")):
                    one, two = med.get((side, m, "1x1")), med.get((side, m, c))
                    if one and two:
                        eff[i] = f"{100 * two / (2 * one):.0f}%"
            print(f"| {m} ({unit.get(m, 'samples/s')}) | {c} | {fmt(s)} | {fmt(t)} | {ratio} | {eff[0]} | {eff[1]} | "
                  f"{used.get(('strata', m, c), '-')} / {used.get(('pytorch', m, c), '-')} |")
    splits = {k: [d for d in ds if d["foreign_load"] < args.noisy] or ds for k, ds in splits.items()}
    if splits:
        print("\nStrata's step, per rank (medians over runs, ms): forward+backward | synchronize (wait for the "
              "buckets, averages written back) | update; bytes all-reduced per step\n")
        print("| workload | config | local batch | fwd+bwd ms | sync ms | update ms | bytes/step | buckets |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for (m, c), ds in splits.items():
            def md(key):
                return statistics.median(d[key] for d in ds)
            print(f"| {m} | {c} | {ds[0]['local_batch']} | {md('fwd_bwd_ms'):.2f} | {md('sync_ms'):.2f} | "
                  f"{md('update_ms'):.2f} | {ds[0]['bytes_per_step']:,} | {ds[0]['buckets']} |")


def allreduce(args, log):
    rows = {}
    for rnd in range(args.rounds):
        cmd = ["mpirun", "-np", "2", "--bind-to", args.bind, args.strata, "--allreduce", "--segments",
               str(args.segments), "--max-mb", str(args.max_mb)]
        for d in run_one(cmd, mpi_env(dict(os.environ, OMP_NUM_THREADS="1")), log, "allreduce"):
            rows.setdefault((d["bytes"], d["impl"]), []).append(d["us"])
    print("\nAll-reduce of float32 between 2 ranks on this host (median over rounds); algbw = bytes / time, "
          "busbw = algbw x 2(N-1)/N\n")
    print("| bytes | impl | us | algbw GB/s | busbw GB/s |")
    print("|---:|---|---:|---:|---:|")
    for (b, impl), us in sorted(rows.items()):
        u = statistics.median(us)
        print(f"| {b:,} | {impl} | {u:.1f} | {b / u / 1e3:.2f} | {b / u / 1e3:.2f} |")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--strata", default=os.path.join(HERE, "..", "build", "bench", "strata_dist_scaling"))
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--sides", default="strata,pytorch")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--segments", type=int, default=3)
    p.add_argument("--segment-time", type=float, default=1.0)
    p.add_argument("--configs", help="comma-separated subset of " + ", ".join(CONFIGS))
    p.add_argument("--bind", default="none", help="mpirun --bind-to for Strata's ranks (none, core)")
    p.add_argument("--nosync", action="store_true", help="also Strata 2x1 without gradient synchronisation")
    p.add_argument("--allreduce", action="store_true", help="the all-reduce microbenchmark instead")
    p.add_argument("--max-mb", type=float, default=64)
    p.add_argument("--noisy", type=float, default=0.10, help="foreign load above which a run is left out")
    p.add_argument("--min-clean", type=int, default=2, help="quiet runs needed to leave the noisy ones out")
    p.add_argument("--table-from", nargs="+", help="print the table from these --json files instead of running")
    p.add_argument("--json", help="append every result line (with its command and load) to this file")
    p.add_argument("--quiet-wait", type=float, default=10, help="seconds to wait for a quiet machine before a run")
    args = p.parse_args()
    global args_wait
    args_wait = args.quiet_wait
    log = open(args.json, "a") if args.json else None
    if args.table_from:
        runs = load_runs(args.table_from)
        models = [m for m in args.models.split(",") if any(k[1] == m for k in runs)]
        args.models = ",".join(models)
        table(args, runs, [c for c in CONFIGS if any(k[2] == c for k in runs)])
    elif args.allreduce:
        allreduce(args, log)
    else:
        scaling(args, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
