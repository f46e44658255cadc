// Lab 158, feedforward network: an MLP as layers applied in order (each layer's output shape for one batch),
// trained on spirals, and its decision regions over the plane.
#include <algorithm>

#include "labs/classify_2d.h"
#include "labs/kit.h"
#include "strata/labs/lab.h"
#include "strata/nn/containers.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"

namespace strata::labs {

namespace feedforward_network_lab {

std::string shape_text(const Tensor& t) {
  std::string s = "(";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + ")";
}

void run(LabRun& lab) {
  using kit::pct;
  const int64_t classes = 3, batch = 32;
  manual_seed(lab.seed());
  nn::ModulePtr model = kit::mlp({2, 64, 64, classes}, "relu");
  auto& seq = dynamic_cast<nn::Sequential&>(*model);
  kit::XY data = kit::spirals(lab.pick<int64_t>(1200, 600), classes, 0.02, lab.seed());

  lab.heading("One batch of " + std::to_string(batch) + " points through the layers, in order");
  Tensor h = data.x.slice(0, 0, batch);
  std::vector<std::vector<std::string>> rows = {{"input", "", shape_text(h), ""}};
  for (size_t i = 0; i < seq.size(); ++i) {
    h = kit::predict(*seq[i], h);
    rows.push_back({std::to_string(i), seq[i]->type_name(), shape_text(h), std::to_string(seq[i]->num_parameters())});
  }
  Tensor whole = kit::predict(*model, data.x.slice(0, 0, batch));
  double same = abs(sub(whole, h)).max().item();
  lab.table("", {"layer", "type", "output shape", "parameters"}, rows);
  lab.claim("applying the layers one after another is the model: same (32, 3) output, identical values",
            h.size(0) == batch && h.size(1) == classes && same == 0,
            "shape " + shape_text(h) + ", largest difference " + kit::fmt(same));
  lab.note(
      "Information flows one way: input -> hidden -> hidden -> output, no loops. Each Linear maps the "
      "previous width to the next (2 -> 64 -> 64 -> 3); ReLU keeps the shape.");

  lab.heading("Training it on three spiral arms (Adam, full batch)");
  const int64_t steps = lab.pick<int64_t>(1000, 600);
  nn::CrossEntropyLoss loss;
  std::vector<double> curve = classify_2d::train(*model, loss, data, steps, 0.01);
  double acc = kit::accuracy(*model, data);
  lab.value("training accuracy after " + std::to_string(steps) + " steps", acc);
  lab.line_plot({"Training loss", "step", "cross-entropy", false, true}, {{"loss", kit::iota(curve.size()), curve}});
  lab.claim("the feedforward network fits the spirals (>= 97% training accuracy)", acc >= 0.97, pct(acc));

  std::vector<std::vector<double>> map = classify_2d::decision_map(*model, 41, 1.2);
  lab.heatmap({"Predicted class over [-1.2, 1.2]^2 (0, 1, 2)", "x1", "x2"}, map);
  std::vector<double> share(classes);
  for (const auto& r : map)
    for (double c : r) share[static_cast<size_t>(c)] += 1.0 / (41.0 * 41.0);
  double smallest = *std::min_element(share.begin(), share.end());
  lab.claim("each class owns a sizeable region of the plane (every class >= 15% of the grid)", smallest >= 0.15,
            "shares " + pct(share[0]) + ", " + pct(share[1]) + ", " + pct(share[2]));
}

}  // namespace feedforward_network_lab

Lab lab_feedforward_network() {
  return {158,
          "feedforward_network",
          "Feedforward network",
          "A feedforward network (multilayer perceptron) is a chain of layers applied in order, each feeding only "
          "the next: no cycles, no memory of earlier inputs. A batch enters as (N, features) and every layer maps it "
          "to (N, its width), until the output layer gives one score per class.",
          "the shape table (how a batch's width changes layer by layer), then the decision-region heatmap: three "
          "interleaved spiral regions carved out of the plane.",
          feedforward_network_lab::run};
}

}  // namespace strata::labs
