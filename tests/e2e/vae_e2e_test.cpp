// End-to-end VAE training against PyTorch: a small MLP nn::VAE in float64 starts from PyTorch's recorded
// weights and takes 5 Adam steps through train::Stepper with PyTorch's recorded reparameterisation noise
// (forward_vae(x, eps)) and nn::vae_loss; every step's loss terms and the final state_dict must match
// PyTorch's to float64 tolerance. Cases: BCE with beta 1 and 0.25, squared error with beta 1.
// Data: tests/golden/e2e/vae.bin, written by tests/golden/make_golden_vae.py (format described there).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ops/golden_io.h"
#include "strata/nn/nn.h"
#include "strata/optim/adam.h"
#include "strata/strata.h"
#include "strata/train/step.h"

namespace strata {
namespace {

using testing::golden_mismatch;
using testing::GoldenReader;

struct VAEStep {
  Tensor eps;
  double total = 0, recon = 0, kl = 0;
};

struct VAECase {
  std::string name, recon_kind;
  double beta = 1, lr = 0;
  std::vector<VAEStep> steps;
  std::vector<Tensor> final_state;  // in the order of VAEGolden::keys
};

struct VAEGolden {
  int64_t latent_dim = 0;
  std::vector<std::string> keys;
  nn::StateDict initial;
  Tensor x;
  std::vector<VAECase> cases;
};

VAEGolden read_vae_file() {
  GoldenReader r = GoldenReader::open(std::string(STRATA_TEST_DATA_DIR) + "/golden/e2e/vae.bin");
  char magic[8];
  for (char& c : magic) c = r.read<char>();
  STRATA_CHECK(std::memcmp(magic, "STRATAVA", 8) == 0, "[vae golden] ", r.path(), " offset 0: bad magic");
  const auto version = r.read<uint32_t>();
  STRATA_CHECK(version == 1, "[vae golden] ", r.path(), ": unsupported version ", version);
  VAEGolden g;
  g.latent_dim = r.read<uint32_t>();
  const auto n_entries = r.read<uint32_t>();
  for (uint32_t i = 0; i < n_entries; ++i) {
    g.keys.push_back(r.read_string());
    g.initial.insert(g.keys.back(), r.read_tensor());
  }
  g.x = r.read_tensor();
  g.cases.resize(r.read<uint32_t>());
  for (VAECase& c : g.cases) {
    c.name = r.read_string();
    c.recon_kind = r.read_string();
    c.beta = r.read<double>();
    c.lr = r.read<double>();
    c.steps.resize(r.read<uint32_t>());
    for (VAEStep& s : c.steps) {
      s.eps = r.read_tensor();
      s.total = r.read<double>();
      s.recon = r.read<double>();
      s.kl = r.read<double>();
    }
    for (uint32_t i = 0; i < n_entries; ++i) c.final_state.push_back(r.read_tensor());
  }
  STRATA_CHECK(r.done(), "[vae golden] ", r.path(), ": trailing bytes after offset ", r.pos());
  return g;
}

const VAEGolden& golden() {
  static const VAEGolden g = read_vae_file();
  return g;
}

const VAECase& golden_case(const std::string& name) {
  for (const VAECase& c : golden().cases) {
    if (c.name == name) return c;
  }
  throw Error("[vae golden] no case " + name);
}

// The architecture of make_golden_vae.py, in float64.
std::shared_ptr<nn::VAE> make_vae(int64_t latent) {
  using namespace nn;
  auto linear = [](int64_t in, int64_t out) { return std::make_shared<Linear>(in, out, true, kFloat64); };
  auto encoder = std::make_shared<Sequential>(
      std::initializer_list<ModulePtr>{linear(12, 16), std::make_shared<ReLU>(), linear(16, 2 * latent)});
  auto decoder = std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
      linear(latent, 16), std::make_shared<ReLU>(), linear(16, 12), std::make_shared<Sigmoid>()});
  return std::make_shared<VAE>(encoder, decoder, latent);
}

class VAEEndToEnd : public ::testing::TestWithParam<std::string> {};

TEST_P(VAEEndToEnd, LossTermsAndFinalWeightsMatchPyTorch) {
  const VAEGolden& g = golden();
  const VAECase& c = golden_case(GetParam());
  auto vae = make_vae(g.latent_dim);
  // PyTorch's keys and shapes must be exactly ours (strict load).
  vae->load_state_dict(g.initial);
  ASSERT_EQ(vae->state_dict().size(), g.keys.size());
  ASSERT_EQ(vae->parameters()[0].dtype(), kFloat64);
  vae->train();
  optim::AdamOptions o;
  o.lr = c.lr;
  optim::Adam opt(vae->parameters(), o);
  train::Stepper stepper(*vae, opt);

  for (size_t step = 0; step < c.steps.size(); ++step) {
    const VAEStep& want = c.steps[step];
    nn::VAELoss l;
    const train::StepResult r = stepper([&] {
      l = nn::vae_loss(vae->forward_vae(g.x, want.eps), g.x, c.recon_kind, c.beta);
      return l.total;
    });
    EXPECT_TRUE(r.stepped);
    // Float64 through 5 steps: PyTorch's values to ~1e-10 relative (the arithmetic order differs).
    const double tol = 1e-10 * (1 + std::abs(want.total));
    EXPECT_NEAR(r.loss, want.total, tol) << c.name << " step " << step << " total";
    EXPECT_NEAR(l.recon.item(), want.recon, tol) << c.name << " step " << step << " recon";
    EXPECT_NEAR(l.kl.item(), want.kl, tol) << c.name << " step " << step << " kl";
  }
  // The loss moved: the run is not a no-op that would match a constant.
  EXPECT_GT(std::abs(c.steps.back().total - c.steps.front().total), 1e-2);

  const nn::StateDict final_state = vae->state_dict();
  for (size_t i = 0; i < g.keys.size(); ++i) {
    EXPECT_EQ(golden_mismatch(final_state.at(g.keys[i]), c.final_state[i], 1e-10, 1e-9), "")
        << c.name << ": " << g.keys[i] << " after " << c.steps.size() << " steps";
  }
  // Every parameter moved away from its initial value (so matching the final state is a real check).
  for (const std::string& key : g.keys) {
    EXPECT_NE(golden_mismatch(final_state.at(key), g.initial.at(key), 1e-6, 0), "") << key;
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, VAEEndToEnd, ::testing::Values("bce", "bce_beta", "mse"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(VAEEndToEndGolden, FileHoldsThreeCasesWithDistinctNoise) {
  const VAEGolden& g = golden();
  ASSERT_EQ(g.cases.size(), 3u);
  EXPECT_TRUE(g.initial.contains("encoder.0.weight"));
  EXPECT_TRUE(g.initial.contains("decoder.2.bias"));
  EXPECT_EQ(g.x.dtype(), kFloat64);
  const VAECase& c = golden_case("bce_beta");
  EXPECT_DOUBLE_EQ(c.beta, 0.25);
  ASSERT_EQ(c.steps.size(), 5u);
  // The recorded noise differs per step: each step really uses its own eps.
  EXPECT_NE(golden_mismatch(c.steps[0].eps, c.steps[1].eps, 1e-6, 0), "");
  // The beta case's total is recon + beta * kl with a KL term that matters.
  EXPECT_NEAR(c.steps[0].total, c.steps[0].recon + 0.25 * c.steps[0].kl, 1e-12);
  EXPECT_GT(c.steps[0].kl, 1e-3);
}

}  // namespace
}  // namespace strata
