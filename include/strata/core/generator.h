#pragma once
// Seeded random number generator. The global default one is seeded with manual_seed(); every random op
// takes an optional Generator* to use instead. The engine is mt19937 seeded as PyTorch's CPU generator is,
// and the random ops draw from it exactly as PyTorch 1.13's CPU kernels do, so that
// manual_seed(s); rand({5}) gives torch.manual_seed(s); torch.rand(5) bit for bit (see
// src/core/distributions.cpp for what matches exactly). A Generator is not thread-safe: give each thread
// its own, or lock around the shared one.
#include <cstdint>
#include <random>
#include <string>

namespace strata {

class Generator {
 public:
  explicit Generator(uint64_t seed = 67280421310721ULL);

  void manual_seed(uint64_t seed);
  uint64_t initial_seed() const { return seed_; }

  uint32_t random();    // 32 random bits
  uint64_t random64();  // 64 random bits (two draws)
  // Uniform in [0, 1) with 24 (float) or 53 (double) random bits, PyTorch's construction.
  float uniform_float();
  double uniform_double();
  // Standard normal by Box-Muller, caching the second value as PyTorch's at::normal_distribution does
  // (the cache is part of the state, and manual_seed clears it).
  double normal_double();

  // Serialised state (engine + cached normal), for checkpoints.
  std::string get_state() const;
  void set_state(const std::string& state);

 private:
  uint64_t seed_;
  std::mt19937 engine_;
  bool has_next_normal_ = false;
  double next_normal_ = 0.0;
};

// The process-wide default generator.
Generator& default_generator();
// Seeds the default generator.
void manual_seed(uint64_t seed);

}  // namespace strata
