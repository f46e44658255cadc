// The cpu backend's softmax, losses, batch norm and layer norm: kernels/cpu/{softmax,batch_norm,norm}.h (blocked
// and threaded loops, statistics in double).
#include "backend/norm.h"

#include "backend/cpu/families.h"
#include "kernels/cpu/batch_norm.h"
#include "kernels/cpu/norm.h"
#include "kernels/cpu/softmax.h"

namespace strata::backend::cpu {

namespace {
namespace kc = kernels::cpu;

// A typed pointer to t's data, nullptr for an undefined tensor (an optional weight or gradient).
template <class T>
T* ptr(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

void softmax_forward(const Tensor& y, const Tensor& x, const SoftmaxShape& s, bool log) {
  dispatch_float(x.dtype(), log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::softmax_forward(x.data_ptr<T>(), y.data_ptr<T>(), s.outer, s.n, s.inner, log);
  });
}

void softmax_backward(const Tensor& gx, const Tensor& y, const Tensor& g, const SoftmaxShape& s, bool log) {
  dispatch_float(y.dtype(), "softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::softmax_backward(y.data_ptr<T>(), g.data_ptr<T>(), gx.data_ptr<T>(), s.outer, s.n, s.inner, log);
  });
}

LossTotals nll_forward(const LossShape& s, const Tensor& loss, const Tensor& lp, const Tensor& target,
                       const Tensor& weight) {
  LossTotals r;
  dispatch_float(lp.dtype(), "nll_loss", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::nll_forward(s, lp.data_ptr<T>(), target.data_ptr<int64_t>(), ptr<T>(weight), loss.data_ptr<T>(), &r.total,
                    &r.weight);
  });
  return r;
}

void nll_backward(const LossShape& s, const Tensor& gx, const Tensor& target, const Tensor& weight, const Tensor& g,
                  int64_t g_stride, double scale) {
  dispatch_float(gx.dtype(), "nll_loss", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::nll_backward(s, target.data_ptr<int64_t>(), ptr<T>(weight), g.data_ptr<T>(), g_stride, scale, gx.data_ptr<T>());
  });
}

LossTotals cross_entropy_forward(const LossShape& s, const Tensor& lse, const Tensor& loss, const Tensor& z,
                                 const Tensor& target, const Tensor& weight, double eps) {
  LossTotals r;
  dispatch_float(z.dtype(), "cross_entropy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::cross_entropy_forward(s, z.data_ptr<T>(), target.data_ptr<int64_t>(), ptr<T>(weight), eps,
                              lse.data_ptr<double>(), loss.data_ptr<double>(), &r.total, &r.weight);
  });
  return r;
}

void cross_entropy_backward(const LossShape& s, const Tensor& gx, const Tensor& z, const Tensor& target,
                            const Tensor& weight, double eps, const Tensor& lse, const Tensor& g, int64_t g_stride,
                            double scale) {
  dispatch_float(z.dtype(), "cross_entropy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::cross_entropy_backward(s, z.data_ptr<T>(), target.data_ptr<int64_t>(), ptr<T>(weight), eps,
                               lse.data_ptr<double>(), g.data_ptr<T>(), g_stride, scale, gx.data_ptr<T>());
  });
}

void batch_norm_forward(const BatchNormShape& s, const Tensor& y, const Tensor& mean, const Tensor& var,
                        const Tensor& rstd, const Tensor& x, const Tensor& w, const Tensor& b, double eps) {
  dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::batch_norm_train_forward<T>(ptr<T>(x), ptr<T>(w), ptr<T>(b), ptr<T>(y), ptr<T>(mean), ptr<T>(var), ptr<T>(rstd),
                                    s.N, s.C, s.S, eps);
  });
}

void batch_norm_backward(const BatchNormShape& s, const Tensor& dx, const Tensor& dw, const Tensor& db,
                         const Tensor& dy, const Tensor& x, const Tensor& mean, const Tensor& rstd, const Tensor& w) {
  dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::batch_norm_train_backward<T>(ptr<T>(dy), ptr<T>(x), ptr<T>(mean), ptr<T>(rstd), ptr<T>(w), ptr<T>(dx),
                                     ptr<T>(dw), ptr<T>(db), s.N, s.C, s.S);
  });
}

void batch_norm_channel_sums(const BatchNormShape& s, const Tensor& x, double* sum) {
  dispatch_float(x.dtype(), "sync_batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::batch_norm_channel_sums(ptr<T>(x), sum, s.N, s.C, s.S);
  });
}

void batch_norm_channel_sq(const BatchNormShape& s, const Tensor& x, const double* mean, double* sq) {
  dispatch_float(x.dtype(), "sync_batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::batch_norm_channel_sq(ptr<T>(x), mean, sq, s.N, s.C, s.S);
  });
}

void batch_norm_apply(const BatchNormShape& s, const Tensor& y, const Tensor& x, const double* mean, const double* rstd,
                      const Tensor& w, const Tensor& b) {
  dispatch_float(x.dtype(), "sync_batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::batch_norm_apply(ptr<T>(x), mean, rstd, ptr<T>(w), ptr<T>(b), ptr<T>(y), s.N, s.C, s.S);
  });
}

void batch_norm_grad_sums(const BatchNormShape& s, const Tensor& dy, const Tensor& x, const Tensor& mean, double* sdy,
                          double* sdyx) {
  dispatch_float(x.dtype(), "sync_batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::batch_norm_grad_sums(ptr<T>(dy), ptr<T>(x), ptr<T>(mean), sdy, sdyx, s.N, s.C, s.S);
  });
}

void batch_norm_grad_input(const BatchNormShape& s, const Tensor& dx, const Tensor& dy, const Tensor& x,
                           const Tensor& mean, const Tensor& rstd, const Tensor& w, const double* sdy,
                           const double* sdyx, double M) {
  dispatch_float(x.dtype(), "sync_batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::batch_norm_grad_input(ptr<T>(dy), ptr<T>(x), ptr<T>(mean), ptr<T>(rstd), ptr<T>(w), sdy, sdyx, M, ptr<T>(dx),
                              s.N, s.C, s.S);
  });
}

void layer_norm_forward(int64_t M, int64_t N, const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                        const Tensor& w, const Tensor& b, double eps) {
  dispatch_float(x.dtype(), "layer_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::layer_norm_forward<T>(ptr<T>(x), ptr<T>(w), ptr<T>(b), ptr<T>(y), ptr<T>(mean), ptr<T>(rstd), M, N, eps);
  });
}

void layer_norm_backward(int64_t M, int64_t N, const Tensor& dx, const Tensor& dw, const Tensor& db, const Tensor& dy,
                         const Tensor& x, const Tensor& mean, const Tensor& rstd, const Tensor& w) {
  dispatch_float(x.dtype(), "layer_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::layer_norm_backward<T>(ptr<T>(dy), ptr<T>(x), ptr<T>(mean), ptr<T>(rstd), ptr<T>(w), ptr<T>(dx), ptr<T>(dw),
                               ptr<T>(db), M, N);
  });
}

const NormKernels kNorm{softmax_forward,         softmax_backward,       nll_forward,        nll_backward,
                        cross_entropy_forward,   cross_entropy_backward, batch_norm_forward, batch_norm_backward,
                        batch_norm_channel_sums, batch_norm_channel_sq,  batch_norm_apply,   batch_norm_grad_sums,
                        batch_norm_grad_input,   layer_norm_forward,     layer_norm_backward};
}  // namespace

const NormKernels* norm_kernels() { return &kNorm; }

}  // namespace strata::backend::cpu
