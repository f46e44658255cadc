#pragma once
// What the sequence labs (174-180) share: seeded sequence tasks (the adding problem, a delay task, digit
// reversal), a recurrent regressor (RNN / LSTM / GRU + a linear read-out) with its training loop and the
// gradient of the loss through time, and a small GRU encoder-decoder with optional attention.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "labs/kit.h"
#include "strata/core/generator.h"
#include "strata/core/tensor.h"
#include "strata/nn/embedding.h"
#include "strata/nn/linear.h"
#include "strata/nn/module.h"
#include "strata/nn/rnn.h"

namespace strata::labs::seq {

// ---- tasks ----

// The adding problem (Hochreiter & Schmidhuber 1997): x (n, length, 2) holds a value in [0, 1] and a marker
// (0 or 1) per step; exactly two markers, one in each half of the sequence. y (n, 1) is the sum of the two
// marked values. Always predicting the mean (1) gives MSE 1/6 = 0.167.
kit::XY adding_problem(int64_t n, int64_t length, Generator& gen);
inline constexpr double kAddingBaselineMse = 1.0 / 6.0;

// Delay task: x (n, length, 1) uniform in [-1, 1]; y (n, length, 1) with y_t = x_{t - delay} (0 before).
kit::XY delay_task(int64_t n, int64_t length, int64_t delay, Generator& gen);

// Token ids of the digit tasks: PAD, SOS, EOS, then the digits 0-9 as 3..12.
inline constexpr int64_t kPad = 0, kSos = 1, kEos = 2, kDigit0 = 3, kVocab = 13;

// Digit strings and their reversals, padded: src (n, max_len), tgt_in (n, max_len + 1) = SOS + reversal,
// tgt (n, max_len + 1) = reversal + EOS; lengths uniform in [min_len, max_len].
struct Pairs {
  Tensor src, tgt_in, tgt;
  int64_t size() const { return src.size(0); }
};
Pairs reverse_digits(int64_t n, int64_t min_len, int64_t max_len, Generator& gen);

// ---- recurrent regressor ----

// A one-layer RNN (tanh) / LSTM / GRU over batch-first input (N, T, I) and a Linear read-out of the hidden
// state: at the last step (sequence_output false: (N, out)) or at every step ((N, T, out)).
class Recurrent : public nn::Module {
 public:
  Recurrent(const std::string& kind, int64_t input, int64_t hidden, int64_t out, bool sequence_output = false);
  std::string type_name() const override { return "Recurrent"; }
  Tensor forward(const Tensor& x) override;
  // LSTM only: the forget gate's bias set to `value` (a common init that starts the cell remembering).
  void set_forget_bias(double value);
  // ||dL/dh_t|| (mean over the batch) for t = 0..T-1 of the MSE loss of (x, y), by running the matching
  // single-step cell with this layer's weights. For an LSTM h_t is the output state (c_t is separate).
  std::vector<double> hidden_grad_through_time(const Tensor& x, const Tensor& y);
  const std::string& kind() const { return kind_; }

  std::shared_ptr<nn::RNNBase> rnn;
  std::shared_ptr<nn::Linear> head;

 private:
  std::string kind_;
  bool sequence_output_;
};

struct TrainResult {
  std::vector<double> loss;  // training loss per step
  double seconds = 0;
};
// Adam (lr) with gradient clipping at norm 1 for `steps` steps; batch() makes each step's data. Stops early
// once the running mean of the last 20 losses is below stop_below (> 0).
TrainResult train_regressor(nn::Module& model, int64_t steps, double lr, const std::function<kit::XY()>& batch,
                            double stop_below = 0);
// The MSE of model(x) against y in eval mode without gradients.
double mse(nn::Module& model, const kit::XY& d);
// The first step from which the loss curve's running mean (window 20) stays below `level`; -1 if never.
int64_t steps_to_reach(const std::vector<double>& loss, double level);

// ---- encoder-decoder ----

struct Decoded {
  Tensor tokens;     // (B, steps) int64
  Tensor attention;  // (B, steps, S) float, attention weights (undefined without attention)
};

// Embedding -> GRU encoder; a GRUCell decoder started from the encoder's final state, fed the embedding of
// the previous token. With attention (Luong "general": score = e_s . W_a h, padded positions masked) the
// read-out is tanh(W_c [context; h]); without, the decoder sees only the final encoder state.
class EncoderDecoder : public nn::Module {
 public:
  EncoderDecoder(int64_t vocab, int64_t embed, int64_t hidden, bool attention);
  std::string type_name() const override { return "EncoderDecoder"; }
  Tensor forward(const Tensor& x) override;  // unsupported (two inputs)
  // Teacher forcing: logits (B, T, vocab) for tgt_in (B, T).
  Tensor forward(const Tensor& src, const Tensor& tgt_in);
  // Greedy decoding of `steps` tokens (no gradients).
  Decoded greedy(const Tensor& src, int64_t steps);
  bool attention() const { return attention_; }

 private:
  struct State {
    Tensor memory, pad_mask, h;
  };
  State encode(const Tensor& src);
  Tensor step(State& st, const Tensor& prev, Tensor* weights);

  std::shared_ptr<nn::Embedding> src_emb_, tgt_emb_;
  std::shared_ptr<nn::GRU> encoder_;
  std::shared_ptr<nn::GRUCell> cell_;
  std::shared_ptr<nn::Linear> attn_w_, combine_, out_;
  int64_t hidden_;
  bool attention_;
};

// Cross-entropy of teacher-forced logits against tgt, padding ignored.
Tensor seq_loss(const Tensor& logits, const Tensor& tgt);
// Trains with teacher forcing (Adam, clipping at 1) on fresh batches from make(); returns the loss per step.
TrainResult train_seq2seq(EncoderDecoder& model, int64_t steps, double lr, const std::function<Pairs()>& make);

struct SeqScores {
  double token_acc = 0;    // greedy: fraction of target tokens (EOS included, padding not) right
  double exact = 0;        // greedy: fraction of sequences entirely right
  double forced_acc = 0;   // teacher forcing: fraction of target tokens right
  double forced_loss = 0;  // teacher forcing: cross-entropy
};
SeqScores evaluate(EncoderDecoder& model, const Pairs& d);

}  // namespace strata::labs::seq
