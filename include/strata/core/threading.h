#pragma once
// The one threading knob: OpenMP (shared by Strata's loops and OpenBLAS's OpenMP build). Nothing nests.
namespace strata {

int get_num_threads();
void set_num_threads(int n);
// Deterministic mode (PyTorch's torch.use_deterministic_algorithms): results no longer depend on the thread
// count, so a run on 1 thread and on 2 gives bit-identical weights. Off by default. What it changes: GEMM, whose
// OpenBLAS sgemm rounds differently on different thread counts, is cut into blocks fixed by the shape and each
// block runs on one thread. Every other kernel splits its sums by the data's shape alone in both modes
// (docs/reliability.md, "Determinism", with the measured cost). Process-wide; set it before training.
void set_deterministic(bool on);
bool is_deterministic();

// Sets deterministic mode for a scope and restores the previous setting.
class DeterministicGuard {
 public:
  explicit DeterministicGuard(bool on) : prev_(is_deterministic()) { set_deterministic(on); }
  ~DeterministicGuard() { set_deterministic(prev_); }
  DeterministicGuard(const DeterministicGuard&) = delete;
  DeterministicGuard& operator=(const DeterministicGuard&) = delete;

 private:
  bool prev_;
};
// Which GEMM backend is linked: "openblas-openmp" or "strata-packed".
const char* gemm_backend();

}  // namespace strata
