#pragma once
// Model summaries: run one forward pass on an input of a given shape (under NoGradGuard, in eval mode) and
// report, for each layer, its output shape and parameter count, plus totals, the forward FLOPs of its Linear
// and Conv2d layers and the memory its parameters and buffers take.
//
//   auto s = diag::summarize(*model, {1, 1, 28, 28});
//   std::cout << s.to_string();          // the table
//   s.total_params, s.flops, ...
//
// Sequential children and ResNet BasicBlocks are traced layer by layer; other composite modules report their
// own output shape, and their children appear with their parameter counts only.
#include <cstdint>
#include <string>
#include <vector>

#include "strata/core/dtype.h"
#include "strata/core/shape.h"
#include "strata/nn/module.h"

namespace strata::diag {

struct LayerSummary {
  std::string name;  // dotted key as in state_dict ("features.0", "1.conv1")
  std::string type;  // type_name(): "Conv2d"
  int depth = 0;     // 0 for the model's direct children
  bool traced = false;
  Shape output_shape;            // meaningful when traced
  int64_t params = 0;            // all parameters of this module and its descendants
  int64_t trainable_params = 0;  // those with requires_grad
  int64_t flops = 0;             // forward FLOPs of this module (descendants included), MACs x 2
};

struct ModelSummary {
  std::string model_type;
  Shape input_shape;
  Shape output_shape;
  std::vector<LayerSummary> layers;  // in registration order, parents before their children
  int64_t total_params = 0;
  int64_t trainable_params = 0;
  // Forward FLOPs for one pass over input_shape (the batch dim included), counting Linear and Conv2d
  // multiply-accumulates as 2 FLOPs each; other layers are not counted.
  int64_t flops = 0;
  int64_t param_bytes = 0;   // parameters' storage (numel x itemsize)
  int64_t buffer_bytes = 0;  // buffers' storage (running statistics, ...)

  // A printable table, one row per layer, then the totals.
  std::string to_string() const;
};

// model: any module with a single-tensor forward. input_shape: the full input shape, batch included
// (e.g. {1, 1, 28, 28}). The input is zeros of `dtype`; the model's training flag is restored afterwards and
// its parameters and buffers are left unchanged. A forward that fails is rethrown with the input shape named.
ModelSummary summarize(nn::Module& model, const Shape& input_shape, DType dtype = kFloat32);

// "1,234,567"
std::string format_count(int64_t n);
// "241.04 KiB"
std::string format_bytes(int64_t bytes);
// "1.23 MFLOPs"
std::string format_flops(int64_t flops);

}  // namespace strata::diag
