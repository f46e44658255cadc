// Matrix products: matmul (PyTorch semantics), mm, bmm, addmm, linear. Everything reaches GEMM through one
// batched core: transposed views become transpose flags, broadcast batch dims become repeated offsets, and
// only operands whose last two dims fit no BLAS layout are copied.
#include "strata/ops/linalg.h"

#include "backend/gemm.h"
#include "ops/helpers.h"
#include "strata/autograd/autocast.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/profile.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/reduction.h"
#include "strata/ops/views.h"

namespace strata {

namespace {
using autograd::NeedsGrad;

// x itself when its last two dims fit a BLAS layout, else a contiguous copy (not recorded).
Tensor matrix_operand(const Tensor& x) {
  if (backend::mat_layout(x).ok) return x;
  NoGradGuard no_grad;
  return contiguous(x);
}

DType matmul_dtype(const char* op, const Tensor& a, const Tensor& b) {
  STRATA_CHECK(a.defined() && b.defined(), "[", op, "] undefined tensor");
  backend::common_device(op, {&a, &b});
  const DType t = promote_types(a.dtype(), b.dtype());
  STRATA_CHECK(is_floating(t), "[", op, "] needs float tensors, got ", a.dtype(), " and ", b.dtype());
  return t;
}

Shape leading(const Shape& s, size_t drop) { return Shape(s.data(), s.size() - drop); }

Shape concat(const Shape& a, std::initializer_list<int64_t> tail) {
  Shape out = a;
  for (int64_t v : tail) out.push_back(v);
  return out;
}

// out = alpha * a @ b + beta * out over the broadcast batch dims, with a and b converted to out's dtype; out is
// contiguous. A float16/bfloat16 out is computed with 16-bit operands and a float32 accumulator, rounded to 16 bits
// once at the end. Not recorded.
void gemm_into(const char* op, Device dev, Tensor a, Tensor b, Tensor& out, double alpha, double beta) {
  a = matrix_operand(ops::cast(a, out.dtype()));
  b = matrix_operand(ops::cast(b, out.dtype()));
  const backend::GemmKernels& k = backend::gemm(op, dev);
  if (is_low_float(out.dtype())) {
    NoGradGuard no_grad;
    Tensor acc = beta != 0.0 ? ops::cast(out, kFloat32) : Tensor::empty(out.shape(), kFloat32, dev);
    k.matmul(acc, a, b, alpha, beta);
    out.copy_(acc);
    return;
  }
  k.matmul(out, a, b, alpha, beta);
}

// The recorded core: (*ba, n, k) x (*bb, k, m) -> (*broadcast(ba, bb), n, m), both operands at least 2-D with
// matching inner dims (checked by the callers).
Tensor matmul_core(const char* op, const Tensor& a_in, const Tensor& b_in) {
  Tensor a = a_in, b = b_in;
  const Device dev = backend::place(op, {&a, &b});
  const DType t = matmul_dtype(op, a, b);
  const Shape ba = leading(a.shape(), 2), bb = leading(b.shape(), 2);
  const size_t nb = std::max(ba.size(), bb.size());
  Shape batch(nb);
  for (size_t i = 0; i < nb; ++i) {
    const int64_t da = i < nb - ba.size() ? 1 : ba[i - (nb - ba.size())];
    const int64_t db = i < nb - bb.size() ? 1 : bb[i - (nb - bb.size())];
    STRATA_CHECK(da == db || da == 1 || db == 1, "[", op, "] batch dimensions do not broadcast: ", a.shape(), " x ",
                 b.shape());
    batch[i] = da == 1 ? db : da;
  }
  Tensor out = Tensor::empty(concat(batch, {a.size(-2), b.size(-1)}), t, dev);
  gemm_into(op, dev, a, b, out, 1.0, 0.0);
  if (autograd::needs_grad({&a, &b})) {
    const bool need_a = autograd::needs_grad({&a}), need_b = autograd::needs_grad({&b});
    autograd::SavedTensor sa = need_b ? autograd::SavedTensor(a, op) : autograd::SavedTensor();
    autograd::SavedTensor sb = need_a ? autograd::SavedTensor(b, op) : autograd::SavedTensor();
    Shape a_shape = a.shape(), b_shape = b.shape();
    const DType a_dtype = a.dtype(), b_dtype = b.dtype();
    autograd::record(op, {a, b}, out, [=](const TensorList& g, const NeedsGrad& needs) {
      // grad_a = g @ b^T, grad_b = a^T @ g, summed over the batch dims each operand was broadcast along.
      Tensor ga, gb;
      if (needs[0]) ga = to_dtype(sum_to(matmul_core(op, g[0], transpose(sb.get(), -2, -1)), a_shape), a_dtype);
      if (needs[1]) gb = to_dtype(sum_to(matmul_core(op, transpose(sa.get(), -2, -1), g[0]), b_shape), b_dtype);
      return TensorList{ga, gb};
    });
  }
  return out;
}

void check_inner(const char* op, const Tensor& a, const Tensor& b, int64_t ka, int64_t kb) {
  STRATA_CHECK(ka == kb, "[", op, "] inner dimensions differ: ", a.shape(), " x ", b.shape());
}

}  // namespace

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  const profile::Scope prof_scope(profile::Kind::Forward, "matmul");
  const Tensor a = autocast::to_low(a_in), b = autocast::to_low(b_in);
  matmul_dtype("matmul", a, b);
  const int64_t da = a.dim(), db = b.dim();
  STRATA_CHECK(da >= 1 && db >= 1, "[matmul] both operands need at least 1 dim, got ", a.shape(), " x ", b.shape());
  const int64_t k = a.size(-1);
  check_inner("matmul", a, b, k, db == 1 ? b.size(0) : b.size(-2));
  if (da == 1 && db == 1) return reshape(matmul_core("matmul", unsqueeze(a, 0), unsqueeze(b, 1)), Shape{});
  if (da == 1) return squeeze(matmul_core("matmul", unsqueeze(a, 0), b), -2);
  const Shape lead = leading(a.shape(), 1);
  if (db == 1) {
    // (*, n, k) @ (k) folds into one matrix-vector product.
    Tensor a2 = da == 2 ? a : reshape(a, Shape{lead.numel(), k});
    return reshape(matmul_core("matmul", a2, unsqueeze(b, 1)), lead);
  }
  if (db == 2 && da >= 3) {
    // (*, n, k) @ (k, m): one GEMM with M = prod(*) * n; its weight gradient is one GEMM too.
    Tensor out = matmul_core("matmul", reshape(a, Shape{lead.numel(), k}), b);
    return reshape(out, concat(lead, {b.size(1)}));
  }
  return matmul_core("matmul", a, b);
}

Tensor mm(const Tensor& a_in, const Tensor& b_in) {
  const profile::Scope prof_scope(profile::Kind::Forward, "mm");
  const Tensor a = autocast::to_low(a_in), b = autocast::to_low(b_in);
  matmul_dtype("mm", a, b);
  STRATA_CHECK(a.dim() == 2 && b.dim() == 2, "[mm] expected 2-D operands, got ", a.shape(), " x ", b.shape());
  check_inner("mm", a, b, a.size(1), b.size(0));
  return matmul_core("mm", a, b);
}

Tensor bmm(const Tensor& a_in, const Tensor& b_in) {
  const profile::Scope prof_scope(profile::Kind::Forward, "bmm");
  const Tensor a = autocast::to_low(a_in), b = autocast::to_low(b_in);
  matmul_dtype("bmm", a, b);
  STRATA_CHECK(a.dim() == 3 && b.dim() == 3, "[bmm] expected 3-D operands, got ", a.shape(), " x ", b.shape());
  STRATA_CHECK(a.size(0) == b.size(0), "[bmm] batch sizes differ: ", a.shape(), " x ", b.shape());
  check_inner("bmm", a, b, a.size(2), b.size(1));
  return matmul_core("bmm", a, b);
}

Tensor addmm(const Tensor& self_in, const Tensor& a_in, const Tensor& b_in, double beta, double alpha) {
  const profile::Scope prof_scope(profile::Kind::Forward, "addmm");
  STRATA_CHECK(self_in.defined(), "[addmm] undefined tensor");
  Tensor self = autocast::to_low(self_in), a = autocast::to_low(a_in), b = autocast::to_low(b_in);
  const Device dev = backend::place("addmm", {&self, &a, &b});
  DType dt = matmul_dtype("addmm", a, b);
  dt = promote_types(dt, self.dtype());
  STRATA_CHECK(is_floating(dt), "[addmm] needs float tensors, got self ", self.dtype());
  STRATA_CHECK(a.dim() == 2 && b.dim() == 2, "[addmm] expected 2-D operands, got ", a.shape(), " x ", b.shape());
  check_inner("addmm", a, b, a.size(1), b.size(0));
  const Shape shape{a.size(0), b.size(1)};
  STRATA_CHECK(self.dim() <= 2 && broadcast_shapes(self.shape(), shape, "addmm") == shape, "[addmm] self of shape ",
               self.shape(), " does not broadcast to ", shape);
  Tensor out = Tensor::empty(shape, dt, dev);
  {
    NoGradGuard no_grad;
    if (beta != 0.0) out.copy_(self);  // beta == 0 ignores self, NaN included (as PyTorch)
  }
  gemm_into("addmm", dev, a, b, out, alpha, beta);
  if (autograd::needs_grad({&self, &a, &b})) {
    const bool need_a = autograd::needs_grad({&a}), need_b = autograd::needs_grad({&b});
    autograd::SavedTensor sa = need_b ? autograd::SavedTensor(a, "addmm") : autograd::SavedTensor();
    autograd::SavedTensor sb = need_a ? autograd::SavedTensor(b, "addmm") : autograd::SavedTensor();
    Shape s_shape = self.shape();
    const DType s_dtype = self.dtype(), a_dtype = a.dtype(), b_dtype = b.dtype();
    autograd::record("addmm", {self, a, b}, out, [=](const TensorList& g, const NeedsGrad& needs) {
      Tensor gs, ga, gb;
      if (needs[0]) gs = to_dtype(sum_to(beta == 1.0 ? g[0] : mul(g[0], beta), s_shape), s_dtype);
      if (needs[1]) {
        ga = mm(g[0], transpose(sb.get(), 0, 1));
        ga = to_dtype(alpha == 1.0 ? ga : mul(ga, alpha), a_dtype);
      }
      if (needs[2]) {
        gb = mm(transpose(sa.get(), 0, 1), g[0]);
        gb = to_dtype(alpha == 1.0 ? gb : mul(gb, alpha), b_dtype);
      }
      return TensorList{gs, ga, gb};
    });
  }
  return out;
}

Tensor linear(const Tensor& x_in, const Tensor& weight_in, const Tensor& bias_in) {
  const profile::Scope prof_scope(profile::Kind::Forward, "linear");
  // Under autocast the float32 input, weight and bias run as 16-bit (the weight's copy is cached per region).
  Tensor x = autocast::to_low(x_in), weight = autocast::to_low(weight_in), bias = autocast::to_low(bias_in);
  const Device dev = backend::place("linear", {&x, &weight, &bias});
  DType dt = matmul_dtype("linear", x, weight);
  STRATA_CHECK(weight.dim() == 2, "[linear] weight must be 2-D (out_features, in_features), got ", weight.shape());
  STRATA_CHECK(x.dim() >= 1, "[linear] input must have at least 1 dim, got ", x.shape());
  const int64_t in = weight.size(1), out_f = weight.size(0);
  STRATA_CHECK(x.size(-1) == in, "[linear] inner dimensions differ: ", x.shape(), " x ", weight.shape(),
               "^T (input has ", x.size(-1), " features, weight expects ", in, ")");
  const bool has_bias = bias.defined();
  if (has_bias) {
    STRATA_CHECK(bias.dim() == 1 && bias.size(0) == out_f, "[linear] bias of shape ", bias.shape(),
                 " does not match weight ", weight.shape(), " (expected (", out_f, ",))");
    dt = promote_types(dt, bias.dtype());
    STRATA_CHECK(is_floating(dt), "[linear] needs a float bias, got ", bias.dtype());
  }
  const Shape lead = leading(x.shape(), 1);
  const int64_t rows = lead.numel();
  Tensor out = Tensor::empty(Shape{rows, out_f}, dt, dev);
  {
    NoGradGuard no_grad;
    // x as a (rows, in) matrix (a view unless x's leading dims cannot be flattened), W^T as a transposed view:
    // GEMM gets trans_b instead of a materialised W^T. The bias rows are written first and accumulated onto (beta = 1).
    Tensor x2 = x.dim() == 2 ? x : reshape(x, Shape{rows, in});
    if (has_bias) out.copy_(bias);
    gemm_into("linear", dev, x2, transpose(weight, 0, 1), out, 1.0, has_bias ? 1.0 : 0.0);
    out = reshape(out, concat(lead, {out_f}));
  }
  if (autograd::needs_grad({&x, &weight, &bias})) {
    const bool need_x = autograd::needs_grad({&x}), need_w = autograd::needs_grad({&weight});
    // Under autocast, an operand that is a leaf (a float32 parameter, an input batch) is saved as that float32
    // tensor, which is alive anyway, and rounded to 16 bits again in backward: the same values, without keeping
    // a 16-bit copy of every weight alive until backward. Activations are saved in their 16-bit form.
    auto saved = [](const Tensor& src, const Tensor& used) {
      return autograd::SavedTensor(!src.is_same(used) && src.is_leaf() ? src : used, "linear");
    };
    autograd::SavedTensor sx = need_w ? saved(x_in, x) : autograd::SavedTensor();
    autograd::SavedTensor sw = need_x ? saved(weight_in, weight) : autograd::SavedTensor();
    Shape x_shape = x.shape();
    const DType x_dtype = x.dtype(), w_dtype = weight.dtype(), b_dtype = has_bias ? bias.dtype() : dt;
    TensorList inputs{x, weight};
    if (has_bias) inputs.push_back(bias);
    autograd::record("linear", inputs, out, [=](const TensorList& g, const NeedsGrad& needs) {
      // g2 = g as (rows, out): grad_x = g2 @ W, grad_W = g2^T @ x2, grad_b = sum of g2's rows.
      Tensor g2 = reshape(g[0], Shape{rows, out_f});
      TensorList grads(needs.size());
      if (needs[0]) grads[0] = to_dtype(reshape(mm(g2, ops::cast(sw.get(), w_dtype)), x_shape), x_dtype);
      if (needs[1]) {
        grads[1] = to_dtype(mm(transpose(g2, 0, 1), reshape(ops::cast(sx.get(), x_dtype), Shape{rows, in})), w_dtype);
      }
      if (needs.size() > 2 && needs[2]) grads[2] = to_dtype(sum(g2, {0}), b_dtype);
      return grads;
    });
  }
  return out;
}

Tensor Tensor::matmul(const Tensor& other) const { return strata::matmul(*this, other); }

}  // namespace strata
