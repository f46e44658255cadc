// The ref backend's reductions: kernels::cpu::reduce_reference (every element in row-major order, combined
// sequentially into its output), arg_reduce_reference over a contiguous copy, and the naive elementwise loops for
// the backward rules. No threads, no cascades, no vector paths.
#include "backend/reduction.h"

#include "backend/copy.h"
#include "backend/reduce_impl.h"
#include "backend/ref/families.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/reduce.h"

namespace strata::backend::ref {

namespace {
namespace kc = kernels::cpu;
namespace ri = reduce_impl;

struct Driver {
  template <class O, class T, class P, class Acc, class Map, class Combine, class Finish>
  static void reduce(const Tensor& out, const Tensor& x, const Tensor& aux, const std::vector<bool>& red, Acc id,
                     Map map, Combine combine, Finish finish) {
    Strides os = contiguous_strides(ri::keep_shape(x, red));
    for (size_t d = 0; d < red.size(); ++d) {
      if (red[d]) os[d] = 0;
    }
    kc::reduce_reference(x.shape(), x.strides(), os, out.numel(), x.data_ptr<T>(), out.data_ptr<O>(),
                         aux.defined() ? aux.data_ptr<P>() : nullptr, id, map, combine, finish);
  }
  template <class O, class A, class B, class F>
  static void map2(const Tensor& out, const Tensor& a, const Tensor& b, F f) {
    kc::binary_reference(out.shape(), out.data_ptr<O>(), out.strides(), a.data_ptr<A>(),
                         ri::bcast_strides(a, out.shape()), b.data_ptr<B>(), ri::bcast_strides(b, out.shape()), f);
  }
  template <class O, class A, class B, class C, class F>
  static void map3(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, F f) {
    const Shape& s = out.shape();
    kc::ternary_reference(s, out.data_ptr<O>(), out.strides(), a.data_ptr<A>(), ri::bcast_strides(a, s),
                          b.data_ptr<B>(), ri::bcast_strides(b, s), c.data_ptr<C>(), ri::bcast_strides(c, s), f);
  }
};

void reduce(ReduceOp op, const ReduceParams& prm, const Tensor& out, const Tensor& x, const Tensor& aux,
            const std::vector<bool>& reduced) {
  ri::forward<Driver>(op, prm, out, x, aux, reduced);
}

void reduce_backward(ReduceOp op, const ReduceParams& prm, const Tensor& gx, const Tensor& g, const Tensor& x,
                     const Tensor& out, const Tensor& aux, const std::vector<bool>& reduced) {
  ri::backward<Driver>(op, prm, gx, g, x, out, aux, reduced);
}

// x as a contiguous (outer, n, inner) block around dim; vals and idx are written as contiguous (outer, inner).
void arg_reduce(const Tensor& vals, const Tensor& idx, const Tensor& x, int64_t dim, bool is_max) {
  Tensor xc = x;
  if (!x.is_contiguous()) {
    xc = Tensor::empty(x.shape(), x.dtype(), x.device());
    copy_kernels()->convert(xc, x);
  }
  int64_t outer = 1, n = 1, inner = 1;
  for (int64_t i = 0; i < x.dim(); ++i) {
    const int64_t s = x.shape()[static_cast<size_t>(i)];
    if (i < dim) outer *= s;
    if (i == dim) n = s;
    if (i > dim) inner *= s;
  }
  Tensor v = vals.defined() ? vals : Tensor::empty(idx.shape(), x.dtype(), x.device());
  ri::dispatch_extreme(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (is_max) {
      kc::arg_reduce_reference(xc.data_ptr<T>(), outer, n, inner, v.data_ptr<T>(), idx.data_ptr<int64_t>(),
                               kc::GreaterOrNaN{});
    } else {
      kc::arg_reduce_reference(xc.data_ptr<T>(), outer, n, inner, v.data_ptr<T>(), idx.data_ptr<int64_t>(),
                               kc::LessOrNaN{});
    }
  });
}

void arg_reduce_backward(const Tensor& gx, const Tensor& g, const Tensor& idx, int64_t dim) {
  ri::arg_backward<Driver>(gx, g, idx, dim);
}

const ReductionKernels kReduction{reduce, reduce_backward, arg_reduce, arg_reduce_backward};
}  // namespace

const ReductionKernels* reduction_kernels() { return &kReduction; }

}  // namespace strata::backend::ref
