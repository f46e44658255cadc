// Worked example, one-hot encoding: a colour feature (red, green, blue; only green is class 1) given to a linear
// model as integer codes and as one-hot vectors; one_hot(ids) @ W against an Embedding lookup; cross-entropy with
// class indices against cross-entropy with one-hot targets.
#include <algorithm>
#include <cmath>

#include "labs/classify_2d.h"
#include "labs/kit.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/nn/embedding.h"
#include "strata/nn/linear.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/ops/linalg.h"
#include "strata/ops/softmax.h"

namespace strata::labs {

namespace one_hot_encoding_lab {

void run(LabRun& lab) {
  using kit::fmt;
  using kit::pct;
  const int64_t n = lab.pick<int64_t>(1200, 600);
  const int64_t steps = lab.pick<int64_t>(500, 300);
  const std::vector<std::string> colours = {"red", "green", "blue"};
  Generator gen(lab.seed());
  std::vector<int64_t> ids, labels;
  for (int64_t i = 0; i < n; ++i) {
    ids.push_back(static_cast<int64_t>(gen.uniform_double() * 3) % 3);
    labels.push_back(ids.back() == 1 ? 1 : 0);  // only green is class 1
  }
  Tensor id = from_vector(ids, {n}), y = from_vector(labels, {n});
  Tensor codes = id.to(kFloat32).reshape({n, 1});  // red 0, green 1, blue 2
  Tensor onehot = one_hot(id, 3).to(kFloat32);     // red (1,0,0), green (0,1,0), blue (0,0,1)

  lab.heading("Colour as a number or as a one-hot vector; only green means class 1");
  lab.table("the two encodings", {"colour", "integer code", "one-hot"},
            {{"red", "0", "1, 0, 0"}, {"green", "1", "0, 1, 0"}, {"blue", "2", "0, 0, 1"}});
  nn::CrossEntropyLoss loss;
  manual_seed(lab.seed());
  nn::Linear on_codes(1, 2);
  classify_2d::train(on_codes, loss, {codes, y}, steps, 0.05);
  double acc_codes = kit::accuracy(on_codes, {codes, y});
  manual_seed(lab.seed());
  nn::Linear on_onehot(3, 2);
  classify_2d::train(on_onehot, loss, {onehot, y}, steps, 0.05);
  double acc_onehot = kit::accuracy(on_onehot, {onehot, y});
  // A monotone score thresholds the codes: it gets one whole colour wrong; at best the least frequent one.
  double smallest_share = 1;
  for (int64_t c = 0; c < 3; ++c)
    smallest_share = std::min(smallest_share, eq(id, static_cast<double>(c)).to(kFloat64).mean().item());
  lab.table("a linear model (logistic regression), " + std::to_string(steps) + " Adam steps",
            {"input", "training accuracy"},
            {{"integer code (1 number)", pct(acc_codes)}, {"one-hot (3 numbers)", pct(acc_onehot)}});
  lab.note(
      "On codes, a linear score w * code + b rises or falls monotonically from red to blue, so it cannot single "
      "out the middle value: any threshold on the code gets one whole colour wrong, at best the rarest (" +
      pct(1 - smallest_share) +
      " right here). The codes also invent an order and distances (blue is 'twice' green) that colours do not have. "
      "One-hot gives each colour its own weight.");
  lab.claim(
      "on integer codes the linear model cannot isolate green (no better than the best threshold on the code, "
      "about two thirds); on one-hot it is perfect (>= 99%)",
      acc_codes <= 1 - smallest_share + 1e-9 && acc_onehot >= 0.99,
      "codes " + pct(acc_codes) + " (best threshold " + pct(1 - smallest_share) + "), one-hot " + pct(acc_onehot));

  lab.heading("one_hot(ids) @ W is a row lookup: an Embedding");
  manual_seed(lab.seed());
  nn::Embedding table(3, 4);
  Tensor via_matmul = matmul(onehot, table.weight.detach());
  Tensor via_lookup = kit::predict(table, id);
  double diff = abs(sub(via_matmul, via_lookup)).max().item();
  lab.value("largest |one_hot(ids) @ W - Embedding(ids)| over " + std::to_string(n) + " rows", diff);
  lab.claim("multiplying a one-hot row by W selects a row of W: identical to nn::Embedding's lookup", diff == 0,
            "largest difference " + fmt(diff));
  lab.note(
      "Which is why embedding layers store the table and index it instead of building one-hot vectors: the "
      "same result without multiplying by zeros.");

  lab.heading("Class indices or one-hot targets: the same cross-entropy");
  manual_seed(lab.seed());
  Tensor logits = randn({n, 3});
  double with_indices = cross_entropy(logits, id).item();
  double with_onehot = -mul(onehot, log_softmax(logits, 1)).sum().item() / static_cast<double>(n);
  lab.value("cross_entropy(logits, class indices)", with_indices);
  lab.value("-mean over rows of sum one_hot * log_softmax(logits)", with_onehot);
  lab.claim("cross-entropy with class indices equals cross-entropy against one-hot targets (float32 rounding)",
            std::fabs(with_indices - with_onehot) < 1e-5, "difference " + fmt(std::fabs(with_indices - with_onehot)));
}

}  // namespace one_hot_encoding_lab

Lab lab_one_hot_encoding() {
  return {0,
          "one_hot_encoding",
          "One-hot encoding",
          "One-hot encoding writes a category out of K as a vector of K zeros with a single 1 at its position. "
          "Unlike integer codes it implies no order or distance between categories, so a model can weigh each "
          "category freely. Class labels are one-hot vectors in disguise: a class index picks the same entry.",
          "the accuracy table (a linear model on codes cannot pick out the middle colour, on one-hot it can), then "
          "the two identities: one-hot times a matrix is a table lookup, and index targets equal one-hot targets.",
          one_hot_encoding_lab::run};
}

}  // namespace strata::labs
