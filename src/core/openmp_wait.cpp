// The OpenMP waiting policy (core/openmp_wait.h): sample the machine, then set GOMP_SPINCOUNT before libgomp
// reads it, by re-executing.
#include "strata/core/openmp_wait.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace strata {

namespace {

// Marks the re-executed process with the busy cores that decided it, so openmp_wait_description() can tell our
// setting from the user's.
constexpr const char* kMarker = "STRATA_OMP_BUSY_AT_START";

// Busy and total jiffies of the whole machine (iowait counts as idle; steal as busy: another guest had the core).
bool read_jiffies(double& busy, double& total) {
  std::ifstream f("/proc/stat");
  std::string cpu;
  if (!(f >> cpu) || cpu != "cpu") return false;
  double v[10] = {};
  for (double& x : v) f >> x;
  if (!f) return false;
  total = 0;
  for (double x : v) total += x;
  busy = total - v[3] - v[4];
  return total > 0;
}

double own_cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

std::string& decided() {  // what the policy did in this process, when it looked at the machine itself
  static std::string s;
  return s;
}

std::string format_cores(double cores) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", cores);
  return buf;
}

}  // namespace

double sample_busy_cores(int ms) {
  double b0 = 0, t0 = 0, b1 = 0, t1 = 0;
  const double c0 = own_cpu_seconds();
  if (!read_jiffies(b0, t0)) return 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  if (!read_jiffies(b1, t1) || t1 <= t0) return 0;
  const long hz = sysconf(_SC_CLK_TCK);
  const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  const double seconds = (t1 - t0) / static_cast<double>(hz > 0 ? hz : 100) / static_cast<double>(ncpu > 0 ? ncpu : 1);
  const double other = (b1 - b0) / static_cast<double>(hz > 0 ? hz : 100) - (own_cpu_seconds() - c0);
  return seconds > 0 ? std::max(0.0, other / seconds) : 0.0;
}

void apply_openmp_wait_policy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  const char* forced = std::getenv("STRATA_OMP_BUSY_CORES");
  const double busy = forced != nullptr ? std::atof(forced) : sample_busy_cores(kBusySampleMs);
  decided() = format_cores(busy);
  if (argv == nullptr || argv[0] == nullptr) return;
  const std::string spin = std::to_string(busy >= kBusyCores ? kBusySpinCount : kQuietSpinCount);
  if (setenv("GOMP_SPINCOUNT", spin.c_str(), 1) != 0 || setenv(kMarker, decided().c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // exec failed (no /proc, say): run on with libgomp's defaults, as before. The variable stays set for child
  // processes, which is what the policy asks for anyway.
  unsetenv(kMarker);
}

const char* openmp_wait_description() {
  static const std::string text = [] {
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    const char* spin = std::getenv("GOMP_SPINCOUNT");
    const char* marker = std::getenv(kMarker);
    if (policy != nullptr) return std::string("OMP_WAIT_POLICY=") + policy + " (from the environment)";
    if (spin != nullptr && marker != nullptr) {
      return std::string("GOMP_SPINCOUNT=") + spin + " (set by strata: " + marker + " cores busy at start-up)";
    }
    if (spin != nullptr) return std::string("GOMP_SPINCOUNT=") + spin + " (from the environment)";
    if (!decided().empty()) return "libgomp default (" + decided() + " cores busy at start-up; not re-executed)";
    return std::string("libgomp default (spin)");
  }();
  return text.c_str();
}

}  // namespace strata
