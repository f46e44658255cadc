// The ref backend's indexing kernels: the naive single-threaded *_reference loops of kernels/cpu/index.h, and
// one element at a time through a full multi-index for the rest.
#include "backend/index.h"

#include "backend/ref/families.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/index.h"

namespace strata::backend::ref {

namespace {
namespace kc = kernels::cpu;

int64_t stride_1d(const Tensor& index) { return index.dim() == 1 ? index.strides()[0] : 1; }

template <class Fn>
void dispatch_accumulate(DType t, const char* op, Fn&& fn) {
  switch (t) {
    case DType::Float32: return fn(TypeTag<float>{});
    case DType::Float64: return fn(TypeTag<double>{});
    case DType::Int64: return fn(TypeTag<int64_t>{});
    default: STRATA_FAIL("[", op, "] no ref kernel for dtype ", t);
  }
}

bool find_out_of_range(const Tensor& index, int64_t size, int64_t* bad) {
  const int64_t* p = index.data_ptr<int64_t>();
  const Shape& shape = index.shape();
  const Strides& st = index.strides();
  Shape idx(shape.size());
  for (int64_t i = 0; i < shape.numel(); ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < shape.size(); ++d) off += idx[d] * st[d];
    if (p[off] < 0 || p[off] >= size) {
      *bad = p[off];
      return true;
    }
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return false;
}

void index_select(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index) {
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::index_select_reference(out.data_ptr<T>(), out.strides(), x.data_ptr<T>(), x.shape(), x.strides(), dim,
                               index.data_ptr<int64_t>(), stride_1d(index), index.numel());
  });
}

void index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  dispatch_accumulate(out.dtype(), "index_add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::index_add_reference(out.data_ptr<T>(), out.shape(), out.strides(), dim, index.data_ptr<int64_t>(),
                            stride_1d(index), index.numel(), src.data_ptr<T>(), src.strides());
  });
}

void gather(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index) {
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::gather_reference(out.data_ptr<T>(), out.strides(), x.data_ptr<T>(), x.strides(), index.shape(),
                         index.data_ptr<int64_t>(), index.strides(), dim);
  });
}

void scatter_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  dispatch_accumulate(out.dtype(), "scatter_add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::scatter_add_reference(out.data_ptr<T>(), out.strides(), index.shape(), index.data_ptr<int64_t>(),
                              index.strides(), src.data_ptr<T>(), src.strides(), dim);
  });
}

void masked_fill(const Tensor& out, const Tensor& x, const Tensor& mask, double value) {
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = kc::convert<T>(value);
    kc::binary_reference(out.shape(), out.data_ptr<T>(), out.strides(), x.data_ptr<T>(), x.strides(),
                         mask.data_ptr<bool>(), mask.strides(), [v](T a, bool m) { return m ? v : a; });
  });
}

const IndexKernels kIndex{find_out_of_range, index_select, index_add, gather, scatter_add, masked_fill};
}  // namespace

const IndexKernels* index_kernels() { return &kIndex; }

}  // namespace strata::backend::ref
