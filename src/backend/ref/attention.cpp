// The ref backend's attention: naive loops per batch item, row and element, sums in double, one thread (no
// GEMM). The forward is attention_forward_reference's rule (kernels/cpu/attention.h) extended to what the op
// needs (bool masks, dropout, the probabilities kept for backward); the backward is written out here.
#include "backend/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "backend/ref/families.h"

namespace strata::backend::ref {

namespace {

// Element offset of batch item i (row-major over the leading dims) in x.
int64_t item_offset(const Tensor& x, int64_t i) {
  int64_t off = 0;
  for (size_t dd = x.shape().size() - 2; dd-- > 0;) {
    off += (i % x.shape()[dd]) * x.strides()[dd];
    i /= x.shape()[dd];
  }
  return off;
}

// Element (r, c) of item b of a matrix tensor (any strides), read as double.
template <class T>
struct Mat {
  const T* p;
  int64_t base, rs, cs;
  Mat(const Tensor& x, int64_t b) : p(x.data_ptr<T>()), base(item_offset(x, b)), rs(x.stride(-2)), cs(x.stride(-1)) {}
  double operator()(int64_t r, int64_t c) const { return static_cast<double>(p[base + r * rs + c * cs]); }
};

void forward(const AttnDims& d, double scale, bool causal, const Tensor& out, const Tensor& probs,
             const Tensor& dropped, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
             const Tensor& drop) {
  dispatch_float(q.dtype(), "scaled_dot_product_attention", [&](auto tag) {
    using T = typename decltype(tag)::type;
    constexpr double kNegInf = -std::numeric_limits<double>::infinity();
    const int64_t LS = d.L * d.S;
    std::vector<double> row(static_cast<size_t>(d.S));
    for (int64_t b = 0; b < d.batch; ++b) {
      const Mat<T> qb(q, b), kb(k, b), vb(v, b);
      T* p = probs.data_ptr<T>() + b * LS;
      T* pd = dropped.defined() ? dropped.data_ptr<T>() + b * LS : nullptr;
      const T* db = drop.defined() ? drop.data_ptr<T>() + b * LS : nullptr;
      T* ob = out.data_ptr<T>() + item_offset(out, b);
      const int64_t mbase = mask.defined() ? item_offset(mask, b) : 0;
      for (int64_t i = 0; i < d.L; ++i) {
        double mx = kNegInf;
        for (int64_t j = 0; j < d.S; ++j) {
          double s = 0;
          for (int64_t e = 0; e < d.E; ++e) s += qb(i, e) * kb(j, e);
          s *= scale;
          if (mask.defined()) {
            const int64_t mi = mbase + i * mask.stride(-2) + j * mask.stride(-1);
            if (mask.dtype() == kBool) {
              if (!mask.data_ptr<bool>()[mi]) s = kNegInf;
            } else {
              s += static_cast<double>(mask.data_ptr<T>()[mi]);
            }
          }
          if (causal && j > i) s = kNegInf;
          row[static_cast<size_t>(j)] = s;
          mx = std::max(mx, s);
        }
        double sum = 0;
        for (double& r : row) {
          r = mx == kNegInf ? 0.0 : std::exp(r - mx);
          sum += r;
        }
        for (int64_t j = 0; j < d.S; ++j) {
          const double pj = sum > 0 ? row[static_cast<size_t>(j)] / sum : 0.0;
          p[i * d.S + j] = static_cast<T>(pj);
          if (pd) pd[i * d.S + j] = static_cast<T>(pj * static_cast<double>(db[i * d.S + j]));
        }
        const T* pv = pd ? pd : p;
        for (int64_t e = 0; e < d.Ev; ++e) {
          double acc = 0;
          for (int64_t j = 0; j < d.S; ++j) acc += static_cast<double>(pv[i * d.S + j]) * vb(j, e);
          ob[i * out.stride(-2) + e * out.stride(-1)] = static_cast<T>(acc);
        }
      }
    }
  });
}

void backward(const AttnDims& d, double scale, bool causal, const Tensor& dq, const Tensor& dk, const Tensor& dv,
              const Tensor& ds, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& dout,
              const Tensor& d_weights, const Tensor& probs, const Tensor& drop, const Tensor& dropped) {
  (void)causal;  // P is 0 where the causal mask hid a key, so dS is too
  dispatch_float(q.dtype(), "scaled_dot_product_attention", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t LS = d.L * d.S;
    for (int64_t b = 0; b < d.batch; ++b) {
      const Mat<T> qb(q, b), kb(k, b), vb(v, b), gob(dout, b);
      const T* p = probs.data_ptr<T>() + b * LS;
      const T* pv = dropped.defined() ? dropped.data_ptr<T>() + b * LS : p;
      const T* db = drop.defined() ? drop.data_ptr<T>() + b * LS : nullptr;
      const T* dw = d_weights.defined() ? d_weights.data_ptr<T>() + b * LS : nullptr;
      T* g = ds.data_ptr<T>() + b * LS;
      if (dv.defined()) {  // dV = P'^T dO
        T* dvb = dv.data_ptr<T>() + b * d.S * d.Ev;
        for (int64_t j = 0; j < d.S; ++j) {
          for (int64_t e = 0; e < d.Ev; ++e) {
            double acc = 0;
            for (int64_t i = 0; i < d.L; ++i) acc += static_cast<double>(pv[i * d.S + j]) * gob(i, e);
            dvb[j * d.Ev + e] = static_cast<T>(acc);
          }
        }
      }
      for (int64_t i = 0; i < d.L; ++i) {  // dP = (dO V^T + dP') * drop, then dS = P * (dP - rowsum(dP * P))
        std::vector<double> dp(static_cast<size_t>(d.S));
        double dot = 0;
        for (int64_t j = 0; j < d.S; ++j) {
          double acc = 0;
          for (int64_t e = 0; e < d.Ev; ++e) acc += gob(i, e) * vb(j, e);
          if (dw) acc += static_cast<double>(dw[i * d.S + j]);
          if (db) acc *= static_cast<double>(db[i * d.S + j]);
          dp[static_cast<size_t>(j)] = acc;
          dot += acc * static_cast<double>(p[i * d.S + j]);
        }
        for (int64_t j = 0; j < d.S; ++j) {
          g[i * d.S + j] = static_cast<T>(static_cast<double>(p[i * d.S + j]) * (dp[static_cast<size_t>(j)] - dot));
        }
      }
      if (dq.defined()) {  // dQ = scale dS K
        T* dqb = dq.data_ptr<T>() + b * d.L * d.E;
        for (int64_t i = 0; i < d.L; ++i) {
          for (int64_t e = 0; e < d.E; ++e) {
            double acc = 0;
            for (int64_t j = 0; j < d.S; ++j) acc += static_cast<double>(g[i * d.S + j]) * kb(j, e);
            dqb[i * d.E + e] = static_cast<T>(scale * acc);
          }
        }
      }
      if (dk.defined()) {  // dK = scale dS^T Q
        T* dkb = dk.data_ptr<T>() + b * d.S * d.E;
        for (int64_t j = 0; j < d.S; ++j) {
          for (int64_t e = 0; e < d.E; ++e) {
            double acc = 0;
            for (int64_t i = 0; i < d.L; ++i) acc += static_cast<double>(g[i * d.S + j]) * qb(i, e);
            dkb[j * d.E + e] = static_cast<T>(scale * acc);
          }
        }
      }
    }
  });
}

const AttentionKernels kAttention{forward, backward};
}  // namespace

const AttentionKernels* attention_kernels() { return &kAttention; }

}  // namespace strata::backend::ref
