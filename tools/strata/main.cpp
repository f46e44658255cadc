// The `strata` command line (train, eval, predict, summary): a thin shell over strata::tools::cli_main.
#include <string>
#include <vector>

#include "strata/tools/run.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return strata::tools::cli_main(args);
}
