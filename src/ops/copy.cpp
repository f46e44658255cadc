// Copies and conversions: contiguous, clone, to(dtype), and the in-place fill_/zero_/copy_.
#include "backend/copy.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "ops/helpers.h"
#include "strata/core/profile.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/views.h"

namespace strata {

namespace {
// A contiguous copy of x in its own dtype, without autograd.
Tensor copy_data(const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend::copy("clone", x.device()).convert(out, x);
  return out;
}

}  // namespace

// Profiled as "clone", with contiguous()'s copies.
Tensor clone(const Tensor& x) {
  const profile::Scope prof_scope(profile::Kind::Forward, "clone");
  STRATA_CHECK(x.defined(), "[clone] undefined tensor");
  Tensor out = copy_data(x);
  if (autograd::needs_grad({&x})) {
    autograd::record("clone", {x}, out,
                     [](const TensorList& g, const autograd::NeedsGrad&) { return TensorList{g[0]}; });
  }
  return out;
}

Tensor contiguous(const Tensor& x) {
  STRATA_CHECK(x.defined(), "[contiguous] undefined tensor");
  if (x.is_contiguous()) return x;
  return clone(x);
}

Tensor to_dtype(const Tensor& x, DType dtype) {
  STRATA_CHECK(x.defined(), "[to] undefined tensor");
  if (x.dtype() == dtype) return x;
  const profile::Scope prof_scope(profile::Kind::Forward, "to_dtype");
  Tensor out = ops::cast(x, dtype);
  if (is_floating(dtype) && autograd::needs_grad({&x})) {
    DType src = x.dtype();
    autograd::record("to", {x}, out, [src](const TensorList& g, const autograd::NeedsGrad&) {
      return TensorList{ops::cast(g[0], src)};
    });
  }
  return out;
}

Tensor to_device(const Tensor& x, Device d) {
  STRATA_CHECK(x.defined(), "[to] undefined tensor");
  if (x.device() == d) return x;
  const profile::Scope prof_scope(profile::Kind::Forward, "to_device");
  const Tensor src = x.is_contiguous() ? x : copy_data(x);
  Tensor out = Tensor::empty(x.shape(), x.dtype(), d);
  backend::copy_bytes(out.raw_data(), d, src.raw_data(), src.device(),
                      static_cast<size_t>(src.numel()) * src.itemsize());
  if (autograd::needs_grad({&x})) {
    const Device from = x.device();
    autograd::record("to", {x}, out, [from](const TensorList& g, const autograd::NeedsGrad&) {
      return TensorList{to_device(g[0], from)};
    });
  }
  return out;
}

Tensor Tensor::contiguous() const { return strata::contiguous(*this); }
Tensor Tensor::clone() const { return strata::clone(*this); }
Tensor Tensor::to(DType d) const { return strata::to_dtype(*this, d); }
Tensor Tensor::to(Device d) const { return strata::to_device(*this, d); }

Tensor& Tensor::fill_(double value) {
  ops::check_inplace("fill_", *this);
  backend::copy("fill_", device()).fill(*this, value);
  bump_version();
  return *this;
}

Tensor& Tensor::zero_() { return fill_(0.0); }

Tensor& Tensor::copy_(const Tensor& src) {
  ops::check_inplace("copy_", *this);
  STRATA_CHECK(src.defined(), "[copy_] undefined source");
  Shape shape = broadcast_shapes(this->shape(), src.shape(), "copy_");
  STRATA_CHECK(shape == this->shape(), "[copy_] source of shape ", src.shape(), " does not broadcast to ",
               this->shape());
  Tensor s = ops::cast(backend::on_device(src, device()), dtype());
  // A source that shares memory with the destination in a different layout (x.copy_(x.t())) is read
  // from a copy, so that no element is overwritten before it is read.
  if (s.storage() == storage() && !(s.offset() == offset() && s.shape() == this->shape() && s.strides() == strides())) {
    s = copy_data(s);
  }
  backend::copy("copy_", device())
      .convert(*this, Tensor::make_view(s.storage(), shape, ops::broadcast_strides(s, shape), s.offset(), s.dtype()));
  bump_version();
  return *this;
}

}  // namespace strata
