// Lab 171, pooling: max and average pooling's output shapes, their lack of parameters, and how much less a
// one-pixel shift of the input changes pooled features than it changes the raw pixels.
#include <cmath>

#include "labs/image_tasks.h"
#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/conv.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/ops/reduction.h"

namespace strata::labs {

namespace pooling_lab {

// The input moved one pixel right (a zero column enters on the left).
Tensor shift_right(const Tensor& x) {
  Tensor zero_col = zeros({x.size(0), x.size(1), x.size(2), 1});
  return cat({zero_col, x.slice(3, 0, x.size(3) - 1)}, 3);
}

// Mean over images of ||a_i - b_i|| / ||a_i||.
double relative_change(const Tensor& a, const Tensor& b) {
  Tensor fa = a.flatten(1), fb = b.flatten(1);
  std::vector<double> num = kit::values(sub(fa, fb).pow(2).sum({1}).sqrt());
  std::vector<double> den = kit::values(fa.pow(2).sum({1}).sqrt());
  double s = 0;
  for (size_t i = 0; i < num.size(); ++i) s += num[i] / den[i];
  return s / static_cast<double>(num.size());
}

void run(LabRun& lab) {
  using kit::fmt;
  const int64_t size = 16;

  lab.heading("Output shapes: floor((H - k) / s) + 1");
  Tensor probe = zeros({1, 1, size, size});
  std::vector<std::vector<std::string>> rows;
  bool shapes_ok = true;
  struct Case {
    int64_t k, s;
  };
  for (Case c : {Case{2, 2}, Case{3, 2}, Case{4, 4}, Case{3, 1}}) {
    Tensor mp = nn::MaxPool2d(c.k, c.s)(probe), ap = nn::AvgPool2d(c.k, c.s)(probe);
    int64_t expect = (size - c.k) / c.s + 1;
    shapes_ok = shapes_ok && mp.size(2) == expect && mp.size(3) == expect && ap.size(2) == expect;
    rows.push_back({std::to_string(c.k) + "x" + std::to_string(c.k), std::to_string(c.s), std::to_string(expect),
                    std::to_string(mp.size(2)) + "x" + std::to_string(mp.size(3)),
                    std::to_string(ap.size(2)) + "x" + std::to_string(ap.size(3))});
  }
  lab.table("a 16x16 input", {"window", "stride", "formula", "MaxPool2d output", "AvgPool2d output"}, rows);
  lab.claim("max and average pooling give the formula's output size in every case", shapes_ok,
            std::to_string(rows.size()) + " window/stride cases on 16x16");
  int64_t pool_params = nn::MaxPool2d(2).num_parameters() + nn::AvgPool2d(2).num_parameters();
  int64_t conv_params = nn::Conv2d(1, 1, 2, 2).num_parameters();
  lab.value("parameters of MaxPool2d(2) + AvgPool2d(2)", static_cast<double>(pool_params));
  lab.value("parameters of a Conv2d(1, 1, 2, stride 2) over the same windows", static_cast<double>(conv_params));
  lab.claim("pooling has no parameters (a fixed rule: the max or the mean of each window)", pool_params == 0,
            std::to_string(pool_params) + " parameters, vs " + std::to_string(conv_params) + " for a 2x2 conv");

  lab.heading("Shifting the input by one pixel");
  images::ShapeSetOptions o{.n = lab.pick<int64_t>(400, 200),
                            .size = size,
                            .patterns = {0, 1, 2, 3, 4, 5, 6, 7},
                            .col_max = size - images::kPatternSize - 1,
                            .noise = 0};
  kit::XY d = images::shapes(o, lab.seed());
  Tensor x = d.x, xs = shift_right(d.x);
  struct Pool {
    std::string name, short_name;
    std::function<Tensor(const Tensor&)> f;
  };
  std::vector<Pool> pools = {
      {"raw pixels (no pooling)", "raw", [](const Tensor& t) { return t; }},
      {"average pool 2x2", "avg 2x2",
       [](const Tensor& t) {
         return avg_pool2d(t, {2, 2});
       }},
      {"max pool 2x2", "max 2x2",
       [](const Tensor& t) {
         return max_pool2d(t, {2, 2});
       }},
      {"average pool 4x4", "avg 4x4",
       [](const Tensor& t) {
         return avg_pool2d(t, {4, 4});
       }},
      {"max pool 4x4", "max 4x4",
       [](const Tensor& t) {
         return max_pool2d(t, {4, 4});
       }},
      {"global max pool", "global max",
       [](const Tensor& t) {
         return amax(t, {2, 3});
       }},
  };
  std::vector<double> change;
  std::vector<std::string> labels;
  rows.clear();
  for (const Pool& p : pools) {
    change.push_back(relative_change(p.f(x), p.f(xs)));
    labels.push_back(p.short_name);
    Tensor out = p.f(x);
    std::string shape = out.dim() == 4 ? std::to_string(out.size(2)) + "x" + std::to_string(out.size(3)) : "1x1";
    rows.push_back({p.name, shape, fmt(change.back())});
  }
  lab.table("mean ||f(shifted) - f(x)|| / ||f(x)|| over " + std::to_string(d.size()) +
                " images of 5x5 patterns (bars, cross, square, L, T, ...)",
            {"features f", "map size", "relative change"}, rows);
  lab.bar_plot({"Relative change of the features after a one-pixel shift", "", "relative change"}, labels, change);
  lab.heatmap({"an image", "", ""}, images::image_rows(x, 2));
  lab.heatmap({"the same image shifted one pixel right", "", ""}, images::image_rows(xs, 2));
  lab.heatmap({"max 4x4: image", "", ""}, images::image_rows(max_pool2d(x, {4, 4}), 2));
  lab.heatmap({"max 4x4: shifted", "", ""}, images::image_rows(max_pool2d(xs, {4, 4}), 2));
  lab.note(
      "A one-pixel shift moves every vertical stroke entirely off its old pixels, so the raw pixel vector "
      "changes by about as much as its own length. A pooled cell only asks whether (max) or how much (average) of the "
      "stroke "
      "lies inside its window; most of the time the stroke stays in the same window, and the cell does not "
      "change. The larger the window, the smaller the change; one max over the whole image does not change "
      "at all (until the pattern leaves the image).");
  lab.claim("a one-pixel shift changes max-pooled (4x4) features less than half as much as the raw pixels",
            change[4] < 0.5 * change[0], fmt(change[4]) + " vs " + fmt(change[0]));
  lab.claim("the change falls as the max-pool window grows (raw > 2x2 > 4x4 > global)",
            change[0] > change[2] && change[2] > change[4] && change[4] > change[5],
            fmt(change[0]) + " > " + fmt(change[2]) + " > " + fmt(change[4]) + " > " + fmt(change[5]));
}

}  // namespace pooling_lab

Lab lab_pooling() {
  return {171,
          "pooling",
          "Pooling",
          "Pooling shrinks a feature map by summarising each window (typically 2x2, moved by 2) with one number: "
          "its maximum (max pooling) or its mean (average pooling). It has nothing to learn, cuts the work of "
          "later layers, and makes the features care less about exactly where something is.",
          "the shapes table (a 2x2 window with stride 2 halves each side), then the relative-change table: the "
          "same one-pixel shift that rewrites the raw pixels barely moves the 4x4 max-pooled map.",
          pooling_lab::run};
}

}  // namespace strata::labs
