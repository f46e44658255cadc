#pragma once
// The busy-machine policy of the `strata` CLI and the examples (docs/performance.md, "Busy machines").
// libgomp's idle workers spin 300,000 times before they sleep. On a quiet machine that is the fastest setting;
// when other processes hold the cores, the spinning starves the thread the team waits for, and 2-thread training
// ran 7-15x slower than with passive waiting (GOMP_SPINCOUNT=0), which in turn costs ~10% on a quiet machine.
// Spin counts of 1,000-10,000 were worse than passive when busy and no better than it when quiet; 100,000 was as
// fast as the default when quiet and twice as fast as it when busy. So the policy looks at the machine once, at
// start-up: passive when busy, 100,000 spins when quiet (a hedge for a machine that turns busy later).
// Applications that link Strata can call apply_openmp_wait_policy() first thing in main() for the same policy.
namespace strata {

// Other processes using at least this many cores (sampled over kBusySampleMs at start-up) make the machine busy.
inline constexpr double kBusyCores = 0.5;
inline constexpr int kBusySampleMs = 60;
inline constexpr long kBusySpinCount = 0;        // passive
inline constexpr long kQuietSpinCount = 100000;  // libgomp's default is 300,000

// When neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set, sets GOMP_SPINCOUNT (kBusySpinCount on a busy
// machine, kQuietSpinCount on a quiet one) and re-executes the program with the same arguments (libgomp reads
// its settings once, when it is loaded). When the user set either variable it changes nothing. If the program
// cannot be re-executed it returns with libgomp's defaults in force. STRATA_OMP_BUSY_CORES=<x> replaces the
// sample (tests).
void apply_openmp_wait_policy(char** argv);

// Cores' worth of CPU time that other processes used over `ms` milliseconds (from /proc/stat; 0 if unreadable).
double sample_busy_cores(int ms);

// What decided OpenMP's waiting, for `strata --version`: "GOMP_SPINCOUNT=0 (set by strata: 1.9 cores busy at
// start-up)", "GOMP_SPINCOUNT=100000 (set by strata: 0.0 cores busy at start-up)", "OMP_WAIT_POLICY=passive
// (from the environment)" or "libgomp default" (the policy was not applied).
const char* openmp_wait_description();

}  // namespace strata
