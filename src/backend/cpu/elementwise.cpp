// The cpu backend's elementwise kernels: kernels::cpu's coalesced, threaded unary/binary/ternary loops with the
// op's functor as their template argument. The op enum is switched on once per call; the inner loops are the
// same template code the ops instantiated with lambdas before. Float loops get the parameters converted to the
// compute type once (TypedParams). float32 exp, tanh, sigmoid, silu, gelu,
// gelu_tanh, erfc and gelu_backward take the vectorised array kernels of vec_math.h.
#include "backend/elementwise.h"

#include "backend/cpu/families.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/vec_math.h"
#include "strata/core/error.h"

namespace strata::backend::cpu {

namespace {
namespace kc = kernels::cpu;
namespace vec = kernels::cpu::vec;

using ArrayFn = void (*)(float*, const float*, int64_t);

// The float32 array kernel of a unary functor, or null where it has none.
template <class F>
inline constexpr ArrayFn kArray = nullptr;
template <>
inline constexpr ArrayFn kArray<fn::Exp> = vec::exp;
template <>
inline constexpr ArrayFn kArray<fn::Tanh> = vec::tanh;
template <>
inline constexpr ArrayFn kArray<fn::Sigmoid> = vec::sigmoid;
template <>
inline constexpr ArrayFn kArray<fn::Silu> = vec::silu;
template <>
inline constexpr ArrayFn kArray<fn::Gelu> = vec::gelu;
template <>
inline constexpr ArrayFn kArray<fn::GeluTanh> = vec::gelu_tanh;
template <>
inline constexpr ArrayFn kArray<fn::Erfc> = vec::erfc;

kc::LoopPlan<2> plan2(const Tensor& out, const Tensor& x) {
  Strides so = out.strides(), sx = x.strides();
  return kc::make_plan<2>(out.shape(), {&so, &sx});
}

kc::LoopPlan<3> plan3(const Tensor& out, const Tensor& a, const Tensor& b) {
  Strides so = out.strides(), sa = a.strides(), sb = b.strides();
  return kc::make_plan<3>(out.shape(), {&so, &sa, &sb});
}

template <class F, OpTypes K>
void unary_op(const char* name, const OpParams& p, const Tensor& out, const Tensor& x) {
  const DType t = out.dtype();
  const auto plan = plan2(out, x);
  if constexpr (takes_float(K)) {
    if (is_floating(t)) {
      if constexpr (kHasArrayKernel<F>) {
        if (t == kFloat32) return kc::unary_array(plan, out.data_ptr<float>(), x.data_ptr<float>(), kArray<F>);
        if (t == kBFloat16) {
          return kc::unary_array_via_float(plan, out.data_ptr<BFloat16>(), x.data_ptr<BFloat16>(), kArray<F>);
        }
        if (t == kFloat16) return kc::unary_array_via_float(plan, out.data_ptr<Half>(), x.data_ptr<Half>(), kArray<F>);
      }
      dispatch_float_io(t, name, [&](auto stag, auto ctag) {
        using S = typename decltype(stag)::type;
        using C = typename decltype(ctag)::type;
        const auto tp = typed_params<C>(p);
        kc::unary(plan, out.data_ptr<S>(), x.data_ptr<S>(),
                  [tp](S v) { return kc::convert<S>(static_cast<C>(F{}(kc::convert<C>(v), tp))); });
      });
      return;
    }
  }
  if constexpr (takes_int(K)) {
    if (t == kInt64) {
      return kc::unary(plan, out.data_ptr<int64_t>(), x.data_ptr<int64_t>(),
                       [p](int64_t v) { return static_cast<int64_t>(F{}(v, p)); });
    }
  }
  if constexpr (takes_bool(K)) {
    if (t == kBool) {
      return kc::unary(plan, out.data_ptr<bool>(), x.data_ptr<bool>(), [p](bool v) { return F{}(v, p); });
    }
  }
  bad_dtype(name, t);
}

// dx = dy gelu'(x) in float32: the fused array kernel over contiguous runs, and the same arithmetic per element
// (vec::gelu_grad_f) elsewhere.
void gelu_backward_f32(const Tensor& dx, const Tensor& x, const Tensor& dy) {
  const auto plan = plan3(dx, x, dy);
  kc::run<3>(plan,
             {static_cast<char*>(dx.raw_data()), static_cast<char*>(x.raw_data()), static_cast<char*>(dy.raw_data())},
             {4, 4, 4}, [](const std::array<char*, 3>& ptr, const std::array<int64_t, 3>& s, int64_t n) {
               auto* o = reinterpret_cast<float*>(ptr[0]);
               const auto* xv = reinterpret_cast<const float*>(ptr[1]);
               const auto* g = reinterpret_cast<const float*>(ptr[2]);
               if (s[0] == 1 && s[1] == 1 && s[2] == 1) return vec::gelu_backward(o, xv, g, n);
               for (int64_t i = 0; i < n; ++i) o[i * s[0]] = g[i * s[2]] * vec::gelu_grad_f(xv[i * s[1]]);
             });
}

template <class F, OpTypes K>
void binary_op(const char* name, const OpParams& p, const Tensor& out, const Tensor& a, const Tensor& b) {
  const DType t = out.dtype();
  if constexpr (takes_float(K)) {
    if (is_floating(t)) {
      if constexpr (std::is_same_v<F, fn::GeluBackward>) {
        if (t == kFloat32) return gelu_backward_f32(out, a, b);
      }
      const auto plan = plan3(out, a, b);
      if (is_low_float(t)) {
        // 16-bit out: each operand is out's dtype or float32, read as float32.
        dispatch_float_io(t, name, [&](auto stag, auto) {
          using S = typename decltype(stag)::type;
          const auto tp = typed_params<float>(p);
          auto run = [&](auto* pa, auto* pb) {
            kc::binary(plan, out.data_ptr<S>(), pa, pb, [tp](auto x, auto y) {
              return kc::convert<S>(static_cast<float>(F{}(kc::convert<float>(x), kc::convert<float>(y), tp)));
            });
          };
          const bool sa = a.dtype() == t, sb = b.dtype() == t;
          if (sa && sb) run(a.data_ptr<S>(), b.data_ptr<S>());
          else if (sa) run(a.data_ptr<S>(), b.data_ptr<float>());
          else if (sb) run(a.data_ptr<float>(), b.data_ptr<S>());
          else run(a.data_ptr<float>(), b.data_ptr<float>());
        });
        return;
      }
      dispatch_float(t, name, [&](auto tag) {
        using T = typename decltype(tag)::type;
        const auto tp = typed_params<T>(p);
        kc::binary(plan, out.data_ptr<T>(), a.data_ptr<T>(), b.data_ptr<T>(),
                   [tp](T x, T y) { return static_cast<T>(F{}(x, y, tp)); });
      });
      return;
    }
  }
  if constexpr (takes_int(K)) {
    if (t == kInt64) {
      return kc::binary(plan3(out, a, b), out.data_ptr<int64_t>(), a.data_ptr<int64_t>(), b.data_ptr<int64_t>(),
                        [p](int64_t x, int64_t y) { return static_cast<int64_t>(F{}(x, y, p)); });
    }
  }
  bad_dtype(name, t);
}

template <class F>
void compare_op(const char* name, const OpParams& p, const Tensor& out, const Tensor& a, const Tensor& b) {
  const auto plan = plan3(out, a, b);
  dispatch_all(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
      bad_dtype(name, a.dtype());
    } else {
      kc::binary(plan, out.data_ptr<bool>(), a.data_ptr<T>(), b.data_ptr<T>(),
                 [p](T x, T y) { return static_cast<bool>(F{}(x, y, p)); });
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
  Strides so = out.strides(), sc = cond.strides(), sa = a.strides(), sb = b.strides();
  const auto plan = kc::make_plan<4>(out.shape(), {&so, &sc, &sa, &sb});
  // The mask is read as bytes (bools are stored as 0/1 bytes): GCC vectorises uint8_t loads, not bool ones.
  const auto* mask = reinterpret_cast<const uint8_t*>(cond.data_ptr<bool>());
  dispatch_all(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
      bad_dtype("where", out.dtype());
    } else {
      kc::ternary(plan, out.data_ptr<T>(), mask, a.data_ptr<T>(), b.data_ptr<T>(),
                  [](uint8_t c, T x, T y) { return fn::Where{}(c, x, y); });
    }
  });
}

const ElementwiseKernels kElementwise{unary, binary, compare, where};
}  // namespace

const ElementwiseKernels* elementwise_kernels() { return &kElementwise; }

}  // namespace strata::backend::cpu
