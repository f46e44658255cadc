#include "backend_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace strata::testing {

TensorList inputs_on(const TensorList& xs, Device d) {
  TensorList out;
  for (const Tensor& x : xs) {
    if (!x.defined()) {
      out.emplace_back();
      continue;
    }
    Tensor y = x.detach().to(d);
    if (x.requires_grad()) y.requires_grad_(true);
    out.push_back(y);
  }
  return out;
}

void expect_close_across(const std::string& what, const Tensor& a, const Tensor& b, double atol, double rtol) {
  ASSERT_EQ(a.defined(), b.defined()) << what << ": one side is undefined";
  if (!a.defined()) return;
  ASSERT_EQ(a.shape(), b.shape()) << what;
  ASSERT_EQ(a.dtype(), b.dtype()) << what;
  const std::vector<double> va = a.to(kCPU).to_vector<double>(), vb = b.to(kCPU).to_vector<double>();
  int bad = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    const bool both_nan = std::isnan(va[i]) && std::isnan(vb[i]);
    const bool same_inf = std::isinf(va[i]) && va[i] == vb[i];
    if (both_nan || same_inf) continue;
    if (!(std::abs(va[i] - vb[i]) <= atol + rtol * std::abs(vb[i]))) {
      if (++bad <= 3) ADD_FAILURE() << what << ": element " << i << " is " << va[i] << ", expected " << vb[i];
    }
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << va.size() << " elements differ";
}

void expect_backends_agree(const std::string& name, const std::function<Tensor(const TensorList&)>& fn,
                           const TensorList& cpu_inputs, Device d, std::initializer_list<backend::Family> families,
                           const BackendCheck& opts) {
  SCOPED_TRACE(name + " on " + d.str());
  // Fresh leaves on both sides: a caller's inputs may be shared by several checks, and gradients accumulate.
  const TensorList host_inputs = inputs_on(cpu_inputs, kCPU);
  Tensor want = fn(host_inputs);
  TensorList dev_inputs = inputs_on(cpu_inputs, d);
  std::vector<int64_t> before;
  for (backend::Family f : families) before.push_back(backend::call_count(d.type, f));
  Tensor got;
  {
    backend::CpuOperandsFollowGuard follow;
    got = fn(dev_inputs);
  }
  ASSERT_TRUE(got.defined());
  EXPECT_EQ(got.device(), d) << "the result lives on " << got.device();
  size_t i = 0;
  for (backend::Family f : families) {
    EXPECT_GT(backend::call_count(d.type, f), before[i++])
        << "no " << backend::family_name(f) << " kernel ran on " << d.str();
  }
  expect_close_across(name + " output", got, want, opts.atol, opts.rtol);
  if (!opts.grads || !want.requires_grad() || !is_floating(want.dtype())) return;
  Generator gen(99);
  Tensor w = randn(want.shape(), TensorOptions(want.dtype()), &gen);
  (want * w).sum().backward();
  {
    backend::CpuOperandsFollowGuard follow;
    (got * w.to(d)).sum().backward();
  }
  for (size_t k = 0; k < host_inputs.size(); ++k) {
    if (!host_inputs[k].defined() || !host_inputs[k].requires_grad()) continue;
    const Tensor& gw = host_inputs[k].grad();
    const Tensor& gg = dev_inputs[k].grad();
    if (gg.defined()) {
      EXPECT_EQ(gg.device(), d) << "gradient of input " << k << " lives on " << gg.device();
    }
    expect_close_across(name + " grad of input " + std::to_string(k), gg, gw, opts.atol, opts.rtol);
  }
}

}  // namespace strata::testing
