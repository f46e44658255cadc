#pragma once
// Golden layer records (tests/golden/nn/*.bin, written by PyTorch): look one up and replay it on a Strata module.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "ops/golden_io.h"
#include "strata/nn/module.h"

namespace strata::testing {

// The record `name` of tests/golden/nn/<file> (each file read once).
inline const GoldenRecord& golden_layer_record(const std::string& file, const std::string& name) {
  static std::map<std::string, std::map<std::string, GoldenRecord>> files;
  auto f = files.find(file);
  if (f == files.end()) {
    std::map<std::string, GoldenRecord> recs;
    for (GoldenRecord& r : read_golden_file(std::string(STRATA_TEST_DATA_DIR) + "/golden/nn/" + file)) {
      recs.emplace(r.name, std::move(r));
    }
    f = files.emplace(file, std::move(recs)).first;
  }
  auto it = f->second.find(name);
  if (it == f->second.end()) throw Error("no golden record " + name + " in " + file);
  return it->second;
}

// Loads the record's parameters (inputs 1.. in named_parameters order) into m, runs forward on inputs[0] and
// backward with grad_output, and compares the output, the input gradient and every parameter gradient.
inline void replay_golden_layer(const std::string& file, const std::string& name, nn::Module& m) {
  const GoldenRecord& r = golden_layer_record(file, name);
  auto named = m.named_parameters();
  ASSERT_EQ(r.inputs.size(), 1 + named.size()) << name;
  nn::StateDict sd;
  for (size_t i = 0; i < named.size(); ++i) sd.insert(named[i].first, r.inputs[1 + i]);
  m.load_state_dict(sd, false);
  Tensor x = r.inputs[0].clone().requires_grad_(true);
  Tensor y = m(x);
  EXPECT_EQ(golden_mismatch(y, r.output, 1e-5, 1e-4), "") << name << " output";
  y.backward(r.grad_output);
  EXPECT_EQ(golden_mismatch(x.grad(), r.input_grads[0], 1e-5, 1e-4), "") << name << " input gradient";
  for (size_t i = 0; i < named.size(); ++i) {
    EXPECT_EQ(golden_mismatch(named[i].second.grad(), r.input_grads[1 + i], 1e-4, 1e-4), "")
        << name << " gradient of " << named[i].first;
  }
}

}  // namespace strata::testing
