#pragma once
// An attentional encoder-decoder (Luong et al. 2015, "general" score with input feeding):
//   encoder   Embedding -> bidirectional GRU; the final states of both directions, through a Linear + tanh,
//             start the decoder.
//   decoder   GRUCell over [embedding of the previous token; previous attentional vector];
//             score(h, e_s) = e_s . W_a h over the source positions (padded ones masked out), a = softmax,
//             context = sum_s a_s e_s, attentional vector = tanh(W_c [context; h]), logits = W_o of it.
// Trained with teacher forcing (forward) and decoded greedily (greedy). Header-only so that
// tests/seq2seq can train the same model.
#include <memory>
#include <string>
#include <vector>

#include "strata/strata.h"

namespace examples {

using strata::Tensor;
namespace nn = strata::nn;

// Token ids shared by the source and target vocabularies.
inline constexpr int64_t kPad = 0, kSos = 1, kEos = 2;

struct GreedyResult {
  Tensor tokens;     // (B, steps) int64, kEos then kPad after the end of each output
  Tensor attention;  // (B, steps, S) float, the attention weights of every step
};

class Seq2Seq : public nn::Module {
 public:
  // hidden must be even (each encoder direction has hidden / 2 units).
  Seq2Seq(int64_t src_vocab, int64_t tgt_vocab, int64_t embed, int64_t hidden, strata::Generator* gen)
      : hidden_(hidden) {
    using strata::kFloat32;
    src_emb = register_module("src_emb", std::make_shared<nn::Embedding>(src_vocab, embed, kPad, kFloat32, gen));
    encoder = register_module(
        "encoder", std::make_shared<nn::GRU>(embed, hidden / 2,
                                             nn::RNNOptions{.batch_first = true, .bidirectional = true, .gen = gen}));
    bridge = register_module("bridge", std::make_shared<nn::Linear>(hidden, hidden, true, kFloat32, gen));
    tgt_emb = register_module("tgt_emb", std::make_shared<nn::Embedding>(tgt_vocab, embed, kPad, kFloat32, gen));
    cell = register_module("cell", std::make_shared<nn::GRUCell>(embed + hidden, hidden, true, kFloat32, gen));
    attn_w = register_module("attn_w", std::make_shared<nn::Linear>(hidden, hidden, false, kFloat32, gen));
    combine = register_module("combine", std::make_shared<nn::Linear>(2 * hidden, hidden, false, kFloat32, gen));
    out = register_module("out", std::make_shared<nn::Linear>(hidden, tgt_vocab, true, kFloat32, gen));
  }
  std::string type_name() const override { return "Seq2Seq"; }

  // Teacher forcing. src: (B, S) int64 padded with kPad; tgt_in: (B, T) int64 starting with kSos.
  // Returns logits (B, T, tgt_vocab) for the next token at every position.
  Tensor forward(const Tensor& src, const Tensor& tgt_in) {
    State st = encode(src);
    std::vector<Tensor> logits;
    for (int64_t t = 0; t < tgt_in.size(1); ++t) logits.push_back(step(st, tgt_in.select(1, t), nullptr));
    return strata::stack(logits, 1);
  }

  // Greedy decoding for `steps` tokens (stops early when every row has produced kEos).
  GreedyResult greedy(const Tensor& src, int64_t steps) {
    strata::NoGradGuard no_grad;
    const int64_t B = src.size(0);
    State st = encode(src);
    Tensor prev = strata::full({B}, static_cast<double>(kSos), strata::kInt64);
    std::vector<Tensor> tokens, attention;
    std::vector<bool> done(static_cast<size_t>(B), false);
    for (int64_t t = 0; t < steps; ++t) {
      Tensor a;
      Tensor next = strata::argmax(step(st, prev, &a), 1);  // (B)
      std::vector<int64_t> ids = next.to_vector<int64_t>();
      bool all = true;
      for (int64_t b = 0; b < B; ++b) {
        if (done[static_cast<size_t>(b)]) ids[static_cast<size_t>(b)] = kPad;
        if (ids[static_cast<size_t>(b)] == kEos) done[static_cast<size_t>(b)] = true;
        all = all && done[static_cast<size_t>(b)];
      }
      prev = strata::from_vector(ids, {B});
      tokens.push_back(prev);
      attention.push_back(a);
      if (all) break;
    }
    return {strata::stack(tokens, 1), strata::stack(attention, 1)};
  }

  std::shared_ptr<nn::Embedding> src_emb, tgt_emb;
  std::shared_ptr<nn::GRU> encoder;
  std::shared_ptr<nn::GRUCell> cell;
  std::shared_ptr<nn::Linear> bridge, attn_w, combine, out;

 private:
  struct State {
    Tensor memory;    // (B, S, hidden) encoder outputs
    Tensor pad_mask;  // (B, S) bool, true at padded source positions
    Tensor h;         // (B, hidden) decoder state
    Tensor feed;      // (B, hidden) previous attentional vector (input feeding)
  };

  State encode(const Tensor& src) {
    const int64_t B = src.size(0);
    nn::RNNOutput enc = encoder->forward((*src_emb)(src), Tensor());
    Tensor last = enc.h_n.transpose(0, 1).reshape({B, hidden_});  // [forward final; backward final]
    return {enc.output, strata::eq(src, static_cast<double>(kPad)), strata::tanh((*bridge)(last)),
            strata::zeros({B, hidden_})};
  }

  // One decoder step from the previous tokens prev (B); returns logits (B, V) and, when asked, the attention
  // weights (B, S).
  Tensor step(State& st, const Tensor& prev, Tensor* weights) {
    st.h = cell->forward(strata::cat({(*tgt_emb)(prev), st.feed}, 1), st.h);
    Tensor scores = strata::bmm(st.memory, (*attn_w)(st.h).unsqueeze(2)).squeeze(2);  // (B, S)
    Tensor a = strata::softmax(strata::masked_fill(scores, st.pad_mask, -1e9), 1);
    Tensor context = strata::bmm(a.unsqueeze(1), st.memory).squeeze(1);  // (B, hidden)
    st.feed = strata::tanh((*combine)(strata::cat({context, st.h}, 1)));
    if (weights != nullptr) *weights = a;
    return (*out)(st.feed);
  }

  int64_t hidden_;
};

}  // namespace examples
