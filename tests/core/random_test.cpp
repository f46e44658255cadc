// Random streams: determinism, independent generators, state round trips, and agreement with PyTorch.
//
// The expected values below were generated once by hand with Debian's python3-torch 1.13 (CPU, AVX2 kernels,
// torch.set_num_threads(1)), e.g. `torch.manual_seed(0); torch.rand(5)`, printed with %.9g (float32) or
// %.17g (float64) so that they round-trip exactly, and pasted here. All comparisons are exact:
//   - rand / uniform_: bit-exact for float32, float64, float16 and bfloat16;
//   - randn / normal_: bit-exact for float32 with >= 16 contiguous elements (PyTorch's normal_fill_AVX2 is
//     replayed lane by lane) and for the double-precision Box-Muller path used below 16 elements and for
//     float64; the latter calls the C library's log/sin/cos as PyTorch does, so a different libm could
//     move the last bit (these tests run against the same glibc that PyTorch links);
//   - randint, randperm (n < 2^32 / 20), bernoulli: exact.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "strata/strata.h"

using namespace strata;

namespace {

std::vector<uint16_t> bits16(const Tensor& t) {
  std::vector<uint16_t> out(static_cast<size_t>(t.numel()));
  std::memcpy(out.data(), t.contiguous().raw_data(), out.size() * 2);
  return out;
}

void expect_same(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.shape(), b.shape());
  ASSERT_EQ(a.dtype(), b.dtype());
  EXPECT_EQ(a.to_vector<double>(), b.to_vector<double>());
}

}  // namespace

// ---- agreement with PyTorch ----

TEST(RandomTorch, RandFloat32) {
  manual_seed(0);
  EXPECT_EQ(rand({5}).to_vector<float>(),
            (std::vector<float>{0.49625659f, 0.768221796f, 0.0884774327f, 0.132030487f, 0.307422817f}));
}

TEST(RandomTorch, RandFloat64) {
  manual_seed(0);
  EXPECT_EQ(rand({5}, kFloat64).to_vector<double>(),
            (std::vector<double>{0.97005300180655307, 0.70781986439978795, 0.45938294312745087, 0.92074768412196029,
                                 0.64502412012276478}));
}

TEST(RandomTorch, RandHalfAndBFloat16Bits) {
  manual_seed(0);
  EXPECT_EQ(bits16(rand({5}, kFloat16)), (std::vector<uint16_t>{0x3558, 0x345e, 0x3a75, 0x38c0, 0x3686}));
  manual_seed(0);
  EXPECT_EQ(bits16(rand({5}, kBFloat16)), (std::vector<uint16_t>{0x3f2c, 0x3e3c, 0x3eea, 0x3f40, 0x3e86}));
}

TEST(RandomTorch, UniformRange) {
  manual_seed(0);
  Tensor t = empty({6});
  uniform_(t, -2, 3);
  EXPECT_EQ(t.to_vector<float>(),
            (std::vector<float>{0.481282949f, 1.84110904f, -1.5576129f, -1.33984756f, -0.462885916f, 1.17039347f}));
}

TEST(RandomTorch, UniformOnTransposedViewFillsInMemoryOrder) {
  // torch.empty(4, 3).t().uniform_(): PyTorch walks the memory, not the logical order.
  manual_seed(0);
  Tensor base = empty({4, 3});
  Tensor t = base.t();
  uniform_(t);
  EXPECT_EQ(t.to_vector<float>(),
            (std::vector<float>{0.49625659f, 0.132030487f, 0.49009341f, 0.632306278f, 0.768221796f, 0.307422817f,
                                0.896444738f, 0.348893464f, 0.0884774327f, 0.634078681f, 0.455627978f, 0.401717305f}));
}

TEST(RandomTorch, RandnSmallFloat32) {
  // Fewer than 16 elements: one double Box-Muller draw per element, rounded to float.
  manual_seed(0);
  EXPECT_EQ(randn({5}).to_vector<float>(),
            (std::vector<float>{1.54099607f, -0.293428898f, -2.17878938f, 0.568431258f, -1.08452237f}));
}

TEST(RandomTorch, RandnSmallFloat64) {
  manual_seed(0);
  EXPECT_EQ(randn({5}, kFloat64).to_vector<double>(),
            (std::vector<double>{1.5409961082440433, -0.29342890576094638, -2.1787893820745574, 0.56843127728066778,
                                 -1.0845223424240209}));
}

TEST(RandomTorch, RandnLargeFloat32) {
  // 20 elements: one 16-block plus a recomputed, overlapping tail block (normal_fill_AVX2).
  manual_seed(0);
  EXPECT_EQ(randn({20}).to_vector<float>(),
            (std::vector<float>{-1.12583983f,  -1.1523602f,  -0.250578582f, -0.433878809f, 0.598839462f,
                                -1.55509508f,  -0.34136039f, 1.85300612f,   0.468096405f,  -0.157712445f,
                                1.44366014f,   0.266049415f, 1.38936615f,   1.58633423f,   0.946298361f,
                                -0.843676746f, 0.931826591f, 1.25900924f,   2.00498056f,   0.0537369028f}));
  manual_seed(3);
  Tensor m = randn({2, 10});
  EXPECT_EQ(m.shape(), Shape({2, 10}));
  EXPECT_EQ(m.to_vector<float>(),
            (std::vector<float>{-0.076644294f, 0.35988152f,    -0.782016814f, 0.0715277344f, 1.04602277f,
                                0.522186995f,  -0.166809157f,  0.0530334003f, 0.404607147f,  0.611299634f,
                                0.760390401f,  -0.0336432606f, 0.997922421f,  0.459180444f,  2.43639708f,
                                -0.146808177f, 0.485114008f,   0.205234379f,  0.338428199f,  1.352754f}));
}

TEST(RandomTorch, RandnLargeFloat64) {
  manual_seed(0);
  EXPECT_EQ(randn({18}, kFloat64).to_vector<double>(),
            (std::vector<double>{-2.310411800234176, -0.3732508612577643, -1.2609246557194385, -0.72695106206541105,
                                 -0.019964750907762653, 0.2102998901016947, 0.17718935139366584, -0.83051005100844899,
                                 0.23871805816817063, 0.73352836852728409, -0.77301127729581809, -1.5951814880783068,
                                 -0.68700369404354633, 1.4880743158106724, -0.44841580471145109, -0.89100303517073753,
                                 0.67485754359400385, 1.0468653769814655}));
}

TEST(RandomTorch, RandnHalfBits) {
  manual_seed(0);
  EXPECT_EQ(bits16(randn({16}, kFloat16)),
            (std::vector<uint16_t>{0xbb35, 0x37b3, 0x3ccb, 0x3b3e, 0x3a66, 0xb414, 0xbf8d, 0xb1de, 0xa689, 0xb919,
                                   0x3d73, 0xbbec, 0xb91c, 0x3b73, 0xb68f, 0xbdf4}));
}

TEST(RandomTorch, NormalMeanStd) {
  manual_seed(0);
  Tensor t = empty({17});
  normal_(t, 0.5, 2.0);
  EXPECT_EQ(t.to_vector<float>(),
            (std::vector<float>{-1.75167966f, -2.89186239f, 1.63330126f, 2.08701658f, 1.69767892f, -2.61019015f,
                                -0.18272078f, 4.20601225f, 1.43619275f, -0.670995116f, 0.153206497f, 0.866955876f,
                                3.2787323f, 3.67266846f, 2.39259672f, -1.18735349f, 2.36365318f}));
}

TEST(RandomTorch, NormalCachesSecondBoxMullerValueAcrossCalls) {
  // Three draws leave the sixth value cached in the generator; the next call starts with it, so 3 + 2
  // draws equal randn(5) (torch.empty(3).normal_(); torch.empty(2).normal_()).
  manual_seed(0);
  Tensor a = randn({3});
  Tensor b = randn({2});
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1.54099607f, -0.293428898f, -2.17878938f}));
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{0.568431258f, -1.08452237f}));
}

TEST(RandomTorch, Randint) {
  manual_seed(0);
  Tensor a = randint(0, 10, {10});
  EXPECT_EQ(a.dtype(), kInt64);
  EXPECT_EQ(a.to_vector<int64_t>(), (std::vector<int64_t>{4, 9, 3, 0, 3, 9, 7, 3, 7, 3}));
  manual_seed(0);
  EXPECT_EQ(randint(-5, 5, {8}).to_vector<int64_t>(), (std::vector<int64_t>{-1, 4, -2, -5, -2, 4, 2, -2}));
  manual_seed(0);  // a range of 2^40 takes 64-bit draws
  EXPECT_EQ(randint(0, int64_t{1} << 40, {4}).to_vector<int64_t>(),
            (std::vector<int64_t>{741280623151, 506137267392, 291447657211, 841157541223}));
}

TEST(RandomTorch, Randperm) {
  manual_seed(0);
  EXPECT_EQ(randperm(10).to_vector<int64_t>(), (std::vector<int64_t>{4, 1, 7, 5, 3, 9, 0, 8, 6, 2}));
  manual_seed(1);
  EXPECT_EQ(randperm(7).to_vector<int64_t>(), (std::vector<int64_t>{0, 6, 1, 3, 5, 2, 4}));
}

TEST(RandomTorch, Bernoulli) {
  // float32 probabilities draw a 24-bit float uniform, float64 ones a 53-bit double uniform.
  manual_seed(0);
  Tensor f = bernoulli(tensor({.1, .5, .9, .3, .7, .5}));
  EXPECT_EQ(f.dtype(), kFloat32);
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{0, 0, 1, 1, 1, 0}));
  manual_seed(0);
  Tensor d = bernoulli(tensor({.1, .5, .9, .3, .7, .5}, kFloat64));
  EXPECT_EQ(d.dtype(), kFloat64);
  EXPECT_EQ(d.to_vector<double>(), (std::vector<double>{0, 0, 1, 0, 1, 0}));
  // bernoulli(shape, p) is torch.empty(shape).bernoulli_(p).
  manual_seed(0);
  EXPECT_EQ(bernoulli({10}, 0.5).to_vector<float>(), (std::vector<float>{0, 0, 1, 0, 0, 0, 1, 1, 0, 1}));
}

TEST(RandomTorch, SeparateGeneratorAndDefaultSeed) {
  Generator g(5);
  EXPECT_EQ(rand({3}, {}, &g).to_vector<float>(), (std::vector<float>{0.830251873f, 0.126110911f, 0.90746969f}));
  EXPECT_EQ(Generator().initial_seed(), 67280421310721ULL);  // torch.Generator().initial_seed()
}

// ---- determinism and generator state ----

TEST(Random, SameSeedSameTensors) {
  for (uint64_t seed : {0ull, 1ull, 12345ull, (1ull << 40) + 3}) {
    manual_seed(seed);
    Tensor a = rand({3, 7}), b = randn({40}), c = randn({5}, kFloat64), d = randint(-3, 9, {11}), e = randperm(13);
    manual_seed(seed);
    expect_same(a, rand({3, 7}));
    expect_same(b, randn({40}));
    expect_same(c, randn({5}, kFloat64));
    expect_same(d, randint(-3, 9, {11}));
    expect_same(e, randperm(13));
  }
}

TEST(Random, DifferentSeedsDiffer) {
  manual_seed(1);
  Tensor a = rand({16});
  manual_seed(2);
  Tensor b = rand({16});
  EXPECT_NE(a.to_vector<float>(), b.to_vector<float>());
}

TEST(Random, ConsecutiveDrawsDiffer) {
  manual_seed(0);
  Tensor a = rand({8});
  Tensor b = rand({8});
  EXPECT_NE(a.to_vector<float>(), b.to_vector<float>());
}

TEST(Random, SeparateGeneratorDoesNotTouchTheDefault) {
  manual_seed(7);
  Tensor expected = rand({6});
  manual_seed(7);
  Generator g(7);
  Tensor from_g = rand({6}, {}, &g);
  Tensor more_g = randn({20}, {}, &g);  // advances g only
  Tensor from_default = rand({6});
  expect_same(from_default, expected);
  expect_same(from_g, expected);  // same seed, same stream
  EXPECT_EQ(g.initial_seed(), 7u);
  (void)more_g;
}

TEST(Random, GeneratorReseedRestartsTheStream) {
  Generator g(11);
  Tensor a = randn({5}, {}, &g);  // leaves a cached normal behind
  g.manual_seed(11);              // reseeding also drops the cache
  expect_same(randn({5}, {}, &g), a);
}

TEST(Random, StateRoundTrip) {
  Generator g(99);
  (void)rand({10}, {}, &g);
  (void)randn({3}, {}, &g);  // odd count: a cached second normal is part of the state
  const std::string state = g.get_state();
  Tensor a = randn({3}, {}, &g), b = rand({4}, kFloat64, &g), c = randint(0, 100, {5}, kInt64, &g);
  g.set_state(state);
  expect_same(randn({3}, {}, &g), a);
  expect_same(rand({4}, kFloat64, &g), b);
  expect_same(randint(0, 100, {5}, kInt64, &g), c);
  EXPECT_EQ(g.initial_seed(), 99u);

  Generator other(1);
  other.set_state(state);  // a state moves between generators
  expect_same(randn({3}, {}, &other), a);
}

TEST(Random, SetStateRejectsGarbage) {
  Generator g;
  try {
    g.set_state("not a generator state");
    FAIL() << "expected strata::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("set_state"), std::string::npos) << e.what();
  }
}

TEST(Random, RandnMatchesNormalAndRandMatchesUniform) {
  manual_seed(3);
  Tensor a = randn({33});
  manual_seed(3);
  Tensor b = empty({33});
  normal_(b);
  expect_same(a, b);
  manual_seed(3);
  Tensor c = rand({9}, kFloat64);
  manual_seed(3);
  Tensor d = empty({9}, kFloat64);
  uniform_(d, 0.0, 1.0);
  expect_same(c, d);
}

TEST(Random, Distributions) {
  manual_seed(0);
  Tensor u = rand({20000}, kFloat64);
  std::vector<double> v = u.to_vector<double>();
  double mean = 0, lo = 1, hi = 0;
  for (double x : v) {
    mean += x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  mean /= static_cast<double>(v.size());
  EXPECT_NEAR(mean, 0.5, 0.01);
  EXPECT_GE(lo, 0.0);
  EXPECT_LT(hi, 1.0);

  Tensor n = randn({20000});
  std::vector<float> w = n.to_vector<float>();
  double m = 0, sq = 0;
  for (float x : w) {
    m += x;
    sq += static_cast<double>(x) * x;
  }
  m /= static_cast<double>(w.size());
  EXPECT_NEAR(m, 0.0, 0.03);
  EXPECT_NEAR(sq / static_cast<double>(w.size()) - m * m, 1.0, 0.04);

  std::vector<int64_t> r = randint(3, 7, {1000}).to_vector<int64_t>();
  for (int64_t x : r) {
    EXPECT_GE(x, 3);
    EXPECT_LT(x, 7);
  }
  std::vector<int64_t> p = randperm(100).to_vector<int64_t>();
  std::sort(p.begin(), p.end());
  for (int64_t i = 0; i < 100; ++i) EXPECT_EQ(p[static_cast<size_t>(i)], i);
  EXPECT_EQ(randperm(0).numel(), 0);
  EXPECT_EQ(randperm(1).to_vector<int64_t>(), std::vector<int64_t>{0});
}

TEST(Random, NormalOnStridedViewOnlyWritesTheView) {
  Tensor base = full({4, 6}, 42.0);
  Tensor v = base.slice(1, 0, 6, 2);  // every other column
  normal_(v);
  std::vector<float> all = base.to_vector<float>();
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t j = 0; j < 6; ++j) {
      float x = all[static_cast<size_t>(i * 6 + j)];
      if (j % 2 == 1) {
        EXPECT_EQ(x, 42.0f);
      } else {
        EXPECT_NE(x, 42.0f);
      }
    }
  }
}

TEST(Random, Errors) {
  Tensor i = zeros({3}, kInt64);
  EXPECT_THROW(uniform_(i), Error);
  EXPECT_THROW(normal_(i), Error);
  EXPECT_THROW(rand({2}, kInt64), Error);
  Tensor f = zeros({3});
  EXPECT_THROW(normal_(f, 0.0, -1.0), Error);
  EXPECT_THROW(uniform_(f, 2.0, 1.0), Error);
  EXPECT_THROW(randint(5, 5, {2}), Error);
  EXPECT_THROW(randperm(-1), Error);
  EXPECT_THROW(bernoulli(tensor({0.5, 1.5})), Error);
  EXPECT_THROW(bernoulli({2}, -0.1), Error);
  EXPECT_THROW(bernoulli(zeros({2}, kInt64)), Error);
  Tensor expanded = zeros({1, 3}).expand({4, 3});
  EXPECT_THROW(uniform_(expanded), Error);
  Tensor leaf = zeros({3}).requires_grad_();
  EXPECT_THROW(uniform_(leaf), Error);
  {
    NoGradGuard ng;
    EXPECT_NO_THROW(uniform_(leaf));  // nn::init runs under NoGradGuard
  }
}
