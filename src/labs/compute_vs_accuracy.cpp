// Lab 200, compute vs accuracy: MLPs of several widths and depths trained briefly on the same task, each with
// its accuracy, parameters, FLOPs, latency and training memory; the Pareto front (diag::pareto_front); and an
// int8 copy of the largest (nn::quantize_dynamic) with its size and accuracy.
#include <algorithm>

#include "labs/kit.h"
#include "strata/core/generator.h"
#include "strata/diag/summary.h"
#include "strata/diag/tradeoff.h"
#include "strata/labs/lab.h"
#include "strata/nn/quantized.h"
#include "strata/optim/adam.h"

namespace strata::labs {

namespace compute_vs_accuracy_lab {

struct Point {
  std::string name;
  std::vector<int64_t> sizes;
  nn::ModulePtr model;
  double accuracy = 0, params = 0, flops = 0, latency_ms = 0, train_bytes = 0;
};

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  const int64_t n = lab.pick<int64_t>(3000, 1500);
  const int64_t epochs = lab.pick<int64_t>(15, 8);
  kit::XY all = kit::spirals(n + 1000, 3, 0.03, lab.seed());
  auto [tr, te] = kit::split(all, n);
  lab.note("3 spirals, " + std::to_string(n) + " training points, Adam lr 3e-3, batch 64, " + std::to_string(epochs) +
           " epochs for every model, same seed; accuracy on 1000 held-out points. FLOPs: forward, per example "
           "(diag::summarize); latency: fastest of 10 batch-1 calls; memory: peak allocated during one forward + "
           "backward of a batch of 64.");
  std::vector<Point> pts;
  for (auto [name, sizes] :
       std::vector<std::pair<std::string, std::vector<int64_t>>>{{"8 x 1", {2, 8, 3}},
                                                                 {"16 x 2", {2, 16, 16, 3}},
                                                                 {"32 x 2", {2, 32, 32, 3}},
                                                                 {"64 x 3", {2, 64, 64, 64, 3}},
                                                                 {"128 x 3", {2, 128, 128, 128, 3}},
                                                                 {"256 x 4", {2, 256, 256, 256, 256, 3}}}) {
    Point p;
    p.name = name;
    p.sizes = sizes;
    pts.push_back(p);
  }
  nn::CrossEntropyLoss loss;
  Tensor one = tr.x.narrow(0, 0, 1);
  kit::XY batch = kit::rows(tr, 0, 64);
  for (Point& p : pts) {
    manual_seed(lab.seed());
    p.model = kit::mlp(p.sizes, "relu");
    optim::Adam opt(p.model->parameters(), {.lr = 3e-3});
    train::FitOptions fo;
    fo.epochs = epochs;
    kit::fit(*p.model, loss, opt, tr, 64, fo, nullptr, lab.seed());
    p.accuracy = kit::accuracy(*p.model, te);
    diag::ModelSummary s = diag::summarize(*p.model, {1, 2});
    p.params = static_cast<double>(s.total_params);
    p.flops = static_cast<double>(s.flops);
    p.latency_ms = diag::inference_latency_ms(*p.model, one, 10);
    p.model->zero_grad();
    p.train_bytes =
        static_cast<double>(diag::peak_allocated_during([&] { loss((*p.model)(batch.x), batch.y).backward(); }));
    p.model->zero_grad();
  }
  std::vector<double> acc, flops;
  for (const Point& p : pts) {
    acc.push_back(p.accuracy);
    flops.push_back(p.flops);
  }
  std::vector<bool> front = diag::pareto_front(acc, flops);
  std::vector<double> params;
  for (const Point& p : pts) params.push_back(p.params);
  std::vector<bool> front_params = diag::pareto_front(acc, params);
  std::vector<std::vector<std::string>> rows;
  io::Json models = io::Json::array();
  for (size_t i = 0; i < pts.size(); ++i) {
    const Point& p = pts[i];
    rows.push_back({p.name, pct(p.accuracy), fmt(p.params), fmt(p.flops), fmt(p.latency_ms, 2),
                    fmt(p.train_bytes / 1024, 3), front[i] ? "yes" : ""});
    io::Json m = io::Json::object();
    m.set("name", p.name);
    m.set("metric", p.accuracy);
    m.set("params", p.params);
    m.set("flops", p.flops);
    m.set("latency_b1_ms", p.latency_ms);
    m.set("train_memory_bytes", p.train_bytes);
    m.set("front", io::Json::object({{"flops", io::Json(static_cast<bool>(front[i]))},
                                     {"params", io::Json(static_cast<bool>(front_params[i]))}}));
    models.push_back(m);
  }
  lab.table("width x hidden layers",
            {"model", "accuracy", "parameters", "FLOPs", "latency ms", "train KiB", "on the accuracy / FLOPs front"},
            rows);
  lab.page().set("tradeoff",
                 io::Json::object({{"metric", "accuracy"}, {"axis", "(width x hidden layers)"}, {"models", models}}));
  const int64_t on_front = std::count(front.begin(), front.end(), true);
  lab.claim("the accuracy / FLOPs Pareto front has at least 2 models (a real trade-off, not one winner)", on_front >= 2,
            std::to_string(on_front) + " of " + std::to_string(pts.size()));
  bool rising = true;
  for (size_t i = 1; i < pts.size(); ++i) rising = rising && pts[i].flops > pts[i - 1].flops;
  lab.claim("larger models cost more FLOPs (each row more than the one before)", rising,
            fmt(pts.front().flops) + " -> " + fmt(pts.back().flops) + " FLOPs per example");
  lab.claim("the smallest model is clearly less accurate than the best (> 10 points)",
            *std::max_element(acc.begin(), acc.end()) - acc.front() > 0.1,
            pct(acc.front()) + " vs " + pct(*std::max_element(acc.begin(), acc.end())));

  lab.heading("int8 weights: the " + pts[4].name + " model quantized after training");
  Point& big = pts[4];
  manual_seed(lab.seed());
  nn::ModulePtr q = kit::mlp(big.sizes, "relu");
  q->load_state_dict(big.model->state_dict());
  nn::quantize_dynamic(*q);
  double q_bytes = 0;
  for (auto& [name, m] : q->named_modules()) {
    if (auto qm = std::dynamic_pointer_cast<nn::QuantizedModule>(m)) q_bytes += static_cast<double>(qm->stored_bytes());
  }
  const double f_bytes = big.params * 4;
  const double q_acc = kit::accuracy(*q, te);
  lab.table(
      "", {"form", "weight bytes", "accuracy"},
      {{"float32", fmt(f_bytes), pct(big.accuracy)}, {"int8 (dynamic, per-channel scales)", fmt(q_bytes), pct(q_acc)}});
  lab.claim("int8 weights are about 4x smaller (> 3x: scales and float biases remain)", f_bytes > 3 * q_bytes,
            kit::times(f_bytes / q_bytes));
  lab.claim("int8 accuracy within 2 points of float32", std::abs(q_acc - big.accuracy) <= 0.02,
            pct(big.accuracy) + " -> " + pct(q_acc));
}

}  // namespace compute_vs_accuracy_lab

Lab lab_compute_vs_accuracy() {
  return {200,
          "compute_vs_accuracy",
          "Compute vs accuracy trade-off",
          "A bigger model usually fits better, but costs more parameters (storage), FLOPs (energy, speed), latency "
          "and training memory. The useful models are those on the Pareto front: no other model is both more "
          "accurate and cheaper. Quantizing weights to 8-bit integers moves a model along the cost axis almost for "
          "free in accuracy.",
          "the table's front column and the tradeoff plots (accuracy against each cost, the front joined); then "
          "the int8 table: a quarter of the bytes for nearly the same accuracy.",
          compute_vs_accuracy_lab::run};
}

}  // namespace strata::labs
