// Pooling over NCHW (or unbatched CHW) tensors: max_pool2d (argmax indices kept for backward), avg_pool2d and
// adaptive_avg_pool2d, with PyTorch's output-size and window rules (the conv family, backend/conv.h). Backward
// rules call the scatter kernels directly, so their gradients are not differentiable again; gradcheck covers them.
#include <ostream>

#include "backend/conv.h"
#include "ops/helpers.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/profile.h"
#include "strata/ops/conv.h"
#include "strata/ops/views.h"

namespace strata {

namespace {
using autograd::NeedsGrad;
using backend::PoolGeom;

// Prints a Size2 as "(h, w)" in error messages.
struct size2 {
  Size2 s;
  explicit size2(Size2 v) : s(v) {}
  friend std::ostream& operator<<(std::ostream& os, const size2& v) {
    return os << "(" << v.s[0] << ", " << v.s[1] << ")";
  }
};

Tensor contiguous_as(const Tensor& x, DType t) {
  NoGradGuard no_grad;
  return contiguous(ops::cast(x, t));
}

// PyTorch's pooling_output_shape: floor (or ceil) division, and in ceil mode the last window must start inside
// the input or its left padding.
int64_t pool_out(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil_mode) {
  const int64_t num = in + 2 * pad - dil * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  const int64_t q = num >= 0 ? num / stride : -((-num + stride - 1) / stride);  // floor division
  int64_t out = q + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

void check_input(const char* op, const Tensor& x) {
  STRATA_CHECK(x.defined(), "[", op, "] undefined tensor");
  STRATA_CHECK(x.dim() == 3 || x.dim() == 4, "[", op,
               "] expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ", x.shape());
}

// Window geometry of max/avg pooling on a 4-D x, with every argument checked.
PoolGeom pool_geom(const char* op, const Tensor& x, Size2 kernel, Size2& stride, Size2 padding, Size2 dilation,
                   bool ceil_mode) {
  STRATA_CHECK(kernel[0] > 0 && kernel[1] > 0, "[", op, "] kernel size must be positive, got ", size2(kernel));
  if (stride[0] == 0 && stride[1] == 0) stride = kernel;
  STRATA_CHECK(stride[0] > 0 && stride[1] > 0, "[", op, "] stride must be positive, got ", size2(stride));
  STRATA_CHECK(dilation[0] > 0 && dilation[1] > 0, "[", op, "] dilation must be positive, got ", size2(dilation));
  STRATA_CHECK(padding[0] >= 0 && padding[1] >= 0 && padding[0] <= kernel[0] / 2 && padding[1] <= kernel[1] / 2, "[",
               op, "] padding ", size2(padding), " must be non-negative and at most half the kernel size ",
               size2(kernel));
  PoolGeom g;
  g.planes = x.size(0) * x.size(1), g.h = x.size(2), g.w = x.size(3);
  g.kh = kernel[0], g.kw = kernel[1], g.sh = stride[0], g.sw = stride[1];
  g.ph = padding[0], g.pw = padding[1], g.dh = dilation[0], g.dw = dilation[1];
  g.ho = pool_out(g.h, g.kh, g.ph, g.sh, g.dh, ceil_mode);
  g.wo = pool_out(g.w, g.kw, g.pw, g.sw, g.dw, ceil_mode);
  STRATA_CHECK(g.ho >= 1 && g.wo >= 1, "[", op, "] input shape ", x.shape(), " is too small for kernel ", size2(kernel),
               " (stride ", size2(stride), ", padding ", size2(padding), ", dilation ", size2(dilation),
               "): output size would be ", size2({g.ho, g.wo}));
  return g;
}

// Runs a 4-D pool; unbatched (C, H, W) inputs are viewed as (1, C, H, W) and the result squeezed back.
template <class F>
Tensor batched(const Tensor& x, F f) {
  if (x.dim() == 3) return squeeze(f(unsqueeze(x, 0)), 0);
  return f(x);
}

// Backward keeps the input, not the int64 indices: in the usual conv -> ReLU -> pool order the input is the ReLU's
// output, which the ReLU saves anyway, so the pool adds nothing, where indices cost 8 bytes per output. Backward
// finds each window's argmax again (the forward's rule: first maximum wins, NaN wins). A float16/bfloat16 input is
// read in place as float (exact) and kept in its 16-bit form.
std::pair<Tensor, Tensor> max_pool_4d(const Tensor& x, Size2 kernel, Size2 stride, Size2 padding, Size2 dilation,
                                      bool ceil_mode, bool want_indices) {
  const PoolGeom g = pool_geom("max_pool2d", x, kernel, stride, padding, dilation, ceil_mode);
  const Device dev = x.device();  // placed by max_pool2d_impl
  const backend::ConvKernels& k = backend::conv("max_pool2d", dev);
  const DType st = float_result_dtype(x.dtype()), ct = compute_dtype(st);
  const Shape out_shape{x.size(0), x.size(1), g.ho, g.wo};
  Tensor out, idx;
  if (st != ct) {
    // 16-bit: read in place (no float32 copy of the input) and indices only when asked for.
    const Tensor xs = contiguous_as(x, st);
    out = Tensor::empty(out_shape, st, dev);
    if (want_indices) idx = Tensor::empty(out_shape, kInt64, dev);
    k.max_pool2d_forward(g, out, idx, xs);
  } else {
    const Tensor xc = contiguous_as(x, ct);
    out = Tensor::empty(out_shape, ct, dev);
    idx = Tensor::empty(out_shape, kInt64, dev);
    k.max_pool2d_forward(g, out, idx, xc);
  }
  if (autograd::needs_grad({&x}) && st == ct) {
    // float32/float64: the forward's argmax indices are kept, and the backward scatters through them (8 bytes per
    // output: half the memory of keeping the input, and no second pass over every window).
    const Shape x_shape = x.shape();
    const DType x_dtype = x.dtype();
    autograd::record("max_pool2d", {x}, out, [=](const TensorList& gr, const NeedsGrad&) {
      const Tensor dy = contiguous_as(gr[0], ct);
      Tensor dx = Tensor::empty(x_shape, ct, dev);
      backend::conv("max_pool2d", dev).max_pool2d_backward(g, dx, dy, idx);
      return TensorList{ops::cast(dx, x_dtype)};
    });
  } else if (autograd::needs_grad({&x})) {
    const Shape x_shape = x.shape();
    const DType x_dtype = x.dtype();
    autograd::SavedTensor sx(x, "max_pool2d");
    autograd::record("max_pool2d", {x}, out, [=](const TensorList& gr, const NeedsGrad&) {
      // Each output's gradient goes to the input element that was its maximum.
      // Read in their own (16-bit) dtype: no float32 copies of the input or the gradient.
      const Tensor xr = contiguous_as(sx.get(), st);
      const Tensor dy = contiguous_as(gr[0], st);
      // Disjoint windows (2x2 stride 2) write a 16-bit gradient directly; overlapping ones sum in float32.
      const bool direct = st != ct && backend::max_pool2d_windows_disjoint(g);
      Tensor dx = Tensor::empty(x_shape, direct ? st : ct, dev);
      backend::conv("max_pool2d", dev).max_pool2d_backward_recompute(g, dx, xr, dy);
      return TensorList{ops::cast(dx, x_dtype)};
    });
  }
  return {out, idx};
}

std::pair<Tensor, Tensor> max_pool2d_impl(const Tensor& x_in, Size2 kernel, Size2 stride, Size2 padding, Size2 dilation,
                                          bool ceil_mode, bool want_indices) {
  const profile::Scope prof_scope(profile::Kind::Forward, "max_pool2d");
  check_input("max_pool2d", x_in);
  Tensor x = x_in;
  backend::place("max_pool2d", {&x});
  if (x.dim() == 3) {
    auto [out, idx] = max_pool_4d(unsqueeze(x, 0), kernel, stride, padding, dilation, ceil_mode, want_indices);
    return {squeeze(out, 0), idx.defined() ? squeeze(idx, 0) : idx};
  }
  return max_pool_4d(x, kernel, stride, padding, dilation, ceil_mode, want_indices);
}

}  // namespace

std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, Size2 kernel, Size2 stride, Size2 padding,
                                                  Size2 dilation, bool ceil_mode) {
  return max_pool2d_impl(x, kernel, stride, padding, dilation, ceil_mode, true);
}

Tensor max_pool2d(const Tensor& x, Size2 kernel, Size2 stride, Size2 padding, Size2 dilation, bool ceil_mode) {
  return max_pool2d_impl(x, kernel, stride, padding, dilation, ceil_mode, false).first;
}

Tensor avg_pool2d(const Tensor& x, Size2 kernel, Size2 stride, Size2 padding, bool ceil_mode, bool count_include_pad) {
  const profile::Scope prof_scope(profile::Kind::Forward, "avg_pool2d");
  check_input("avg_pool2d", x);
  if (Tensor r = ops::via_float32(
          "avg_pool2d", {&x},
          [&](const TensorList& u) { return avg_pool2d(u[0], kernel, stride, padding, ceil_mode, count_include_pad); });
      r.defined()) {
    return r;
  }

  return batched(x, [&](const Tensor& x4) {
    Size2 st = stride;
    const PoolGeom g = pool_geom("avg_pool2d", x4, kernel, st, padding, {1, 1}, ceil_mode);
    const DType t = ops::float_compute_dtype(x4.dtype());
    const Device dev = x4.device();
    const Tensor xc = contiguous_as(x4, t);
    Tensor out = Tensor::empty(Shape{x4.size(0), x4.size(1), g.ho, g.wo}, t, dev);
    backend::conv("avg_pool2d", dev).avg_pool2d_forward(g, count_include_pad, out, xc);
    if (autograd::needs_grad({&x4})) {
      const Shape x_shape = x4.shape();
      const DType x_dtype = x4.dtype();
      autograd::record("avg_pool2d", {x4}, out, [=](const TensorList& gr, const NeedsGrad&) {
        // Each output's gradient is spread evenly (1 / divisor) over its window.
        const Tensor dy = contiguous_as(gr[0], t);
        Tensor dx = Tensor::empty(x_shape, t, dev);
        backend::conv("avg_pool2d", dev).avg_pool2d_backward(g, count_include_pad, dx, dy);
        return TensorList{ops::cast(dx, x_dtype)};
      });
    }
    return out;
  });
}

Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size) {
  const profile::Scope prof_scope(profile::Kind::Forward, "adaptive_avg_pool2d");
  check_input("adaptive_avg_pool2d", x);
  if (Tensor r = ops::via_float32("adaptive_avg_pool2d", {&x},
                                  [&](const TensorList& u) { return adaptive_avg_pool2d(u[0], output_size); });
      r.defined()) {
    return r;
  }

  STRATA_CHECK(output_size[0] > 0 && output_size[1] > 0, "[adaptive_avg_pool2d] output size must be positive, got ",
               size2(output_size), " for input shape ", x.shape());
  STRATA_CHECK(x.size(-1) > 0 && x.size(-2) > 0, "[adaptive_avg_pool2d] empty spatial dims in input shape ", x.shape());
  return batched(x, [&](const Tensor& x4) {
    PoolGeom g;
    g.planes = x4.size(0) * x4.size(1), g.h = x4.size(2), g.w = x4.size(3);
    g.ho = output_size[0], g.wo = output_size[1];
    const DType t = ops::float_compute_dtype(x4.dtype());
    const Device dev = x4.device();
    const Tensor xc = contiguous_as(x4, t);
    Tensor out = Tensor::empty(Shape{x4.size(0), x4.size(1), g.ho, g.wo}, t, dev);
    backend::conv("adaptive_avg_pool2d", dev).adaptive_avg_pool2d_forward(g, out, xc);
    if (autograd::needs_grad({&x4})) {
      const Shape x_shape = x4.shape();
      const DType x_dtype = x4.dtype();
      autograd::record("adaptive_avg_pool2d", {x4}, out, [=](const TensorList& gr, const NeedsGrad&) {
        const Tensor dy = contiguous_as(gr[0], t);
        Tensor dx = Tensor::empty(x_shape, t, dev);
        backend::conv("adaptive_avg_pool2d", dev).adaptive_avg_pool2d_backward(g, dx, dy);
        return TensorList{ops::cast(dx, x_dtype)};
      });
    }
    return out;
  });
}

}  // namespace strata
