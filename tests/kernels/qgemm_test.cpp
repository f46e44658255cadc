// int8 GEMM: the packed AVX2 kernel against the naive reference, exactly (integers), over odd shapes, every
// row-tile remainder, extreme values (no saturation) and both activation types; then the float epilogue.
#include "kernels/cpu/qgemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace kc = strata::kernels::cpu;

namespace {

struct Lcg {
  uint64_t s;
  uint32_t next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(s >> 33);
  }
};

struct Case {
  int64_t M, N, K;
};

const Case kCases[] = {{1, 1, 1},   {1, 10, 84},    {2, 17, 3},   {5, 16, 31},    {6, 33, 64}, {7, 15, 2},
                       {13, 40, 9}, {64, 128, 400}, {64, 10, 84}, {100, 70, 513}, {3, 5, 0}};

TEST(QGemm, U8S8MatchesNaiveExactly) {
  Lcg g{1};
  for (const Case& c : kCases) {
    for (int extreme = 0; extreme < 2; ++extreme) {
      const int64_t lda = c.K + 3, ldw = c.K + 1, ldc = c.N + 2;
      std::vector<uint8_t> A(static_cast<size_t>(c.M * lda));
      std::vector<int8_t> W(static_cast<size_t>(c.N * ldw));
      // extreme: a = 255 with zero point 0 against w = +-127, the largest products vpmaddwd must not saturate.
      for (auto& a : A) a = extreme ? 255 : static_cast<uint8_t>(g.next() % 256);
      for (auto& w : W) w = extreme ? ((g.next() & 1) ? 127 : -127) : static_cast<int8_t>(int(g.next() % 255) - 127);
      const int32_t zp = extreme ? 0 : 37;
      std::vector<int32_t> ref(static_cast<size_t>(c.M * ldc), -7), got(ref);
      kc::qgemm_naive_s32(c.M, c.N, c.K, A.data(), lda, zp, W.data(), ldw, ref.data(), ldc);
      const kc::QPackedWeights pw = kc::qgemm_pack_weights(W.data(), c.N, c.K, ldw);
      std::vector<int16_t> a16(static_cast<size_t>(std::max<int64_t>(c.M, 1) * pw.k_pad), 999);
      kc::qgemm_pack_activations(A.data(), c.M, c.K, lda, zp, pw.k_pad, a16.data());
      kc::qgemm_s32(c.M, a16.data(), pw, got.data(), ldc);
      for (size_t i = 0; i < ref.size(); ++i) {
        ASSERT_EQ(got[i], ref[i]) << "M=" << c.M << " N=" << c.N << " K=" << c.K << " extreme=" << extreme << " at "
                                  << i;
      }
      if (c.M > 0) {  // the sentinel in C's row padding is untouched
        EXPECT_EQ(got[static_cast<size_t>(c.N)], -7);
      }
    }
  }
}

TEST(QGemm, S8S8MatchesNaiveExactly) {
  Lcg g{2};
  for (const Case& c : kCases) {
    std::vector<int8_t> A(static_cast<size_t>(c.M * c.K)), W(static_cast<size_t>(c.N * c.K));
    for (auto& a : A) a = static_cast<int8_t>(int(g.next() % 256) - 128);
    for (auto& w : W) w = static_cast<int8_t>(int(g.next() % 255) - 127);
    std::vector<int32_t> ref(static_cast<size_t>(c.M * c.N)), got(ref.size(), -1);
    kc::qgemm_naive_s32(c.M, c.N, c.K, A.data(), c.K, W.data(), c.K, ref.data(), c.N);
    const kc::QPackedWeights pw = kc::qgemm_pack_weights(W.data(), c.N, c.K, c.K);
    std::vector<int16_t> a16(static_cast<size_t>(std::max<int64_t>(c.M, 1) * pw.k_pad));
    kc::qgemm_pack_activations(A.data(), c.M, c.K, c.K, pw.k_pad, a16.data());
    kc::qgemm_s32(c.M, a16.data(), pw, got.data(), c.N);
    EXPECT_EQ(got, ref) << "M=" << c.M << " N=" << c.N << " K=" << c.K;
  }
}

TEST(QGemm, FloatEpilogueDequantizesAndAddsBias) {
  Lcg g{3};
  const int64_t M = 9, N = 21, K = 50;
  std::vector<uint8_t> A(M * K);
  std::vector<int8_t> W(N * K);
  for (auto& a : A) a = static_cast<uint8_t>(g.next() % 256);
  for (auto& w : W) w = static_cast<int8_t>(int(g.next() % 255) - 127);
  std::vector<float> ws(N), bias(N);
  for (int64_t n = 0; n < N; ++n) {
    ws[n] = 0.01f * static_cast<float>(n + 1);
    bias[n] = static_cast<float>(n) - 10.0f;
  }
  std::vector<int32_t> acc(M * N);
  kc::qgemm_naive_s32(M, N, K, A.data(), K, 128, W.data(), K, acc.data(), N);
  std::vector<float> C(M * N, NAN);
  const kc::QPackedWeights pw = kc::qgemm_pack_weights(W.data(), N, K, K);
  kc::qgemm_u8s8(M, A.data(), K, 128, 0.05f, pw, ws.data(), bias.data(), C.data(), N);
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      const double want = 0.05 * ws[n] * acc[m * N + n] + bias[n];
      EXPECT_NEAR(C[m * N + n], want, 1e-5 * (1 + std::fabs(want))) << m << "," << n;
    }
  }
}

TEST(QGemm, QuantizationParameters) {
  // [-1, 3] -> scale 4/255, zero point round(255/4) = 64; 0 maps to the zero point exactly.
  const kc::QParams p = kc::choose_qparams_u8(-1.0f, 3.0f);
  EXPECT_FLOAT_EQ(p.scale, 4.0f / 255.0f);
  EXPECT_EQ(p.zero_point, 64);
  // A positive-only range is widened to include 0 (zero point 0).
  EXPECT_EQ(kc::choose_qparams_u8(2.0f, 5.0f).zero_point, 0);
  const float x[] = {-1.0f, 0.0f, 3.0f, 100.0f, -100.0f};
  uint8_t q[5];
  kc::quantize_u8(x, 5, p, q);
  EXPECT_EQ(q[0], 0);
  EXPECT_EQ(q[1], 64);
  EXPECT_EQ(q[2], 255);
  EXPECT_EQ(q[3], 255);  // clamped
  EXPECT_EQ(q[4], 0);
  const float w[] = {0.5f, -1.0f, 0.25f, 0.0f, 0.0f, 0.0f};
  int8_t qw[6];
  float s[2];
  kc::quantize_rows_s8(w, 2, 3, qw, s);
  EXPECT_FLOAT_EQ(s[0], 1.0f / 127.0f);
  EXPECT_EQ(qw[1], -127);
  EXPECT_EQ(qw[0], 64);         // round(63.5) to even
  EXPECT_FLOAT_EQ(s[1], 1.0f);  // an all-zero row keeps scale 1
}

}  // namespace
