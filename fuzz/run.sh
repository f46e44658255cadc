#!/usr/bin/env bash
# Runs each libFuzzer target for a fixed time: fuzz/run.sh BUILD_DIR SECONDS TARGET...
# With FUZZ_RUNS=N in the environment a target stops after N executions (or SECONDS, whichever comes first).
# One OpenMP thread per fuzzer (OMP_NUM_THREADS=1 unless set): a fuzzer is one process on one core.
# The committed seeds (fuzz/corpus/<target>) are copied into BUILD_DIR/corpus/<target>, which grows with what
# libFuzzer finds; crashes go to BUILD_DIR/artifacts/<target>/. Prints executions and exec/s per target and
# exits non-zero if any target found a crash, leak, timeout or out-of-memory.
set -uo pipefail
build=$1
seconds=$2
shift 2
root=$(cd "$(dirname "$0")" && pwd)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
runs=()
[[ -n ${FUZZ_RUNS:-} ]] && runs=(-runs="$FUZZ_RUNS")
failed=()
summary=()
for t in "$@"; do
  corpus=$build/corpus/$t
  artifacts=$build/artifacts/$t
  log=$build/logs/$t.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  cp -n "$root/corpus/$t"/* "$corpus/" 2>/dev/null || true
  echo "fuzz: $t for ${seconds}s (log: $log)"
  "$build/fuzz_$t" -max_total_time="$seconds" "${runs[@]}" -timeout=25 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$corpus" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  line=$(printf '%-12s %12s execs %8s exec/s  exit %s' "$t" "${execs:-?}" "${rate:-?}" "$rc")
  if [[ $rc -ne 0 ]] || grep -q "runtime error:" "$log"; then
    line+="  FINDING: see $log and $artifacts/"
    failed+=("$t")
  fi
  echo "$line"
  summary+=("$line")
done
echo "fuzz: summary"
printf '  %s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: findings in ${failed[*]}" >&2
  exit 1
fi
