// Joining and padding: cat, stack, pad (constant mode). Each copies its inputs into slices of a fresh
// output; the backward hands each input its slice of the gradient.
#include <algorithm>

#include "backend/backend.h"
#include "ops/helpers.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/profile.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/ops/views.h"

namespace strata {

namespace {
using autograd::NeedsGrad;

// A view into `out`'s storage with the given layout, `offset` elements past out's first element (no autograd).
Tensor window(const Tensor& out, const Shape& shape, const Strides& strides, int64_t offset) {
  return Tensor::make_view(out.storage(), shape, strides, out.offset() + offset, out.dtype());
}

DType joined_dtype(const TensorList& tensors) {
  DType t = tensors[0].dtype();
  for (const Tensor& x : tensors) t = promote_types(t, x.dtype());
  return t;
}

// Checks the list and returns the device all its tensors live on (the output's); copy_ moves a 0-d CPU operand.
Device check_joinable(const char* op, const TensorList& tensors) {
  STRATA_CHECK(!tensors.empty(), "[", op, "] expects a non-empty list of tensors");
  const Tensor* anchor = &tensors[0];
  Device dev = anchor->defined() ? anchor->device() : kCPU;
  for (size_t i = 0; i < tensors.size(); ++i) {
    STRATA_CHECK(tensors[i].defined(), "[", op, "] undefined tensor at position ", i);
    const Device d = backend::common_device(op, {anchor, &tensors[i]});
    if (d != dev) {
      anchor = &tensors[i];
      dev = d;
    }
  }
  return dev;
}

// The gradient slice for one input, in that input's dtype.
Tensor grad_part(const Tensor& g, DType dtype) { return g.dtype() == dtype ? g : ops::cast(g, dtype); }

}  // namespace

Tensor cat(const TensorList& tensors, int64_t dim) {
  const profile::Scope prof_scope(profile::Kind::Forward, "cat");
  const Device dev = check_joinable("cat", tensors);
  // As PyTorch: 1-D empty tensors (shape (0)) are skipped, for code that starts from torch.tensor([]).
  auto skipped = [](const Tensor& t) { return t.dim() == 1 && t.numel() == 0; };
  int64_t ref = -1;
  for (size_t i = 0; i < tensors.size(); ++i) {
    STRATA_CHECK(tensors[i].dim() > 0, "[cat] zero-dimensional tensor (at position ", i, ") cannot be concatenated");
    if (ref < 0 && !skipped(tensors[i])) ref = static_cast<int64_t>(i);
  }
  const DType dtype = joined_dtype(tensors);
  if (ref < 0) return empty({0}, TensorOptions(dtype).with_device(dev));
  const Tensor& r = tensors[static_cast<size_t>(ref)];
  const int64_t d = wrap_dim(dim, r.dim(), "cat");
  const size_t du = static_cast<size_t>(d);
  Shape out_shape = r.shape();
  out_shape[du] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (skipped(t)) continue;
    STRATA_CHECK(t.dim() == r.dim(), "[cat] tensors must have the same number of dims: tensor at position ", ref,
                 " has shape ", r.shape(), ", tensor at position ", i, " has shape ", t.shape());
    for (size_t k = 0; k < out_shape.size(); ++k) {
      STRATA_CHECK(k == du || t.shape()[k] == r.shape()[k], "[cat] sizes must match except in dim ", d,
                   ": tensor at position ", ref, " has shape ", r.shape(), ", tensor at position ", i, " has shape ",
                   t.shape());
    }
    out_shape[du] += t.shape()[du];
  }
  Tensor out = Tensor::empty(out_shape, dtype, dev);
  std::vector<int64_t> starts(tensors.size(), 0);
  int64_t start = 0;
  {
    NoGradGuard no_grad;
    for (size_t i = 0; i < tensors.size(); ++i) {
      const Tensor& t = tensors[i];
      starts[i] = start;
      if (skipped(t)) continue;
      window(out, t.shape(), out.strides(), start * out.strides()[du]).copy_(t);
      start += t.shape()[du];
    }
  }
  if (autograd::needs_grad(tensors)) {
    std::vector<autograd::TensorMeta> metas;
    for (const Tensor& t : tensors) metas.push_back({t.shape(), t.dtype(), t.device()});
    autograd::record("cat", tensors, out, [metas, starts, d](const TensorList& g, const NeedsGrad& n) {
      TensorList grads(metas.size());
      for (size_t i = 0; i < metas.size(); ++i) {
        if (!n[i]) continue;
        const autograd::TensorMeta& m = metas[i];
        // A skipped (0) tensor gets an empty gradient; every other input its slice.
        grads[i] = m.shape == Shape{0}
                       ? zeros({0}, TensorOptions(m.dtype).with_device(m.device))
                       : grad_part(narrow(g[0], d, starts[i], m.shape[static_cast<size_t>(d)]), m.dtype);
      }
      return grads;
    });
  }
  return out;
}

Tensor stack(const TensorList& tensors, int64_t dim) {
  const profile::Scope prof_scope(profile::Kind::Forward, "stack");
  const Device dev = check_joinable("stack", tensors);
  const Tensor& r = tensors[0];
  for (size_t i = 1; i < tensors.size(); ++i) {
    STRATA_CHECK(tensors[i].shape() == r.shape(), "[stack] expects tensors of equal shape, but got ", r.shape(),
                 " at position 0 and ", tensors[i].shape(), " at position ", i);
  }
  const int64_t d = wrap_dim(dim, r.dim() + 1, "stack");
  const size_t du = static_cast<size_t>(d);
  Shape out_shape = r.shape();
  out_shape.insert(du, static_cast<int64_t>(tensors.size()));
  Tensor out = Tensor::empty(out_shape, joined_dtype(tensors), dev);
  {
    NoGradGuard no_grad;
    Strides st = out.strides();
    const int64_t step = st[du];
    st.erase(du);
    for (size_t i = 0; i < tensors.size(); ++i) {
      window(out, r.shape(), st, static_cast<int64_t>(i) * step).copy_(tensors[i]);
    }
  }
  if (autograd::needs_grad(tensors)) {
    std::vector<DType> dtypes;
    for (const Tensor& t : tensors) dtypes.push_back(t.dtype());
    autograd::record("stack", tensors, out, [dtypes, d](const TensorList& g, const NeedsGrad& n) {
      TensorList grads(dtypes.size());
      for (size_t i = 0; i < dtypes.size(); ++i) {
        if (n[i]) grads[i] = grad_part(select(g[0], d, static_cast<int64_t>(i)), dtypes[i]);
      }
      return grads;
    });
  }
  return out;
}

Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value) {
  STRATA_CHECK(x.defined(), "[pad] undefined tensor");
  STRATA_CHECK(pads.size() % 2 == 0, "[pad] padding length must be even (pairs of left, right), got ", pads.size());
  STRATA_CHECK(static_cast<int64_t>(pads.size() / 2) <= x.dim(), "[pad] padding of length ", pads.size(),
               " is too long for a tensor of shape ", x.shape());
  // Output position p along a padded dim holds input position p - left.
  Shape out_shape = x.shape(), src_shape = x.shape(), src_start(x.shape().size(), 0), dst_start(x.shape().size(), 0);
  for (size_t i = 0; i < pads.size() / 2; ++i) {
    const size_t d = x.shape().size() - 1 - i;
    const int64_t n = x.shape()[d], left = pads[2 * i], right = pads[2 * i + 1];
    out_shape[d] = n + left + right;
    STRATA_CHECK(out_shape[d] >= 0, "[pad] padding (", left, ", ", right, ") gives a negative size for dim ", d,
                 " of shape ", x.shape());
    const int64_t lo = std::max<int64_t>(0, -left), hi = std::min(n, out_shape[d] - left);
    src_start[d] = lo;
    src_shape[d] = std::max<int64_t>(0, hi - lo);
    dst_start[d] = lo + left;
  }
  Tensor out = full(out_shape, value, TensorOptions(x.dtype()).with_device(x.device()));
  if (src_shape.numel() > 0) {
    NoGradGuard no_grad;
    int64_t so = x.offset(), doff = 0;
    for (size_t d = 0; d < src_start.size(); ++d) {
      so += src_start[d] * x.strides()[d];
      doff += dst_start[d] * out.strides()[d];
    }
    Tensor src = Tensor::make_view(x.storage(), src_shape, x.strides(), so, x.dtype());
    window(out, src_shape, out.strides(), doff).copy_(src);
  }
  if (autograd::needs_grad({&x})) {
    std::vector<int64_t> inverse(pads.size());
    std::transform(pads.begin(), pads.end(), inverse.begin(), [](int64_t p) { return -p; });
    // Padding with -pads crops what was added and puts zeros where input was cropped away.
    autograd::record("pad", {x}, out,
                     [inverse](const TensorList& g, const NeedsGrad&) { return TensorList{pad(g[0], inverse, 0.0)}; });
  }
  return out;
}

}  // namespace strata
