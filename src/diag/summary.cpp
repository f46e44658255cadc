// Model summary: a traced forward pass recording each layer's output shape, parameters and FLOPs.
#include "strata/diag/summary.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/nn/containers.h"
#include "strata/nn/conv.h"
#include "strata/nn/linear.h"
#include "strata/nn/resnet.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"

namespace strata::diag {

namespace {

std::string join_name(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

void count_params(const nn::Module& m, int64_t& total, int64_t& trainable) {
  total = 0;
  trainable = 0;
  for (const Tensor& p : m.parameters()) {
    if (!p.defined()) continue;
    total += p.numel();
    if (p.requires_grad()) trainable += p.numel();
  }
}

// Forward FLOPs of a leaf layer for output y: Linear 2 * in * (y.numel / out); Conv2d 2 * (in / groups) * kH * kW
// per output element (the weight is (out, in / groups, kH, kW)).
int64_t leaf_flops(const nn::Module& m, const Tensor& y) {
  if (const auto* lin = dynamic_cast<const nn::Linear*>(&m)) {
    return 2 * lin->in_features() * y.numel();
  }
  if (const auto* conv = dynamic_cast<const nn::Conv2d*>(&m)) {
    const Tensor& w = conv->weight;
    return 2 * w.size(1) * w.size(2) * w.size(3) * y.numel();
  }
  return 0;
}

class Tracer {
 public:
  explicit Tracer(ModelSummary& s) : s_(s) {}

  // Runs m on x, appending rows for m (unless it is the root) and its descendants.
  Tensor trace(nn::Module& m, const Tensor& x, const std::string& name, int depth, bool root) {
    size_t row = s_.layers.size();
    if (!root) add_row(m, name, depth);
    const int child_depth = root ? 0 : depth + 1;
    int64_t flops_before = s_.flops;
    Tensor y;
    if (auto* seq = dynamic_cast<nn::Sequential*>(&m)) {
      y = x;
      size_t i = 0;
      for (const auto& child : *seq) y = trace(*child, y, join_name(name, std::to_string(i++)), child_depth, false);
    } else if (auto* block = dynamic_cast<nn::BasicBlock*>(&m)) {
      // The same computation as BasicBlock::forward, one child at a time.
      Tensor out = trace(*block->conv1, x, join_name(name, "conv1"), child_depth, false);
      out = trace(*block->bn1, out, join_name(name, "bn1"), child_depth, false);
      out = trace(*block->relu, out, join_name(name, "relu"), child_depth, false);
      out = trace(*block->conv2, out, join_name(name, "conv2"), child_depth, false);
      out = trace(*block->bn2, out, join_name(name, "bn2"), child_depth, false);
      if (block->shortcut) {
        Tensor identity =
            block->downsample ? trace(*block->downsample, x, join_name(name, "downsample"), child_depth, false) : x;
        out = add(out, identity);
      }
      y = block->relu->forward(out);
    } else {
      y = m.forward(x);
      s_.flops += leaf_flops(m, y);
      // Children of a composite we cannot trace: listed with their parameters only.
      for (const auto& [cname, child] : m.named_children()) list_untraced(*child, join_name(name, cname), child_depth);
    }
    if (!root) {
      s_.layers[row].traced = true;
      s_.layers[row].output_shape = y.shape();
      s_.layers[row].flops = s_.flops - flops_before;
    }
    return y;
  }

 private:
  void add_row(const nn::Module& m, const std::string& name, int depth) {
    LayerSummary l;
    l.name = name;
    l.type = m.type_name();
    l.depth = depth;
    count_params(m, l.params, l.trainable_params);
    s_.layers.push_back(std::move(l));
  }
  void list_untraced(const nn::Module& m, const std::string& name, int depth) {
    add_row(m, name, depth);
    for (const auto& [cname, child] : m.named_children()) list_untraced(*child, join_name(name, cname), depth + 1);
  }

  ModelSummary& s_;
};

std::string pad_right(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }
std::string pad_left(const std::string& s, size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }

}  // namespace

ModelSummary summarize(nn::Module& model, const Shape& input_shape, DType dtype) {
  ModelSummary s;
  s.model_type = model.type_name();
  s.input_shape = input_shape;
  count_params(model, s.total_params, s.trainable_params);
  for (const Tensor& p : model.parameters()) {
    if (p.defined()) s.param_bytes += p.numel() * static_cast<int64_t>(p.itemsize());
  }
  for (const Tensor& b : model.buffers()) {
    if (b.defined()) s.buffer_bytes += b.numel() * static_cast<int64_t>(b.itemsize());
  }

  const bool was_training = model.is_training();
  model.eval();  // batch norm must not update its running statistics; dropout off
  try {
    NoGradGuard no_grad;
    Tensor x = zeros(input_shape, TensorOptions().with_dtype(dtype));
    Tracer tracer(s);
    s.output_shape = tracer.trace(model, x, "", 0, true).shape();
  } catch (const Error& e) {
    model.train(was_training);
    STRATA_FAIL("[summary] forward of ", s.model_type, " on an input of shape ", input_shape, " failed: ", e.what());
  }
  model.train(was_training);
  return s;
}

std::string format_count(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string format_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
  }
  return buf;
}

std::string format_flops(int64_t flops) {
  const char* units[] = {"FLOPs", "KFLOPs", "MFLOPs", "GFLOPs", "TFLOPs"};
  double v = static_cast<double>(flops);
  int u = 0;
  while (v >= 1000.0 && u < 4) {
    v /= 1000.0;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%lld FLOPs", static_cast<long long>(flops));
  } else {
    std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
  }
  return buf;
}

std::string ModelSummary::to_string() const {
  std::vector<std::string> c0{"Layer (type)"}, c1{"Output shape"}, c2{"Param #"}, c3{"Trainable"}, c4{"FLOPs"};
  for (const LayerSummary& l : layers) {
    c0.push_back(std::string(2 * static_cast<size_t>(l.depth), ' ') + l.name + " (" + l.type + ")");
    c1.push_back(l.traced ? l.output_shape.str() : "-");
    c2.push_back(format_count(l.params));
    c3.push_back(format_count(l.trainable_params));
    c4.push_back(l.flops ? format_count(l.flops) : "-");
  }
  auto width = [](const std::vector<std::string>& c) {
    size_t w = 0;
    for (const auto& s : c) w = std::max(w, s.size());
    return w;
  };
  const size_t w0 = width(c0) + 2, w1 = width(c1) + 2, w2 = width(c2), w3 = width(c3) + 2, w4 = width(c4) + 2;
  const size_t total = w0 + w1 + w2 + w3 + w4;
  std::ostringstream os;
  os << model_type << " on input " << input_shape.str() << "\n";
  os << std::string(total, '=') << "\n";
  for (size_t i = 0; i < c0.size(); ++i) {
    os << pad_right(c0[i], w0) << pad_right(c1[i], w1) << pad_left(c2[i], w2) << pad_left(c3[i], w3)
       << pad_left(c4[i], w4) << "\n";
    if (i == 0) os << std::string(total, '-') << "\n";
  }
  os << std::string(total, '=') << "\n";
  os << "Output shape: " << output_shape.str() << "\n";
  os << "Total params: " << format_count(total_params) << "  (trainable " << format_count(trainable_params)
     << ", non-trainable " << format_count(total_params - trainable_params) << ")\n";
  os << "Forward FLOPs (Linear/Conv2d, MACs x 2): " << format_flops(flops) << " (" << format_count(flops) << ")\n";
  os << "Parameter memory: " << format_bytes(param_bytes) << "; buffers: " << format_bytes(buffer_bytes) << "\n";
  return os.str();
}

}  // namespace strata::diag
