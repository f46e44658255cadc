#!/usr/bin/env bash
# The checks that need a GPU (docs/devices.md): builds the CUDA backend and runs its tests on the GPU this machine
# has. Usage: scripts/cuda_check.sh [build dir]. Fails when no CUDA device is usable (the tests would only skip).
set -euo pipefail
build=${1:-build-cuda}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_WITH_CUDA=ON \
  -DSTRATA_BUILD_BENCH=OFF -DSTRATA_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target strata_backend_tests strata_cli
"$build/tools/strata/strata" --version
"$build/tools/strata/strata" --version | grep -q "cuda: [0-9]* device" || { echo "no usable CUDA device"; exit 1; }
"$build/tests/strata_backend_tests" --gtest_filter='Cuda.*'
