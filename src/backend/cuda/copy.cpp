// The CUDA copy family's host side: tensors to StridedView, then the kernels in copy_kernels.cu.
#include "backend/copy.h"

#include <stdexcept>

#include "backend/cuda/families.h"
#include "backend/cuda/runtime.h"
#include "backend/cuda/views.h"
#include "strata/core/error.h"

namespace strata::backend::cuda {

namespace {

void convert(const Tensor& dst, const Tensor& src) {
  if (dst.numel() == 0) return;
  launch("convert", [&] { launch_convert(view_of(dst), view_of(src), dst.numel(), dst.device().index); });
}

void fill(const Tensor& dst, double value) {
  if (dst.numel() == 0) return;
  launch("fill", [&] { launch_fill(view_of(dst), value, dst.numel(), dst.device().index); });
}

void add(const Tensor& out, const Tensor& a, const Tensor& b) {
  if (out.numel() == 0) return;
  launch("add", [&] { launch_add(view_of(out), view_of(a), view_of(b), out.numel(), out.device().index); });
}

const CopyKernels kCopy{convert, fill, add};

}  // namespace

const CopyKernels* copy_kernels() { return &kCopy; }

}  // namespace strata::backend::cuda
