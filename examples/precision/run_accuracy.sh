#!/usr/bin/env bash
# The accuracy table of docs/precision.md: every model in fp32, bf16 and fp16 (+ GradScaler), same seeds and
# epochs. Run from the repository root after building strata_cli, char_lstm and gpt:
#   OMP_NUM_THREADS=2 examples/precision/run_accuracy.sh [output dir, default /tmp/precision_runs]
set -euo pipefail
out=${1:-/tmp/precision_runs}
mkdir -p "$out"
for model in mlp lenet resnet_small; do
  for p in fp32 bf16 fp16; do
    start=$(date +%s)
    build/tools/strata/strata train "examples/precision/$model.json" --precision "$p" --name "${model}_$p" --output-dir "$out" \
      > "$out/${model}_$p.log" 2>&1
    results=$(tr -d ' \n' < "$out/${model}_$p/results.json")
    echo "$model $p $(( $(date +%s) - start )) s: $(grep -o '"test":{"accuracy":[0-9.]*,"loss":[0-9.e-]*' <<< "$results")" \
      "$(grep -o '"loss_scale":[0-9.e+-]*\|"skipped_steps":[0-9]*' <<< "$results" | tr '\n' ' ')"
  done
done
# Language models: 2 epochs of 40 steps, batch 16 x 64 characters; the best validation loss (nats/char).
for p in fp32 bf16 fp16; do
  start=$(date +%s)
  build/examples/char_lstm --epochs 2 --steps 40 --batch 16 --seq 64 --hidden 128 --sample-len 0 --precision "$p" \
    > "$out/char_lstm_$p.log" 2>&1
  echo "char_lstm $p $(( $(date +%s) - start )) s: $(grep 'best val loss\|^precision' "$out/char_lstm_$p.log" | tr '\n' ' ')"
  start=$(date +%s)
  build/examples/gpt --epochs 2 --steps 40 --batch 16 --context 128 --layers 2 --d-model 64 --heads 4 \
    --sample-len 0 --precision "$p" > "$out/gpt_$p.log" 2>&1
  echo "gpt $p $(( $(date +%s) - start )) s: $(grep 'best val loss\|^precision' "$out/gpt_$p.log" | tr '\n' ' ')"
done
