// Loss-landscape slices: the line between two weight vectors and the filter-normalised random plane, and
// their summaries. The arithmetic on weights is done in float64 on host vectors, then cast into the
// model's tensors, so that the endpoints are exact.
#include "strata/diag/landscape.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/ops/creation.h"

namespace strata::diag {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

nn::StateDict snapshot(const nn::Module& model) {
  nn::StateDict out;
  for (const auto& [key, t] : model.state_dict()) out.insert(key, t.clone());
  return out;
}

// Restores the model's parameters, buffers and mode when it goes out of scope (also on an exception).
class RestoreGuard {
 public:
  explicit RestoreGuard(nn::Module& model) : model_(model), saved_(snapshot(model)), training_(model.is_training()) {}
  ~RestoreGuard() {
    model_.load_state_dict(saved_, /*strict=*/true);  // shapes match: cannot throw
    model_.train(training_);
  }
  RestoreGuard(const RestoreGuard&) = delete;
  RestoreGuard& operator=(const RestoreGuard&) = delete;

 private:
  nn::Module& model_;
  nn::StateDict saved_;
  bool training_;
};

struct Param {
  std::string name;
  Tensor tensor;  // shares storage with the model's parameter
  std::vector<double> base;
};

std::vector<Param> params_of(const nn::Module& model) {
  std::vector<Param> out;
  for (const auto& [name, t] : model.named_parameters()) out.push_back({name, t, t.to_vector<double>()});
  return out;
}

void assign(const Param& p, const std::vector<double>& values) {
  NoGradGuard no_grad;
  Tensor d = p.tensor.detach();
  d.copy_(from_vector<double>(values, p.tensor.shape()));
}

double evaluate(const std::function<double()>& eval_loss) {
  NoGradGuard no_grad;
  const double l = eval_loss();
  return std::isfinite(l) ? l : kNaN;
}

std::vector<double> grid(double from, double to, int64_t n) {
  std::vector<double> g(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double v = from + (to - from) * static_cast<double>(i) / static_cast<double>(n - 1);
    // Land exactly on 0 and 1 when the grid passes within rounding of them.
    if (std::abs(v) < 1e-12) v = 0;
    if (std::abs(v - 1) < 1e-12) v = 1;
    g[static_cast<size_t>(i)] = v;
  }
  return g;
}

io::Json numbers(const std::vector<double>& v) {
  io::Json a = io::Json::array();
  for (double x : v) a.push_back(std::isfinite(x) ? io::Json(x) : io::Json(nullptr));
  return a;
}

// Linear interpolation of y(x) on an increasing grid; NaN outside it.
double interpolate(const std::vector<double>& x, const std::vector<double>& y, double at) {
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] == at) return y[i];
    if (i + 1 < x.size() && x[i] < at && at < x[i + 1]) {
      const double t = (at - x[i]) / (x[i + 1] - x[i]);
      return (1 - t) * y[i] + t * y[i + 1];
    }
  }
  return kNaN;
}

// Eigenvalues (min, max) of the symmetric 2x2 matrix [[p, q], [q, r]].
std::pair<double, double> eig2(double p, double q, double r) {
  const double m = (p + r) / 2, d = std::sqrt((p - r) * (p - r) / 4 + q * q);
  return {m - d, m + d};
}

}  // namespace

Line loss_along_line(nn::Module& model, const nn::StateDict& theta0, const nn::StateDict& theta1,
                     const std::function<double()>& eval_loss, const LineOptions& o) {
  STRATA_CHECK(o.points >= 2, "[loss_along_line] points must be at least 2, got ", o.points);
  STRATA_CHECK(std::isfinite(o.from) && std::isfinite(o.to) && o.from < o.to,
               "[loss_along_line] expected from < to, got from ", o.from, " to ", o.to);
  STRATA_CHECK(static_cast<bool>(eval_loss), "[loss_along_line] eval_loss is empty");
  std::vector<Param> params = params_of(model);
  std::vector<std::vector<double>> start, end;
  for (const Param& p : params) {
    for (const nn::StateDict* sd : {&theta0, &theta1}) {
      STRATA_CHECK(sd->contains(p.name), "[loss_along_line] ", sd == &theta0 ? "theta0" : "theta1",
                   " has no parameter '", p.name, "'");
      STRATA_CHECK(sd->at(p.name).shape() == p.tensor.shape(), "[loss_along_line] ",
                   sd == &theta0 ? "theta0" : "theta1", " has shape ", sd->at(p.name).shape(), " for '", p.name,
                   "', the model ", p.tensor.shape());
    }
    start.push_back(theta0.at(p.name).to_vector<double>());
    end.push_back(theta1.at(p.name).to_vector<double>());
  }
  nn::StateDict buffers;
  for (const auto& [name, t] : model.named_buffers()) {
    STRATA_CHECK(theta1.contains(name), "[loss_along_line] theta1 has no buffer '", name, "'");
    buffers.insert(name, theta1.at(name));
  }
  RestoreGuard guard(model);
  model.load_state_dict(buffers, /*strict=*/false);
  model.eval();
  Line line;
  line.alpha = grid(o.from, o.to, o.points);
  std::vector<double> w;
  for (double a : line.alpha) {
    for (size_t k = 0; k < params.size(); ++k) {
      w.resize(start[k].size());
      for (size_t i = 0; i < w.size(); ++i) w[i] = (1 - a) * start[k][i] + a * end[k][i];
      assign(params[k], w);
    }
    line.loss.push_back(evaluate(eval_loss));
  }
  return line;
}

std::vector<Tensor> filter_normalized_direction(const nn::Module& model, Generator& gen, bool ignore_bias_and_norm) {
  std::vector<Tensor> out;
  for (const auto& [name, w] : model.named_parameters()) {
    Tensor d = randn(w.shape(), TensorOptions(kFloat64), &gen);
    if (w.dim() <= 1 && ignore_bias_and_norm) {
      out.push_back(zeros(w.shape(), TensorOptions(kFloat64)));
      continue;
    }
    std::vector<double> dv = d.to_vector<double>();
    const std::vector<double> wv = w.to_vector<double>();
    const int64_t filters = w.dim() <= 1 ? 1 : w.size(0);
    const size_t len = filters == 0 ? 0 : dv.size() / static_cast<size_t>(filters);
    for (int64_t f = 0; f < filters; ++f) {
      double nd = 0, nw = 0;
      const size_t lo = static_cast<size_t>(f) * len;
      for (size_t i = lo; i < lo + len; ++i) {
        nd += dv[i] * dv[i];
        nw += wv[i] * wv[i];
      }
      const double scale = std::sqrt(nw) / (std::sqrt(nd) + 1e-10);
      for (size_t i = lo; i < lo + len; ++i) dv[i] *= scale;
    }
    out.push_back(from_vector<double>(dv, w.shape()));
  }
  return out;
}

Surface loss_surface(nn::Module& model, const std::function<double()>& eval_loss, const SurfaceOptions& o) {
  STRATA_CHECK(o.steps >= 3 && o.steps % 2 == 1,
               "[loss_surface] steps must be odd and at least 3 (the current weights are the centre), got ", o.steps);
  STRATA_CHECK(o.range > 0 && std::isfinite(o.range), "[loss_surface] range must be positive, got ", o.range);
  STRATA_CHECK(static_cast<bool>(eval_loss), "[loss_surface] eval_loss is empty");
  std::vector<Param> params = params_of(model);
  Generator gen(o.seed);
  std::vector<std::vector<double>> d1, d2;
  for (const Tensor& t : filter_normalized_direction(model, gen, o.ignore_bias_and_norm)) {
    d1.push_back(t.to_vector<double>());
  }
  for (const Tensor& t : filter_normalized_direction(model, gen, o.ignore_bias_and_norm)) {
    d2.push_back(t.to_vector<double>());
  }
  RestoreGuard guard(model);
  model.eval();
  Surface s;
  s.a = grid(-o.range, o.range, o.steps);
  s.b = s.a;
  std::vector<double> w;
  for (double b : s.b) {
    std::vector<double> row;
    for (double a : s.a) {
      for (size_t k = 0; k < params.size(); ++k) {
        const std::vector<double>& base = params[k].base;
        w.resize(base.size());
        for (size_t i = 0; i < w.size(); ++i) w[i] = base[i] + a * d1[k][i] + b * d2[k][i];
        assign(params[k], w);
      }
      row.push_back(evaluate(eval_loss));
    }
    s.loss.push_back(std::move(row));
  }
  return s;
}

LineSummary summarize(const Line& line) {
  STRATA_CHECK(line.alpha.size() == line.loss.size() && !line.alpha.empty(),
               "[summarize] a line needs as many losses as alphas (", line.alpha.size(), " vs ", line.loss.size(), ")");
  LineSummary s;
  s.loss0 = interpolate(line.alpha, line.loss, 0);
  s.loss_half = interpolate(line.alpha, line.loss, 0.5);
  s.loss1 = interpolate(line.alpha, line.loss, 1);
  s.min_loss = std::numeric_limits<double>::infinity();
  s.min_alpha = kNaN;
  for (size_t i = 0; i < line.alpha.size(); ++i) {
    if (std::isfinite(line.loss[i]) && line.loss[i] < s.min_loss) {
      s.min_loss = line.loss[i];
      s.min_alpha = line.alpha[i];
    }
  }
  if (!std::isfinite(s.min_loss)) s.min_loss = kNaN;
  // Consecutive points within [0, 1], with the interpolated endpoints.
  std::vector<double> seg{s.loss0};
  for (size_t i = 0; i < line.alpha.size(); ++i) {
    if (line.alpha[i] > 0 && line.alpha[i] < 1) seg.push_back(line.loss[i]);
  }
  seg.push_back(s.loss1);
  s.monotone = true;
  const double tol = 1e-6 * std::abs(s.loss0);
  for (size_t i = 1; i < seg.size(); ++i) {
    const double rise = seg[i] - seg[i - 1];
    if (!std::isfinite(rise)) {
      s.monotone = false;
      s.max_rise = kNaN;
      break;
    }
    if (rise > tol) s.monotone = false;
    s.max_rise = std::max(s.max_rise, rise);
  }
  return s;
}

SurfaceSummary summarize(const Surface& surface) {
  const auto n = static_cast<int64_t>(surface.a.size());
  STRATA_CHECK(n >= 3 && n % 2 == 1 && surface.b.size() == surface.a.size() && surface.loss.size() == surface.b.size(),
               "[summarize] expected a square surface with an odd number (>= 3) of points per axis");
  for (const auto& row : surface.loss) {
    STRATA_CHECK(static_cast<int64_t>(row.size()) == n, "[summarize] a surface row has ", row.size(), " points, not ",
                 n);
  }
  auto L = [&](int64_t i, int64_t j) { return surface.loss[static_cast<size_t>(j)][static_cast<size_t>(i)]; };
  const int64_t c = n / 2;
  const double h = surface.a[1] - surface.a[0];
  SurfaceSummary s;
  s.center = L(c, c);
  s.min_loss = std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t i = 0; i < n; ++i) {
      const double v = L(i, j);
      if (!std::isfinite(v)) {
        ++s.nonfinite_points;
      } else if (v < s.min_loss) {
        s.min_loss = v;
        s.min_a = surface.a[static_cast<size_t>(i)];
        s.min_b = surface.b[static_cast<size_t>(j)];
      }
    }
  }
  if (!std::isfinite(s.min_loss)) s.min_loss = kNaN;
  auto rise_at = [&](double r) {
    double sum = 0;
    int64_t count = 0;
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t i = 0; i < n; ++i) {
        const double rho = std::hypot(surface.a[static_cast<size_t>(i)], surface.b[static_cast<size_t>(j)]);
        if (std::abs(rho - r) <= h / 2 + 1e-12 && std::isfinite(L(i, j))) {
          sum += (L(i, j) - s.center) / s.center;
          ++count;
        }
      }
    }
    return count > 0 ? sum / static_cast<double>(count) : kNaN;
  };
  s.rise_half = rise_at(0.5);
  s.rise_one = rise_at(1.0);
  // The finite-difference Hessian at grid point (i, j) (interior).
  auto hessian = [&](int64_t i, int64_t j) {
    const double p = (L(i + 1, j) - 2 * L(i, j) + L(i - 1, j)) / (h * h);
    const double r = (L(i, j + 1) - 2 * L(i, j) + L(i, j - 1)) / (h * h);
    const double q = (L(i + 1, j + 1) - L(i + 1, j - 1) - L(i - 1, j + 1) + L(i - 1, j - 1)) / (4 * h * h);
    return eig2(p, q, r);
  };
  std::tie(s.curvature_min, s.curvature_max) = hessian(c, c);
  int64_t interior = 0, nonconvex = 0;
  for (int64_t j = 1; j + 1 < n; ++j) {
    for (int64_t i = 1; i + 1 < n; ++i) {
      const auto [lo, hi] = hessian(i, j);
      if (!std::isfinite(lo) || !std::isfinite(hi)) continue;
      ++interior;
      if (lo < -0.01 * std::max(std::abs(lo), std::abs(hi))) ++nonconvex;
    }
  }
  s.nonconvex_fraction = interior > 0 ? static_cast<double>(nonconvex) / static_cast<double>(interior) : kNaN;
  return s;
}

io::Json to_json(const Line& line, const Surface* surface) {
  io::Json j = io::Json::object();
  io::Json l = io::Json::object();
  l.set("alpha", numbers(line.alpha));
  l.set("loss", numbers(line.loss));
  j.set("line", l);
  if (surface) {
    io::Json s = io::Json::object();
    s.set("a", numbers(surface->a));
    s.set("b", numbers(surface->b));
    io::Json rows = io::Json::array();
    for (const auto& row : surface->loss) rows.push_back(numbers(row));
    s.set("loss", rows);
    j.set("surface", s);
  }
  return j;
}

}  // namespace strata::diag
