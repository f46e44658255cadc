// The ref backend's softmax, losses, batch norm and layer norm: naive references, one element at a time in
// double, no threads and no blocking. Softmax and cross-entropy use kernels/cpu/softmax.h's *_reference loops; the
// others are written out here from their formulas.
#include "backend/norm.h"

#include <cmath>
#include <vector>

#include "backend/ref/families.h"
#include "kernels/cpu/softmax.h"

namespace strata::backend::ref {

namespace {
namespace kc = kernels::cpu;

template <class T>
T* ptr(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

template <class T>
double weight_of(const T* w, int64_t c) {
  return w ? static_cast<double>(w[c]) : 1.0;
}

void softmax_forward(const Tensor& y, const Tensor& x, const SoftmaxShape& s, bool log) {
  dispatch_float(x.dtype(), "softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::softmax_forward_reference(x.data_ptr<T>(), y.data_ptr<T>(), s.outer, s.n, s.inner, log);
  });
}

void softmax_backward(const Tensor& gx, const Tensor& y, const Tensor& g, const SoftmaxShape& s, bool log) {
  dispatch_float(y.dtype(), "softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::softmax_backward_reference(y.data_ptr<T>(), g.data_ptr<T>(), gx.data_ptr<T>(), s.outer, s.n, s.inner, log);
  });
}

// loss[p] = -w[t] lp[n, t, d], 0 where ignored.
LossTotals nll_forward(const LossShape& s, const Tensor& loss, const Tensor& lp, const Tensor& target,
                       const Tensor& weight) {
  LossTotals r;
  dispatch_float(lp.dtype(), "nll_loss", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = lp.data_ptr<T>();
    const T* w = ptr<T>(weight);
    const int64_t* tg = target.data_ptr<int64_t>();
    T* out = loss.data_ptr<T>();
    for (int64_t n = 0; n < s.N; ++n) {
      for (int64_t d = 0; d < s.D; ++d) {
        const int64_t p = n * s.D + d, t = tg[p];
        double l = 0;
        if (t != s.ignore_index) {
          l = -weight_of(w, t) * static_cast<double>(x[(n * s.C + t) * s.D + d]);
          r.total += l;
          r.weight += weight_of(w, t);
        }
        out[p] = static_cast<T>(l);
      }
    }
  });
  return r;
}

// gx[n, c, d] = -w[t] g[p] scale where c == t, else 0.
void nll_backward(const LossShape& s, const Tensor& gx, const Tensor& target, const Tensor& weight, const Tensor& g,
                  int64_t g_stride, double scale) {
  dispatch_float(gx.dtype(), "nll_loss", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* w = ptr<T>(weight);
    const T* gp = g.data_ptr<T>();
    const int64_t* tg = target.data_ptr<int64_t>();
    T* out = gx.data_ptr<T>();
    for (int64_t n = 0; n < s.N; ++n) {
      for (int64_t c = 0; c < s.C; ++c) {
        for (int64_t d = 0; d < s.D; ++d) {
          const int64_t p = n * s.D + d, t = tg[p];
          double v = 0;
          if (t != s.ignore_index && c == t) v = -weight_of(w, t) * static_cast<double>(gp[p * g_stride]) * scale;
          out[(n * s.C + c) * s.D + d] = static_cast<T>(v);
        }
      }
    }
  });
}

LossTotals cross_entropy_forward(const LossShape& s, const Tensor& lse, const Tensor& loss, const Tensor& z,
                                 const Tensor& target, const Tensor& weight, double eps) {
  LossTotals r;
  dispatch_float(z.dtype(), "cross_entropy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* zp = z.data_ptr<T>();
    const T* w = ptr<T>(weight);
    const int64_t* tg = target.data_ptr<int64_t>();
    double* lo = loss.data_ptr<double>();
    double* ls = lse.data_ptr<double>();
    kc::cross_entropy_reference(s, zp, tg, w, eps, lo);
    for (int64_t n = 0; n < s.N; ++n) {
      for (int64_t d = 0; d < s.D; ++d) {
        const int64_t p = n * s.D + d;
        double m = -INFINITY, se = 0;
        for (int64_t c = 0; c < s.C; ++c) m = std::max(m, static_cast<double>(zp[(n * s.C + c) * s.D + d]));
        for (int64_t c = 0; c < s.C; ++c) se += std::exp(static_cast<double>(zp[(n * s.C + c) * s.D + d]) - m);
        ls[p] = m + std::log(se);
        if (tg[p] == s.ignore_index) continue;
        r.total += lo[p];
        r.weight += weight_of(w, tg[p]);
      }
    }
  });
  return r;
}

void cross_entropy_backward(const LossShape& s, const Tensor& gx, const Tensor& z, const Tensor& target,
                            const Tensor& weight, double eps, const Tensor& /*lse*/, const Tensor& g, int64_t g_stride,
                            double scale) {
  dispatch_float(z.dtype(), "cross_entropy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::cross_entropy_backward_reference(s, z.data_ptr<T>(), target.data_ptr<int64_t>(), ptr<T>(weight), eps,
                                         g.data_ptr<T>(), g_stride, scale, gx.data_ptr<T>());
  });
}

// Channel c's element j (of N * S) in an (N, C, S) array.
inline int64_t at(const BatchNormShape& s, int64_t c, int64_t j) { return ((j / s.S) * s.C + c) * s.S + j % s.S; }

void batch_norm_channel_sums(const BatchNormShape& s, const Tensor& x, double* sum) {
  dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = x.data_ptr<T>();
    for (int64_t c = 0; c < s.C; ++c) {
      sum[c] = 0;
      for (int64_t j = 0; j < s.N * s.S; ++j) sum[c] += static_cast<double>(xp[at(s, c, j)]);
    }
  });
}

void batch_norm_channel_sq(const BatchNormShape& s, const Tensor& x, const double* mean, double* sq) {
  dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = x.data_ptr<T>();
    for (int64_t c = 0; c < s.C; ++c) {
      sq[c] = 0;
      for (int64_t j = 0; j < s.N * s.S; ++j) {
        const double dv = static_cast<double>(xp[at(s, c, j)]) - mean[c];
        sq[c] += dv * dv;
      }
    }
  });
}

void batch_norm_apply(const BatchNormShape& s, const Tensor& y, const Tensor& x, const double* mean, const double* rstd,
                      const Tensor& w, const Tensor& b) {
  dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *xp = x.data_ptr<T>(), *wp = ptr<T>(w), *bp = ptr<T>(b);
    T* yp = y.data_ptr<T>();
    for (int64_t c = 0; c < s.C; ++c) {
      for (int64_t j = 0; j < s.N * s.S; ++j) {
        const double xh = (static_cast<double>(xp[at(s, c, j)]) - mean[c]) * rstd[c];
        yp[at(s, c, j)] = static_cast<T>(xh * weight_of(wp, c) + (bp ? static_cast<double>(bp[c]) : 0.0));
      }
    }
  });
}

void batch_norm_forward(const BatchNormShape& s, const Tensor& y, const Tensor& mean, const Tensor& var,
                        const Tensor& rstd, const Tensor& x, const Tensor& w, const Tensor& b, double eps) {
  const auto C = static_cast<size_t>(s.C);
  const auto M = static_cast<double>(s.N * s.S);
  std::vector<double> mu(C), sq(C), rs(C);
  batch_norm_channel_sums(s, x, mu.data());
  for (double& v : mu) v = M > 0 ? v / M : 0.0;
  batch_norm_channel_sq(s, x, mu.data(), sq.data());
  dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T *mp = mean.data_ptr<T>(), *vp = var.data_ptr<T>(), *rp = rstd.data_ptr<T>();
    for (size_t c = 0; c < C; ++c) {
      const double v = M > 0 ? sq[c] / M : 0.0;
      rs[c] = 1.0 / std::sqrt(v + eps);
      mp[c] = static_cast<T>(mu[c]);
      vp[c] = static_cast<T>(v);
      rp[c] = static_cast<T>(rs[c]);
    }
  });
  batch_norm_apply(s, y, x, mu.data(), rs.data(), w, b);
}

void batch_norm_grad_sums(const BatchNormShape& s, const Tensor& dy, const Tensor& x, const Tensor& mean, double* sdy,
                          double* sdyx) {
  dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *g = dy.data_ptr<T>(), *xp = x.data_ptr<T>(), *mp = mean.data_ptr<T>();
    for (int64_t c = 0; c < s.C; ++c) {
      sdy[c] = 0;
      sdyx[c] = 0;
      for (int64_t j = 0; j < s.N * s.S; ++j) {
        const int64_t i = at(s, c, j);
        sdy[c] += static_cast<double>(g[i]);
        sdyx[c] += static_cast<double>(g[i]) * (static_cast<double>(xp[i]) - static_cast<double>(mp[c]));
      }
    }
  });
}

// dx = w rstd (dy - sum dy / M - xhat sum(dy xhat) / M), xhat = (x - mean) rstd.
void batch_norm_grad_input(const BatchNormShape& s, const Tensor& dx, const Tensor& dy, const Tensor& x,
                           const Tensor& mean, const Tensor& rstd, const Tensor& w, const double* sdy,
                           const double* sdyx, double M) {
  dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *g = dy.data_ptr<T>(), *xp = x.data_ptr<T>(), *mp = mean.data_ptr<T>(), *rp = rstd.data_ptr<T>(),
            *wp = ptr<T>(w);
    T* out = dx.data_ptr<T>();
    for (int64_t c = 0; c < s.C; ++c) {
      const double rs = static_cast<double>(rp[c]), m = static_cast<double>(mp[c]);
      const double mean_dy = M > 0 ? sdy[c] / M : 0.0, mean_dyxh = M > 0 ? sdyx[c] * rs / M : 0.0;
      for (int64_t j = 0; j < s.N * s.S; ++j) {
        const int64_t i = at(s, c, j);
        const double xh = (static_cast<double>(xp[i]) - m) * rs;
        out[i] = static_cast<T>(weight_of(wp, c) * rs * (static_cast<double>(g[i]) - mean_dy - xh * mean_dyxh));
      }
    }
  });
}

void batch_norm_backward(const BatchNormShape& s, const Tensor& dx, const Tensor& dw, const Tensor& db,
                         const Tensor& dy, const Tensor& x, const Tensor& mean, const Tensor& rstd, const Tensor& w) {
  const auto C = static_cast<size_t>(s.C);
  std::vector<double> sdy(C), sdyx(C);
  batch_norm_grad_sums(s, dy, x, mean, sdy.data(), sdyx.data());
  dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* rp = rstd.data_ptr<T>();
    for (size_t c = 0; c < C; ++c) {
      if (db.defined()) db.data_ptr<T>()[c] = static_cast<T>(sdy[c]);
      if (dw.defined()) dw.data_ptr<T>()[c] = static_cast<T>(sdyx[c] * static_cast<double>(rp[c]));
    }
  });
  if (dx.defined()) batch_norm_grad_input(s, dx, dy, x, mean, rstd, w, sdy.data(), sdyx.data(), s.N * s.S);
}

void layer_norm_forward(int64_t M, int64_t N, const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                        const Tensor& w, const Tensor& b, double eps) {
  dispatch_float(x.dtype(), "layer_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *xp = x.data_ptr<T>(), *wp = ptr<T>(w), *bp = ptr<T>(b);
    T *yp = y.data_ptr<T>(), *mp = mean.data_ptr<T>(), *rp = rstd.data_ptr<T>();
    for (int64_t r = 0; r < M; ++r) {
      double s = 0, ss = 0;
      for (int64_t j = 0; j < N; ++j) s += static_cast<double>(xp[r * N + j]);
      const double mu = N > 0 ? s / static_cast<double>(N) : 0.0;
      for (int64_t j = 0; j < N; ++j) ss += (static_cast<double>(xp[r * N + j]) - mu) * (xp[r * N + j] - mu);
      const double rs = 1.0 / std::sqrt((N > 0 ? ss / static_cast<double>(N) : 0.0) + eps);
      mp[r] = static_cast<T>(mu);
      rp[r] = static_cast<T>(rs);
      for (int64_t j = 0; j < N; ++j) {
        const double xh = (static_cast<double>(xp[r * N + j]) - mu) * rs;
        yp[r * N + j] = static_cast<T>(xh * weight_of(wp, j) + (bp ? static_cast<double>(bp[j]) : 0.0));
      }
    }
  });
}

// dx = rstd (g - mean(g) - xhat mean(g xhat)) with g = dy w; dw = sum_rows dy xhat, db = sum_rows dy.
void layer_norm_backward(int64_t M, int64_t N, const Tensor& dx, const Tensor& dw, const Tensor& db, const Tensor& dy,
                         const Tensor& x, const Tensor& mean, const Tensor& rstd, const Tensor& w) {
  dispatch_float(x.dtype(), "layer_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *g = dy.data_ptr<T>(), *xp = x.data_ptr<T>(), *mp = mean.data_ptr<T>(), *rp = rstd.data_ptr<T>(),
            *wp = ptr<T>(w);
    auto xhat = [&](int64_t r, int64_t j) {
      return (static_cast<double>(xp[r * N + j]) - static_cast<double>(mp[r])) * static_cast<double>(rp[r]);
    };
    if (dx.defined()) {
      T* out = dx.data_ptr<T>();
      for (int64_t r = 0; r < M; ++r) {
        double sg = 0, sgx = 0;
        for (int64_t j = 0; j < N; ++j) {
          const double gj = static_cast<double>(g[r * N + j]) * weight_of(wp, j);
          sg += gj;
          sgx += gj * xhat(r, j);
        }
        for (int64_t j = 0; j < N; ++j) {
          const double gj = static_cast<double>(g[r * N + j]) * weight_of(wp, j);
          out[r * N + j] = static_cast<T>(static_cast<double>(rp[r]) * (gj - sg / static_cast<double>(N) -
                                                                        xhat(r, j) * sgx / static_cast<double>(N)));
        }
      }
    }
    for (int64_t j = 0; j < N; ++j) {
      double aw = 0, ab = 0;
      for (int64_t r = 0; r < M; ++r) {
        aw += static_cast<double>(g[r * N + j]) * xhat(r, j);
        ab += static_cast<double>(g[r * N + j]);
      }
      if (dw.defined()) dw.data_ptr<T>()[j] = static_cast<T>(aw);
      if (db.defined()) db.data_ptr<T>()[j] = static_cast<T>(ab);
    }
  });
}

const NormKernels kNorm{softmax_forward,         softmax_backward,       nll_forward,        nll_backward,
                        cross_entropy_forward,   cross_entropy_backward, batch_norm_forward, batch_norm_backward,
                        batch_norm_channel_sums, batch_norm_channel_sq,  batch_norm_apply,   batch_norm_grad_sums,
                        batch_norm_grad_input,   layer_norm_forward,     layer_norm_backward};
}  // namespace

const NormKernels* norm_kernels() { return &kNorm; }

}  // namespace strata::backend::ref
