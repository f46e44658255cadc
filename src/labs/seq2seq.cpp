// Lab 177, sequence to sequence: a GRU encoder-decoder learns to reverse digit strings it has never seen; the
// loss under teacher forcing against greedy decoding of its own outputs, per token and per whole sequence.
#include "labs/kit.h"
#include "labs/sequence_tasks.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"

namespace strata::labs {

namespace seq2seq_lab {

std::string digits(const std::vector<int64_t>& ids, size_t begin, size_t width) {
  std::string s;
  for (size_t j = begin; j < begin + width; ++j) {
    if (ids[j] == seq::kEos || ids[j] == seq::kPad) break;
    s += ids[j] >= seq::kDigit0 ? static_cast<char>('0' + ids[j] - seq::kDigit0) : '?';
  }
  return s;
}

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  const int64_t min_len = 3, max_len = lab.pick<int64_t>(7, 5);
  const int64_t steps = lab.pick<int64_t>(1000, 600), batch = 64, hidden = lab.pick<int64_t>(96, 64);
  const double lr = 5e-3;

  Generator test_gen(lab.seed() + 1000);
  seq::Pairs test = seq::reverse_digits(500, min_len, max_len, test_gen);
  lab.note("Task: read a string of " + std::to_string(min_len) + "-" + std::to_string(max_len) +
           " digits and write it reversed, then an end token. Encoder: embedding + GRU; its final state starts a "
           "GRU decoder that writes one token per step (no attention; lab 178 adds it). Hidden size " +
           std::to_string(hidden) + ", Adam lr " + fmt(lr) + ", " + std::to_string(steps) + " steps of " +
           std::to_string(batch) + " fresh random strings; scored on 500 other random strings.");

  manual_seed(lab.seed());
  seq::EncoderDecoder model(seq::kVocab, 16, hidden, false);
  Generator gen(lab.seed());
  seq::TrainResult r =
      seq::train_seq2seq(model, steps, lr, [&] { return seq::reverse_digits(batch, min_len, max_len, gen); });
  seq::SeqScores sc = seq::evaluate(model, test);

  lab.heading("Training with teacher forcing");
  std::vector<double> smooth;
  double ema = r.loss[0];
  for (double l : r.loss) smooth.push_back(ema = 0.95 * ema + 0.05 * l);
  lab.line_plot({"Training cross-entropy (teacher forcing, smoothed)", "step", "loss", false, true},
                {{"training loss", kit::iota(smooth.size(), 1), smooth}});
  lab.value("training time", r.seconds, "s");

  lab.heading("Held-out strings");
  lab.table("", {"decoding", "loss", "token accuracy", "whole string right"},
            {{"teacher forcing (fed the true previous token)", fmt(sc.forced_loss), pct(sc.forced_acc), "-"},
             {"greedy (fed its own previous output)", "-", pct(sc.token_acc), pct(sc.exact)}});
  const std::vector<int64_t> src = test.src.to_vector<int64_t>();
  const std::vector<int64_t> got = model.greedy(test.src, test.tgt.size(1)).tokens.to_vector<int64_t>();
  std::vector<std::vector<std::string>> rows;
  const auto S = static_cast<size_t>(test.src.size(1)), T = static_cast<size_t>(test.tgt.size(1));
  for (size_t i = 0; i < 6; ++i) {
    std::string in = digits(src, i * S, S), out = digits(got, i * T, T), want(in.rbegin(), in.rend());
    rows.push_back({in, out, out == want ? "right" : "wrong (want " + want + ")"});
  }
  lab.note(
      "Under teacher forcing every step is fed the true previous digit; decoding greedily the model is fed "
      "its own, so a mistake can lead to more: token accuracy " +
      pct(sc.forced_acc) + " against " + pct(sc.token_acc) + " here.");
  lab.table("examples (greedy)", {"input", "output", ""}, rows);

  lab.claim("greedy decoding reverses held-out strings with token accuracy >= 90%", sc.token_acc >= 0.9,
            "token accuracy " + pct(sc.token_acc));
  lab.claim(
      "most held-out strings come out entirely right (exact match >= 75%), fewer than the share of right "
      "tokens, since one wrong token spoils a string",
      sc.exact >= 0.75 && sc.exact < sc.token_acc, "exact match " + pct(sc.exact) + ", tokens " + pct(sc.token_acc));
}

}  // namespace seq2seq_lab

Lab lab_seq2seq() {
  return {177,
          "seq2seq",
          "Sequence to sequence",
          "An encoder-decoder maps a sequence to another of a different length: the encoder reads the input into "
          "a state, and the decoder, started from that state, writes the output one token at a time, each step "
          "fed the previous token. In training the previous token is the true one (teacher forcing), so all steps "
          "are learned in parallel from correct histories; at test time the decoder must feed itself its own "
          "guesses, so an early mistake can derail the rest.",
          "the held-out table: token accuracy under teacher forcing and under greedy decoding, and how many whole "
          "strings come out exactly right; then a few examples.",
          seq2seq_lab::run};
}

}  // namespace strata::labs
