// Fused optimizer updates (see optim.h). Each loop body is branch-free on data, so GCC vectorises it.
#include "kernels/cpu/optim.h"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "kernels/cpu/loops.h"

namespace strata::kernels::cpu {

namespace {

// Runs body(begin, end) over [0, n), split across threads for large arrays (the updates are memory bound,
// so a second thread helps only once the arrays leave the cache).
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
    for_chunks(n, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) p[i] = p[i] + neg_lr * (g[i] + wd * p[i]);
    });
    return;
  }
  const bool first = a.first_step, nesterov = a.nesterov;
  for_chunks(n, [&](int64_t b, int64_t e) {
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

template <class T>
void adam_step(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamArgs& a) {
  const double bc1 = 1.0 - std::pow(a.beta1, static_cast<double>(a.step));
  const double bc2 = 1.0 - std::pow(a.beta2, static_cast<double>(a.step));
  const T b1 = static_cast<T>(a.beta1), b2 = static_cast<T>(a.beta2);
  const T c1 = static_cast<T>(1.0 - a.beta1), c2 = static_cast<T>(1.0 - a.beta2);
  const T neg_step = static_cast<T>(-(a.lr / bc1)), bc2_sqrt = static_cast<T>(std::sqrt(bc2));
  const T eps = static_cast<T>(a.eps);
  // Adam adds wd p to the gradient (L2); AdamW scales p by 1 - lr wd first (decoupled).
  const T l2 = a.decoupled ? T(0) : static_cast<T>(a.weight_decay);
  const T shrink = a.decoupled ? static_cast<T>(1.0 - a.lr * a.weight_decay) : T(1);
  for_chunks(n, [&](int64_t b, int64_t e) {
    if (vmax == nullptr) {
      for (int64_t i = b; i < e; ++i) {
        T pi = p[i] * shrink;
        T gi = g[i] + l2 * pi;
        T mi = m[i] * b1 + c1 * gi;
        T vi = v[i] * b2 + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        T denom = std::sqrt(vi) / bc2_sqrt + eps;
        p[i] = pi + neg_step * (mi / denom);
      }
    } else {
      for (int64_t i = b; i < e; ++i) {
        T pi = p[i] * shrink;
        T gi = g[i] + l2 * pi;
        T mi = m[i] * b1 + c1 * gi;
        T vi = v[i] * b2 + c2 * gi * gi;
        T vm = vmax[i] > vi ? vmax[i] : vi;
        m[i] = mi;
        v[i] = vi;
        vmax[i] = vm;
        T denom = std::sqrt(vm) / bc2_sqrt + eps;
        p[i] = pi + neg_step * (mi / denom);
      }
    }
  });
}

template <class T>
void rmsprop_step(T* p, const T* g, T* sq, T* gavg, T* buf, int64_t n, const RmspropArgs& a) {
  const T wd = static_cast<T>(a.weight_decay), alpha = static_cast<T>(a.alpha);
  const T c = static_cast<T>(1.0 - a.alpha), eps = static_cast<T>(a.eps);
  const T mom = static_cast<T>(a.momentum), neg_lr = static_cast<T>(-a.lr);
  const bool centered = a.centered && gavg != nullptr, use_buf = a.momentum > 0 && buf != nullptr;
  for_chunks(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T gi = g[i] + wd * p[i];
      T s = sq[i] * alpha + c * gi * gi;
      sq[i] = s;
      T var = s;
      if (centered) {
        T ga = gavg[i] * alpha + c * gi;
        gavg[i] = ga;
        var = s - ga * ga;
      }
      T avg = std::sqrt(var) + eps;
      T upd = gi / avg;
      if (use_buf) {
        upd = buf[i] * mom + upd;
        buf[i] = upd;
      }
      p[i] = p[i] + neg_lr * upd;
    }
  });
}

template void sgd_step<float>(float*, const float*, float*, int64_t, const SgdArgs&);
template void sgd_step<double>(double*, const double*, double*, int64_t, const SgdArgs&);
template void adam_step<float>(float*, const float*, float*, float*, float*, int64_t, const AdamArgs&);
template void adam_step<double>(double*, const double*, double*, double*, double*, int64_t, const AdamArgs&);
template void rmsprop_step<float>(float*, const float*, float*, float*, float*, int64_t, const RmspropArgs&);
template void rmsprop_step<double>(double*, const double*, double*, double*, double*, int64_t,
                                   const RmspropArgs&);

}  // namespace strata::kernels::cpu
