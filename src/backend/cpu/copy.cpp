// The cpu backend's copies, casts, fills and gradient adds: the coalesced, threaded elementwise loops.
#include "backend/copy.h"

#include <algorithm>
#include <cstring>

#include "backend/cpu/families.h"
#include "kernels/cpu/elementwise.h"

namespace strata::backend::cpu {

namespace {
namespace kc = kernels::cpu;

void convert(const Tensor& dst, const Tensor& src) {
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous()) {
    std::memcpy(dst.raw_data(), src.raw_data(), static_cast<size_t>(dst.numel()) * dst.itemsize());
    return;
  }
  Strides sd = dst.strides(), ss = src.strides();
  auto plan = kc::make_plan<2>(dst.shape(), {&sd, &ss});
  dispatch_all(src.dtype(), [&](auto tin) {
    using S = typename decltype(tin)::type;
    dispatch_all(dst.dtype(), [&](auto tout) {
      using D = typename decltype(tout)::type;
      if constexpr (std::is_same_v<S, D>) {
        kc::unary(plan, dst.data_ptr<D>(), src.data_ptr<S>(), [](S v) { return v; });
      } else {
        kc::unary(plan, dst.data_ptr<D>(), src.data_ptr<S>(), [](S v) { return kc::convert<D>(v); });
      }
    });
  });
}

void fill(const Tensor& dst, double value) {
  Strides st = dst.strides();
  auto plan = kc::make_plan<1>(dst.shape(), {&st});
  dispatch_all(dst.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = kc::convert<T>(value);
    kc::run<1>(plan, {static_cast<char*>(dst.raw_data())}, {static_cast<int64_t>(sizeof(T))},
               [v](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
                 T* o = reinterpret_cast<T*>(p[0]);
                 if (s[0] == 1) {
                   std::fill_n(o, n, v);
                 } else {
                   for (int64_t i = 0; i < n; ++i) o[i * s[0]] = v;
                 }
               });
  });
}

void add(const Tensor& out, const Tensor& a, const Tensor& b) {
  Strides so = out.strides(), sa = a.strides(), sb = b.strides();
  auto plan = kc::make_plan<3>(out.shape(), {&so, &sa, &sb});
  dispatch_float_io(out.dtype(), "add", [&](auto stag, auto ctag) {
    using S = typename decltype(stag)::type;
    using C = typename decltype(ctag)::type;
    kc::binary(plan, out.data_ptr<S>(), a.data_ptr<S>(), b.data_ptr<S>(),
               [](S x, S y) { return S(static_cast<C>(x) + static_cast<C>(y)); });
  });
}

const CopyKernels kCopy{convert, fill, add};
}  // namespace

const CopyKernels* copy_kernels() { return &kCopy; }

}  // namespace strata::backend::cpu
