// The ref backend's copies, casts, fills and gradient adds: one element at a time through a full multi-index
// (kernels::cpu's *_reference loops), no coalescing, no threads, no memcpy.
#include "backend/copy.h"

#include "backend/ref/families.h"
#include "kernels/cpu/elementwise.h"

namespace strata::backend::ref {

namespace {
namespace kc = kernels::cpu;

void convert(const Tensor& dst, const Tensor& src) {
  dispatch_all(src.dtype(), [&](auto tin) {
    using S = typename decltype(tin)::type;
    dispatch_all(dst.dtype(), [&](auto tout) {
      using D = typename decltype(tout)::type;
      kc::unary_reference(dst.shape(), dst.data_ptr<D>(), dst.strides(), src.data_ptr<S>(), src.strides(),
                          [](S v) { return kc::convert<D>(v); });
    });
  });
}

void fill(const Tensor& dst, double value) {
  dispatch_all(dst.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = kc::convert<T>(value);
    T* o = dst.data_ptr<T>();
    const Shape& shape = dst.shape();
    const Strides& st = dst.strides();
    Shape idx(shape.size());
    for (int64_t i = 0; i < shape.numel(); ++i) {
      int64_t off = 0;
      for (size_t d = 0; d < shape.size(); ++d) off += idx[d] * st[d];
      o[off] = v;
      for (size_t d = shape.size(); d-- > 0;) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
  });
}

void add(const Tensor& out, const Tensor& a, const Tensor& b) {
  dispatch_float_io(out.dtype(), "add", [&](auto stag, auto ctag) {
    using S = typename decltype(stag)::type;
    using C = typename decltype(ctag)::type;
    kc::binary_reference(out.shape(), out.data_ptr<S>(), out.strides(), a.data_ptr<S>(), a.strides(), b.data_ptr<S>(),
                         b.strides(), [](S x, S y) { return S(static_cast<C>(x) + static_cast<C>(y)); });
  });
}

const CopyKernels kCopy{convert, fill, add};
}  // namespace

const CopyKernels* copy_kernels() { return &kCopy; }

}  // namespace strata::backend::ref
