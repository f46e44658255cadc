// The bounded OpenMP spin (core/openmp_wait.h): set GOMP_SPINCOUNT before libgomp reads it, by re-executing.
#include "strata/core/openmp_wait.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace strata {

namespace {

// Marks the re-executed process, so that openmp_wait_description() can tell our value from the user's.
constexpr const char* kMarker = "STRATA_BOUNDED_SPIN";

}  // namespace

void bound_openmp_spin(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  if (argv == nullptr || argv[0] == nullptr) return;
  const std::string count = std::to_string(kBoundedSpinCount);
  if (setenv("GOMP_SPINCOUNT", count.c_str(), 1) != 0 || setenv(kMarker, "1", 1) != 0) return;
  execv("/proc/self/exe", argv);
  // exec failed (no /proc, say): run on with libgomp's defaults, as before. The variable stays set for child
  // processes, which is what the policy asks for anyway.
}

const char* openmp_wait_description() {
  static const std::string text = [] {
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    const char* spin = std::getenv("GOMP_SPINCOUNT");
    const bool ours =
        std::getenv(kMarker) != nullptr && spin != nullptr && std::string(spin) == std::to_string(kBoundedSpinCount);
    if (policy != nullptr) return std::string("OMP_WAIT_POLICY=") + policy + " (from the environment)";
    if (spin != nullptr)
      return std::string("GOMP_SPINCOUNT=") + spin + (ours ? " (set by strata)" : " (from the environment)");
    return std::string("libgomp default (300,000 spins)");
  }();
  return text.c_str();
}

}  // namespace strata
