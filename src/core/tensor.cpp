#include "strata/core/tensor.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "strata/core/error.h"

namespace strata {

AutogradMeta& TensorImpl::meta() {
  if (!autograd) autograd = std::make_unique<AutogradMeta>();
  return *autograd;
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  int64_t bytes = static_cast<int64_t>(strata::itemsize(dtype));
  int64_t span = 1;  // the strides' product: a 0-size dim empties the tensor but not its strides (fuzzing found)
  for (int64_t s : shape) {
    STRATA_CHECK(s >= 0, "[empty] negative size in shape ", shape);
    STRATA_CHECK(!__builtin_mul_overflow(bytes, s, &bytes), "[empty] shape ", shape, " of ", dtype,
                 " needs more than 2^63 bytes");
    STRATA_CHECK(!__builtin_mul_overflow(span, std::max<int64_t>(s, 1), &span), "[empty] shape ", shape,
                 ": its non-empty dims hold more than 2^63 elements");
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<StorageImpl>(static_cast<size_t>(shape.numel()) * strata::itemsize(dtype), device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::make_view(const Storage& storage, const Shape& shape, const Strides& strides, int64_t offset,
                         DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

int64_t Tensor::size(int64_t d) const {
  STRATA_CHECK(dim() > 0, "[size] a 0-d tensor has no dim ", d);
  return shape()[static_cast<size_t>(wrap_dim(d, dim(), "size"))];
}
int64_t Tensor::stride(int64_t d) const {
  STRATA_CHECK(dim() > 0, "[stride] a 0-d tensor has no dim ", d);
  return strides()[static_cast<size_t>(wrap_dim(d, dim(), "stride"))];
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (size_t i = shape().size(); i-- > 0;) {
    if (shape()[i] == 1) continue;
    if (strides()[i] != expected) return false;
    expected *= shape()[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  return static_cast<char*>(impl_->storage->data()) + impl_->offset * static_cast<int64_t>(itemsize());
}

namespace {

// Offset (in elements, from the first element) of the flat row-major position `flat`.
int64_t offset_of(const Tensor& t, int64_t flat) {
  int64_t off = 0;
  for (size_t d = t.shape().size(); d-- > 0;) {
    off += (flat % t.shape()[d]) * t.strides()[d];
    flat /= t.shape()[d];
  }
  return off;
}

template <class T>
T read_as(const Tensor& t, int64_t elem_offset) {
  return dispatch_all(t.dtype(), [&](auto tag) -> T {
    using S = typename decltype(tag)::type;
    S v = static_cast<const S*>(t.raw_data())[elem_offset];
    if constexpr (std::is_same_v<S, Half> || std::is_same_v<S, BFloat16>) {
      return static_cast<T>(static_cast<float>(v));
    } else if constexpr (std::is_same_v<T, bool>) {
      return v != S(0);
    } else {
      return static_cast<T>(v);
    }
  });
}

}  // namespace

double Tensor::item() const { return item<double>(); }

template <class T>
T Tensor::item() const {
  STRATA_CHECK(defined(), "[item] undefined tensor");
  STRATA_CHECK(numel() == 1, "[item] expected a tensor with one element, got shape ", shape());
  if (!device().is_host()) return to(kCPU).item<T>();
  return read_as<T>(*this, 0);
}

double Tensor::at(std::initializer_list<int64_t> index) const {
  STRATA_CHECK(static_cast<int64_t>(index.size()) == dim(), "[at] index has ", index.size(),
               " entries for a tensor of shape ", shape());
  if (!device().is_host()) return to(kCPU).at(index);
  int64_t off = 0;
  size_t d = 0;
  for (int64_t i : index) {
    int64_t n = shape()[d];
    STRATA_CHECK(i >= -n && i < n, "[at] index ", i, " out of range for dim ", d, " of shape ", shape());
    off += (i < 0 ? i + n : i) * strides()[d];
    ++d;
  }
  return read_as<double>(*this, off);
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  STRATA_CHECK(defined(), "[to_vector] undefined tensor");
  if (!device().is_host()) return to(kCPU).to_vector<T>();
  std::vector<T> out(static_cast<size_t>(numel()));
  if constexpr (!std::is_same_v<T, bool>) {
    if (is_contiguous() && dtype_of<T>() == dtype()) {
      std::copy_n(static_cast<const T*>(raw_data()), out.size(), out.data());
      return out;
    }
  }
  for (int64_t i = 0; i < numel(); ++i) out[static_cast<size_t>(i)] = read_as<T>(*this, offset_of(*this, i));
  return out;
}

template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template int64_t Tensor::item<int64_t>() const;
template bool Tensor::item<bool>() const;
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<bool> Tensor::to_vector<bool>() const;

namespace {

void print_values(std::ostream& os, const Tensor& t, std::vector<double>& vals, size_t dim, int64_t& flat, int indent) {
  const int64_t n = t.shape()[dim];
  const bool last = dim + 1 == t.shape().size();
  // Long dims show their first and last three entries.
  const bool elide = n > 8;
  os << '[';
  for (int64_t i = 0; i < n; ++i) {
    if (elide && i == 3) {
      os << (last ? "..., " : "...,\n" + std::string(static_cast<size_t>(indent + 1), ' '));
      int64_t skip = n - 6;
      int64_t inner = 1;
      for (size_t d = dim + 1; d < t.shape().size(); ++d) inner *= t.shape()[d];
      flat += skip * inner;
      i += skip - 1;
      continue;
    }
    if (last) {
      double v = vals[static_cast<size_t>(flat++)];
      if (t.dtype() == kBool) {
        os << (v != 0 ? "true" : "false");
      } else if (t.dtype() == kInt64) {
        os << static_cast<int64_t>(v);
      } else {
        os << std::setprecision(6) << v;
      }
    } else {
      print_values(os, t, vals, dim + 1, flat, indent + 1);
    }
    if (i + 1 < n) os << (last ? ", " : ",\n" + std::string(static_cast<size_t>(indent + 1), ' '));
  }
  os << ']';
}

}  // namespace

std::string Tensor::to_string() const {
  std::ostringstream os;
  if (!defined()) return "Tensor(undefined)";
  os << "Tensor(";
  std::vector<double> vals = to_vector<double>();
  if (dim() == 0) {
    os << vals[0];
  } else if (numel() == 0) {
    os << "[]";
  } else {
    int64_t flat = 0;
    print_values(os, *this, vals, 0, flat, 7);
  }
  os << ", shape=" << shape() << ", dtype=" << dtype();
  if (requires_grad()) os << ", requires_grad=true";
  os << ')';
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.to_string(); }

// ---- autograd accessors ----

bool Tensor::requires_grad() const { return impl_->autograd && impl_->autograd->requires_grad; }

Tensor& Tensor::requires_grad_(bool on) {
  STRATA_CHECK(is_leaf() || on, "[requires_grad_] can only change requires_grad of leaf tensors; use detach()");
  if (on) {
    STRATA_CHECK(is_floating(dtype()), "[requires_grad_] only floating-point tensors can require grad, got ", dtype());
  }
  if (on || impl_->autograd) impl_->meta().requires_grad = on;
  return *this;
}

bool Tensor::is_leaf() const { return !impl_->autograd || !impl_->autograd->grad_fn; }

Tensor Tensor::grad() const { return impl_->grad ? *impl_->grad : Tensor(); }

void Tensor::set_grad(const Tensor& g) const {
  if (!g.defined()) {
    impl_->grad.reset();
    return;
  }
  STRATA_CHECK(g.shape() == shape(), "[set_grad] gradient shape ", g.shape(), " does not match tensor shape ", shape());
  STRATA_CHECK(g.dtype() == dtype(), "[set_grad] gradient dtype ", g.dtype(), " does not match tensor dtype ", dtype());
  impl_->grad = std::make_shared<Tensor>(g);
}

void Tensor::zero_grad(bool set_to_none) const {
  if (!impl_->grad) return;
  if (set_to_none) {
    impl_->grad.reset();
  } else {
    impl_->grad->zero_();
  }
}

const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<autograd::Node> none;
  return impl_->autograd ? impl_->autograd->grad_fn : none;
}

uint32_t Tensor::output_nr() const { return impl_->autograd ? impl_->autograd->output_nr : 0; }

Tensor Tensor::detach() const {
  return make_view(impl_->storage, impl_->shape, impl_->strides, impl_->offset, impl_->dtype);
}

}  // namespace strata
