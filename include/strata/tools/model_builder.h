#pragma once
// Builds models from JSON (the "model" section of a `strata` config), either as a list of layers with
// PyTorch's constructor arguments or as a named architecture:
//
//   {"layers": [{"type": "Conv2d", "in_channels": 1, "out_channels": 6, "kernel_size": 5, "padding": 2},
//               {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2}, {"type": "Flatten"},
//               {"type": "Linear", "out_features": 10}]}
//   {"architecture": "lenet5"}          {"architecture": "mlp", "hidden": [512, 256]}
//
// The result is an nn::Sequential (children "0", "1", ... so state_dict keys match PyTorch's nn.Sequential).
// When the input shape is known (given here, or as "input_shape" in the spec), the input size arguments
// in_features, in_channels, num_features, normalized_shape and in_planes may be left out: they are taken from
// the shape flowing into the layer. Unknown keys and bad values are strata::Errors naming the key and its
// path in the config ("config.json: key \"model.layers[3].kernel_size\": expected ...").
// "init" (model level, or on a Linear / Conv2d / BasicBlock / Sequential / RNN / LSTM / GRU layer) initialises
// weights and biases once the model is built (tools/init_spec.h). RNN, LSTM and GRU are batch-first layers with a
// single-tensor forward (nn/recurrent_seq.h); input_size is inferred from a (T, features) input shape.
// docs/cli.md lists every layer type and argument; tools/layer_registry.h is where a layer type is declared.
#include <cstdint>
#include <string>
#include <vector>

#include "strata/core/shape.h"
#include "strata/io/json.h"
#include "strata/nn/containers.h"

namespace strata::tools {

// spec: the model object. input_shape: one example's shape without the batch dim (e.g. {1, 28, 28}), or empty
// when unknown (then spec["input_shape"] is used if present). Layers' weights come from the default generator.
std::shared_ptr<nn::Sequential> build_model(const io::Json& spec, const std::vector<int64_t>& input_shape = {});

// One layer from {"type": ..., args...}. in_shape: the shape flowing in (no batch dim), or empty when unknown.
nn::ModulePtr build_layer(const io::Json& layer, const std::vector<int64_t>& in_shape = {});

// A layer list ([{"type": ...}, ...]) as an nn::Sequential, inits applied, starting from `shape` (one example's
// shape without the batch dim, or empty when unknown); `shape` becomes the list's output shape (empty stays
// empty). For models made of several lists (encoder and decoder, generator and discriminator).
std::shared_ptr<nn::Sequential> build_layers(const io::Json& layers, std::vector<int64_t>& shape);

// The layer types build_layer accepts (tools/layer_registry.h), and the named architectures build_model accepts.
std::vector<std::string> layer_types();
const std::vector<std::string>& architectures();

}  // namespace strata::tools
