#pragma once
// The arithmetic of the reduction family, shared by the cpu and ref backends: each ReduceOp as identity, map,
// combine and finish functors (kernels/cpu/reduce.h's contract) and each backward rule as an elementwise map. A
// backend supplies the loops through a Driver D:
//   D::reduce<O, T, P>(out, x, aux, reduced, id, map, combine, finish)  out, aux: contiguous, x's kept dims
//   D::map2<O, A, B>(out, a, b, f), D::map3<O, A, B, C>(out, a, b, c, f)  a, b, c broadcast to out's shape
// (same rank, size-1 dims broadcast). The cpu driver runs kernels::cpu::reduce / binary / ternary, the ref driver
// their naive *_reference loops.
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "backend/reduction.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cpu/softmax.h"
#include "strata/core/error.h"

namespace strata::backend::reduce_impl {

namespace kc = kernels::cpu;

// The identity of max (lowest value) and min (highest value) for T.
template <class T>
constexpr T lowest_value() {
  if constexpr (std::is_floating_point_v<T>) {
    return -std::numeric_limits<T>::infinity();
  } else {
    return std::numeric_limits<T>::lowest();
  }
}
template <class T>
constexpr T highest_value() {
  if constexpr (std::is_floating_point_v<T>) {
    return std::numeric_limits<T>::infinity();
  } else {
    return std::numeric_limits<T>::max();
  }
}

// True where v is the selected extreme m (NaN matches NaN, as PyTorch's evenly-distributed gradient).
template <class T>
inline bool matches(T v, T m) {
  return v == m || (kc::is_nan_value(v) && kc::is_nan_value(m));
}

template <class T>
T sgn(T v) {
  return static_cast<T>((v > 0) - (v < 0));
}

// float32, float64, int64 and bool.
template <class Fn>
void dispatch_extreme(DType t, Fn&& fn) {
  switch (t) {
    case DType::Float32: return fn(TypeTag<float>{});
    case DType::Float64: return fn(TypeTag<double>{});
    case DType::Int64: return fn(TypeTag<int64_t>{});
    case DType::Bool: return fn(TypeTag<bool>{});
    default: STRATA_FAIL("[max] unsupported dtype ", dtype_name(t));
  }
}

// Input elements per output.
inline int64_t reduced_count(const Tensor& x, const std::vector<bool>& reduced) {
  int64_t n = 1;
  for (size_t d = 0; d < reduced.size(); ++d) {
    if (reduced[d]) n *= x.shape()[d];
  }
  return n;
}

// x's shape with the reduced dims as 1.
inline Shape keep_shape(const Tensor& x, const std::vector<bool>& reduced) {
  Shape s = x.shape();
  for (size_t d = 0; d < reduced.size(); ++d) {
    if (reduced[d]) s[d] = 1;
  }
  return s;
}

// Strides of t (same rank as shape) read under broadcasting: 0 on its size-1 dims.
inline Strides bcast_strides(const Tensor& t, const Shape& shape) {
  Strides s = t.strides();
  for (size_t d = 0; d < s.size(); ++d) {
    if (t.shape()[d] == 1 && shape[d] != 1) s[d] = 0;
  }
  return s;
}

// Norm of order pv, for float dtype T.
template <class D, class T>
void norm_forward(const Tensor& out, const Tensor& x, const std::vector<bool>& red, double pv) {
  using kc::AddOp;
  const Tensor none;
  auto same = [](T a, T) { return a; };
  auto mag = [](T v, T) { return std::abs(v); };
  if (pv == 2.0) {
    D::template reduce<T, T, T>(
        out, x, none, red, 0.0, [](T v, T) { return static_cast<double>(v) * static_cast<double>(v); }, AddOp{},
        [](double a, T) { return static_cast<T>(std::sqrt(a)); });
  } else if (pv == 1.0) {
    D::template reduce<T, T, T>(
        out, x, none, red, 0.0, [](T v, T) { return static_cast<double>(std::abs(v)); }, AddOp{},
        [](double a, T) { return static_cast<T>(a); });
  } else if (std::isinf(pv) && pv > 0) {
    D::template reduce<T, T, T>(out, x, none, red, T(0), mag, kc::MaxOp{}, same);
  } else if (std::isinf(pv)) {
    D::template reduce<T, T, T>(out, x, none, red, highest_value<T>(), mag, kc::MinOp{}, same);
  } else if (pv == 0.0) {
    D::template reduce<T, T, T>(
        out, x, none, red, 0.0, [](T v, T) { return v != 0 ? 1.0 : 0.0; }, AddOp{},
        [](double a, T) { return static_cast<T>(a); });
  } else {
    D::template reduce<T, T, T>(
        out, x, none, red, 0.0, [pv](T v, T) { return std::pow(std::abs(static_cast<double>(v)), pv); }, AddOp{},
        [pv](double a, T) { return static_cast<T>(std::pow(a, 1.0 / pv)); });
  }
}

template <class D>
void forward(ReduceOp op, const ReduceParams& prm, const Tensor& out, const Tensor& x, const Tensor& aux,
             const std::vector<bool>& red) {
  using kc::AddOp;
  const Tensor none;
  switch (op) {
    case ReduceOp::Sum:
      dispatch_numeric(x.dtype(), "sum", [&](auto tag) {
        using T = typename decltype(tag)::type;
        // Accumulates in T: the cascade keeps float sums as accurate as PyTorch's while staying vectorised.
        D::template reduce<T, T, T>(
            out, x, none, red, T(0), [](T v, T) { return v; }, AddOp{}, [](auto a, T) { return static_cast<T>(a); });
      });
      return;
    case ReduceOp::Mean: {
      const auto n = static_cast<double>(reduced_count(x, red));
      dispatch_float(x.dtype(), "mean", [&](auto tag) {
        using T = typename decltype(tag)::type;
        auto map = [](T v, T) { return v; };
        if (out.dtype() == kFloat64) {
          D::template reduce<double, T, T>(out, x, none, red, T(0), map, AddOp{},
                                           [n](auto a, T) { return static_cast<double>(a) / n; });
        } else {
          D::template reduce<T, T, T>(out, x, none, red, T(0), map, AddOp{},
                                      [n](auto a, T) { return static_cast<T>(static_cast<double>(a) / n); });
        }
      });
      return;
    }
    case ReduceOp::Var:
    case ReduceOp::Std: {
      const double den = std::max<double>(0.0, static_cast<double>(reduced_count(x, red) - prm.correction));
      dispatch_float(x.dtype(), "var", [&](auto tag) {
        using T = typename decltype(tag)::type;
        // (x - mean)^2 with the float64 mean, summed in T lanes with a double cascade
        auto map = [](T v, double m) {
          const double d = static_cast<double>(v) - m;
          return static_cast<T>(d * d);
        };
        if (op == ReduceOp::Std) {
          D::template reduce<T, T, double>(out, x, aux, red, T(0), map, AddOp{}, [den](auto a, double) {
            return static_cast<T>(std::sqrt(static_cast<double>(a) / den));
          });
        } else {
          D::template reduce<T, T, double>(out, x, aux, red, T(0), map, AddOp{}, [den](auto a, double) {
            return static_cast<T>(static_cast<double>(a) / den);
          });
        }
      });
      return;
    }
    case ReduceOp::LogSumExp:
      dispatch_float(x.dtype(), "logsumexp", [&](auto tag) {
        using T = typename decltype(tag)::type;
        Tensor m = Tensor::empty(out.shape(), out.dtype(), out.device());
        D::template reduce<T, T, T>(
            m, x, none, red, lowest_value<T>(), [](T v, T) { return v; }, kc::MaxOp{}, [](T a, T) { return a; });
        auto shift = [](T mv) { return std::isinf(mv) ? T(0) : mv; };
        // exp in T, summed in T lanes with a double cascade (kernels/cpu/reduce.h)
        D::template reduce<T, T, T>(
            out, x, m, red, T(0), [shift](T v, T mv) { return kc::detail::exp_of(static_cast<T>(v - shift(mv))); },
            AddOp{}, [shift](auto a, T mv) { return static_cast<T>(std::log(static_cast<double>(a)) + shift(mv)); });
      });
      return;
    case ReduceOp::Norm:
      dispatch_float(x.dtype(), "norm",
                     [&](auto tag) { norm_forward<D, typename decltype(tag)::type>(out, x, red, prm.p); });
      return;
    case ReduceOp::Max:
    case ReduceOp::Min:
      dispatch_extreme(x.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        auto same = [](T v, T) { return v; };
        if (op == ReduceOp::Max) {
          D::template reduce<T, T, T>(out, x, none, red, lowest_value<T>(), same, kc::MaxOp{}, same);
        } else {
          D::template reduce<T, T, T>(out, x, none, red, highest_value<T>(), same, kc::MinOp{}, same);
        }
      });
      return;
    case ReduceOp::AllFinite:
      dispatch_float(x.dtype(), "all_finite", [&](auto tag) {
        using T = typename decltype(tag)::type;
        // x * 0 is 0 for finite x and NaN for inf/NaN: the sum is 0 exactly when all are finite (branch-free).
        D::template reduce<bool, T, T>(
            out, x, none, red, T(0), [](T v, T) { return static_cast<T>(v * T(0)); }, AddOp{},
            [](auto a, T) { return a == 0; });
      });
      return;
  }
}

// Gradient of Max/Min (abs: of the Linf/L-inf norms): g split evenly among the elements (whose |x|) equals the
// result m.
template <class D, class T, bool kAbs>
void extreme_backward(const Tensor& gx, const Tensor& g, const Tensor& x, const Tensor& m,
                      const std::vector<bool>& red) {
  const Shape ks = keep_shape(x, red);
  Tensor mc = m.is_contiguous() ? m : Tensor::empty(m.shape(), m.dtype(), m.device());
  if (!m.is_contiguous()) D::template map2<T, T, T>(mc, m, m, [](T v, T) { return v; });
  Tensor count = Tensor::empty(ks, kFloat64, x.device());
  D::template reduce<double, T, T>(
      count, x, mc, red, 0.0,
      [](T v, T mv) {
        if constexpr (kAbs) {
          return matches(static_cast<T>(std::abs(v)), mv) ? 1.0 : 0.0;
        } else {
          return matches(v, mv) ? 1.0 : 0.0;
        }
      },
      kc::AddOp{}, [](double a, T) { return a; });
  Tensor q = Tensor::empty(ks, g.dtype(), g.device());
  D::template map2<T, T, double>(q, g, count, [](T gv, double c) { return static_cast<T>(gv / c); });
  D::template map3<T, T, T, T>(gx, x, mc, q, [](T v, T mv, T qv) {
    if constexpr (kAbs) {
      return matches(static_cast<T>(std::abs(v)), mv) ? sgn(v) * qv : T(0);
    } else {
      return matches(v, mv) ? qv : T(0);
    }
  });
}

// Gradient of norm for float dtype T (PyTorch 1.13's rules, including 0 where the norm is 0).
template <class D, class T>
void norm_backward(const Tensor& gx, const Tensor& g, const Tensor& x, const Tensor& n, const std::vector<bool>& red,
                   double pv) {
  if (pv == 0.0) {
    D::template map2<T, T, T>(gx, g, g, [](T, T) { return T(0); });
    return;
  }
  if (pv == 1.0) {
    D::template map2<T, T, T>(gx, x, g, [](T v, T gv) { return sgn(v) * gv; });
    return;
  }
  if (std::isinf(pv)) {
    extreme_backward<D, T, true>(gx, g, x, n, red);
    return;
  }
  Tensor f = Tensor::empty(g.shape(), g.dtype(), g.device());
  D::template map2<T, T, T>(f, g, n, [pv](T gv, T nv) {
    const double nd = static_cast<double>(nv);
    if (pv < 1.0) return static_cast<T>(gv * std::pow(nd, 1.0 - pv));
    return nv == 0 ? T(0) : static_cast<T>(gv / (pv == 2.0 ? nd : std::pow(nd, pv - 1.0)));
  });
  if (pv == 2.0) {
    D::template map2<T, T, T>(gx, x, f, [](T v, T fv) { return v * fv; });
    return;
  }
  D::template map2<T, T, T>(gx, x, f, [pv](T v, T fv) {
    const double a = std::abs(static_cast<double>(v));
    double s;
    if (pv < 1.0) {
      s = v == 0 ? 0.0 : sgn(static_cast<double>(v)) * std::pow(a, pv - 1.0);
    } else if (pv < 2.0) {
      s = sgn(static_cast<double>(v)) * std::pow(a, pv - 1.0);
    } else {
      s = static_cast<double>(v) * std::pow(a, pv - 2.0);
    }
    return static_cast<T>(s * static_cast<double>(fv));
  });
}

template <class D>
void backward(ReduceOp op, const ReduceParams& prm, const Tensor& gx, const Tensor& g, const Tensor& x,
              const Tensor& out, const Tensor& aux, const std::vector<bool>& red) {
  dispatch_float(g.dtype(), "reduce backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    switch (op) {
      case ReduceOp::Sum:
      case ReduceOp::Mean: {
        const auto s = static_cast<T>(op == ReduceOp::Sum ? 1.0 : 1.0 / static_cast<double>(reduced_count(gx, red)));
        D::template map2<T, T, T>(gx, g, g, [s](T v, T) { return v * s; });
        return;
      }
      case ReduceOp::Var:
      case ReduceOp::Std: {
        const double den = std::max<double>(0.0, static_cast<double>(reduced_count(x, red) - prm.correction));
        // var: dx = g * 2 (x - mean) / den;  std: dx = g (x - mean) / (den * std), 0 where std == 0.
        Tensor f = Tensor::empty(g.shape(), g.dtype(), g.device());
        if (op == ReduceOp::Std) {
          D::template map2<T, T, T>(f, g, out,
                                    [den](T gv, T s) { return s == 0 ? T(0) : static_cast<T>(gv / (s * den)); });
        } else {
          D::template map2<T, T, T>(f, g, g, [den](T gv, T) { return static_cast<T>(gv * (2.0 / den)); });
        }
        D::template map3<T, T, double, T>(gx, x, aux, f, [](T v, double m, T fv) {
          return static_cast<T>((static_cast<double>(v) - m) * static_cast<double>(fv));
        });
        return;
      }
      case ReduceOp::LogSumExp:
        // d out / dx = exp(x - out)
        D::template map3<T, T, T, T>(gx, x, out, g,
                                     [](T v, T o, T gv) { return gv * kc::detail::exp_of(static_cast<T>(v - o)); });
        return;
      case ReduceOp::Norm: norm_backward<D, T>(gx, g, x, out, red, prm.p); return;
      case ReduceOp::Max:
      case ReduceOp::Min: extreme_backward<D, T, false>(gx, g, x, out, red); return;
      case ReduceOp::AllFinite: STRATA_FAIL("[all_finite] is not differentiable");
    }
  });
}

// gx = g where the position along dim equals idx, else 0.
template <class D>
void arg_backward(const Tensor& gx, const Tensor& g, const Tensor& idx, int64_t dim) {
  Shape iota_shape(static_cast<size_t>(gx.dim()), 1);
  int64_t n = 1;
  if (gx.dim() > 0) {
    n = gx.shape()[static_cast<size_t>(dim)];
    iota_shape[static_cast<size_t>(dim)] = n;
  }
  Tensor iota = Tensor::empty(iota_shape, kInt64, gx.device());
  int64_t* ip = iota.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) ip[i] = i;
  dispatch_float(g.dtype(), "max", [&](auto tag) {
    using T = typename decltype(tag)::type;
    D::template map3<T, int64_t, int64_t, T>(gx, iota, idx, g,
                                             [](int64_t i, int64_t j, T gv) { return i == j ? gv : T(0); });
  });
}

}  // namespace strata::backend::reduce_impl
