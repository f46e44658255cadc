// The sequence labs' shared tasks and models (sequence_tasks.h).
#include "labs/sequence_tasks.h"

#include <chrono>
#include <cmath>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/nn/losses.h"
#include "strata/ops/activation.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/ops/linalg.h"
#include "strata/ops/reduction.h"
#include "strata/ops/softmax.h"
#include "strata/optim/adam.h"
#include "strata/train/step.h"

namespace strata::labs::seq {

kit::XY adding_problem(int64_t n, int64_t length, Generator& gen) {
  STRATA_CHECK(n > 0 && length >= 2, "[labs::adding_problem] need n > 0 and length >= 2, got n=", n,
               " length=", length);
  std::vector<float> x(static_cast<size_t>(n * length * 2), 0.0f), y(static_cast<size_t>(n));
  const int64_t half = length / 2;
  for (int64_t i = 0; i < n; ++i) {
    float* row = x.data() + i * length * 2;
    for (int64_t t = 0; t < length; ++t) row[2 * t] = gen.uniform_float();
    const int64_t a = static_cast<int64_t>(gen.random() % static_cast<uint32_t>(half));
    const int64_t b = half + static_cast<int64_t>(gen.random() % static_cast<uint32_t>(length - half));
    row[2 * a + 1] = row[2 * b + 1] = 1.0f;
    y[static_cast<size_t>(i)] = row[2 * a] + row[2 * b];
  }
  return {from_vector(x, {n, length, 2}), from_vector(y, {n, 1})};
}

kit::XY delay_task(int64_t n, int64_t length, int64_t delay, Generator& gen) {
  STRATA_CHECK(n > 0 && length > delay && delay >= 0,
               "[labs::delay_task] need n > 0 and length > delay >= 0, got n=", n, " length=", length,
               " delay=", delay);
  std::vector<float> x(static_cast<size_t>(n * length)), y(static_cast<size_t>(n * length), 0.0f);
  for (auto& v : x) v = 2 * gen.uniform_float() - 1;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t t = delay; t < length; ++t)
      y[static_cast<size_t>(i * length + t)] = x[static_cast<size_t>(i * length + t - delay)];
  return {from_vector(x, {n, length, 1}), from_vector(y, {n, length, 1})};
}

Pairs reverse_digits(int64_t n, int64_t min_len, int64_t max_len, Generator& gen) {
  STRATA_CHECK(n > 0 && 1 <= min_len && min_len <= max_len,
               "[labs::reverse_digits] need n > 0 and 1 <= min_len <= max_len, got n=", n, " min_len=", min_len,
               " max_len=", max_len);
  const int64_t S = max_len, T = max_len + 1;
  std::vector<int64_t> src(static_cast<size_t>(n * S), kPad), tin(static_cast<size_t>(n * T), kPad),
      tout(static_cast<size_t>(n * T), kPad);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t len = min_len + static_cast<int64_t>(gen.random() % static_cast<uint32_t>(max_len - min_len + 1));
    int64_t* s = src.data() + i * S;
    for (int64_t j = 0; j < len; ++j) s[j] = kDigit0 + static_cast<int64_t>(gen.random() % 10);
    int64_t* ti = tin.data() + i * T;
    int64_t* to = tout.data() + i * T;
    ti[0] = kSos;
    for (int64_t j = 0; j < len; ++j) ti[j + 1] = to[j] = s[len - 1 - j];
    to[len] = kEos;
  }
  return {from_vector(src, {n, S}), from_vector(tin, {n, T}), from_vector(tout, {n, T})};
}

// ---- recurrent regressor ----

Recurrent::Recurrent(const std::string& kind, int64_t input, int64_t hidden, int64_t out, bool sequence_output)
    : kind_(kind), sequence_output_(sequence_output) {
  nn::RNNOptions opts{.batch_first = true};
  if (kind == "rnn") {
    rnn = std::make_shared<nn::RNN>(input, hidden, opts);
  } else if (kind == "lstm") {
    rnn = std::make_shared<nn::LSTM>(input, hidden, opts);
  } else if (kind == "gru") {
    rnn = std::make_shared<nn::GRU>(input, hidden, opts);
  } else {
    STRATA_FAIL("[labs::Recurrent] kind must be rnn, lstm or gru, got '", kind, "'");
  }
  register_module("rnn", rnn);
  head = register_module("head", std::make_shared<nn::Linear>(hidden, out));
}

Tensor Recurrent::forward(const Tensor& x) {
  Tensor h = rnn->forward(x);  // (N, T, H)
  return (*head)(sequence_output_ ? h : h.select(1, h.size(1) - 1));
}

void Recurrent::set_forget_bias(double value) {
  STRATA_CHECK(kind_ == "lstm", "[labs::Recurrent] set_forget_bias needs an LSTM, this is ", kind_);
  NoGradGuard no_grad;
  const int64_t H = rnn->hidden_size();
  rnn->bias_ih(0).narrow(0, H, H).fill_(value);  // gates i, f, g, o
  rnn->bias_hh(0).narrow(0, H, H).zero_();
}

std::vector<double> Recurrent::hidden_grad_through_time(const Tensor& x, const Tensor& y) {
  // In float64: a plain RNN's gradient falls below float32's smallest number within a few dozen steps.
  const int64_t I = rnn->input_size(), H = rnn->hidden_size(), T = x.size(1);
  std::shared_ptr<nn::RNNCellBase> cell;
  if (kind_ == "rnn") cell = std::make_shared<nn::RNNCell>(I, H, true, "tanh", kFloat64);
  if (kind_ == "lstm") cell = std::make_shared<nn::LSTMCell>(I, H, true, kFloat64);
  if (kind_ == "gru") cell = std::make_shared<nn::GRUCell>(I, H, true, kFloat64);
  {
    NoGradGuard no_grad;
    cell->weight_ih.copy_(rnn->weight_ih(0).to(kFloat64));
    cell->weight_hh.copy_(rnn->weight_hh(0).to(kFloat64));
    cell->bias_ih.copy_(rnn->bias_ih(0).to(kFloat64));
    cell->bias_hh.copy_(rnn->bias_hh(0).to(kFloat64));
  }
  const Tensor x64 = x.to(kFloat64);
  Tensor h, c;
  std::vector<Tensor> states;
  for (int64_t t = 0; t < T; ++t) {
    Tensor xt = x64.select(1, t);
    if (kind_ == "lstm") {
      nn::LSTMCellOutput o = static_cast<nn::LSTMCell&>(*cell).forward(xt, h, c);
      h = o.h;
      c = o.c;
    } else if (kind_ == "gru") {
      h = static_cast<nn::GRUCell&>(*cell).forward(xt, h);
    } else {
      h = static_cast<nn::RNNCell&>(*cell).forward(xt, h);
    }
    h.retain_grad();
    states.push_back(h);
  }
  // The loss of the last step only, so that dL/dh_t measures how far back the gradient reaches.
  Tensor target = (sequence_output_ ? y.select(1, T - 1) : y).to(kFloat64);
  Tensor out = add(matmul(h, head->weight.detach().to(kFloat64).t()), head->bias.detach().to(kFloat64));
  nn::functional::mse_loss(out, target).backward();
  std::vector<double> norms;
  for (const Tensor& s : states) {
    Tensor g = s.grad();
    norms.push_back(g.defined() ? g.pow(2).sum({1}).sqrt().mean().item() : 0.0);
  }
  return norms;
}

TrainResult train_regressor(nn::Module& model, int64_t steps, double lr, const std::function<kit::XY()>& batch,
                            double stop_below) {
  optim::Adam opt(model.parameters(), {.lr = lr});
  train::Stepper stepper(model, opt, {.clip_grad_norm = 1.0});
  TrainResult r;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t s = 0; s < steps; ++s) {
    kit::XY d = batch();
    r.loss.push_back(stepper([&] { return nn::functional::mse_loss(model(d.x), d.y); }).loss);
    if (stop_below > 0 && steps_to_reach(r.loss, stop_below) > 0) break;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

double mse(nn::Module& model, const kit::XY& d) {
  return nn::functional::mse_loss(kit::predict(model, d.x), d.y).item();
}

int64_t steps_to_reach(const std::vector<double>& loss, double level) {
  const size_t w = 20;
  int64_t first = -1;
  double sum = 0;
  for (size_t i = 0; i < loss.size(); ++i) {
    sum += loss[i];
    if (i >= w) sum -= loss[i - w];
    const double avg = sum / static_cast<double>(std::min(i + 1, w));
    if (i + 1 >= w && avg < level) {
      if (first < 0) first = static_cast<int64_t>(i + 1);
    } else if (i + 1 >= w) {
      first = -1;
    }
  }
  return first;
}

// ---- encoder-decoder ----

EncoderDecoder::EncoderDecoder(int64_t vocab, int64_t embed, int64_t hidden, bool attention)
    : hidden_(hidden), attention_(attention) {
  src_emb_ = register_module("src_emb", std::make_shared<nn::Embedding>(vocab, embed, kPad));
  encoder_ = register_module("encoder", std::make_shared<nn::GRU>(embed, hidden, nn::RNNOptions{.batch_first = true}));
  tgt_emb_ = register_module("tgt_emb", std::make_shared<nn::Embedding>(vocab, embed, kPad));
  cell_ = register_module("cell", std::make_shared<nn::GRUCell>(embed, hidden));
  if (attention_) {
    attn_w_ = register_module("attn_w", std::make_shared<nn::Linear>(hidden, hidden, false));
    combine_ = register_module("combine", std::make_shared<nn::Linear>(2 * hidden, hidden, false));
  }
  out_ = register_module("out", std::make_shared<nn::Linear>(hidden, vocab));
}

Tensor EncoderDecoder::forward(const Tensor&) { STRATA_FAIL("[labs::EncoderDecoder] forward needs (src, tgt_in)"); }

EncoderDecoder::State EncoderDecoder::encode(const Tensor& src) {
  nn::RNNOutput enc = encoder_->forward((*src_emb_)(src), Tensor());
  return {enc.output, eq(src, static_cast<double>(kPad)), enc.h_n.select(0, 0)};
}

Tensor EncoderDecoder::step(State& st, const Tensor& prev, Tensor* weights) {
  st.h = cell_->forward((*tgt_emb_)(prev), st.h);
  if (!attention_) return (*out_)(st.h);
  Tensor scores = bmm(st.memory, (*attn_w_)(st.h).unsqueeze(2)).squeeze(2);  // (B, S)
  Tensor a = softmax(masked_fill(scores, st.pad_mask, -1e9), 1);
  Tensor context = bmm(a.unsqueeze(1), st.memory).squeeze(1);  // (B, H)
  if (weights != nullptr) *weights = a;
  return (*out_)(tanh((*combine_)(cat({context, st.h}, 1))));
}

Tensor EncoderDecoder::forward(const Tensor& src, const Tensor& tgt_in) {
  State st = encode(src);
  std::vector<Tensor> logits;
  for (int64_t t = 0; t < tgt_in.size(1); ++t) logits.push_back(step(st, tgt_in.select(1, t), nullptr));
  return stack(logits, 1);
}

Decoded EncoderDecoder::greedy(const Tensor& src, int64_t steps) {
  NoGradGuard no_grad;
  State st = encode(src);
  Tensor prev = full({src.size(0)}, static_cast<double>(kSos), kInt64);
  std::vector<Tensor> tokens, attn;
  for (int64_t t = 0; t < steps; ++t) {
    Tensor a;
    prev = argmax(step(st, prev, &a), 1);
    tokens.push_back(prev);
    if (attention_) attn.push_back(a);
  }
  return {stack(tokens, 1), attention_ ? stack(attn, 1) : Tensor()};
}

Tensor seq_loss(const Tensor& logits, const Tensor& tgt) {
  const int64_t B = logits.size(0), T = logits.size(1), V = logits.size(2);
  return cross_entropy(logits.reshape({B * T, V}), tgt.reshape({B * T}), Tensor(), Reduction::Mean, kPad);
}

TrainResult train_seq2seq(EncoderDecoder& model, int64_t steps, double lr, const std::function<Pairs()>& make) {
  optim::Adam opt(model.parameters(), {.lr = lr});
  train::Stepper stepper(model, opt, {.clip_grad_norm = 1.0});
  TrainResult r;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t s = 0; s < steps; ++s) {
    Pairs b = make();
    r.loss.push_back(stepper([&] { return seq_loss(model.forward(b.src, b.tgt_in), b.tgt); }).loss);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

SeqScores evaluate(EncoderDecoder& model, const Pairs& d) {
  model.eval();
  SeqScores sc;
  const int64_t B = d.size(), T = d.tgt.size(1);
  const std::vector<int64_t> want = d.tgt.to_vector<int64_t>();
  std::vector<int64_t> forced;
  {
    NoGradGuard no_grad;
    Tensor logits = model.forward(d.src, d.tgt_in);
    sc.forced_loss = seq_loss(logits, d.tgt).item();
    forced = argmax(logits, 2).to_vector<int64_t>();
  }
  const std::vector<int64_t> got = model.greedy(d.src, T).tokens.to_vector<int64_t>();
  int64_t tokens = 0, right = 0, forced_right = 0, exact = 0;
  for (int64_t b = 0; b < B; ++b) {
    bool all = true;
    for (int64_t t = 0; t < T; ++t) {
      const auto i = static_cast<size_t>(b * T + t);
      if (want[i] == kPad) continue;
      ++tokens;
      right += got[i] == want[i];
      forced_right += forced[i] == want[i];
      all = all && got[i] == want[i];
    }
    exact += all;
  }
  sc.token_acc = static_cast<double>(right) / static_cast<double>(tokens);
  sc.forced_acc = static_cast<double>(forced_right) / static_cast<double>(tokens);
  sc.exact = static_cast<double>(exact) / static_cast<double>(B);
  model.train();
  return sc;
}

}  // namespace strata::labs::seq
