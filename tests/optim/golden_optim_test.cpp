// PyTorch golden trajectories (tests/golden/optim/optim.bin, written by tests/golden/make_golden_optim.py):
// every optimizer configuration replays 10 steps with PyTorch's gradients, on both the fused and the
// reference path, and every scheduler its 25-step lr (and momentum) sequence.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "strata/optim/adam.h"
#include "strata/optim/lr_scheduler.h"
#include "strata/optim/rmsprop.h"
#include "strata/optim/sgd.h"
#include "strata/strata.h"

using namespace strata;
using namespace strata::optim;

namespace {

class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {
    std::ifstream f(path, std::ios::binary);
    STRATA_CHECK(f.good(), "[golden] cannot open ", path);
    data_.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  template <class T>
  T read() {
    T v;
    need(sizeof(T));
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string str() {
    auto n = read<uint32_t>();
    need(n);
    std::string s(data_.data() + pos_, n);
    pos_ += n;
    return s;
  }
  Options opts() {
    Options o;
    auto n = read<uint32_t>();
    for (uint32_t i = 0; i < n; ++i) {
      std::string k = str();
      o[k] = read<double>();
    }
    return o;
  }
  std::vector<double> doubles(size_t n) {
    std::vector<double> v(n);
    for (double& x : v) x = read<double>();
    return v;
  }
  Tensor tensor() {
    auto code = read<uint8_t>();
    if (code == 255) return Tensor();
    STRATA_CHECK(code == 0, "[golden] ", path_, " offset ", pos_ - 1, ": expected float32, got code ", int(code));
    auto ndim = read<uint32_t>();
    STRATA_CHECK(ndim <= 8, "[golden] ", path_, ": implausible ndim ", ndim);
    Shape shape;
    for (uint32_t i = 0; i < ndim; ++i) shape.push_back(read<int64_t>());
    Tensor t = empty(shape);
    size_t nbytes = static_cast<size_t>(t.numel()) * sizeof(float);
    need(nbytes);
    std::memcpy(t.raw_data(), data_.data() + pos_, nbytes);
    pos_ += nbytes;
    return t;
  }
  bool done() const { return pos_ == data_.size(); }

 private:
  void need(size_t n) { STRATA_CHECK(pos_ + n <= data_.size(), "[golden] ", path_, " truncated at ", pos_); }
  std::string path_;
  std::vector<char> data_;
  size_t pos_ = 0;
};

struct OptimRecord {
  std::string name, kind;
  std::vector<std::pair<Options, uint32_t>> groups;  // options, number of parameters
  TensorList init;
  std::vector<TensorList> grads, after;  // per step, per parameter
};

struct SchedRecord {
  std::string name, kind, optimizer;
  Options args, opt_opts;
  std::vector<double> base_lrs, metrics, lrs, moms;  // lrs/moms: (steps + 1) x groups
};

struct Golden {
  std::vector<OptimRecord> optims;
  std::vector<SchedRecord> scheds;
};

const Golden& golden() {
  static const Golden g = [] {
    Golden out;
    Reader r(std::string(STRATA_TEST_DATA_DIR) + "/golden/optim/optim.bin");
    char magic[8];
    for (char& c : magic) c = r.read<char>();
    STRATA_CHECK(std::memcmp(magic, "STRATAOP", 8) == 0, "[golden] optim.bin: bad magic");
    STRATA_CHECK(r.read<uint32_t>() == 1, "[golden] optim.bin: unsupported version");
    auto n = r.read<uint32_t>();
    for (uint32_t i = 0; i < n; ++i) {
      OptimRecord rec;
      rec.name = r.str();
      rec.kind = r.str();
      auto ng = r.read<uint32_t>();
      for (uint32_t k = 0; k < ng; ++k) {
        Options o = r.opts();
        rec.groups.emplace_back(o, r.read<uint32_t>());
      }
      auto np = r.read<uint32_t>();
      for (uint32_t k = 0; k < np; ++k) rec.init.push_back(r.tensor());
      auto steps = r.read<uint32_t>();
      for (uint32_t s = 0; s < steps; ++s) {
        TensorList gs, as;
        for (uint32_t k = 0; k < np; ++k) gs.push_back(r.tensor());
        for (uint32_t k = 0; k < np; ++k) as.push_back(r.tensor());
        rec.grads.push_back(gs);
        rec.after.push_back(as);
      }
      out.optims.push_back(std::move(rec));
    }
    n = r.read<uint32_t>();
    for (uint32_t i = 0; i < n; ++i) {
      SchedRecord rec;
      rec.name = r.str();
      rec.kind = r.str();
      rec.args = r.opts();
      rec.optimizer = r.str();
      rec.opt_opts = r.opts();
      rec.base_lrs = r.doubles(r.read<uint32_t>());
      auto steps = r.read<uint32_t>();
      rec.metrics = r.doubles(steps);
      rec.lrs = r.doubles((steps + 1) * rec.base_lrs.size());
      rec.moms = r.doubles((steps + 1) * rec.base_lrs.size());
      out.scheds.push_back(std::move(rec));
    }
    STRATA_CHECK(r.done(), "[golden] optim.bin: trailing bytes");
    return out;
  }();
  return g;
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& kind, const std::vector<ParamGroup>& groups) {
  if (kind == "SGD") return std::make_unique<SGD>(groups);
  if (kind == "RMSprop") return std::make_unique<RMSprop>(groups);
  if (kind == "Adam") return std::make_unique<Adam>(groups);
  if (kind == "AdamW") return std::make_unique<AdamW>(groups);
  STRATA_FAIL("unknown optimizer ", kind);
}

// Replays one record; returns the largest |strata - torch| / (atol + rtol |torch|) seen.
double replay(const OptimRecord& rec, bool fused) {
  TensorList params;
  for (const Tensor& t : rec.init) params.push_back(t.clone().requires_grad_());
  std::vector<ParamGroup> groups;
  size_t k = 0;
  for (const auto& [opts, count] : rec.groups) {
    ParamGroup g{{}, opts};
    for (uint32_t i = 0; i < count; ++i) g.params.push_back(params[k++]);
    groups.push_back(g);
  }
  auto opt = make_optimizer(rec.kind, groups);
  opt->set_fused(fused);
  double worst = 0;
  for (size_t s = 0; s < rec.grads.size(); ++s) {
    for (size_t i = 0; i < params.size(); ++i) {
      params[i].zero_grad();
      if (rec.grads[s][i].defined()) params[i].set_grad(rec.grads[s][i].clone());
    }
    opt->step();
    for (size_t i = 0; i < params.size(); ++i) {
      auto got = params[i].to_vector<double>(), want = rec.after[s][i].to_vector<double>();
      for (size_t j = 0; j < got.size(); ++j) {
        double err = std::abs(got[j] - want[j]) / (1e-6 + 1e-5 * std::abs(want[j]));
        EXPECT_LE(err, 1.0) << rec.name << (fused ? " fused" : " reference") << ": step " << s + 1 << " param " << i
                            << " element " << j << ": strata " << got[j] << " vs PyTorch " << want[j];
        worst = std::max(worst, err);
      }
    }
  }
  return worst;
}

}  // namespace

TEST(GoldenOptim, FileHasEveryConfiguration) {
  EXPECT_GE(golden().optims.size(), 14u);
  EXPECT_GE(golden().scheds.size(), 10u);
  for (const auto& r : golden().optims) EXPECT_EQ(r.grads.size(), 10u) << r.name;
}

TEST(GoldenOptim, FusedPathMatchesPyTorch) {
  for (const auto& rec : golden().optims) replay(rec, true);
}

TEST(GoldenOptim, ReferencePathMatchesPyTorch) {
  for (const auto& rec : golden().optims) replay(rec, false);
}

namespace {

std::unique_ptr<Optimizer> sched_optimizer(const SchedRecord& rec, TensorList& params) {
  std::vector<ParamGroup> groups;
  for (size_t i = 0; i < rec.base_lrs.size(); ++i) {
    params.push_back(zeros({2}).requires_grad_());
    Options o = rec.opt_opts;
    o["lr"] = rec.base_lrs[i];
    groups.push_back({{params.back()}, o});
  }
  return make_optimizer(rec.optimizer, groups);
}

double arg(const SchedRecord& rec, const std::string& key, double fallback) {
  auto it = rec.args.find(key);
  return it == rec.args.end() ? fallback : it->second;
}

}  // namespace

TEST(GoldenOptim, SchedulersMatchPyTorch) {
  for (const auto& rec : golden().scheds) {
    SCOPED_TRACE(rec.name);
    TensorList params;
    auto opt = sched_optimizer(rec, params);
    std::unique_ptr<LRScheduler> s;
    std::unique_ptr<ReduceLROnPlateau> plateau;
    const auto& a = rec.args;
    if (rec.kind == "StepLR") {
      s = std::make_unique<StepLR>(*opt, int64_t(a.at("step_size")), a.at("gamma"));
    } else if (rec.kind == "MultiStepLR") {
      std::vector<int64_t> ms;
      for (const auto& [k, v] : a) {
        if (k.rfind("milestone.", 0) == 0) ms.push_back(int64_t(v));
      }
      s = std::make_unique<MultiStepLR>(*opt, ms, a.at("gamma"));
    } else if (rec.kind == "ExponentialLR") {
      s = std::make_unique<ExponentialLR>(*opt, a.at("gamma"));
    } else if (rec.kind == "CosineAnnealingLR") {
      s = std::make_unique<CosineAnnealingLR>(*opt, int64_t(a.at("T_max")), a.at("eta_min"));
    } else if (rec.kind == "LinearLR") {
      s = std::make_unique<LinearLR>(*opt, a.at("start_factor"), a.at("end_factor"), int64_t(a.at("total_iters")));
    } else if (rec.kind == "OneCycleLR") {
      OneCycleOptions o;
      o.total_steps = int64_t(a.at("total_steps"));
      o.pct_start = arg(rec, "pct_start", 0.3);
      o.cos_anneal = arg(rec, "anneal_linear", 0) == 0;
      o.cycle_momentum = arg(rec, "cycle_momentum", 1) != 0;
      o.base_momentum = arg(rec, "base_momentum", 0.85);
      o.max_momentum = arg(rec, "max_momentum", 0.95);
      o.div_factor = arg(rec, "div_factor", 25.0);
      o.final_div_factor = arg(rec, "final_div_factor", 1e4);
      o.three_phase = arg(rec, "three_phase", 0) != 0;
      s = std::make_unique<OneCycleLR>(*opt, a.at("max_lr"), o);
    } else if (rec.kind == "ReduceLROnPlateau") {
      ReduceLROnPlateauOptions o;
      o.mode = a.at("mode_max") != 0 ? "max" : "min";
      o.factor = a.at("factor");
      o.patience = int64_t(a.at("patience"));
      o.threshold = a.at("threshold");
      o.threshold_mode = arg(rec, "threshold_abs", 0) != 0 ? "abs" : "rel";
      o.cooldown = int64_t(a.at("cooldown"));
      o.min_lr = a.at("min_lr");
      plateau = std::make_unique<ReduceLROnPlateau>(*opt, o);
    } else {
      FAIL() << "unknown scheduler " << rec.kind;
    }
    const size_t ng = rec.base_lrs.size();
    const std::string mkey = rec.optimizer == "Adam" || rec.optimizer == "AdamW" ? "beta1" : "momentum";
    for (size_t step = 0; step <= rec.metrics.size(); ++step) {
      if (step > 0) {
        opt->step();
        if (plateau) {
          plateau->step(rec.metrics[step - 1]);
        } else {
          s->step();
        }
      }
      for (size_t g = 0; g < ng; ++g) {
        double want = rec.lrs[step * ng + g], got = opt->param_groups()[g].lr();
        EXPECT_NEAR(got, want, 1e-12 * std::max(1.0, std::abs(want))) << "lr of group " << g << " at step " << step;
        double wm = rec.moms[step * ng + g], gm = opt->param_groups()[g].get(mkey);
        EXPECT_NEAR(gm, wm, 1e-12) << mkey << " of group " << g << " at step " << step;
      }
      const auto& last = plateau ? plateau->get_last_lr() : s->get_last_lr();
      for (size_t g = 0; g < ng; ++g) EXPECT_DOUBLE_EQ(last[g], opt->param_groups()[g].lr());
    }
  }
}
