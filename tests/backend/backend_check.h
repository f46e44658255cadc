#pragma once
// Runs a function of tensors on the cpu backend and on another backend, and compares what they give: the
// outputs, and the inputs' gradients of sum(out * w) for a fixed random w. The other backend's family call
// counters must move (the op really ran there) and its outputs must live on its device.
#include <functional>
#include <initializer_list>
#include <string>

#include "backend/backend.h"
#include "strata/strata.h"

namespace strata::testing {

struct BackendCheck {
  double atol = 1e-9;  // float64 tolerances: the reference kernels sum in another order
  double rtol = 1e-7;
  bool grads = true;  // compare the inputs' gradients too (float inputs that require grad)
};

// Outputs only, to tol absolute and relative (float32 cases: their gradients are covered in float64).
inline BackendCheck outputs_within(double tol) { return {tol, tol, false}; }

// Detached copies of xs on device d, with each one's requires_grad.
TensorList inputs_on(const TensorList& xs, Device d);

// Runs fn(cpu_inputs) and fn(inputs_on(cpu_inputs, d)) (under backend::CpuOperandsFollowGuard, so CPU constants
// captured by fn follow) and records gtest failures where they differ. `families`: the kernel families that must
// have served at least one call on d's backend during the second run.
void expect_backends_agree(const std::string& name, const std::function<Tensor(const TensorList&)>& fn,
                           const TensorList& cpu_inputs, Device d, std::initializer_list<backend::Family> families,
                           const BackendCheck& opts = {});

// Failures where a and b (any devices) differ in shape, dtype or value beyond atol + rtol * |b|.
void expect_close_across(const std::string& what, const Tensor& a, const Tensor& b, double atol, double rtol);

}  // namespace strata::testing
