#pragma once
// Post-training int8 quantization for inference (docs/quantization.md), as PyTorch's torch.ao.quantization:
//   weights     int8, symmetric, one scale per output channel (w = scale[o] * q, q in [-127, 127])
//   activations uint8, asymmetric (x = scale * (q - zero_point)), per tensor: from each batch's min/max
//               (dynamic) or fixed from calibration batches (static)
// The products run in int32 (kernels/cpu/qgemm.h) and are dequantized to float32 in the GEMM's epilogue, so a
// quantized layer takes and returns float32 tensors and sits between float layers unchanged.
// Quantized layers are inference-only: they hold no parameters (int8 weights, scales and biases are module-owned
// arrays, not Tensors), and an input that requires grad is an error. Their state_dict() is empty; their stored
// form is QuantizedEntries (io::save_quantized writes them to model.int8.safetensors).
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "strata/nn/conv.h"
#include "strata/nn/linear.h"
#include "strata/nn/module.h"
#include "strata/nn/rnn.h"

namespace strata::kernels::cpu {
struct QPackedWeights;
}

namespace strata::nn {

enum class QuantMode { Dynamic, Static };
const char* quant_mode_name(QuantMode mode);                                     // "dynamic" / "static"
QuantMode quant_mode_from(const std::string& name, const std::string& context);  // error naming context

// Per-tensor uint8 activation parameters: x = scale * (q - zero_point).
struct ActQParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// An int8 weight with one scale per output channel (the first dim of shape).
struct Int8Weight {
  std::vector<int64_t> shape;  // the float weight's shape: (out, in) or (out, in, kH, kW)
  std::vector<int8_t> values;  // row-major
  std::vector<float> scale;    // (out)
  // Quantizes a float32 weight per output channel.
  static Int8Weight quantize(const Tensor& w);
  // The float weight it stands for (scale[o] * q), for tests and error measurements.
  Tensor dequantize() const;
};

// A quantized module's stored form, names relative to the module: int8 weights, and float tensors (the weight
// scales as "<weight>_scale", biases, and for static layers "input_scale" (1) and "input_zero_point" (1, int64)).
struct QuantizedEntries {
  std::vector<std::pair<std::string, Int8Weight>> int8;
  StateDict floats;
};

// The base of the quantized layers.
class QuantizedModule : public Module {
 public:
  QuantMode mode() const { return mode_; }
  // The float layer's type ("Linear") that this one replaces.
  virtual std::string float_type() const = 0;
  virtual QuantizedEntries entries() const = 0;
  // Replaces weights, scales, biases and activation parameters by stored ones; a missing entry or a shape that
  // differs from this layer's is an error naming `context` and the entry.
  virtual void load_entries(const QuantizedEntries& e, const std::string& context) = 0;
  // int8 weights + float scales and biases, in bytes (what the file holds for this layer).
  int64_t stored_bytes() const;

 protected:
  explicit QuantizedModule(QuantMode mode) : mode_(mode) {}
  void check_inference(const Tensor& x) const;  // an input that requires grad is an error
  QuantMode mode_;
};

// The common part of QuantizedLinear and QuantizedConv2d: an int8 weight with per-output-channel scales, a float
// bias, the input's activation parameters (static mode) and the weight packed for the int8 GEMM.
class QuantizedWeightLayer : public QuantizedModule {
 public:
  ~QuantizedWeightLayer() override;
  QuantizedEntries entries() const override;
  void load_entries(const QuantizedEntries& e, const std::string& context) override;

  const Int8Weight& weight() const { return weight_; }
  const ActQParams& input_qparams() const { return act_; }

 protected:
  // Quantizes `weight`; static mode uses `act` for the input (ignored for dynamic).
  QuantizedWeightLayer(QuantMode mode, const Tensor& weight, const Tensor& bias, ActQParams act);
  Int8Weight weight_;
  std::vector<float> bias_;  // empty without bias
  ActQParams act_;
  std::shared_ptr<kernels::cpu::QPackedWeights> packed_;
};

// y = x W^T + b with int8 W. x: (..., in) float32 -> (..., out) float32.
class QuantizedLinear : public QuantizedWeightLayer {
 public:
  QuantizedLinear(const Linear& linear, QuantMode mode, ActQParams act = {});
  std::string type_name() const override { return "QuantizedLinear"; }
  std::string float_type() const override { return "Linear"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;

 private:
  int64_t in_, out_;
};

// Conv2d (groups 1) as im2col + int8 GEMM. x: (N, C, H, W) float32 -> (N, out, H_out, W_out) float32.
class QuantizedConv2d : public QuantizedWeightLayer {
 public:
  QuantizedConv2d(const Conv2d& conv, QuantMode mode, ActQParams act = {});  // error for groups != 1
  std::string type_name() const override { return "QuantizedConv2d"; }
  std::string float_type() const override { return "Conv2d"; }
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;

 private:
  int64_t in_, out_;
  Size2 kernel_, stride_, dilation_, pad_begin_, pad_end_;  // pad_end differs for "same" with an even kernel
};

// Dynamic quantized LSTM / GRU: int8 weights per output channel; the layer input quantized once per batch and
// the hidden state once per time step. Same shapes and options as nn::LSTM / nn::GRU (dropout is not applied:
// inference only).
class QuantizedRNN : public QuantizedModule {
 public:
  explicit QuantizedRNN(const RNNBase& rnn);  // LSTM or GRU; an error for RNN (tanh / relu)
  ~QuantizedRNN() override;
  std::string type_name() const override;  // "QuantizedLSTM" / "QuantizedGRU"
  std::string float_type() const override;
  std::string extra_repr() const override;
  Tensor forward(const Tensor& x) override;  // the output sequence from zero states
  // h0, c0 as nn::LSTM (undefined = zeros); c0 and c_n only for LSTM.
  LSTMOutput forward(const Tensor& x, const Tensor& h0, const Tensor& c0);
  QuantizedEntries entries() const override;
  void load_entries(const QuantizedEntries& e, const std::string& context) override;

 private:
  struct Slot;
  void pack();
  RNNMode rnn_mode_;
  int64_t input_size_, hidden_size_;
  RNNOptions opts_;
  std::vector<Slot> slots_;  // layer * D + direction
};

// What quantize_* did: the quantized modules' paths with "<Type> (<mode>)", and the layers left in float32
// with the reason.
struct QuantizeReport {
  std::vector<std::pair<std::string, std::string>> quantized;
  std::vector<std::pair<std::string, std::string>> skipped;
  std::string to_string() const;
};

// Replaces every Linear, LSTM and GRU below `model` by its dynamic quantized version, in place (as PyTorch's
// quantize_dynamic). `model` itself is never replaced; call it on a container.
QuantizeReport quantize_dynamic(Module& model);

// Runs `calibration` batches (inputs that model(x) accepts) through the model in eval mode, records the input
// range of every Conv2d and Linear with forward pre-hooks, then replaces them by static quantized versions with
// those activation parameters. An empty calibration list is an error.
QuantizeReport quantize_static(Module& model, const std::vector<Tensor>& calibration);

// Replaces the modules at `plan`'s paths by quantized versions of their kind and mode, for loading stored
// entries into (placeholder weights come from the float modules). An unknown path or a layer that cannot be
// quantized is an error naming it.
void quantize_modules(Module& model, const std::map<std::string, QuantMode>& plan);

}  // namespace strata::nn
