// Quantized layers and the quantize_dynamic / quantize_static passes (see include/strata/nn/quantized.h).
#include "strata/nn/quantized.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "kernels/cpu/qgemm.h"
#include "kernels/cpu/rnn_cell.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/nn/transfer.h"
#include "strata/ops/creation.h"

namespace strata::nn {

namespace kc = kernels::cpu;

const char* quant_mode_name(QuantMode mode) { return mode == QuantMode::Dynamic ? "dynamic" : "static"; }

QuantMode quant_mode_from(const std::string& name, const std::string& context) {
  if (name == "dynamic") return QuantMode::Dynamic;
  if (name == "static") return QuantMode::Static;
  STRATA_FAIL(context, ": quantization mode must be \"dynamic\" or \"static\", got \"", name, "\"");
}

namespace {

int64_t numel_of(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Tensor float_tensor(const std::vector<float>& v) {
  Tensor t = Tensor::empty(Shape{static_cast<int64_t>(v.size())}, kFloat32);
  std::copy(v.begin(), v.end(), t.data_ptr<float>());
  return t;
}

std::vector<float> float_vector(const Tensor& t) {
  if (!t.defined()) return {};
  Tensor c = t.detach().contiguous();
  STRATA_CHECK(c.dtype() == kFloat32, "[quantize] expected a float32 tensor, got ", c.dtype());
  const float* p = c.data_ptr<float>();
  return std::vector<float>(p, p + c.numel());
}

// A contiguous float32 view of x's data that is safe to read (checked finite: a NaN has no quantized value).
Tensor float_input(const Tensor& x, const std::string& who) {
  STRATA_CHECK(x.defined(), "[", who, "] undefined input");
  STRATA_CHECK(x.dtype() == kFloat32, "[", who, "] quantized layers take float32 input, got ", x.dtype());
  STRATA_CHECK(x.device().is_cpu(), "[", who, "] quantized layers run on the CPU, got an input on ", x.device().str());
  return x.contiguous();
}

ActQParams dynamic_qparams(const float* x, int64_t n, const std::string& who) {
  float lo = 0, hi = 0;
  kc::min_max(x, n, lo, hi);
  STRATA_CHECK(std::isfinite(lo) && std::isfinite(hi), "[", who, "] input holds nan or inf; it cannot be quantized");
  const kc::QParams p = kc::choose_qparams_u8(lo, hi);
  return {p.scale, p.zero_point};
}

std::shared_ptr<kc::QPackedWeights> pack_weight(const Int8Weight& w) {
  const int64_t out = w.shape[0], k = numel_of(w.shape) / std::max<int64_t>(out, 1);
  return std::make_shared<kc::QPackedWeights>(kc::qgemm_pack_weights(w.values.data(), out, k, k));
}

// x (M, K) float -> y (M, N) = dequant(quant(x) W^T) + bias. act == nullptr: per-call (dynamic) parameters.
void quantized_matmul(const float* x, int64_t M, int64_t K, const ActQParams* act, const kc::QPackedWeights& w,
                      const std::vector<float>& w_scale, const std::vector<float>& bias, float* y,
                      const std::string& who) {
  const ActQParams p = act ? *act : dynamic_qparams(x, M * K, who);
  thread_local std::vector<uint8_t> q;
  q.resize(static_cast<size_t>(M * K));
  kc::quantize_u8(x, M * K, {p.scale, p.zero_point}, q.data());
  kc::qgemm_u8s8(M, q.data(), K, p.zero_point, p.scale, w, w_scale.data(), bias.empty() ? nullptr : bias.data(), y,
                 w.n);
}

const Int8Weight& find_int8(const QuantizedEntries& e, const std::string& name, const std::string& ctx) {
  for (const auto& [k, w] : e.int8) {
    if (k == name) return w;
  }
  STRATA_FAIL(ctx, ": missing int8 entry \"", name, "\"");
}

// Replaces `w` by the stored entry `name` (+ "<name>_scale"), which must have w's shape.
void load_weight(const QuantizedEntries& e, const std::string& name, Int8Weight& w, const std::string& ctx) {
  const Int8Weight& s = find_int8(e, name, ctx);
  STRATA_CHECK(s.shape == w.shape, ctx, ": int8 entry \"", name, "\" has shape ", Shape(s.shape), ", the layer needs ",
               Shape(w.shape));
  const std::vector<float> scale = float_vector(e.floats.at(name + "_scale"));
  STRATA_CHECK(scale.size() == static_cast<size_t>(w.shape[0]), ctx, ": \"", name, "_scale\" has ", scale.size(),
               " values, the layer has ", w.shape[0], " output channels");
  for (float v : scale) STRATA_CHECK(std::isfinite(v) && v > 0, ctx, ": \"", name, "_scale\" holds ", v);
  w.values = s.values;
  w.scale = scale;
}

void load_bias(const QuantizedEntries& e, const std::string& name, std::vector<float>& bias, const std::string& ctx) {
  if (bias.empty()) {
    STRATA_CHECK(!e.floats.contains(name), ctx, ": unexpected entry \"", name, "\" (the layer has no bias)");
    return;
  }
  STRATA_CHECK(e.floats.contains(name), ctx, ": missing entry \"", name, "\"");
  std::vector<float> b = float_vector(e.floats.at(name));
  STRATA_CHECK(b.size() == bias.size(), ctx, ": \"", name, "\" has ", b.size(), " values, the layer needs ",
               bias.size());
  bias = std::move(b);
}

void export_act(const ActQParams& act, StateDict& out) {
  out.insert("input_scale", float_tensor({act.scale}));
  Tensor zp = Tensor::empty(Shape{1}, kInt64);
  zp.data_ptr<int64_t>()[0] = act.zero_point;
  out.insert("input_zero_point", zp);
}

ActQParams load_act(const QuantizedEntries& e, const std::string& ctx) {
  STRATA_CHECK(e.floats.contains("input_scale") && e.floats.contains("input_zero_point"), ctx,
               ": a static layer needs \"input_scale\" and \"input_zero_point\"");
  const Tensor& s = e.floats.at("input_scale");
  const Tensor& z = e.floats.at("input_zero_point");
  STRATA_CHECK(s.numel() == 1 && s.dtype() == kFloat32 && z.numel() == 1 && z.dtype() == kInt64, ctx,
               ": input_scale must be one float32 and input_zero_point one int64");
  ActQParams a{s.contiguous().data_ptr<float>()[0], static_cast<int32_t>(z.contiguous().data_ptr<int64_t>()[0])};
  STRATA_CHECK(std::isfinite(a.scale) && a.scale > 0 && a.zero_point >= 0 && a.zero_point <= 255, ctx, ": input_scale ",
               a.scale, " / input_zero_point ", a.zero_point, " out of range");
  return a;
}

}  // namespace

Int8Weight Int8Weight::quantize(const Tensor& w) {
  STRATA_CHECK(w.defined() && w.dim() >= 1 && w.size(0) > 0, "[quantize] expected a weight with output channels");
  Tensor c = w.detach().contiguous();
  STRATA_CHECK(c.dtype() == kFloat32, "[quantize] weights must be float32, got ", c.dtype());
  Int8Weight q;
  q.shape = std::vector<int64_t>(c.shape().begin(), c.shape().end());
  const int64_t out = q.shape[0], k = c.numel() / out;
  q.values.resize(static_cast<size_t>(c.numel()));
  q.scale.resize(static_cast<size_t>(out));
  const float* p = c.data_ptr<float>();
  for (int64_t i = 0; i < c.numel(); ++i) {
    STRATA_CHECK(std::isfinite(p[i]), "[quantize] weight holds nan or inf at element ", i);
  }
  kc::quantize_rows_s8(p, out, k, q.values.data(), q.scale.data());
  return q;
}

Tensor Int8Weight::dequantize() const {
  Tensor t = Tensor::empty(Shape(shape), kFloat32);
  float* p = t.data_ptr<float>();
  const int64_t k = numel_of(shape) / shape[0];
  for (int64_t i = 0; i < numel_of(shape); ++i)
    p[i] = scale[static_cast<size_t>(i / k)] * values[static_cast<size_t>(i)];
  return t;
}

int64_t QuantizedModule::stored_bytes() const {
  int64_t n = 0;
  const QuantizedEntries e = entries();
  for (const auto& [k, w] : e.int8) n += static_cast<int64_t>(w.values.size());
  for (const auto& [k, t] : e.floats) n += t.numel() * static_cast<int64_t>(t.itemsize());
  return n;
}

void QuantizedModule::check_inference(const Tensor& x) const {
  STRATA_CHECK(!(GradMode::is_enabled() && x.defined() && x.requires_grad()), "[", type_name(),
               "] quantized layers are inference-only: the input requires grad (run under NoGradGuard, or train the "
               "float model)");
}

// ---- QuantizedLinear ----

QuantizedWeightLayer::QuantizedWeightLayer(QuantMode mode, const Tensor& weight, const Tensor& bias, ActQParams act)
    : QuantizedModule(mode),
      weight_(Int8Weight::quantize(weight)),
      bias_(float_vector(bias)),
      act_(act),
      packed_(pack_weight(weight_)) {}

QuantizedWeightLayer::~QuantizedWeightLayer() = default;

QuantizedEntries QuantizedWeightLayer::entries() const {
  QuantizedEntries e;
  e.int8.emplace_back("weight", weight_);
  e.floats.insert("weight_scale", float_tensor(weight_.scale));
  if (!bias_.empty()) e.floats.insert("bias", float_tensor(bias_));
  if (mode_ == QuantMode::Static) export_act(act_, e.floats);
  return e;
}

void QuantizedWeightLayer::load_entries(const QuantizedEntries& e, const std::string& context) {
  load_weight(e, "weight", weight_, context);
  load_bias(e, "bias", bias_, context);
  if (mode_ == QuantMode::Static) act_ = load_act(e, context);
  packed_ = pack_weight(weight_);
}

QuantizedLinear::QuantizedLinear(const Linear& linear, QuantMode mode, ActQParams act)
    : QuantizedWeightLayer(mode, linear.weight, linear.bias, act),
      in_(linear.in_features()),
      out_(linear.out_features()) {}

std::string QuantizedLinear::extra_repr() const {
  std::ostringstream os;
  os << "in=" << in_ << ", out=" << out_ << ", bias=" << (bias_.empty() ? "False" : "True")
     << ", mode=" << quant_mode_name(mode_);
  if (mode_ == QuantMode::Static) os << ", input_scale=" << act_.scale << ", input_zero_point=" << act_.zero_point;
  return os.str();
}

Tensor QuantizedLinear::forward(const Tensor& x) {
  check_inference(x);
  Tensor xc = float_input(x, type_name());
  STRATA_CHECK(xc.dim() >= 1 && xc.size(-1) == in_, "[QuantizedLinear] expected input (..., ", in_, "), got ",
               xc.shape());
  const int64_t M = xc.numel() / in_;
  std::vector<int64_t> shape(xc.shape().begin(), xc.shape().end());
  shape.back() = out_;
  Tensor y = Tensor::empty(Shape(shape), kFloat32);
  quantized_matmul(xc.data_ptr<float>(), M, in_, mode_ == QuantMode::Static ? &act_ : nullptr, *packed_, weight_.scale,
                   bias_, y.data_ptr<float>(), type_name());
  return y;
}

// ---- QuantizedConv2d ----

QuantizedConv2d::QuantizedConv2d(const Conv2d& conv, QuantMode mode, ActQParams act)
    : QuantizedWeightLayer(mode, conv.weight, conv.bias, act),
      in_(conv.in_channels()),
      out_(conv.out_channels()),
      kernel_(conv.kernel_size()),
      stride_(conv.stride()),
      dilation_(conv.dilation()) {
  STRATA_CHECK(conv.groups() == 1, "[QuantizedConv2d] only groups=1 is quantized, got groups=", conv.groups());
  const Conv2dPadding& p = conv.padding();
  for (size_t i = 0; i < 2; ++i) {
    if (p.mode == "same") {  // PyTorch's rule: the odd extra row / column goes to the bottom / right
      const int64_t total = dilation_[i] * (kernel_[i] - 1);
      pad_begin_[i] = total / 2;
      pad_end_[i] = total - total / 2;
    } else {
      pad_begin_[i] = pad_end_[i] = p.size[i];
    }
  }
}

std::string QuantizedConv2d::extra_repr() const {
  std::ostringstream os;
  os << in_ << ", " << out_ << ", kernel_size=(" << kernel_[0] << ", " << kernel_[1] << "), stride=(" << stride_[0]
     << ", " << stride_[1] << "), mode=" << quant_mode_name(mode_);
  if (mode_ == QuantMode::Static) os << ", input_scale=" << act_.scale << ", input_zero_point=" << act_.zero_point;
  return os.str();
}

Tensor QuantizedConv2d::forward(const Tensor& x) {
  check_inference(x);
  Tensor xc = float_input(x, type_name());
  STRATA_CHECK(xc.dim() == 4 && xc.size(1) == in_, "[QuantizedConv2d] expected input (N, ", in_, ", H, W), got ",
               xc.shape());
  const int64_t N = xc.size(0), H = xc.size(2), W = xc.size(3);
  const int64_t OH = (H + pad_begin_[0] + pad_end_[0] - dilation_[0] * (kernel_[0] - 1) - 1) / stride_[0] + 1;
  const int64_t OW = (W + pad_begin_[1] + pad_end_[1] - dilation_[1] * (kernel_[1] - 1) - 1) / stride_[1] + 1;
  STRATA_CHECK(OH > 0 && OW > 0, "[QuantizedConv2d] input ", xc.shape(), " is smaller than the kernel");
  const float* xp = xc.data_ptr<float>();
  const ActQParams p = mode_ == QuantMode::Static ? act_ : dynamic_qparams(xp, xc.numel(), type_name());

  // Quantize once, then im2col in the kernel's int16 form (q - zero_point; padding is exactly 0). The buffers are
  // per thread and reused (no zero fill: every element is written), and each kernel row's valid column range is
  // computed once instead of testing every element.
  thread_local std::vector<uint8_t> q;
  thread_local std::vector<int16_t> cols;
  thread_local std::vector<float> out;
  q.resize(static_cast<size_t>(xc.numel()));
  kc::quantize_u8(xp, xc.numel(), {p.scale, p.zero_point}, q.data());
  const kc::QPackedWeights& w = *packed_;
  const int64_t rows = N * OH * OW, kh = kernel_[0], kw = kernel_[1];
  cols.resize(static_cast<size_t>(rows * w.k_pad));
  const uint8_t* qp = q.data();
  int16_t* colp = cols.data();
  const int16_t zp = static_cast<int16_t>(p.zero_point);
  const int64_t sh = stride_[0], sw = stride_[1], dh = dilation_[0], dw = dilation_[1];
  const int64_t ph = pad_begin_[0], pw = pad_begin_[1], cin = in_;
#pragma omp parallel for schedule(static) if (rows * w.k_pad > (1 << 15) && !omp_in_parallel())
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t n = r / (OH * OW), oh = (r / OW) % OH, ow = r % OW;
    int16_t* dst = colp + r * w.k_pad;
    // Columns j in [j0, j1) land inside the image for this output column.
    const int64_t iw0 = ow * sw - pw;
    int64_t j0 = 0, j1 = kw;
    while (j0 < kw && iw0 + j0 * dw < 0) ++j0;
    while (j1 > j0 && iw0 + (j1 - 1) * dw >= W) --j1;
    int64_t k = 0;
    for (int64_t c = 0; c < cin; ++c) {
      const uint8_t* plane = qp + (n * cin + c) * H * W;
      for (int64_t i = 0; i < kh; ++i, k += kw) {
        const int64_t ih = oh * sh - ph + i * dh;
        int16_t* d = dst + k;
        if (ih < 0 || ih >= H) {
          std::fill(d, d + kw, int16_t{0});
          continue;
        }
        const uint8_t* row = plane + ih * W;
        for (int64_t j = 0; j < j0; ++j) d[j] = 0;
        for (int64_t j = j0; j < j1; ++j) d[j] = static_cast<int16_t>(row[iw0 + j * dw] - zp);
        for (int64_t j = j1; j < kw; ++j) d[j] = 0;
      }
    }
    std::fill(dst + k, dst + w.k_pad, int16_t{0});
  }
  out.resize(static_cast<size_t>(rows * out_));
  kc::qgemm_f32(rows, cols.data(), w, p.scale, weight_.scale.data(), bias_.empty() ? nullptr : bias_.data(), out.data(),
                out_);
  // (N*OH*OW, out) -> (N, out, OH, OW)
  Tensor y = Tensor::empty(Shape{N, out_, OH, OW}, kFloat32);
  float* yp = y.data_ptr<float>();
  const float* op = out.data();
  const int64_t plane = OH * OW, cout = out_;
#pragma omp parallel for collapse(2) schedule(static) if (rows * cout > (1 << 15) && !omp_in_parallel())
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t o = 0; o < cout; ++o) {
      const float* src = op + n * plane * cout + o;
      float* d = yp + (n * cout + o) * plane;
      for (int64_t s2 = 0; s2 < plane; ++s2) d[s2] = src[s2 * cout];
    }
  }
  return y;
}

}  // namespace strata::nn
