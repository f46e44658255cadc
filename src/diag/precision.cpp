// fp16 flush counts: per parameter and per layer, the nonzero gradient entries below float16's limits.
#include "strata/diag/precision.h"

#include <cmath>

#include "strata/core/error.h"

namespace strata::diag {

namespace {

void finish(FlushCount& c) {
  const double nz = static_cast<double>(c.nonzero);
  c.flushed_fraction = c.nonzero > 0 ? static_cast<double>(c.flushed) / nz : 0.0;
  c.subnormal_fraction = c.nonzero > 0 ? static_cast<double>(c.subnormal) / nz : 0.0;
}

void add(FlushCount& into, const FlushCount& c) {
  into.numel += c.numel;
  into.nonzero += c.nonzero;
  into.flushed += c.flushed;
  into.subnormal += c.subnormal;
}

}  // namespace

std::vector<FlushCount> fp16_flush_by_parameter(const nn::Module& model, double scale) {
  STRATA_CHECK(scale > 0 && std::isfinite(scale), "[fp16_flush] scale must be a positive number, got ", scale);
  std::vector<FlushCount> out;
  for (const auto& [name, p] : model.named_parameters()) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    FlushCount c;
    c.name = name;
    c.numel = g.numel();
    for (double v : g.to_vector<double>()) {
      if (v == 0) continue;
      ++c.nonzero;
      const double a = std::abs(v * scale);
      if (!std::isfinite(a)) continue;
      c.flushed += a < kFloat16MinSubnormal;
      c.subnormal += a < kFloat16MinNormal;
    }
    finish(c);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<FlushCount> fp16_flush_by_layer(const nn::Module& model, double scale) {
  std::vector<FlushCount> out;
  for (const FlushCount& p : fp16_flush_by_parameter(model, scale)) {
    const size_t dot = p.name.rfind('.');
    const std::string layer = dot == std::string::npos ? "" : p.name.substr(0, dot);
    auto it = out.begin();
    while (it != out.end() && it->name != layer) ++it;
    if (it == out.end()) {
      out.push_back(FlushCount{});
      out.back().name = layer;
      it = out.end() - 1;
    }
    add(*it, p);
  }
  for (FlushCount& c : out) finish(c);
  return out;
}

FlushCount fp16_flush_total(const std::vector<FlushCount>& counts) {
  FlushCount t;
  t.name = "total";
  for (const FlushCount& c : counts) add(t, c);
  finish(t);
  return t;
}

io::Json to_json(const std::vector<FlushCount>& counts) {
  io::Json a = io::Json::array();
  for (const FlushCount& c : counts) {
    io::Json o = io::Json::object();
    o.set("name", c.name);
    o.set("numel", c.numel);
    o.set("nonzero", c.nonzero);
    o.set("flushed", c.flushed);
    o.set("subnormal", c.subnormal);
    o.set("flushed_fraction", c.flushed_fraction);
    o.set("subnormal_fraction", c.subnormal_fraction);
    a.push_back(o);
  }
  return a;
}

}  // namespace strata::diag
