// Lab 191, bottleneck layer: the same autoencoder with a code of 1, 2, 3, 4 or 8 numbers on 16-D data of
// intrinsic dimension 3; the held-out reconstruction error against the code width.
#include "labs/generative_tasks.h"
#include "labs/kit.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/optim/adam.h"
#include "strata/train/tasks.h"

namespace strata::labs {

namespace bottleneck_layer_lab {

constexpr int64_t kAmbient = 16;
constexpr int64_t kIntrinsic = 3;

void run(LabRun& lab) {
  using kit::fmt;
  const int64_t n = lab.pick<int64_t>(4096, 2048);
  const int64_t epochs = lab.pick<int64_t>(60, 30);
  Tensor x = generative::manifold(n, kIntrinsic, kAmbient, lab.seed(), 0).x;
  Tensor test = generative::manifold(1000, kIntrinsic, kAmbient, lab.seed(), 1).x;
  lab.note("Data: " + std::to_string(n) +
           " points x = sin(W z + b) in 16 dimensions with z uniform in [-1, 1]^3: a curved surface of intrinsic "
           "dimension 3. Autoencoders 16 -> 64 -> 64 -> width -> 64 -> 64 -> 16 (ReLU), Adam lr 3e-3, batch 64, " +
           std::to_string(epochs) + " epochs each, same seed; MSE on 1000 held-out points.");
  const std::vector<int64_t> widths = {1, 2, 3, 4, 8};
  std::vector<double> err;
  std::vector<Series> curves;
  for (int64_t w : widths) {
    manual_seed(lab.seed());
    auto ae = generative::make_autoencoder(kAmbient, 64, w);
    optim::Adam opt(ae->parameters(), {.lr = 3e-3});
    train::AutoencoderTask task(ae, opt, {.loss = "mse"});
    std::vector<double> curve = generative::fit_task_on(task, x, 64, epochs, lab.seed()).values("loss");
    curves.push_back({"width " + std::to_string(w), kit::iota(curve.size(), 1), curve});
    err.push_back(generative::mse(kit::predict(*ae, test), test));
  }
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < widths.size(); ++i) {
    rows.push_back({std::to_string(widths[i]), kit::times(16.0 / static_cast<double>(widths[i])), fmt(err[i]),
                    i == 0 ? "" : kit::times(err[i - 1] / err[i])});
  }
  lab.table("held-out reconstruction MSE by code width (intrinsic dimension 3)",
            {"code width", "compression (16 / width)", "MSE", "error drop from the previous width"}, rows);
  std::vector<double> wx;
  for (int64_t w : widths) wx.push_back(static_cast<double>(w));
  lab.line_plot({"Reconstruction error against code width", "code width", "held-out MSE", false, true},
                {{"MSE", wx, err}});
  lab.line_plot({"Training loss", "epoch", "MSE", false, true}, curves);

  const double below = err[1] / err[2];   // width 2 -> 3: reaching the intrinsic dimension
  const double beyond = err[2] / err[4];  // width 3 -> 8: 5 more numbers than needed
  lab.claim("the error drops sharply when the code reaches the intrinsic dimension: width 2 -> 3 cuts it >= 10x",
            below >= 10, kit::times(below) + " (" + fmt(err[1]) + " -> " + fmt(err[2]) + ")");
  lab.claim("one number short is always much worse: widths 1 and 2 both have >= 10x the error of width 3",
            err[0] >= 10 * err[2] && err[1] >= 10 * err[2],
            "width 1 " + fmt(err[0]) + ", width 2 " + fmt(err[1]) + ", width 3 " + fmt(err[2]));
  lab.claim("beyond it, extra width helps far less: width 3 -> 8 gains less than the width 2 -> 3 step", beyond < below,
            kit::times(beyond) + " vs " + kit::times(below));
}

}  // namespace bottleneck_layer_lab

Lab lab_bottleneck_layer() {
  return {191,
          "bottleneck_layer",
          "Bottleneck layer",
          "The bottleneck is the narrowest layer of an autoencoder: every input must pass through its few numbers, "
          "so it decides how much can be remembered. Data that vary along only k independent directions (their "
          "intrinsic dimension) can be rebuilt from a code of k numbers; with fewer, information is lost; with "
          "more, the extra numbers have little left to carry.",
          "the table and the log-scale plot: the error falls steeply from width 1 to 3 (the data's intrinsic "
          "dimension) and far less after; the compression column is what each width buys.",
          bottleneck_layer_lab::run};
}

}  // namespace strata::labs
