// Lab 188, Leaky ReLU: the gradient for a negative input is the slope 0.01 instead of 0 (checked with autograd),
// so in the setting that kills ReLU units (hidden biases far negative, lab 187) the Leaky ReLU network still
// learns.
#include <algorithm>
#include <cmath>

#include "labs/kit.h"
#include "labs/relu_health.h"
#include "strata/labs/lab.h"
#include "strata/ops/activation.h"
#include "strata/ops/creation.h"

namespace strata::labs {

namespace leaky_relu_lab {

void run(LabRun& lab) {
  using kit::fmt;
  lab.heading("Gradients by autograd: d/dx of sum(f(x))");
  const std::vector<double> xs = {-3, -1, -0.01, 0.01, 1, 3};
  std::vector<double> g_relu, g_leaky, y_leaky;
  for (int leaky = 0; leaky < 2; ++leaky) {
    Tensor x = from_vector(xs, {static_cast<int64_t>(xs.size())}).requires_grad_();
    Tensor y = leaky ? leaky_relu(x, 0.01) : relu(x);
    y.sum().backward();
    (leaky ? g_leaky : g_relu) = kit::values(x.grad());
    if (leaky) y_leaky = kit::values(y);
  }
  std::vector<std::vector<std::string>> rows;
  double worst = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    rows.push_back({fmt(xs[i]), fmt(y_leaky[i]), fmt(g_relu[i]), fmt(g_leaky[i])});
    double expected = xs[i] < 0 ? 0.01 : 1.0;
    worst = std::max(worst, std::fabs(g_leaky[i] - expected));
    if (xs[i] < 0) worst = std::max(worst, std::fabs(g_relu[i]));
  }
  lab.table("", {"x", "leaky_relu(x)", "ReLU gradient", "Leaky ReLU gradient"}, rows);
  lab.claim("for negative inputs the Leaky ReLU gradient is the slope 0.01 (ReLU's is 0); for positive ones both are 1",
            worst < 1e-7, "largest deviation from 0.01 / 0 / 1: " + fmt(worst));

  lab.heading("Training where ReLU units die: hidden biases start at -2");
  kit::XY data = kit::spirals(768, 3, 0.02, lab.seed());  // the quick run too: recovery takes these steps
  const int64_t epochs = 30;
  std::vector<double> acc, silent_end;
  std::vector<Series> series;
  rows.clear();
  for (const char* act : {"relu", "leaky_relu"}) {
    manual_seed(lab.seed());
    nn::ModulePtr model = relu_health::make_net(act, -2.0);
    double silent_start = relu_health::silent_fraction(*model, data.x);
    train::History h = relu_health::train_net(*model, data, {.epochs = epochs}, lab.seed());
    std::vector<double> curve = h.values("accuracy");
    std::string name = std::string(act) == "relu" ? "ReLU" : "Leaky ReLU (0.01)";
    series.push_back({name, kit::iota(curve.size(), 1), curve});
    acc.push_back(kit::accuracy(*model, data));
    silent_end.push_back(relu_health::silent_fraction(*model, data.x));
    rows.push_back({name, kit::pct(silent_start), kit::pct(silent_end.back()), kit::pct(acc.back())});
  }
  lab.table("2-64-64-64-3 MLP, He init, hidden biases -2, Adam lr 0.01, " + std::to_string(epochs) + " epochs",
            {"activation", "units silent on every example at start", "at end", "accuracy"}, rows);
  lab.line_plot({"Training accuracy per epoch", "epoch", "accuracy"}, series);
  lab.note(
      "Both networks start with nearly every unit's input negative for all examples. ReLU passes no gradient there, "
      "so nothing changes; Leaky ReLU passes 1% of it, enough for Adam (which rescales small gradients) to pull the "
      "biases back up.");
  lab.claim("the Leaky ReLU network learns (over 75%) while the ReLU network stays at chance (under 40%)",
            acc[1] > 0.75 && acc[0] < 0.4, "Leaky ReLU " + kit::pct(acc[1]) + ", ReLU " + kit::pct(acc[0]));
}

}  // namespace leaky_relu_lab

Lab lab_leaky_relu() {
  return {188,
          "leaky_relu",
          "Leaky ReLU",
          "Leaky ReLU is x for positive inputs and a small multiple (0.01 x) for negative ones. The only change from "
          "ReLU is that negative inputs still pass a small gradient, so a unit pushed into the negative region keeps "
          "learning and can come back, where a ReLU unit would be dead for good.",
          "the gradient table (0.01 instead of 0 left of zero), then the accuracy curves from the same crippled "
          "start: the ReLU line stays flat at chance, the Leaky ReLU line climbs.",
          leaky_relu_lab::run};
}

}  // namespace strata::labs
