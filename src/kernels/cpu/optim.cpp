// Fused optimizer updates (see optim.h). Each loop body is branch-free on data, so GCC vectorises it.
#include "kernels/cpu/optim.h"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "kernels/cpu/loops.h"

namespace strata::kernels::cpu {

namespace {

// Runs body(begin, end) over [0, n), split across threads for large arrays (the updates are memory bound,
// so a second thread helps only once the arrays leave the cache). Bodies capture by value: a scalar
// captured by reference may alias the float arrays, which keeps GCC from vectorising.
template <class Body>
void for_chunks(int64_t n, Body&& body) {
  const int threads = omp_get_max_threads();
  if (n < 4 * kParallelGrain || threads == 1 || omp_in_parallel()) {
    body(int64_t{0}, n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t nt = omp_get_num_threads();
    const int64_t t = omp_get_thread_num();
    // Chunk borders on multiples of 16 elements keep each thread's vector loop aligned alike.
    int64_t per = ((n + nt - 1) / nt + 15) / 16 * 16;
    int64_t b = std::min(n, t * per), e = std::min(n, b + per);
    body(b, e);
  }
}

}  // namespace

template <class T>
void sgd_step(T* p, const T* g, T* buf, int64_t n, const SgdArgs& a) {
  const T wd = static_cast<T>(a.weight_decay), mom = static_cast<T>(a.momentum);
  const T keep = static_cast<T>(1.0 - a.dampening), neg_lr = static_cast<T>(-a.lr);
  if (a.momentum == 0.0 || buf == nullptr) {
    for_chunks(n, [=](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) p[i] = p[i] + neg_lr * (g[i] + wd * p[i]);
    });
    return;
  }
  const bool first = a.first_step, nesterov = a.nesterov;
  for_chunks(n, [=](int64_t b, int64_t e) {
    if (first) {
      for (int64_t i = b; i < e; ++i) {
        T d = g[i] + wd * p[i];
        buf[i] = d;
        T step = nesterov ? d + mom * d : d;
        p[i] = p[i] + neg_lr * step;
      }
    } else if (nesterov) {
      for (int64_t i = b; i < e; ++i) {
        T d = g[i] + wd * p[i];
        T m = buf[i] * mom + keep * d;
        buf[i] = m;
        p[i] = p[i] + neg_lr * (d + mom * m);
      }
    } else {
      for (int64_t i = b; i < e; ++i) {
        T d = g[i] + wd * p[i];
        T m = buf[i] * mom + keep * d;
        buf[i] = m;
        p[i] = p[i] + neg_lr * m;
      }
    }
  });
}

namespace {

// Scalars of one Adam step, rounded to T.
template <class T>
struct AdamScalars {
  T b1, b2, c1, c2, neg_step, bc2_sqrt, eps, l2, shrink;
};

// Elements [b, e) of one Adam step. __restrict: with five arrays GCC would otherwise need more runtime
// alias checks than it is willing to emit, and the amsgrad loop would stay scalar.
template <class T, bool kAmsgrad>
void adam_range(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, T* __restrict vmax, int64_t b,
                int64_t e, const AdamScalars<T> s) {
  for (int64_t i = b; i < e; ++i) {
    T pi = p[i] * s.shrink;
    T gi = g[i] + s.l2 * pi;
    T mi = m[i] * s.b1 + s.c1 * gi;
    T vi = v[i] * s.b2 + s.c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    if constexpr (kAmsgrad) {
      T old = vmax[i];
      vi = old > vi ? old : vi;  // torch.maximum (v is never nan here)
      vmax[i] = vi;
    }
    T denom = std::sqrt(vi) / s.bc2_sqrt + s.eps;
    p[i] = pi + s.neg_step * (mi / denom);
  }
}

}  // namespace

template <class T>
void adam_step(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamArgs& a) {
  const double bc1 = 1.0 - std::pow(a.beta1, static_cast<double>(a.step));
  const double bc2 = 1.0 - std::pow(a.beta2, static_cast<double>(a.step));
  AdamScalars<T> s;
  s.b1 = static_cast<T>(a.beta1);
  s.b2 = static_cast<T>(a.beta2);
  s.c1 = static_cast<T>(1.0 - a.beta1);
  s.c2 = static_cast<T>(1.0 - a.beta2);
  s.neg_step = static_cast<T>(-(a.lr / bc1));
  s.bc2_sqrt = static_cast<T>(std::sqrt(bc2));
  s.eps = static_cast<T>(a.eps);
  // Adam adds wd p to the gradient (L2); AdamW scales p by 1 - lr wd first (decoupled).
  s.l2 = a.decoupled ? T(0) : static_cast<T>(a.weight_decay);
  s.shrink = a.decoupled ? static_cast<T>(1.0 - a.lr * a.weight_decay) : T(1);
  for_chunks(n, [=](int64_t b, int64_t e) {
    if (vmax == nullptr) {
      adam_range<T, false>(p, g, m, v, nullptr, b, e, s);
    } else {
      adam_range<T, true>(p, g, m, v, vmax, b, e, s);
    }
  });
}

namespace {

// One RMSprop loop per variant, so that each is branch-free and vectorises.
template <class T, bool kCentered, bool kMomentum>
void rmsprop_loop(T* p, const T* g, T* sq, T* gavg, T* buf, int64_t n, const RmspropArgs& a) {
  const T wd = static_cast<T>(a.weight_decay), alpha = static_cast<T>(a.alpha);
  const T c = static_cast<T>(1.0 - a.alpha), eps = static_cast<T>(a.eps);
  const T mom = static_cast<T>(a.momentum), neg_lr = static_cast<T>(-a.lr);
  for_chunks(n, [=](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T gi = g[i] + wd * p[i];
      T s = sq[i] * alpha + c * gi * gi;
      sq[i] = s;
      T var = s;
      if constexpr (kCentered) {
        T ga = gavg[i] * alpha + c * gi;
        gavg[i] = ga;
        var = s - ga * ga;
      }
      T upd = gi / (std::sqrt(var) + eps);
      if constexpr (kMomentum) {
        upd = buf[i] * mom + upd;
        buf[i] = upd;
      }
      p[i] = p[i] + neg_lr * upd;
    }
  });
}

}  // namespace

template <class T>
void rmsprop_step(T* p, const T* g, T* sq, T* gavg, T* buf, int64_t n, const RmspropArgs& a) {
  const bool centered = a.centered && gavg != nullptr, momentum = a.momentum > 0 && buf != nullptr;
  if (centered && momentum) {
    rmsprop_loop<T, true, true>(p, g, sq, gavg, buf, n, a);
  } else if (centered) {
    rmsprop_loop<T, true, false>(p, g, sq, gavg, buf, n, a);
  } else if (momentum) {
    rmsprop_loop<T, false, true>(p, g, sq, gavg, buf, n, a);
  } else {
    rmsprop_loop<T, false, false>(p, g, sq, gavg, buf, n, a);
  }
}

template void sgd_step<float>(float*, const float*, float*, int64_t, const SgdArgs&);
template void sgd_step<double>(double*, const double*, double*, int64_t, const SgdArgs&);
template void adam_step<float>(float*, const float*, float*, float*, float*, int64_t, const AdamArgs&);
template void adam_step<double>(double*, const double*, double*, double*, double*, int64_t, const AdamArgs&);
template void rmsprop_step<float>(float*, const float*, float*, float*, float*, int64_t, const RmspropArgs&);
template void rmsprop_step<double>(double*, const double*, double*, double*, double*, int64_t, const RmspropArgs&);

}  // namespace strata::kernels::cpu
