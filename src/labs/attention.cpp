// Lab 178, attention: the encoder-decoder of lab 177 with and without attention on longer strings; the one with
// attention learns to reverse them, and its attention weights line up each output with the input it copies.
#include "labs/kit.h"
#include "labs/sequence_tasks.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"

namespace strata::labs {

namespace attention_lab {

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  const int64_t min_len = lab.pick<int64_t>(12, 8), max_len = lab.pick<int64_t>(16, 10);
  const int64_t steps = lab.pick<int64_t>(600, 250), batch = lab.pick<int64_t>(64, 32), hidden = 64;
  const double lr = 5e-3;

  Generator test_gen(lab.seed() + 1000);
  seq::Pairs test = seq::reverse_digits(500, min_len, max_len, test_gen);
  lab.note("Task: reverse strings of " + std::to_string(min_len) + "-" + std::to_string(max_len) +
           " digits. Both models: embedding + GRU encoder, GRU decoder, hidden size " + std::to_string(hidden) +
           ", Adam lr " + fmt(lr) + ", " + std::to_string(steps) + " steps of " + std::to_string(batch) +
           " fresh strings. Without attention the decoder sees the input only through the encoder's final state; "
           "with attention (Luong's 'general' score) each step also reads a weighted average of all encoder "
           "states.");

  std::vector<seq::SeqScores> scores;
  std::vector<double> secs;
  std::vector<Series> curves;
  seq::Decoded decoded;
  for (bool attend : {false, true}) {
    manual_seed(lab.seed());
    seq::EncoderDecoder model(seq::kVocab, 16, hidden, attend);
    Generator gen(lab.seed());
    seq::TrainResult r =
        seq::train_seq2seq(model, steps, lr, [&] { return seq::reverse_digits(batch, min_len, max_len, gen); });
    scores.push_back(seq::evaluate(model, test));
    secs.push_back(r.seconds);
    std::vector<double> smooth;
    double ema = r.loss[0];
    for (double l : r.loss) smooth.push_back(ema = 0.95 * ema + 0.05 * l);
    curves.push_back({attend ? "with attention" : "without attention", kit::iota(smooth.size(), 1), smooth});
    if (attend) {
      model.eval();
      decoded = model.greedy(test.src, test.tgt.size(1));
    }
  }

  lab.heading("With and without attention");
  std::vector<std::vector<std::string>> rows;
  for (size_t k = 0; k < 2; ++k)
    rows.push_back({k == 0 ? "without attention" : "with attention", pct(scores[k].token_acc), pct(scores[k].exact),
                    fmt(scores[k].forced_loss), fmt(secs[k], 2) + " s"});
  lab.table("500 held-out strings, greedy decoding",
            {"model", "token accuracy", "whole string right", "teacher-forced loss", "training time"}, rows);
  lab.line_plot({"Training cross-entropy (smoothed)", "step", "loss", false, true}, curves);

  // Mean weight on the aligned source position: output step t of a length-n string copies input n - 1 - t.
  const std::vector<int64_t> src = test.src.to_vector<int64_t>();
  const std::vector<float> a = decoded.attention.to_vector<float>();
  const int64_t B = test.size(), S = test.src.size(1), T = decoded.attention.size(1);
  double on_aligned = 0, on_window = 0;
  int64_t count = 0;
  for (int64_t b = 0; b < B; ++b) {
    int64_t n = 0;
    while (n < S && src[static_cast<size_t>(b * S + n)] != seq::kPad) ++n;
    for (int64_t t = 0; t < n; ++t) {
      const size_t at = static_cast<size_t>((b * T + t) * S + (n - 1 - t));
      on_aligned += a[at];
      on_window += a[at] + (t > 0 ? a[at + 1] : 0.0f);
      ++count;
    }
  }
  on_aligned /= static_cast<double>(count);
  on_window /= static_cast<double>(count);

  lab.heading("Where the decoder looks");
  int64_t n0 = 0;
  while (n0 < S && src[static_cast<size_t>(n0)] != seq::kPad) ++n0;
  std::vector<std::vector<double>> z;
  std::vector<std::string> cols, row_labels;
  const std::vector<int64_t> out = decoded.tokens.to_vector<int64_t>();
  for (int64_t j = 0; j < n0; ++j) cols.push_back(std::to_string(src[static_cast<size_t>(j)] - seq::kDigit0));
  for (int64_t t = 0; t <= n0 && t < T; ++t) {
    std::vector<double> row;
    for (int64_t j = 0; j < n0; ++j) row.push_back(a[static_cast<size_t>(t * S + j)]);
    z.push_back(row);
    const int64_t id = out[static_cast<size_t>(t)];
    row_labels.push_back(id >= seq::kDigit0 ? std::to_string(id - seq::kDigit0) : id == seq::kEos ? "end" : "?");
  }
  lab.heatmap(
      {"Attention weights of one held-out string (rows: output tokens, columns: input digits)", "input", "output"}, z,
      false, cols, row_labels);
  lab.value("mean attention weight on the aligned input position n - 1 - t", on_aligned);
  lab.value("mean attention weight on positions n - 1 - t and n - t", on_window);
  lab.note(
      "For reversal the aligned positions form the anti-diagonal of the heatmap. The encoder reads left to "
      "right, so its state one position later (n - t) still holds digit n - 1 - t, just read; some runs "
      "learn to look there instead, which puts the bright cells one column right of the anti-diagonal. The "
      "second number counts both.");

  lab.claim("attention reaches clearly higher held-out token accuracy (at least 20 points more)",
            scores[1].token_acc >= scores[0].token_acc + 0.2,
            "with " + pct(scores[1].token_acc) + ", without " + pct(scores[0].token_acc));
  lab.claim("with attention the model reverses held-out strings with token accuracy >= 90%", scores[1].token_acc >= 0.9,
            pct(scores[1].token_acc));
  lab.claim("the attention weights concentrate on the aligned input or the state just after it (mean weight > 0.8)",
            on_window > 0.8,
            "mean weight " + fmt(on_window) + " (on the aligned position alone " + fmt(on_aligned) + ")");
}

}  // namespace attention_lab

Lab lab_attention() {
  return {178,
          "attention",
          "Attention",
          "Attention lets each decoder step look back at every encoder state instead of one summary vector: it "
          "scores each input position against the decoder's current state, turns the scores into weights with a "
          "softmax, and reads the weighted average. The fixed-size bottleneck disappears, so long inputs stay "
          "usable, and the weights show which input each output was made from.",
          "the accuracy table (without attention the longer strings are mostly wrong; with it nearly all are right) "
          "and the heatmap, whose bright cells run along the anti-diagonal: output t reads input n - 1 - t.",
          attention_lab::run};
}

}  // namespace strata::labs
