// The ref backend's elementwise kernels: the same functors as the cpu backend, one element at a time through
// kernels::cpu's *_reference loops (full multi-index, no coalescing, no threads). Where the cpu backend runs
// a vectorised float32 array kernel, ref runs its std:: reference (vec::exp_reference, ...) element by element.
#include "backend/elementwise.h"

#include "backend/ref/families.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/vec_math.h"
#include "strata/core/error.h"

namespace strata::backend::ref {

namespace {
namespace kc = kernels::cpu;
namespace vec = kernels::cpu::vec;

using ArrayFn = void (*)(float*, const float*, int64_t);

// The float32 reference of the cpu backend's array kernel for a unary functor, or null where it has none.
template <class F>
inline constexpr ArrayFn kArrayRef = nullptr;
template <>
inline constexpr ArrayFn kArrayRef<fn::Exp> = vec::exp_reference;
template <>
inline constexpr ArrayFn kArrayRef<fn::Tanh> = vec::tanh_reference;
template <>
inline constexpr ArrayFn kArrayRef<fn::Sigmoid> = vec::sigmoid_reference;
template <>
inline constexpr ArrayFn kArrayRef<fn::Silu> = vec::silu_reference;
template <>
inline constexpr ArrayFn kArrayRef<fn::Gelu> = vec::gelu_reference;
template <>
inline constexpr ArrayFn kArrayRef<fn::GeluTanh> = vec::gelu_tanh_reference;
template <>
inline constexpr ArrayFn kArrayRef<fn::Erfc> = vec::erfc_reference;

template <class T, class F>
void map1(const Tensor& out, const Tensor& x, F f) {
  kc::unary_reference(out.shape(), out.data_ptr<T>(), out.strides(), x.data_ptr<T>(), x.strides(), f);
}

template <class F, OpTypes K>
void unary_op(const char* name, const OpParams& p, const Tensor& out, const Tensor& x) {
  const DType t = out.dtype();
  if constexpr (takes_float(K)) {
    if (is_floating(t)) {
      dispatch_float_io(t, name, [&](auto stag, auto ctag) {
        using S = typename decltype(stag)::type;
        using C = typename decltype(ctag)::type;
        if constexpr (kHasArrayKernel<F> && std::is_same_v<C, float>) {
          map1<S>(out, x, [](S v) {
            float r, in = kc::convert<float>(v);
            kArrayRef<F>(&r, &in, 1);
            return kc::convert<S>(r);
          });
        } else {
          map1<S>(out, x, [p](S v) { return kc::convert<S>(static_cast<C>(F{}(kc::convert<C>(v), p))); });
        }
      });
      return;
    }
  }
  if constexpr (takes_int(K)) {
    if (t == kInt64) return map1<int64_t>(out, x, [p](int64_t v) { return static_cast<int64_t>(F{}(v, p)); });
  }
  if constexpr (takes_bool(K)) {
    if (t == kBool) return map1<bool>(out, x, [p](bool v) { return F{}(v, p); });
  }
  bad_dtype(name, t);
}

template <class O, class A, class B, class F>
void map2(const Tensor& out, const Tensor& a, const Tensor& b, F f) {
  kc::binary_reference(out.shape(), out.data_ptr<O>(), out.strides(), a.data_ptr<A>(), a.strides(), b.data_ptr<B>(),
                       b.strides(), f);
}

template <class F, OpTypes K>
void binary_op(const char* name, const OpParams& p, const Tensor& out, const Tensor& a, const Tensor& b) {
  const DType t = out.dtype();
  if constexpr (takes_float(K)) {
    if (is_floating(t)) {
      if constexpr (std::is_same_v<F, fn::GeluBackward>) {
        if (t == kFloat32) {
          return map2<float, float, float>(out, a, b, [](float xv, float g) {
            float r;
            vec::gelu_backward_reference(&r, &xv, &g, 1);
            return r;
          });
        }
      }
      if (is_low_float(t)) {
        dispatch_float_io(t, name, [&](auto stag, auto) {
          using S = typename decltype(stag)::type;
          auto f = [p](auto x, auto y) {
            return kc::convert<S>(static_cast<float>(F{}(kc::convert<float>(x), kc::convert<float>(y), p)));
          };
          const bool sa = a.dtype() == t, sb = b.dtype() == t;
          if (sa && sb) map2<S, S, S>(out, a, b, f);
          else if (sa) map2<S, S, float>(out, a, b, f);
          else if (sb) map2<S, float, S>(out, a, b, f);
          else map2<S, float, float>(out, a, b, f);
        });
        return;
      }
      dispatch_float(t, name, [&](auto tag) {
        using T = typename decltype(tag)::type;
        map2<T, T, T>(out, a, b, [p](T x, T y) { return static_cast<T>(F{}(x, y, p)); });
      });
      return;
    }
  }
  if constexpr (takes_int(K)) {
    if (t == kInt64) {
      return map2<int64_t, int64_t, int64_t>(out, a, b,
                                             [p](int64_t x, int64_t y) { return static_cast<int64_t>(F{}(x, y, p)); });
    }
  }
  bad_dtype(name, t);
}

template <class F>
void compare_op(const char* name, const OpParams& p, const Tensor& out, const Tensor& a, const Tensor& b) {
  dispatch_all(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
      bad_dtype(name, a.dtype());
    } else {
      map2<bool, T, T>(out, a, b, [p](T x, T y) { return static_cast<bool>(F{}(x, y, p)); });
    }
  });
}

void unary(UnaryOp op, const OpParams& p, const Tensor& out, const Tensor& x) {
  visit_op(op, [&]<class F, OpTypes K>(const char* name) { unary_op<F, K>(name, p, out, x); });
}

void binary(BinaryOp op, const OpParams& p, const Tensor& out, const Tensor& a, const Tensor& b) {
  visit_op(op, [&]<class F, OpTypes K>(const char* name) { binary_op<F, K>(name, p, out, a, b); });
}

void compare(CompareOp op, const OpParams& p, const Tensor& out, const Tensor& a, const Tensor& b) {
  visit_op(op, [&]<class F, OpTypes>(const char* name) { compare_op<F>(name, p, out, a, b); });
}

void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  const auto* mask = reinterpret_cast<const uint8_t*>(cond.data_ptr<bool>());
  dispatch_all(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
      bad_dtype("where", out.dtype());
    } else {
      kc::ternary_reference(out.shape(), out.data_ptr<T>(), out.strides(), mask, cond.strides(), a.data_ptr<T>(),
                            a.strides(), b.data_ptr<T>(), b.strides(),
                            [](uint8_t c, T x, T y) { return fn::Where{}(c, x, y); });
    }
  });
}

const ElementwiseKernels kElementwise{unary, binary, compare, where};
}  // namespace

const ElementwiseKernels* elementwise_kernels() { return &kElementwise; }

}  // namespace strata::backend::ref
