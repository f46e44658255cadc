// Forward FLOPs counters of the library's layers (the convention is in strata/diag/summary.h), and the registry
// summarize() looks them up in.
#include "diag/flops.h"

#include <mutex>
#include <utility>
#include <vector>

#include "strata/core/error.h"
#include "strata/nn/nn.h"

namespace strata::diag {

namespace {

struct Entry {
  std::function<bool(const nn::Module&)> matches;
  FlopsCounter count;
};

template <class M>
Entry entry(std::function<int64_t(const M&, const Tensor&, const Tensor&)> fn) {
  return {[](const nn::Module& m) { return dynamic_cast<const M*>(&m) != nullptr; },
          [fn = std::move(fn)](const nn::Module& m, const Tensor& in, const Tensor& out) {
            return fn(static_cast<const M&>(m), in, out);
          }};
}

int64_t numel(const Tensor& t) { return t.defined() ? t.numel() : 0; }

// q k^T and a v over all L x S pairs of every head (2 MACs x E each), and the softmax over the H x L x S scores.
int64_t attention_core(int64_t N, int64_t H, int64_t L, int64_t S, int64_t E) {
  return 2 * (2 * N * L * S * E) + kSoftmaxFlopsPerElement * N * H * L * S;
}

// Self-attention of MultiheadAttention `a` on x, including the fused q/k/v projection (not a child module).
int64_t mha_self_attention(const nn::MultiheadAttention& a, const Tensor& x) {
  const int64_t E = a.embed_dim();
  int64_t N = 1, L = x.size(0);
  if (x.dim() == 3) {
    N = a.batch_first() ? x.size(0) : x.size(1);
    L = a.batch_first() ? x.size(1) : x.size(0);
  }
  return 2 * N * L * E * 3 * E + attention_core(N, a.num_heads(), L, L, E);
}

// A TransformerEncoderLayer's work outside its child modules: self-attention, the activation, two residual adds.
int64_t encoder_layer_own(const nn::TransformerEncoderLayer& m, const Tensor& x, const Tensor& y) {
  return mha_self_attention(*m.self_attn, x) + numel(x) / x.size(-1) * m.linear1->out_features() + 2 * numel(y);
}

int64_t per_unit(RNNMode mode) {
  switch (mode) {
    case RNNMode::LSTM: return kLSTMFlopsPerUnit;
    case RNNMode::GRU: return kGRUFlopsPerUnit;
    default: return kRNNFlopsPerUnit;
  }
}

// Every time step of every layer and direction: the gate GEMMs against the input and the hidden state, and
// the per-unit elementwise work.
int64_t recurrent(const nn::RNNBase& r, const Tensor& x) {
  const nn::RNNOptions& o = r.options();
  const int64_t H = r.hidden_size(), D = o.bidirectional ? 2 : 1;
  int64_t T = x.size(0), B = 1;
  if (x.dim() == 3) {
    T = o.batch_first ? x.size(1) : x.size(0);
    B = o.batch_first ? x.size(0) : x.size(1);
  }
  int64_t per_step = 0;
  for (int64_t l = 0; l < o.num_layers; ++l) {
    for (int64_t d = 0; d < D; ++d) {
      const Tensor& w = r.weight_ih(l, d);  // (G*H, in_l)
      per_step += 2 * w.size(0) * (w.size(1) + H) + per_unit(r.mode()) * H;
    }
  }
  return T * B * per_step;
}

int64_t cell(const nn::RNNCellBase& c, RNNMode mode, const Tensor& x) {
  const int64_t B = x.dim() == 2 ? x.size(0) : 1, H = c.hidden_size();
  return B * (2 * c.weight_ih.size(0) * (c.input_size() + H) + per_unit(mode) * H);
}

std::vector<Entry> builtin_counters() {
  using nn::Module;
  auto elementwise = [](const Module&, const Tensor&, const Tensor& y) { return numel(y); };
  auto zero = [](const Module&, const Tensor&, const Tensor&) { return int64_t{0}; };
  std::vector<Entry> e;
  e.push_back(entry<nn::Linear>(
      [](const nn::Linear& m, const Tensor&, const Tensor& y) { return 2 * m.in_features() * numel(y); }));
  e.push_back(entry<nn::Conv2d>([](const nn::Conv2d& m, const Tensor&, const Tensor& y) {
    const Tensor& w = m.weight;  // (out, in / groups, kH, kW)
    return 2 * w.size(1) * w.size(2) * w.size(3) * numel(y);
  }));
  // Every input pixel scatters into kH x kW outputs for each of its group's output channels.
  e.push_back(entry<nn::ConvTranspose2d>([](const nn::ConvTranspose2d& m, const Tensor& x, const Tensor&) {
    const Tensor& w = m.weight;  // (in, out / groups, kH, kW)
    return 2 * w.size(1) * w.size(2) * w.size(3) * numel(x);
  }));
  // Bilinear: 4 taps, 3 multiply-adds per output; nearest copies.
  e.push_back(entry<nn::Upsample>([](const nn::Upsample& m, const Tensor&, const Tensor& y) {
    return m.options().mode == "bilinear" ? kBilinearFlopsPerOutput * numel(y) : int64_t{0};
  }));
  // The std over the batch (about 4 flops per input element), one mean, and the copy into the output.
  e.push_back(entry<nn::MinibatchStdDev>([](const nn::MinibatchStdDev&, const Tensor& x, const Tensor&) {
    return kMinibatchStdFlopsPerElement * numel(x);
  }));
  e.push_back(entry<nn::BatchNormBase>([](const nn::BatchNormBase& m, const Tensor&, const Tensor& y) {
    return (kBatchNormFlopsPerElement - (m.weight.defined() ? 0 : 2)) * numel(y);
  }));
  e.push_back(entry<nn::LayerNorm>([](const nn::LayerNorm& m, const Tensor&, const Tensor& y) {
    return (kLayerNormFlopsPerElement - (m.weight.defined() ? 0 : 2)) * numel(y);
  }));
  for (auto is : std::vector<std::function<bool(const Module&)>>{
           [](const Module& m) { return dynamic_cast<const nn::ReLU*>(&m) != nullptr; },
           [](const Module& m) { return dynamic_cast<const nn::LeakyReLU*>(&m) != nullptr; },
           [](const Module& m) { return dynamic_cast<const nn::Sigmoid*>(&m) != nullptr; },
           [](const Module& m) { return dynamic_cast<const nn::Tanh*>(&m) != nullptr; },
           [](const Module& m) { return dynamic_cast<const nn::GELU*>(&m) != nullptr; },
           [](const Module& m) { return dynamic_cast<const nn::SinusoidalPositionalEncoding*>(&m) != nullptr; },
           [](const Module& m) { return dynamic_cast<const nn::LearnedPositionalEncoding*>(&m) != nullptr; },
           // The residual add of a BasicBlock (its convolutions, norms and ReLUs are children).
           [](const Module& m) { return dynamic_cast<const nn::BasicBlock*>(&m) != nullptr; }}) {
    e.push_back({is, elementwise});
  }
  auto softmax = [](const Module&, const Tensor&, const Tensor& y) { return kSoftmaxFlopsPerElement * numel(y); };
  e.push_back({[](const Module& m) { return dynamic_cast<const nn::Softmax*>(&m) != nullptr; }, softmax});
  e.push_back({[](const Module& m) { return dynamic_cast<const nn::LogSoftmax*>(&m) != nullptr; }, softmax});
  e.push_back(entry<nn::MaxPool2d>([](const nn::MaxPool2d& m, const Tensor&, const Tensor& y) {
    return m.kernel_size()[0] * m.kernel_size()[1] * numel(y);
  }));
  e.push_back(entry<nn::AvgPool2d>([](const nn::AvgPool2d& m, const Tensor&, const Tensor& y) {
    return m.kernel_size()[0] * m.kernel_size()[1] * numel(y);
  }));
  e.push_back(entry<nn::AdaptiveAvgPool2d>(
      [](const nn::AdaptiveAvgPool2d&, const Tensor& x, const Tensor&) { return numel(x); }));
  // Dropout multiplies by its mask in training only.
  e.push_back(entry<nn::Dropout>(
      [](const nn::Dropout& m, const Tensor&, const Tensor& y) { return m.is_training() ? numel(y) : 0; }));
  for (auto is : std::vector<std::function<bool(const Module&)>>{
           [](const Module& m) { return dynamic_cast<const nn::Embedding*>(&m) != nullptr; },
           [](const Module& m) { return dynamic_cast<const nn::Flatten*>(&m) != nullptr; },
           [](const Module& m) { return dynamic_cast<const nn::Unflatten*>(&m) != nullptr; },
           [](const Module& m) { return dynamic_cast<const nn::Autoencoder*>(&m) != nullptr; },
           [](const Module& m) { return dynamic_cast<const nn::VAE*>(&m) != nullptr; },
           [](const Module& m) { return dynamic_cast<const nn::GAN*>(&m) != nullptr; },
           [](const Module& m) { return dynamic_cast<const nn::Sequential*>(&m) != nullptr; },
           [](const Module& m) { return dynamic_cast<const nn::ModuleList*>(&m) != nullptr; },
           [](const Module& m) { return dynamic_cast<const nn::ModuleDict*>(&m) != nullptr; }}) {
    e.push_back({is, zero});
  }
  e.push_back(entry<nn::RNNBase>([](const nn::RNNBase& m, const Tensor& x, const Tensor&) { return recurrent(m, x); }));
  e.push_back(entry<nn::RNNCell>(
      [](const nn::RNNCell& m, const Tensor& x, const Tensor&) { return cell(m, RNNMode::RNNTanh, x); }));
  e.push_back(entry<nn::LSTMCell>(
      [](const nn::LSTMCell& m, const Tensor& x, const Tensor&) { return cell(m, RNNMode::LSTM, x); }));
  e.push_back(entry<nn::GRUCell>(
      [](const nn::GRUCell& m, const Tensor& x, const Tensor&) { return cell(m, RNNMode::GRU, x); }));
  // Attention: out_proj / c_attn / c_proj are child Linears and count themselves.
  e.push_back(entry<nn::MultiheadAttention>(
      [](const nn::MultiheadAttention& m, const Tensor& x, const Tensor&) { return mha_self_attention(m, x); }));
  e.push_back(entry<nn::CausalSelfAttention>([](const nn::CausalSelfAttention& m, const Tensor& x, const Tensor&) {
    return attention_core(x.size(0), m.nhead(), x.size(1), x.size(1), m.d_model());
  }));
  e.push_back(entry<nn::GPTMLP>([](const nn::GPTMLP& m, const Tensor& x, const Tensor&) {
    return numel(x) / x.size(-1) * m.c_fc->out_features();  // the GELU between c_fc and c_proj
  }));
  e.push_back(entry<nn::GPTBlock>(
      [](const nn::GPTBlock&, const Tensor&, const Tensor& y) { return 2 * numel(y); }));  // two residual adds
  // Its self-attention is called through forward(q, k, v, ...), so counted here; the activation is functional.
  e.push_back(entry<nn::TransformerEncoderLayer>([](const nn::TransformerEncoderLayer& m, const Tensor& x,
                                                    const Tensor& y) { return encoder_layer_own(m, x, y); }));
  // Its layers run through forward(src, mask), past their hooks: their own work is counted here (their Linear
  // and LayerNorm children still run through operator() and count themselves). Every layer keeps the shape.
  e.push_back(entry<nn::TransformerEncoder>([](const nn::TransformerEncoder& m, const Tensor& x, const Tensor&) {
    int64_t f = 0;
    for (const nn::ModulePtr& l : *m.layers)
      f += encoder_layer_own(static_cast<const nn::TransformerEncoderLayer&>(*l), x, x);
    return f;
  }));
  return e;
}

struct Registry {
  std::mutex mu;
  std::vector<Entry> entries = builtin_counters();
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_flops_counter(std::function<bool(const nn::Module&)> matches, FlopsCounter counter) {
  STRATA_CHECK(matches && counter, "[register_flops_counter] the matcher and the counter must be set");
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.entries.push_back({std::move(matches), std::move(counter)});
}

namespace detail {

FlopsCounter find_flops_counter(const nn::Module& m) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (auto it = r.entries.rbegin(); it != r.entries.rend(); ++it) {
    if (it->matches(m)) return it->count;
  }
  return nullptr;
}

}  // namespace detail

}  // namespace strata::diag
