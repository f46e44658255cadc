#!/usr/bin/env bash
# The backend seam stays a seam (docs/devices.md): above src/backend and src/kernels, no code names the CPU
# kernels, tests a device, or walks tensor memory through raw pointers in the op layer. The int8 quantized layers
# and the MPI collectives are CPU-only by design and say so (check_cpu), so they are left out.
set -u
root=${1:?usage: seam_lint.sh <source root>}
cd "$root" || exit 2
status=0
report() {
  echo "seam lint: $1"
  echo "$2" | sed 's/^/  /'
  status=1
}
hits=$(grep -rnE 'kernels::cpu|namespace kc|check_cpu\(' src/ops src/autograd src/optim src/train src/nn src/tools \
  --include='*.cpp' --include='*.h' | grep -vE '^src/nn/quantized')
[ -n "$hits" ] && report "kernel or device tests above the backends (go through backend::<family>(op, dev))" "$hits"
hits=$(grep -rnE 'Tensor::empty\([^,()]*(\([^()]*\))?[^,()]*,[^,()]*\)' src/ops --include='*.cpp' --include='*.h')
[ -n "$hits" ] && report "Tensor::empty without a device in the op layer (it would allocate on the CPU)" "$hits"
hits=$(grep -rnE 'memset|memcpy' src/ops src/autograd src/optim --include='*.cpp' --include='*.h')
[ -n "$hits" ] && report "raw memory writes in the op layer (use the copy family)" "$hits"
[ $status -eq 0 ] && echo "seam lint: clean"
exit $status
