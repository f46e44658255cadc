#!/usr/bin/env bash
# Runs gemm_candidates RUNS times and summarises the best run's median per case.
# Usage: bench/gemm_candidates/run.sh BUILD_DIR OUT_DIR [RUNS] [extra gemm_candidates flags...]
set -euo pipefail
build=$1
out=$2
runs=${3:-3}
shift $(( $# < 3 ? $# : 3 ))
bin=$build/bench/gemm_candidates/gemm_candidates
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
{ lscpu; echo; uname -a; } > "$out/machine.txt"
for r in $(seq 1 "$runs"); do
  echo "run $r/$runs (uptime: $(uptime))" >&2
  "$bin" --run-id "$r" "$@" > "$out/run$r.csv" 2> "$out/run$r.log"
done
/usr/bin/python3 "$here/summarize.py" "$out"/run*.csv > "$out/summary.md"
echo "wrote $out/summary.md" >&2
