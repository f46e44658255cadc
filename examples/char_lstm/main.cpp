// Character-level language model: Embedding -> 2-layer LSTM (or GRU) -> Linear, trained with Adam and
// gradient clipping on the fortunes corpus (or any text file). Prints the validation loss after every epoch
// and, whenever it improves, a sample drawn with temperature and top-k. See README.md.
//
//   build/examples/char_lstm [--cell lstm|gru] [--text FILE] [--epochs 6] [--steps 150] ...
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

// Embedding(V, E) -> LSTM/GRU(E, H, layers, batch_first) -> Linear(H, V). State is (h, c) for the LSTM, (h) for
// the GRU (c stays undefined).
class CharRNN : public nn::Module {
 public:
  CharRNN(const std::string& cell, int64_t vocab, int64_t embed, int64_t hidden, int64_t layers, double dropout,
          Generator* gen)
      : lstm_(cell == "lstm") {
    emb = register_module("emb", std::make_shared<nn::Embedding>(vocab, embed, std::nullopt, kFloat32, gen));
    nn::RNNOptions o{.num_layers = layers, .batch_first = true, .dropout = dropout, .gen = gen};
    if (lstm_)
      rnn = register_module("rnn", std::static_pointer_cast<nn::RNNBase>(std::make_shared<nn::LSTM>(embed, hidden, o)));
    else
      rnn = register_module("rnn", std::static_pointer_cast<nn::RNNBase>(std::make_shared<nn::GRU>(embed, hidden, o)));
    head = register_module("head", std::make_shared<nn::Linear>(hidden, vocab, true, kFloat32, gen));
  }
  std::string type_name() const override { return "CharRNN"; }

  // x: (B, T) int64 -> logits (B, T, V), from zero states.
  Tensor forward(const Tensor& x) override { return (*head)((*rnn)((*emb)(x))); }

  // One chunk with carried state: x (1, T) -> logits of the last position (1, V); h, c updated.
  Tensor step(const Tensor& x, Tensor& h, Tensor& c) {
    Tensor e = (*emb)(x);
    Tensor out;
    if (lstm_) {
      nn::LSTMOutput r = std::static_pointer_cast<nn::LSTM>(rnn)->forward(e, h, c);
      out = r.output, h = r.h_n, c = r.c_n;
    } else {
      nn::RNNOutput r = std::static_pointer_cast<nn::GRU>(rnn)->forward(e, h);
      out = r.output, h = r.h_n;
    }
    return (*head)(out.select(1, out.size(1) - 1));
  }

  std::shared_ptr<nn::Embedding> emb;
  std::shared_ptr<nn::RNNBase> rnn;
  std::shared_ptr<nn::Linear> head;

 private:
  bool lstm_;
};

// Feeds `prompt`, then draws `len` characters one at a time (temperature, top-k).
std::string sample(CharRNN& model, const data::CharVocab& vocab, const std::string& prompt, int64_t len,
                   double temperature, int64_t top_k, Generator& gen) {
  NoGradGuard no_grad;
  model.eval();
  Tensor h, c;
  Tensor logits = model.step(vocab.encode(prompt).reshape({1, -1}), h, c);
  std::string out = prompt;
  for (int64_t i = 0; i < len; ++i) {
    Tensor id = sample_logits(logits, temperature, top_k, &gen);  // (1)
    out += vocab.character(id.item<int64_t>());
    logits = model.step(id.reshape({1, 1}), h, c);
  }
  model.train();
  return out;
}

}  // namespace

namespace {

int run(int argc, char** argv) {
  examples::Args args(argc, argv, {"cell",        "text",  "epochs",      "steps",     "batch",
                                   "seq",         "embed", "hidden",      "layers",    "dropout",
                                   "lr",          "clip",  "temperature", "top-k",     "sample-len",
                                   "val-windows", "seed",  "prompt",      "precision", "no-loss-scaling"});
  if (args.help()) {
    std::cout << "usage: char_lstm [--cell lstm|gru] [--text FILE] [--epochs 6] [--steps 150 (per epoch)]\n"
                 "  [--batch 32] [--seq 64] [--embed 64] [--hidden 256] [--layers 2] [--dropout 0] [--lr 0.002]\n"
                 "  [--clip 1.0] [--temperature 0.8] [--top-k 10] [--sample-len 200] [--val-windows 128]\n"
                 "  [--seed 1] [--prompt TEXT] [--precision fp32|bf16|fp16] [--no-loss-scaling]\n";
    return 2;
  }
  const std::string cell = args.str("cell", "lstm");
  if (cell != "lstm" && cell != "gru") {
    std::cerr << "--cell must be lstm or gru\n";
    return 2;
  }
  const int64_t epochs = args.integer("epochs", 6), steps = args.integer("steps", 150), B = args.integer("batch", 32),
                T = args.integer("seq", 64), val_windows = args.integer("val-windows", 128);
  const double clip = args.real("clip", 1.0), temperature = args.real("temperature", 0.8);
  const int64_t top_k = args.integer("top-k", 10), sample_len = args.integer("sample-len", 200);
  Generator gen(static_cast<uint64_t>(args.integer("seed", 1)));

  examples::CharCorpus corpus = examples::CharCorpus::load(args.str("text", ""));
  const int64_t V = corpus.vocab.size();
  std::cout << "corpus: " << corpus.text.size() << " characters, vocabulary " << V << ", train "
            << corpus.train_ids.size() << ", validation " << corpus.val_ids.size() << "\n";

  CharRNN model(cell, V, args.integer("embed", 64), args.integer("hidden", 256), args.integer("layers", 2),
                args.real("dropout", 0.0), &gen);
  optim::AdamOptions ao;
  ao.lr = args.real("lr", 2e-3);
  optim::Adam opt(model.parameters(), ao);
  std::cout << cell << " model: " << model.num_parameters() << " parameters; " << epochs << " epochs of " << steps
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
