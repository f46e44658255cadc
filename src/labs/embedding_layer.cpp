// Lab 180, embedding layer: a lookup that equals one-hot times a weight matrix exactly, at a fraction of the
// cost and with a gradient only on the rows used; and trained embeddings that put tokens with the same role
// close together.
#include <chrono>
#include <cmath>
#include <cstdlib>

#include "labs/kit.h"
#include "labs/sequence_tasks.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"
#include "strata/nn/embedding.h"
#include "strata/nn/linear.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/ops/linalg.h"
#include "strata/ops/reduction.h"
#include "strata/ops/softmax.h"
#include "strata/optim/adam.h"
#include "strata/train/step.h"

namespace strata::labs {

namespace embedding_layer_lab {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Mean cosine similarity of rows of w within the same group (pairs i != j) and across groups.
std::pair<double, double> cosine_within_across(const Tensor& w, const std::vector<int64_t>& group,
                                               std::vector<std::vector<double>>* matrix) {
  const std::vector<float> v = w.to_vector<float>();
  const auto n = static_cast<size_t>(w.size(0)), d = static_cast<size_t>(w.size(1));
  auto cos = [&](size_t i, size_t j) {
    double dot = 0, ni = 0, nj = 0;
    for (size_t k = 0; k < d; ++k) {
      dot += v[i * d + k] * v[j * d + k];
      ni += v[i * d + k] * v[i * d + k];
      nj += v[j * d + k] * v[j * d + k];
    }
    return dot / std::sqrt(ni * nj);
  };
  double within = 0, across = 0;
  int64_t nw = 0, na = 0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      if (i == j) continue;
      if (group[i] == group[j]) {
        within += cos(i, j);
        ++nw;
      } else {
        across += cos(i, j);
        ++na;
      }
    }
  }
  if (matrix != nullptr) {
    // Rows and columns ordered by group, so that same-role tokens sit in blocks.
    std::vector<size_t> order;
    for (int64_t g = 0; g < 3; ++g)
      for (size_t i = 0; i < n; ++i)
        if (group[i] == g) order.push_back(i);
    matrix->clear();
    for (size_t i : order) {
      std::vector<double> row;
      for (size_t j : order) row.push_back(cos(i, j));
      matrix->push_back(row);
    }
  }
  return {within / static_cast<double>(nw), across / static_cast<double>(na)};
}

void run(LabRun& lab) {
  using kit::fmt;

  lab.heading("A lookup is one-hot times a matrix");
  const int64_t V = lab.pick<int64_t>(20000, 5000), d = 64, N = 512;
  manual_seed(lab.seed());
  nn::Embedding emb(V, d);
  Generator gen(lab.seed());
  Tensor ids = randint(0, V, {N}, TensorOptions(kInt64), &gen);
  const int reps = 5;
  Tensor looked = emb(ids), dense;  // one untimed call first: the table's pages are touched, not counted
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) looked = emb(ids);
  const double t_lookup = seconds_since(t0) / reps;
  Tensor hot = one_hot(ids, V).to(kFloat32);
  dense = mm(hot, emb.weight);
  t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) dense = mm(hot, emb.weight);
  const double t_dense = seconds_since(t0) / reps;
  const double diff = abs(sub(looked, dense)).max().item();
  nn::Linear as_dense(V, d);
  lab.table(std::to_string(N) + " tokens from a vocabulary of " + std::to_string(V) + ", d = " + std::to_string(d),
            {"", "parameters", "time per batch", "multiply-adds"},
            {{"Embedding (row lookup)", std::to_string(emb.num_parameters()), fmt(t_lookup * 1e6) + " us", "0"},
             {"one-hot (N, V) @ W", std::to_string(emb.num_parameters()), fmt(t_dense * 1e6) + " us",
              fmt(static_cast<double>(N * V * d))},
             {"Linear(V, d) on one-hot input", std::to_string(as_dense.num_parameters()), "-",
              fmt(static_cast<double>(N * V * d)) + " + bias"}});
  lab.value("largest |lookup - one_hot @ W|", diff);

  // The gradient of a lookup touches only the rows used.
  Tensor few = tensor({3, 17, 17, 250, 4999}, TensorOptions(kInt64));
  emb.weight.zero_grad();
  emb(few).sum().backward();
  const std::vector<float> g = emb.weight.grad().abs().sum({1}).to_vector<float>();
  int64_t nonzero = 0;
  for (float x : g) nonzero += x != 0;
  lab.value("rows with a non-zero gradient after a batch of 5 tokens (4 distinct)", static_cast<double>(nonzero));

  lab.heading("Trained embeddings group tokens by role");
  const int64_t vocab = 30, dim = 8, batch = 128, steps = lab.pick<int64_t>(600, 300);
  std::vector<int64_t> group(static_cast<size_t>(vocab));
  for (int64_t t = 0; t < vocab; ++t) group[static_cast<size_t>(t)] = t % 3;
  lab.note(
      "A toy language of 30 tokens in 3 hidden groups (token t is in group t mod 3). After a token of group g comes "
      "any token of group g + 1 (mod 3), uniformly. A model Embedding(30, 8) -> Linear(8, 30) learns to predict "
      "the next token (AdamW lr 0.01, weight decay 0.01, " +
      std::to_string(steps) +
      " steps of 128 pairs). Tokens of a group are interchangeable: they predict the same thing, so training "
      "gives them the same job, and nothing but the job shapes their vectors.");
  manual_seed(lab.seed());
  auto table = std::make_shared<nn::Embedding>(vocab, dim);
  auto readout = std::make_shared<nn::Linear>(dim, vocab);
  std::vector<std::vector<double>> before_m, after_m;
  std::vector<std::string> by_group;
  for (int64_t grp = 0; grp < 3; ++grp)
    for (int64_t t = grp; t < vocab; t += 3) by_group.push_back(std::to_string(t));
  const auto before = cosine_within_across(table->weight.detach(), group, &before_m);
  {
    std::vector<Tensor> params = table->parameters();
    for (const Tensor& p : readout->parameters()) params.push_back(p);
    optim::AdamW opt(params, {.lr = 1e-2, .weight_decay = 1e-2});
    Generator data(lab.seed() + 1);
    for (int64_t s = 0; s < steps; ++s) {
      std::vector<int64_t> cur(static_cast<size_t>(batch)), next(static_cast<size_t>(batch));
      for (int64_t i = 0; i < batch; ++i) {
        const int64_t c = static_cast<int64_t>(data.random() % vocab);
        const int64_t g2 = (c % 3 + 1) % 3;
        cur[static_cast<size_t>(i)] = c;
        next[static_cast<size_t>(i)] = g2 + 3 * static_cast<int64_t>(data.random() % (vocab / 3));
      }
      opt.zero_grad();
      Tensor loss = cross_entropy((*readout)((*table)(from_vector(cur, {batch}))), from_vector(next, {batch}));
      loss.backward();
      opt.step();
    }
  }
  const auto after = cosine_within_across(table->weight.detach(), group, &after_m);
  lab.table("mean cosine similarity between token vectors", {"", "same group", "different groups", "difference"},
            {{"at initialisation", fmt(before.first), fmt(before.second), fmt(before.first - before.second)},
             {"after training", fmt(after.first), fmt(after.second), fmt(after.first - after.second)}});
  lab.heatmap({"Cosine similarity after training (tokens ordered by group: 0, 3, 6, ... then 1, 4, ... then 2, 5, ...)",
               "token", "token"},
              after_m, false, by_group, by_group);
  lab.heatmap({"The same at initialisation", "token", "token"}, before_m, false, by_group, by_group);

  lab.claim("an embedding lookup equals one_hot(ids) @ W exactly", diff == 0.0, "largest difference " + fmt(diff));
  lab.note("Time per batch: lookup " + fmt(t_lookup * 1e6) + " us, one-hot product " + fmt(t_dense * 1e6) +
           " us (printed, not claimed: timings depend on the machine and its load).");
  lab.claim("only the rows of the tokens used get a gradient", nonzero == 4,
            std::to_string(nonzero) + " of " + std::to_string(V) + " rows");
  lab.claim("after training, tokens of the same group are far more alike (mean cosine over 0.5 above other groups')",
            after.first - after.second > 0.5,
            "same group " + fmt(after.first) + ", different groups " + fmt(after.second));
  lab.claim("at initialisation there is no such structure (random vectors: difference under 0.25)",
            std::fabs(before.first - before.second) < 0.25,
            "same group " + fmt(before.first) + ", different groups " + fmt(before.second));
}

}  // namespace embedding_layer_lab

Lab lab_embedding_layer() {
  return {180,
          "embedding_layer",
          "Embedding layer",
          "An embedding layer turns a token id into a learned vector by reading one row of a table. That is "
          "exactly what multiplying a one-hot vector by the table would give, without building the one-hot vector "
          "or doing the multiplications, and backpropagation only updates the rows that were read. Training moves "
          "the rows so that tokens used the same way end up with similar vectors.",
          "the first table (same result, same parameters, very different cost), then the cosine-similarity "
          "heatmaps: after training three bright blocks appear, one per group of interchangeable tokens.",
          embedding_layer_lab::run};
}

}  // namespace strata::labs
