// Reductions over any set of dims with keepdim: sum, mean (more to come in this family).
#include "strata/ops/reduction.h"

#include <algorithm>

#include "kernels/cpu/reduce.h"
#include "ops/helpers.h"
#include "strata/autograd/grad_mode.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/views.h"

namespace strata {

namespace {
using autograd::NeedsGrad;

// Which dims a reduction covers (sorted, unique); empty `dims` means all.
std::vector<bool> reduced_mask(const Tensor& x, const Dims& dims, const char* op) {
  std::vector<bool> mask(static_cast<size_t>(x.dim()), dims.empty());
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, x.dim(), op);
    if (x.dim() == 0) continue;
    STRATA_CHECK(!mask[static_cast<size_t>(w)] || dims.empty(), "[", op, "] dim ", d, " appears more than once");
    mask[static_cast<size_t>(w)] = true;
  }
  return mask;
}

Shape reduced_shape(const Tensor& x, const std::vector<bool>& mask, bool keepdim) {
  Shape s;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) {
      s.push_back(x.shape()[i]);
    } else if (keepdim) {
      s.push_back(1);
    }
  }
  return s;
}

// x permuted so that kept dims come first and reduced dims last, made contiguous: (outer, n) rows.
Tensor rows_layout(const Tensor& x, const std::vector<bool>& mask, int64_t& outer, int64_t& n) {
  Dims perm;
  outer = 1;
  n = 1;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) {
      perm.push_back(static_cast<int64_t>(i));
      outer *= x.shape()[i];
    }
  }
  for (size_t i = 0; i < mask.size(); ++i) {
    if (mask[i]) {
      perm.push_back(static_cast<int64_t>(i));
      n *= x.shape()[i];
    }
  }
  NoGradGuard no_grad;
  return contiguous(x.dim() == 0 ? x : permute(x, perm));
}

}  // namespace

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim) {
  STRATA_CHECK(x.defined(), "[sum] undefined tensor");
  check_cpu("sum", x.device());
  auto mask = reduced_mask(x, dims, "sum");
  Shape out_shape = reduced_shape(x, mask, keepdim);
  DType t = x.dtype() == kBool ? kInt64 : (x.dtype() == kInt64 ? kInt64 : ops::float_compute_dtype(x.dtype()));
  int64_t outer = 0, n = 0;
  Tensor rows = rows_layout(ops::cast(x, t), mask, outer, n);
  Tensor out = Tensor::empty(out_shape, t, x.device());
  dispatch_numeric(t, "sum", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, int64_t>) {
      const T* in = rows.data_ptr<T>();
      T* o = out.data_ptr<T>();
      for (int64_t r = 0; r < outer; ++r) {
        T acc = 0;
        for (int64_t i = 0; i < n; ++i) acc += in[r * n + i];
        o[r] = acc;
      }
    } else {
      kernels::cpu::sum_rows(rows.data_ptr<T>(), out.data_ptr<T>(), outer, n);
    }
  });
  if (autograd::needs_grad({&x})) {
    Shape in_shape = x.shape();
    Shape keep_shape = reduced_shape(x, mask, true);
    autograd::record("sum", {x}, out, [in_shape, keep_shape](const TensorList& g, const NeedsGrad&) {
      return TensorList{contiguous(expand(reshape(g[0], keep_shape), in_shape))};
    });
  }
  return out;
}

Tensor mean(const Tensor& x, const Dims& dims, bool keepdim) {
  STRATA_CHECK(is_floating(x.dtype()), "[mean] expected a floating-point tensor, got ", x.dtype());
  auto mask = reduced_mask(x, dims, "mean");
  int64_t count = 1;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (mask[i]) count *= x.shape()[i];
  }
  return div(sum(x, dims, keepdim), static_cast<double>(count));
}

Tensor Tensor::sum() const { return strata::sum(*this); }
Tensor Tensor::sum(const Dims& d, bool k) const { return strata::sum(*this, d, k); }
Tensor Tensor::mean() const { return strata::mean(*this); }
Tensor Tensor::mean(const Dims& d, bool k) const { return strata::mean(*this, d, k); }

}  // namespace strata
