// A small GPT-style decoder-only transformer (d_model 128, 4 heads, 4 layers, context 128) trained as a
// character-level language model on the fortunes corpus (or any text file), with the same vocabulary and
// validation windows as examples/char_lstm. Prints the validation loss per epoch and samples as it improves.
//
//   build/examples/gpt [--text FILE] [--epochs 6] [--steps 100] [--layers 4] [--d-model 128] ...
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "../common/char_corpus.h"
#include "strata/core/openmp_wait.h"
#include "strata/strata.h"

using namespace strata;
namespace nn = strata::nn;

namespace {

// Token embedding wte (V, d) + learned positions wpe (ctx, d) -> pre-LN GPT blocks -> ln_f -> lm_head (no bias).
// Keys follow nanoGPT's (wte, wpe.weight, h.0.ln_1.weight, ..., lm_head.weight).
class GPT : public nn::Module {
 public:
  GPT(int64_t vocab, int64_t ctx, int64_t d, int64_t heads, int64_t layers, double dropout, Generator* gen)
      : ctx_(ctx) {
    wte = register_parameter("wte", empty({vocab, d}));
    nn::init::normal_(wte, 0.0, 1.0, gen);
    wpe = register_module("wpe", std::make_shared<nn::LearnedPositionalEncoding>(ctx, d, true, kFloat32, gen));
    h = register_module("h", std::make_shared<nn::ModuleList>());
    for (int64_t i = 0; i < layers; ++i)
      h->push_back(std::make_shared<nn::GPTBlock>(d, heads, 4 * d, dropout, true, kFloat32, gen));
    ln_f = register_module("ln_f", std::make_shared<nn::LayerNorm>(std::vector<int64_t>{d}));
    lm_head = register_module("lm_head", std::make_shared<nn::Linear>(d, vocab, false, kFloat32, gen));
  }
  std::string type_name() const override { return "GPT"; }
  int64_t context() const { return ctx_; }

  // idx: (B, T) int64 with T <= context -> logits (B, T, V).
  Tensor forward(const Tensor& idx) override {
    Tensor x = (*wpe)(embedding(wte, idx));
    for (const auto& blk : *h) x = (*blk)(x);
    return (*lm_head)((*ln_f)(x));
  }

  Tensor wte;
  std::shared_ptr<nn::LearnedPositionalEncoding> wpe;
  std::shared_ptr<nn::ModuleList> h;
  std::shared_ptr<nn::LayerNorm> ln_f;
  std::shared_ptr<nn::Linear> lm_head;

 private:
  int64_t ctx_;
};

// Feeds `prompt` and draws `len` characters, each from the logits of the last position of the most recent
// `context` characters (temperature, top-k).
std::string sample(GPT& model, const data::CharVocab& vocab, const std::string& prompt, int64_t len, double temperature,
                   int64_t top_k, Generator& gen) {
  NoGradGuard no_grad;
  model.eval();
  std::vector<int64_t> ids = vocab.encode(prompt).to_vector<int64_t>();
  std::string out = prompt;
  for (int64_t i = 0; i < len; ++i) {
    const int64_t n = std::min<int64_t>(static_cast<int64_t>(ids.size()), model.context());
    std::vector<int64_t> window(ids.end() - n, ids.end());
    Tensor logits = model(from_vector(window, {1, n})).select(1, n - 1);  // (1, V)
    const int64_t id = sample_logits(logits, temperature, top_k, &gen).item<int64_t>();
    ids.push_back(id);
    out += vocab.character(id);
  }
  model.train();
  return out;
}

}  // namespace

namespace {

int run(int argc, char** argv) {
  examples::Args args(
      argc, argv,
      {"text", "epochs", "steps", "batch", "context", "d-model", "heads", "layers", "dropout", "lr", "clip",
       "temperature", "top-k", "sample-len", "val-windows", "seed", "prompt", "precision", "no-loss-scaling"});
  if (args.help()) {
    std::cout << "usage: gpt [--text FILE] [--epochs 6] [--steps 100 (per epoch)] [--batch 16] [--context 128]\n"
                 "  [--d-model 128] [--heads 4] [--layers 4] [--dropout 0] [--lr 0.001] [--clip 1.0]\n"
                 "  [--temperature 0.8] [--top-k 10] [--sample-len 200] [--val-windows 128] [--seed 1]\n"
                 "  [--prompt TEXT] [--precision fp32|bf16|fp16] [--no-loss-scaling]\n";
    return 2;
  }
  const int64_t epochs = args.integer("epochs", 6), steps = args.integer("steps", 100), B = args.integer("batch", 16),
                T = args.integer("context", 128), val_windows = args.integer("val-windows", 128);
  const double clip = args.real("clip", 1.0), temperature = args.real("temperature", 0.8);
  const int64_t top_k = args.integer("top-k", 10), sample_len = args.integer("sample-len", 200);
  Generator gen(static_cast<uint64_t>(args.integer("seed", 1)));
  if (T < examples::CharCorpus::kEvalLen) {
    std::cerr << "--context must be at least " << examples::CharCorpus::kEvalLen << " (the validation window)\n";
    return 2;
  }

  examples::CharCorpus corpus = examples::CharCorpus::load(args.str("text", ""));
  const int64_t V = corpus.vocab.size();
  std::cout << "corpus: " << corpus.text.size() << " characters, vocabulary " << V << ", train "
            << corpus.train_ids.size() << ", validation " << corpus.val_ids.size() << "\n";

  GPT model(V, T, args.integer("d-model", 128), args.integer("heads", 4), args.integer("layers", 4),
            args.real("dropout", 0.0), &gen);
  optim::AdamOptions ao;
  ao.lr = args.real("lr", 1e-3);
  optim::Adam opt(model.parameters(), ao);
  std::cout << "GPT: " << model.num_parameters() << " parameters; " << epochs << " epochs of " << steps
            << " steps, batch " << B << " x " << T << " characters\n";

  examples::LMTraining training;
  training.epochs = epochs;
  training.steps = steps;
  training.batch = B;
  training.seq = T;
  training.val_windows = val_windows;
  training.clip = clip;
  training.precision = train::parse_precision(args.str("precision", "fp32"), "--precision");
  training.loss_scaling = args.str("no-loss-scaling", "0") == "0";
  std::ostringstream header;
  header << "temperature " << temperature << ", top-k " << top_k;
  training.sample_header = header.str();
  const std::string prompt = args.str("prompt", "The ");
  examples::train_language_model(model, opt, corpus, gen, training, [&] {
    return sample(model, corpus.vocab, prompt, sample_len, temperature, top_k, gen);
  });
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  strata::apply_openmp_wait_policy(argv);  // passive OpenMP waiting on a busy machine (docs/performance.md)
  return examples::run_main([&] { return run(argc, argv); });
}
