#pragma once
// The busy-machine policy of the `strata` CLI and the examples (docs/performance.md, "Busy machines").
// libgomp's idle workers spin 300,000 times before they sleep. When other processes hold the cores, that
// spinning starves the thread the team waits for, and 2-thread training ran 10-50x slower than with a bounded
// spin. Applications that link Strata can call bound_openmp_spin() first thing in main() for the same policy.
namespace strata {

// The GOMP_SPINCOUNT the policy sets (docs/performance.md has the measurements behind the value).
inline constexpr long kBoundedSpinCount = 10000;

// When neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set, sets GOMP_SPINCOUNT to kBoundedSpinCount and
// re-executes the program with the same arguments (libgomp reads its settings once, when it is loaded).
// Returns without doing anything when either is set, and returns with libgomp's defaults in force if the
// program cannot be re-executed.
void bound_openmp_spin(char** argv);

// Where the OpenMP waiting setting comes from, for `strata --version`: "GOMP_SPINCOUNT=10000 (set by strata)",
// "OMP_WAIT_POLICY=passive (from the environment)" or "libgomp default (300,000 spins)".
const char* openmp_wait_description();

}  // namespace strata
