// The fused gate kernels (src/kernels/cpu/rnn_cell.h) against their naive references, float and double,
// forward and backward, at widths around the vector lengths; outputs are poisoned first so that an unwritten
// element fails.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu/rnn_cell.h"

namespace kc = strata::kernels::cpu;

namespace {

template <class T>
std::vector<T> random_vec(size_t n, std::mt19937& rng, double scale = 2.0) {
  std::normal_distribution<double> d(0.0, scale);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

template <class T>
std::vector<T> poison(size_t n) {
  return std::vector<T>(n, std::numeric_limits<T>::quiet_NaN());
}

template <class T>
void expect_close(const std::vector<T>& got, const std::vector<T>& want, const char* what) {
  const double tol = std::is_same_v<T, float> ? 2e-6 : 1e-13;
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(std::abs(static_cast<double>(got[i]) - want[i]) <= tol * (1 + std::abs(static_cast<double>(want[i]))))
        << what << " at " << i << ": " << got[i] << " vs reference " << want[i];
  }
}

template <class T>
void check_all(int64_t B, int64_t H) {
  SCOPED_TRACE("B=" + std::to_string(B) + " H=" + std::to_string(H));
  std::mt19937 rng(static_cast<unsigned>(B * 131 + H));
  const auto n = static_cast<size_t>(B * H);
  // RNN
  for (bool relu : {false, true}) {
    auto a = random_vec<T>(n, rng);
    auto h = poison<T>(n), h_ref = poison<T>(n);
    kc::rnn_cell_forward<T>(a.data(), h.data(), B, H, relu);
    kc::rnn_cell_forward_reference<T>(a.data(), h_ref.data(), B, H, relu);
    expect_close(h, h_ref, "rnn h");
    auto dh = random_vec<T>(n, rng);
    auto da = poison<T>(n), da_ref = poison<T>(n);
    kc::rnn_cell_backward<T>(h_ref.data(), dh.data(), da.data(), B, H, relu);
    kc::rnn_cell_backward_reference<T>(h_ref.data(), dh.data(), da_ref.data(), B, H, relu);
    expect_close(da, da_ref, "rnn da");
  }
  // LSTM
  {
    auto gates = random_vec<T>(4 * n, rng, 3.0), gates_ref = gates;
    auto cp = random_vec<T>(n, rng);
    auto c = poison<T>(n), h = poison<T>(n), c_ref = poison<T>(n), h_ref = poison<T>(n);
    kc::lstm_cell_forward<T>(gates.data(), cp.data(), c.data(), h.data(), B, H);
    kc::lstm_cell_forward_reference<T>(gates_ref.data(), cp.data(), c_ref.data(), h_ref.data(), B, H);
    expect_close(gates, gates_ref, "lstm gates");
    expect_close(c, c_ref, "lstm c");
    expect_close(h, h_ref, "lstm h");
    auto dh = random_vec<T>(n, rng);
    auto dc = random_vec<T>(n, rng), dc_ref = dc;
    auto dg = poison<T>(4 * n), dg_ref = poison<T>(4 * n);
    kc::lstm_cell_backward<T>(gates_ref.data(), c_ref.data(), cp.data(), dh.data(), dc.data(), dg.data(), B, H);
    kc::lstm_cell_backward_reference<T>(gates_ref.data(), c_ref.data(), cp.data(), dh.data(), dc_ref.data(),
                                        dg_ref.data(), B, H);
    expect_close(dg, dg_ref, "lstm dgates");
    expect_close(dc, dc_ref, "lstm dc_prev");
  }
  // GRU
  {
    auto xg = random_vec<T>(3 * n, rng), hg = random_vec<T>(3 * n, rng), hp = random_vec<T>(n, rng);
    auto save = poison<T>(4 * n), save_ref = poison<T>(4 * n), h = poison<T>(n), h_ref = poison<T>(n);
    kc::gru_cell_forward<T>(xg.data(), hg.data(), hp.data(), save.data(), h.data(), B, H);
    kc::gru_cell_forward_reference<T>(xg.data(), hg.data(), hp.data(), save_ref.data(), h_ref.data(), B, H);
    expect_close(save, save_ref, "gru saved gates");
    expect_close(h, h_ref, "gru h");
    auto dh = random_vec<T>(n, rng);
    auto dgx = poison<T>(3 * n), dgh = poison<T>(3 * n), dp = poison<T>(n);
    auto dgx_ref = poison<T>(3 * n), dgh_ref = poison<T>(3 * n), dp_ref = poison<T>(n);
    kc::gru_cell_backward<T>(save_ref.data(), hp.data(), dh.data(), dgx.data(), dgh.data(), dp.data(), B, H);
    kc::gru_cell_backward_reference<T>(save_ref.data(), hp.data(), dh.data(), dgx_ref.data(), dgh_ref.data(),
                                       dp_ref.data(), B, H);
    expect_close(dgx, dgx_ref, "gru dgx");
    expect_close(dgh, dgh_ref, "gru dgh");
    expect_close(dp, dp_ref, "gru dh_prev");
  }
}

TEST(RNNCellKernels, FusedMatchesReferenceFloat) {
  for (int64_t H : {1, 7, 8, 16, 33, 256}) check_all<float>(3, H);
}

TEST(RNNCellKernels, FusedMatchesReferenceDouble) {
  for (int64_t H : {1, 5, 32}) check_all<double>(2, H);
}

// Hand-computed: one LSTM unit with pre-activations (0, 0, 0, 0), c' = 1: i = f = o = 0.5, g = 0,
// c = 0.5, h = 0.5 tanh(0.5).
TEST(RNNCellKernels, LstmByHand) {
  double gates[4] = {0, 0, 0, 0}, cp = 1, c = -1, h = -1;
  kc::lstm_cell_forward_reference<double>(gates, &cp, &c, &h, 1, 1);
  EXPECT_DOUBLE_EQ(c, 0.5);
  EXPECT_DOUBLE_EQ(h, 0.5 * std::tanh(0.5));
  double gates2[4] = {0, 0, 0, 0}, c2 = -1, h2 = -1;
  kc::lstm_cell_forward<double>(gates2, &cp, &c2, &h2, 1, 1);
  EXPECT_DOUBLE_EQ(h2, h);
  EXPECT_DOUBLE_EQ(gates2[0], 0.5);
  EXPECT_DOUBLE_EQ(gates2[2], 0.0);
}

}  // namespace
