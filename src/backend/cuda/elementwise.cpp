// The CUDA elementwise family's host side: tensors to StridedView, then elementwise_kernels.cu.
#include "backend/elementwise.h"

#include "backend/cuda/families.h"
#include "backend/cuda/runtime.h"
#include "backend/cuda/views.h"

namespace strata::backend::cuda {

namespace {

void unary(UnaryOp op, const OpParams& p, const Tensor& out, const Tensor& x) {
  if (out.numel() == 0) return;
  const double params[3] = {p.a, p.b, p.c};
  launch(op_name(op), [&] {
    launch_unary(static_cast<int>(op), params, view_of(out), view_of(x), out.numel(), out.device().index);
  });
}

void binary(BinaryOp op, const OpParams& p, const Tensor& out, const Tensor& a, const Tensor& b) {
  if (out.numel() == 0) return;
  const double params[3] = {p.a, p.b, p.c};
  launch(op_name(op), [&] {
    launch_binary(static_cast<int>(op), params, view_of(out), view_of(a), view_of(b), out.numel(), out.device().index);
  });
}

void compare(CompareOp op, const OpParams& p, const Tensor& out, const Tensor& a, const Tensor& b) {
  if (out.numel() == 0) return;
  const double params[3] = {p.a, p.b, p.c};
  launch(op_name(op), [&] {
    launch_compare(static_cast<int>(op), params, view_of(out), view_of(a), view_of(b), out.numel(), out.device().index);
  });
}

void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  if (out.numel() == 0) return;
  launch("where",
         [&] { launch_where(view_of(out), view_of(cond), view_of(a), view_of(b), out.numel(), out.device().index); });
}

const ElementwiseKernels kElementwise{unary, binary, compare, where};

}  // namespace

const ElementwiseKernels* elementwise_kernels() { return &kElementwise; }

}  // namespace strata::backend::cuda
