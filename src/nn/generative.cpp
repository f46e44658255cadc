// MinibatchStdDev, composed of ops (its gradient comes from theirs).
#include "strata/nn/generative.h"

#include "nn/repr.h"
#include "strata/core/error.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/ops/reduction.h"
#include "strata/ops/views.h"

namespace strata::nn {

std::string MinibatchStdDev::extra_repr() const { return "eps=" + detail::py_float(eps_); }

Tensor MinibatchStdDev::forward(const Tensor& x) {
  STRATA_CHECK(x.defined() && (x.dim() == 2 || x.dim() == 4),
               "[MinibatchStdDev] expected a (N, F) or (N, C, H, W) input, got shape ",
               x.defined() ? x.shape() : Shape{});
  // s = mean over features of sqrt(mean_n (x - mean_n x)^2 + eps)
  const Tensor centred = x - x.mean({0}, true);
  const Tensor sd = ((centred * centred).mean({0}, false) + eps_).sqrt();
  const Tensor s = sd.mean();
  Shape extra = x.shape();
  extra[1] = 1;
  Shape ones(static_cast<size_t>(x.dim()), 1);
  return cat({x, s.reshape(ones).expand(extra)}, 1);
}

}  // namespace strata::nn
