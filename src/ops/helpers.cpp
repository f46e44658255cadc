#include "ops/helpers.h"

#include <cmath>

#include "backend/copy.h"
#include "backend/elementwise.h"
#include "strata/autograd/grad_mode.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/views.h"

namespace strata::ops {

Strides broadcast_strides(const Tensor& t, const Shape& out) {
  Strides s(out.size());
  const size_t lead = out.size() - t.shape().size();
  for (size_t i = 0; i < t.shape().size(); ++i) {
    s[lead + i] = t.shape()[i] == 1 && out[lead + i] != 1 ? 0 : t.strides()[i];
  }
  return s;
}

DType result_type(const Tensor& a, const Tensor& b) {
  const DType ta = a.dtype(), tb = b.dtype();
  if (is_low_float(ta) && a.dim() > 0 && b.dim() == 0 && is_floating(tb)) return ta;
  if (is_low_float(tb) && b.dim() > 0 && a.dim() == 0 && is_floating(ta)) return tb;
  return promote_types(ta, tb);
}

Tensor via_float32(const char* op, std::initializer_list<const Tensor*> inputs,
                   const std::function<Tensor(const TensorList&)>& fn) {
  DType low = kFloat32;
  for (const Tensor* t : inputs) {
    if (t->defined() && is_low_float(t->dtype())) {
      low = t->dtype();
      break;
    }
  }
  if (low == kFloat32) return Tensor();
  TensorList up;
  up.reserve(inputs.size());
  for (const Tensor* t : inputs) {
    up.push_back(t->defined() && is_low_float(t->dtype()) ? to_dtype(*t, kFloat32) : *t);
  }
  Tensor out = fn(up);
  STRATA_CHECK(out.defined(), "[", op, "] produced no result");
  return is_floating(out.dtype()) ? to_dtype(out, low) : out;
}

Tensor cast(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  Tensor out = Tensor::empty(t.shape(), dtype, t.device());
  backend::copy("to", t.device()).convert(out, t);
  return out;
}

Tensor broadcast_view(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return t;
  return Tensor::make_view(t.storage(), shape, broadcast_strides(t, shape), t.offset(), t.dtype());
}

Tensor map_float(const char* op, const Tensor& x, backend::UnaryOp u, const backend::OpParams& p) {
  const profile::Scope prof_scope(profile::Kind::Forward, op);
  STRATA_CHECK(x.defined(), "[", op, "] undefined tensor");
  Tensor xin = x;
  const Device dev = backend::place(op, {&xin});
  const DType t = float_result_dtype(x.dtype());
  xin = cast(xin, t);
  Tensor out = Tensor::empty(x.shape(), t, dev);
  backend::elementwise(op, dev).unary(u, p, out, xin);
  return out;
}

Tensor map_unary(const char* op, const Tensor& x, DType t, backend::UnaryOp u, const backend::OpParams& p) {
  const profile::Scope prof_scope(profile::Kind::Forward, op);
  STRATA_CHECK(x.defined(), "[", op, "] undefined tensor");
  Tensor xin = x;
  const Device dev = backend::place(op, {&xin});
  xin = cast(xin, t);
  Tensor out = Tensor::empty(x.shape(), t, dev);
  backend::elementwise(op, dev).unary(u, p, out, xin);
  return out;
}

Tensor map_binary(const char* op, const Tensor& a, const Tensor& b, DType t, backend::BinaryOp f,
                  const backend::OpParams& p) {
  const profile::Scope prof_scope(profile::Kind::Forward, op);
  STRATA_CHECK(a.defined() && b.defined(), "[", op, "] undefined tensor");
  Tensor ain = a, bin = b;
  const Device dev = backend::place(op, {&ain, &bin});
  Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  if (is_low_float(t)) {
    // An operand of another dtype is read as float32 (its compute type), not rounded to 16 bits first.
    ain = cast(ain, ain.dtype() == t ? t : kFloat32);
    bin = cast(bin, bin.dtype() == t ? t : kFloat32);
  } else {
    STRATA_CHECK(t == kFloat32 || t == kFloat64 || t == kInt64, "[", op,
                 "] expected a float32, float64 or int64 tensor, got ", dtype_name(t));
    ain = cast(ain, t);
    bin = cast(bin, t);
  }
  Tensor out = Tensor::empty(shape, t, dev);
  if (ain.shape() != shape) ain = broadcast_view(ain, shape);
  if (bin.shape() != shape) bin = broadcast_view(bin, shape);
  backend::elementwise(op, dev).binary(f, p, out, ain, bin);
  return out;
}

Tensor arith_binary(const char* op, const Tensor& a, const Tensor& b, backend::BinaryOp f, const backend::OpParams& p) {
  DType t = result_type(a, b);
  if (t == kBool) t = kInt64;
  return map_binary(op, a, b, t, f, p);
}

Tensor float_binary(const char* op, const Tensor& a, const Tensor& b, backend::BinaryOp f, const backend::OpParams& p) {
  return map_binary(op, a, b, float_result_dtype(result_type(a, b)), f, p);
}

Tensor map_compare(const char* op, const Tensor& a, const Tensor& b, backend::CompareOp f, const backend::OpParams& p) {
  const profile::Scope prof_scope(profile::Kind::Forward, op);
  STRATA_CHECK(a.defined() && b.defined(), "[", op, "] undefined tensor");
  Tensor ain = a, bin = b;
  const Device dev = backend::place(op, {&ain, &bin});
  Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  DType t = promote_types(a.dtype(), b.dtype());
  if (is_low_float(t)) t = kFloat32;  // 16-bit values are exact in float32
  ain = cast(ain, t);
  bin = cast(bin, t);
  Tensor out = Tensor::empty(shape, kBool, dev);
  if (ain.shape() != shape) ain = broadcast_view(ain, shape);
  if (bin.shape() != shape) bin = broadcast_view(bin, shape);
  backend::elementwise(op, dev).compare(f, p, out, ain, bin);
  return out;
}

void update_binary(const char* op, Tensor& self, const Tensor& other, backend::BinaryOp f, const backend::OpParams& p) {
  const profile::Scope prof_scope(profile::Kind::Forward, op);
  STRATA_CHECK(self.defined() && other.defined(), "[", op, "] undefined tensor");
  // The destination stays where it is; only a 0-d CPU `other` follows it.
  const Device dev = backend::common_device(op, {&self, &other});
  STRATA_CHECK(dev == self.device(), "[", op, "] the in-place destination is on ", self.device().str(),
               " but the other operand is on ", dev.str());
  Shape shape = broadcast_shapes(self.shape(), other.shape(), op);
  STRATA_CHECK(shape == self.shape(), "[", op, "] in-place result of shape ", shape,
               " does not fit the destination of shape ", self.shape());
  STRATA_CHECK(self.dtype() == kInt64 || is_floating(self.dtype()), "[", op, "] expected a float or int64 tensor, got ",
               dtype_name(self.dtype()));
  // A 16-bit destination reads a float32 `other` as float32 (compute type) instead of rounding it first.
  Tensor o = backend::on_device(other, dev);
  o = cast(o, is_low_float(self.dtype()) && o.dtype() != self.dtype() ? kFloat32 : self.dtype());
  backend::elementwise(op, dev).binary(f, p, self, self, broadcast_view(o, shape));
  self.bump_version();
}

void check_inplace(const char* op, const Tensor& self) {
  STRATA_CHECK(self.defined(), "[", op, "] undefined tensor");
  if (!GradMode::is_enabled()) return;
  STRATA_CHECK(!(self.requires_grad() && self.is_leaf()), "[", op, "] a leaf tensor that requires grad (shape ",
               self.shape(), ") is used in an in-place operation; wrap the update in NoGradGuard");
  STRATA_CHECK(!self.requires_grad(), "[", op, "] in-place operation on a tensor of shape ", self.shape(),
               " that is part of an autograd graph; use the out-of-place form");
}

Tensor scalar_like(const Tensor& a, double v) {
  const bool integral = std::isfinite(v) && v == std::trunc(v);
  // A 16-bit tensor's scalar is kept in float32; result_type keeps the op in the tensor's 16-bit dtype.
  DType t = is_floating(a.dtype()) ? compute_dtype(a.dtype()) : (integral ? a.dtype() : kFloat32);
  if (t == kBool) t = kInt64;
  return full({}, v, TensorOptions(t).with_device(a.device()));
}

Tensor reduce_grad(const Tensor& g, const Shape& shape, DType dtype) {
  Tensor r = sum_to(g, shape);
  return r.dtype() == dtype || !is_floating(dtype) ? r : to_dtype(r, dtype);
}

}  // namespace strata::ops
