// Character-level recurrent language models, one training step (our baseline recurrent workload):
// Embedding(96, 64) -> 2-layer LSTM or GRU hidden 256, seq-first (T, B) -> Linear(256, 96), T = 64, B = 32
// (2,048 tokens per step), random windows of a random token stream, zero initial state, next-token
// cross-entropy, Adam lr 2e-3. The *_bf16 / *_fp16 twins step through train::Stepper with StepOptions::precision.
#include <memory>
#include <random>
#include <vector>

#include "bench.h"
#include "strata/strata.h"

namespace {

using strata::Tensor;

constexpr int64_t kVocab = 96, kEmbed = 64, kHidden = 256, kT = 64, kB = 32, kCorpus = 200000;

template <class Layer>
void char_rnn(strata::bench::Context& ctx, strata::train::Precision precision = strata::train::Precision::FP32) {
  strata::Generator gen(0);
  auto emb = std::make_shared<strata::nn::Embedding>(kVocab, kEmbed, std::nullopt, strata::kFloat32, &gen);
  auto rnn = std::make_shared<Layer>(kEmbed, kHidden, strata::nn::RNNOptions{.num_layers = 2, .gen = &gen});
  auto head = std::make_shared<strata::nn::Linear>(kHidden, kVocab, true, strata::kFloat32, &gen);
  strata::nn::Sequential model{emb, rnn, head};
  strata::optim::Adam opt(model.parameters(), {.lr = 2e-3});
  const std::vector<int64_t> corpus =
      strata::randint(0, kVocab, {kCorpus}, strata::TensorOptions(strata::kInt64), &gen).to_vector<int64_t>();
  std::vector<int64_t> xs(kT * kB), ys(kT * kB);
  std::mt19937_64 rng(1);
  strata::train::Stepper stepper(model, opt, {.precision = precision});
  auto step = [&] {
    for (int64_t b = 0; b < kB; ++b) {
      const auto start = static_cast<int64_t>(rng() % static_cast<uint64_t>(kCorpus - kT - 1));
      for (int64_t t = 0; t < kT; ++t) {
        xs[static_cast<size_t>(t * kB + b)] = corpus[static_cast<size_t>(start + t)];
        ys[static_cast<size_t>(t * kB + b)] = corpus[static_cast<size_t>(start + t + 1)];
      }
    }
    Tensor x = strata::from_vector<int64_t>(xs, {kT, kB});
    Tensor y = strata::from_vector<int64_t>(ys, {kT * kB});
    if (precision != strata::train::Precision::FP32) {
      stepper([&] { return strata::cross_entropy(model(x).reshape({kT * kB, kVocab}), y); });
      return;
    }
    Tensor logits = model(x).reshape({kT * kB, kVocab});
    Tensor loss = strata::cross_entropy(logits, y);
    opt.zero_grad();
    loss.backward();
    opt.step();
  };
  ctx.throughput("tokens/s", static_cast<double>(kT * kB), [&](int64_t steps) {
    for (int64_t i = 0; i < steps; ++i) step();
  });
  ctx.peak_rss();
}

STRATA_BENCHMARK(char_lstm_train, "char_lstm.train",
                 "char LSTM: Embedding(96,64) -> 2x LSTM 256 -> Linear(256,96), T64 B32, Adam: one step") {
  char_rnn<strata::nn::LSTM>(ctx);
}

STRATA_BENCHMARK(char_gru_train, "char_gru.train",
                 "char GRU: Embedding(96,64) -> 2x GRU 256 -> Linear(256,96), T64 B32, Adam: one step") {
  char_rnn<strata::nn::GRU>(ctx);
}

STRATA_BENCHMARK(
    char_lstm_train_bf16, "char_lstm.train_bf16",
    "char LSTM: Embedding(96,64) -> 2x LSTM 256 -> Linear(256,96), T64 B32, Adam: one step, bf16 autocast") {
  char_rnn<strata::nn::LSTM>(ctx, strata::train::Precision::BF16);
}

STRATA_BENCHMARK(
    char_lstm_train_fp16, "char_lstm.train_fp16",
    "char LSTM: Embedding(96,64) -> 2x LSTM 256 -> Linear(256,96), T64 B32, Adam: one step, fp16 autocast") {
  char_rnn<strata::nn::LSTM>(ctx, strata::train::Precision::FP16);
}

}  // namespace
