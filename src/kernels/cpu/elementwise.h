#pragma once
// Elementwise kernel templates over LoopPlan: unary, binary and ternary maps with a functor, templated on
// each operand's scalar type. Contiguous runs and scalar-broadcast runs get their own loops so that GCC
// vectorises them; anything else takes the strided loop.
#include <algorithm>
#include <array>
#include <cstdint>
#include <type_traits>

#include "kernels/cpu/loops.h"
#include "strata/core/dtype.h"

namespace strata::kernels::cpu {

// Value conversion between element types (float16/bfloat16 go through float).
template <class To, class From>
inline To convert(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<From, Half> || std::is_same_v<From, BFloat16>) {
    return convert<To>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>) {
    return To(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else {
    return static_cast<To>(v);
  }
}

template <class O, class A, class F>
void unary(const LoopPlan<2>& plan, O* out, const A* a, F f) {
  run<2>(plan, {reinterpret_cast<char*>(out), reinterpret_cast<char*>(const_cast<A*>(a))},
         {int64_t(sizeof(O)), int64_t(sizeof(A))},
         [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
           O* o = reinterpret_cast<O*>(p[0]);
           const A* x = reinterpret_cast<const A*>(p[1]);
           if (s[0] == 1 && s[1] == 1) {
             for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
           } else {
             for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(x[i * s[1]]);
           }
         });
}

// Unary map with an array kernel: vf(out, in, n) maps n contiguous elements (out may equal in). Contiguous
// runs go to vf directly; strided runs are gathered through a small stack buffer, so that every layout
// gets the same (vectorised) arithmetic and the same results.
template <class T, class VF>
void unary_array(const LoopPlan<2>& plan, T* out, const T* a, VF vf) {
  run<2>(plan, {reinterpret_cast<char*>(out), reinterpret_cast<char*>(const_cast<T*>(a))},
         {int64_t(sizeof(T)), int64_t(sizeof(T))},
         [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
           T* o = reinterpret_cast<T*>(p[0]);
           const T* x = reinterpret_cast<const T*>(p[1]);
           if (s[0] == 1 && s[1] == 1) {
             vf(o, x, n);
             return;
           }
           constexpr int64_t kBuf = 256;
           T buf[kBuf];
           for (int64_t i0 = 0; i0 < n; i0 += kBuf) {
             const int64_t m = std::min(kBuf, n - i0);
             for (int64_t i = 0; i < m; ++i) buf[i] = x[(i0 + i) * s[1]];
             vf(buf, buf, m);
             for (int64_t i = 0; i < m; ++i) o[(i0 + i) * s[0]] = buf[i];
           }
         });
}

// unary_array for float16/bfloat16 storage S: runs of up to 256 elements are converted to float32, mapped by
// the float32 array kernel vf(out, in, n), and rounded back to S.
template <class S, class VF>
void unary_array_via_float(const LoopPlan<2>& plan, S* out, const S* a, VF vf) {
  run<2>(plan, {reinterpret_cast<char*>(out), reinterpret_cast<char*>(const_cast<S*>(a))},
         {int64_t(sizeof(S)), int64_t(sizeof(S))},
         [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
           S* o = reinterpret_cast<S*>(p[0]);
           const S* x = reinterpret_cast<const S*>(p[1]);
           constexpr int64_t kBuf = 256;
           float buf[kBuf];
           for (int64_t i0 = 0; i0 < n; i0 += kBuf) {
             const int64_t m = std::min(kBuf, n - i0);
             for (int64_t i = 0; i < m; ++i) buf[i] = static_cast<float>(x[(i0 + i) * s[1]]);
             vf(buf, buf, m);
             for (int64_t i = 0; i < m; ++i) o[(i0 + i) * s[0]] = S(buf[i]);
           }
         });
}

template <class O, class A, class B, class F>
void binary(const LoopPlan<3>& plan, O* out, const A* a, const B* b, F f) {
  run<3>(plan,
         {reinterpret_cast<char*>(out), reinterpret_cast<char*>(const_cast<A*>(a)),
          reinterpret_cast<char*>(const_cast<B*>(b))},
         {int64_t(sizeof(O)), int64_t(sizeof(A)), int64_t(sizeof(B))},
         [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
           O* o = reinterpret_cast<O*>(p[0]);
           const A* x = reinterpret_cast<const A*>(p[1]);
           const B* y = reinterpret_cast<const B*>(p[2]);
           if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
             for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
           } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
             const B yv = *y;
             for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
           } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
             const A xv = *x;
             for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
           } else {
             for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(x[i * s[1]], y[i * s[2]]);
           }
         });
}

// One contiguous ternary run in which each input is either contiguous (true) or a broadcast scalar (false):
// the index is i or 0 at compile time, so GCC hoists the scalar and vectorises the loop.
template <bool XC, bool YC, bool ZC, class O, class A, class B, class C, class F>
inline void ternary_run(O* o, const A* x, const B* y, const C* z, int64_t n, F& f) {
  for (int64_t i = 0; i < n; ++i) o[i] = f(x[XC ? i : 0], y[YC ? i : 0], z[ZC ? i : 0]);
}

template <class O, class A, class B, class C, class F>
void ternary(const LoopPlan<4>& plan, O* out, const A* a, const B* b, const C* c, F f) {
  run<4>(plan,
         {reinterpret_cast<char*>(out), reinterpret_cast<char*>(const_cast<A*>(a)),
          reinterpret_cast<char*>(const_cast<B*>(b)), reinterpret_cast<char*>(const_cast<C*>(c))},
         {int64_t(sizeof(O)), int64_t(sizeof(A)), int64_t(sizeof(B)), int64_t(sizeof(C))},
         [&](const std::array<char*, 4>& p, const std::array<int64_t, 4>& s, int64_t n) {
           O* o = reinterpret_cast<O*>(p[0]);
           const A* x = reinterpret_cast<const A*>(p[1]);
           const B* y = reinterpret_cast<const B*>(p[2]);
           const C* z = reinterpret_cast<const C*>(p[3]);
           const bool unit = s[0] == 1 && (s[1] | 1) == 1 && (s[2] | 1) == 1 && (s[3] | 1) == 1;
           if (!unit) {
             for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(x[i * s[1]], y[i * s[2]], z[i * s[3]]);
             return;
           }
           switch (s[1] * 4 + s[2] * 2 + s[3]) {
             case 7: ternary_run<true, true, true>(o, x, y, z, n, f); break;
             case 6: ternary_run<true, true, false>(o, x, y, z, n, f); break;
             case 5: ternary_run<true, false, true>(o, x, y, z, n, f); break;
             case 4: ternary_run<true, false, false>(o, x, y, z, n, f); break;
             case 3: ternary_run<false, true, true>(o, x, y, z, n, f); break;
             case 2: ternary_run<false, true, false>(o, x, y, z, n, f); break;
             case 1: ternary_run<false, false, true>(o, x, y, z, n, f); break;
             default: ternary_run<false, false, false>(o, x, y, z, n, f); break;
           }
         });
}

// Naive references: one element at a time through a full multi-index, no coalescing and no threads.
// The tests compare every optimised elementwise path against these.
template <class O, class A, class F>
void unary_reference(const Shape& shape, O* out, const Strides& so, const A* a, const Strides& sa, F f) {
  const int64_t n = shape.numel();
  Shape idx(shape.size());
  for (int64_t i = 0; i < n; ++i) {
    int64_t oo = 0, oa = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      oo += idx[d] * so[d];
      oa += idx[d] * sa[d];
    }
    out[oo] = f(a[oa]);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

template <class O, class A, class B, class F>
void binary_reference(const Shape& shape, O* out, const Strides& so, const A* a, const Strides& sa, const B* b,
                      const Strides& sb, F f) {
  const int64_t n = shape.numel();
  Shape idx(shape.size());
  for (int64_t i = 0; i < n; ++i) {
    int64_t oo = 0, oa = 0, ob = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      oo += idx[d] * so[d];
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
    }
    out[oo] = f(a[oa], b[ob]);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

template <class O, class A, class B, class C, class F>
void ternary_reference(const Shape& shape, O* out, const Strides& so, const A* a, const Strides& sa, const B* b,
                       const Strides& sb, const C* c, const Strides& sc, F f) {
  const int64_t n = shape.numel();
  Shape idx(shape.size());
  for (int64_t i = 0; i < n; ++i) {
    int64_t oo = 0, oa = 0, ob = 0, oc = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      oo += idx[d] * so[d];
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
      oc += idx[d] * sc[d];
    }
    out[oo] = f(a[oa], b[ob], c[oc]);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

}  // namespace strata::kernels::cpu
