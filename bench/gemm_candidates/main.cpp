// gemm_candidates: sgemm GFLOP/s of the GEMM candidates on the shapes Strata runs (README.md beside this file).
// Backends: OpenBLAS (OpenMP build), BLIS (OpenMP build) and oneDNN's dnnl_sgemm, each loaded with dlopen so that
// their cblas/BLAS symbols cannot clash; Strata's packed kernel and the naive reference, compiled in.
// Output: one CSV row per (backend, threads, case) on stdout; progress on stderr.
#include <dlfcn.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/cpu/gemm.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Case {
  std::string group, name;
  char op[3];  // "NN", "NT", "TN"
  int64_t M, N, K;
  int64_t images = 1;        // > 1: that many GEMMs sharing A (the conv weights), each with its own B and C
  bool over_images = false;  // run them in an omp parallel for (GEMM single-threaded inside) instead of a loop
};

std::vector<Case> make_cases() {
  std::vector<Case> c;
  // MLP 784-512-256-10, batch 128, as measured in the research note: W stored (in, out); forward NN (M, N, K),
  // backward-data NT (M, K, N), backward-weights TN (K, N, M).
  const int64_t dims[4] = {784, 512, 256, 10};
  for (int l = 0; l < 3; ++l) {
    const int64_t in = dims[l], out = dims[l + 1], b = 128;
    const std::string n = "mlp" + std::to_string(l + 1);
    c.push_back({"mlp", n + ".fwd", "NN", b, out, in});
    c.push_back({"mlp", n + ".bwd_data", "NT", b, in, out});
    c.push_back({"mlp", n + ".bwd_w", "TN", in, out, b});
  }
  // The same step in Strata's nn.Linear convention (W stored (out, in), as PyTorch): forward x @ W^T is NT,
  // backward-data g @ W is NN, backward-weights g^T @ x is TN with C = (out, in).
  for (int l = 0; l < 3; ++l) {
    const int64_t in = dims[l], out = dims[l + 1], b = 128;
    const std::string n = "linear" + std::to_string(l + 1);
    c.push_back({"linear", n + ".fwd", "NT", b, out, in});
    c.push_back({"linear", n + ".bwd_data", "NN", b, in, out});
    c.push_back({"linear", n + ".bwd_w", "TN", out, in, b});
  }
  // im2col GEMMs of LeNet / ResNet-ish conv layers: M = Cout, N = Ho*Wo (x64 batch-fused), K = Cin*k*k.
  c.push_back({"conv", "lenet1.img", "NN", 6, 784, 25});
  c.push_back({"conv", "lenet1.batch64", "NN", 6, 50176, 25});
  c.push_back({"conv", "lenet2.img", "NN", 16, 100, 150});
  c.push_back({"conv", "lenet2.batch64", "NN", 16, 6400, 150});
  c.push_back({"conv", "res32.img", "NN", 32, 784, 288});
  c.push_back({"conv", "res32.batch64", "NN", 32, 50176, 288});
  // The per-image conv pattern, batch 64: a serial loop of library-threaded GEMMs, or an omp parallel for over
  // the images with each GEMM single-threaded inside (the plan in docs/performance.md; never nested).
  for (bool omp : {false, true}) {
    const std::string pat = omp ? ".x64.omp_over_images" : ".x64.serial_loop";
    c.push_back({"nested", "lenet2" + pat, "NN", 16, 100, 150, 64, omp});
    c.push_back({"nested", "res32" + pat, "NN", 32, 784, 288, 64, omp});
  }
  for (int64_t s : {256, 512, 1024, 2048}) {
    for (const char* op : {"NN", "TN", "NT"}) {
      Case q{"square", "sq" + std::to_string(s), "", s, s, s};
      std::memcpy(q.op, op, 3);
      c.push_back(q);
    }
  }
  return c;
}

// ---- backends ------------------------------------------------------------------------------------------
using GemmCall = std::function<void(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                                    const float* B, int64_t ldb, float* C, int64_t ldc)>;

struct Backend {
  std::string name;
  GemmCall call;
  std::function<void(int)> set_threads;
  int64_t max_flops = INT64_MAX;  // skip larger cases (the naive kernel)
};

void* open_lib(const std::string& path) {
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) std::fprintf(stderr, "# skip %s: %s\n", path.c_str(), dlerror());
  return h;
}

template <class F>
F sym(void* h, const char* name) {
  void* p = dlsym(h, name);
  if (!p) {
    std::fprintf(stderr, "missing symbol %s\n", name);
    std::exit(2);
  }
  return reinterpret_cast<F>(p);
}

std::vector<Backend> make_backends(const std::string& which) {
  auto wanted = [&](const char* n) {
    return which == "all" || ("," + which + ",").find(std::string(",") + n + ",") != std::string::npos;
  };
  std::vector<Backend> out;
  if (wanted("openblas-openmp")) {
    if (void* h = open_lib("/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0")) {
      using Sgemm =
          void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
      auto sgemm = sym<Sgemm>(h, "cblas_sgemm");
      auto set_nt = sym<void (*)(int)>(h, "openblas_set_num_threads");
      auto par = sym<int (*)()>(h, "openblas_get_parallel");
      if (par() != 2) std::fprintf(stderr, "# warning: openblas_get_parallel() = %d, not the OpenMP build\n", par());
      std::fprintf(stderr, "# openblas core: %s, config: %s\n", sym<char* (*)()>(h, "openblas_get_corename")(),
                   sym<char* (*)()>(h, "openblas_get_config")());
      out.push_back({"openblas-openmp",
                     [sgemm](bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                             const float* B, int64_t ldb, float* C, int64_t ldc) {
                       sgemm(101, ta ? 112 : 111, tb ? 112 : 111, int(M), int(N), int(K), 1.f, A, int(lda), B, int(ldb),
                             0.f, C, int(ldc));
                     },
                     [set_nt](int n) { set_nt(n); }});
    }
  }
  if (wanted("blis-openmp")) {
    if (void* h = open_lib("/usr/lib/x86_64-linux-gnu/blis-openmp/libblis.so.4")) {
      // Native typed API with row/column strides: transposes are expressed as strides (trans_t = no transpose).
      using Sgemm = void (*)(int, int, int64_t, int64_t, int64_t, const float*, const float*, int64_t, int64_t,
                             const float*, int64_t, int64_t, const float*, float*, int64_t, int64_t);
      auto sgemm = sym<Sgemm>(h, "bli_sgemm");
      auto set_nt = sym<void (*)(int64_t)>(h, "bli_thread_set_num_threads");
      out.push_back({"blis-openmp",
                     [sgemm](bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                             const float* B, int64_t ldb, float* C, int64_t ldc) {
                       const float one = 1.f, zero = 0.f;
                       sgemm(0, 0, M, N, K, &one, A, ta ? 1 : lda, ta ? lda : 1, B, tb ? 1 : ldb, tb ? ldb : 1, &zero,
                             C, ldc, 1);
                     },
                     [set_nt](int n) { set_nt(n); }});
    }
  }
  if (wanted("dnnl_sgemm")) {
    if (void* h = open_lib("libdnnl.so.2")) {
      using Sgemm = int (*)(char, char, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                            float, float*, int64_t);
      auto sgemm = sym<Sgemm>(h, "dnnl_sgemm");
      out.push_back({"dnnl_sgemm",
                     [sgemm](bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                             const float* B, int64_t ldb, float* C, int64_t ldc) {
                       if (sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, 1.f, A, lda, B, ldb, 0.f, C, ldc) != 0) {
                         std::fprintf(stderr, "dnnl_sgemm failed\n");
                         std::exit(2);
                       }
                     },
                     [](int) {}});  // oneDNN follows omp_set_num_threads
    }
  }
  namespace kc = strata::kernels::cpu;
  if (wanted("packed")) {
    out.push_back(
        {"packed",
         [](bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
            float* C, int64_t ldc) { kc::gemm_packed<float>(ta, tb, M, N, K, 1.f, A, lda, B, ldb, 0.f, C, ldc); },
         [](int) {}});
  }
  if (wanted("naive")) {
    // Single-threaded by design; measured at every thread count for reference, on the smaller cases only.
    out.push_back(
        {"naive",
         [](bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
            float* C, int64_t ldc) { kc::gemm_naive<float>(ta, tb, M, N, K, 1.f, A, lda, B, ldb, 0.f, C, ldc); },
         [](int) {}, int64_t{2} * 512 * 512 * 512});
  }
  return out;
}

// ---- background load -----------------------------------------------------------------------------------
// CPU time used by other processes, in cores: machine busy jiffies minus this process's, over wall time.
struct LoadProbe {
  long hz = sysconf(_SC_CLK_TCK);
  double busy0 = 0, own0 = 0;
  Clock::time_point t0;
  static double machine_busy() {
    std::ifstream f("/proc/stat");
    std::string cpu;
    double user, nice, sys, idle, iowait, irq, softirq, steal;
    f >> cpu >> user >> nice >> sys >> idle >> iowait >> irq >> softirq >> steal;
    return user + nice + sys + irq + softirq;  // steal is the hypervisor's, not busy here
  }
  static double own_busy() {
    std::ifstream f("/proc/self/stat");
    std::string line;
    std::getline(f, line);
    std::istringstream is(line.substr(line.rfind(')') + 2));
    std::string tok;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && is >> tok; ++i) {
      if (i == 14) utime = std::stod(tok);
      if (i == 15) stime = std::stod(tok);
    }
    return utime + stime;
  }
  void start() {
    busy0 = machine_busy();
    own0 = own_busy();
    t0 = Clock::now();
  }
  double others_cores() const {
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    if (dt <= 0) return 0;
    return std::max(0.0, ((machine_busy() - busy0) - (own_busy() - own0)) / double(hz) / dt);
  }
};

// Waits (up to timeout_s) until other processes use less than `threshold` cores over a 0.3 s window.
double wait_for_quiet(double threshold, double timeout_s) {
  const auto start = Clock::now();
  double load = 0;
  for (;;) {
    LoadProbe p;
    p.start();
    usleep(300000);
    load = p.others_cores();
    if (load < threshold || std::chrono::duration<double>(Clock::now() - start).count() > timeout_s) return load;
  }
}

// ---- measurement ---------------------------------------------------------------------------------------
struct Result {
  double median_ms, gflops, max_rel_err, others_load;
};

Result measure(const Backend& b, const Case& c, double batch_ms, int batches) {
  const bool ta = c.op[0] == 'T', tb = c.op[1] == 'T';
  const int64_t lda = ta ? c.M : c.K, ldb = tb ? c.K : c.N, ldc = c.N;
  const int64_t sb = c.K * c.N, sc = c.M * c.N;  // per-image strides of B and C
  std::vector<float> A(size_t(c.M * c.K)), B(size_t(sb * c.images)), C(size_t(sc * c.images), NAN);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (auto& v : A) v = u(rng);
  for (auto& v : B) v = u(rng);
  auto one = [&](int64_t img) {
    b.call(ta, tb, c.M, c.N, c.K, A.data(), lda, B.data() + img * sb, ldb, C.data() + img * sc, ldc);
  };
  auto run = [&] {
    if (c.over_images) {
#pragma omp parallel for schedule(static)
      for (int64_t img = 0; img < c.images; ++img) one(img);
    } else {
      for (int64_t img = 0; img < c.images; ++img) one(img);
    }
  };
  // Warm-up (first-call initialisation, page faults, JIT) and calibration of the calls per batch.
  run();
  auto t0 = Clock::now();
  int64_t calls = 0;
  do {
    run();
    ++calls;
  } while (std::chrono::duration<double, std::milli>(Clock::now() - t0).count() < batch_ms / 4);
  const double per_call = std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / double(calls);
  const int64_t reps = std::max<int64_t>(1, int64_t(batch_ms / per_call));
  std::vector<double> ms;
  LoadProbe probe;
  probe.start();
  for (int r = 0; r < batches; ++r) {
    auto s = Clock::now();
    for (int64_t i = 0; i < reps; ++i) run();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count() / double(reps));
  }
  const double others = probe.others_cores();
  std::sort(ms.begin(), ms.end());
  const double med = ms[ms.size() / 2];
  // Check 64 sampled entries against a double-precision dot product.
  double worst = 0;
  std::mt19937 pick(7);
  for (int s = 0; s < 64; ++s) {
    const int64_t i = int64_t(pick() % uint64_t(c.M)), j = int64_t(pick() % uint64_t(c.N));
    const int64_t img = int64_t(pick() % uint64_t(c.images));
    const float* Bi = B.data() + img * sb;
    double ref = 0, mag = 0;
    for (int64_t p = 0; p < c.K; ++p) {
      const double a = ta ? A[size_t(p * lda + i)] : A[size_t(i * lda + p)];
      const double bb = tb ? Bi[size_t(j * ldb + p)] : Bi[size_t(p * ldb + j)];
      ref += a * bb;
      mag += std::abs(a * bb);
    }
    worst = std::max(worst, std::abs(double(C[size_t(img * sc + i * ldc + j)]) - ref) / std::max(mag, 1e-30));
  }
  const double gflop = 2.0 * double(c.M) * double(c.N) * double(c.K) * double(c.images) * 1e-9;
  return {med, gflop / (med * 1e-3), worst, others};
}

void usage() {
  std::fprintf(stderr,
               "usage: gemm_candidates [--backends all|openblas-openmp,blis-openmp,dnnl_sgemm,packed,naive]\n"
               "  [--threads 1,2] [--groups mlp,linear,conv,nested,square] [--batch-ms 60] [--batches 7]\n"
               "  [--quiet-threshold 0.3] [--quiet-timeout 60] [--run-id 0]\n");
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, ',')) out.push_back(x);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string backends = "all", threads = "1,2", groups = "mlp,linear,conv,nested,square";
  double batch_ms = 60, quiet_threshold = 0.3, quiet_timeout = 60;
  int batches = 7, run_id = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(1);
      }
      return argv[++i];
    };
    if (a == "--backends") backends = next();
    else if (a == "--threads") threads = next();
    else if (a == "--groups") groups = next();
    else if (a == "--batch-ms") batch_ms = std::stod(next());
    else if (a == "--batches") batches = std::stoi(next());
    else if (a == "--quiet-threshold") quiet_threshold = std::stod(next());
    else if (a == "--quiet-timeout") quiet_timeout = std::stod(next());
    else if (a == "--run-id") run_id = std::stoi(next());
    else {
      usage();
      return 1;
    }
  }
  const auto group_list = split(groups);
  std::vector<Case> cases;
  for (const Case& c : make_cases()) {
    if (std::find(group_list.begin(), group_list.end(), c.group) != group_list.end()) cases.push_back(c);
  }
  auto bes = make_backends(backends);
  std::printf("run,backend,threads,group,case,op,M,N,K,median_ms,gflops,max_rel_err,others_cores,quiet_before\n");
  for (const std::string& ts : split(threads)) {
    const int t = std::stoi(ts);
    omp_set_num_threads(t);
    for (const Backend& b : bes) {
      b.set_threads(t);
      std::fprintf(stderr, "# %s, %d thread(s)\n", b.name.c_str(), t);
      for (const Case& c : cases) {
        if (2 * c.M * c.N * c.K * c.images > b.max_flops) continue;
        // The machine is shared: every case waits for other processes to go quiet (up to the timeout).
        const double quiet = wait_for_quiet(quiet_threshold, quiet_timeout);
        // Bigger GEMMs get longer batches (fewer, steadier repetitions).
        const bool big = 2.0 * double(c.M * c.N * c.K * c.images) > 4e9;
        const double bm = big ? batch_ms * 3 : batch_ms;
        const Result r = measure(b, c, bm, big ? std::max(3, batches / 2) : batches);
        std::printf("%d,%s,%d,%s,%s,%s,%lld,%lld,%lld,%.5f,%.2f,%.2e,%.2f,%.2f\n", run_id, b.name.c_str(), t,
                    c.group.c_str(), c.name.c_str(), c.op, (long long)c.M, (long long)c.N, (long long)c.K, r.median_ms,
                    r.gflops, r.max_rel_err, r.others_load, quiet);
        std::fflush(stdout);
        if (r.max_rel_err > 1e-5)
          std::fprintf(stderr, "# WARNING %s %s: relative error %.2e\n", b.name.c_str(), c.name.c_str(), r.max_rel_err);
      }
    }
  }
  return 0;
}
