// Lab 179, transformer: a small transformer encoder reverses digit strings when it is given positional
// encodings and cannot without them (self-attention alone ignores order); the attention map of the one that
// learned.
#include "strata/nn/transformer.h"

#include <algorithm>
#include <chrono>

#include "labs/kit.h"
#include "labs/sequence_tasks.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/nn/attention.h"
#include "strata/nn/embedding.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/reduction.h"
#include "strata/ops/softmax.h"
#include "strata/optim/adam.h"
#include "strata/train/step.h"

namespace strata::labs {

namespace transformer_lab {

// Embedding (+ sinusoidal positions) -> encoder layers -> a Linear to the 10 digits at every position.
class Reverser : public nn::Module {
 public:
  Reverser(int64_t d, int64_t layers, bool positions) : positions_(positions) {
    emb = register_module("emb", std::make_shared<nn::Embedding>(10, d));
    pe = register_module("pe", std::make_shared<nn::SinusoidalPositionalEncoding>(d, 64, true));
    nn::TransformerLayerOptions o{
        .d_model = d, .nhead = 2, .dim_feedforward = 2 * d, .dropout = 0.0, .batch_first = true};
    encoder = register_module("encoder", std::make_shared<nn::TransformerEncoder>(o, layers));
    out = register_module("out", std::make_shared<nn::Linear>(d, 10));
  }
  std::string type_name() const override { return "Reverser"; }
  Tensor embed(const Tensor& x) { return positions_ ? (*pe)((*emb)(x)) : (*emb)(x); }
  Tensor forward(const Tensor& x) override { return (*out)((*encoder)(embed(x))); }
  // The first layer's self-attention weights (N, L, L), averaged over heads.
  Tensor first_attention(const Tensor& x) {
    NoGradGuard no_grad;
    Tensor h = embed(x);
    auto& layer = static_cast<nn::TransformerEncoderLayer&>(*(*encoder->layers)[0]);
    return layer.self_attn->forward(h, h, h, Tensor(), true).second;
  }

  std::shared_ptr<nn::Embedding> emb;
  std::shared_ptr<nn::SinusoidalPositionalEncoding> pe;
  std::shared_ptr<nn::TransformerEncoder> encoder;
  std::shared_ptr<nn::Linear> out;

 private:
  bool positions_;
};

// x (n, L) digits 0-9, y (n, L) = x reversed.
kit::XY reversal(int64_t n, int64_t L, Generator& gen) {
  std::vector<int64_t> x(static_cast<size_t>(n * L)), y(x.size());
  for (auto& v : x) v = static_cast<int64_t>(gen.random() % 10);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < L; ++j) y[static_cast<size_t>(i * L + j)] = x[static_cast<size_t>(i * L + L - 1 - j)];
  return {from_vector(x, {n, L}), from_vector(y, {n, L})};
}

Tensor loss_of(const Tensor& logits, const Tensor& y) {
  return cross_entropy(logits.reshape({-1, 10}), y.reshape({-1}));
}

// The best token accuracy a model blind to order can reach: it knows digit x_i and the multiset of the others, so
// its best guess for output i is their most frequent digit, right with probability max count / (L - 1).
double order_blind_ceiling(const kit::XY& d) {
  const int64_t n = d.x.size(0), L = d.x.size(1);
  const std::vector<int64_t> x = d.x.to_vector<int64_t>();
  double sum = 0;
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t i = 0; i < L; ++i) {
      int counts[10] = {};
      int top = 0;
      for (int64_t j = 0; j < L; ++j)
        if (j != i) top = std::max(top, ++counts[x[static_cast<size_t>(r * L + j)]]);
      sum += static_cast<double>(top) / static_cast<double>(L - 1);
    }
  }
  return sum / static_cast<double>(n * L);
}

double accuracy(Reverser& model, const kit::XY& d) {
  Tensor pred = argmax(kit::predict(model, d.x), 2);
  return eq(pred, d.y).to(kFloat64).mean().item();
}

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  const int64_t L = 8, d = 32, layers = 1, batch = 64;
  const int64_t steps = lab.pick<int64_t>(1500, 600);
  const double lr = 3e-3;

  Generator test_gen(lab.seed() + 1000);
  kit::XY test = reversal(1000, L, test_gen);
  lab.note("Task: read " + std::to_string(L) +
           " digits and output them reversed, all positions at once (output i = input " + std::to_string(L - 1) +
           " - i). Model: embedding (d = " + std::to_string(d) + "), " + std::to_string(layers) +
           " post-norm transformer encoder layer(s) with 2 heads, a linear read-out per position; Adam lr " + fmt(lr) +
           ", " + std::to_string(steps) + " steps of " + std::to_string(batch) +
           " fresh strings. The two models differ only in adding sinusoidal positional encodings to the "
           "embeddings.");

  std::vector<double> acc, secs;
  std::vector<Series> curves;
  Tensor attn;
  for (bool positions : {false, true}) {
    manual_seed(lab.seed());
    Reverser model(d, layers, positions);
    optim::Adam opt(model.parameters(), {.lr = lr});
    train::Stepper stepper(model, opt, {.clip_grad_norm = 1.0});
    Generator gen(lab.seed());
    std::vector<double> loss;
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t s = 0; s < steps; ++s) {
      kit::XY b = reversal(batch, L, gen);
      loss.push_back(stepper([&] { return loss_of(model(b.x), b.y); }).loss);
    }
    secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    acc.push_back(accuracy(model, test));
    std::vector<double> smooth;
    double ema = loss[0];
    for (double l : loss) smooth.push_back(ema = 0.95 * ema + 0.05 * l);
    curves.push_back(
        {positions ? "with positional encoding" : "without positional encoding", kit::iota(smooth.size(), 1), smooth});
    if (positions) attn = model.first_attention(test.x).mean({0});  // (L, L) averaged over the test strings
  }

  const double ceiling = order_blind_ceiling(test);
  lab.heading("With and without positional encoding");
  lab.table("1000 held-out strings", {"model", "token accuracy", "training time"},
            {{"without positional encoding", pct(acc[0]), fmt(secs[0], 2) + " s"},
             {"with positional encoding", pct(acc[1]), fmt(secs[1], 2) + " s"}});
  lab.line_plot({"Training cross-entropy (smoothed)", "step", "loss", false, true}, curves);
  lab.value("best accuracy possible without order information", ceiling);
  lab.note(
      "Without positions, output i can depend only on digit i and the set of digits present, so its best "
      "guess for the mirrored digit is the most frequent of the other seven: right " +
      pct(ceiling) +
      " of the time on these strings, above the 10% of a blind guess. The model without "
      "positional encoding learns about that much and no more.");

  lab.heading("Where each position looks (first layer, mean over the test strings)");
  std::vector<std::vector<double>> z;
  std::vector<std::string> names;
  double anti = 0;
  int64_t rows_on_mirror = 0;
  for (int64_t i = 0; i < L; ++i) {
    std::vector<double> row;
    for (int64_t j = 0; j < L; ++j) row.push_back(attn.at({i, j}));
    anti += row[static_cast<size_t>(L - 1 - i)];
    rows_on_mirror += std::max_element(row.begin(), row.end()) - row.begin() == L - 1 - i;
    z.push_back(row);
    names.push_back(std::to_string(i));
  }
  anti /= static_cast<double>(L);
  lab.heatmap(
      {"Self-attention weights (rows: output position, columns: input position)", "input position", "output position"},
      z, true, names, names);
  lab.value("mean weight on the mirrored position 7 - i", anti);

  lab.claim("with positional encoding the transformer reverses held-out strings (token accuracy >= 90%)", acc[1] >= 0.9,
            pct(acc[1]));
  lab.claim("without it, it cannot: accuracy stays within 3 points of the order-blind best (most frequent digit)",
            acc[0] < ceiling + 0.03, pct(acc[0]) + ", order-blind best " + pct(ceiling));
  lab.claim("every position attends most to its mirror 7 - i, with mean weight > 0.5 there",
            rows_on_mirror == L && anti > 0.5,
            std::to_string(rows_on_mirror) + " of " + std::to_string(L) + " rows peak there, mean weight " + fmt(anti));
}

}  // namespace transformer_lab

Lab lab_transformer() {
  return {179,
          "transformer",
          "Transformer",
          "A transformer layer lets every position attend to every other through self-attention, then applies "
          "the same small feed-forward network at each position, with residual connections and layer norm. "
          "Attention itself compares contents only: permute the inputs and the outputs permute the same way. "
          "Order has to be put in explicitly, by adding a positional encoding to each token's embedding.",
          "the accuracy table: same model, same training, only the positional encoding differs; without it the "
          "network cannot tell position 0 from position 7. Then the heatmap: each output position looks at its "
          "mirror image.",
          transformer_lab::run};
}

}  // namespace strata::labs
