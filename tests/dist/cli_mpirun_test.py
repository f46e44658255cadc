#!/usr/bin/python3
"""`mpirun -np 2 strata train` end to end (ctest dist.cli_mpirun; docs/distributed.md).

1. Two processes of a global batch train the same model as one process: the epoch logs agree to float tolerance,
   rank 0 alone writes the run folder, and results.json records world_size and per_rank_batch; with
   "sync_batch_norm" the same holds for a model with batch norm.
2. A rank killed mid-run ends the whole job within seconds, and the run resumes from its last checkpoint on a
   different number of processes (one), to the end.
3. A config mistake fails every rank at once with the message, instead of leaving ranks waiting.

    tests/dist/cli_mpirun_test.py <strata CLI> <mpirun>
Only the Python standard library; Fashion-MNIST from scripts/install-deps.sh.
"""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

STRATA, MPIRUN = sys.argv[1], sys.argv[2]
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1",
           STRATA_DIST_TIMEOUT="60")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def config(work, name, **over):
    c = {"name": name, "seed": 0, "output_dir": os.path.join(work, "runs"),
         "model": {"architecture": "mlp", "hidden": [64], "num_classes": 10},
         "data": {"dataset": "fashion_mnist", "limit_train": 1200, "limit_test": 200, "validation_split": 0.25},
         "loss": "cross_entropy", "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9},
         "epochs": 2, "batch_size": 60}
    c.update(over)
    path = os.path.join(work, name + ".json")
    with open(path, "w") as f:
        json.dump(c, f)
    return path


def run(args, ranks=None, timeout=300):
    cmd = ([MPIRUN, "-np", str(ranks), "--oversubscribe"] if ranks else []) + [STRATA, "train"] + args
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=timeout)


def epoch_logs(work, name):
    with open(os.path.join(work, "runs", name, "log.csv")) as f:
        return list(csv.DictReader(f))


def same_logs(a, b, tol):
    if len(a) != len(b):
        return False
    return all(abs(float(x[k]) - float(y[k])) <= tol * max(1.0, abs(float(x[k]))) for x, y in zip(a, b) for k in x)


def main():
    work = tempfile.mkdtemp(prefix="strata_dist_cli_")
    try:
        # 1. Equivalence and rank 0's files.
        one = run([config(work, "one")])
        check(one.returncode == 0, "one process trains: " + one.stderr[-300:])
        two = run([config(work, "two")], ranks=2)
        check(two.returncode == 0, "two processes train: " + two.stderr[-300:])
        check(two.stdout.count("Training two:") == 1, "only rank 0 prints")
        check("on 2 processes (global batch 60, 30 per process)" in two.stdout, "the start line names the split")
        if one.returncode == 0 and two.returncode == 0:
            check(same_logs(epoch_logs(work, "one"), epoch_logs(work, "two"), 1e-5),
                  "2 ranks of 30 give one process's epoch logs (loss, accuracy, val_loss, val_accuracy)")
            with open(os.path.join(work, "runs", "two", "results.json")) as f:
                res = json.load(f)
            check(res.get("world_size") == 2 and res.get("per_rank_batch") == 30 and res.get("batch_size") == 60,
                  "results.json: world_size 2, per_rank_batch 30, batch_size 60")

        # 1b. Synchronised batch norm: two processes normalise over the global batch, as one process does (with
        # each rank's own statistics the logs differ by more than this tolerance).
        bn_model = {"layers": [{"type": "Flatten"}, {"type": "Linear", "out_features": 32},
                               {"type": "BatchNorm1d"}, {"type": "ReLU"}, {"type": "Linear", "out_features": 10}]}
        one_bn = run([config(work, "one_bn", model=bn_model)])
        two_bn = run([config(work, "two_bn", model=bn_model, distributed={"sync_batch_norm": True})], ranks=2)
        check(one_bn.returncode == 0 and two_bn.returncode == 0, "batch-norm runs: " + two_bn.stderr[-300:])
        if one_bn.returncode == 0 and two_bn.returncode == 0:
            check(same_logs(epoch_logs(work, "one_bn"), epoch_logs(work, "two_bn"), 1e-4),
                  "sync_batch_norm: 2 ranks of 30 give one process's epoch logs")

        # 2. A rank dies: the job ends within seconds; the checkpoint resumes on one process.
        long_cfg = config(work, "long", epochs=30, checkpoint_every_steps=5,
                          data={"dataset": "fashion_mnist", "limit_train": 6000, "limit_test": 200})
        cmd = [MPIRUN, "-np", "2", "--oversubscribe", STRATA, "train", long_cfg]
        job = subprocess.Popen(cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ckpt = os.path.join(work, "runs", "long", "checkpoint.safetensors")
        deadline = time.time() + 120
        while not os.path.exists(ckpt) and time.time() < deadline and job.poll() is None:
            time.sleep(0.1)
        time.sleep(0.5)
        ranks = subprocess.run(["pgrep", "-P", str(job.pid)], capture_output=True, text=True).stdout.split()
        check(len(ranks) == 2 and job.poll() is None, "two ranks are training when one is killed")
        killed = time.time()
        if ranks:
            os.kill(int(ranks[-1]), signal.SIGKILL)
        try:
            out, _ = job.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            job.kill()
            out, _ = job.communicate()
        took = time.time() - killed
        check(job.returncode != 0 and took < 15, "the job stops %.1f s after a rank died (exit %s)" % (took, job.returncode))
        check(os.path.exists(ckpt), "a checkpoint was written before the failure")
        resumed = run([long_cfg, "--resume"])
        check(resumed.returncode == 0 and "Resuming from" in resumed.stdout,
              "one process resumes the two-process checkpoint to the end: " + resumed.stderr[-300:])

        # 3. A config error fails the whole job at once, with the reason.
        t0 = time.time()
        bad = run([config(work, "bad", batch_size=1)], ranks=2, timeout=60)
        check(bad.returncode != 0 and "batch_size is the global batch" in bad.stderr and time.time() - t0 < 30,
              "batch_size smaller than the processes: an error naming batch_size on every rank")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
