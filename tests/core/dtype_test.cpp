// DType names, sizes, promotion, and the float16 / bfloat16 conversions.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <map>

#include "strata/strata.h"

using namespace strata;

namespace {

const DType kAll[] = {kFloat32, kFloat64, kInt64, kBool, kFloat16, kBFloat16};

float from_bits(uint32_t b) { return std::bit_cast<float>(b); }

// Value of a binary16 bit pattern, computed independently of Half's own conversion.
double half_value(uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  double v = exp == 0 ? std::ldexp(man, -24) : std::ldexp(1024 + man, exp - 25);
  if (exp == 31) v = man ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  return sign ? -v : v;
}

// Round-to-nearest-even float -> binary16 by search over the exact table of halves (slow reference).
uint16_t reference_half(float f) {
  const double x = std::abs(static_cast<double>(f));
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  if (std::isnan(f)) return 0x7e00;
  if (x >= 65520.0) return sign | 0x7c00;  // 65504 + half an ulp (2^4) and up overflow
  // Largest finite half <= x, then compare distances with the next one up.
  uint16_t lo = 0, hi = 0x7bff;
  while (lo < hi) {
    uint16_t mid = static_cast<uint16_t>((lo + hi + 1) / 2);
    if (half_value(mid) <= x) {
      lo = mid;
    } else {
      hi = static_cast<uint16_t>(mid - 1);
    }
  }
  const double below = half_value(lo);
  if (below == x) return sign | lo;
  const double above = half_value(static_cast<uint16_t>(lo + 1));
  const double d_lo = x - below, d_hi = above - x;
  uint16_t pick = d_lo < d_hi ? lo : d_hi < d_lo ? static_cast<uint16_t>(lo + 1) : ((lo & 1) ? lo + 1 : lo);
  return sign | pick;
}

}  // namespace

TEST(DType, NamesAndSizes) {
  const std::map<DType, std::pair<std::string, size_t>> expected = {
      {kFloat32, {"float32", 4}}, {kFloat64, {"float64", 8}}, {kInt64, {"int64", 8}},
      {kBool, {"bool", 1}},       {kFloat16, {"float16", 2}}, {kBFloat16, {"bfloat16", 2}}};
  for (DType t : kAll) {
    EXPECT_EQ(dtype_name(t), expected.at(t).first);
    EXPECT_EQ(itemsize(t), expected.at(t).second);
    std::ostringstream os;
    os << t;
    EXPECT_EQ(os.str(), expected.at(t).first);
  }
  EXPECT_EQ(dtype_of<float>(), kFloat32);
  EXPECT_EQ(dtype_of<double>(), kFloat64);
  EXPECT_EQ(dtype_of<int64_t>(), kInt64);
  EXPECT_EQ(dtype_of<bool>(), kBool);
  EXPECT_EQ(dtype_of<Half>(), kFloat16);
  EXPECT_EQ(dtype_of<BFloat16>(), kBFloat16);
  EXPECT_TRUE(is_floating(kFloat16));
  EXPECT_TRUE(is_floating(kBFloat16));
  EXPECT_FALSE(is_floating(kInt64));
  EXPECT_FALSE(is_floating(kBool));
  EXPECT_TRUE(is_compute_float(kFloat64));
  EXPECT_FALSE(is_compute_float(kFloat16));
}

TEST(DType, PromotionTableMatchesTorch) {
  // torch.promote_types for every pair of Strata's dtypes.
  struct Row {
    DType a, b, out;
  };
  const Row rows[] = {
      {kBool, kBool, kBool},           {kBool, kInt64, kInt64},
      {kBool, kFloat16, kFloat16},     {kBool, kBFloat16, kBFloat16},
      {kBool, kFloat32, kFloat32},     {kBool, kFloat64, kFloat64},
      {kInt64, kInt64, kInt64},        {kInt64, kFloat16, kFloat16},
      {kInt64, kBFloat16, kBFloat16},  {kInt64, kFloat32, kFloat32},
      {kInt64, kFloat64, kFloat64},    {kFloat16, kFloat16, kFloat16},
      {kFloat16, kBFloat16, kFloat32}, {kFloat16, kFloat32, kFloat32},
      {kFloat16, kFloat64, kFloat64},  {kBFloat16, kBFloat16, kBFloat16},
      {kBFloat16, kFloat32, kFloat32}, {kBFloat16, kFloat64, kFloat64},
      {kFloat32, kFloat32, kFloat32},  {kFloat32, kFloat64, kFloat64},
      {kFloat64, kFloat64, kFloat64},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(promote_types(r.a, r.b), r.out) << r.a << " + " << r.b;
    EXPECT_EQ(promote_types(r.b, r.a), r.out) << r.b << " + " << r.a;
  }
}

TEST(DType, DispatchErrorsNameTheOp) {
  try {
    dispatch_float(kInt64, "my_op", [](auto) {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[my_op]"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("int64"), std::string::npos);
  }
  EXPECT_THROW(dispatch_numeric(kBool, "x", [](auto) {}), Error);
}

TEST(Half, MatchesTorchOnEdgeCases) {
  // Inputs as float32 bits, then torch's float16 and bfloat16 bits for them, from
  // torch.tensor(values).half() / .bfloat16() (generated once with python3-torch 1.13 and pasted here).
  struct Row {
    uint32_t f;
    uint16_t half, bf16;
  };
  const Row rows[] = {
      {0x00000000u, 0x0000, 0x0000},                                 // +0
      {0x80000000u, 0x8000, 0x8000},                                 // -0
      {0x3f800000u, 0x3c00, 0x3f80},                                 // 1
      {0xbf800000u, 0xbc00, 0xbf80},                                 // -1
      {0x3f801000u, 0x3c00, 0x3f80},                                 // 1 + half a half-ulp: tie, to even (down)
      {0x3f802000u, 0x3c01, 0x3f80},                                 // 1 + one half-ulp
      {0x3f803000u, 0x3c02, 0x3f80},                                 // 1 + 1.5 half-ulps: tie, to even (up)
      {0x3f801001u, 0x3c01, 0x3f80},                                 // just above the tie
      {0x33800000u, 0x0001, 0x3380},                                 // 2^-24: smallest half subnormal
      {0x33000000u, 0x0000, 0x3300},                                 // 2^-25: tie between 0 and 2^-24, to even (0)
      {0x33000001u, 0x0001, 0x3300},                                 // just above: rounds up
      {0x33c00000u, 0x0002, 0x33c0},                                 // 1.5 * 2^-24: tie, to even (2)
      {0x34000000u, 0x0002, 0x3400}, {0x38800000u, 0x0400, 0x3880},  // 2^-14: smallest normal half
      {0x387fc000u, 0x03ff, 0x3880},                                 // largest subnormal half
      {0x387fe000u, 0x0400, 0x3880},                                 // rounds up into the normals
      {0x38000000u, 0x0200, 0x3800}, {0x477fe000u, 0x7bff, 0x4780},  // 65504: largest half
      {0x477fefffu, 0x7bff, 0x4780},                                 // just below 65520
      {0x477ff000u, 0x7c00, 0x4780},                                 // 65520: overflows to inf
      {0x47800000u, 0x7c00, 0x4780},                                 // 65536
      {0x7f7fffffu, 0x7c00, 0x7f80},                                 // FLT_MAX: inf in both
      {0xff7fffffu, 0xfc00, 0xff80}, {0x7f800000u, 0x7c00, 0x7f80},  // inf
      {0xff800000u, 0xfc00, 0xff80},                                 // -inf
      {0x00000001u, 0x0000, 0x0000},                                 // float subnormals
      {0x00800000u, 0x0000, 0x0080}, {0x3eaaaaabu, 0x3555, 0x3eab},  // 1/3
      {0x40490fdbu, 0x4248, 0x4049},                                 // pi
      {0xc2f6e979u, 0xd7b7, 0xc2f7},                                 // -123.456
      {0x3f808000u, 0x3c04, 0x3f80},                                 // bf16 tie, to even (down)
      {0x3f818000u, 0x3c0c, 0x3f82},                                 // bf16 tie, to even (up)
      {0x3f817fffu, 0x3c0c, 0x3f81}, {0x3f808001u, 0x3c04, 0x3f81},
      {0x7f7f8000u, 0x7c00, 0x7f80},  // bf16 rounds up to inf
      {0x7f7f7fffu, 0x7c00, 0x7f7f},  // largest finite bf16
      {0x0001ffffu, 0x0000, 0x0002},  // bf16 keeps float subnormals
      {0x3dcccccdu, 0x2e66, 0x3dcd},  // 0.1
      {0x461c4000u, 0x70e2, 0x461c},  // 10000
      {0xc61c4400u, 0xf0e2, 0xc61c},
  };
  for (const Row& r : rows) {
    const float f = from_bits(r.f);
    EXPECT_EQ(Half(f).bits, r.half) << std::hex << "float bits 0x" << r.f;
    EXPECT_EQ(BFloat16(f).bits, r.bf16) << std::hex << "float bits 0x" << r.f;
  }
}

TEST(Half, NaNStaysNaN) {
  for (uint32_t b : {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fffffffu}) {
    const float f = from_bits(b);
    EXPECT_TRUE(std::isnan(static_cast<float>(Half(f)))) << std::hex << b;
    EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(f)))) << std::hex << b;
  }
  EXPECT_EQ(Half(from_bits(0x7fc00000u)).bits, 0x7e00);  // canonical quiet NaN, as F16C's vcvtps2ph
}

TEST(Half, EveryHalfConvertsExactlyAndRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    Half x;
    x.bits = static_cast<uint16_t>(h);
    const float f = static_cast<float>(x);
    const double want = half_value(static_cast<uint16_t>(h));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(f)) << std::hex << h;
      continue;
    }
    ASSERT_EQ(static_cast<double>(f), want) << std::hex << h;
    ASSERT_EQ(std::signbit(f), (h & 0x8000) != 0) << std::hex << h;
    ASSERT_EQ(Half(f).bits, h) << std::hex << h;
  }
}

TEST(Half, RoundingMatchesReferenceOnAFloatSweep) {
  // Every 997th float32 bit pattern (4.3 million values), plus the neighbourhood of every half (ties).
  int64_t checked = 0;
  for (uint64_t b = 0; b <= 0xffffffffull; b += 997) {
    const float f = from_bits(static_cast<uint32_t>(b));
    if (std::isnan(f)) continue;
    ASSERT_EQ(Half(f).bits, reference_half(f)) << std::hex << "float bits 0x" << b;
    ++checked;
  }
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    // The midpoint between h and h + 1, and one float ulp either side of it.
    const double mid = (half_value(static_cast<uint16_t>(h)) + half_value(static_cast<uint16_t>(h + 1))) / 2;
    const float m = static_cast<float>(mid);
    for (float f : {m, std::nextafter(m, 0.0f), std::nextafter(m, 1e10f)}) {
      ASSERT_EQ(Half(f).bits, reference_half(f)) << "near half 0x" << std::hex << h;
      ASSERT_EQ(Half(-f).bits, reference_half(-f)) << "near half -0x" << std::hex << h;
    }
  }
  EXPECT_GT(checked, 4000000);
}

TEST(BFloat16, EveryBFloat16RoundTripsAndTiesGoToEven) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    BFloat16 x;
    x.bits = static_cast<uint16_t>(h);
    const float f = static_cast<float>(x);
    ASSERT_EQ(std::bit_cast<uint32_t>(f), h << 16);
    if (std::isnan(f)) continue;
    ASSERT_EQ(BFloat16(f).bits, h);
    // Exactly halfway to the next bfloat16 goes to the even one; one float ulp more goes up.
    const uint32_t tie = (h << 16) | 0x8000u;
    if (std::isnan(from_bits(tie)) || (h & 0x7fff) == 0x7f80) continue;
    ASSERT_EQ(BFloat16(from_bits(tie)).bits, (h & 1) ? h + 1 : h) << std::hex << h;
    ASSERT_EQ(BFloat16(from_bits(tie + 1)).bits, h + 1) << std::hex << h;
    ASSERT_EQ(BFloat16(from_bits(tie - 1)).bits, h) << std::hex << h;
  }
}

TEST(Half, TensorConversions) {
  Tensor x = tensor({0.1, -2.5, 65504.0, 70000.0, 1e-8, 3.0});
  Tensor h = x.to(kFloat16);
  EXPECT_EQ(h.dtype(), kFloat16);
  EXPECT_EQ(h.itemsize(), 2u);
  std::vector<float> back = h.to_vector<float>();
  EXPECT_EQ(back[0], static_cast<float>(Half(0.1f)));
  EXPECT_EQ(back[1], -2.5f);
  EXPECT_EQ(back[2], 65504.0f);
  EXPECT_TRUE(std::isinf(back[3]));
  EXPECT_EQ(back[4], 0.0f);  // below half the smallest subnormal
  EXPECT_EQ(back[5], 3.0f);
  Tensor b = x.to(kBFloat16);
  EXPECT_EQ(b.to_vector<float>()[0], static_cast<float>(BFloat16(0.1f)));
  EXPECT_EQ(b.to_vector<float>()[3], 70144.0f);  // nearest bfloat16 to 70000
  EXPECT_EQ(h.to(kBFloat16).to(kFloat64).to_vector<double>()[1], -2.5);
}

// The inline float16 conversions (F16C when compiled for it) agree with the portable ones on every value.
TEST(DTypeHalf, InlineConversionsMatchThePortableOnes) {
  for (uint32_t h = 0; h < 65536; ++h) {
    strata::Half v;
    v.bits = static_cast<uint16_t>(h);
    const float a = static_cast<float>(v), b = strata::Half::to_float(v.bits);
    if (std::isnan(a)) {
      ASSERT_TRUE(std::isnan(b)) << h;
    } else {
      ASSERT_EQ(a, b) << h;
    }
  }
  for (float f : {0.0f, -0.0f, 1e-8f, 5.96e-8f, 2.98e-8f, 6.1e-5f, 0.1f, 1.0f, 65504.0f, 65519.0f, 65520.0f, 1e6f,
                  -3.14159f, std::numeric_limits<float>::infinity()}) {
    EXPECT_EQ(strata::Half(f).bits, strata::Half::from_float(f)) << f;
  }
}
