#pragma once
// Tensor: a cheap, shared handle to a TensorImpl (shape, strides in elements, offset, dtype, device,
// shared storage, and the autograd metadata). Copying a Tensor copies the handle, not the data.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "strata/core/device.h"
#include "strata/core/dtype.h"
#include "strata/core/shape.h"
#include "strata/core/storage.h"

namespace strata {

namespace autograd {
class Node;
}
class Tensor;
using TensorList = std::vector<Tensor>;
using Dims = std::vector<int64_t>;
// A gradient hook: sees the gradient as it is computed; returning a defined tensor replaces it.
using GradHook = std::function<Tensor(const Tensor& grad)>;

struct TensorOptions {
  DType dtype = kFloat32;
  Device device = kCPU;
  bool requires_grad = false;

  TensorOptions() = default;
  TensorOptions(DType d) : dtype(d) {}  // NOLINT(google-explicit-constructor)
  TensorOptions& with_dtype(DType d) {
    dtype = d;
    return *this;
  }
  TensorOptions& with_device(Device d) {
    device = d;
    return *this;
  }
  TensorOptions& with_requires_grad(bool r = true) {
    requires_grad = r;
    return *this;
  }
};

// Autograd state of a tensor; allocated only for tensors that take part in autograd.
struct AutogradMeta {
  bool requires_grad = false;
  bool retains_grad = false;
  std::shared_ptr<autograd::Node> grad_fn;           // set on results of recorded ops
  uint32_t output_nr = 0;                            // which output of grad_fn this is
  std::shared_ptr<autograd::Node> grad_accumulator;  // leaves: where .grad accumulates
};

struct TensorImpl {
  Storage storage;
  Shape shape;
  Strides strides;
  int64_t offset = 0;  // in elements
  DType dtype = kFloat32;
  std::shared_ptr<Tensor> grad;  // accumulated gradient (leaves, or non-leaves with retain_grad)
  std::unique_ptr<AutogradMeta> autograd;
  std::vector<GradHook> leaf_hooks;  // hooks on a leaf, run before accumulation

  AutogradMeta& meta();
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Allocates an uninitialised contiguous tensor.
  static Tensor empty(const Shape& shape, DType dtype = kFloat32, Device device = kCPU);
  // A view of existing storage with the given layout.
  static Tensor make_view(const Storage& storage, const Shape& shape, const Strides& strides, int64_t offset,
                          DType dtype);

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

  // ---- metadata ----
  const Shape& shape() const { return impl_->shape; }
  const Shape& sizes() const { return impl_->shape; }
  const Strides& strides() const { return impl_->strides; }
  int64_t dim() const { return static_cast<int64_t>(impl_->shape.size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t stride(int64_t d) const;
  int64_t offset() const { return impl_->offset; }
  int64_t numel() const { return impl_->shape.numel(); }
  DType dtype() const { return impl_->dtype; }
  Device device() const { return impl_->storage->device(); }
  size_t itemsize() const { return strata::itemsize(impl_->dtype); }
  bool is_contiguous() const;
  const Storage& storage() const { return impl_->storage; }
  // Pointer to the first element (storage base + offset).
  void* raw_data() const;
  // Typed pointer to the first element; throws if T does not match the dtype.
  template <class T>
  T* data_ptr() const {
    STRATA_CHECK(dtype_of<T>() == dtype(), "[data_ptr] tensor has dtype ", dtype(), ", requested ",
                 dtype_name(dtype_of<T>()));
    return static_cast<T*>(raw_data());
  }
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }

  // ---- element access ----
  // The single value of a one-element tensor, converted to double.
  double item() const;
  template <class T>
  T item() const;
  // Element at a full index (negative indices count from the end), converted to double.
  double at(std::initializer_list<int64_t> index) const;
  // All elements in row-major order, converted to T.
  template <class T>
  std::vector<T> to_vector() const;
  std::string to_string() const;

  // ---- autograd ----
  bool requires_grad() const;
  // Marks a leaf as needing .grad; an error on non-leaf tensors when turning it off.
  Tensor& requires_grad_(bool on = true);
  bool is_leaf() const;
  // Accumulated gradient (undefined until a backward reaches this tensor).
  Tensor grad() const;
  void set_grad(const Tensor& g) const;
  // Sets .grad to undefined (set_to_none, as PyTorch's default) or to zeros.
  void zero_grad(bool set_to_none = true) const;
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  uint32_t output_nr() const;
  // Also keep .grad on this non-leaf tensor after backward.
  void retain_grad() const;
  // Reverse-mode differentiation from this tensor. A scalar may omit `gradient`.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;
  // Registers a hook that sees this tensor's gradient during backward.
  void register_hook(GradHook hook) const;
  // Same data, no history, requires_grad false.
  Tensor detach() const;
  uint64_t version() const { return impl_->storage->version(); }
  void bump_version() const { impl_->storage->bump_version(); }

  // ---- view and copy methods (see strata/ops/views.h) ----
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor permute(const Dims& dims) const;
  Tensor t() const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor expand(const Shape& shape) const;
  Tensor expand_as(const Tensor& other) const;
  TensorList chunk(int64_t chunks, int64_t dim = 0) const;
  TensorList split(int64_t split_size, int64_t dim = 0) const;
  Tensor contiguous() const;
  Tensor clone() const;
  Tensor to(DType dtype) const;
  // A copy on device d (the tensor itself when it is there already), recorded by autograd: the gradient moves
  // back. Works between any two devices of this build ("cpu", "ref", "cuda:N").
  Tensor to(Device d) const;

  // ---- math methods (see strata/ops/*.h) ----
  Tensor sum() const;
  Tensor sum(const Dims& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const Dims& dims, bool keepdim = false) const;
  Tensor var(const Dims& dims = {}, int64_t correction = 1, bool keepdim = false) const;
  Tensor std(const Dims& dims = {}, int64_t correction = 1, bool keepdim = false) const;
  Tensor max() const;
  Tensor min() const;
  Tensor argmax() const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor logsumexp(const Dims& dims, bool keepdim = false) const;
  Tensor norm(double p = 2.0) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor neg() const;
  Tensor pow(double exponent) const;
  Tensor relu() const;
  Tensor sigmoid() const;
  Tensor tanh() const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;
  Tensor matmul(const Tensor& other) const;
  Tensor masked_fill(const Tensor& mask, double value) const;
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor gather(int64_t dim, const Tensor& index) const;

  // ---- in-place (no autograd history; an error on tensors that need grad while grad mode is on) ----
  Tensor& add_(const Tensor& other, double alpha = 1.0);
  Tensor& add_(double value);
  Tensor& sub_(const Tensor& other);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(double value);
  Tensor& div_(const Tensor& other);
  Tensor& div_(double value);
  Tensor& fill_(double value);
  Tensor& zero_();
  Tensor& copy_(const Tensor& src);
  Tensor& clamp_(std::optional<double> min, std::optional<double> max);
  Tensor& masked_fill_(const Tensor& mask, double value);

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace strata
