// Whole models moved with Module::to(Device("ref")) train to the weights the cpu backend gives: the seam carries
// forward, backward and the optimizer step of every layer kind here, and nothing in them stays on the CPU.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "backend_check.h"

namespace strata {
namespace {

using ModelFactory = std::function<nn::ModulePtr()>;
using OptimizerFactory = std::function<std::unique_ptr<optim::Optimizer>(const TensorList&)>;
using LossFn = std::function<Tensor(nn::Module&, const Tensor& x, const Tensor& y)>;

// Trains a fresh model from `make` for `steps` steps on (x, y), on device d; returns its parameters (on d).
std::vector<std::pair<std::string, Tensor>> train_on(Device d, const ModelFactory& make, const OptimizerFactory& opt,
                                                     const LossFn& loss, const Tensor& x, const Tensor& y, int steps) {
  manual_seed(0);
  nn::ModulePtr model = make();
  model->to(d);
  auto optimizer = opt(model->parameters());
  const Tensor xd = x.to(d), yd = y.to(d);
  for (int s = 0; s < steps; ++s) {
    optimizer->zero_grad();
    Tensor l = loss(*model, xd, yd);
    EXPECT_EQ(l.device(), d);
    l.backward();
    optimizer->step();
  }
  for (const Tensor& p : model->parameters()) EXPECT_EQ(p.device(), d);
  for (const Tensor& b : model->buffers()) EXPECT_EQ(b.device(), d);
  return model->named_parameters();
}

void expect_same_training(const ModelFactory& make, const OptimizerFactory& opt, const LossFn& loss, const Tensor& x,
                          const Tensor& y, int steps, double atol, double rtol) {
  const auto cpu = train_on(kCPU, make, opt, loss, x, y, steps);
  const int64_t ref_calls_before = backend::call_count(DeviceType::Ref, backend::Family::Elementwise);
  const auto ref = train_on(kRef, make, opt, loss, x, y, steps);
  EXPECT_GT(backend::call_count(DeviceType::Ref, backend::Family::Elementwise), ref_calls_before);
  ASSERT_EQ(cpu.size(), ref.size());
  for (size_t i = 0; i < cpu.size(); ++i) {
    testing::expect_close_across(cpu[i].first, ref[i].second, cpu[i].second, atol, rtol);
  }
}

TEST(RefTraining, MlpWithRmsprop) {
  Generator g(1);
  const Tensor x = randn({32, 8}, TensorOptions(kFloat64), &g);
  const Tensor y = randint(0, 3, {32}, TensorOptions(kInt64), &g);
  expect_same_training(
      [] {
        return std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
            std::make_shared<nn::Linear>(8, 16, true, kFloat64), std::make_shared<nn::ReLU>(),
            std::make_shared<nn::Dropout>(0.0), std::make_shared<nn::Linear>(16, 3, true, kFloat64)});
      },
      [](const TensorList& p) {
        return std::make_unique<optim::RMSprop>(
            p, optim::RMSpropOptions{.lr = 1e-2, .weight_decay = 1e-3, .momentum = 0.5});
      },
      [](nn::Module& m, const Tensor& xb, const Tensor& yb) { return nn::functional::cross_entropy(m(xb), yb); }, x, y,
      10, 1e-10, 1e-8);
}

TEST(RefTraining, CnnWithBatchNormAndAdam) {
  Generator g(2);
  const Tensor x = randn({4, 1, 8, 8}, TensorOptions(kFloat64), &g);
  const Tensor y = randint(0, 5, {4}, TensorOptions(kInt64), &g);
  expect_same_training(
      [] {
        nn::UpsampleOptions up;
        up.scale_factor = std::array<double, 2>{2.0, 2.0};
        up.mode = "bilinear";
        return std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
            std::make_shared<nn::Conv2d>(1, 4, 3, 1, 1, 1, 1, true, kFloat64),
            std::make_shared<nn::BatchNorm2d>(4, 1e-5, 0.1, true, true, kFloat64), std::make_shared<nn::ReLU>(),
            std::make_shared<nn::MaxPool2d>(2), std::make_shared<nn::Upsample>(up), std::make_shared<nn::Flatten>(),
            std::make_shared<nn::Linear>(4 * 8 * 8, 5, true, kFloat64)});
      },
      [](const TensorList& p) { return std::make_unique<optim::Adam>(p, optim::AdamOptions{.lr = 1e-2}); },
      [](nn::Module& m, const Tensor& xb, const Tensor& yb) { return nn::functional::cross_entropy(m(xb), yb); }, x, y,
      8, 1e-9, 1e-7);
}

// An embedding, an LSTM and self-attention over its outputs, then a linear head; SGD with momentum. (Not an
// adaptive optimizer: the key projection's bias has a zero gradient in exact arithmetic, and RMSprop or Adam would
// turn float32 rounding noise there into full-size steps that differ between backends.)
class SeqModel : public nn::Module {
 public:
  SeqModel()
      : emb_(register_module("emb", std::make_shared<nn::Embedding>(11, 6))),
        lstm_(register_module("lstm", std::make_shared<nn::LSTM>(6, 8))),
        attn_(register_module("attn", std::make_shared<nn::MultiheadAttention>(8, 2))),
        head_(register_module("head", std::make_shared<nn::Linear>(8, 11))) {}
  std::string type_name() const override { return "SeqModel"; }
  Tensor forward(const Tensor& tokens) override {  // tokens: (T, B) int64
    Tensor h = lstm_->forward((*emb_)(tokens), Tensor(), Tensor()).output;
    Tensor a = attn_->forward(h, h, h, Tensor(), false, Tensor(), true, /*is_causal=*/true).first;
    return (*head_)(a + h);
  }

 private:
  std::shared_ptr<nn::Embedding> emb_;
  std::shared_ptr<nn::LSTM> lstm_;
  std::shared_ptr<nn::MultiheadAttention> attn_;
  std::shared_ptr<nn::Linear> head_;
};

TEST(RefTraining, LstmAttentionWithSgdMomentum) {
  Generator g(3);
  const Tensor tokens = randint(0, 11, {7, 3}, TensorOptions(kInt64), &g);
  const Tensor next = randint(0, 11, {7, 3}, TensorOptions(kInt64), &g);
  expect_same_training([] { return std::make_shared<SeqModel>(); },
                       [](const TensorList& p) {
                         return std::make_unique<optim::SGD>(p, optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
                       },
                       [](nn::Module& m, const Tensor& xb, const Tensor& yb) {
                         return nn::functional::cross_entropy(m(xb).reshape({-1, 11}), yb.reshape({-1}));
                       },
                       tokens, next, 6, 2e-5, 1e-4);
}

}  // namespace
}  // namespace strata
