// dist:: process group over MPI (STRATA_HAVE_MPI), or a world of one process without it.
#include "strata/dist/process_group.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <thread>

#include "strata/core/error.h"
#include "strata/core/threading.h"

#ifdef STRATA_HAVE_MPI
#include <mpi.h>
#endif

namespace strata::dist {

namespace {

struct World {
  bool initialized = false;
  bool finalized = false;
  bool mpi = false;  // joined an MPI job
  int rank = 0;
  int size = 1;
  int local_size = 1;
  double timeout = -1;  // < 0: read STRATA_DIST_TIMEOUT on first use
  // Set when a collective timed out: its buffers may still be written by MPI and the ranks no longer agree on
  // which collective comes next, so every later collective fails at once (and the buffers are never freed).
  std::string broken;
};

World& world() {
  static World w;
  return w;
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (end != nullptr && *end == '\0' && n > 0) ? static_cast<int>(n) : fallback;
}

#ifdef STRATA_HAVE_MPI
// Each rank's share of the cores, unless the user chose (OMP_NUM_THREADS) or the launcher bound the rank to a
// set of cores (then that set is its share).
void set_rank_threads(int local_size) {
  if (std::getenv("OMP_NUM_THREADS") != nullptr) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  const int hw = static_cast<int>(std::thread::hardware_concurrency());
  int allowed = hw;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) allowed = CPU_COUNT(&set);
  const int share = allowed < hw ? allowed : hw / std::max(1, local_size);
  set_num_threads(std::max(1, share));
}
#endif

std::string where() {
  const World& w = world();
  return "rank " + std::to_string(w.rank) + " of " + std::to_string(w.size);
}

#ifdef STRATA_HAVE_MPI
void check_mpi(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  STRATA_FAIL("[dist] ", what, " failed on ", where(), ": ", std::string(msg, static_cast<size_t>(len)));
}

// Waits for `req`, polling: a spin for the first ~0.2 ms (a small all-reduce between ranks on one host takes
// microseconds), then short sleeps so that a waiting rank leaves its core to the others. Throws after the timeout.
void wait_request(MPI_Request* req, const std::string& what, size_t bytes) {
  using Clock = std::chrono::steady_clock;
  World& w = world();
  const auto start = Clock::now();
  const double limit = timeout_seconds();
  for (int polls = 0;; ++polls) {
    int done = 0;
    check_mpi(MPI_Test(req, &done, MPI_STATUS_IGNORE), what.c_str());
    if (done != 0) return;
    if (polls < 2000) continue;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    if ((polls & 63) == 0) {
      const double waited = std::chrono::duration<double>(Clock::now() - start).count();
      if (waited >= limit) {
        w.broken =
            detail::concat("[dist] ", what, " (", bytes, " bytes) on ", where(), " did not complete within ", limit,
                           " s: another rank has probably died or is stuck (set STRATA_DIST_TIMEOUT to "
                           "wait longer)");
        throw Error(w.broken);
      }
    }
  }
}

MPI_Datatype mpi_type(DType t, const char* who) {
  if (t == kFloat32) return MPI_FLOAT;
  if (t == kFloat64) return MPI_DOUBLE;
  if (t == kInt64) return MPI_INT64_T;
  STRATA_FAIL("[dist] ", who, " supports float32, float64 and int64 tensors, got ", t);
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::Max: return MPI_MAX;
    case ReduceOp::Min: return MPI_MIN;
    case ReduceOp::Sum: break;
  }
  return MPI_SUM;
}
#endif

bool active() {
  const World& w = world();
  if (!w.mpi || w.size <= 1) return false;
  STRATA_CHECK(w.broken.empty(), "[dist] the process group of ", where(),
               " is unusable: an earlier collective timed out (", w.broken, ")");
  return true;
}

#ifdef STRATA_HAVE_MPI
// Waits for a blocking collective whose buffer `keep` owns. On a timeout the buffer is leaked, not freed: MPI may
// still write into it when the late rank arrives.
template <class T>
void finish(MPI_Request* req, const char* what, size_t bytes, std::unique_ptr<T>& keep) {
  try {
    wait_request(req, what, bytes);
  } catch (...) {
    (void)keep.release();
    throw;
  }
}
#endif

void check_contiguous(const Tensor& t, const char* who) {
  STRATA_CHECK(t.defined() && t.is_contiguous(), "[dist] ", who, " needs a defined contiguous tensor");
}

}  // namespace

bool built_with_mpi() {
#ifdef STRATA_HAVE_MPI
  return true;
#else
  return false;
#endif
}

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(v) != nullptr) return true;
  return false;
}

void init() {
  World& w = world();
  if (w.initialized) return;
  w.initialized = true;
  if (!launched_by_mpi()) return;
#ifdef STRATA_HAVE_MPI
  int already = 0;
  MPI_Initialized(&already);
  if (already == 0) {
    // OpenMPI's default algorithm for non-blocking all-reduce (what DataParallel's buckets use) reached half the
    // bandwidth of the blocking one here; its ring algorithm made 2-rank MLP training 12-25% faster and was level
    // on LeNet and the GPT (docs/distributed_scaling.md). The user's own setting wins.
    if (std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr)
      setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "1", /*overwrite=*/0);
    int provided = 0;
    // Only the thread that called init() communicates.
    check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &w.size);
  w.mpi = true;
  w.local_size = env_int("OMPI_COMM_WORLD_LOCAL_SIZE", env_int("MPI_LOCALNRANKS", w.size));
  set_rank_threads(w.local_size);
#else
  const int n = env_int("OMPI_COMM_WORLD_SIZE", env_int("PMI_SIZE", 0));
  STRATA_CHECK(n <= 1, "[dist] this process was started by an MPI launcher with ", n,
               " ranks, but Strata was built without MPI (install libopenmpi-dev and rebuild with STRATA_WITH_MPI=ON)");
#endif
}

bool is_initialized() { return world().initialized; }

void finalize() {
  World& w = world();
  if (!w.mpi || w.finalized) return;
  w.finalized = true;
#ifdef STRATA_HAVE_MPI
  int done = 0;
  MPI_Finalized(&done);
  if (done == 0) MPI_Finalize();
#endif
}

int rank() { return world().rank; }
int world_size() { return world().size; }
int local_world_size() { return world().local_size; }

double timeout_seconds() {
  World& w = world();
  if (w.timeout < 0) {
    w.timeout = 300;
    if (const char* v = std::getenv("STRATA_DIST_TIMEOUT")) {
      char* end = nullptr;
      const double s = std::strtod(v, &end);
      STRATA_CHECK(end != v && *end == '\0' && s > 0,
                   "[dist] STRATA_DIST_TIMEOUT must be a positive number of "
                   "seconds, got '",
                   v, "'");
      w.timeout = s;
    }
  }
  return w.timeout;
}

void set_timeout_seconds(double seconds) {
  STRATA_CHECK(seconds > 0, "[dist] the timeout must be > 0 seconds, got ", seconds);
  world().timeout = seconds;
}

void all_reduce(Tensor& t, ReduceOp op) {
  check_contiguous(t, "all_reduce");
  if (!active()) return;
  Work w = all_reduce_async(t, op);
  w.wait();
}

void all_reduce(std::vector<double>& values, ReduceOp op) {
  if (!active() || values.empty()) return;
#ifdef STRATA_HAVE_MPI
  auto buf = std::make_unique<std::vector<double>>(values);
  MPI_Request req = MPI_REQUEST_NULL;
  check_mpi(MPI_Iallreduce(MPI_IN_PLACE, buf->data(), static_cast<int>(buf->size()), MPI_DOUBLE, mpi_op(op),
                           MPI_COMM_WORLD, &req),
            "all_reduce");
  finish(&req, "all_reduce", values.size() * sizeof(double), buf);
  values = *buf;
#else
  (void)op;
#endif
}

void broadcast(Tensor& t, int root) {
  check_contiguous(t, "broadcast");
  STRATA_CHECK(root >= 0 && root < world_size(), "[dist] broadcast from rank ", root, " of ", world_size());
  if (!active() || t.numel() == 0) return;
#ifdef STRATA_HAVE_MPI
  const size_t bytes = static_cast<size_t>(t.numel()) * t.itemsize();
  STRATA_CHECK(bytes <= static_cast<size_t>(INT32_MAX), "[dist] broadcast of ", bytes, " bytes: at most 2 GiB");
  auto keep = std::make_unique<Tensor>(t);  // the storage stays alive if the broadcast times out
  MPI_Request req = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibcast(t.raw_data(), static_cast<int>(bytes), MPI_BYTE, root, MPI_COMM_WORLD, &req), "broadcast");
  finish(&req, "broadcast", bytes, keep);
  t.bump_version();
#endif
}

void broadcast(std::string& s, int root) {
  STRATA_CHECK(root >= 0 && root < world_size(), "[dist] broadcast from rank ", root, " of ", world_size());
  if (!active()) return;
#ifdef STRATA_HAVE_MPI
  auto len = std::make_unique<double>(static_cast<double>(s.size()));
  MPI_Request req = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibcast(len.get(), 1, MPI_DOUBLE, root, MPI_COMM_WORLD, &req), "broadcast");
  finish(&req, "broadcast", sizeof(double), len);
  auto text = std::make_unique<std::string>(s);
  text->resize(static_cast<size_t>(*len));
  if (text->empty()) {
    s.clear();
    return;
  }
  check_mpi(MPI_Ibcast(text->data(), static_cast<int>(text->size()), MPI_CHAR, root, MPI_COMM_WORLD, &req),
            "broadcast");
  finish(&req, "broadcast", text->size(), text);
  s = *text;
#endif
}

void barrier() {
  if (!active()) return;
#ifdef STRATA_HAVE_MPI
  MPI_Request req = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibarrier(MPI_COMM_WORLD, &req), "barrier");
  wait_request(&req, "barrier", 0);
#endif
}

std::vector<double> all_gather(double value) {
  std::vector<double> out(static_cast<size_t>(world_size()), value);
  if (!active()) return out;
#ifdef STRATA_HAVE_MPI
  auto buf = std::make_unique<std::vector<double>>(out.size() + 1, value);  // [value, gathered...]
  MPI_Request req = MPI_REQUEST_NULL;
  check_mpi(MPI_Iallgather(buf->data(), 1, MPI_DOUBLE, buf->data() + 1, 1, MPI_DOUBLE, MPI_COMM_WORLD, &req),
            "all_gather");
  finish(&req, "all_gather", out.size() * sizeof(double), buf);
  std::copy(buf->begin() + 1, buf->end(), out.begin());
#endif
  return out;
}

Work::Work(Work&& other) noexcept
    : handle_(other.handle_), keep_(other.keep_), what_(std::move(other.what_)), bytes_(other.bytes_) {
  other.handle_ = 0;
  other.keep_ = nullptr;
}

Work& Work::operator=(Work&& other) noexcept {
  if (this != &other) {
    std::swap(handle_, other.handle_);
    std::swap(keep_, other.keep_);
    std::swap(what_, other.what_);
    std::swap(bytes_, other.bytes_);
  }
  return *this;
}

Work::~Work() {
#ifdef STRATA_HAVE_MPI
  if (handle_ != 0) {
    // Still in flight (an exception left it): wait, never throw. After a timeout, leak the request and the buffer.
    auto* req = reinterpret_cast<MPI_Request*>(handle_);
    try {
      if (!world().broken.empty()) return;
      wait_request(req, what_, bytes_);
    } catch (const std::exception&) {
      return;
    }
    delete req;
  }
#endif
  delete keep_;
}

bool Work::test() {
#ifdef STRATA_HAVE_MPI
  if (handle_ == 0) return true;
  auto* req = reinterpret_cast<MPI_Request*>(handle_);
  int done = 0;
  check_mpi(MPI_Test(req, &done, MPI_STATUS_IGNORE), what_.c_str());
  if (done == 0) return false;
  delete req;
  handle_ = 0;
#endif
  return true;
}

void Work::wait() {
#ifdef STRATA_HAVE_MPI
  if (handle_ == 0) return;
  auto* req = reinterpret_cast<MPI_Request*>(handle_);
  wait_request(req, what_, bytes_);  // a timeout leaves handle_ set: the destructor leaks request and buffer
  delete req;
  handle_ = 0;
#endif
}

Work all_reduce_async(Tensor& t, ReduceOp op) {
  check_contiguous(t, "all_reduce");
  Work w;
  if (!active() || t.numel() == 0) return w;
#ifdef STRATA_HAVE_MPI
  STRATA_CHECK(t.numel() <= INT32_MAX, "[dist] all_reduce of ", t.numel(), " elements: at most 2^31 - 1");
  w.what_ = "all_reduce";
  w.bytes_ = static_cast<size_t>(t.numel()) * t.itemsize();
  auto* req = new MPI_Request(MPI_REQUEST_NULL);
  const int rc = MPI_Iallreduce(MPI_IN_PLACE, t.raw_data(), static_cast<int>(t.numel()),
                                mpi_type(t.dtype(), "all_reduce"), mpi_op(op), MPI_COMM_WORLD, req);
  if (rc != MPI_SUCCESS) delete req;
  check_mpi(rc, "all_reduce");
  w.handle_ = reinterpret_cast<intptr_t>(req);
  w.keep_ = new Tensor(t);  // the buffer lives until the all-reduce is done
  t.bump_version();
#else
  (void)op;
#endif
  return w;
}

void abort(const std::string& message, int code) {
  std::cerr << "[strata " << where() << "] " << message << std::endl;
#ifdef STRATA_HAVE_MPI
  if (world().mpi && !world().finalized) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::exit(code);
}

}  // namespace strata::dist
