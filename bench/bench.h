#pragma once
// The Strata side of the side-by-side benchmarks (bench/run.py runs it against bench/torch_bench.py).
// A workload is one function registered under a stable name; the PyTorch twin in torch_bench.py has the
// same name and reports the same metrics. Output is JSON lines on stdout, one per metric.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace strata::bench {

struct Options {
  int segments = 5;               // timed segments per metric (run.py pools them over rounds)
  double segment_seconds = 0.25;  // target length of one segment
  double warmup_seconds = 0.2;    // untimed calls before the first segment (also calibrates the count)
};

// Runs `loop(n)` (which must make n calls of the measured operation) in timed segments.
using Loop = std::function<void(int64_t n)>;

class Context {
 public:
  Context(std::string workload, Options opts) : workload_(std::move(workload)), opts_(opts) {}

  // Reports work_per_call * calls / seconds per segment (GFLOP/s, GB/s, samples/s): higher is better.
  void throughput(const std::string& metric, double work_per_call, const Loop& loop);
  // Reports seconds per call * scale per segment (1e9 for ns/op, 1e6 for us/call): lower is better.
  void latency(const std::string& metric, double scale, const Loop& loop);
  // Reports this process's peak resident set size so far, in MiB: lower is better. Training workloads
  // call it at the end (run.py runs every workload in a fresh process).
  void peak_rss(const std::string& metric = "peak RSS (MiB)");

 private:
  // Seconds per call of each timed segment.
  std::vector<double> time_segments(const Loop& loop) const;
  void emit(const std::string& metric, const std::vector<double>& values, bool higher_is_better) const;

  std::string workload_;
  Options opts_;
};

using WorkloadFn = void (*)(Context&);
struct Workload {
  std::string name;         // stable, dotted: "gemm.128x784x512", "overhead.add_1x16.autograd"
  std::string description;  // one line, shown by --list and in docs/benchmarks.md
  WorkloadFn fn;
};

// Adds a workload to the registry (called during static initialisation by STRATA_BENCHMARK).
int register_workload(const char* name, const char* description, WorkloadFn fn);
const std::vector<Workload>& workloads();

// Peak RSS of this process in bytes (getrusage).
int64_t peak_rss_bytes();
// Paths of the BLAS/LAPACK libraries mapped into this process (from /proc/self/maps).
std::vector<std::string> mapped_blas_libraries();

}  // namespace strata::bench

// Defines and registers a workload:
//   STRATA_BENCHMARK(gemm_square_256, "gemm.256x256x256", "C = A @ B, float32") { ... ctx.throughput(...); }
#define STRATA_BENCHMARK(fn, name, description)                                                 \
  static void fn(::strata::bench::Context& ctx);                                                \
  static const int fn##_registered = ::strata::bench::register_workload(name, description, fn); \
  static void fn(::strata::bench::Context& ctx)
