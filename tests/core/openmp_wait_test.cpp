// strata::bound_openmp_spin (core/openmp_wait.h): re-executes with GOMP_SPINCOUNT bounded unless the user chose.
#include "strata/core/openmp_wait.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace {

// Runs bound_openmp_spin in a forked child whose environment has `policy` / `spin` (null: unset). The child's
// program is this test binary running only DISABLED_ChildReport, which prints openmp_wait_description(); if
// bound_openmp_spin returns instead of re-executing, the child prints "returned". Returns the child's stdout.
std::string run_child(const char* policy, const char* spin) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    unsetenv("OMP_WAIT_POLICY");
    unsetenv("GOMP_SPINCOUNT");
    unsetenv("STRATA_BOUNDED_SPIN");
    if (policy) setenv("OMP_WAIT_POLICY", policy, 1);
    if (spin) setenv("GOMP_SPINCOUNT", spin, 1);
    setenv("STRATA_SPIN_TEST_CHILD", "1", 1);
    char self[] = "/proc/self/exe";
    char filter[] = "--gtest_filter=OpenmpSpin.DISABLED_ChildReport";
    char disabled[] = "--gtest_also_run_disabled_tests";
    char* argv[] = {self, filter, disabled, nullptr};
    strata::bound_openmp_spin(argv);
    const char msg[] = "returned\n";
    (void)!write(STDOUT_FILENO, msg, sizeof(msg) - 1);
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

TEST(OpenmpSpin, DISABLED_ChildReport) {
  if (std::getenv("STRATA_SPIN_TEST_CHILD") == nullptr) GTEST_SKIP() << "only run by run_child";
  std::printf("description: %s\n", strata::openmp_wait_description());
}

TEST(OpenmpSpin, ReexecutesWithABoundedSpinCountWhenTheUserChoseNothing) {
  const std::string out = run_child(nullptr, nullptr);
  EXPECT_NE(out.find("description: GOMP_SPINCOUNT=" + std::to_string(strata::kBoundedSpinCount) + " (set by strata)"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("returned"), std::string::npos) << out;
}

TEST(OpenmpSpin, LeavesTheUsersChoiceAlone) {
  EXPECT_EQ(run_child("passive", nullptr), "returned\n");
  EXPECT_EQ(run_child(nullptr, "0"), "returned\n");
  EXPECT_EQ(run_child("active", "300000"), "returned\n");
}

}  // namespace
