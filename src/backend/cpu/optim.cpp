// The cpu backend's optimizer updates: the fused one-pass kernels of kernels/cpu/optim.h.
#include "backend/optim.h"

#include "backend/cpu/families.h"

namespace strata::backend::cpu {

namespace {
namespace kc = kernels::cpu;

template <class T>
T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

void sgd_step(const Tensor& p, const Tensor& g, const Tensor& buf, const SgdArgs& a) {
  dispatch_float(p.dtype(), "SGD", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::sgd_step<T>(p.data_ptr<T>(), g.data_ptr<T>(), ptr_or_null<T>(buf), p.numel(), a);
  });
}

void adam_step(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const Tensor& vmax,
               const AdamArgs& a) {
  dispatch_float(p.dtype(), "Adam", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::adam_step<T>(p.data_ptr<T>(), g.data_ptr<T>(), m.data_ptr<T>(), v.data_ptr<T>(), ptr_or_null<T>(vmax),
                     p.numel(), a);
  });
}

void rmsprop_step(const Tensor& p, const Tensor& g, const Tensor& sq, const Tensor& gavg, const Tensor& buf,
                  const RmspropArgs& a) {
  dispatch_float(p.dtype(), "RMSprop", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::rmsprop_step<T>(p.data_ptr<T>(), g.data_ptr<T>(), sq.data_ptr<T>(), ptr_or_null<T>(gavg), ptr_or_null<T>(buf),
                        p.numel(), a);
  });
}

const OptimKernels kOptim{sgd_step, adam_step, rmsprop_step};
}  // namespace

const OptimKernels* optim_kernels() { return &kOptim; }

}  // namespace strata::backend::cpu
