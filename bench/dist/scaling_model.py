#!/usr/bin/python3
"""A first-order model of data-parallel efficiency at N ranks, from bench/dist_scaling.py's measurements.

    /usr/bin/python3 bench/dist/scaling_model.py --allreduce ALLREDUCE.jsonl RESULTS.jsonl...

Weak scaling: every rank keeps the workload's batch (global batch = N x batch), so its compute per step is the
measured 1x1 step time of Strata (forward + backward + update at 1 thread, the batch gather left out; the quiet runs, foreign load < 0.1,
when there are any). Communication per step is a ring
all-reduce of the model's gradient bytes (DataParallel::bytes_per_step): each rank sends and receives
2(N-1)/N x bytes over its link, plus 2(N-1) latencies per bucket. Nothing overlaps (an upper bound on the cost:
DataParallel starts buckets during backward, so the real step can be shorter):
    efficiency(N) = t_compute / (t_compute + 2(N-1)/N x bytes / bandwidth + 2(N-1) x buckets x latency)
Links: the shared memory measured here (the all-reduce's large-message bandwidth, its 4 KiB latency), and two
assumed cluster networks: 10 Gb/s (1.25 GB/s, 50 us per message, TCP) and 100 Gb/s (12.5 GB/s, 5 us, RDMA).
"""
import json
import statistics
import sys

RANKS = (2, 8, 64, 512)


def main():
    argv = sys.argv[1:]
    ar_path = None
    if argv and argv[0] == "--allreduce":
        ar_path, argv = argv[1], argv[2:]
    results = [json.loads(line) for path in argv for line in open(path) if line.strip()]
    quiet = [d for d in results if d.get("foreign_load", 1) < 0.1]
    links = [("10 Gb/s (assumed: 1.25 GB/s, 50 us)", 1.25e9, 50e-6),
             ("100 Gb/s (assumed: 12.5 GB/s, 5 us)", 12.5e9, 5e-6)]
    if ar_path:
        ar = [json.loads(line) for line in open(ar_path) if line.strip()]
        ar = [d for d in ar if d.get("impl") == "dist::all_reduce"]
        small = statistics.median(d["us"] for d in ar if d["bytes"] == min(x["bytes"] for x in ar)) * 1e-6
        big = max(x["bytes"] for x in ar)
        bw = statistics.median(d["busbw_gbs"] for d in ar if d["bytes"] >= min(4 << 20, big)) * 1e9
        links.insert(0, (f"shared memory here (measured: {bw / 1e9:.2f} GB/s, {small * 1e6:.0f} us)", bw, small))
    per_model = {}
    for d in results:
        if d.get("side") != "strata":
            continue
        m = per_model.setdefault(d["model"], {"t1": [], "bytes": 0, "buckets": 0})
        if d["ranks"] == 1 and d["threads"] == 1 and (d in quiet or not any(
                q["model"] == d["model"] and q["ranks"] == 1 and q["threads"] == 1 and q["side"] == "strata" for q in quiet)):
            m["t1"].append(1e-3 * (d["fwd_bwd_ms"] + d["update_ms"]))  # seconds per step at the workload batch
            m["batch"] = d["global_batch"]
        if d["ranks"] > 1 and d.get("sync", True) and d["bytes_per_step"]:
            m["bytes"], m["buckets"] = d["bytes_per_step"], d["buckets"]
    print("| workload | batch per rank | compute ms/step (1x1) | bytes/step | buckets | link | "
          + " | ".join(f"N={n}" for n in RANKS) + " |")
    print("|---|---:|---:|---:|---:|---|" + "---:|" * len(RANKS))
    for name, m in per_model.items():
        if not m["t1"] or not m["bytes"]:
            continue
        tc = statistics.median(m["t1"])
        for label, bw, lat in links:
            effs = []
            for n in RANKS:
                comm = 2 * (n - 1) / n * m["bytes"] / bw + 2 * (n - 1) * m["buckets"] * lat
                effs.append(f"{100 * tc / (tc + comm):.0f}%")
            print(f"| {name} | {m['batch']} | {tc * 1e3:.2f} | {m['bytes']:,} | {m['buckets']} | {label} | "
                  + " | ".join(effs) + " |")


if __name__ == "__main__":
    main()
