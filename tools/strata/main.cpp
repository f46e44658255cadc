// The `strata` command line (train, eval, predict, summary): a thin shell over strata::tools::cli_main.
#include <string>
#include <vector>

#include "strata/core/openmp_wait.h"
#include "strata/tools/run.h"

int main(int argc, char** argv) {
  strata::bound_openmp_spin(argv);  // the busy-machine policy (docs/performance.md); may re-execute
  std::vector<std::string> args(argv + 1, argv + argc);
  return strata::tools::cli_main(args);
}
