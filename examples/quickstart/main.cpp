// Quickstart: a two-layer network trained with hand-written mini-batch SGD on an XOR-like problem (the
// label says whether x0 and x1 have the same sign), using only tensors and autograd; the nn and optim
// layers come in a later release. Prints the loss as it falls, the test accuracy, and a gradient check.
#include <cmath>
#include <iomanip>
#include <iostream>

#include "strata/strata.h"

using namespace strata;

namespace {

struct Net {
  Tensor w1, b1, w2, b2;
  TensorList params() const { return {w1, b1, w2, b2}; }
  // x: (N, 2) -> logits (N, 2)
  Tensor forward(const Tensor& x) const { return linear(relu(linear(x, w1, b1)), w2, b2); }
};

// He-style init: N(0, 2 / fan_in).
Tensor init_weight(int64_t out, int64_t in, Generator& gen) {
  return (randn({out, in}, {}, &gen) * std::sqrt(2.0 / static_cast<double>(in))).requires_grad_();
}

}  // namespace

int main() {
  Generator gen(0);
  const int64_t n_train = 2048, n_test = 512, hidden = 32, batch = 64;
  Tensor x_train = rand({n_train, 2}, {}, &gen) * 2.0 - 1.0;
  Tensor y_train = gt(x_train.select(1, 0) * x_train.select(1, 1), 0.0).to(kInt64);
  Tensor x_test = rand({n_test, 2}, {}, &gen) * 2.0 - 1.0;
  Tensor y_test = gt(x_test.select(1, 0) * x_test.select(1, 1), 0.0).to(kInt64);

  Net net{init_weight(hidden, 2, gen), zeros({hidden}).requires_grad_(), init_weight(2, hidden, gen),
          zeros({2}).requires_grad_()};
  const double lr = 0.1;
  for (int epoch = 1; epoch <= 30; ++epoch) {
    Tensor perm = randperm(n_train, &gen);
    double total = 0;
    for (int64_t s = 0; s < n_train; s += batch) {
      Tensor idx = perm.narrow(0, s, batch);
      Tensor loss = cross_entropy(net.forward(index_select(x_train, 0, idx)), index_select(y_train, 0, idx));
      loss.backward();
      NoGradGuard no_grad;  // the update itself is not part of the graph
      for (Tensor p : net.params()) {
        p.sub_(p.grad() * lr);
        p.zero_grad();
      }
      total += loss.item();
    }
    if (epoch == 1 || epoch % 5 == 0) {
      std::cout << "epoch " << std::setw(2) << epoch << "  train loss " << std::fixed << std::setprecision(4)
                << total / static_cast<double>(n_train / batch) << "\n";
    }
  }
  NoGradGuard no_grad;
  Tensor pred = argmax(net.forward(x_test), 1);
  double acc = eq(pred, y_test).to(kFloat32).mean().item();
  std::cout << "test accuracy " << std::setprecision(1) << 100 * acc << "%\n";

  // Gradient check of the network's forward pass in float64 against central differences.
  EnableGradGuard grad_on;
  TensorList in;
  for (const Tensor& p : net.params()) in.push_back(p.detach().to(kFloat64).requires_grad_());
  in.push_back(x_test.narrow(0, 0, 4).to(kFloat64));
  GradcheckReport r =
      gradcheck([](const TensorList& t) { return linear(relu(linear(t[4], t[0], t[1])), t[2], t[3]); }, in);
  std::cout << "gradcheck of the network: " << (r.passed ? "passed" : r.message) << "\n";
  return r.passed && acc > 0.9 ? 0 : 1;
}
