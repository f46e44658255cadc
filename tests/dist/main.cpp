// The dist tests' main: joins the MPI job when started by mpirun (a world of one otherwise), runs the tests on
// every rank, and leaves the job. Only rank 0 prints gtest's report.
#include <gtest/gtest.h>

#include "strata/dist/process_group.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  strata::dist::init();
  if (strata::dist::rank() != 0) GTEST_FLAG_SET(brief, true);  // the other ranks print their failures only
  const int rc = RUN_ALL_TESTS();
  // A failure on any rank fails the job.
  std::vector<double> failed{rc != 0 ? 1.0 : 0.0};
  strata::dist::all_reduce(failed);
  strata::dist::finalize();
  return failed[0] > 0 ? 1 : 0;
}
