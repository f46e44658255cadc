// The outside consumer of tests/install: a tensor, a sum and a matrix product through the installed package.
#include <cstdio>

#include "strata/ops/creation.h"
#include "strata/ops/linalg.h"

int main() {
  const double sum = strata::arange(1, 101).sum().item();  // 1 + ... + 100
  const strata::Tensor a = strata::arange(0, 6).reshape({2, 3});
  const double product = strata::matmul(a, strata::ones({3, 2})).sum().item();  // 2 * (0 + ... + 5)
  std::printf("strata %s: sum %g, matmul sum %g\n", STRATA_PACKAGE_VERSION, sum, product);
  return sum == 5050 && product == 30 ? 0 : 1;
}
