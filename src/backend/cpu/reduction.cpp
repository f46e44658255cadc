// The cpu backend's reductions: kernels::cpu::reduce's two loop shapes over a ReduceLayout (cascaded sums,
// threads over outputs or segments), arg_reduce, and the coalesced elementwise loops for the backward rules.
#include "backend/reduction.h"

#include "backend/copy.h"
#include "backend/cpu/families.h"
#include "backend/reduce_impl.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/reduce.h"

namespace strata::backend::cpu {

namespace {
namespace kc = kernels::cpu;
namespace ri = reduce_impl;

struct Driver {
  // out (contiguous, x's kept dims) = the reduction of x; copies x to a dense layout first when its innermost
  // dim is not unit-stride.
  template <class O, class T, class P, class Acc, class Map, class Combine, class Finish>
  static void reduce(const Tensor& out, const Tensor& x, const Tensor& aux, const std::vector<bool>& red, Acc id,
                     Map map, Combine combine, Finish finish) {
    Strides os = contiguous_strides(ri::keep_shape(x, red));
    for (size_t d = 0; d < red.size(); ++d) {
      if (red[d]) os[d] = 0;
    }
    Tensor xin = x;
    auto L = kc::make_reduce_layout(xin.shape(), xin.strides(), os, red);
    if (!kc::reduce_layout_dense(L)) {
      xin = Tensor::empty(x.shape(), x.dtype(), x.device());
      copy_kernels()->convert(xin, x);
      L = kc::make_reduce_layout(xin.shape(), xin.strides(), os, red);
    }
    kc::reduce(L, xin.data_ptr<T>(), out.data_ptr<O>(), aux.defined() ? aux.data_ptr<P>() : nullptr, id, map, combine,
               finish);
  }
  template <class O, class A, class B, class F>
  static void map2(const Tensor& out, const Tensor& a, const Tensor& b, F f) {
    Strides so = out.strides(), sa = ri::bcast_strides(a, out.shape()), sb = ri::bcast_strides(b, out.shape());
    auto plan = kc::make_plan<3>(out.shape(), {&so, &sa, &sb});
    kc::binary(plan, out.data_ptr<O>(), a.data_ptr<A>(), b.data_ptr<B>(), f);
  }
  template <class O, class A, class B, class C, class F>
  static void map3(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, F f) {
    const Shape& shape = out.shape();
    Strides so = out.strides(), sa = ri::bcast_strides(a, shape), sb = ri::bcast_strides(b, shape),
            sc = ri::bcast_strides(c, shape);
    auto plan = kc::make_plan<4>(shape, {&so, &sa, &sb, &sc});
    kc::ternary(plan, out.data_ptr<O>(), a.data_ptr<A>(), b.data_ptr<B>(), c.data_ptr<C>(), f);
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

void arg_reduce(const Tensor& vals, const Tensor& idx, const Tensor& x, int64_t dim, bool is_max) {
  Shape sizes;
  Strides in, out;
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (i == dim) continue;
    sizes.push_back(x.shape()[static_cast<size_t>(i)]);
    in.push_back(x.strides()[static_cast<size_t>(i)]);
    out.push_back(idx.strides()[static_cast<size_t>(i)]);
  }
  const int64_t n = x.dim() == 0 ? 1 : x.shape()[static_cast<size_t>(dim)];
  const int64_t step = x.dim() == 0 ? 1 : x.strides()[static_cast<size_t>(dim)];
  ri::dispatch_extreme(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* v = vals.defined() ? vals.data_ptr<T>() : nullptr;
    if (is_max) {
      kc::arg_reduce(sizes, in, out, n, step, x.data_ptr<T>(), v, idx.data_ptr<int64_t>(), kc::GreaterOrNaN{});
    } else {
      kc::arg_reduce(sizes, in, out, n, step, x.data_ptr<T>(), v, idx.data_ptr<int64_t>(), kc::LessOrNaN{});
    }
  });
}

void arg_reduce_backward(const Tensor& gx, const Tensor& g, const Tensor& idx, int64_t dim) {
  ri::arg_backward<Driver>(gx, g, idx, dim);
}

const ReductionKernels kReduction{reduce, reduce_backward, arg_reduce, arg_reduce_backward};
}  // namespace

const ReductionKernels* reduction_kernels() { return &kReduction; }

}  // namespace strata::backend::cpu
