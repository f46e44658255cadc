#!/usr/bin/env bash
# Every convolution of LeNet-5 (bench lenet.train), the demo LeNet (examples/lenet: 16 and 32 filters) and
# resnet_small (bench resnet.train) at their training batch sizes through strata_conv_bench: forward, backward-data,
# backward-weight, im2col vs oneDNN alternating call by call, on 2 threads and on 1 (docs/performance.md,
# "Convolution: im2col or oneDNN, per shape").
#   bench/conv/im2col_vs_onednn.sh [build/bench/strata_conv_bench] [reps=30] [threads="2 1"]
set -euo pipefail
bin=${1:-build/bench/strata_conv_bench}
reps=${2:-30}
threads=${3:-"2 1"}
#       name              n   c  h  w  cout k s p bias
shapes=(
  "lenet5.conv1       64  1 28 28   6 5 1 2 1"
  "lenet5.conv2       64  6 14 14  16 5 1 0 1"
  "demo.conv1         64  1 28 28  16 5 1 2 1"
  "demo.conv2         64 16 14 14  32 5 1 0 1"
  "resnet.stem       128  1 28 28  32 3 1 1 0"
  "resnet.32-32      128 32 28 28  32 3 1 1 0"
  "resnet.32-64.s2   128 32 28 28  64 3 2 1 0"
  "resnet.64-64      128 64 14 14  64 3 1 1 0"
  "resnet.proj.1x1s2 128 32 28 28  64 1 2 0 0"
)
echo "# $(date -u +%FT%TZ) $(uptime)"
for t in $threads; do
  for s in "${shapes[@]}"; do
    read -r name n c h w co k st p b <<<"$s"
    echo "== $name threads=$t"
    OMP_NUM_THREADS=$t "$bin" "$t" "$reps" "$n" "$c" "$h" "$w" "$co" "$k" "$st" "$p" "$b" 0
  done
  echo "# $(uptime)"
done
