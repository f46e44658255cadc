// Lab 187, dead ReLU: a too-high learning rate pushes ReLU units to where their input is negative for every
// example; they output 0, get no gradient and never come back. The share of dead units against a healthy run,
// the training doctor's dead_relu finding, and Leaky ReLU in the same bad setting.
#include <algorithm>

#include "labs/kit.h"
#include "labs/relu_health.h"
#include "strata/diag/doctor.h"
#include "strata/labs/lab.h"
#include "strata/optim/adam.h"

namespace strata::labs {

namespace dead_relu_lab {

constexpr double kBadBias = -2.0;

struct Run {
  double dead_start = 0, dead_end = 0, zero_grad_end = 0, acc = 0;
  std::vector<diag::Finding> findings;
  bool has_dead_finding() const {
    return std::any_of(findings.begin(), findings.end(), [](const diag::Finding& f) { return f.id == "dead_relu"; });
  }
};

Run run_one(const std::string& act, double bias, const kit::XY& data, int64_t epochs, uint64_t seed) {
  manual_seed(seed);
  nn::ModulePtr model = relu_health::make_net(act, bias);
  Run r;
  r.dead_start = relu_health::silent_fraction(*model, data.x);
  nn::CrossEntropyLoss loss;
  optim::Adam probe(model->parameters(), {.lr = 0.01});  // only to describe the run to the doctor
  diag::DoctorOptions dopt;
  dopt.out = nullptr;
  auto doctor = std::make_shared<diag::Doctor>(dopt, diag::context_for(loss, probe));
  relu_health::train_net(*model, data, {.epochs = epochs, .callbacks = {doctor}}, seed);
  r.dead_end = relu_health::silent_fraction(*model, data.x);
  r.zero_grad_end = relu_health::zero_gradient_fraction(*model, data);
  r.acc = kit::accuracy(*model, data);
  r.findings = doctor->findings();
  return r;
}

void run(LabRun& lab) {
  kit::XY data = kit::spirals(lab.pick<int64_t>(768, 384), 3, 0.02, lab.seed());
  const int64_t epochs = lab.pick<int64_t>(30, 15);
  lab.heading("Units silent on every training example, before and after training");
  Run good = run_one("relu", 0.0, data, epochs, lab.seed());
  Run bad = run_one("relu", kBadBias, data, epochs, lab.seed());
  Run leaky = run_one("leaky_relu", kBadBias, data, epochs, lab.seed());
  lab.note("Hidden biases of " + kit::fmt(kBadBias) +
           " stand in for one oversized update: they put most units' inputs below 0 for every example. Silent = the "
           "unit's input is <= 0 on all training examples (for ReLU: dead, zero gradient from every example).");
  auto row = [](const std::string& name, const Run& r) {
    std::string ids;
    for (const auto& f : r.findings) ids += (ids.empty() ? "" : ", ") + f.id;
    return std::vector<std::string>{name,
                                    kit::pct(r.dead_start),
                                    kit::pct(r.dead_end),
                                    kit::pct(r.zero_grad_end),
                                    kit::pct(r.acc),
                                    ids.empty() ? "none" : ids};
  };
  lab.table("2-64-64-64-3 MLP (He init), 3-class spirals, Adam lr 0.01, " + std::to_string(epochs) + " epochs",
            {"run", "silent at start", "silent at end", "zero gradient at end", "accuracy", "doctor's findings"},
            {row("ReLU, hidden biases 0", good), row("ReLU, hidden biases " + kit::fmt(kBadBias), bad),
             row("Leaky ReLU, hidden biases " + kit::fmt(kBadBias), leaky)});
  lab.bar_plot({"Share of hidden units silent on every example after training", "run", "share"},
               {"ReLU, biases 0", "ReLU, biases " + kit::fmt(kBadBias), "Leaky, biases " + kit::fmt(kBadBias)},
               {good.dead_end, bad.dead_end, leaky.dead_end});
  for (const auto& f : bad.findings) {
    if (f.id == "dead_relu")
      lab.note("The doctor on the biases " + kit::fmt(kBadBias) + " run: " + f.evidence + ". Remedy: " + f.remedy +
               ".");
  }
  lab.note(
      "Even the healthy run carries some silent units: with 2-D inputs a deeper unit's input is a piecewise-linear "
      "function of the point, which can be negative over the whole data region from the start.");
  lab.claim("with hidden biases " + kit::fmt(kBadBias) +
                " at least half of the ReLU units end dead, over 3x the share in the healthy run",
            bad.dead_end >= 0.5 && bad.dead_end >= 3 * good.dead_end,
            kit::pct(bad.dead_end) + " vs " + kit::pct(good.dead_end));
  lab.claim("the training doctor reports dead_relu for the bad run and not for the healthy one",
            bad.has_dead_finding() && !good.has_dead_finding(),
            std::string("bad run: ") + (bad.has_dead_finding() ? "reported" : "not reported") +
                ", healthy run: " + (good.has_dead_finding() ? "reported" : "not reported"));
  lab.claim("Leaky ReLU in the same bad setting has no dead units: every unit still gets a gradient",
            leaky.zero_grad_end == 0,
            kit::pct(leaky.zero_grad_end) + " of units with zero gradient (ReLU: " + kit::pct(bad.zero_grad_end) + ")");
  lab.claim("the Leaky ReLU units come back: the share silent on every example falls by at least 30 points",
            leaky.dead_start - leaky.dead_end >= 0.3, kit::pct(leaky.dead_start) + " -> " + kit::pct(leaky.dead_end));
}

}  // namespace dead_relu_lab

Lab lab_dead_relu() {
  return {187,
          "dead_relu",
          "Dead ReLU",
          "A ReLU unit whose input is negative for every example outputs 0 everywhere, so no example sends it any "
          "gradient and it can never recover: it is dead. One large update (a learning rate too high, or a big "
          "negative bias) can push many units there at once, and the network silently loses capacity. Leaky ReLU "
          "keeps a small slope for negative inputs, so such a unit still gets a gradient.",
          "the 'silent at end' column: the high learning rate kills most ReLU units while the healthy run keeps "
          "them; the doctor names the dead layers; the Leaky ReLU run in the same setting keeps its units alive.",
          dead_relu_lab::run};
}

}  // namespace strata::labs
