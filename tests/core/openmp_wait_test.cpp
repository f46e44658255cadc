// strata::apply_openmp_wait_policy (core/openmp_wait.h): on a busy machine, re-executes with GOMP_SPINCOUNT=0;
// on a quiet one with GOMP_SPINCOUNT=100000; when the user chose, changes nothing.
#include "strata/core/openmp_wait.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace {

// Runs apply_openmp_wait_policy in a forked child whose environment has `policy` / `spin` (null: unset) and
// STRATA_OMP_BUSY_CORES=`busy`. The child's program is this test binary running only DISABLED_ChildReport,
// which prints openmp_wait_description(); if the policy returns instead of re-executing, the child prints
// "returned: " and the description. Returns the child's stdout.
std::string run_child(const char* policy, const char* spin, const char* busy) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    for (const char* v : {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "STRATA_OMP_BUSY_AT_START"}) unsetenv(v);
    if (policy) setenv("OMP_WAIT_POLICY", policy, 1);
    if (spin) setenv("GOMP_SPINCOUNT", spin, 1);
    setenv("STRATA_OMP_BUSY_CORES", busy, 1);
    setenv("STRATA_SPIN_TEST_CHILD", "1", 1);
    char self[] = "/proc/self/exe";
    char filter[] = "--gtest_filter=OpenmpWait.DISABLED_ChildReport";
    char disabled[] = "--gtest_also_run_disabled_tests";
    char* argv[] = {self, filter, disabled, nullptr};
    strata::apply_openmp_wait_policy(argv);
    const std::string msg = std::string("returned: ") + strata::openmp_wait_description() + "\n";
    (void)!write(STDOUT_FILENO, msg.data(), msg.size());
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  return out;
}

TEST(OpenmpWait, DISABLED_ChildReport) {
  if (std::getenv("STRATA_SPIN_TEST_CHILD") == nullptr) GTEST_SKIP() << "only run by run_child";
  std::printf("description: %s\n", strata::openmp_wait_description());
}

TEST(OpenmpWait, BusyMachineReexecutesWithPassiveWaiting) {
  const std::string out = run_child(nullptr, nullptr, "1.5");
  EXPECT_NE(out.find("description: GOMP_SPINCOUNT=0 (set by strata: 1.5 cores busy at start-up)"), std::string::npos)
      << out;
  EXPECT_EQ(out.find("returned"), std::string::npos) << out;
}

TEST(OpenmpWait, QuietMachineReexecutesWithABoundedSpin) {
  const std::string out = run_child(nullptr, nullptr, "0.2");
  EXPECT_NE(out.find("description: GOMP_SPINCOUNT=100000 (set by strata: 0.2 cores busy at start-up)"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("returned"), std::string::npos) << out;
}

TEST(OpenmpWait, LeavesTheUsersChoiceAlone) {
  EXPECT_EQ(run_child("passive", nullptr, "2"), "returned: OMP_WAIT_POLICY=passive (from the environment)\n");
  EXPECT_EQ(run_child(nullptr, "300000", "2"), "returned: GOMP_SPINCOUNT=300000 (from the environment)\n");
}

TEST(OpenmpWait, SampleSeesABusyLoop) {
  // The sample never goes negative, and a spinning child process counts as other load.
  const double quiet = strata::sample_busy_cores(30);
  EXPECT_GE(quiet, 0.0);
  const pid_t pid = fork();
  if (pid == 0) {
    volatile long spin = 0;
    for (;;) spin = spin + 1;
  }
  const double busy = strata::sample_busy_cores(100);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  EXPECT_GT(busy, 0.6) << "a spinning child process is other load";
}

}  // namespace
