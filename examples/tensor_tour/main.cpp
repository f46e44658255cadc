// A first look at Strata: tensors, broadcasting, views and reverse-mode autograd.
#include <iostream>

#include "strata/strata.h"

int main() {
  using namespace strata;
  manual_seed(0);
  Tensor w = tensor({{0.5, -1.0}, {2.0, 0.25}}).requires_grad_();
  Tensor x = tensor({1.0, 2.0});
  Tensor y = (w * x).sum({1});  // (2,)
  Tensor loss = (y * y).sum();
  loss.backward();
  std::cout << "w      = " << w << "\n";
  std::cout << "y      = " << y << "\n";
  std::cout << "loss   = " << loss.item() << "\n";
  std::cout << "dL/dw  = " << w.grad() << "\n";
  std::cout << "x^T    = " << x.unsqueeze(0).t() << "\n";
  return 0;
}
