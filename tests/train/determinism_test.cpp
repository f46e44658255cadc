// Deterministic mode (strata::set_deterministic): a small CNN trained for a few steps on 1 and on 2 threads ends
// with bit-identical weights. Without the mode its linear layers' OpenBLAS GEMMs round differently per thread
// count, and before the fixed-chunk weight gradient the convolutions did too.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "strata/core/threading.h"
#include "test_util.h"
#include "train_test_util.h"

namespace strata {
namespace {

// Every weight after `steps` Adam steps of a conv net on fixed random data, trained on `threads` threads.
std::vector<std::pair<std::string, std::vector<float>>> train_cnn(int threads, int steps) {
  const testing::ThreadCount scope(threads);
  manual_seed(5);
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(1, 8, 3, 1, 1), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Conv2d>(8, 16, 3), std::make_shared<nn::ReLU>(), std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(256, 128), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(128, 10)});
  Generator gen(9);
  const Tensor x = randn({32, 1, 12, 12}, {}, &gen);
  const Tensor y = randint(0, 10, {32}, TensorOptions(kInt64), &gen);
  optim::Adam opt(model->parameters(), {.lr = 1e-2});
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    cross_entropy((*model)(x), y).backward();
    opt.step();
  }
  std::vector<std::pair<std::string, std::vector<float>>> w;
  for (const auto& [name, t] : model->state_dict()) w.emplace_back(name, t.to_vector<float>());
  return w;
}

TEST(Deterministic, OneAndTwoThreadsGiveIdenticalWeights) {
  const DeterministicGuard on(true);
  const auto one = train_cnn(1, 4), two = train_cnn(2, 4);
  ASSERT_EQ(one.size(), two.size());
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].first, two[i].first);
    EXPECT_EQ(one[i].second, two[i].second) << one[i].first << " differs between 1 and 2 threads";
  }
  // It trained: the weights moved away from their initial values.
  const auto init = train_cnn(1, 0);
  EXPECT_NE(init[0].second, one[0].second);
}

TEST(Deterministic, GuardRestoresTheSetting) {
  EXPECT_FALSE(is_deterministic());
  {
    const DeterministicGuard on(true);
    EXPECT_TRUE(is_deterministic());
  }
  EXPECT_FALSE(is_deterministic());
}

}  // namespace
}  // namespace strata
