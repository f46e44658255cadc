#!/usr/bin/env python3
"""Regenerates docs/labs.md: runs every concept lab at full size with the built CLI and records what it printed.

    python3 scripts/labs_doc.py [--strata build/tools/strata/strata] [--out docs/labs.md] [--only name,...]

--only reruns the named labs and keeps the other labs' recorded output from the existing page.
"""
import argparse
import os
import platform
import re
import subprocess
import sys
import time

HEADER = """# Concept labs

Every idea of the study notes — the fifty numbered concepts 151-200 and the worked examples around them — is a lab:
a small, real experiment with the library that runs in under a minute on 2 cores, prints the numbers that make
its point, checks its claims against them and writes a page with its plots.

```sh
build/tools/strata/strata lab --list                 # number, name and title of every lab
build/tools/strata/strata lab 163                    # by number ...
build/tools/strata/strata lab vanishing_gradient     # ... or by name; writes runs/labs/vanishing_gradient/lab.html
build/tools/strata/strata lab 175 --quick            # the reduced size the test suite runs
build/tools/strata/strata lab --all                  # every lab in turn
```

Options: `--quick` (seconds instead of up to a minute; the claims still apply), `--seed N` (every random draw;
default 0), `--out DIR` (default `runs/labs`), `--no-page`. The exit status is 0 when every claim held and 3 when
one did not. Each lab writes `<out>/<name>/lab.html` (the idea, the claims with their verdicts, and the
experiment's tables and plots, rendered by the training report's renderer) and `results.json` (the claims and
the measured values).

**Tests.** `make test` runs every lab at its `--quick` size (tests/labs/labs_test.cpp, one test per lab) and
fails when any claim does not hold, so a change that breaks what a lab shows breaks the build.

**Adding a lab** touches two places: a file `src/labs/<name>.cpp` that defines `labs::Lab lab_<name>()` (number,
name, title, the idea, what to look at, and the body, which gets a `labs::LabRun`: `pick(full, quick)`,
`table`, `value`, `note`, `line_plot`, `bar_plot`, `heatmap`, `claim`), and one line `LAB(<name>)` in
`src/labs/registry.inc`. Shared helpers (synthetic data sets, MLP building, training on in-memory tensors,
gradient norms) are in `src/labs/kit.h`. A lab's own code lives in `namespace strata::labs::<name>_lab`: the labs
compile as a unity build (batches of 16 files), so two labs must not define the same name at file scope. See
include/strata/labs/lab.h.

## The output below

{machine}

"""


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def run(cmd):
    start = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout, time.time() - start


def old_sections(path):
    """name -> recorded section text, from an existing page."""
    if not os.path.exists(path):
        return {}
    text = open(path).read()
    out = {}
    for m in re.finditer(r'<a id="lab-([a-z0-9_]+)"></a>\n(.*?)(?=\n<a id="lab-|\Z)', text, re.S):
        out[m.group(1)] = m.group(2).rstrip() + "\n"
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", default="build/tools/strata/strata")
    ap.add_argument("--out", default="docs/labs.md")
    ap.add_argument("--only", default="")
    args = ap.parse_args()

    rc, listing, _ = run([args.strata, "lab", "--list"])
    if rc != 0:
        sys.exit("strata lab --list failed:\n" + listing)
    labs = []
    for line in listing.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3:
            labs.append((parts[0], parts[1], parts[2]))
    only = set(filter(None, args.only.split(",")))
    kept = old_sections(args.out) if only else {}

    machine = (f"Measured on {cpu_model()} ({os.cpu_count()} cores), each lab on one OpenMP thread (the default "
               f"of `strata lab`), `{args.strata} lab <name>` at full size with seed 0; regenerate with "
               "`python3 scripts/labs_doc.py`. Times are wall-clock on that machine; numbers from random "
               "experiments change with the seed, the claims should not.")
    table = ["| # | name | title | time | claims |", "|---|---|---|---|---|"]
    sections = []
    failed = []
    for number, name, title in labs:
        if only and name not in only and name in kept:
            section = kept[name]
        else:
            rc, out, seconds = run([args.strata, "lab", name])
            if rc != 0:
                failed.append(name)
            out = re.sub(r"\nPage: .*\n", "\n", out)
            section = (f"## {'' if number == '-' else number + '. '}{title}\n\n`strata lab {name}` "
                       f"({seconds:.1f} s)\n\n```text\n{out.rstrip()}\n```\n")
            print(f"{name}: {seconds:.1f} s, rc {rc}", flush=True)
        m = re.search(r"`strata lab \S+` \(([0-9.]+) s\)", section)
        c = re.search(r"(\d+) of (\d+) claims hold", section)
        table.append(f"| {number} | [{name}](#lab-{name}) | {title} | {m.group(1) if m else '?'} s | "
                     f"{c.group(1) + '/' + c.group(2) if c else '?'} |")
        sections.append(f'<a id="lab-{name}"></a>\n{section}')
    text = HEADER.format(machine=machine) + "\n".join(table) + "\n\n" + "\n".join(sections)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.out)
    if failed:
        sys.exit("a claim did not hold in: " + ", ".join(failed))


if __name__ == "__main__":
    main()
