// nn::init and the layers' default initialisation, against values printed by torch 1.13 (CPU) for the
// same seeds: manual_seed(s) + the same calls must give PyTorch's numbers bit for bit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "strata/nn/nn.h"
#include "strata/strata.h"

namespace strata::nn {
namespace {

using ::testing::HasSubstr;

std::vector<float> flat(const Tensor& t) { return t.contiguous().to_vector<float>(); }

std::vector<float> slice_of(const std::vector<float>& v, size_t begin, size_t n) {
  return std::vector<float>(v.begin() + static_cast<std::ptrdiff_t>(begin),
                            v.begin() + static_cast<std::ptrdiff_t>(begin + n));
}

double sum_double(const Tensor& t) {
  double s = 0;
  for (double v : t.to_vector<double>()) s += v;
  return s;
}

TEST(Init, LinearDefaultMatchesPyTorch) {
  // torch.manual_seed(0); l = torch.nn.Linear(784, 512)
  manual_seed(0);
  Linear l(784, 512);
  const std::vector<float> w = flat(l.weight), b = flat(l.bias);
  EXPECT_EQ(slice_of(w, 0, 4),
            (std::vector<float>{-2.673864365e-04f, 1.915870048e-02f, -2.939447016e-02f, -2.628353797e-02f}));
  EXPECT_EQ(slice_of(w, 511 * 784 + 780, 4),
            (std::vector<float>{2.867865749e-02f, 1.021341793e-02f, -2.315705642e-02f, 1.896986924e-02f}));
  EXPECT_EQ(slice_of(b, 0, 3), (std::vector<float>{3.204282746e-02f, 1.420534961e-02f, 2.863287181e-02f}));
  EXPECT_EQ(b[511], 2.258248068e-02f);
  EXPECT_NEAR(sum_double(l.weight), 15.42913137376113, 1e-9);
  EXPECT_NEAR(sum_double(l.bias), -0.08983905320110352, 1e-11);
  EXPECT_NEAR(sum_double(l.weight.abs()), 7165.999969203056, 1e-7);
  // A private generator with the same seed gives the same weights.
  Generator g(0);
  Linear l2(784, 512, true, kFloat32, &g);
  EXPECT_EQ(flat(l2.weight), w);
  EXPECT_EQ(flat(l2.bias), b);
}

TEST(Init, Conv2dDefaultMatchesPyTorch) {
  // torch.manual_seed(0); c = torch.nn.Conv2d(3, 16, 3)
  manual_seed(0);
  Conv2d c(3, 16, 3);
  ASSERT_EQ(c.weight.shape(), Shape({16, 3, 3, 3}));
  const std::vector<float> w = flat(c.weight), b = flat(c.bias);
  EXPECT_EQ(slice_of(w, 0, 4),
            (std::vector<float>{-1.440839260e-03f, 1.032386199e-01f, -1.583951116e-01f, -1.416315287e-01f}));
  EXPECT_EQ(slice_of(w, w.size() - 2, 2), (std::vector<float>{-1.366646290e-01f, 7.153887302e-02f}));
  EXPECT_EQ(slice_of(b, 0, 3), (std::vector<float>{1.633474231e-01f, 1.262248494e-02f, -1.282656193e-01f}));
  EXPECT_NEAR(sum_double(c.weight), -0.5913192177831661, 1e-11);
  EXPECT_NEAR(sum_double(c.bias), -0.5294752921909094, 1e-11);

  // torch.manual_seed(5); torch.nn.Conv2d(6, 4, (3, 5), stride=2, padding=1, groups=2)
  manual_seed(5);
  Conv2d g(6, 4, {3, 5}, 2, 1, 1, 2);
  ASSERT_EQ(g.weight.shape(), Shape({4, 3, 3, 5}));
  EXPECT_EQ(slice_of(flat(g.weight), 0, 3),
            (std::vector<float>{9.846208990e-02f, -1.114721894e-01f, 1.214839891e-01f}));
  EXPECT_EQ(flat(g.bias),
            (std::vector<float>{-1.237396225e-01f, -1.246216372e-01f, -1.659101993e-02f, -1.254205406e-01f}));
  EXPECT_NEAR(sum_double(g.weight), -0.20430933497846127, 1e-11);
}

TEST(Init, InitialisersMatchPyTorch) {
  // torch.manual_seed(3), then in order: kaiming_normal_(empty(20, 10), mode='fan_out', nonlinearity='relu'),
  // xavier_uniform_(empty(5, 7), gain=2), xavier_normal_(empty(4, 6, 3)),
  // kaiming_uniform_(empty(6, 4), a=0.1, mode='fan_out'), normal_(empty(17), 1, 0.5), uniform_(empty(3), -2, 3)
  manual_seed(3);
  Tensor a = empty({20, 10}), b = empty({5, 7}), c = empty({4, 6, 3}), d = empty({6, 4}), e = empty({17}),
         g = empty({3});
  init::kaiming_normal_(a, 0.0, "fan_out", "relu");
  init::xavier_uniform_(b, 2.0);
  init::xavier_normal_(c);
  init::kaiming_uniform_(d, 0.1, "fan_out", "leaky_relu");
  init::normal_(e, 1.0, 0.5);
  init::uniform_(g, -2, 3);
  EXPECT_EQ(slice_of(flat(a), 0, 3), (std::vector<float>{-2.423705347e-02f, 1.138045266e-01f, -2.472954243e-01f}));
  EXPECT_EQ(flat(a)[199], 1.204032898e-01f);
  EXPECT_EQ(slice_of(flat(b), 0, 3), (std::vector<float>{1.462455094e-01f, -3.050329089e-01f, 3.684288561e-01f}));
  EXPECT_EQ(slice_of(flat(c), 69, 3), (std::vector<float>{2.909466028e-01f, -2.379132435e-02f, -1.141965315e-01f}));
  EXPECT_EQ(slice_of(flat(d), 20, 4),
            (std::vector<float>{-8.980084062e-01f, -7.659834027e-01f, -2.294727713e-01f, -4.716661274e-01f}));
  EXPECT_EQ(flat(e)[0], 4.783291817e-01f);
  EXPECT_EQ(flat(e)[1], 1.067523479e+00f);
  EXPECT_EQ(flat(e)[16], 1.171685219e+00f);
  EXPECT_EQ(flat(g), (std::vector<float>{-1.709715724e-01f, -3.972242475e-01f, -1.362971544e+00f}));
}

TEST(Init, GainsAndFans) {
  EXPECT_DOUBLE_EQ(init::calculate_gain("linear"), 1.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain("conv2d"), 1.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain("sigmoid"), 1.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain("tanh"), 1.6666666666666667);
  EXPECT_DOUBLE_EQ(init::calculate_gain("relu"), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(init::calculate_gain("leaky_relu"), std::sqrt(2.0 / (1 + 0.01 * 0.01)));
  EXPECT_DOUBLE_EQ(init::calculate_gain("leaky_relu", 0.2), 1.3867504905630728);
  EXPECT_DOUBLE_EQ(init::calculate_gain("selu"), 0.75);
  EXPECT_THROW(init::calculate_gain("swish"), Error);
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(empty({8, 3, 5, 5})), (std::pair<int64_t, int64_t>{75, 200}));
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(empty({4, 7})), (std::pair<int64_t, int64_t>{7, 4}));
  Tensor v = empty({5});
  try {
    init::xavier_uniform_(v);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("fewer than 2 dims"));
    EXPECT_THAT(e.what(), HasSubstr("(5,)"));
  }
  Tensor w = empty({3, 3});
  EXPECT_THROW(init::kaiming_uniform_(w, 0, "fan_avg"), Error);
}

TEST(Init, WorksOnParametersAndConstants) {
  Linear l(3, 2);
  EXPECT_TRUE(l.weight.requires_grad());
  init::ones_(l.weight);
  init::zeros_(l.bias);
  EXPECT_EQ(flat(l.weight), std::vector<float>(6, 1.0f));
  EXPECT_EQ(flat(l.bias), std::vector<float>(2, 0.0f));
  init::constant_(l.bias, 0.25);
  EXPECT_EQ(flat(l.bias), std::vector<float>(2, 0.25f));
  EXPECT_TRUE(l.weight.requires_grad());
  EXPECT_TRUE(l.weight.is_leaf());
  // Bounds: every kaiming_uniform_ value within sqrt(3) gain / sqrt(fan_in).
  Tensor big = empty({64, 100}, kFloat64);
  Generator g(11);
  init::kaiming_uniform_(big, 0.0, "fan_in", "relu", &g);
  const double bound = std::sqrt(3.0) * std::sqrt(2.0) / 10.0;
  EXPECT_LE(big.abs().max().item(), bound);
  EXPECT_GT(big.abs().max().item(), 0.95 * bound);
}

}  // namespace
}  // namespace strata::nn
