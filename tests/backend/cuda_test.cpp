// The CUDA backend. Without a usable GPU (no driver, no device, or a build without CUDA) every test here but the
// first skips; on a GPU machine they check the device memory, the host-device copies and the copy family.
#include <gtest/gtest.h>

#include "backend_check.h"

namespace strata {
namespace {

const Device kCuda("cuda");

// Empty when CUDA memory can be allocated here, else the error that says why not.
std::string cuda_unusable() {
  try {
    empty({1}, TensorOptions().with_device(kCuda));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

#define STRATA_REQUIRE_CUDA()                                                       \
  do {                                                                              \
    if (const std::string why = cuda_unusable(); !why.empty()) GTEST_SKIP() << why; \
  } while (0)

TEST(Cuda, WithoutAGpuTheErrorSaysWhy) {
  const std::string why = cuda_unusable();
  if (why.empty()) GTEST_SKIP() << "a CUDA device is available";
  const bool built = backend::has_backend(DeviceType::CUDA);
  EXPECT_NE(why.find(built ? "[cuda] no CUDA device is available" : "this build has no CUDA backend"),
            std::string::npos)
      << why;
}

TEST(Cuda, CopiesRoundTrip) {
  STRATA_REQUIRE_CUDA();
  Tensor x = arange(24.0, TensorOptions(kFloat64)).reshape({2, 3, 4});
  Tensor g = x.to(kCuda);
  EXPECT_EQ(g.device(), kCuda);
  EXPECT_EQ(g.to(kCPU).to_vector<double>(), x.to_vector<double>());
  EXPECT_EQ(x.transpose(0, 2).to(kCuda).to(kCPU).to_vector<double>(),
            x.transpose(0, 2).contiguous().to_vector<double>());
  for (DType t : {kFloat32, kFloat16, kBFloat16, kInt64, kBool}) {
    EXPECT_EQ(g.to(t).to(kCPU).to_vector<double>(), x.to(t).to_vector<double>()) << t;
  }
  Tensor z = zeros({5, 7}, TensorOptions(kFloat32).with_device(kCuda));
  z.fill_(1.5);
  EXPECT_EQ(z.to(kCPU).to_vector<float>(), std::vector<float>(35, 1.5f));
  EXPECT_DOUBLE_EQ(g.at({1, 2, 3}), 23.0);
}

TEST(Cuda, GradientsMoveBackAndAccumulate) {
  STRATA_REQUIRE_CUDA();
  Tensor x = arange(6.0, TensorOptions(kFloat64)).requires_grad_(true);
  Tensor g = x.to(kCuda);
  (g.to(kCPU) * 2.0).sum().backward();
  (g.to(kCPU) * 3.0).sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), std::vector<double>(6, 5.0));
}

TEST(Cuda, ModuleMovesToTheDevice) {
  STRATA_REQUIRE_CUDA();
  manual_seed(0);
  nn::Linear lin(4, 3);
  const std::vector<float> w = lin.param("weight").to_vector<float>();
  lin.to(kCuda);
  EXPECT_EQ(lin.param("weight").device(), kCuda);
  EXPECT_GT(allocator_stats(kCuda).allocated_bytes, 0);
  lin.to(kCPU);
  EXPECT_EQ(lin.param("weight").to_vector<float>(), w);
}

TEST(Cuda, ElementwiseMatchesCpu) {
  STRATA_REQUIRE_CUDA();
  Generator g(4);
  const Tensor a = randn({3, 5}, TensorOptions(kFloat64), &g), b = randn({5}, TensorOptions(kFloat64), &g);
  const Tensor pos = rand({3, 5}, TensorOptions(kFloat64), &g) + 0.5;
  testing::BackendCheck no_grads;
  no_grads.grads = false;  // the backward rules need reductions, which the CUDA backend does not have yet
  auto agree = [&](const std::string& name, const std::function<Tensor(const TensorList&)>& fn, TensorList in) {
    testing::expect_backends_agree(name, fn, in, kCuda, {backend::Family::Elementwise}, no_grads);
  };
  agree("exp", [](const TensorList& x) { return exp(x[0]); }, {a});
  agree("log", [](const TensorList& x) { return log(x[0]); }, {pos});
  agree("gelu", [](const TensorList& x) { return gelu(x[0]); }, {a});
  agree("add broadcast", [](const TensorList& x) { return x[0] + x[1]; }, {a, b});
  agree("mul transposed", [](const TensorList& x) { return x[0].t() * x[0].t(); }, {a});
  agree("maximum", [](const TensorList& x) { return maximum(x[0], x[1]); }, {a, b});
  agree("gt", [](const TensorList& x) { return gt(x[0], x[1]); }, {a, b});
  agree("where", [](const TensorList& x) { return where(gt(x[0], 0.0), x[0], x[1]); }, {a, b});
  agree("float32 sigmoid", [](const TensorList& x) { return sigmoid(x[0].to(kFloat32)); }, {a});
  agree("bfloat16 add", [](const TensorList& x) { return x[0].to(kBFloat16) + x[1].to(kBFloat16); }, {a, b});
}

}  // namespace
}  // namespace strata
