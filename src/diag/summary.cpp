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
#include "diag/summary_latency.h"
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
  // Per call, in the order the calls end: the storages of its input and output (for inference liveness).
  std::vector<std::pair<const void*, const void*>> events;

  void record(size_t i, const nn::Module& m, const Tensor& in, const Tensor& out) {
    LayerSummary& l = layers[i];
    Row& r = rows[i];
    if (l.calls++ == 0 && out.defined()) l.output_shape = out.shape();
    l.traced = true;
    if (!out.defined()) return;
    events.emplace_back(in.defined() ? in.storage().get() : nullptr, out.storage().get());
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

// The peak bytes of outputs alive at once when nothing is kept: a storage lives from the call that first outputs
// it to the last call that reads or returns it; the last call's output (the model's) lives to the end.
int64_t inference_peak(const Trace& t, const void* input_storage) {
  struct Life {
    size_t born = 0, last = 0;
    int64_t bytes = 0;
  };
  std::unordered_map<const void*, Life> life;
  for (size_t e = 0; e < t.events.size(); ++e) {
    const auto& [in, out] = t.events[e];
    if (out != input_storage) {
      auto [it, fresh] = life.try_emplace(out);
      if (fresh) it->second.born = e;
      it->second.last = e;
    }
    if (auto it = life.find(in); it != life.end()) it->second.last = e;
  }
  for (const Tensor& o : t.outputs) {
    auto it = life.find(o.storage().get());
    if (it != life.end() && it->second.bytes == 0) it->second.bytes = bytes_of(o);
  }
  int64_t peak = 0;
  for (size_t e = 0; e < t.events.size(); ++e) {
    int64_t live = 0;
    for (const auto& [_, l] : life) live += (l.born <= e && e <= l.last) ? l.bytes : 0;
    peak = std::max(peak, live);
  }
  return peak;
}

std::string pad_right(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }
std::string pad_left(const std::string& s, size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }

}  // namespace

ModelSummary summarize(nn::Module& model, const Shape& input_shape, DType dtype) {
  return summarize(model, input_shape, SummaryOptions{.dtype = dtype});
}

ModelSummary summarize(nn::Module& model, const Shape& input_shape, const SummaryOptions& options) {
  const DType dtype = options.dtype;
  STRATA_CHECK(options.latency_repeats >= 1, "[summary] latency_repeats must be at least 1, got ",
               options.latency_repeats);
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
    s.inference_activation_bytes = inference_peak(trace, x.storage().get());
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
  if (options.latency) {
    std::vector<nn::Module*> modules;
    for (const Trace::Row& r : trace.rows) modules.push_back(r.module);
    detail::time_layers(model, input_shape, options, modules, s);
  }
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

std::string format_ms(double ms) {
  if (ms < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, ms < 10 ? "%.3f" : "%.1f", ms);
  return buf;
}

std::string ModelSummary::to_string() const {
  std::vector<std::vector<std::string>> cols = {{"Layer (type)"}, {"Output shape"}, {"Param #"},
                                                {"Trainable"},    {"FLOPs"},        {"Output bytes"}};
  if (latency) {
    cols.push_back({"Fwd ms"});
    cols.push_back({"Bwd ms"});
  }
  for (const LayerSummary& l : layers) {
    cols[0].push_back(std::string(2 * static_cast<size_t>(l.depth), ' ') + l.name + " (" + l.type + ")");
    cols[1].push_back(l.traced ? l.output_shape.str() + (l.calls > 1 ? " x" + std::to_string(l.calls) : "") : "-");
    cols[2].push_back(format_count(l.params));
    cols[3].push_back(format_count(l.trainable_params));
    cols[4].push_back(l.flops ? format_count(l.flops) : "-");
    cols[5].push_back(l.traced ? format_bytes(l.activation_bytes) : "-");
    if (latency) {
      cols[6].push_back(format_ms(l.forward_ms));
      cols[7].push_back(format_ms(l.backward_ms));
    }
  }
  std::vector<size_t> w;
  size_t total = 0;
  for (size_t c = 0; c < cols.size(); ++c) {
    size_t m = 0;
    for (const auto& x : cols[c]) m = std::max(m, x.size());
    w.push_back(m + (c == 2 ? 0 : 2));
    total += w.back();
  }
  std::ostringstream os;
  os << model_type << " on input " << input_shape.str() << "\n";
  os << std::string(total, '=') << "\n";
  for (size_t i = 0; i < cols[0].size(); ++i) {
    for (size_t c = 0; c < cols.size(); ++c) os << (c < 2 ? pad_right(cols[c][i], w[c]) : pad_left(cols[c][i], w[c]));
    os << "\n";
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
  os << "Activation memory for inference (peak of live outputs, nothing kept): "
     << format_bytes(inference_activation_bytes) << "\n";
  if (latency) {
    os << "Latency (fastest of the repeats, eval mode): forward " << format_ms(forward_ms) << " ms, backward "
       << format_ms(backward_ms) << " ms (per layer: hook to hook, children included)\n";
  }
  return os.str();
}

}  // namespace strata::diag
