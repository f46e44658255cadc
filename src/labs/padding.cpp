// Lab 173, padding: valid against same padding, what five stacked 3x3 convolutions do to a 28x28 input with
// and without it, and how often the border pixels are seen compared with the centre.
#include "labs/kit.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/nn/conv.h"
#include "strata/ops/conv.h"
#include "strata/ops/creation.h"

namespace strata::labs {

namespace padding_lab {

// How many 3x3 output windows include each input pixel: the gradient of sum(conv2d(x, ones)) with respect to x.
std::vector<std::vector<double>> coverage(int64_t size, int64_t padding) {
  Tensor x = zeros({1, 1, size, size});
  x.requires_grad_(true);
  conv2d(x, ones({1, 1, 3, 3}), Tensor(), {1, 1}, {padding, padding}).sum().backward();
  std::vector<double> v = kit::values(x.grad().flatten());
  std::vector<std::vector<double>> rows(static_cast<size_t>(size));
  for (int64_t r = 0; r < size; ++r)
    rows[static_cast<size_t>(r)].assign(v.begin() + r * size, v.begin() + (r + 1) * size);
  return rows;
}

void run(LabRun& lab) {
  using kit::fmt;
  const int64_t size = 28, layers = 5;
  manual_seed(lab.seed());

  lab.heading("One 3x3 convolution: valid (no padding) vs same (padding 1)");
  Tensor x = randn({1, 1, size, size});
  nn::Conv2d valid(1, 1, 3, 1, "valid"), same(1, 1, 3, 1, "same"), pad1(1, 1, 3, 1, 1);
  lab.table("a 28x28 input", {"padding", "output"},
            {{"\"valid\" (0)", std::to_string(valid(x).size(2)) + "x" + std::to_string(valid(x).size(3))},
             {"\"same\"", std::to_string(same(x).size(2)) + "x" + std::to_string(same(x).size(3))},
             {"1 (explicit)", std::to_string(pad1(x).size(2)) + "x" + std::to_string(pad1(x).size(3))}});

  lab.heading("Five stacked 3x3 convolutions");
  std::vector<double> side_valid = {static_cast<double>(size)}, side_same = side_valid;
  Tensor a = x, b = x;
  std::vector<std::vector<std::string>> rows = {{"input", std::to_string(size), std::to_string(size)}};
  for (int64_t l = 1; l <= layers; ++l) {
    a = nn::Conv2d(1, 1, 3)(a);
    b = nn::Conv2d(1, 1, 3, 1, 1)(b);
    side_valid.push_back(static_cast<double>(a.size(2)));
    side_same.push_back(static_cast<double>(b.size(2)));
    rows.push_back({"after conv " + std::to_string(l), std::to_string(a.size(2)), std::to_string(b.size(2))});
  }
  lab.table("side of the feature map", {"", "no padding", "padding 1"}, rows);
  lab.line_plot({"Feature-map side through the stack", "convolutions applied", "side (pixels)"},
                {{"no padding", kit::iota(side_valid.size()), side_valid},
                 {"padding 1", kit::iota(side_same.size()), side_same}});
  lab.claim("without padding five 3x3 convolutions shrink 28 to 18 (2 pixels each); with padding 1 the map stays 28",
            side_valid.back() == 18 && side_same.back() == 28,
            "no padding " + fmt(side_valid.back()) + ", padding 1 " + fmt(side_same.back()));

  lab.heading("Who sees the border? Windows covering each pixel (8x8 input, 3x3 filter)");
  const int64_t small = 8;
  auto c0 = coverage(small, 0), c1 = coverage(small, 1);
  lab.heatmap({"no padding: windows per pixel", "", ""}, c0, true);
  lab.heatmap({"padding 1: windows per pixel", "", ""}, c1, true);
  double corner0 = c0[0][0], centre0 = c0[small / 2][small / 2], corner1 = c1[0][0], centre1 = c1[small / 2][small / 2];
  double edge0 = c0[0][small / 2], edge1 = c1[0][small / 2];
  lab.table("", {"pixel", "no padding", "padding 1"},
            {{"corner", fmt(corner0), fmt(corner1)},
             {"edge (middle)", fmt(edge0), fmt(edge1)},
             {"centre", fmt(centre0), fmt(centre1)}});
  lab.note(
      "Counted by the library: the gradient of the sum of a convolution with an all-ones filter is, for each "
      "input pixel, the number of windows it falls in. Without padding a corner pixel is used once and a "
      "centre pixel nine times, so what happens at the border barely reaches the output. Zero padding lets "
      "windows hang over the edge: the corner is seen four times.");
  lab.claim("without padding a corner pixel is in 1 window and a centre pixel in 9", corner0 == 1 && centre0 == 9,
            "corner " + fmt(corner0) + ", centre " + fmt(centre0));
  lab.claim("padding 1 raises the corner's count to 4 (the centre stays 9)", corner1 == 4 && centre1 == 9,
            "corner " + fmt(corner1) + ", centre " + fmt(centre1));
}

}  // namespace padding_lab

Lab lab_padding() {
  return {173,
          "padding",
          "Padding",
          "Padding adds a border (usually of zeros) around the input before the filter slides over it. Without it "
          "('valid') every 3x3 layer trims a pixel off each side, so deep stacks shrink fast and border pixels "
          "take part in few windows; with padding 1 ('same', for a 3x3 filter at stride 1) the output keeps the "
          "input's size.",
          "the stack table (28 shrinks to 18 without padding, stays 28 with it) and the two coverage heatmaps: "
          "without padding the corner pixel counts 1 against the centre's 9.",
          padding_lab::run};
}

}  // namespace strata::labs
