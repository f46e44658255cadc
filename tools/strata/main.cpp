// The `strata` command line (train, eval, predict, summary): a thin shell over strata::tools::cli_main.
#include <iostream>
#include <string>
#include <vector>

#include "strata/core/openmp_wait.h"
#include "strata/dist/process_group.h"
#include "strata/tools/run.h"

int main(int argc, char** argv) {
  strata::apply_openmp_wait_policy(argv);  // passive OpenMP waiting on a busy machine (docs/performance.md)
  // Under mpirun (`mpirun -np 4 strata train cfg.json`) each process joins the job; alone, nothing happens.
  if (strata::dist::launched_by_mpi()) {
    try {
      strata::dist::init();
    } catch (const std::exception& e) {
      std::cerr << "strata: " << e.what() << "\n";
      return 1;
    }
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  // Under mpirun only rank 0 prints results; every rank prints its errors.
  std::ostream silent(nullptr);
  const int rc = strata::tools::cli_main(args, strata::dist::is_main() ? std::cout : silent, std::cerr);
  if (strata::dist::world_size() > 1) {
    // A rank that failed ends the whole job at once (the others would wait for it at their next all-reduce).
    if (rc != 0)
      strata::dist::abort("stopping every rank: this rank failed (exit code " + std::to_string(rc) + ")", rc);
    strata::dist::barrier();  // rank 0 may still be writing the run folder
    strata::dist::finalize();
  }
  return rc;
}
