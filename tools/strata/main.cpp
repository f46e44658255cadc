// The `strata` command line (train, eval, predict, summary): a thin shell over strata::tools::cli_main.
#include <string>
#include <vector>

#include "strata/core/openmp_wait.h"
#include "strata/tools/run.h"

int main(int argc, char** argv) {
  strata::apply_openmp_wait_policy(argv);  // passive OpenMP waiting on a busy machine (docs/performance.md)
  std::vector<std::string> args(argv + 1, argv + argc);
  return strata::tools::cli_main(args);
}
