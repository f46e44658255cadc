// conv2d over NCHW tensors: argument checks, output shape, the conv family's kernels (backend/conv.h; on the cpu
// backend im2col + GEMM or oneDNN), and the backward rule. The backward calls the data/weight gradient kernels directly
// (not composed of Strata ops), so conv2d's gradients are not themselves differentiable (no double backward); gradcheck
// covers them.
#include "backend/conv.h"

#include <ostream>

#include "ops/helpers.h"
#include "strata/autograd/autocast.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/profile.h"
#include "strata/ops/conv.h"
#include "strata/ops/views.h"

namespace strata {

namespace {
using autograd::NeedsGrad;
using backend::ConvGeom;

// Prints a Size2 as "(h, w)" in error messages.
struct size2 {
  Size2 s;
  explicit size2(Size2 v) : s(v) {}
  friend std::ostream& operator<<(std::ostream& os, const size2& v) {
    return os << "(" << v.s[0] << ", " << v.s[1] << ")";
  }
};

// Contiguous copy of x in dtype t (x itself when it already is one). Not recorded.
Tensor contiguous_as(const Tensor& x, DType t) {
  NoGradGuard no_grad;
  return contiguous(ops::cast(x, t));
}

// A convolution's operands. t: the result's dtype (the promoted one; 16-bit stays 16-bit); ct: the kernels'
// (float32 for 16-bit t). xs, ws: x and weight kept (and saved for backward) in t; xc, wc, bc: contiguous in ct
// for the im2col + GEMM kernels (the same tensors when t == ct).
struct ConvOperands {
  DType t, ct;
  Tensor xs, ws, xc, wc, bc;
};
ConvOperands conv_operands(const Tensor& x, const Tensor& weight, const Tensor& bias, DType promoted) {
  ConvOperands o;
  o.t = float_result_dtype(promoted);
  o.ct = compute_dtype(o.t);
  o.xs = contiguous_as(x, o.t);
  o.ws = contiguous_as(weight, o.t);
  o.xc = contiguous_as(o.xs, o.ct);
  o.wc = contiguous_as(o.ws, o.ct);
  if (bias.defined()) o.bc = contiguous_as(bias, o.ct);
  return o;
}

ConvGeom conv_geom(const Tensor& x, const Tensor& w, Size2 stride, Size2 padding, Size2 dilation, int64_t groups) {
  STRATA_CHECK(x.dim() == 4, "[conv2d] expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ", x.shape());
  STRATA_CHECK(w.dim() == 4, "[conv2d] expected a 4-D weight (C_out, C_in / groups, kH, kW), got shape ", w.shape());
  STRATA_CHECK(groups >= 1, "[conv2d] groups must be positive, got ", groups);
  STRATA_CHECK(stride[0] > 0 && stride[1] > 0, "[conv2d] stride must be positive, got ", size2(stride));
  STRATA_CHECK(dilation[0] > 0 && dilation[1] > 0, "[conv2d] dilation must be positive, got ", size2(dilation));
  STRATA_CHECK(padding[0] >= 0 && padding[1] >= 0, "[conv2d] padding must be non-negative, got ", size2(padding));
  ConvGeom g;
  g.n = x.size(0), g.c = x.size(1), g.h = x.size(2), g.w = x.size(3);
  g.cout = w.size(0), g.kh = w.size(2), g.kw = w.size(3);
  g.sh = stride[0], g.sw = stride[1], g.ph = padding[0], g.pw = padding[1], g.dh = dilation[0], g.dw = dilation[1];
  g.groups = groups;
  STRATA_CHECK(g.cout % groups == 0, "[conv2d] groups (", groups, ") must divide the output channels of weight shape ",
               w.shape());
  STRATA_CHECK(g.c % groups == 0, "[conv2d] groups (", groups, ") must divide the input channels of input shape ",
               x.shape());
  if (groups == 1) {
    STRATA_CHECK(g.c == w.size(1), "[conv2d] input has ", g.c, " channels but weight expects ", w.size(1),
                 " (weight shape ", w.shape(), ")");
  }
  STRATA_CHECK(g.c == w.size(1) * groups, "[conv2d] input has ", g.c, " channels but weight expects ",
               w.size(1) * groups, " (weight shape ", w.shape(), ", groups ", groups, ")");
  STRATA_CHECK(g.kh > 0 && g.kw > 0, "[conv2d] empty kernel in weight shape ", w.shape());
  const int64_t ekh = g.dh * (g.kh - 1) + 1, ekw = g.dw * (g.kw - 1) + 1;
  STRATA_CHECK(ekh <= g.h + 2 * g.ph && ekw <= g.w + 2 * g.pw, "[conv2d] kernel size ", size2({ekh, ekw}),
               " (dilated) is larger than the padded input ", size2({g.h + 2 * g.ph, g.w + 2 * g.pw}), ": input shape ",
               x.shape(), ", weight shape ", w.shape());
  g.ho = (g.h + 2 * g.ph - ekh) / g.sh + 1;
  g.wo = (g.w + 2 * g.pw - ekw) / g.sw + 1;
  return g;
}

// x_src / w_src: the float32 tensors autocast converted to x / weight (undefined otherwise). A leaf among them (a
// parameter, an input batch) is saved instead of its 16-bit copy and rounded again in backward (as linear).
Tensor conv2d_4d(Device dev, const Tensor& x, const Tensor& weight, const Tensor& bias, Size2 stride, Size2 padding,
                 Size2 dilation, int64_t groups, const Tensor& x_src = Tensor(), const Tensor& w_src = Tensor()) {
  const ConvGeom g = conv_geom(x, weight, stride, padding, dilation, groups);
  const bool has_bias = bias.defined();
  DType t = promote_types(x.dtype(), weight.dtype());
  if (has_bias) {
    STRATA_CHECK(bias.dim() == 1 && bias.size(0) == g.cout, "[conv2d] bias of shape ", bias.shape(),
                 " does not match weight shape ", weight.shape(), " (expected (", g.cout, ",))");
    t = promote_types(t, bias.dtype());
  }
  const ConvOperands op = conv_operands(x, weight, bias, t);
  const DType ct = op.ct;
  t = op.t;
  const Tensor &xs = op.xs, &ws = op.ws, &xc = op.xc, &wc = op.wc, &bc = op.bc;
  Tensor out = Tensor::empty(Shape{g.n, g.cout, g.ho, g.wo}, ct, dev);
  backend::conv("conv2d", dev).conv2d_forward(g, out, xc, wc, bc);
  out = ops::cast(out, t);
  if (autograd::needs_grad({&x, &weight, &bias})) {
    const bool need_x = autograd::needs_grad({&x}), need_w = autograd::needs_grad({&weight});
    auto saved = [](const Tensor& src, const Tensor& used) {
      const bool leaf = src.defined() && !src.is_same(used) && src.is_leaf() && src.shape() == used.shape();
      return autograd::SavedTensor(leaf ? src : used, "conv2d");
    };
    autograd::SavedTensor sx = need_w ? saved(x_src, xs) : autograd::SavedTensor();
    autograd::SavedTensor sw = need_x ? saved(w_src, ws) : autograd::SavedTensor();
    const DType x_dtype = x.dtype(), w_dtype = weight.dtype(), b_dtype = has_bias ? bias.dtype() : t;
    TensorList inputs{x, weight};
    if (has_bias) inputs.push_back(bias);
    autograd::record("conv2d", inputs, out, [=](const TensorList& gr, const NeedsGrad& needs) {
      // dx = W^T dY scattered back by col2im; dW = sum_n dY col^T; db = sum of dY over (N, H, W).
      const Tensor dy = contiguous_as(gr[0], ct);
      TensorList grads(needs.size());
      const bool want_b = needs.size() > 2 && needs[2];
      const backend::ConvKernels& k = backend::conv("conv2d", dev);
      if (needs[0]) {
        Tensor dx = Tensor::empty(Shape{g.n, g.c, g.h, g.w}, ct, dev);
        const Tensor wk = contiguous_as(contiguous_as(sw.get(), t), ct);
        k.conv2d_backward_data(g, dx, dy, wk);
        grads[0] = ops::cast(dx, x_dtype);
      }
      if (needs[1] || want_b) {
        Tensor dw = needs[1] ? Tensor::empty(Shape{g.cout, g.cin_g(), g.kh, g.kw}, ct, dev) : Tensor();
        Tensor db = want_b ? Tensor::empty(Shape{g.cout}, ct, dev) : Tensor();
        const Tensor xk = needs[1] ? contiguous_as(contiguous_as(sx.get(), t), ct) : Tensor();
        k.conv2d_backward_weight(g, dw, db, dy, xk);
        if (needs[1]) grads[1] = ops::cast(dw, w_dtype);
        if (want_b) grads[2] = ops::cast(db, b_dtype);
      }
      return grads;
    });
  }
  return out;
}

// The geometry of the conv2d that conv_transpose2d is the adjoint of: that conv's input is the transposed conv's
// output (N, C_out, H_out, W_out) and its output is the transposed conv's input (N, C_in, H, W).
ConvGeom conv_transpose_geom(const Tensor& x, const Tensor& w, Size2 stride, Size2 padding, Size2 output_padding,
                             int64_t groups, Size2 dilation) {
  STRATA_CHECK(x.dim() == 4, "[conv_transpose2d] expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ",
               x.shape());
  STRATA_CHECK(w.dim() == 4, "[conv_transpose2d] expected a 4-D weight (C_in, C_out / groups, kH, kW), got shape ",
               w.shape());
  STRATA_CHECK(groups >= 1, "[conv_transpose2d] groups must be positive, got ", groups);
  STRATA_CHECK(stride[0] > 0 && stride[1] > 0, "[conv_transpose2d] stride must be positive, got ", size2(stride));
  STRATA_CHECK(dilation[0] > 0 && dilation[1] > 0, "[conv_transpose2d] dilation must be positive, got ",
               size2(dilation));
  STRATA_CHECK(padding[0] >= 0 && padding[1] >= 0, "[conv_transpose2d] padding must be non-negative, got ",
               size2(padding));
  for (int d = 0; d < 2; ++d) {
    STRATA_CHECK(output_padding[d] >= 0 && (output_padding[d] < stride[d] || output_padding[d] < dilation[d]),
                 "[conv_transpose2d] output_padding must be smaller than either stride or dilation, got "
                 "output_padding ",
                 size2(output_padding), ", stride ", size2(stride), ", dilation ", size2(dilation));
  }
  STRATA_CHECK(w.size(0) % groups == 0, "[conv_transpose2d] groups (", groups,
               ") must divide the input channels of weight shape ", w.shape());
  STRATA_CHECK(x.size(1) == w.size(0), "[conv_transpose2d] input has ", x.size(1), " channels but weight expects ",
               w.size(0), " (input shape ", x.shape(), ", weight shape ", w.shape(), ")");
  STRATA_CHECK(w.size(2) > 0 && w.size(3) > 0 && w.size(1) > 0, "[conv_transpose2d] empty weight shape ", w.shape());
  ConvGeom g;
  g.n = x.size(0), g.cout = x.size(1), g.ho = x.size(2), g.wo = x.size(3);
  g.c = w.size(1) * groups, g.kh = w.size(2), g.kw = w.size(3);
  g.sh = stride[0], g.sw = stride[1], g.ph = padding[0], g.pw = padding[1], g.dh = dilation[0], g.dw = dilation[1];
  g.groups = groups;
  g.h = (g.ho - 1) * g.sh - 2 * g.ph + g.dh * (g.kh - 1) + output_padding[0] + 1;
  g.w = (g.wo - 1) * g.sw - 2 * g.pw + g.dw * (g.kw - 1) + output_padding[1] + 1;
  STRATA_CHECK(g.h > 0 && g.w > 0, "[conv_transpose2d] output size ", size2({g.h, g.w}),
               " is not positive: input shape ", x.shape(), ", weight shape ", w.shape(), ", stride ", size2(stride),
               ", padding ", size2(padding));
  return g;
}

Tensor conv_transpose2d_4d(Device dev, const Tensor& x, const Tensor& weight, const Tensor& bias, Size2 stride,
                           Size2 padding, Size2 output_padding, int64_t groups, Size2 dilation) {
  const ConvGeom g = conv_transpose_geom(x, weight, stride, padding, output_padding, groups, dilation);
  const bool has_bias = bias.defined();
  DType t = promote_types(x.dtype(), weight.dtype());
  if (has_bias) {
    STRATA_CHECK(bias.dim() == 1 && bias.size(0) == g.c, "[conv_transpose2d] bias of shape ", bias.shape(),
                 " does not match weight shape ", weight.shape(), " (expected (", g.c, ",))");
    t = promote_types(t, bias.dtype());
  }
  const ConvOperands op = conv_operands(x, weight, bias, t);
  const DType ct = op.ct;
  t = op.t;
  const Tensor &xs = op.xs, &ws = op.ws, &xc = op.xc, &wc = op.wc, &bc = op.bc;
  Tensor out = Tensor::empty(Shape{g.n, g.c, g.h, g.w}, ct, dev);
  backend::conv("conv_transpose2d", dev).conv_transpose2d_forward(g, out, xc, wc, bc);
  out = ops::cast(out, t);
  if (autograd::needs_grad({&x, &weight, &bias})) {
    const bool need_x = autograd::needs_grad({&x}), need_w = autograd::needs_grad({&weight});
    autograd::SavedTensor sx = need_w ? autograd::SavedTensor(xs, "conv_transpose2d") : autograd::SavedTensor();
    autograd::SavedTensor sw = need_x ? autograd::SavedTensor(ws, "conv_transpose2d") : autograd::SavedTensor();
    const DType x_dtype = x.dtype(), w_dtype = weight.dtype(), b_dtype = has_bias ? bias.dtype() : t;
    TensorList inputs{x, weight};
    if (has_bias) inputs.push_back(bias);
    autograd::record("conv_transpose2d", inputs, out, [=](const TensorList& gr, const NeedsGrad& needs) {
      // The adjoint of conv2d's input gradient: dx = conv2d(dy, W); dW = conv2d's weight gradient with x as the
      // output gradient and dy as the input; db = sum of dy over (N, H, W).
      const Tensor dy = contiguous_as(gr[0], ct);
      TensorList grads(needs.size());
      const backend::ConvKernels& k = backend::conv("conv_transpose2d", dev);
      if (needs[0]) {
        Tensor dx = Tensor::empty(Shape{g.n, g.cout, g.ho, g.wo}, ct, dev);
        k.conv2d_forward(g, dx, dy, contiguous_as(sw.get(), ct), Tensor());
        grads[0] = ops::cast(dx, x_dtype);
      }
      if (needs[1]) {
        Tensor dw = Tensor::empty(Shape{g.cout, g.cin_g(), g.kh, g.kw}, ct, dev);
        k.conv2d_backward_weight(g, dw, Tensor(), contiguous_as(sx.get(), ct), dy);
        grads[1] = ops::cast(dw, w_dtype);
      }
      if (needs.size() > 2 && needs[2]) {
        Tensor db = Tensor::empty(Shape{g.c}, ct, dev);
        k.conv_transpose2d_backward_bias(g, db, dy);
        grads[2] = ops::cast(db, b_dtype);
      }
      return grads;
    });
  }
  return out;
}

}  // namespace

Tensor conv_transpose2d(const Tensor& x_in, const Tensor& weight_in, const Tensor& bias_in, Size2 stride, Size2 padding,
                        Size2 output_padding, int64_t groups, Size2 dilation) {
  const profile::Scope prof_scope(profile::Kind::Forward, "conv_transpose2d");
  STRATA_CHECK(x_in.defined() && weight_in.defined(), "[conv_transpose2d] undefined tensor");
  Tensor x = autocast::to_low(x_in), weight = autocast::to_low(weight_in), bias = autocast::to_low(bias_in);
  const Device dev = backend::place("conv_transpose2d", {&x, &weight, &bias});
  if (x.dim() == 3) {  // unbatched (C, H, W), as PyTorch
    return squeeze(
        conv_transpose2d_4d(dev, unsqueeze(x, 0), weight, bias, stride, padding, output_padding, groups, dilation), 0);
  }
  return conv_transpose2d_4d(dev, x, weight, bias, stride, padding, output_padding, groups, dilation);
}

Tensor conv2d(const Tensor& x_in, const Tensor& weight_in, const Tensor& bias_in, Size2 stride, Size2 padding,
              Size2 dilation, int64_t groups) {
  const profile::Scope prof_scope(profile::Kind::Forward, "conv2d");
  STRATA_CHECK(x_in.defined() && weight_in.defined(), "[conv2d] undefined tensor");
  // Under autocast the float32 operands run as 16-bit (parameters' copies are cached per region).
  Tensor x = autocast::to_low(x_in), weight = autocast::to_low(weight_in), bias = autocast::to_low(bias_in);
  const Device dev = backend::place("conv2d", {&x, &weight, &bias});
  if (x.dim() == 3) {  // unbatched (C, H, W), as PyTorch
    return squeeze(conv2d_4d(dev, unsqueeze(x, 0), weight, bias, stride, padding, dilation, groups), 0);
  }
  return conv2d_4d(dev, x, weight, bias, stride, padding, dilation, groups, x.is_same(x_in) ? Tensor() : x_in,
                   weight.is_same(weight_in) ? Tensor() : weight_in);
}

}  // namespace strata
