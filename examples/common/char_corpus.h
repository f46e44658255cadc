#pragma once
// Shared by examples/char_lstm and examples/gpt, so that both see the same vocabulary, the same training text
// and the same validation windows: their validation losses are then directly comparable.
//
//   CharCorpus c = CharCorpus::load(text_path);     // "" = the fortunes corpus (data::read_fortunes)
//   auto [x, y] = c.train_batch(32, 64, gen);        // (B, T) int64 inputs and next-character targets
//   double v = c.validation_loss(32, [&](const Tensor& x) { return model.logits(x); });
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "strata/autograd/autocast.h"
#include "strata/strata.h"

namespace examples {

using strata::Tensor;

// Flags "--name value" and "--name" (boolean) from argv; unknown flags are an error so typos do not pass.
class Args {
 public:
  Args(int argc, char** argv, std::vector<std::string> known) : known_(std::move(known)) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--help" || a == "-h") {
        help_ = true;
        continue;
      }
      if (a.rfind("--", 0) != 0 || std::find(known_.begin(), known_.end(), a.substr(2)) == known_.end()) {
        std::cerr << "unknown argument " << a << "\n";
        help_ = true;
        continue;
      }
      std::string value = "1";
      if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) value = argv[++i];
      values_.emplace_back(a.substr(2), value);
    }
  }
  bool help() const { return help_; }
  std::string str(const std::string& k, const std::string& def) const {
    for (const auto& [key, v] : values_)
      if (key == k) return v;
    return def;
  }
  int64_t integer(const std::string& k, int64_t def) const { return std::stoll(str(k, std::to_string(def))); }
  double real(const std::string& k, double def) const { return std::stod(str(k, std::to_string(def))); }

 private:
  std::vector<std::string> known_;
  std::vector<std::pair<std::string, std::string>> values_;
  bool help_ = false;
};

struct CharCorpus {
  std::string text;
  strata::data::CharVocab vocab = strata::data::CharVocab::printable_ascii();
  std::vector<int64_t> train_ids, val_ids;

  // The vocabulary is every distinct byte of the text; the last 10% of the text is the validation split.
  static CharCorpus load(const std::string& path) {
    CharCorpus c;
    c.text = path.empty() ? strata::data::read_fortunes() : strata::data::read_text_file(path);
    c.vocab = strata::data::CharVocab::from_text(c.text);
    auto [train, val] = strata::data::char_datasets(c.text, c.vocab, /*seq_len=*/kEvalLen, /*val_fraction=*/0.1);
    c.train_ids = train->ids().to_vector<int64_t>();
    c.val_ids = val->ids().to_vector<int64_t>();
    if (c.val_ids.size() <= static_cast<size_t>(kEvalLen) + 1 ||
        c.train_ids.size() <= 2 * static_cast<size_t>(kEvalLen))
      throw strata::Error("[examples] text too short: " + std::to_string(c.text.size()) + " characters; at least " +
                          std::to_string(11 * kEvalLen) + " are needed");
    return c;
  }

  // B random windows of the training text: inputs (B, T) and targets shifted by one (B, T), int64.
  std::pair<Tensor, Tensor> train_batch(int64_t B, int64_t T, strata::Generator& gen) const {
    if (train_ids.size() <= static_cast<size_t>(T) + 1)
      throw strata::Error("[examples] training text (" + std::to_string(train_ids.size()) +
                          " characters) is shorter than a window of " + std::to_string(T + 1));
    std::vector<int64_t> x(static_cast<size_t>(B * T)), y(x.size());
    const uint64_t span = train_ids.size() - static_cast<uint64_t>(T) - 1;
    for (int64_t b = 0; b < B; ++b) {
      const size_t s = static_cast<size_t>(gen.random64() % span);
      for (int64_t t = 0; t < T; ++t) {
        x[static_cast<size_t>(b * T + t)] = train_ids[s + static_cast<size_t>(t)];
        y[static_cast<size_t>(b * T + t)] = train_ids[s + static_cast<size_t>(t) + 1];
      }
    }
    return {strata::from_vector(x, {B, T}), strata::from_vector(y, {B, T})};
  }

  // Mean cross-entropy (nats per character) over the first `windows` non-overlapping windows of kEvalLen
  // characters of the validation text, each predicted from a fresh start (no state carried across windows).
  // logits: (B, T) int64 -> (B, T, V).
  double validation_loss(int64_t windows, const std::function<Tensor(const Tensor&)>& logits) const {
    strata::NoGradGuard no_grad;
    const int64_t T = kEvalLen, avail = static_cast<int64_t>(val_ids.size() - 1) / T;
    windows = std::min(windows, avail);
    const int64_t V = vocab.size(), batch = 32;
    double total = 0;
    for (int64_t w0 = 0; w0 < windows; w0 += batch) {
      const int64_t B = std::min(batch, windows - w0);
      std::vector<int64_t> x(static_cast<size_t>(B * T)), y(x.size());
      for (int64_t b = 0; b < B; ++b)
        for (int64_t t = 0; t < T; ++t) {
          const size_t s = static_cast<size_t>((w0 + b) * T + t);
          x[static_cast<size_t>(b * T + t)] = val_ids[s];
          y[static_cast<size_t>(b * T + t)] = val_ids[s + 1];
        }
      Tensor out = logits(strata::from_vector(x, {B, T}));
      total += strata::cross_entropy(out.reshape({B * T, V}), strata::from_vector(y, {B * T})).item() *
               static_cast<double>(B);
    }
    return total / static_cast<double>(windows);
  }

  static constexpr int64_t kEvalLen = 128;  // validation window length (the GPT's context)
};

// Settings of the language-model training loop both examples share.
struct LMTraining {
  int64_t epochs = 6, steps = 100, batch = 32, seq = 64, val_windows = 128;
  double clip = 1.0;
  // Mixed precision (docs/precision.md): training and validation forwards run under AutocastGuard; FP16 scales
  // the loss with a GradScaler unless loss_scaling is false.
  strata::train::Precision precision = strata::train::Precision::FP32;
  bool loss_scaling = true;
  std::string sample_header;  // printed above each sample, e.g. "temperature 0.8, top-k 10"
};

// Trains `model` ((B, T) int64 ids -> (B, T, V) logits) on next-character cross-entropy with gradient
// clipping (one train::Stepper step per batch), printing the training and validation loss, gradient norm and tokens/s
// per epoch, and a sample (draw_sample()) whenever the validation loss improves. Returns the best validation loss
// (nats/char).
inline double train_language_model(strata::nn::Module& model, strata::optim::Optimizer& opt, const CharCorpus& corpus,
                                   strata::Generator& gen, const LMTraining& s,
                                   const std::function<std::string()>& draw_sample) {
  const int64_t V = corpus.vocab.size(), B = s.batch, T = s.seq;
  auto val_loss = [&] {
    model.eval();
    const bool mixed = s.precision != strata::train::Precision::FP32;
    strata::AutocastGuard autocast(mixed ? strata::train::autocast_dtype(s.precision) : strata::kBFloat16, mixed);
    const double v = corpus.validation_loss(s.val_windows, [&](const Tensor& x) { return model(x); });
    model.train();
    return v;
  };
  double best = val_loss();
  std::printf("epoch 0  val loss %.4f (uniform would be %.4f)\n", best, std::log(static_cast<double>(V)));
  strata::train::Stepper stepper(model, opt,
                                 {.clip_grad_norm = s.clip, .precision = s.precision, .loss_scaling = s.loss_scaling});
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t epoch = 1; epoch <= s.epochs; ++epoch) {
    double train_sum = 0, norm_sum = 0;
    for (int64_t step = 0; step < s.steps; ++step) {
      const std::pair<Tensor, Tensor> xy = corpus.train_batch(B, T, gen);  // (B, T) inputs, (B, T) targets
      const strata::train::StepResult r = stepper([&] {
        return strata::cross_entropy(model(xy.first).reshape({B * T, V}), xy.second.reshape({B * T}));
      });
      train_sum += r.loss;
      norm_sum += r.grad_norm.value_or(0);
    }
    const double v = val_loss();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("epoch %lld  train loss %.4f  val loss %.4f  grad norm %.2f  %.0f s  %.0f tokens/s\n",
                static_cast<long long>(epoch), train_sum / static_cast<double>(s.steps), v,
                norm_sum / static_cast<double>(s.steps), secs, static_cast<double>(epoch * s.steps * B * T) / secs);
    if (v < best) {
      best = v;
      std::cout << "--- sample (" << s.sample_header << ") ---\n" << draw_sample() << "\n---\n";
    }
    std::cout.flush();
  }
  std::printf("best val loss %.4f nats/char (%.3f bits/char)\n", best, best / std::log(2.0));
  if (const strata::train::GradScaler* scaler = stepper.grad_scaler())
    std::printf("precision %s: loss scale %g at the end, %lld skipped steps\n",
                strata::train::precision_name(s.precision), scaler->scale(),
                static_cast<long long>(scaler->skipped_steps()));
  else std::printf("precision %s, no loss scaling\n", strata::train::precision_name(s.precision));
  return best;
}

// main() of an example: runs `body`, and reports a strata::Error (or any exception) as a message and exit code 1.
inline int run_main(const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace examples
