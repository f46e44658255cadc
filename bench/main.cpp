// strata_bench: runs registered workloads and prints JSON lines (see bench/bench.h and bench/run.py).
//
//   strata_bench --list                      one {"workload", "description"} line per workload
//   strata_bench NAME... [--segments N] [--segment-time S] [--warmup S] [--threads N]
//   strata_bench --all                       every workload in this one process (quick manual look)
//   STRATA_PROFILE=1 strata_bench NAME       also prints a per-op time profile of the timed segments (stderr)
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "bench.h"
#include "strata/diag/profiler.h"
#include "strata/strata.h"

namespace strata::bench {

namespace {

std::vector<Workload>& registry() {
  static std::vector<Workload> r;
  return r;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string json_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

// One JSON object on one line, built field by field.
class JsonLine {
 public:
  JsonLine& add(const std::string& key, const std::string& v) { return raw(key, json_string(v)); }
  JsonLine& add(const std::string& key, const char* v) { return raw(key, json_string(v)); }
  JsonLine& add(const std::string& key, double v) { return raw(key, json_number(v)); }
  JsonLine& add(const std::string& key, bool v) { return raw(key, v ? "true" : "false"); }
  JsonLine& add(const std::string& key, const std::vector<double>& v) {
    std::string a = "[";
    for (size_t i = 0; i < v.size(); ++i) a += (i ? ", " : "") + json_number(v[i]);
    return raw(key, a + "]");
  }
  JsonLine& add(const std::string& key, const std::vector<std::string>& v) {
    std::string a = "[";
    for (size_t i = 0; i < v.size(); ++i) a += (i ? ", " : "") + json_string(v[i]);
    return raw(key, a + "]");
  }
  // Writes the line to stdout and flushes, so that run.py sees finished workloads even after a crash.
  void print() const {
    std::fputs((body_ + "}\n").c_str(), stdout);
    std::fflush(stdout);
  }

 private:
  JsonLine& raw(const std::string& key, const std::string& value) {
    body_ += (body_.size() > 1 ? ", " : "") + json_string(key) + ": " + value;
    return *this;
  }
  std::string body_ = "{";
};

// STRATA_BENCH_CLOCK=cpu times segments in this process's CPU time instead of wall time: for 1-thread A/B
// comparisons of two Strata builds on a busy machine, where wall time mostly measures the other processes.
bool cpu_clock() {
  static const bool on = [] {
    const char* v = std::getenv("STRATA_BENCH_CLOCK");
    return v != nullptr && std::string(v) == "cpu";
  }();
  return on;
}

bool profile_on() {
  const char* v = std::getenv("STRATA_PROFILE");
  return v != nullptr && std::string(v) == "1";
}

double now_seconds() {
  if (cpu_clock()) {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double seconds_since(double t0) { return now_seconds() - t0; }

}  // namespace

int register_workload(const char* name, const char* description, WorkloadFn fn) {
  registry().push_back({name, description, fn});
  return static_cast<int>(registry().size());
}

const std::vector<Workload>& workloads() { return registry(); }

int64_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<int64_t>(u.ru_maxrss) * 1024;  // Linux reports KiB
}

std::vector<std::string> mapped_blas_libraries() {
  std::set<std::string> libs;
  std::ifstream maps("/proc/self/maps");
  const std::regex blas("(blas|lapack)[^/]*\\.so");
  for (std::string line; std::getline(maps, line);) {
    const size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    if (std::regex_search(path, blas)) libs.insert(path);
  }
  return {libs.begin(), libs.end()};
}

std::vector<double> Context::time_segments(const Loop& loop) const {
  // Warm up with doubling batches; the last batch's rate sets the calls per segment.
  int64_t n = 1;
  double per_call = 0;
  const double warm_start = now_seconds();
  for (;;) {
    const double t0 = now_seconds();
    loop(n);
    const double dt = seconds_since(t0);
    per_call = dt / static_cast<double>(n);
    if (seconds_since(warm_start) >= opts_.warmup_seconds && dt >= 0.02) break;
    n *= 2;
  }
  const int64_t calls = std::max<int64_t>(1, static_cast<int64_t>(opts_.segment_seconds / std::max(per_call, 1e-12)));
  std::vector<double> per_call_seconds;
  // STRATA_PROFILE=1: the timed segments run under a diag::Profiler (its overhead is in these numbers), and its
  // table goes to stderr (stdout stays JSON lines).
  std::optional<diag::Profiler> profiler;
  if (profile_on()) profiler.emplace();
  for (int s = 0; s < opts_.segments; ++s) {
    const double t0 = now_seconds();
    loop(calls);
    per_call_seconds.push_back(seconds_since(t0) / static_cast<double>(calls));
  }
  if (profiler) {
    std::fprintf(stderr, "%s (%d threads, %lld calls of the workload):\n%s", workload_.c_str(), get_num_threads(),
                 static_cast<long long>(calls) * opts_.segments, profiler->result().table().c_str());
  }
  return per_call_seconds;
}

void Context::throughput(const std::string& metric, double work_per_call, const Loop& loop) {
  std::vector<double> v = time_segments(loop);
  for (double& x : v) x = work_per_call / x;
  emit(metric, v, true);
}

void Context::latency(const std::string& metric, double scale, const Loop& loop) {
  std::vector<double> v = time_segments(loop);
  for (double& x : v) x *= scale;
  emit(metric, v, false);
}

void Context::peak_rss(const std::string& metric) {
  emit(metric, {static_cast<double>(peak_rss_bytes()) / (1024.0 * 1024.0)}, false);
}

void Context::emit(const std::string& metric, const std::vector<double>& values, bool higher_is_better) const {
  JsonLine()
      .add("type", "metric")
      .add("side", "strata")
      .add("workload", workload_)
      .add("metric", metric)
      .add("higher_is_better", higher_is_better)
      .add("values", values)
      .print();
}

}  // namespace strata::bench

namespace {

using strata::bench::JsonLine;

void print_meta(const std::string& workload) {
  JsonLine()
      .add("type", "meta")
      .add("side", "strata")
      .add("workload", workload)
      .add("threads", static_cast<double>(strata::get_num_threads()))
      .add("gemm_backend", strata::gemm_backend())
      .add("peak_rss_mib", static_cast<double>(strata::bench::peak_rss_bytes()) / (1 << 20))
      .add("blas", strata::bench::mapped_blas_libraries())
      .print();
}

int usage() {
  std::fputs(
      "usage: strata_bench --list | --all | NAME... [--segments N] [--segment-time S] [--warmup S] "
      "[--threads N]\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using strata::bench::workloads;
  strata::bench::Options opts;
  std::vector<std::string> names;
  bool list = false;
  bool all = false;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
        return argv[++i];
      };
      if (arg == "--list") {
        list = true;
      } else if (arg == "--all") {
        all = true;
      } else if (arg == "--segments") {
        opts.segments = std::stoi(value());
      } else if (arg == "--segment-time") {
        opts.segment_seconds = std::stod(value());
      } else if (arg == "--warmup") {
        opts.warmup_seconds = std::stod(value());
      } else if (arg == "--threads") {
        strata::set_num_threads(std::stoi(value()));
      } else if (arg.rfind("--", 0) == 0) {
        return usage();
      } else {
        names.push_back(arg);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "strata_bench: %s\n", e.what());
    return usage();
  }

  if (list) {
    for (const auto& w : workloads()) {
      JsonLine().add("type", "workload").add("workload", w.name).add("description", w.description).print();
    }
    return 0;
  }
  if (all) {
    for (const auto& w : workloads()) names.push_back(w.name);
  }
  if (names.empty()) return usage();

  int status = 0;
  for (const std::string& name : names) {
    auto it = std::find_if(workloads().begin(), workloads().end(), [&](const auto& w) { return w.name == name; });
    if (it == workloads().end()) {
      std::fprintf(stderr, "strata_bench: unknown workload '%s' (see --list)\n", name.c_str());
      status = 1;
      continue;
    }
    try {
      strata::manual_seed(0);
      strata::bench::Context ctx(name, opts);
      it->fn(ctx);
      print_meta(name);
    } catch (const std::exception& e) {
      JsonLine().add("type", "error").add("side", "strata").add("workload", name).add("error", e.what()).print();
      status = 1;
    }
  }
  return status;
}
