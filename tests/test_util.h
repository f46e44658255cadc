#pragma once
// Small helpers any test binary may use.
#include <gtest/gtest.h>

#include <string>

#include "strata/core/error.h"

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

}  // namespace strata::testing

// EXPECT that `needle` occurs in the string `haystack` (the whole text printed when it does not).
#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "text: " << (haystack)
