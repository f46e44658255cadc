// Lab 162, backpropagation: the gradients of a two-layer network derived by hand with the chain rule (explicit
// float64 matrix formulas) against autograd's, a finite-difference check of one entry, the forward values the
// backward pass reuses, and the measured time of forward and backward.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "labs/kit.h"
#include "strata/autograd/grad_mode.h"
#include "strata/labs/lab.h"
#include "strata/ops/activation.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/linalg.h"
#include "strata/ops/reduction.h"

namespace strata::labs {

namespace backpropagation_lab {

struct Params {
  Tensor w1, b1, w2, b2;
};

// loss = mean((tanh(x W1^T + b1) W2^T + b2 - y)^2)
Tensor forward_loss(const Params& p, const Tensor& x, const Tensor& y) {
  Tensor h = tanh(add(matmul(x, p.w1.t()), p.b1));
  Tensor out = add(matmul(h, p.w2.t()), p.b2);
  return mean(square(sub(out, y)));
}

double max_diff(const Tensor& a, const Tensor& b) { return abs(sub(a, b)).max().item(); }

std::string shape_text(const Tensor& t) {
  std::string s = "(";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + ")";
}

void run(LabRun& lab) {
  using kit::fmt;
  const int64_t n = 64, d = 5, hidden = 8, o = 3;
  TensorOptions f64(kFloat64);
  manual_seed(lab.seed());
  Tensor x = randn({n, d}, f64), y = randn({n, o}, f64);
  Params p{mul(randn({hidden, d}, f64), 0.5), mul(randn({hidden}, f64), 0.1), mul(randn({o, hidden}, f64), 0.5),
           mul(randn({o}, f64), 0.1)};
  for (Tensor* t : {&p.w1, &p.b1, &p.w2, &p.b2}) t->requires_grad_();

  lab.heading("A 2-layer network: h = tanh(x W1^T + b1), out = h W2^T + b2, L = mean((out - y)^2)");
  forward_loss(p, x, y).backward();

  // By hand, the chain rule from the loss back to each parameter (no autograd).
  NoGradGuard no_grad;
  Tensor w1 = p.w1.detach(), b1 = p.b1.detach(), w2 = p.w2.detach(), b2 = p.b2.detach();
  Tensor h = tanh(add(matmul(x, w1.t()), b1));  // forward values kept for the backward pass
  Tensor out = add(matmul(h, w2.t()), b2);
  Tensor d_out = mul(sub(out, y), 2.0 / static_cast<double>(n * o));  // dL/dout
  Tensor d_w2 = matmul(d_out.t(), h);                                 // dL/dW2 = dout^T h
  Tensor d_b2 = sum(d_out, {0});                                      // dL/db2 = sum over rows
  Tensor d_h = matmul(d_out, w2);                                     // dL/dh = dout W2
  Tensor d_z = mul(d_h, rsub(square(h), 1.0));                        // tanh' = 1 - h^2
  Tensor d_w1 = matmul(d_z.t(), x);                                   // dL/dW1 = dz^T x
  Tensor d_b1 = sum(d_z, {0});
  std::vector<std::vector<std::string>> rows;
  double worst = 0;
  struct Row {
    std::string name, formula;
    Tensor hand, autograd;
  };
  for (const Row& r : std::vector<Row>{{"W1", "dz^T x, dz = (dout W2) * (1 - h^2)", d_w1, p.w1.grad()},
                                       {"b1", "column sums of dz", d_b1, p.b1.grad()},
                                       {"W2", "dout^T h, dout = 2 (out - y) / (N O)", d_w2, p.w2.grad()},
                                       {"b2", "column sums of dout", d_b2, p.b2.grad()}}) {
    double diff = max_diff(r.hand, r.autograd);
    worst = std::max(worst, diff);
    rows.push_back({r.name, shape_text(r.hand), r.formula, fmt(r.hand.norm().item(), 6), fmt(diff)});
  }
  lab.table("gradients by hand (float64) against autograd",
            {"parameter", "shape", "formula", "||grad||", "largest |hand - autograd|"}, rows);
  lab.claim("the chain-rule gradients equal autograd's to ~1e-12 (float64)", worst < 1e-12,
            "largest difference " + fmt(worst));

  // Both could share a mistake: check one entry against the loss itself.
  const double eps = 1e-6;
  Params plus{w1.clone(), b1, w2, b2}, minus{w1.clone(), b1, w2, b2};
  plus.w1.data_ptr<double>()[0] += eps;
  minus.w1.data_ptr<double>()[0] -= eps;
  double numeric = (forward_loss(plus, x, y).item() - forward_loss(minus, x, y).item()) / (2 * eps);
  double analytic = d_w1.at({0, 0});
  double rel = std::fabs(numeric - analytic) / std::max(std::fabs(numeric), 1e-300);
  lab.value("dL/dW1[0,0] by finite differences", numeric);
  lab.value("dL/dW1[0,0] by the chain rule", analytic);
  lab.claim("a central finite difference of the loss agrees with dL/dW1[0,0] (relative error < 1e-6)", rel < 1e-6,
            "relative error " + fmt(rel));

  lab.heading("What the backward pass reuses from the forward pass");
  lab.table("", {"forward value", "shape", "bytes (float64)", "used for"},
            {{"x", shape_text(x), std::to_string(x.numel() * 8), "dL/dW1 = dz^T x"},
             {"h = tanh(z1)", shape_text(h), std::to_string(h.numel() * 8), "dL/dW2 = dout^T h and tanh' = 1 - h^2"},
             {"out - y", shape_text(out), std::to_string(out.numel() * 8), "dL/dout"}});
  lab.note(
      "Backprop never recomputes the forward pass: it reads the stored activations. That is why training "
      "holds far more memory than prediction, growing with depth and batch size.");

  lab.heading("Forward and backward time of a larger float32 network (measured, not a claim)");
  const int64_t reps = lab.pick<int64_t>(20, 5);
  manual_seed(lab.seed());
  Tensor bx = randn({256, 256}), by = randn({256, 64});
  Params big{mul(randn({512, 256}), 0.05), zeros({512}), mul(randn({64, 512}), 0.05), zeros({64})};
  double fwd = 0, bwd = 0;
  {
    EnableGradGuard grad_on;
    for (Tensor* t : {&big.w1, &big.b1, &big.w2, &big.b2}) t->requires_grad_();
    for (int64_t r = 0; r < reps; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      Tensor l = forward_loss(big, bx, by);
      auto t1 = std::chrono::steady_clock::now();
      l.backward();
      auto t2 = std::chrono::steady_clock::now();
      fwd += std::chrono::duration<double>(t1 - t0).count();
      bwd += std::chrono::duration<double>(t2 - t1).count();
    }
  }
  lab.value("forward, 256 x 256 -> 512 -> 64, mean of " + std::to_string(reps), 1e3 * fwd / reps, "ms");
  lab.value("backward, same network", 1e3 * bwd / reps, "ms");
  lab.note(
      "Backward does about twice the forward's matrix work (a gradient for the weights and one for the "
      "inputs of each layer); the ratio measured here depends on the machine and its load.");
}

}  // namespace backpropagation_lab

Lab lab_backpropagation() {
  return {162,
          "backpropagation",
          "Backpropagation",
          "Backpropagation computes the gradient of the loss with respect to every weight by applying the chain rule "
          "layer by layer from the output back to the input, reusing the values the forward pass stored. It costs "
          "about as much as a couple of forward passes, whatever the number of weights.",
          "the gradient table: the hand-written chain-rule formulas and the library's autograd agree to rounding "
          "(about 1e-16); "
          "then which forward values the backward formulas read.",
          backpropagation_lab::run};
}

}  // namespace strata::labs
