// The cpu backend's indexing kernels: the threaded loops of kernels/cpu/index.h and the coalesced elementwise
// loop for masked_fill.
#include "backend/index.h"

#include "backend/cpu/families.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/index.h"

namespace strata::backend::cpu {

namespace {
namespace kc = kernels::cpu;

int64_t stride_1d(const Tensor& index) { return index.dim() == 1 ? index.strides()[0] : 1; }

// The accumulating kernels' dtypes (the op rejects bool and casts 16-bit to float32).
template <class Fn>
void dispatch_accumulate(DType t, const char* op, Fn&& fn) {
  switch (t) {
    case DType::Float32: return fn(TypeTag<float>{});
    case DType::Float64: return fn(TypeTag<double>{});
    case DType::Int64: return fn(TypeTag<int64_t>{});
    default: STRATA_FAIL("[", op, "] no cpu kernel for dtype ", t);
  }
}

bool find_out_of_range(const Tensor& index, int64_t size, int64_t* bad) {
  return kc::find_out_of_range(index.data_ptr<int64_t>(), index.shape(), index.strides(), size, bad);
}

void index_select(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index) {
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::index_select(out.data_ptr<T>(), out.strides(), x.data_ptr<T>(), x.shape(), x.strides(), dim,
                     index.data_ptr<int64_t>(), stride_1d(index), index.numel());
  });
}

void index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  dispatch_accumulate(out.dtype(), "index_add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::index_add(out.data_ptr<T>(), out.shape(), out.strides(), dim, index.data_ptr<int64_t>(), stride_1d(index),
                  index.numel(), src.data_ptr<T>(), src.strides());
  });
}

void gather(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index) {
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::gather(out.data_ptr<T>(), out.strides(), x.data_ptr<T>(), x.strides(), index.shape(), index.data_ptr<int64_t>(),
               index.strides(), dim);
  });
}

void scatter_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  dispatch_accumulate(out.dtype(), "scatter_add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::scatter_add(out.data_ptr<T>(), out.strides(), index.shape(), index.data_ptr<int64_t>(), index.strides(),
                    src.data_ptr<T>(), src.strides(), dim);
  });
}

void masked_fill(const Tensor& out, const Tensor& x, const Tensor& mask, double value) {
  Strides so = out.strides(), sx = x.strides(), sm = mask.strides();
  auto plan = kc::make_plan<3>(out.shape(), {&so, &sx, &sm});
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = kc::convert<T>(value);
    kc::binary(plan, out.data_ptr<T>(), x.data_ptr<T>(), mask.data_ptr<bool>(), [v](T a, bool m) { return m ? v : a; });
  });
}

const IndexKernels kIndex{find_out_of_range, index_select, index_add, gather, scatter_add, masked_fill};
}  // namespace

const IndexKernels* index_kernels() { return &kIndex; }

}  // namespace strata::backend::cpu
