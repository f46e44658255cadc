#pragma once
// Model summaries: one forward pass through model(x) on an input of a given shape (under NoGradGuard, in eval
// mode), with a forward hook on every module (all of named_modules(), removed afterwards). It reports, for each
// module, its output shape, parameter count, forward FLOPs and the bytes of its output, plus totals; with
// options.latency, also each module's measured forward and backward time.
//
//   auto s = diag::summarize(*model, {1, 1, 28, 28});
//   std::cout << s.to_string();          // the table
//   s.total_params, s.flops, s.activation_bytes, s.inference_activation_bytes, ...
//   auto t = diag::summarize(*model, {64, 1, 28, 28}, {.latency = true});  // + forward_ms / backward_ms
//
// Any model with a single-tensor forward is traced, as deep as its modules call their children through
// operator() (library composites do: Sequential, BasicBlock, GPTBlock, ...). A module its parent calls through
// forward(...) directly (another signature, e.g. LSTM::forward(x, h0, c0)) is listed with its parameters only.
//
// FLOPs convention (forward pass, batch included; the constants are named below):
//   - GEMMs and convolutions: multiply-accumulates x 2 (Linear 2 * in * out per row, Conv2d
//     2 * (in / groups) * kH * kW per output element, ConvTranspose2d 2 * (out / groups) * kH * kW per input
//     element); bias adds are not counted.
//   - Elementwise ops: 1 FLOP per element and op (ReLU, LeakyReLU, Sigmoid, Tanh, GELU, a residual add,
//     a positional-encoding add), exp/tanh/erf included as 1. Upsample: bilinear kBilinearFlopsPerOutput per
//     output element, nearest 0 (a copy). MinibatchStdDev: kMinibatchStdFlopsPerElement per input element.
//   - Normalisation: kBatchNormFlopsPerElement (eval: subtract, scale, + affine multiply and add),
//     kLayerNormFlopsPerElement (mean, variance, normalise, + affine); softmax: kSoftmaxFlopsPerElement.
//   - Pooling: one FLOP per window element per output (kH * kW); AdaptiveAvgPool2d: one per input element.
//   - Recurrent layers (RNN/LSTM/GRU and their Sequence wrappers), per time step, layer and direction: the gates'
//     GEMMs 2 * G*H * (in + H) per batch row (G*H rows of weight_ih / weight_hh), plus kRNNFlopsPerUnit /
//     kLSTMFlopsPerUnit / kGRUFlopsPerUnit per hidden unit for the nonlinearities and gate products.
//   - Attention (MultiheadAttention through forward(x), CausalSelfAttention, TransformerEncoderLayer): the q/k/v
//     projection when not a child Linear, q k^T and a v as GEMMs over all L x S pairs (masked ones included),
//     and the softmax. TransformerEncoder calls its layers through forward(src, mask), so its row counts them.
//   - Dropout: 0 in eval (the summary's mode); Embedding, Flatten, Unflatten, containers: 0.
// FLOPs are counted where the work happens: a module's own work outside the modules it calls. For a leaf that
// is all of it; a composite's row is its own work (residual adds, attention scores) plus its children's. A leaf
// whose type has no counter adds its type to uncounted_types; register_flops_counter adds one.
//
// Memory (the input and temporaries inside a module's forward are not seen; only module outputs are):
//   - activation_bytes (training): every module output, each storage once. Training keeps (about) these for
//     backward, so this is the activation memory of a training step's forward at this batch.
//   - inference_activation_bytes: the peak of the outputs alive at once when nothing is kept: an output lives
//     from the call that makes it to the last call that reads it (as input or as its own output, e.g. a
//     Sequential returning its last child's), and the model's output to the end. For a chain of layers it is
//     the largest sum of neighbouring outputs; it is never more than activation_bytes.
// Latency (options.latency; a separate timed pass after the traced one, eval mode, `latency_repeats` timed
// repeats after one warm-up, the fastest of each: on a shared CPU, interference
// only ever adds time, and a median still catches it when most repeats are hit):
//   - forward_ms: from a module's forward pre-hook to its forward hook, so it includes its children.
//   - backward_ms: the input of each module is replaced (pre-hook) by a view of it with a gradient hook, and the
//     module's output gets an output-gradient hook; backward_ms is the time from its output's gradient arriving
//     to its input's gradient being complete: the module's own backward nodes (children included) in autograd's
//     order. Where the input needs no gradient (the model's input, integer tokens) the end is that of
//     backward(). The loss is output.sum(). For a chain this splits backward() exactly; for branches
//     (residuals) nodes of the other branch that run in between are included.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "strata/core/dtype.h"
#include "strata/core/shape.h"
#include "strata/core/tensor.h"
#include "strata/nn/module.h"

namespace strata::diag {

// Per element; the normalisations count 2 fewer without their affine weight and bias.
inline constexpr int64_t kBatchNormFlopsPerElement = 4;     // (x - mean) * inv_std, then * weight + bias
inline constexpr int64_t kLayerNormFlopsPerElement = 7;     // mean 1, variance 2, normalise 2, affine 2
inline constexpr int64_t kSoftmaxFlopsPerElement = 3;       // exp, sum, divide (log-softmax: exp, sum, subtract)
inline constexpr int64_t kBilinearFlopsPerOutput = 7;       // 4 taps: 3 multiply-adds and a multiply
inline constexpr int64_t kMinibatchStdFlopsPerElement = 4;  // mean, deviation, square, sum over the batch
// Per hidden unit and time step, besides the gate GEMMs (whose sums and biases, like Linear's bias, are not counted).
inline constexpr int64_t kRNNFlopsPerUnit = 1;   // tanh / relu
inline constexpr int64_t kLSTMFlopsPerUnit = 9;  // 4 gate nonlinearities, c' = f c + i g (3), o tanh(c') (2)
inline constexpr int64_t kGRUFlopsPerUnit = 9;   // r, z (2), n = tanh(x_n + r h_n) (3), (1 - z) n + z h (4)

struct LayerSummary {
  std::string name;              // dotted key as in state_dict ("features.0", "1.conv1")
  std::string type;              // type_name(): "Conv2d"
  int depth = 0;                 // 0 for the model's direct children (the number of dots in name)
  bool traced = false;           // called through operator() during the pass
  int64_t calls = 0;             // how many times (a shared ReLU may run twice)
  Shape output_shape;            // of the first call; meaningful when traced
  int64_t params = 0;            // all parameters of this module and its descendants
  int64_t trainable_params = 0;  // those with requires_grad
  int64_t flops = 0;             // forward FLOPs of this module, descendants included, all calls
  int64_t activation_bytes = 0;  // bytes of its output tensor, summed over its calls
  double forward_ms = -1;        // with options.latency: fastest forward time of a pass, all calls (-1: not measured)
  double backward_ms = -1;       // with options.latency: fastest backward time of a pass, all calls (-1: not measured)
};

struct ModelSummary {
  std::string model_type;
  Shape input_shape;
  Shape output_shape;
  std::vector<LayerSummary> layers;  // in registration order, parents before their children
  int64_t total_params = 0;
  int64_t trainable_params = 0;
  int64_t flops = 0;  // forward FLOPs for one pass over input_shape (the batch dim included), as above
  // Types of traced leaf modules whose FLOPs are not counted (each once, in order of first appearance).
  std::vector<std::string> uncounted_types;
  int64_t param_bytes = 0;   // parameters' storage (numel x itemsize)
  int64_t buffer_bytes = 0;  // buffers' storage (running statistics, ...)
  // Activation memory for one forward pass (what training keeps for backward, roughly): the bytes of every
  // module output, each storage counted once (views such as Flatten's, or a Sequential's output that is its
  // last child's, add nothing), the input excluded. Temporaries inside a module's forward are not seen.
  int64_t activation_bytes = 0;
  // Inference: the peak of module outputs alive at once when nothing is kept for backward (see above).
  int64_t inference_activation_bytes = 0;
  bool latency = false;     // forward_ms / backward_ms measured
  double forward_ms = -1;   // the whole model's forward (fastest pass), with latency
  double backward_ms = -1;  // the whole backward() of output.sum() (fastest pass)

  // A printable table, one row per layer, then the totals.
  std::string to_string() const;
};

// model: any module with a single-tensor forward. input_shape: the full input shape, batch included
// (e.g. {1, 1, 28, 28}). The input is zeros of `dtype`; the model's training flag is restored afterwards and
// its parameters and buffers are left unchanged. A forward that fails is rethrown with the input shape named.
ModelSummary summarize(nn::Module& model, const Shape& input_shape, DType dtype = kFloat32);

struct SummaryOptions {
  DType dtype = kFloat32;   // of the (zero) input
  bool latency = false;     // also time every module's forward and backward (a few more passes)
  int latency_repeats = 5;  // timed repeats (after one warm-up); the fastest is reported
};
ModelSummary summarize(nn::Module& model, const Shape& input_shape, const SummaryOptions& options);

// The forward FLOPs of one call of a module outside the modules it calls itself (for a leaf: all of its work).
// input and output are the call's tensors.
using FlopsCounter = std::function<int64_t(const nn::Module& module, const Tensor& input, const Tensor& output)>;
// Counts the FLOPs of modules for which `matches` holds; a later registration wins over earlier ones (and over
// the built-in counters). For a layer class M:
//   diag::register_flops_counter([](const nn::Module& m) { return dynamic_cast<const M*>(&m) != nullptr; }, fn);
void register_flops_counter(std::function<bool(const nn::Module&)> matches, FlopsCounter counter);

// "1,234,567"
std::string format_count(int64_t n);
// "241.04 KiB"
std::string format_bytes(int64_t bytes);
// "1.23 MFLOPs"
std::string format_flops(int64_t flops);
// "0.123" / "12.3" milliseconds; "-" for a negative (unmeasured) value
std::string format_ms(double ms);

}  // namespace strata::diag
