#!/usr/bin/env bash
# Installs the Debian packages Strata needs to build, test and benchmark. Idempotent: only missing packages
# are installed. Pass --with-torch to also install PyTorch (used by bench/ and tests/golden/make_golden.py only),
# --with-fuzz for clang and its libFuzzer/sanitizer runtimes (make fuzz).
set -euo pipefail

packages=(
  g++ cmake ninja-build make pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenblas-openmp-dev libopenblas0-openmp
  zlib1g-dev
  # oneDNN (optional; OpenMP build): float convolutions per shape (docs/performance.md). Without it, im2col + GEMM.
  libdnnl-dev
  # OpenMPI (optional): data-parallel training over processes (mpirun -np N strata train; docs/distributed.md)
  libopenmpi-dev openmpi-bin
  # libpng: io::write_png / io::read_png (sample grids of the generative models, images for the docs)
  libpng-dev
  # Fashion-MNIST IDX files in /usr/share/datasets/fashion-mnist (data::FashionMNIST, make demo, examples)
  dataset-fashion-mnist
  # Quotations in /usr/share/games/fortunes: the English corpus of the character-level language models
  fortunes
  # Headless browser for the report test (tests/browser): opens runs/<name>/report.html offline and checks
  # that every plot draws and the page logs no console errors
  chromium
)
for arg in "$@"; do
  case "$arg" in
    # jemalloc: the allocator PyTorch's CPU performance guide recommends; bench/torch_bench.py's "tuned"
    # configuration preloads it (docs/benchmarks.md)
    --with-torch) packages+=(python3-torch python3-numpy libjemalloc2) ;;
    # clang-14 only recommends libclang-rt-14-dev (libFuzzer, ASan, UBSan runtimes); clang's -fopenmp needs
    # libomp-dev; llvm has llvm-symbolizer, for source lines in sanitizer stacks.
    --with-fuzz) packages+=(clang libclang-rt-14-dev libomp-dev llvm) ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "install-deps: not root and no password-less sudo. Run as root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
