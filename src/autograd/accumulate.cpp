#include "autograd/accumulate.h"

#include <cstring>

#include "kernels/cpu/elementwise.h"
#include "strata/core/error.h"

namespace strata::autograd::detail {

namespace {
Strides strides_of(const Tensor& t) { return t.strides(); }
}  // namespace

Tensor add_grads(const Tensor& a, const Tensor& b) {
  STRATA_CHECK(a.shape() == b.shape() && a.dtype() == b.dtype(), "[backward] cannot add gradients of shape ", a.shape(),
               " (", a.dtype(), ") and ", b.shape(), " (", b.dtype(), ")");
  check_cpu("backward", a.device());
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  Strides so = out.strides(), sa = strides_of(a), sb = strides_of(b);
  auto plan = kernels::cpu::make_plan<3>(a.shape(), {&so, &sa, &sb});
  dispatch_float_io(a.dtype(), "backward", [&](auto stag, auto ctag) {
    using S = typename decltype(stag)::type;
    using C = typename decltype(ctag)::type;
    kernels::cpu::binary(plan, out.data_ptr<S>(), a.data_ptr<S>(), b.data_ptr<S>(),
                         [](S x, S y) { return S(static_cast<C>(x) + static_cast<C>(y)); });
  });
  return out;
}

void add_into(Tensor& dst, const Tensor& src) {
  STRATA_CHECK(dst.shape() == src.shape() && dst.dtype() == src.dtype(),
               "[backward] cannot accumulate gradient of shape ", src.shape(), " (", src.dtype(),
               ") into .grad of shape ", dst.shape(), " (", dst.dtype(), ")");
  check_cpu("backward", dst.device());
  Strides sd = dst.strides(), ss = src.strides();
  auto plan = kernels::cpu::make_plan<3>(dst.shape(), {&sd, &sd, &ss});
  dispatch_float_io(dst.dtype(), "backward", [&](auto stag, auto ctag) {
    using S = typename decltype(stag)::type;
    using C = typename decltype(ctag)::type;
    kernels::cpu::binary(plan, dst.data_ptr<S>(), dst.data_ptr<S>(), src.data_ptr<S>(),
                         [](S x, S y) { return S(static_cast<C>(x) + static_cast<C>(y)); });
  });
  dst.bump_version();
}

Tensor zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = Tensor::empty(shape, dtype, device);
  std::memset(t.raw_data(), 0, static_cast<size_t>(t.numel()) * t.itemsize());
  return t;
}

Tensor copy(const Tensor& t) {
  Tensor out = Tensor::empty(t.shape(), t.dtype(), t.device());
  Strides so = out.strides(), st = t.strides();
  auto plan = kernels::cpu::make_plan<2>(t.shape(), {&so, &st});
  dispatch_all(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::cpu::unary(plan, out.data_ptr<T>(), t.data_ptr<T>(), [](T x) { return x; });
  });
  return out;
}

Tensor cast(const Tensor& t, DType dtype) {
  Tensor out = Tensor::empty(t.shape(), dtype, t.device());
  Strides so = out.strides(), st = t.strides();
  auto plan = kernels::cpu::make_plan<2>(t.shape(), {&so, &st});
  dispatch_all(t.dtype(), [&](auto tin) {
    using S = typename decltype(tin)::type;
    dispatch_all(dtype, [&](auto tout) {
      using D = typename decltype(tout)::type;
      kernels::cpu::unary(plan, out.data_ptr<D>(), t.data_ptr<S>(), [](S v) { return kernels::cpu::convert<D>(v); });
    });
  });
  return out;
}

}  // namespace strata::autograd::detail
