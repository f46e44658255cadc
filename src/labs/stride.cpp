// Lab 172, stride: the output size floor((H + 2p - k) / s) + 1 against what conv2d returns, an image filtered at
// stride 1 and 2, and the multiply-adds falling about s^2-fold.
#include <chrono>

#include "labs/image_tasks.h"
#include "labs/kit.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/generator.h"
#include "strata/diag/summary.h"
#include "strata/labs/lab.h"
#include "strata/nn/conv.h"
#include "strata/ops/conv.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"

namespace strata::labs {

namespace stride_lab {

void run(LabRun& lab) {
  using kit::fmt;

  manual_seed(lab.seed());
  lab.heading("Output size: floor((H + 2p - k) / s) + 1");
  std::vector<std::vector<std::string>> rows;
  int mismatches = 0, cases = 0;
  for (int64_t h : {15, 16}) {
    for (int64_t k : {3, 5}) {
      for (int64_t p : {0, 1}) {
        for (int64_t s : {1, 2, 3}) {
          int64_t formula = (h + 2 * p - k) / s + 1;
          Tensor out = conv2d(zeros({1, 1, h, h}), zeros({1, 1, k, k}), Tensor(), {s, s}, {p, p});
          mismatches += out.size(2) != formula || out.size(3) != formula;
          ++cases;
          if (k == 3) {
            rows.push_back({std::to_string(h), std::to_string(k), std::to_string(p), std::to_string(s),
                            std::to_string(formula), std::to_string(out.size(2)) + "x" + std::to_string(out.size(3))});
          }
        }
      }
    }
  }
  lab.table("3x3 filters (the 5x5 cases are checked too)", {"H", "k", "p", "s", "formula", "conv2d output"}, rows);
  lab.note(
      "The window starts at 0, s, 2s, ... and must fit inside the padded input of H + 2p pixels, so there are "
      "floor((H + 2p - k) / s) + 1 positions; a window that would hang over the end is dropped, which is why "
      "15 and 16 pixels give the same size at stride 2.");
  lab.claim("conv2d's output size equals the formula for every H, k, p and stride 1-3 tried", mismatches == 0,
            std::to_string(cases - mismatches) + " of " + std::to_string(cases) + " cases agree");

  lab.heading("A filtered image at stride 1 and 2");
  images::ShapeSetOptions o{.n = 2, .size = 20, .patterns = {3, 2}, .noise = 0};
  kit::XY two = images::shapes(o, lab.seed());
  Tensor image = add(two.x.slice(0, 0, 1), two.x.slice(0, 1, 2));  // a square and a cross in one image
  Tensor edge = from_vector(std::vector<float>{1, 0, -1, 1, 0, -1, 1, 0, -1}, {1, 1, 3, 3});
  lab.heatmap({"input (20x20)", "", ""}, images::image_rows(image));
  for (int64_t s : {1, 2}) {
    Tensor out = conv2d(image, edge, Tensor(), {s, s}, {1, 1});
    lab.heatmap({"vertical-edge filter, stride " + std::to_string(s) + " (" + std::to_string(out.size(2)) + "x" +
                     std::to_string(out.size(3)) + ")",
                 "", ""},
                images::image_rows(out));
  }
  lab.note(
      "Stride 2 evaluates the same filter at every other row and column: the same edges, at half the "
      "resolution, a quarter of the outputs.");

  lab.heading("Work against stride (diag::summarize FLOPs, 2 per multiply-add)");
  const int64_t size = 64, reps = lab.pick<int64_t>(20, 5);
  Tensor batch = randn({8, 8, size, size});
  std::vector<double> flops, ratio;
  rows.clear();
  for (int64_t s : {1, 2, 3}) {
    nn::Conv2d conv(8, 16, 3, s, 1);
    diag::ModelSummary summary = diag::summarize(conv, {8, 8, size, size});
    flops.push_back(static_cast<double>(summary.flops));
    ratio.push_back(flops.front() / flops.back());
    auto t0 = std::chrono::steady_clock::now();
    {
      NoGradGuard no_grad;
      conv(batch);  // warm-up
      for (int64_t r = 0; r < reps; ++r) conv(batch);
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
                static_cast<double>(reps);
    rows.push_back({std::to_string(s), fmt(static_cast<double>(summary.output_shape[2]), 3),
                    diag::format_flops(summary.flops), fmt(ratio.back(), 3), fmt(static_cast<double>(s * s)),
                    fmt(ms, 3)});
  }
  lab.table("Conv2d(8 -> 16, 3x3, padding 1) on a batch of 8 64x64 maps",
            {"stride", "output side", "FLOPs", "FLOPs(1) / FLOPs(s)", "s^2", "time per forward (ms, not a claim)"},
            rows);
  lab.bar_plot({"FLOPs by stride", "stride", "FLOPs"}, {"1", "2", "3"}, flops);
  lab.note(
      "The work is proportional to the number of output positions, which falls by s in each direction. At "
      "stride 3 the ratio is a little under 9 because 64 is not a multiple of 3 (22 outputs per side, not "
      "21.3). The times are printed, not claimed: on a busy 2-core machine they are noisy, and fixed per-call "
      "costs do not shrink with the stride.");
  bool near_square = ratio[1] > 0.85 * 4 && ratio[1] <= 4.0 + 1e-9 && ratio[2] > 0.85 * 9 && ratio[2] <= 9.0 + 1e-9;
  lab.claim("stride s divides the multiply-adds by about s^2 (between 0.85 s^2 and s^2)", near_square,
            "stride 2: " + fmt(ratio[1], 3) + "x, stride 3: " + fmt(ratio[2], 3) + "x");
}

}  // namespace stride_lab

Lab lab_stride() {
  return {172,
          "stride",
          "Stride",
          "The stride is how far the filter moves between two outputs. Stride 1 visits every position; stride 2 "
          "every other one, so each side of the output is about halved and the map has about a quarter of the "
          "positions (and of the work). Strided convolutions shrink feature maps instead of, or besides, "
          "pooling.",
          "the shapes table (formula and conv2d agree, including the rounding down), the two filtered heatmaps "
          "(same edges, coarser grid), and the FLOPs table: about 4x less work at stride 2, 9x at stride 3.",
          stride_lab::run};
}

}  // namespace strata::labs
