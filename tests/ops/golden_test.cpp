// PyTorch golden tests: every record in tests/golden/*.bin is replayed through the op table row of the
// same name at float32, comparing the output and the input gradients with PyTorch's.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "golden_io.h"
#include "op_table.h"

using namespace strata;
using namespace strata::testing;

namespace {

const OpCase* find_case(const std::string& name) {
  for (const OpCase& c : op_table()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// Largest violation of |a - b| <= atol + rtol |b|, with the index; -1 when within tolerance.
std::string compare(const Tensor& got, const Tensor& want, double atol, double rtol) {
  if (got.shape() != want.shape()) return "shape " + got.shape().str() + " vs PyTorch " + want.shape().str();
  std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  double worst = 0;
  int64_t at = -1;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(w[i]) && std::isnan(g[i])) continue;
    double excess = std::abs(g[i] - w[i]) - (atol + rtol * std::abs(w[i]));
    if (!(excess <= 0) && (at < 0 || excess > worst)) {
      worst = excess;
      at = static_cast<int64_t>(i);
    }
  }
  if (at < 0) return "";
  return "element " + std::to_string(at) + ": strata " + std::to_string(g[static_cast<size_t>(at)]) + " vs PyTorch " +
         std::to_string(w[static_cast<size_t>(at)]);
}

class GoldenReplay : public ::testing::Test {
 public:
  GoldenReplay(GoldenRecord rec) : rec_(std::move(rec)) {}  // NOLINT
  void TestBody() override {
    const OpCase* c = find_case(rec_.name);
    ASSERT_NE(c, nullptr) << "golden record '" << rec_.name << "' has no row in the op table";
    TensorList inputs;
    for (const Tensor& t : rec_.inputs) inputs.push_back(t.clone().requires_grad_(c->gradcheck));
    Tensor out = c->fn(inputs);
    std::string err = compare(out, rec_.output, c->golden_atol, c->golden_rtol);
    EXPECT_EQ(err, "") << rec_.name << " output";
    if (!c->gradcheck || !rec_.grad_output.defined()) return;
    out.backward(rec_.grad_output.to(out.dtype()));
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!rec_.input_grads[i].defined()) continue;
      ASSERT_TRUE(inputs[i].grad().defined()) << rec_.name << ": no gradient for input " << i;
      err = compare(inputs[i].grad(), rec_.input_grads[i], c->golden_atol, c->golden_rtol);
      EXPECT_EQ(err, "") << rec_.name << " gradient of input " << i;
    }
  }

 private:
  GoldenRecord rec_;
};

// Registers one test per golden record before main() runs.
const int registered = [] {
  for (const std::string& file : golden_files()) {
    for (GoldenRecord& rec : read_golden_file(file)) {
      std::string name = rec.name;
      ::testing::RegisterTest("Golden", name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                              [rec]() -> ::testing::Test* { return new GoldenReplay(rec); });
    }
  }
  return 0;
}();

}  // namespace

// Every row of the op table is covered by a PyTorch golden record.
TEST(GoldenCoverage, EveryTableRowHasARecord) {
  std::set<std::string> have;
  for (const std::string& file : golden_files()) {
    for (const GoldenRecord& rec : read_golden_file(file)) have.insert(rec.name);
  }
  std::vector<std::string> missing;
  for (const OpCase& c : op_table()) {
    if (!have.count(c.name)) missing.push_back(c.name);
  }
  std::string list;
  for (const auto& m : missing) list += " " + m;
  EXPECT_TRUE(missing.empty()) << missing.size() << " op table rows have no golden record in tests/golden/ (run "
                               << "tests/golden/make_golden.py):" << list;
}
