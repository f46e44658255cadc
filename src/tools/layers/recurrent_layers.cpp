// RNN, LSTM and GRU (batch-first, single-tensor forward: nn/recurrent_seq.h) for the model builder.
#include "strata/core/error.h"
#include "strata/nn/recurrent_seq.h"
#include "tools/layers/layers.h"

namespace strata::tools::layers {

namespace {

// input_size: the features of a (T, features) input.
std::optional<int64_t> seq_features(const std::vector<int64_t>& in) {
  if (in.size() != 2) return std::nullopt;
  return in[1];
}

template <class M>
nn::ModulePtr recurrent(const LayerArgs& a) {
  const int64_t input_size = a.size("input_size");
  const int64_t hidden = a.size("hidden_size", "the size of the hidden state");
  nn::RNNOptions opts;
  opts.num_layers = a.int_or("num_layers", 1, 1, 1000);
  opts.bias = a.bool_or("bias", true);
  opts.dropout = a.double_or("dropout", 0.0, 0.0, 0.999);
  opts.bidirectional = a.bool_or("bidirectional", false);
  opts.nonlinearity = a.json().get_or("nonlinearity", "tanh");
  STRATA_CHECK(opts.nonlinearity == "tanh" || opts.nonlinearity == "relu", a.json().at("nonlinearity").where(),
               ": expected \"tanh\" or \"relu\", got \"", opts.nonlinearity, "\"");
  return std::make_shared<M>(input_size, hidden, opts, a.bool_or("return_sequences", false));
}

}  // namespace

void register_recurrent_layers() {
  const InferredArg input_size{"input_size", seq_features,
                               "or give the input shape (T, features) so that it can be inferred"};
  const std::vector<std::string> keys = {"type",    "input_size",    "hidden_size",      "num_layers", "bias",
                                         "dropout", "bidirectional", "return_sequences", "init"};
  std::vector<std::string> rnn_keys = keys;
  rnn_keys.insert(rnn_keys.begin() + 4, "nonlinearity");
  add_builtin({"RNN", rnn_keys, {input_size}, recurrent<nn::RNNSequence>});
  add_builtin({"LSTM", keys, {input_size}, recurrent<nn::LSTMSequence>});
  add_builtin({"GRU", keys, {input_size}, recurrent<nn::GRUSequence>});
}

}  // namespace strata::tools::layers
