// Lab 170, convolution operation: a sliding-window sum computed by hand equals the library's conv2d, and
// hand-chosen 3x3 filters (vertical edge, horizontal edge, blur) applied to a synthetic image.
#include <algorithm>
#include <cmath>

#include "labs/image_tasks.h"
#include "labs/kit.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/ops/conv.h"
#include "strata/ops/creation.h"

namespace strata::labs {

namespace convolution_operation_lab {

using Grid = std::vector<std::vector<double>>;

// out[r][c] = bias + sum over channels ch and offsets (i, j) of x[ch][r*s + i][c*s + j] * w[ch][i][j]: the
// definition, written as loops (no padding).
Grid by_hand(const std::vector<Grid>& x, const std::vector<Grid>& w, double bias, int64_t stride) {
  const size_t k = w[0].size(), h = x[0].size(), wd = x[0][0].size();
  const size_t oh = (h - k) / static_cast<size_t>(stride) + 1, ow = (wd - k) / static_cast<size_t>(stride) + 1;
  Grid out(oh, std::vector<double>(ow, bias));
  for (size_t r = 0; r < oh; ++r)
    for (size_t c = 0; c < ow; ++c)
      for (size_t ch = 0; ch < x.size(); ++ch)
        for (size_t i = 0; i < k; ++i)
          for (size_t j = 0; j < k; ++j)
            out[r][c] += x[ch][r * static_cast<size_t>(stride) + i][c * static_cast<size_t>(stride) + j] * w[ch][i][j];
  return out;
}

Tensor to_tensor(const std::vector<Grid>& g, int64_t batch_dims) {
  std::vector<float> v;
  for (const Grid& plane : g)
    for (const auto& row : plane)
      for (double e : row) v.push_back(static_cast<float>(e));
  return from_vector(v, {batch_dims, static_cast<int64_t>(g.size()), static_cast<int64_t>(g[0].size()),
                         static_cast<int64_t>(g[0][0].size())});
}

Grid random_grid(Generator& gen, size_t rows, size_t cols) {
  Grid g(rows, std::vector<double>(cols));
  for (auto& row : g)
    for (double& e : row) e = std::round(gen.normal_double() * 4) / 4;  // quarter steps: easy to read
  return g;
}

void run(LabRun& lab) {
  using kit::fmt;
  Generator gen(lab.seed());

  lab.heading("The definition: a sliding window, multiply and sum");
  // 2 input channels, a 7x7 image, one 3x3 filter per channel (summed into one output map), stride 1 and 2.
  std::vector<Grid> x = {random_grid(gen, 7, 7), random_grid(gen, 7, 7)};
  std::vector<Grid> w = {random_grid(gen, 3, 3), random_grid(gen, 3, 3)};
  const double bias = 0.5;
  double worst = 0;
  std::vector<std::vector<std::string>> rows;
  for (int64_t s : {1, 2}) {
    Grid hand = by_hand(x, w, bias, s);
    Tensor lib = conv2d(to_tensor(x, 1), to_tensor(w, 1), full({1}, bias), {s, s});
    std::vector<double> lv = kit::values(lib.flatten());
    double diff = 0;
    size_t idx = 0;
    for (const auto& row : hand)
      for (double e : row) diff = std::max(diff, std::fabs(e - lv[idx++]));
    worst = std::max(worst, diff);
    rows.push_back({std::to_string(s), std::to_string(hand.size()) + "x" + std::to_string(hand[0].size()),
                    fmt(hand[0][0], 4), fmt(lv[0], 4), fmt(diff)});
    if (s == 1)
      lab.heatmap({"output by hand, stride 1 (2-channel 7x7 input, 3x3 filter, bias 0.5)", "", ""}, hand, true);
  }
  lab.table("hand loops vs conv2d",
            {"stride", "output", "out[0][0] by hand", "out[0][0] conv2d", "largest |difference|"}, rows);
  lab.note(
      "Each output is one dot product: the filter laid over a 3x3 window of every input channel, products "
      "summed, plus the bias. The filter then moves by the stride. (Deep-learning 'convolution' does not flip "
      "the filter: it is a cross-correlation, as in PyTorch.)");
  lab.claim("the hand-written sliding-window sum equals conv2d (largest difference under 1e-5)", worst < 1e-5,
            "largest difference " + fmt(worst));

  lab.heading("Hand-chosen filters on an image of a square");
  const int64_t n = 16, lo = 4, hi = 11;  // a filled square on rows and columns lo..hi
  std::vector<float> img(static_cast<size_t>(n * n), 0.0f);
  for (int64_t r = lo; r <= hi; ++r)
    for (int64_t c = lo; c <= hi; ++c) img[static_cast<size_t>(r * n + c)] = 1.0f;
  Tensor image = from_vector(img, {1, 1, n, n});
  lab.heatmap({"input: a filled square", "", ""}, images::image_rows(image));
  const std::vector<std::string> names = {"vertical edge", "horizontal edge", "blur (3x3 mean)"};
  const std::vector<std::vector<float>> kernels = {
      {1, 0, -1, 1, 0, -1, 1, 0, -1}, {1, 1, 1, 0, 0, 0, -1, -1, -1}, std::vector<float>(9, 1.0f / 9)};
  // Where to read each response (padding 1 keeps the output aligned with the input): the pixels on either side
  // of the square's left/right edges and top/bottom edges, corners left out, and the square's inside.
  auto mean_abs = [&](const std::vector<double>& out, bool vertical_edges) {
    double sum = 0;
    int count = 0;
    for (int64_t a = lo + 1; a < hi; ++a)
      for (int64_t b : {lo - 1, lo, hi, hi + 1}) {
        int64_t r = vertical_edges ? a : b, c = vertical_edges ? b : a;
        sum += std::fabs(out[static_cast<size_t>(r * n + c)]);
        ++count;
      }
    return sum / count;
  };
  auto inside = [&](const std::vector<double>& out) {
    double sum = 0;
    int count = 0;
    for (int64_t r = lo + 2; r <= hi - 2; ++r)
      for (int64_t c = lo + 2; c <= hi - 2; ++c, ++count) sum += std::fabs(out[static_cast<size_t>(r * n + c)]);
    return sum / count;
  };
  rows.clear();
  std::vector<double> on_vertical, on_horizontal;
  for (size_t k = 0; k < kernels.size(); ++k) {
    Tensor out = conv2d(image, from_vector(kernels[k], {1, 1, 3, 3}), Tensor(), {1, 1}, {1, 1});
    std::vector<double> v = kit::values(out.flatten());
    on_vertical.push_back(mean_abs(v, true));
    on_horizontal.push_back(mean_abs(v, false));
    rows.push_back({names[k], fmt(on_vertical.back()), fmt(on_horizontal.back()), fmt(inside(v))});
    lab.heatmap({"filter: " + names[k], "", ""}, images::image_rows(out));
  }
  lab.table("mean |response| (corners excluded)",
            {"filter", "at the left/right (vertical) edges", "at the top/bottom (horizontal) edges", "inside"}, rows);
  lab.note(
      "The vertical-edge filter is +1 on its left column and -1 on its right: it is zero on flat regions "
      "and along a horizontal edge (left and right columns see the same values) and large where brightness "
      "changes from left to right. The horizontal-edge filter is its transpose. The blur averages: it "
      "softens every edge and keeps flat regions as they are.");
  lab.claim("the vertical-edge filter responds on vertical edges only (horizontal-edge response under 1% of it)",
            on_horizontal[0] < 0.01 * on_vertical[0],
            fmt(on_vertical[0]) + " on vertical edges, " + fmt(on_horizontal[0]) + " on horizontal edges");
  lab.claim("the horizontal-edge filter does the opposite (vertical-edge response under 1% of its horizontal one)",
            on_vertical[1] < 0.01 * on_horizontal[1],
            fmt(on_horizontal[1]) + " on horizontal edges, " + fmt(on_vertical[1]) + " on vertical edges");
}

}  // namespace convolution_operation_lab

Lab lab_convolution_operation() {
  return {170,
          "convolution_operation",
          "Convolution operation",
          "A convolution slides a small grid of weights (a filter or kernel) over the input; at each position it "
          "multiplies the filter with the window under it, sums the products (over all input channels) and adds a "
          "bias, giving one number of the output map. The filter's weights decide what it detects: differences "
          "across a column pair detect vertical edges, equal weights blur.",
          "the first table: the loops and conv2d agree to rounding. Then the heatmaps: the vertical-edge filter "
          "lights up the left and right sides of the square only, the horizontal one the top and bottom only.",
          convolution_operation_lab::run};
}

}  // namespace strata::labs
