// View ops: results share storage with their input. Each backward maps the gradient back onto the
// input's shape (reshape back, inverse permutation, or scatter into zeros for slicing views).
#include "strata/ops/views.h"

#include <numeric>

#include "ops/helpers.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"

namespace strata {

namespace {

Tensor make_view_of(const Tensor& x, const Shape& shape, const Strides& strides, int64_t offset) {
  return Tensor::make_view(x.storage(), shape, strides, offset, x.dtype());
}

// Resolves one -1 entry and checks that the element count is unchanged.
Shape infer_shape(const Shape& shape, int64_t numel, const char* op, const Shape& from) {
  Shape out = shape;
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      STRATA_CHECK(infer < 0, "[", op, "] only one dimension can be -1, got ", shape);
      infer = static_cast<int>(i);
    } else {
      STRATA_CHECK(out[i] >= 0, "[", op, "] invalid size ", out[i], " in shape ", shape);
      known *= out[i];
    }
  }
  if (infer >= 0) {
    STRATA_CHECK(known != 0 && numel % known == 0, "[", op, "] shape ", shape, " is invalid for input of shape ", from,
                 " (", numel, " elements)");
    out[static_cast<size_t>(infer)] = numel / known;
  }
  STRATA_CHECK(out.numel() == numel, "[", op, "] shape ", shape, " is invalid for input of shape ", from, " (", numel,
               " elements)");
  return out;
}

// Strides for viewing x with `shape` without copying, if possible (PyTorch's computeStride).
bool view_strides(const Tensor& x, const Shape& shape, Strides& out) {
  const Shape& old = x.shape();
  const Strides& olds = x.strides();
  out = Strides(shape.size());
  if (x.numel() <= 1) {
    out = contiguous_strides(shape);
    return true;
  }
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = old.empty() ? 1 : olds.back();
  int64_t tensor_numel = 1;
  int64_t view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old.size()) - 1; d >= 0; --d) {
    tensor_numel *= old[static_cast<size_t>(d)];
    if (d == 0 || (old[static_cast<size_t>(d - 1)] != 1 &&
                   olds[static_cast<size_t>(d - 1)] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[static_cast<size_t>(view_d)] == 1)) {
        out[static_cast<size_t>(view_d)] = view_numel * chunk_base_stride;
        view_numel *= shape[static_cast<size_t>(view_d)];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = olds[static_cast<size_t>(d - 1)];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

// Records a view whose gradient is the output gradient reshaped to the input's shape.
void record_reshape_like(const char* op, const Tensor& x, const Tensor& out) {
  if (!autograd::needs_grad({&x})) return;
  Shape in_shape = x.shape();
  autograd::record(op, {x}, out, [in_shape](const TensorList& g, const autograd::NeedsGrad&) {
    return TensorList{reshape(g[0], in_shape)};
  });
}

// Records a slicing view: the gradient is scattered into zeros of the input's shape through the same view.
template <class MakeView>
void record_slice_like(const char* op, const Tensor& x, const Tensor& out, MakeView make) {
  if (!autograd::needs_grad({&x})) return;
  Shape in_shape = x.shape();
  DType dt = x.dtype();
  Device dev = x.device();
  autograd::record(op, {x}, out, [in_shape, dt, dev, make](const TensorList& g, const autograd::NeedsGrad&) {
    Tensor gx = zeros(in_shape, TensorOptions(dt).with_device(dev));
    Tensor v = make(gx);
    v.copy_(g[0]);
    return TensorList{gx};
  });
}

}  // namespace

Tensor view(const Tensor& x, const Shape& shape) {
  Shape s = infer_shape(shape, x.numel(), "view", x.shape());
  Strides st;
  STRATA_CHECK(view_strides(x, s, st), "[view] cannot view a tensor of shape ", x.shape(), " and strides ", x.strides(),
               " as ", s, " without copying; use reshape()");
  Tensor out = make_view_of(x, s, st, x.offset());
  record_reshape_like("view", x, out);
  return out;
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  Shape s = infer_shape(shape, x.numel(), "reshape", x.shape());
  Strides st;
  if (view_strides(x, s, st)) {
    Tensor out = make_view_of(x, s, st, x.offset());
    record_reshape_like("reshape", x, out);
    return out;
  }
  return view(contiguous(x), s);
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  if (x.dim() == 0) return reshape(x, {1});
  int64_t s = wrap_dim(start_dim, x.dim(), "flatten");
  int64_t e = wrap_dim(end_dim, x.dim(), "flatten");
  STRATA_CHECK(s <= e, "[flatten] start_dim ", start_dim, " comes after end_dim ", end_dim, " for shape ", x.shape());
  Shape out;
  for (int64_t d = 0; d < s; ++d) out.push_back(x.shape()[static_cast<size_t>(d)]);
  int64_t m = 1;
  for (int64_t d = s; d <= e; ++d) m *= x.shape()[static_cast<size_t>(d)];
  out.push_back(m);
  for (int64_t d = e + 1; d < x.dim(); ++d) out.push_back(x.shape()[static_cast<size_t>(d)]);
  return reshape(x, out);
}

Tensor squeeze(const Tensor& x) {
  Shape s;
  Strides st;
  for (size_t d = 0; d < x.shape().size(); ++d) {
    if (x.shape()[d] != 1) {
      s.push_back(x.shape()[d]);
      st.push_back(x.strides()[d]);
    }
  }
  Tensor out = make_view_of(x, s, st, x.offset());
  record_reshape_like("squeeze", x, out);
  return out;
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  int64_t d = wrap_dim(dim, x.dim(), "squeeze");
  if (x.dim() == 0 || x.shape()[static_cast<size_t>(d)] != 1) return x;
  Shape s = x.shape();
  Strides st = x.strides();
  s.erase(static_cast<size_t>(d));
  st.erase(static_cast<size_t>(d));
  Tensor out = make_view_of(x, s, st, x.offset());
  record_reshape_like("squeeze", x, out);
  return out;
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  int64_t d = wrap_dim(dim, x.dim() + 1, "unsqueeze");
  Shape s = x.shape();
  Strides st = x.strides();
  int64_t stride = static_cast<size_t>(d) < s.size() ? st[static_cast<size_t>(d)] * s[static_cast<size_t>(d)] : 1;
  s.insert(static_cast<size_t>(d), 1);
  st.insert(static_cast<size_t>(d), stride);
  Tensor out = make_view_of(x, s, st, x.offset());
  record_reshape_like("unsqueeze", x, out);
  return out;
}

Tensor permute(const Tensor& x, const Dims& dims) {
  STRATA_CHECK(static_cast<int64_t>(dims.size()) == x.dim(), "[permute] got ", dims.size(),
               " dims for a tensor of shape ", x.shape());
  Shape s(dims.size());
  Strides st(dims.size());
  std::vector<int64_t> inverse(dims.size(), -1);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], x.dim(), "permute");
    STRATA_CHECK(inverse[static_cast<size_t>(d)] < 0, "[permute] dim ", d, " repeated in the permutation");
    inverse[static_cast<size_t>(d)] = static_cast<int64_t>(i);
    s[i] = x.shape()[static_cast<size_t>(d)];
    st[i] = x.strides()[static_cast<size_t>(d)];
  }
  Tensor out = make_view_of(x, s, st, x.offset());
  if (autograd::needs_grad({&x})) {
    autograd::record("permute", {x}, out, [inverse](const TensorList& g, const autograd::NeedsGrad&) {
      return TensorList{permute(g[0], inverse)};
    });
  }
  return out;
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  if (x.dim() == 0) return x;
  Dims p(static_cast<size_t>(x.dim()));
  std::iota(p.begin(), p.end(), 0);
  std::swap(p[static_cast<size_t>(wrap_dim(dim0, x.dim(), "transpose"))],
            p[static_cast<size_t>(wrap_dim(dim1, x.dim(), "transpose"))]);
  return permute(x, p);
}

Tensor t(const Tensor& x) {
  STRATA_CHECK(x.dim() <= 2, "[t] expects a tensor with <= 2 dims, got shape ", x.shape());
  if (x.dim() < 2) return x;
  return transpose(x, 0, 1);
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  STRATA_CHECK(x.dim() > 0, "[slice] cannot slice a 0-d tensor");
  STRATA_CHECK(step > 0, "[slice] step must be positive, got ", step);
  int64_t d = wrap_dim(dim, x.dim(), "slice");
  int64_t n = x.shape()[static_cast<size_t>(d)];
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape s = x.shape();
  Strides st = x.strides();
  s[static_cast<size_t>(d)] = (end - start + step - 1) / step;
  int64_t offset = x.offset() + start * st[static_cast<size_t>(d)];
  st[static_cast<size_t>(d)] *= step;
  Tensor out = make_view_of(x, s, st, offset);
  record_slice_like("slice", x, out, [d, start, end, step](const Tensor& g) { return slice(g, d, start, end, step); });
  return out;
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  STRATA_CHECK(x.dim() > 0, "[narrow] cannot narrow a 0-d tensor");
  int64_t d = wrap_dim(dim, x.dim(), "narrow");
  int64_t n = x.shape()[static_cast<size_t>(d)];
  if (start < 0) start += n;
  STRATA_CHECK(start >= 0 && length >= 0 && start + length <= n, "[narrow] start ", start, " + length ", length,
               " exceeds size ", n, " of dim ", d, " in shape ", x.shape());
  return slice(x, d, start, start + length, 1);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  STRATA_CHECK(x.dim() > 0, "[select] cannot select from a 0-d tensor");
  int64_t d = wrap_dim(dim, x.dim(), "select");
  int64_t n = x.shape()[static_cast<size_t>(d)];
  STRATA_CHECK(index >= -n && index < n, "[select] index ", index, " out of range for dim ", d, " of shape ",
               x.shape());
  if (index < 0) index += n;
  Shape s = x.shape();
  Strides st = x.strides();
  int64_t offset = x.offset() + index * st[static_cast<size_t>(d)];
  s.erase(static_cast<size_t>(d));
  st.erase(static_cast<size_t>(d));
  Tensor out = make_view_of(x, s, st, offset);
  record_slice_like("select", x, out, [d, index](const Tensor& g) { return select(g, d, index); });
  return out;
}

Tensor expand(const Tensor& x, const Shape& shape) {
  STRATA_CHECK(shape.size() >= x.shape().size(), "[expand] cannot expand shape ", x.shape(), " to ", shape);
  const size_t lead = shape.size() - x.shape().size();
  Shape s(shape.size());
  Strides st(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      STRATA_CHECK(shape[i] >= 0, "[expand] size -1 is not allowed in a new leading dim: ", shape);
      s[i] = shape[i];
      st[i] = 0;
      continue;
    }
    int64_t have = x.shape()[i - lead];
    int64_t want = shape[i] == -1 ? have : shape[i];
    STRATA_CHECK(want >= 0, "[expand] invalid size ", shape[i], " in shape ", shape);
    STRATA_CHECK(have == want || have == 1, "[expand] cannot expand shape ", x.shape(), " to ", shape, " (dim ", i,
                 ": ", have, " vs ", want, ")");
    s[i] = want;
    st[i] = have == want ? x.strides()[i - lead] : 0;
  }
  Tensor out = make_view_of(x, s, st, x.offset());
  if (autograd::needs_grad({&x})) {
    Shape in_shape = x.shape();
    autograd::record("expand", {x}, out, [in_shape](const TensorList& g, const autograd::NeedsGrad&) {
      return TensorList{sum_to(g[0], in_shape)};
    });
  }
  return out;
}

TensorList split(const Tensor& x, int64_t split_size, int64_t dim) {
  STRATA_CHECK(split_size > 0, "[split] split_size must be positive, got ", split_size);
  int64_t d = wrap_dim(dim, x.dim(), "split");
  int64_t n = x.shape()[static_cast<size_t>(d)];
  TensorList out;
  for (int64_t s = 0; s < n; s += split_size) out.push_back(narrow(x, d, s, std::min(split_size, n - s)));
  if (n == 0) out.push_back(narrow(x, d, 0, 0));
  return out;
}

TensorList split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  int64_t d = wrap_dim(dim, x.dim(), "split");
  int64_t total = std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
  STRATA_CHECK(total == x.shape()[static_cast<size_t>(d)], "[split] sizes add up to ", total, " but dim ", d,
               " of shape ", x.shape(), " has size ", x.shape()[static_cast<size_t>(d)]);
  TensorList out;
  int64_t s = 0;
  for (int64_t len : sizes) {
    out.push_back(narrow(x, d, s, len));
    s += len;
  }
  return out;
}

TensorList chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  STRATA_CHECK(chunks > 0, "[chunk] chunks must be positive, got ", chunks);
  int64_t d = wrap_dim(dim, x.dim(), "chunk");
  int64_t n = x.shape()[static_cast<size_t>(d)];
  // As PyTorch: an empty dim gives `chunks` empty pieces.
  if (n == 0) return split(x, std::vector<int64_t>(static_cast<size_t>(chunks), 0), d);
  return split(x, (n + chunks - 1) / chunks, d);
}

}  // namespace strata

namespace strata {
Tensor Tensor::reshape(const Shape& s) const { return strata::reshape(*this, s); }
Tensor Tensor::view(const Shape& s) const { return strata::view(*this, s); }
Tensor Tensor::flatten(int64_t s, int64_t e) const { return strata::flatten(*this, s, e); }
Tensor Tensor::squeeze() const { return strata::squeeze(*this); }
Tensor Tensor::squeeze(int64_t d) const { return strata::squeeze(*this, d); }
Tensor Tensor::unsqueeze(int64_t d) const { return strata::unsqueeze(*this, d); }
Tensor Tensor::transpose(int64_t a, int64_t b) const { return strata::transpose(*this, a, b); }
Tensor Tensor::permute(const Dims& d) const { return strata::permute(*this, d); }
Tensor Tensor::t() const { return strata::t(*this); }
Tensor Tensor::narrow(int64_t d, int64_t s, int64_t l) const { return strata::narrow(*this, d, s, l); }
Tensor Tensor::slice(int64_t d, int64_t s, int64_t e, int64_t st) const { return strata::slice(*this, d, s, e, st); }
Tensor Tensor::select(int64_t d, int64_t i) const { return strata::select(*this, d, i); }
Tensor Tensor::expand(const Shape& s) const { return strata::expand(*this, s); }
Tensor Tensor::expand_as(const Tensor& o) const { return strata::expand(*this, o.shape()); }
TensorList Tensor::chunk(int64_t c, int64_t d) const { return strata::chunk(*this, c, d); }
TensorList Tensor::split(int64_t s, int64_t d) const { return strata::split(*this, s, d); }
}  // namespace strata
