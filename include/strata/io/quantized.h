#pragma once
// model.int8.safetensors: a model whose layers nn::quantize_dynamic / quantize_static replaced (nn/quantized.h).
// Each quantized layer at path P stores its int8 weights as I8 entries "P.weight" (LSTM / GRU: "P.weight_ih_l0",
// ...), their per-channel scales "P.weight_scale" (F32), biases "P.bias" (F32) and, if static, "P.input_scale"
// (F32, 1) and "P.input_zero_point" (I64, 1). Every other parameter and buffer is stored in float under its
// state_dict key. The metadata entry "strata.quantization" holds JSON naming each quantized layer with the float
// type it replaces and its mode: {"format": 1, "modules": {"0": {"type": "Conv2d", "mode": "static"}, ...}}.
#include <string>

#include "strata/io/safetensors.h"
#include "strata/nn/module.h"

namespace strata::io {

inline constexpr const char* kQuantizationKey = "strata.quantization";

// Writes `model` (with its quantized layers) atomically; `metadata` is added beside kQuantizationKey.
void save_quantized(const std::string& path, nn::Module& model, const Metadata& metadata = {});

// True when the file's header has kQuantizationKey (reads the header only through load; small files).
bool is_quantized_file(const std::string& path);

// Turns `model`, the float model the quantized one was made from (built from the same config; its weights are not
// used), into the stored quantized model: replaces the layers the metadata names and loads every entry strictly.
// A file without the metadata, a layer the model lacks or of another type, or a missing / unexpected / misshapen
// entry is an error naming the file and the entry.
void load_quantized(const std::string& path, nn::Module& model);

}  // namespace strata::io
