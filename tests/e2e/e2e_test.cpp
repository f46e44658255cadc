// End-to-end training against PyTorch (as llm.c's test does): a small MLP and a small CNN (conv, batch
// norm, relu, max pooling, flatten, linear) start from PyTorch's recorded weights and take 10 SGD-momentum
// and 10 Adam steps on fixed batches with cross-entropy; every step's loss and the final state_dict
// (parameters and batch-norm running statistics) must match PyTorch's to float32 tolerance.
// Data: tests/golden/e2e/e2e.bin, written by tests/golden/make_golden_e2e.py (format described there).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ops/golden_io.h"
#include "strata/nn/nn.h"
#include "strata/optim/adam.h"
#include "strata/optim/sgd.h"
#include "strata/strata.h"

namespace strata {
namespace {

using testing::GoldenReader;

struct GoldenRun {
  std::string optimizer;
  optim::Options options;
  std::vector<double> losses;
  std::vector<Tensor> final_state;  // in the order of Model::keys
};

struct Model {
  std::string name;
  std::vector<std::string> keys;
  nn::StateDict initial;
  std::vector<std::pair<Tensor, Tensor>> batches;  // (x, y)
  std::vector<GoldenRun> runs;
};

std::vector<Model> read_e2e_file() {
  GoldenReader r = GoldenReader::open(std::string(STRATA_TEST_DATA_DIR) + "/golden/e2e/e2e.bin");
  char magic[8];
  for (char& c : magic) c = r.read<char>();
  STRATA_CHECK(std::memcmp(magic, "STRATAE2", 8) == 0, "[e2e golden] ", r.path(), " offset 0: bad magic");
  const auto version = r.read<uint32_t>();
  STRATA_CHECK(version == 1, "[e2e golden] ", r.path(), ": unsupported version ", version);
  std::vector<Model> models(r.read<uint32_t>());
  for (Model& m : models) {
    m.name = r.read_string();
    const auto n_entries = r.read<uint32_t>();
    for (uint32_t i = 0; i < n_entries; ++i) {
      m.keys.push_back(r.read_string());
      m.initial.insert(m.keys.back(), r.read_tensor());
    }
    const auto n_batches = r.read<uint32_t>();
    for (uint32_t i = 0; i < n_batches; ++i) {
      Tensor x = r.read_tensor();
      Tensor y = r.read_tensor();
      m.batches.emplace_back(x, y);
    }
    m.runs.resize(r.read<uint32_t>());
    for (GoldenRun& run : m.runs) {
      run.optimizer = r.read_string();
      const auto n_opts = r.read<uint32_t>();
      for (uint32_t i = 0; i < n_opts; ++i) {
        std::string key = r.read_string();
        run.options[key] = r.read<double>();
      }
      const auto n_steps = r.read<uint32_t>();
      for (uint32_t i = 0; i < n_steps; ++i) run.losses.push_back(r.read<double>());
      for (uint32_t i = 0; i < n_entries; ++i) run.final_state.push_back(r.read_tensor());
    }
  }
  STRATA_CHECK(r.done(), "[e2e golden] ", r.path(), ": trailing bytes after offset ", r.pos());
  return models;
}

const Model& golden_model(const std::string& name) {
  static const std::vector<Model> models = read_e2e_file();
  for (const Model& m : models) {
    if (m.name == name) return m;
  }
  throw Error("[e2e golden] no model " + name);
}

// The same architectures as make_golden_e2e.py, built with the public nn API.
std::shared_ptr<nn::Sequential> make_model(const std::string& name) {
  using namespace nn;
  if (name == "mlp") {
    return std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
        std::make_shared<Flatten>(), std::make_shared<Linear>(64, 32), std::make_shared<ReLU>(),
        std::make_shared<Linear>(32, 16), std::make_shared<ReLU>(), std::make_shared<Linear>(16, 10)});
  }
  return std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
      std::make_shared<Conv2d>(1, 4, 3, 1, 1, 1, 1, /*has_bias=*/false), std::make_shared<BatchNorm2d>(4),
      std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(2), std::make_shared<Conv2d>(4, 8, 3),
      std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(2), std::make_shared<Flatten>(),
      std::make_shared<Linear>(32, 10)});
}

std::unique_ptr<optim::Optimizer> make_optimizer(const GoldenRun& run, const TensorList& params) {
  if (run.optimizer == "SGD") {
    optim::SGDOptions o;
    o.lr = run.options.at("lr");
    o.momentum = run.options.at("momentum");
    return std::make_unique<optim::SGD>(params, o);
  }
  STRATA_CHECK(run.optimizer == "Adam", "[e2e golden] unknown optimizer ", run.optimizer);
  optim::AdamOptions o;
  o.lr = run.options.at("lr");
  return std::make_unique<optim::Adam>(params, o);
}

// "" when every element agrees within atol + rtol |want|, else the first disagreement.
std::string compare(const Tensor& got, const Tensor& want, double atol, double rtol) {
  if (got.shape() != want.shape()) return "shape " + got.shape().str() + " vs " + want.shape().str();
  const auto g = got.contiguous().to_vector<double>(), w = want.contiguous().to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i) {
    if (!(std::abs(g[i] - w[i]) <= atol + rtol * std::abs(w[i]))) {
      return "at " + std::to_string(i) + ": " + std::to_string(g[i]) + " vs PyTorch " + std::to_string(w[i]);
    }
  }
  return "";
}

struct Case {
  std::string model;
  size_t run;  // index into the model's runs: 0 SGD (momentum), 1 Adam
};

class EndToEnd : public ::testing::TestWithParam<Case> {};

TEST_P(EndToEnd, LossesAndFinalWeightsMatchPyTorch) {
  const Model& g = golden_model(GetParam().model);
  ASSERT_LT(GetParam().run, g.runs.size());
  const GoldenRun& run = g.runs[GetParam().run];

  auto model = make_model(g.name);
  // PyTorch's keys and shapes must be exactly ours (strict load).
  model->load_state_dict(g.initial);
  ASSERT_EQ(model->state_dict().size(), g.keys.size());
  model->train();
  auto opt = make_optimizer(run, model->parameters());

  std::vector<double> losses;
  for (size_t step = 0; step < run.losses.size(); ++step) {
    const auto& [x, y] = g.batches[step % g.batches.size()];
    opt->zero_grad();
    Tensor loss = cross_entropy((*model)(x), y);
    loss.backward();
    opt->step();
    losses.push_back(loss.item());
  }
  // Each loss to float32 tolerance (the drift of 10 steps of float32 arithmetic in a different order).
  for (size_t step = 0; step < losses.size(); ++step) {
    EXPECT_NEAR(losses[step], run.losses[step], 2e-5 + 2e-5 * std::abs(run.losses[step]))
        << g.name << " " << run.optimizer << " step " << step;
  }
  // The loss moved: the run is not a no-op that would match a constant.
  EXPECT_GT(std::abs(run.losses.back() - run.losses.front()), 1e-2);

  const nn::StateDict final_state = model->state_dict();
  for (size_t i = 0; i < g.keys.size(); ++i) {
    EXPECT_EQ(compare(final_state.at(g.keys[i]), run.final_state[i], 1e-5, 1e-4), "")
        << g.name << " " << run.optimizer << ": " << g.keys[i] << " after " << losses.size() << " steps";
  }
  // And it moved away from the initial weights (so matching the final state is a real check).
  EXPECT_NE(compare(final_state.at(g.keys[0]), g.initial.at(g.keys[0]), 1e-6, 0), "");
}

INSTANTIATE_TEST_SUITE_P(Golden, EndToEnd,
                         ::testing::Values(Case{"mlp", 0}, Case{"mlp", 1}, Case{"cnn", 0}, Case{"cnn", 1}),
                         [](const ::testing::TestParamInfo<Case>& p) {
                           return p.param.model + (p.param.run == 0 ? "_SGD_momentum" : "_Adam");
                         });

TEST(EndToEndGolden, FileHoldsBothModelsWithBothOptimizers) {
  for (const char* name : {"mlp", "cnn"}) {
    const Model& g = golden_model(name);
    ASSERT_EQ(g.runs.size(), 2u) << name;
    EXPECT_EQ(g.runs[0].optimizer, "SGD");
    EXPECT_EQ(g.runs[1].optimizer, "Adam");
    EXPECT_EQ(g.runs[0].losses.size(), 10u);
  }
  // The CNN's state carries batch norm's running statistics and counter under PyTorch's names.
  EXPECT_TRUE(golden_model("cnn").initial.contains("1.running_var"));
  EXPECT_TRUE(golden_model("cnn").initial.contains("1.num_batches_tracked"));
}

}  // namespace
}  // namespace strata
