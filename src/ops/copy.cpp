// Copies and conversions: contiguous, clone, to(dtype), and the in-place fill_/zero_/copy_.
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
  check_cpu("clone", x.device());
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.is_contiguous()) {
    std::memcpy(out.raw_data(), x.raw_data(), static_cast<size_t>(x.numel()) * x.itemsize());
    return out;
  }
  auto plan = ops::unary_plan(out, x);
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cpu::unary(plan, out.data_ptr<T>(), x.data_ptr<T>(), [](T v) { return v; });
  });
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

Tensor Tensor::contiguous() const { return strata::contiguous(*this); }
Tensor Tensor::clone() const { return strata::clone(*this); }
Tensor Tensor::to(DType d) const { return strata::to_dtype(*this, d); }

Tensor& Tensor::fill_(double value) {
  ops::check_inplace("fill_", *this);
  check_cpu("fill_", device());
  // A write-only loop: the old contents may be uninitialised (empty()), so they are never read.
  Strides st = strides();
  auto plan = kernels::cpu::make_plan<1>(shape(), {&st});
  dispatch_all(dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = kernels::cpu::convert<T>(value);
    kernels::cpu::run<1>(plan, {static_cast<char*>(raw_data())}, {static_cast<int64_t>(sizeof(T))},
                         [v](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
                           T* o = reinterpret_cast<T*>(p[0]);
                           if (s[0] == 1) {
                             std::fill_n(o, n, v);
                           } else {
                             for (int64_t i = 0; i < n; ++i) o[i * s[0]] = v;
                           }
                         });
  });
  bump_version();
  return *this;
}

Tensor& Tensor::zero_() { return fill_(0.0); }

Tensor& Tensor::copy_(const Tensor& src) {
  ops::check_inplace("copy_", *this);
  STRATA_CHECK(src.defined(), "[copy_] undefined source");
  check_cpu("copy_", device());
  Shape shape = broadcast_shapes(this->shape(), src.shape(), "copy_");
  STRATA_CHECK(shape == this->shape(), "[copy_] source of shape ", src.shape(), " does not broadcast to ",
               this->shape());
  Tensor s = ops::cast(src, dtype());
  // A source that shares memory with the destination in a different layout (x.copy_(x.t())) is read
  // from a copy, so that no element is overwritten before it is read.
  if (s.storage() == storage() && !(s.offset() == offset() && s.shape() == this->shape() && s.strides() == strides())) {
    s = copy_data(s);
  }
  Strides sd = strides(), ss = ops::broadcast_strides(s, shape);
  auto plan = kernels::cpu::make_plan<2>(shape, {&sd, &ss});
  dispatch_all(dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cpu::unary(plan, data_ptr<T>(), s.data_ptr<T>(), [](T v) { return v; });
  });
  bump_version();
  return *this;
}

}  // namespace strata
