#pragma once
// Small helpers any test binary may use.
#include <gtest/gtest.h>

#include <string>

#include "strata/core/error.h"
#include "strata/core/threading.h"

namespace strata::testing {

// The message of the strata::Error that fn throws ("" and a test failure if it does not throw).
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const strata::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a strata::Error";
  return "";
}

// Sets the thread count (strata::set_num_threads: OpenMP and OpenBLAS) for a scope and restores the previous
// one on exit, also when an ASSERT leaves the test early.
class ThreadCount {
 public:
  explicit ThreadCount(int n) : saved_(get_num_threads()) { set_num_threads(n); }
  ~ThreadCount() { set_num_threads(saved_); }
  ThreadCount(const ThreadCount&) = delete;
  ThreadCount& operator=(const ThreadCount&) = delete;
  void set(int n) const { set_num_threads(n); }

 private:
  int saved_;
};

}  // namespace strata::testing

// EXPECT that `needle` occurs in the string `haystack` (the whole text printed when it does not).
#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "text: " << (haystack)
