// The OpenMP knob, and one elementwise op large enough to run on several threads: under
// `make test-asan` this is the check that OpenMP worker threads and the sanitizers get along.
#include <gtest/gtest.h>

#include "strata/strata.h"

using namespace strata;

TEST(Threading, SetAndGetNumThreads) {
  const int before = get_num_threads();
  set_num_threads(1);
  EXPECT_EQ(get_num_threads(), 1);
  set_num_threads(2);
  EXPECT_EQ(get_num_threads(), 2);
  EXPECT_THROW(set_num_threads(0), Error);
  set_num_threads(before);
  EXPECT_STREQ(gemm_backend(), gemm_backend());  // linked and callable
}

TEST(Threading, ParallelBroadcastAddIsExact) {
  const int before = get_num_threads();
  set_num_threads(2);
  // 300 x 400 = 120,000 elements: above the single-thread grain, so the loop is split across threads.
  const int64_t rows = 300, cols = 400;
  Tensor a = arange(static_cast<double>(rows * cols)).reshape({rows, cols});  // a[i][j] = i * cols + j
  Tensor b = arange(static_cast<double>(cols)) * -1.0;                        // b[j] = -j
  Tensor c = a + b;                                                           // c[i][j] = i * cols
  ASSERT_EQ(c.shape(), Shape({rows, cols}));
  std::vector<float> v = c.to_vector<float>();
  int64_t wrong = 0;
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) wrong += v[static_cast<size_t>(i * cols + j)] != static_cast<float>(i * cols);
  }
  EXPECT_EQ(wrong, 0);
  set_num_threads(before);
}
