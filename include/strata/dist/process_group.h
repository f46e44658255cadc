#pragma once
// The processes of a data-parallel run (MPI; docs/distributed.md). One process per rank, started by a launcher:
//
//   mpirun -np 4 strata train cfg.json          # the CLI calls dist::init() itself
//
//   int main(int argc, char** argv) {           // a program of your own
//     dist::init();                             // under mpirun: joins the job; alone: a world of one
//     if (dist::is_main()) std::cout << "ranks: " << dist::world_size() << "\n";
//     ...
//     dist::finalize();
//   }
//
// Without a launcher (or in a build without MPI, STRATA_WITH_MPI=OFF) the world is this process alone: rank 0 of
// 1, and every collective returns at once with its input unchanged. A launcher is recognised by its environment
// (OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_RANK); a build without MPI started under one is an error that says so.
//
// Collectives are called by every rank in the same order, from the thread that called init(). Each waits at most
// timeout_seconds() (STRATA_DIST_TIMEOUT, default 300 s) and then throws a strata::Error naming the collective,
// the rank and the likely cause (a rank that died or is stuck), instead of hanging. After a timeout the ranks no
// longer agree on which collective comes next: every later collective throws at once. When a rank fails, call
// abort(): it prints the reason and ends every rank of the job (MPI_Abort). A rank that dies is noticed by
// mpirun itself, which ends the others within seconds.
#include <cstdint>
#include <string>
#include <vector>

#include "strata/core/tensor.h"

namespace strata::dist {

// Whether this build can run on several processes (compiled with MPI).
bool built_with_mpi();
// Whether this process was started by an MPI launcher (mpirun / srun): its environment names a world size.
bool launched_by_mpi();

// Joins the job when launched by MPI (idempotent); otherwise a world of one. When the user has not set
// OMP_NUM_THREADS, each rank takes its share of the cores it may run on (cores / ranks on this host, at least 1).
void init();
bool is_initialized();
// Leaves the job (idempotent): every rank must call it, after its last collective.
void finalize();
int rank();                                    // 0 .. world_size() - 1 (0 before init)
int world_size();                              // 1 before init and without a launcher
inline bool is_main() { return rank() == 0; }  // the rank that prints, logs and writes files
// Ranks on this host (OMPI_COMM_WORLD_LOCAL_SIZE; world_size() when unknown).
int local_world_size();

// Seconds a collective may wait for the other ranks before it throws (STRATA_DIST_TIMEOUT; default 300).
double timeout_seconds();
void set_timeout_seconds(double seconds);

enum class ReduceOp { Sum, Max, Min };

// In place over all ranks; `t` contiguous float32, float64 or int64, the same shape on every rank.
void all_reduce(Tensor& t, ReduceOp op = ReduceOp::Sum);
void all_reduce(std::vector<double>& values, ReduceOp op = ReduceOp::Sum);
// Rank `root`'s values into `t` on every rank (any dtype; contiguous, same shape everywhere).
void broadcast(Tensor& t, int root = 0);
void broadcast(std::string& s, int root = 0);
void barrier();
// Every rank's `value`, in rank order.
std::vector<double> all_gather(double value);

// A collective in flight (all_reduce_async). test() advances it; wait() blocks until done (or throws on timeout).
class Work {
 public:
  Work() = default;
  Work(Work&& other) noexcept;
  Work& operator=(Work&& other) noexcept;
  Work(const Work&) = delete;
  Work& operator=(const Work&) = delete;
  ~Work();
  bool test();
  void wait();
  bool pending() const { return handle_ != 0; }

 private:
  friend Work all_reduce_async(Tensor& t, ReduceOp op);
  intptr_t handle_ = 0;     // the MPI request, 0 when none is in flight
  Tensor* keep_ = nullptr;  // the buffer's handle, alive while MPI may write into it
  std::string what_;        // for the timeout message
  size_t bytes_ = 0;
};
// Starts an all-reduce of `t` (contiguous float32 / float64); `t` must stay alive and untouched until wait().
Work all_reduce_async(Tensor& t, ReduceOp op = ReduceOp::Sum);

// Prints "[strata rank R/W] message" to stderr and ends every rank of the job with `code` (MPI_Abort), or just
// this process without MPI. Does not return.
[[noreturn]] void abort(const std::string& message, int code = 1);

}  // namespace strata::dist
