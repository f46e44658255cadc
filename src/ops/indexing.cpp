// Indexing: index_select, index_add, gather, scatter_add, embedding, masked_fill, one_hot.
// Selections are differentiated by accumulating the gradient back into zeros (index_add / scatter_add),
// so repeated indices add up; the accumulating ops are differentiated by selecting.
#include "strata/ops/indexing.h"

#include "backend/copy.h"
#include "backend/index.h"
#include "ops/helpers.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/profile.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/reduction.h"
#include "strata/ops/views.h"

namespace strata {

namespace {
using autograd::NeedsGrad;

void check_index_tensor(const char* op, const Tensor& index) {
  STRATA_CHECK(index.defined(), "[", op, "] undefined index tensor");
  STRATA_CHECK(index.dtype() == kInt64, "[", op, "] index must be an int64 tensor, got ", index.dtype(), " of shape ",
               index.shape());
}

// Every index value must lie in [0, size) where size = x.shape()[dim].
void check_index_range(const char* op, const Tensor& index, const Tensor& x, int64_t dim) {
  const int64_t size = x.shape()[static_cast<size_t>(dim)];
  int64_t bad = 0;
  if (backend::index(op, index.device()).find_out_of_range(index, size, &bad)) {
    STRATA_FAIL("[", op, "] index ", bad, " is out of range for dim ", dim, " with size ", size, " (input shape ",
                x.shape(), ", index shape ", index.shape(), ")");
  }
}

// out (contiguous, x's shape with dim -> index.numel()) = x[..., index, ...]; no checks, no autograd.
Tensor index_select_data(const char* op, const Tensor& x, int64_t d, const Tensor& index, const Shape& out_shape) {
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  Shape sel_shape = x.shape();
  sel_shape[static_cast<size_t>(d)] = index.numel();
  // The kernel writes out as its (contiguous) selection shape; every dtype, 16-bit included.
  Tensor sel = Tensor::make_view(out.storage(), sel_shape, contiguous_strides(sel_shape), out.offset(), out.dtype());
  backend::index(op, x.device()).index_select(sel, x, d, index);
  return out;
}

// Bool tensors cannot accumulate.
void check_not_bool(const char* op, DType t) { STRATA_CHECK(t != kBool, "[", op, "] bool tensors are not supported"); }

// out[..., index[j], ...] += src[..., j, ...] in place; out is a fresh tensor of src's dtype.
void index_add_into(Tensor& out, int64_t d, const Tensor& index, const Tensor& src) {
  if (is_low_float(out.dtype())) {  // 16-bit: summed in float32, rounded once
    Tensor acc = ops::cast(out, kFloat32);
    index_add_into(acc, d, index, src);
    out = ops::cast(acc, out.dtype());
    return;
  }
  check_not_bool("index_add", out.dtype());
  Tensor s = ops::cast(src, out.dtype());
  backend::index("index_add", out.device()).index_add(out, d, index, s);
}

// out[i with i[d] -> index[i]] += src[i] over index's shape, in place.
void scatter_add_into(Tensor& out, int64_t d, const Tensor& index, const Tensor& src) {
  if (is_low_float(out.dtype())) {  // 16-bit: summed in float32, rounded once
    Tensor acc = ops::cast(out, kFloat32);
    scatter_add_into(acc, d, index, src);
    out = ops::cast(acc, out.dtype());
    return;
  }
  check_not_bool("scatter_add", out.dtype());
  Tensor s = ops::cast(src, out.dtype());
  backend::index("scatter_add", out.device()).scatter_add(out, d, index, s);
}

// A contiguous copy of x's data without autograd.
Tensor copy_of(const Tensor& x) {
  NoGradGuard no_grad;
  return clone(x);
}

}  // namespace

Tensor index_select(const Tensor& x_in, int64_t dim, const Tensor& index_in) {
  const profile::Scope prof_scope(profile::Kind::Forward, "index_select");
  STRATA_CHECK(x_in.defined(), "[index_select] undefined tensor");
  check_index_tensor("index_select", index_in);
  Tensor x = x_in, index = index_in;
  backend::place("index_select", {&x, &index});
  STRATA_CHECK(x.dim() >= 1, "[index_select] expects a tensor with at least one dim, got shape ", x.shape());
  STRATA_CHECK(index.dim() <= 1, "[index_select] index must be 1-D, got shape ", index.shape(), " for input of shape ",
               x.shape());
  const int64_t d = wrap_dim(dim, x.dim(), "index_select");
  check_index_range("index_select", index, x, d);
  Shape out_shape = x.shape();
  out_shape[static_cast<size_t>(d)] = index.numel();
  Tensor out = index_select_data("index_select", x, d, index, out_shape);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor si(index, "index_select");
    Shape in_shape = x.shape();
    autograd::record("index_select", {x}, out, [si, in_shape, d](const TensorList& g, const NeedsGrad&) {
      Tensor gx = zeros(in_shape, TensorOptions(g[0].dtype()).with_device(g[0].device()));
      index_add_into(gx, d, si.get(), g[0]);
      return TensorList{gx};
    });
  }
  return out;
}

Tensor index_add(const Tensor& x_in, int64_t dim, const Tensor& index_in, const Tensor& src_in) {
  STRATA_CHECK(x_in.defined() && src_in.defined(), "[index_add] undefined tensor");
  check_index_tensor("index_add", index_in);
  Tensor x = x_in, index = index_in, src = src_in;
  backend::place("index_add", {&x, &index, &src});
  STRATA_CHECK(x.dim() >= 1, "[index_add] expects a tensor with at least one dim, got shape ", x.shape());
  STRATA_CHECK(index.dim() <= 1, "[index_add] index must be 1-D, got shape ", index.shape());
  STRATA_CHECK(x.dtype() == src.dtype(), "[index_add] source dtype ", src.dtype(), " differs from input dtype ",
               x.dtype());
  const int64_t d = wrap_dim(dim, x.dim(), "index_add");
  Shape want = x.shape();
  want[static_cast<size_t>(d)] = index.numel();
  STRATA_CHECK(src.shape() == want, "[index_add] source of shape ", src.shape(), " does not match input ", x.shape(),
               " with ", index.numel(), " indices along dim ", d, " (expected ", want, ")");
  check_index_range("index_add", index, x, d);
  Tensor out = copy_of(x);
  index_add_into(out, d, index, src);
  if (autograd::needs_grad({&x, &src})) {
    autograd::SavedTensor si(index, "index_add");
    autograd::record("index_add", {x, src}, out, [si, d](const TensorList& g, const NeedsGrad& n) {
      return TensorList{n[0] ? g[0] : Tensor(), n[1] ? index_select(g[0], d, si.get()) : Tensor()};
    });
  }
  return out;
}

Tensor gather(const Tensor& x_in, int64_t dim, const Tensor& index_in) {
  const profile::Scope prof_scope(profile::Kind::Forward, "gather");
  STRATA_CHECK(x_in.defined(), "[gather] undefined tensor");
  check_index_tensor("gather", index_in);
  Tensor x = x_in, index = index_in;
  const Device dev = backend::place("gather", {&x, &index});
  STRATA_CHECK(x.dim() >= 1, "[gather] expects a tensor with at least one dim, got shape ", x.shape());
  STRATA_CHECK(index.dim() == x.dim(), "[gather] index of shape ", index.shape(),
               " must have as many dims as the input of shape ", x.shape());
  const int64_t d = wrap_dim(dim, x.dim(), "gather");
  for (int64_t i = 0; i < x.dim(); ++i) {
    STRATA_CHECK(i == d || index.size(i) <= x.size(i), "[gather] index of shape ", index.shape(),
                 " is larger than the input of shape ", x.shape(), " in dim ", i, " (only dim ", d, " may differ)");
  }
  check_index_range("gather", index, x, d);
  Tensor out = Tensor::empty(index.shape(), x.dtype(), dev);
  backend::index("gather", dev).gather(out, x, d, index);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor si(index, "gather");
    Shape in_shape = x.shape();
    autograd::record("gather", {x}, out, [si, in_shape, d](const TensorList& g, const NeedsGrad&) {
      Tensor gx = zeros(in_shape, TensorOptions(g[0].dtype()).with_device(g[0].device()));
      scatter_add_into(gx, d, si.get(), g[0]);
      return TensorList{gx};
    });
  }
  return out;
}

Tensor scatter_add(const Tensor& x_in, int64_t dim, const Tensor& index_in, const Tensor& src_in) {
  STRATA_CHECK(x_in.defined() && src_in.defined(), "[scatter_add] undefined tensor");
  check_index_tensor("scatter_add", index_in);
  Tensor x = x_in, index = index_in, src = src_in;
  backend::place("scatter_add", {&x, &index, &src});
  STRATA_CHECK(x.dim() >= 1, "[scatter_add] expects a tensor with at least one dim, got shape ", x.shape());
  STRATA_CHECK(x.dtype() == src.dtype(), "[scatter_add] source dtype ", src.dtype(), " differs from input dtype ",
               x.dtype());
  STRATA_CHECK(index.dim() == x.dim() && src.dim() == x.dim(), "[scatter_add] input ", x.shape(), ", index ",
               index.shape(), " and source ", src.shape(), " must have the same number of dims");
  const int64_t d = wrap_dim(dim, x.dim(), "scatter_add");
  for (int64_t i = 0; i < x.dim(); ++i) {
    const bool fits = (i == d || index.size(i) <= x.size(i)) && index.size(i) <= src.size(i);
    STRATA_CHECK(fits, "[scatter_add] index of shape ", index.shape(), " must be no larger than the source ",
                 src.shape(), " in every dim and than the input ", x.shape(), " in every dim but ", d, " (dim ", i,
                 " differs)");
  }
  check_index_range("scatter_add", index, x, d);
  Tensor out = copy_of(x);
  scatter_add_into(out, d, index, src);
  if (autograd::needs_grad({&x, &src})) {
    autograd::SavedTensor si(index, "scatter_add");
    Shape src_shape = src.shape();
    autograd::record("scatter_add", {x, src}, out, [si, src_shape, d](const TensorList& g, const NeedsGrad& n) {
      Tensor gsrc;
      if (n[1]) {
        Tensor idx = si.get();
        gsrc = gather(g[0], d, idx);
        if (idx.shape() != src_shape) {
          // Source entries beyond index's extent were not used: zero gradient there.
          std::vector<int64_t> pads;
          for (size_t i = src_shape.size(); i-- > 0;) {
            pads.push_back(0);
            pads.push_back(src_shape[i] - idx.shape()[i]);
          }
          gsrc = pad(gsrc, pads);
        }
      }
      return TensorList{n[0] ? g[0] : Tensor(), gsrc};
    });
  }
  return out;
}

Tensor embedding(const Tensor& weight_in, const Tensor& indices_in, int64_t padding_idx) {
  const profile::Scope prof_scope(profile::Kind::Forward, "embedding");
  STRATA_CHECK(weight_in.defined(), "[embedding] undefined weight");
  check_index_tensor("embedding", indices_in);
  Tensor weight = weight_in, indices = indices_in;
  const Device dev = backend::place("embedding", {&weight, &indices});
  STRATA_CHECK(weight.dim() == 2, "[embedding] weight must be 2-D (num_embeddings, embedding_dim), got shape ",
               weight.shape());
  const int64_t num = weight.size(0), width = weight.size(1);
  STRATA_CHECK(padding_idx < num, "[embedding] padding_idx ", padding_idx, " is out of range for weight of shape ",
               weight.shape());
  int64_t bad = 0;
  if (backend::index("embedding", dev).find_out_of_range(indices, num, &bad)) {
    STRATA_FAIL("[embedding] index ", bad, " is out of range for a table of ", num, " rows (weight shape ",
                weight.shape(), ", indices shape ", indices.shape(), ")");
  }
  Tensor flat = contiguous(indices).reshape({indices.numel()});
  Shape out_shape = indices.shape();
  out_shape.push_back(width);
  Tensor out = index_select_data("embedding", weight, 0, flat, out_shape);
  if (autograd::needs_grad({&weight})) {
    autograd::SavedTensor si(flat, "embedding");
    autograd::record("embedding", {weight}, out, [si, num, width, padding_idx](const TensorList& g, const NeedsGrad&) {
      // Rows accumulate directly into a dense (num, width) gradient: O(#indices * width), no one-hot matrix.
      Tensor idx = si.get();
      Tensor gw = zeros({num, width}, TensorOptions(g[0].dtype()).with_device(g[0].device()));
      index_add_into(gw, 0, idx, reshape(g[0], {idx.numel(), width}));
      if (padding_idx >= 0) {  // the padding row gets no gradient
        Tensor row = Tensor::make_view(gw.storage(), {width}, {1}, gw.offset() + padding_idx * width, gw.dtype());
        backend::copy("embedding", gw.device()).fill(row, 0.0);
      }
      return TensorList{gw};
    });
  }
  return out;
}

Tensor masked_fill(const Tensor& x_in, const Tensor& mask_in, double value) {
  const profile::Scope prof_scope(profile::Kind::Forward, "masked_fill");
  STRATA_CHECK(x_in.defined() && mask_in.defined(), "[masked_fill] undefined tensor");
  Tensor x = x_in, mask = mask_in;
  const Device dev = backend::place("masked_fill", {&x, &mask});
  STRATA_CHECK(mask.dtype() == kBool, "[masked_fill] mask must be a bool tensor, got ", mask.dtype(), " of shape ",
               mask.shape());
  Shape shape = broadcast_shapes(x.shape(), mask.shape(), "masked_fill");
  Tensor out = Tensor::empty(shape, x.dtype(), dev);
  backend::index("masked_fill", dev)
      .masked_fill(out, ops::broadcast_view(x, shape), ops::broadcast_view(mask, shape), value);
  if (autograd::needs_grad({&x})) {
    autograd::SavedTensor sm(mask, "masked_fill");
    Shape in_shape = x.shape();
    autograd::record("masked_fill", {x}, out, [sm, in_shape](const TensorList& g, const NeedsGrad&) {
      return TensorList{sum_to(masked_fill(g[0], sm.get(), 0.0), in_shape)};
    });
  }
  return out;
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  check_index_tensor("one_hot", indices);
  const Device dev = indices.device();
  if (num_classes < 0) {
    STRATA_CHECK(indices.numel() > 0, "[one_hot] cannot infer the number of classes from an empty tensor of shape ",
                 indices.shape(), "; pass num_classes");
    num_classes = static_cast<int64_t>(max(indices.detach()).item()) + 1;
  }
  int64_t bad = 0;
  if (backend::index("one_hot", dev).find_out_of_range(indices, num_classes, &bad)) {
    STRATA_CHECK(bad >= 0, "[one_hot] class values must be non-negative, got ", bad, " in indices of shape ",
                 indices.shape());
    STRATA_FAIL("[one_hot] class value ", bad, " is out of range for num_classes ", num_classes, " (indices shape ",
                indices.shape(), ")");
  }
  // out[..., indices[...]] = 1: a scatter of ones along the new last dim.
  Shape out_shape = indices.shape();
  out_shape.push_back(num_classes);
  Tensor out = zeros(out_shape, TensorOptions(kInt64).with_device(dev));
  Shape idx_shape = indices.shape();
  idx_shape.push_back(1);
  Strides idx_strides = indices.strides();
  idx_strides.push_back(1);
  Tensor idx = Tensor::make_view(indices.storage(), idx_shape, idx_strides, indices.offset(), kInt64);
  Tensor one = ones({1}, TensorOptions(kInt64).with_device(dev));
  Tensor src = Tensor::make_view(one.storage(), idx_shape, Strides(idx_shape.size(), 0), one.offset(), kInt64);
  backend::index("one_hot", dev).scatter_add(out, out.dim() - 1, idx, src);
  return out;
}

Tensor Tensor::masked_fill(const Tensor& mask, double value) const { return strata::masked_fill(*this, mask, value); }
Tensor Tensor::index_select(int64_t dim, const Tensor& index) const { return strata::index_select(*this, dim, index); }
Tensor Tensor::gather(int64_t dim, const Tensor& index) const { return strata::gather(*this, dim, index); }

Tensor& Tensor::masked_fill_(const Tensor& mask, double value) {
  ops::check_inplace("masked_fill_", *this);
  STRATA_CHECK(mask.defined(), "[masked_fill_] undefined mask");
  STRATA_CHECK(mask.dtype() == kBool, "[masked_fill_] mask must be a bool tensor, got ", mask.dtype(), " of shape ",
               mask.shape());
  Shape shape = broadcast_shapes(this->shape(), mask.shape(), "masked_fill_");
  STRATA_CHECK(shape == this->shape(), "[masked_fill_] mask of shape ", mask.shape(),
               " does not broadcast to the tensor's shape ", this->shape());
  backend::common_device("masked_fill_", {this, &mask});
  const Tensor m = backend::on_device(mask, device());  // a 0-d CPU mask follows the tensor
  backend::index("masked_fill_", device()).masked_fill(*this, *this, ops::broadcast_view(m, shape), value);
  bump_version();
  return *this;
}

}  // namespace strata
