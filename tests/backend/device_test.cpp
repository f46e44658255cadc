// The device layer under every backend: Device("ref"), per-device allocators, Tensor::to(Device) with autograd,
// Module::to, the copy family on ref, and the errors for devices that are not there or do not match.
#include <gtest/gtest.h>

#include <functional>

#include "backend/copy.h"
#include "backend_check.h"

namespace strata {
namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(DeviceLayer, ParsesRef) {
  EXPECT_EQ(Device("ref"), kRef);
  EXPECT_EQ(kRef.str(), "ref");
  EXPECT_TRUE(kRef.is_host());
  EXPECT_FALSE(kRef.is_cpu());
  EXPECT_FALSE(Device("cuda:1").is_host());
  EXPECT_THROW(Device("ref:1"), Error);
}

TEST(DeviceLayer, RefHasItsOwnAllocator) {
  const int64_t cpu_before = allocator_stats(kCPU).allocated_bytes;
  const int64_t ref_before = allocator_stats(kRef).allocated_bytes;
  {
    Tensor t = empty({1000}, TensorOptions(kFloat64).with_device(kRef));
    EXPECT_EQ(t.device(), kRef);
    EXPECT_GE(allocator_stats(kRef).allocated_bytes - ref_before, 8000);
    EXPECT_EQ(allocator_stats(kCPU).allocated_bytes, cpu_before);
  }
  EXPECT_EQ(allocator_stats(kRef).allocated_bytes, ref_before);
}

TEST(DeviceLayer, ToMovesDataBothWays) {
  Tensor x = arange(12.0, TensorOptions(kFloat64)).reshape({3, 4});
  Tensor r = x.to(kRef);
  EXPECT_EQ(r.device(), kRef);
  EXPECT_FALSE(r.storage() == x.storage());
  EXPECT_TRUE(x.to(kCPU).is_same(x));  // already there
  EXPECT_EQ(r.to(kCPU).to_vector<double>(), x.to_vector<double>());
  // A strided view moves as its logical elements.
  Tensor t = x.t().to(kRef);
  EXPECT_EQ(t.shape(), Shape({4, 3}));
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.to(kCPU).to_vector<double>(), x.t().contiguous().to_vector<double>());
  EXPECT_DOUBLE_EQ(r.at({2, 3}), 11.0);
}

TEST(DeviceLayer, ToIsRecordedByAutograd) {
  Tensor x = arange(4.0, TensorOptions(kFloat64)).requires_grad_(true);
  Tensor r = x.to(kRef);
  EXPECT_TRUE(r.requires_grad());
  Tensor back = r.to(kCPU);
  (back * back).sum().backward();
  EXPECT_EQ(x.grad().device(), kCPU);
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 2, 4, 6}));
}

TEST(DeviceLayer, CopyFamilyRunsOnRef) {
  const auto before = backend::call_count(DeviceType::Ref, backend::Family::Copy);
  Tensor z = zeros({2, 3}, TensorOptions(kFloat32).with_device(kRef));
  Tensor f = full({2, 3}, 2.5, TensorOptions(kFloat64).with_device(kRef));
  Tensor c = f.to(kFloat32);  // a cast on ref
  Tensor v = f.t().contiguous();
  EXPECT_EQ(z.device(), kRef);
  EXPECT_EQ(c.device(), kRef);
  EXPECT_EQ(v.device(), kRef);
  EXPECT_GE(backend::call_count(DeviceType::Ref, backend::Family::Copy), before + 4);
  EXPECT_EQ(z.to(kCPU).to_vector<float>(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(c.to(kCPU).to_vector<float>(), std::vector<float>(6, 2.5f));
  Tensor dst = zeros({2, 3}, TensorOptions(kFloat64).with_device(kRef));
  dst.copy_(arange(3.0, TensorOptions(kFloat64)));  // from the CPU, broadcast over rows
  EXPECT_EQ(dst.to(kCPU).to_vector<double>(), (std::vector<double>{0, 1, 2, 0, 1, 2}));
}

TEST(DeviceLayer, RandomFillsGiveTheCpuNumbers) {
  Generator g1(7), g2(7);
  Tensor a = randn({5, 7}, TensorOptions(kFloat32), &g1);
  Tensor b = randn({5, 7}, TensorOptions(kFloat32).with_device(kRef), &g2);
  EXPECT_EQ(b.device(), kRef);
  EXPECT_EQ(b.to(kCPU).to_vector<float>(), a.to_vector<float>());
  Generator g3(3), g4(3);
  Tensor c = empty({6, 4}, TensorOptions(kFloat64)).t();
  Tensor d = empty({6, 4}, TensorOptions(kFloat64).with_device(kRef)).t();
  uniform_(c, -1, 1, &g3);
  uniform_(d, -1, 1, &g4);
  EXPECT_EQ(d.to(kCPU).to_vector<double>(), c.to_vector<double>());
}

TEST(DeviceLayer, ModuleToMovesInPlace) {
  manual_seed(0);
  nn::Linear lin(3, 2);
  Tensor w = lin.param("weight");
  auto* impl = w.impl();
  lin.to(kRef);
  EXPECT_EQ(lin.param("weight").impl(), impl);  // same tensor, new storage
  EXPECT_EQ(w.device(), kRef);
  EXPECT_EQ(lin.param("bias").device(), kRef);
  lin.to(kCPU);
  EXPECT_EQ(w.device(), kCPU);
}

TEST(DeviceLayer, MixedDevicesAreAnError) {
  Tensor a = ones({2}, TensorOptions(kFloat64));
  Tensor b = ones({2}, TensorOptions(kFloat64).with_device(kRef));
  std::string m = message_of([&] { backend::common_device("add", {&a, &b}); });
  EXPECT_NE(m.find("[add] expected all tensors on one device, got cpu and ref"), std::string::npos) << m;
  // A 0-d CPU tensor goes with any device.
  Tensor s = scalar_tensor(2.0, TensorOptions(kFloat64));
  EXPECT_EQ(backend::common_device("mul", {&s, &b}), kRef);
}

TEST(DeviceLayer, MissingBackendIsAnError) {
  if (backend::has_backend(DeviceType::CUDA)) GTEST_SKIP() << "this build has CUDA";
  std::string m = message_of([] { empty({2}, TensorOptions().with_device(Device("cuda"))); });
  EXPECT_NE(m.find("no kernel for device cuda:0 (this build has no CUDA backend)"), std::string::npos) << m;
}

}  // namespace
}  // namespace strata
