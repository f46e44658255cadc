// Dynamic quantized LSTM / GRU, and the passes that swap float layers for quantized ones
// (see include/strata/nn/quantized.h).
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "kernels/cpu/qgemm.h"
#include "kernels/cpu/rnn_cell.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/nn/quantized.h"
#include "strata/nn/transfer.h"

namespace strata::nn {

namespace kc = kernels::cpu;

struct QuantizedRNN::Slot {
  Int8Weight w_ih, w_hh;
  std::vector<float> b_ih, b_hh;  // empty without bias
  std::shared_ptr<kc::QPackedWeights> p_ih, p_hh;
};

namespace {

std::vector<float> to_vector(const Tensor& t) {
  if (!t.defined()) return {};
  Tensor c = t.detach().contiguous();
  STRATA_CHECK(c.dtype() == kFloat32, "[quantize] expected a float32 tensor, got ", c.dtype());
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

Tensor to_tensor(const std::vector<float>& v) {
  Tensor t = Tensor::empty(Shape{static_cast<int64_t>(v.size())}, kFloat32);
  std::copy(v.begin(), v.end(), t.data_ptr<float>());
  return t;
}

std::shared_ptr<kc::QPackedWeights> pack_weight(const Int8Weight& w) {
  return std::make_shared<kc::QPackedWeights>(
      kc::qgemm_pack_weights(w.values.data(), w.shape[0], w.shape[1], w.shape[1]));
}

// y (M, N) = dequant(quant(x) W^T) + b with x's own (per call) activation parameters.
void dynamic_matmul(const float* x, int64_t M, int64_t K, const kc::QPackedWeights& w, const std::vector<float>& scale,
                    const std::vector<float>& bias, float* y, std::vector<uint8_t>& q, const std::string& who) {
  float lo = 0, hi = 0;
  kc::min_max(x, M * K, lo, hi);
  STRATA_CHECK(std::isfinite(lo) && std::isfinite(hi), "[", who, "] input holds nan or inf; it cannot be quantized");
  const kc::QParams p = kc::choose_qparams_u8(lo, hi);
  q.resize(static_cast<size_t>(M * K));
  kc::quantize_u8(x, M * K, p, q.data());
  kc::qgemm_u8s8(M, q.data(), K, p.zero_point, p.scale, w, scale.data(), bias.empty() ? nullptr : bias.data(), y, w.n);
}

std::string slot_suffix(int64_t layer, int64_t dir) {
  return "_l" + std::to_string(layer) + (dir == 1 ? "_reverse" : "");
}

}  // namespace

QuantizedRNN::QuantizedRNN(const RNNBase& rnn)
    : QuantizedModule(QuantMode::Dynamic),
      rnn_mode_(rnn.mode()),
      input_size_(rnn.input_size()),
      hidden_size_(rnn.hidden_size()),
      opts_(rnn.options()) {
  STRATA_CHECK(rnn_mode_ == RNNMode::LSTM || rnn_mode_ == RNNMode::GRU,
               "[QuantizedRNN] only LSTM and GRU are quantized, got ", rnn.type_name());
  const int64_t D = opts_.bidirectional ? 2 : 1;
  for (int64_t l = 0; l < opts_.num_layers; ++l) {
    for (int64_t d = 0; d < D; ++d) {
      Slot s;
      s.w_ih = Int8Weight::quantize(rnn.weight_ih(l, d));
      s.w_hh = Int8Weight::quantize(rnn.weight_hh(l, d));
      s.b_ih = to_vector(rnn.bias_ih(l, d));
      s.b_hh = to_vector(rnn.bias_hh(l, d));
      slots_.push_back(std::move(s));
    }
  }
  pack();
}

QuantizedRNN::~QuantizedRNN() = default;

void QuantizedRNN::pack() {
  for (Slot& s : slots_) {
    s.p_ih = pack_weight(s.w_ih);
    s.p_hh = pack_weight(s.w_hh);
  }
}

std::string QuantizedRNN::float_type() const { return rnn_mode_ == RNNMode::LSTM ? "LSTM" : "GRU"; }
std::string QuantizedRNN::type_name() const { return "Quantized" + float_type(); }

std::string QuantizedRNN::extra_repr() const {
  std::ostringstream os;
  os << input_size_ << ", " << hidden_size_;
  if (opts_.num_layers != 1) os << ", num_layers=" << opts_.num_layers;
  if (opts_.batch_first) os << ", batch_first=True";
  if (opts_.bidirectional) os << ", bidirectional=True";
  os << ", mode=dynamic";
  return os.str();
}

Tensor QuantizedRNN::forward(const Tensor& x) { return forward(x, Tensor(), Tensor()).output; }

LSTMOutput QuantizedRNN::forward(const Tensor& x, const Tensor& h0, const Tensor& c0) {
  const std::string nm = type_name();
  const bool lstm = rnn_mode_ == RNNMode::LSTM;
  check_inference(x);
  STRATA_CHECK(x.defined() && x.dtype() == kFloat32, "[", nm, "] expected a float32 input");
  STRATA_CHECK(x.device().is_cpu(), "[", nm, "] quantized layers run on the CPU, got an input on ", x.device().str());
  STRATA_CHECK((x.dim() == 2 || x.dim() == 3) && x.size(-1) == input_size_, "[", nm, "] expected input of shape ",
               opts_.batch_first ? "(B, T, " : "(T, B, ", input_size_, ") or unbatched (T, ", input_size_, "), got ",
               x.shape());
  STRATA_CHECK(lstm || !c0.defined(), "[", nm, "] c0 is only for LSTM");
  const int64_t L = opts_.num_layers, D = opts_.bidirectional ? 2 : 1, H = hidden_size_;
  const int64_t G = rnn_gate_count(rnn_mode_);
  const bool unbatched = x.dim() == 2;
  Tensor xs = (unbatched ? x.unsqueeze(1) : (opts_.batch_first ? x.transpose(0, 1) : x)).contiguous();
  const int64_t T = xs.size(0), B = xs.size(1);
  const Shape hshape = unbatched ? Shape{L * D, H} : Shape{L * D, B, H};
  auto state = [&](const Tensor& s, const char* what) {
    std::vector<float> v(static_cast<size_t>(L * D * B * H), 0.0f);
    if (!s.defined()) return v;
    check_inference(s);
    STRATA_CHECK(s.device().is_cpu(), "[", nm, "] quantized layers run on the CPU, got ", what, " on ",
                 s.device().str());
    STRATA_CHECK(s.shape() == hshape && s.dtype() == kFloat32, "[", nm, "] expected ", what, " of shape ", hshape,
                 " (float32), got ", s.shape(), " (input ", x.shape(), ")");
    return to_vector(s);
  };
  const std::vector<float> h0v = state(h0, "h0"), c0v = lstm ? state(c0, "c0") : std::vector<float>();

  std::vector<float> layer_in(xs.data_ptr<float>(), xs.data_ptr<float>() + xs.numel());
  std::vector<float> hn(static_cast<size_t>(L * D * B * H)), cn(lstm ? hn.size() : 0);
  std::vector<float> gx, gh(static_cast<size_t>(B * G * H)), gates(static_cast<size_t>(B * 4 * H)),
      save(static_cast<size_t>(B * 4 * H)), h(static_cast<size_t>(B * H)), h_new(h.size()), c(h.size()),
      c_new(h.size());
  std::vector<uint8_t> q;
  int64_t in_size = input_size_;
  for (int64_t l = 0; l < L; ++l) {
    std::vector<float> out(static_cast<size_t>(T * B * D * H));
    for (int64_t d = 0; d < D; ++d) {
      const int64_t k = l * D + d;
      const Slot& s = slots_[static_cast<size_t>(k)];
      // The layer input once per batch (every time step at once), the hidden state once per step.
      gx.resize(static_cast<size_t>(T * B * G * H));
      dynamic_matmul(layer_in.data(), T * B, in_size, *s.p_ih, s.w_ih.scale, s.b_ih, gx.data(), q, nm);
      std::copy(h0v.begin() + k * B * H, h0v.begin() + (k + 1) * B * H, h.begin());
      if (lstm) std::copy(c0v.begin() + k * B * H, c0v.begin() + (k + 1) * B * H, c.begin());
      for (int64_t step = 0; step < T; ++step) {
        const int64_t t = d == 1 ? T - 1 - step : step;
        dynamic_matmul(h.data(), B, H, *s.p_hh, s.w_hh.scale, s.b_hh, gh.data(), q, nm);
        const float* gxt = gx.data() + t * B * G * H;
        if (lstm) {
          for (int64_t i = 0; i < B * 4 * H; ++i) gates[static_cast<size_t>(i)] = gxt[i] + gh[static_cast<size_t>(i)];
          kc::lstm_cell_forward<float>(gates.data(), c.data(), c_new.data(), h_new.data(), B, H);
          std::swap(c, c_new);
        } else {
          kc::gru_cell_forward<float>(gxt, gh.data(), h.data(), save.data(), h_new.data(), B, H);
        }
        std::swap(h, h_new);
        for (int64_t b = 0; b < B; ++b) {
          std::copy(h.begin() + b * H, h.begin() + (b + 1) * H, out.begin() + ((t * B + b) * D + d) * H);
        }
      }
      std::copy(h.begin(), h.end(), hn.begin() + k * B * H);
      if (lstm) std::copy(c.begin(), c.end(), cn.begin() + k * B * H);
    }
    layer_in = std::move(out);
    in_size = D * H;
  }
  auto tensor = [](const std::vector<float>& v, const Shape& shape) {
    Tensor t = Tensor::empty(shape, kFloat32);
    std::copy(v.begin(), v.end(), t.data_ptr<float>());
    return t;
  };
  LSTMOutput r;
  Tensor out = tensor(layer_in, Shape{T, B, D * H});
  r.output = unbatched ? out.squeeze(1) : (opts_.batch_first ? out.transpose(0, 1).contiguous() : out);
  r.h_n = tensor(hn, hshape);
  if (lstm) r.c_n = tensor(cn, hshape);
  return r;
}

QuantizedEntries QuantizedRNN::entries() const {
  QuantizedEntries e;
  const int64_t D = opts_.bidirectional ? 2 : 1;
  for (int64_t l = 0; l < opts_.num_layers; ++l) {
    for (int64_t d = 0; d < D; ++d) {
      const Slot& s = slots_[static_cast<size_t>(l * D + d)];
      const std::string sfx = slot_suffix(l, d);
      e.int8.emplace_back("weight_ih" + sfx, s.w_ih);
      e.int8.emplace_back("weight_hh" + sfx, s.w_hh);
      e.floats.insert("weight_ih" + sfx + "_scale", to_tensor(s.w_ih.scale));
      e.floats.insert("weight_hh" + sfx + "_scale", to_tensor(s.w_hh.scale));
      if (!s.b_ih.empty()) {
        e.floats.insert("bias_ih" + sfx, to_tensor(s.b_ih));
        e.floats.insert("bias_hh" + sfx, to_tensor(s.b_hh));
      }
    }
  }
  return e;
}

void QuantizedRNN::load_entries(const QuantizedEntries& e, const std::string& context) {
  const int64_t D = opts_.bidirectional ? 2 : 1;
  auto weight = [&](const std::string& name, Int8Weight& w) {
    const Int8Weight* found = nullptr;
    for (const auto& [k, v] : e.int8) {
      if (k == name) found = &v;
    }
    STRATA_CHECK(found, context, ": missing int8 entry \"", name, "\"");
    STRATA_CHECK(found->shape == w.shape, context, ": int8 entry \"", name, "\" has shape ", Shape(found->shape),
                 ", the layer needs ", Shape(w.shape));
    STRATA_CHECK(e.floats.contains(name + "_scale"), context, ": missing entry \"", name, "_scale\"");
    std::vector<float> scale = to_vector(e.floats.at(name + "_scale"));
    STRATA_CHECK(scale.size() == w.scale.size(), context, ": \"", name, "_scale\" has ", scale.size(),
                 " values, the layer needs ", w.scale.size());
    w.values = found->values;
    w.scale = std::move(scale);
  };
  auto bias = [&](const std::string& name, std::vector<float>& b) {
    if (b.empty()) return;
    STRATA_CHECK(e.floats.contains(name), context, ": missing entry \"", name, "\"");
    std::vector<float> v = to_vector(e.floats.at(name));
    STRATA_CHECK(v.size() == b.size(), context, ": \"", name, "\" has ", v.size(), " values, the layer needs ",
                 b.size());
    b = std::move(v);
  };
  for (int64_t l = 0; l < opts_.num_layers; ++l) {
    for (int64_t d = 0; d < D; ++d) {
      Slot& s = slots_[static_cast<size_t>(l * D + d)];
      const std::string sfx = slot_suffix(l, d);
      weight("weight_ih" + sfx, s.w_ih);
      weight("weight_hh" + sfx, s.w_hh);
      bias("bias_ih" + sfx, s.b_ih);
      bias("bias_hh" + sfx, s.b_hh);
    }
  }
  pack();
}

// ---- The passes ----

namespace {

// The quantized version of `m` in `mode`, or null with the reason in `why`.
ModulePtr make_quantized(const Module& m, QuantMode mode, ActQParams act, std::string& why) {
  if (const auto* lin = dynamic_cast<const Linear*>(&m)) return std::make_shared<QuantizedLinear>(*lin, mode, act);
  if (const auto* conv = dynamic_cast<const Conv2d*>(&m)) {
    if (conv->groups() != 1) {
      why = "groups=" + std::to_string(conv->groups()) + " (only groups=1 is quantized)";
      return nullptr;
    }
    return std::make_shared<QuantizedConv2d>(*conv, mode, act);
  }
  if (const auto* rnn = dynamic_cast<const RNNBase*>(&m)) {
    if (rnn->mode() != RNNMode::LSTM && rnn->mode() != RNNMode::GRU) {
      why = "only LSTM and GRU are quantized";
      return nullptr;
    }
    if (mode != QuantMode::Dynamic) {
      why = "recurrent layers are quantized dynamically only";
      return nullptr;
    }
    return std::make_shared<QuantizedRNN>(*rnn);
  }
  why = m.type_name() + " has no quantized version";
  return nullptr;
}

bool is_a(const Module& m, bool conv, bool linear, bool rnn) {
  return (linear && dynamic_cast<const Linear*>(&m)) || (conv && dynamic_cast<const Conv2d*>(&m)) ||
         (rnn && dynamic_cast<const RNNBase*>(&m));
}

void swap_in(Module& model, const std::string& path, const Module& m, QuantMode mode, ActQParams act,
             QuantizeReport& report) {
  if (path.empty()) {
    report.skipped.emplace_back("(root)", "the model itself is a " + m.type_name() + "; wrap it in a Sequential");
    return;
  }
  std::string why;
  ModulePtr q = make_quantized(m, mode, act, why);
  if (!q) {
    report.skipped.emplace_back(path, why);
    return;
  }
  try {
    replace_module(model, path, q);
  } catch (const Error& e) {
    report.skipped.emplace_back(path, e.what());
    return;
  }
  report.quantized.emplace_back(path, q->type_name() + " (" + quant_mode_name(mode) + ")");
}

}  // namespace

std::string QuantizeReport::to_string() const {
  std::ostringstream os;
  for (const auto& [p, what] : quantized) os << "  " << p << ": " << what << "\n";
  for (const auto& [p, why] : skipped) os << "  " << p << ": kept in float32 (" << why << ")\n";
  return os.str();
}

QuantizeReport quantize_dynamic(Module& model) {
  QuantizeReport report;
  for (const auto& [path, m] : model.named_modules()) {
    if (is_a(*m, /*conv=*/false, /*linear=*/true, /*rnn=*/true))
      swap_in(model, path, *m, QuantMode::Dynamic, {}, report);
  }
  return report;
}

QuantizeReport quantize_static(Module& model, const std::vector<Tensor>& calibration) {
  STRATA_CHECK(!calibration.empty(),
               "[quantize_static] no calibration batches (static quantization needs at least "
               "one to fix the activation ranges)");
  struct Range {
    float lo = 0, hi = 0;
    bool seen = false;
  };
  const auto modules = model.named_modules();
  std::map<std::string, Range> ranges;
  std::vector<HookHandle> hooks;
  for (const auto& [path, m] : modules) {
    if (!is_a(*m, true, true, false)) continue;
    Range* r = &ranges[path];
    hooks.push_back(m->register_forward_pre_hook([r](Module&, const Tensor& x) {
      Tensor c = x.detach().contiguous();
      if (c.dtype() != kFloat32 || c.numel() == 0) return Tensor();
      float lo = 0, hi = 0;
      kc::min_max(c.data_ptr<float>(), c.numel(), lo, hi);
      STRATA_CHECK(std::isfinite(lo) && std::isfinite(hi),
                   "[quantize_static] a calibration batch gives a layer "
                   "input holding nan or inf");
      r->lo = r->seen ? std::min(r->lo, lo) : lo;
      r->hi = r->seen ? std::max(r->hi, hi) : hi;
      r->seen = true;
      return Tensor();
    }));
  }
  const bool was_training = model.is_training();
  model.eval();
  try {
    NoGradGuard ng;
    for (const Tensor& x : calibration) model(x);
  } catch (...) {
    for (HookHandle& h : hooks) h.remove();
    model.train(was_training);
    throw;
  }
  for (HookHandle& h : hooks) h.remove();

  QuantizeReport report;
  for (const auto& [path, m] : modules) {
    auto it = ranges.find(path);
    if (it == ranges.end()) continue;
    if (!it->second.seen) {
      report.skipped.emplace_back(path, "not reached by the calibration batches");
      continue;
    }
    const kc::QParams p = kc::choose_qparams_u8(it->second.lo, it->second.hi);
    swap_in(model, path, *m, QuantMode::Static, {p.scale, p.zero_point}, report);
  }
  return report;
}

void quantize_modules(Module& model, const std::map<std::string, QuantMode>& plan) {
  const auto modules = model.named_modules();
  for (const auto& [path, mode] : plan) {
    auto it = std::find_if(modules.begin(), modules.end(), [&](const auto& kv) { return kv.first == path; });
    STRATA_CHECK(it != modules.end() && !path.empty(), "[quantize] the model has no layer \"", path, "\"");
    std::string why;
    ModulePtr q = make_quantized(*it->second, mode, {}, why);
    STRATA_CHECK(q, "[quantize] layer \"", path, "\" (", it->second->type_name(), ") cannot be quantized ",
                 quant_mode_name(mode), "ally: ", why);
    replace_module(model, path, q);
  }
}

}  // namespace strata::nn
