// Model summary: one forward pass with a hook on every module, recording each one's output shape, FLOPs and
// output bytes.
#include "strata/diag/summary.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "diag/flops.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/ops/creation.h"

namespace strata::diag {

namespace {

void count_params(const nn::Module& m, int64_t& total, int64_t& trainable) {
  total = 0;
  trainable = 0;
  for (const Tensor& p : m.parameters()) {
    if (!p.defined()) continue;
    total += p.numel();
    if (p.requires_grad()) trainable += p.numel();
  }
}

int64_t bytes_of(const Tensor& t) { return t.numel() * static_cast<int64_t>(t.itemsize()); }

// What the hooks record during the pass; row 0 is the model itself.
struct Trace {
  struct Row {
    nn::Module* module = nullptr;
    bool leaf = false;
    FlopsCounter counter;
    int64_t own_flops = 0;  // outside its children
  };
  std::vector<Row> rows;
  std::vector<LayerSummary> layers;  // parallel to rows
  std::vector<Tensor> outputs;       // kept alive, so that a storage seen twice is the same allocation
  std::unordered_set<const void*> storages;
  int64_t activation_bytes = 0;
  std::vector<std::string> uncounted;

  void record(size_t i, const nn::Module& m, const Tensor& in, const Tensor& out) {
    LayerSummary& l = layers[i];
    Row& r = rows[i];
    if (l.calls++ == 0 && out.defined()) l.output_shape = out.shape();
    l.traced = true;
    if (!out.defined()) return;
    l.activation_bytes += bytes_of(out);
    if (storages.insert(out.storage().get()).second) activation_bytes += bytes_of(out);
    outputs.push_back(out);
    if (r.counter) {
      r.own_flops += r.counter(m, in, out);
    } else if (r.leaf && std::find(uncounted.begin(), uncounted.end(), l.type) == uncounted.end()) {
      uncounted.push_back(l.type);
    }
  }
};

// Removes the hooks it holds when the pass ends, also by an exception.
struct HookGuard {
  std::vector<nn::HookHandle> handles;
  ~HookGuard() {
    for (nn::HookHandle& h : handles) h.remove();
  }
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

  Trace trace;
  std::unordered_map<std::string, size_t> row_of;
  for (const auto& [name, m] : model.named_modules()) {
    LayerSummary l;
    l.name = name;
    l.type = m->type_name();
    l.depth = static_cast<int>(std::count(name.begin(), name.end(), '.'));
    count_params(*m, l.params, l.trainable_params);
    row_of[name] = trace.rows.size();
    trace.rows.push_back({m.get(), m->named_children().empty(), detail::find_flops_counter(*m), 0});
    trace.layers.push_back(std::move(l));
  }

  const bool was_training = model.is_training();
  model.eval();  // batch norm must not update its running statistics; dropout off
  try {
    HookGuard guard;
    for (size_t i = 0; i < trace.rows.size(); ++i) {
      guard.handles.push_back(
          trace.rows[i].module->register_forward_hook([&trace, i](nn::Module& m, const Tensor& in, const Tensor& out) {
            trace.record(i, m, in, out);
            return Tensor();
          }));
    }
    NoGradGuard no_grad;
    Tensor x = zeros(input_shape, TensorOptions().with_dtype(dtype));
    trace.storages.insert(x.storage().get());  // views of the input are not activations
    s.output_shape = model(x).shape();
  } catch (const Error& e) {
    model.train(was_training);
    STRATA_FAIL("[summary] forward of ", s.model_type, " on an input of shape ", input_shape, " failed: ", e.what());
  }
  model.train(was_training);

  // A module's FLOPs are its own plus its children's: add each row into its parent, deepest rows first.
  for (size_t i = trace.rows.size(); i-- > 0;) {
    LayerSummary& l = trace.layers[i];
    l.flops += trace.rows[i].own_flops;
    if (i == 0) break;
    const size_t dot = l.name.rfind('.');
    trace.layers[row_of.at(dot == std::string::npos ? "" : l.name.substr(0, dot))].flops += l.flops;
  }
  s.flops = trace.layers[0].flops;
  s.activation_bytes = trace.activation_bytes;
  s.uncounted_types = std::move(trace.uncounted);
  s.layers.assign(std::make_move_iterator(trace.layers.begin() + 1), std::make_move_iterator(trace.layers.end()));
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
  std::vector<std::string> c0{"Layer (type)"}, c1{"Output shape"}, c2{"Param #"}, c3{"Trainable"}, c4{"FLOPs"},
      c5{"Output bytes"};
  for (const LayerSummary& l : layers) {
    c0.push_back(std::string(2 * static_cast<size_t>(l.depth), ' ') + l.name + " (" + l.type + ")");
    c1.push_back(l.traced ? l.output_shape.str() + (l.calls > 1 ? " x" + std::to_string(l.calls) : "") : "-");
    c2.push_back(format_count(l.params));
    c3.push_back(format_count(l.trainable_params));
    c4.push_back(l.flops ? format_count(l.flops) : "-");
    c5.push_back(l.traced ? format_bytes(l.activation_bytes) : "-");
  }
  auto width = [](const std::vector<std::string>& c) {
    size_t w = 0;
    for (const auto& s : c) w = std::max(w, s.size());
    return w;
  };
  const size_t w0 = width(c0) + 2, w1 = width(c1) + 2, w2 = width(c2), w3 = width(c3) + 2, w4 = width(c4) + 2,
               w5 = width(c5) + 2;
  const size_t total = w0 + w1 + w2 + w3 + w4 + w5;
  std::ostringstream os;
  os << model_type << " on input " << input_shape.str() << "\n";
  os << std::string(total, '=') << "\n";
  for (size_t i = 0; i < c0.size(); ++i) {
    os << pad_right(c0[i], w0) << pad_right(c1[i], w1) << pad_left(c2[i], w2) << pad_left(c3[i], w3)
       << pad_left(c4[i], w4) << pad_left(c5[i], w5) << "\n";
    if (i == 0) os << std::string(total, '-') << "\n";
  }
  os << std::string(total, '=') << "\n";
  os << "Output shape: " << output_shape.str() << "\n";
  os << "Total params: " << format_count(total_params) << "  (trainable " << format_count(trainable_params)
     << ", non-trainable " << format_count(total_params - trainable_params) << ")\n";
  os << "Forward FLOPs (GEMM/conv MACs x 2, 1 per element for elementwise ops): " << format_flops(flops) << " ("
     << format_count(flops) << ")\n";
  if (!uncounted_types.empty()) {
    os << "FLOPs not counted for: ";
    for (size_t i = 0; i < uncounted_types.size(); ++i) os << (i ? ", " : "") << uncounted_types[i];
    os << "\n";
  }
  os << "Parameter memory: " << format_bytes(param_bytes) << "; buffers: " << format_bytes(buffer_bytes) << "\n";
  os << "Activation memory for one forward pass (what training keeps for backward, roughly): "
     << format_bytes(activation_bytes) << "\n";
  return os.str();
}

}  // namespace strata::diag
