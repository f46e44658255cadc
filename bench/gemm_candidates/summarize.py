#!/usr/bin/env python3
"""Summarises gemm_candidates CSVs: per (backend, threads, case) the best run's median (highest GFLOP/s),
tables per thread count, geometric means per group, and the ms of the 9-GEMM MLP steps."""
import csv
import math
import sys
from collections import defaultdict

ORDER = ["openblas-openmp", "blis-openmp", "dnnl_sgemm", "packed", "naive"]


def main(paths):
    best = {}  # (backend, threads, case) -> row
    cases = []  # (group, case, op, M, N, K)
    runs = defaultdict(set)
    rows_of = {}
    for p in paths:
        with open(p) as f:
            rows_of[p] = list(csv.DictReader(f))
    # Case order: as in the file that has the most cases (files of single sections may skip some).
    for p in sorted(paths, key=lambda q: -len({(r["case"], r["op"]) for r in rows_of[q]})):
        for row in rows_of[p]:
            ident = (row["group"], row["case"], row["op"], row["M"], row["N"], row["K"])
            if ident not in cases:
                cases.append(ident)
    rank = {"mlp": 0, "linear": 1, "conv": 2, "square": 3}
    cases.sort(key=lambda c: rank.get(c[0], 9))  # stable: keeps the order inside a group
    for p in paths:
        for row in rows_of[p]:
            if row["backend"] == "naive" and int(row["threads"]) > 1:
                continue  # single-threaded by design
            key = (row["backend"], int(row["threads"]), row["case"] + "/" + row["op"])
            runs[key].add(row["run"])
            if key not in best or float(row["gflops"]) > float(best[key]["gflops"]):
                best[key] = row
    backends = [b for b in ORDER if any(k[0] == b for k in best)]
    backends += sorted({k[0] for k in best} - set(backends))
    for threads in sorted({k[1] for k in best}):
        nruns = max(len(v) for k, v in runs.items() if k[1] == threads)
        print(f"### sgemm GFLOP/s, {threads} thread(s), best of {nruns} runs' medians (higher is better)\n")
        print("| case | op | M,N,K | " + " | ".join(backends) + " | others busy (cores, max) |")
        print("|---|---|---|" + "---|" * len(backends) + "---|")
        for g, c, op, m, n, k in cases:
            vals = [best.get((b, threads, c + "/" + op)) for b in backends]
            top = max((float(v["gflops"]) for v in vals if v), default=0)
            cells = []
            for v in vals:
                if not v:
                    cells.append("–")
                    continue
                x = float(v["gflops"])
                cells.append(f"**{x:.1f}**" if x >= 0.97 * top else f"{x:.1f}")
            load = max((float(v["others_cores"]) for v in vals if v), default=0)
            print(f"| {c} | {op} | {m},{n},{k} | " + " | ".join(cells) + f" | {load:.2f} |")
        print()
        print(f"Geometric mean GFLOP/s by group and step times, {threads} thread(s):\n")
        print("| group | " + " | ".join(backends) + " |")
        print("|---|" + "---|" * len(backends))
        for group in ["mlp", "linear", "conv", "square"]:
            cells = []
            for b in backends:
                xs = [float(best[(b, threads, c + "/" + op)]["gflops"]) for g, c, op, *_ in cases
                      if g == group and (b, threads, c + "/" + op) in best]
                n_all = sum(1 for g, *_ in cases if g == group)
                if not xs:
                    cells.append("–")
                    continue
                gm = math.exp(sum(math.log(x) for x in xs) / len(xs))
                cells.append(f"{gm:.1f}" if len(xs) == n_all else f"({gm:.1f})")
            if any(c != "–" for c in cells):
                print(f"| {group} | " + " | ".join(cells) + " |")
        for group, label in [("mlp", "MLP step, W as (in, out): ms for 9 GEMMs"),
                             ("linear", "MLP step, nn.Linear layout: ms for 9 GEMMs")]:
            cells = []
            for b in backends:
                ms = [float(best[(b, threads, c + "/" + op)]["median_ms"]) for g, c, op, *_ in cases
                      if g == group and (b, threads, c + "/" + op) in best]
                n_all = sum(1 for g, *_ in cases if g == group)
                cells.append(f"{sum(ms):.2f}" if ms and len(ms) == n_all else "–")
            if any(c != "–" for c in cells):
                print(f"| **{label}** (lower is better) | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
