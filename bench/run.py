#!/usr/bin/python3
"""Side-by-side benchmarks: Strata (bench/strata_bench) against PyTorch (bench/torch_bench.py).

Each workload runs in a fresh process per side, alternating Strata and PyTorch (A/B/A/B, the order flipped
every round) for several rounds, so both see the same machine state. Every process reports its timed
segments; the table shows the median over all segments of all rounds. Both sides get 2 OpenMP threads;
PyTorch is started with LD_LIBRARY_PATH at OpenBLAS's OpenMP build and each side's mapped BLAS is printed.
Where a workload has several PyTorch configurations (torch_bench.py --list: default, foreach, tuned), each runs
as its own process every round, and Strata is compared with the fastest of them; the table also shows PyTorch
with its defaults.

    /usr/bin/python3 bench/run.py --strata build/bench/strata_bench            # everything, 3 rounds
    /usr/bin/python3 bench/run.py --filter 'overhead|add_1M' --rounds 5
    /usr/bin/python3 bench/run.py --json results.jsonl --markdown               # raw lines + a markdown table

Adding a workload (e.g. a training run reporting samples/s and peak RSS): register it in a
bench/workloads_*.cpp with STRATA_BENCHMARK and add its twin with @workload in bench/torch_bench.py, under
the same name. Nothing here changes; a workload that only one side has shows as "pending".
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_PYTHON = "/usr/bin/python3"  # Debian's python3-torch; the pyenv `python3` on PATH cannot import torch
CLK_TCK = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1


def openblas_openmp_dir():
    for d in ("/usr/lib/x86_64-linux-gnu/openblas-openmp", "/usr/lib/aarch64-linux-gnu/openblas-openmp"):
        if os.path.isdir(d):
            return d
    return None


def busy_jiffies():
    """Busy and total CPU jiffies of the whole machine (steal counts as busy: another guest had the core)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]  # idle + iowait
    return sum(v) - idle, sum(v)


class Run:
    """One process of one side: its JSON lines, and how much of the machine others used meanwhile."""

    def __init__(self, cmd, env, timeout):
        c0 = os.times()
        busy0, _ = busy_jiffies()
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            err += f"\ntimed out after {timeout} s"
        self.elapsed = time.monotonic() - t0
        busy1, _ = busy_jiffies()
        self.returncode = proc.returncode
        self.stderr = err
        self.lines = []
        for line in out.splitlines():
            try:
                self.lines.append(json.loads(line))
            except json.JSONDecodeError:
                pass
        # Foreign load: busy machine time not spent by the child (reaped by communicate(), so os.times()
        # has its CPU time) or by this script, as a fraction of all cores over the run.
        c1 = os.times()
        own = (c1.children_user + c1.children_system - c0.children_user - c0.children_system
               + c1.user + c1.system - c0.user - c0.system)
        foreign = (busy1 - busy0) / CLK_TCK - own
        self.foreign_load = max(0.0, foreign / (self.elapsed * NCPU)) if self.elapsed > 0 else 0.0


def wait_for_quiet(max_wait, threshold=0.10, window=0.5):
    """Waits (up to max_wait seconds) until other processes use less than `threshold` of the machine."""
    deadline = time.monotonic() + max_wait
    load = 1.0
    while True:
        b0, t0 = busy_jiffies()
        time.sleep(window)
        b1, t1 = busy_jiffies()
        load = (b1 - b0) / max(1, t1 - t0)
        if load < threshold or time.monotonic() >= deadline:
            return load


def list_workloads(cmd, env):
    """name -> (description, PyTorch configurations to run; [None] for the Strata side)."""
    try:
        out = subprocess.run(cmd + ["--list"], env=env, capture_output=True, text=True, timeout=120).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"run.py: cannot list workloads with {cmd}: {e}", file=sys.stderr)
        return {}
    result = {}
    for line in out.splitlines():
        try:
            d = json.loads(line)
        except json.JSONDecodeError:
            continue
        result[d["workload"]] = (d.get("description", ""), d.get("configs") or [None])
    return result


def clean_runs(side_runs, noisy):
    """The runs measured while other processes left the machine alone, or all of them if fewer than 2 were."""
    clean = [r for r in side_runs if r[0] < noisy]
    return clean if len(clean) >= 2 else side_runs


def summarize(values, higher_is_better, stat):
    if not values:
        return None
    if stat == "best":
        return max(values) if higher_is_better else min(values)
    return statistics.median(values)


def fmt(v):
    if v is None:
        return "-"
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


class Results:
    """Every process's JSON lines, grouped for the table."""

    def __init__(self):
        self.runs = {}    # (workload, metric) -> side -> [(foreign load, [segment values])], one per process
        self.better = {}  # (workload, metric) -> higher_is_better
        self.meta = {}    # side -> last meta line
        self.errors = {}  # (workload, side) -> message
        self.order = []   # workloads in the order first seen

    def add(self, d):
        name, side = d.get("workload"), d.get("side")
        if side == "pytorch" and d.get("config"):
            side = f"pytorch:{d['config']}"
        if name and name not in self.order:
            self.order.append(name)
        if d.get("type") == "metric":
            key = (name, d["metric"])
            self.runs.setdefault(key, {}).setdefault(side, []).append((d.get("foreign_load", 0.0), d["values"]))
            self.better[key] = d["higher_is_better"]
        elif d.get("type") == "meta":
            self.meta[side] = d
        elif d.get("type") == "error":
            self.errors[(name, side)] = d["error"]

    def rows(self, names, have, stat, noisy):
        """One row per (workload, metric): Strata, PyTorch at its best (the fastest configuration, named), PyTorch
        with its defaults (where that configuration ran and differs), the ratio against the best, the verdict."""
        rows = []
        for name in names:
            keys = [k for k in self.runs if k[0] == name] or [(name, "-")]
            for key in keys:
                by_side = self.runs.get(key, {})
                hib = self.better.get(key, True)
                used = {side: clean_runs(runs, noisy) for side, runs in by_side.items()}
                loads = [fl for side in used for fl, _ in used[side]]
                other = f"{statistics.median(loads):.0%}" if loads else "-"
                sm = summarize([v for _, vals in used.get("strata", []) for v in vals], hib, stat)
                torch_sides = {side: summarize([v for _, vals in runs for v in vals], hib, stat)
                               for side, runs in used.items() if side.startswith("pytorch")}
                torch_sides = {k: v for k, v in torch_sides.items() if v is not None}
                best_side = None
                if torch_sides:
                    best_side = (max if hib else min)(torch_sides, key=torch_sides.get)
                tm = torch_sides.get(best_side)
                config = best_side.split(":", 1)[1] if best_side and ":" in best_side else ""
                default = torch_sides.get("pytorch:default") if len(torch_sides) > 1 else None
                counts = "/".join(f"{len(used.get(side, []))} of {len(by_side.get(side, []))}"
                                  for side in ["strata"] + sorted(torch_sides))
                if sm is not None and tm is not None and tm > 0 and sm > 0:
                    ratio = sm / tm
                    speedup = ratio if hib else 1 / ratio
                    # Memory rows (peak RSS) are smaller/larger, not faster/slower.
                    words = ("smaller", "larger") if "RSS" in key[1] or "MiB" in key[1] else ("faster", "slower")
                    verdict = f"{speedup:.2f}x {words[0] if speedup >= 1 else words[1]}"
                    ratio_s = f"{ratio:.2f}"
                else:
                    ratio_s = "-"
                    missing = [side for side in ("strata", "pytorch") if name not in have[side]]
                    err = [f"{side}: {msg}" for (n, side), msg in self.errors.items() if n == name]
                    verdict = ("error " + "; ".join(err)) if err else \
                              ("pending (" + ", ".join(missing) + " side not built)") if missing else "-"
                rows.append([name, key[1], fmt(sm), fmt(tm), config, fmt(default), ratio_s, verdict, other, counts])
        return rows

    def print_table(self, names, have, args, title):
        print()
        print(title)
        for side in ("strata", "pytorch"):
            m = self.meta.get(side, {})
            if side == "pytorch":
                m = next((v for k, v in self.meta.items() if k.startswith("pytorch")), {})
            extra = f"gemm backend {m.get('gemm_backend')}" if side == "strata" else f"torch {m.get('torch')}"
            print(f"{side}: {extra}; BLAS mapped: {', '.join(m.get('blas', [])) or 'none'}")
        what = "medians" if args.stat == "median" else "best segments"
        print(f"Values are {what} over the segments of every run used. 'other load' is the median share of the "
              f"machine that other processes used during those runs; runs with other load >= {args.noisy:.0%} are "
              "dropped while 2 cleaner ones remain per side ('runs used': Strata/each PyTorch configuration). "
              "'PyTorch best' is the fastest PyTorch configuration ('config'); 'PyTorch defaults' is shown where "
              "other configurations ran too.")
        print()
        header = ["workload", "metric", "Strata", "PyTorch best", "config", "PyTorch defaults", "Strata/best",
                  "Strata is", "other load", "runs used"]
        rows = self.rows(names, have, args.stat, args.noisy)
        if args.markdown:
            print("| " + " | ".join(header) + " |")
            print("|" + "|".join("---" for _ in header) + "|")
            for row in rows:
                print("| " + " | ".join(row) + " |")
        else:
            widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
            for row in [header] + rows:
                print("  ".join(str(x).ljust(w) if i in (0, 1, 4, 7) else str(x).rjust(w)
                                for i, (x, w) in enumerate(zip(row, widths))))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--strata", default=os.path.join(HERE, "..", "build", "bench", "strata_bench"))
    p.add_argument("--torch-script", default=os.path.join(HERE, "torch_bench.py"))
    p.add_argument("--rounds", type=int, default=3, help="A/B rounds per workload (default 3)")
    p.add_argument("--segments", type=int, default=5, help="timed segments per process (default 5)")
    p.add_argument("--segment-time", type=float, default=0.25, help="seconds per segment (default 0.25)")
    p.add_argument("--warmup", type=float, default=0.2, help="warm-up seconds per process (default 0.2)")
    p.add_argument("--threads", type=int, default=2, help="OpenMP threads for both sides (default 2)")
    p.add_argument("--filter", default="", help="regex on workload names")
    p.add_argument("--quiet-wait", type=float, default=10.0,
                   help="before each process, wait up to this many seconds for other load < 10%% (default 10)")
    p.add_argument("--noisy", type=float, default=0.10,
                   help="drop a process's results when other load during it was at least this share of the machine, "
                        "as long as 2 cleaner runs of that side remain (default 0.10)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per process (default 600)")
    p.add_argument("--stat", choices=["median", "best"], default="median",
                   help="median of all segments (default), or the best segment: a steadier estimate of a "
                        "single-threaded cost on a machine that other processes share")
    p.add_argument("--json", help="also write every JSON line (with side, round and foreign load) to this file")
    p.add_argument("--report", metavar="JSONL", help="print the table from a --json file of an earlier run; run nothing")
    p.add_argument("--markdown", action="store_true", help="print the table as markdown")
    p.add_argument("--list", action="store_true", help="list the workloads of both sides and exit")
    args = p.parse_args()

    results = Results()
    if args.report:
        with open(args.report) as f:
            for line in f:
                results.add(json.loads(line))
        names = [n for n in results.order if not args.filter or re.search(args.filter, n)]
        have = {side: {k[0] for k, v in results.runs.items() if any(sd.split(":")[0] == side for sd in v)}
                for side in ("strata", "pytorch")}
        results.print_table(names, have, args, f"Report of {args.report}; {platform.node()} ({NCPU} CPUs)")
        return 0

    base_env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    strata_cmd = [os.path.abspath(args.strata)]
    torch_env = dict(base_env)
    blas_dir = openblas_openmp_dir()
    if blas_dir:
        torch_env["LD_LIBRARY_PATH"] = blas_dir + (":" + torch_env["LD_LIBRARY_PATH"]
                                                   if torch_env.get("LD_LIBRARY_PATH") else "")
    else:
        print("run.py: OpenBLAS (OpenMP build) not found; PyTorch uses whatever libblas.so.3 is", file=sys.stderr)
    torch_cmd = [TORCH_PYTHON, args.torch_script]

    have = {"strata": list_workloads(strata_cmd, base_env) if os.path.exists(strata_cmd[0]) else {},
            "pytorch": list_workloads(torch_cmd, torch_env)}
    if not have["strata"]:
        print(f"run.py: no Strata workloads from {strata_cmd[0]} (build it: cmake --build build --target strata_bench)",
              file=sys.stderr)
    names = list(have["pytorch"]) + [n for n in have["strata"] if n not in have["pytorch"]]
    if args.filter:
        names = [n for n in names if re.search(args.filter, n)]
    if args.list:
        for n in names:
            sides = ", ".join(s for s in ("strata", "pytorch") if n in have[s])
            desc = (have["pytorch"].get(n) or have["strata"].get(n))[0]
            configs = ", ".join(have["pytorch"][n][1]) if n in have["pytorch"] else ""
            print(f"{n:34s} [{sides}]{' PyTorch configs: ' + configs if configs else ''}  {desc}")
        return 0

    common = ["--segments", str(args.segments), "--segment-time", str(args.segment_time),
              "--warmup", str(args.warmup), "--threads", str(args.threads)]
    sides = {"strata": (strata_cmd, base_env), "pytorch": (torch_cmd, torch_env)}
    raw = open(args.json, "w") if args.json else None
    started = time.strftime("%Y-%m-%d %H:%M:%S")

    for r in range(args.rounds):
        for name in names:
            procs = [(side, config) for side in ("strata", "pytorch") if name in have[side]
                     for config in (have[side][name][1] if side == "pytorch" else [None])]
            order = procs if r % 2 == 0 else procs[::-1]
            loads = []
            for side, config in order:
                cmd, env = sides[side]
                if args.quiet_wait > 0:
                    wait_for_quiet(args.quiet_wait)
                extra = ["--config", config] if config else []
                run = Run(cmd + [name] + common + extra, env, args.timeout)
                loads.append(run.foreign_load)
                lines = run.lines
                if run.returncode != 0 and not any(d.get("type") == "error" for d in lines):
                    msg = (run.stderr.strip().splitlines() or [f"exit {run.returncode}"])[-1]
                    lines = lines + [{"type": "error", "side": side, "config": config, "workload": name, "error": msg}]
                for d in lines:
                    d.update(round=r, foreign_load=round(run.foreign_load, 3))
                    if raw:
                        raw.write(json.dumps(d) + "\n")
                    results.add(d)
            print(f"round {r + 1}/{args.rounds}: {name} done (other load {max(loads, default=0):.0%})",
                  file=sys.stderr, flush=True)
    if raw:
        raw.close()

    results.print_table(names, have, args,
                        f"Started {started}; {args.rounds} rounds x {args.segments} segments of {args.segment_time} s "
                        f"per side; {args.threads} threads; {platform.node()} ({NCPU} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
