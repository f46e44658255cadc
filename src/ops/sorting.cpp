// Sorting and selection (sort, argsort, topk) and categorical sampling (multinomial, sample_logits).
// These are host algorithms on every device: the order (and the draws) are computed on plain row copies on the
// CPU and the indices move back to the input's device; the values are then a gather of x there, so autograd
// sees one gather (whose backward scatters into the picked positions).
#include "strata/ops/sorting.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/distributions.h"
#include "strata/core/error.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/ops/softmax.h"

namespace strata {

namespace {

// NaN counts as larger than every number (PyTorch's order).
bool less_nan_last(double a, double b) { return std::isnan(b) ? !std::isnan(a) : a < b; }

// For every row along `dim`: the first k positions of the row's order (ascending or descending, stable).
// Returns the int64 indices with x's shape except k along dim.
Tensor order_indices(const char* op, const Tensor& x, int64_t dim, int64_t k, bool descending) {
  STRATA_CHECK(x.defined(), "[", op, "] undefined tensor");
  STRATA_CHECK(x.dtype() != kBool, "[", op, "] cannot order a bool tensor");
  const int64_t nd = std::max<int64_t>(x.dim(), 1);
  dim = wrap_dim(dim, nd, op);
  const Tensor xh = x.detach().to(kCPU);  // the host copy the rows are read from
  Tensor moved = xh.dim() == 0 ? xh.reshape({1}) : xh.transpose(dim, -1).contiguous();
  const int64_t n = moved.size(-1);
  STRATA_CHECK(k >= 0 && k <= n, "[", op, "] k = ", k, " is out of range for a dim of size ", n, " (shape ", x.shape(),
               ")");
  const std::vector<double> v = moved.to_vector<double>();
  const int64_t rows = n == 0 ? 0 : static_cast<int64_t>(v.size()) / n;
  Shape out_shape = moved.shape();
  out_shape[out_shape.size() - 1] = k;
  std::vector<int64_t> out(static_cast<size_t>(rows * k));
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t r = 0; r < rows; ++r) {
    const double* row = v.data() + r * n;
    std::iota(order.begin(), order.end(), 0);
    auto cmp = [&](int64_t a, int64_t b) {
      return descending ? less_nan_last(row[b], row[a]) : less_nan_last(row[a], row[b]);
    };
    if (k < n) {
      std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) {
        return cmp(a, b) || (!cmp(b, a) && a < b);  // ties by position: stable
      });
    } else {
      std::stable_sort(order.begin(), order.end(), cmp);
    }
    std::copy(order.begin(), order.begin() + k, out.begin() + r * k);
  }
  Tensor idx = from_vector(out, out_shape);
  if (x.dim() == 0) return idx.reshape({}).to(x.device());
  return idx.transpose(dim, -1).contiguous().to(x.device());
}

}  // namespace

SortResult sort(const Tensor& x, int64_t dim, bool descending) {
  const int64_t n = x.defined() && x.dim() > 0 ? x.size(wrap_dim(dim, x.dim(), "sort")) : 1;
  Tensor idx = order_indices("sort", x, dim, n, descending);
  if (x.dim() == 0) return {x.clone(), idx};
  return {gather(x, dim, idx), idx};
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending) { return sort(x, dim, descending).indices; }

SortResult topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool /*sorted*/) {
  // The selection is always returned sorted (sorted=false allows any order, so sorted is a valid answer).
  Tensor idx = order_indices("topk", x, dim, k, largest);
  if (x.dim() == 0) return {x.clone(), idx};
  return {gather(x, dim, idx), idx};
}

Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator* gen) {
  STRATA_CHECK(probs.defined() && (probs.dim() == 1 || probs.dim() == 2),
               "[multinomial] expected (C) or (N, C) weights, got ",
               probs.defined() ? probs.shape().str() : std::string("an undefined tensor"));
  STRATA_CHECK(is_floating(probs.dtype()), "[multinomial] expected floating-point weights, got ", probs.dtype());
  STRATA_CHECK(num_samples > 0, "[multinomial] num_samples must be positive, got ", num_samples);
  Generator& g = gen != nullptr ? *gen : default_generator();
  const Tensor p2 = probs.dim() == 1 ? probs.unsqueeze(0) : probs;
  const int64_t rows = p2.size(0);
  const int64_t c = p2.size(1);
  const std::vector<double> w = p2.detach().to(kCPU).contiguous().to_vector<double>();  // drawn on the host
  std::vector<int64_t> o(static_cast<size_t>(rows * num_samples));
  std::vector<double> row(static_cast<size_t>(c));
  for (int64_t r = 0; r < rows; ++r) {
    std::copy(w.begin() + r * c, w.begin() + (r + 1) * c, row.begin());
    int64_t nonzero = 0;
    for (int64_t j = 0; j < c; ++j) {
      STRATA_CHECK(std::isfinite(row[j]) && row[j] >= 0, "[multinomial] weight ", row[j], " at row ", r, ", column ", j,
                   " is negative or not finite");
      nonzero += row[j] > 0;
    }
    STRATA_CHECK(nonzero > 0, "[multinomial] row ", r, " has no positive weight");
    STRATA_CHECK(replacement || num_samples <= nonzero, "[multinomial] cannot draw ", num_samples,
                 " samples without replacement from row ", r, " with ", nonzero, " positive weights");
    for (int64_t s = 0; s < num_samples; ++s) {
      const double total = std::accumulate(row.begin(), row.end(), 0.0);
      const double u = detail::uniform_double_draw(g, 0.0, 1.0) * total;
      double acc = 0;
      int64_t pick = -1;
      for (int64_t j = 0; j < c; ++j) {
        if (row[j] <= 0) continue;
        pick = j;  // the last positive category absorbs rounding at the top end
        acc += row[j];
        if (u < acc) break;
      }
      o[r * num_samples + s] = pick;
      if (!replacement) row[pick] = 0;
    }
  }
  Tensor out = from_vector(o, {rows, num_samples}).to(probs.device());
  return probs.dim() == 1 ? out.reshape({num_samples}) : out;
}

Tensor sample_logits(const Tensor& logits, double temperature, int64_t top_k, Generator* gen) {
  STRATA_CHECK(logits.defined() && (logits.dim() == 1 || logits.dim() == 2),
               "[sample_logits] expected (V) or (N, V) logits, got ",
               logits.defined() ? logits.shape().str() : std::string("an undefined tensor"));
  STRATA_CHECK(temperature >= 0, "[sample_logits] temperature must be >= 0, got ", temperature);
  Tensor l = logits.detach().to(kCPU).to(kFloat64);  // a host algorithm: the pick moves back at the end
  const int64_t v = l.size(-1);
  if (temperature == 0) top_k = 1;  // greedy
  Tensor keep_idx;
  if (top_k > 0 && top_k < v) {
    keep_idx = topk(l, top_k, -1).indices;
    l = gather(l, -1, keep_idx);
  }
  Tensor probs = softmax(temperature == 0 ? l : l / temperature, -1);
  Tensor pick = multinomial(probs, 1, true, gen);  // (1) or (N, 1)
  if (keep_idx.defined()) pick = gather(keep_idx, -1, pick);
  pick = pick.to(logits.device());
  return logits.dim() == 1 ? pick.reshape({}) : pick.reshape({logits.size(0)});
}

}  // namespace strata
