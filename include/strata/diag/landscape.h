#pragma once
// Loss-landscape slices: the loss along the straight line between two weight vectors (Goodfellow, Vinyals &
// Saxe, "Qualitatively characterizing neural network optimization problems", ICLR 2015) and on a plane
// through the current weights spanned by two random filter-normalised directions (Li, Xu, Taylor, Studer &
// Goldstein, "Visualizing the Loss Landscape of Neural Nets", NeurIPS 2018). Plus the few numbers that
// summarise them (docs/landscape.md).
//
//   Line line = diag::loss_along_line(*model, init, final, eval_loss);
//   Surface s = diag::loss_surface(*model, eval_loss);
//   diag::summarize(line).monotone;  diag::summarize(s).nonconvex_fraction;
//
// eval_loss: the loss of the model's CURRENT weights on a fixed evaluation set; it is called under
// NoGradGuard with the model in eval mode (so batch norm uses its running statistics). Both functions restore
// the model's parameters, buffers and mode afterwards, also when eval_loss throws.
#include <cstdint>
#include <functional>
#include <vector>

#include "strata/core/generator.h"
#include "strata/io/json.h"
#include "strata/nn/module.h"

namespace strata::diag {

struct LineOptions {
  int64_t points = 25;  // >= 2, equally spaced from `from` to `to` (both included)
  double from = -0.25;
  double to = 1.25;
};

struct Line {
  std::vector<double> alpha, loss;  // loss is NaN where eval_loss was not finite
};

// theta(a) = (1-a) theta0 + a theta1 for the model's parameters (computed in float64; a = 0 and a = 1 give
// theta0 and theta1 exactly); buffers (batch-norm statistics) are theta1's throughout. theta0 and theta1 must
// hold every parameter of the model with its shape; theta1 must hold every buffer.
Line loss_along_line(nn::Module& model, const nn::StateDict& theta0, const nn::StateDict& theta1,
                     const std::function<double()>& eval_loss, const LineOptions& options = {});

struct SurfaceOptions {
  int64_t steps = 15;  // grid points per axis; odd (>= 3), so that the current weights are the centre
  double range = 1.0;  // the grid spans [-range, range] along each direction
  uint64_t seed = 0;   // the directions' generator
  bool ignore_bias_and_norm = true;
};

struct Surface {
  std::vector<double> a, b;
  std::vector<std::vector<double>> loss;  // loss[j][i] at (a[i], b[j]); NaN where not finite
};

// Two random directions d1, d2 with Gaussian entries, filter-normalised: each filter (row of a Linear weight,
// output channel of a Conv2d weight: a slice along dim 0 of a parameter with 2+ dims; a 1-D parameter is one
// filter) is rescaled to the norm of the matching filter of the current weights. With ignore_bias_and_norm,
// the 1-D parameters (biases, normalisation scales and shifts) get zero directions (Li et al.'s "biasbn").
// Evaluates theta + a d1 + b d2 on the grid; buffers stay the current ones.
Surface loss_surface(nn::Module& model, const std::function<double()>& eval_loss, const SurfaceOptions& options = {});

// The directions loss_surface draws (exposed for tests): one tensor per named parameter, in
// named_parameters() order, float64, with the parameter's shape.
std::vector<Tensor> filter_normalized_direction(const nn::Module& model, Generator& gen, bool ignore_bias_and_norm);

// What the line shows.
struct LineSummary {
  double loss0 = 0, loss_half = 0, loss1 = 0;  // at alpha 0, 0.5, 1 (linear interpolation between grid points)
  bool monotone = false;  // the loss never rises between consecutive grid points in [0, 1] (beyond 1e-6 relative)
  double max_rise = 0;    // the largest such rise (0 when monotone)
  double min_loss = 0, min_alpha = 0;  // the minimum over the whole line
};
LineSummary summarize(const Line& line);

// What the surface shows. Radii are in units of the (filter-normalised) directions.
struct SurfaceSummary {
  double center = 0;  // loss at (0, 0): the current weights
  double min_loss = 0, min_a = 0, min_b = 0;
  // Mean over grid points at distance r +- half a grid step from the centre of (loss - center) / center, for
  // r = 0.5 and 1.0 (NaN when the grid does not reach r): how fast the loss rises around the minimum (sharpness).
  double rise_half = 0, rise_one = 0;
  // The 2x2 finite-difference Hessian of the loss over (a, b) at the centre (one grid step), its eigenvalues.
  double curvature_min = 0, curvature_max = 0;
  // Fraction of interior grid points whose finite-difference Hessian has an eigenvalue below -1% of its largest
  // absolute eigenvalue (directions of negative curvature: non-convexity; 0 for a convex bowl).
  double nonconvex_fraction = 0;
  int64_t nonfinite_points = 0;
};
SurfaceSummary summarize(const Surface& surface);

// {"line": {"alpha": [...], "loss": [...]}, "surface": {"a": [...], "b": [...], "loss": [[...], ...]}};
// "surface" is left out when surface is null; non-finite losses are written as null.
io::Json to_json(const Line& line, const Surface* surface);

}  // namespace strata::diag
