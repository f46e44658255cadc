// Attention layers against PyTorch (tests/golden/attention/attention.bin, written by
// tests/golden/make_golden_attention.py): SDPA (reference math, float64), MultiheadAttention with masks,
// TransformerEncoderLayer / DecoderLayer (pre- and post-norm), a TransformerEncoder stack and nanoGPT's
// Block, all with identical weights; plus the state_dict keys of each layer (tests/golden/attention/keys.txt).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "ops/golden_io.h"
#include "strata/nn/attention.h"
#include "strata/nn/transformer.h"
#include "strata/ops/attention.h"
#include "strata/strata.h"

namespace strata::nn {
namespace {

using testing::GoldenRecord;

const std::string kDir = std::string(STRATA_TEST_DATA_DIR) + "/golden/attention/";

std::string compare(const Tensor& got, const Tensor& want, double atol, double rtol) {
  return testing::golden_mismatch(got, want, atol, rtol);
}

const GoldenRecord& record(const std::string& name) {
  static const std::map<std::string, GoldenRecord> recs = [] {
    std::map<std::string, GoldenRecord> out;
    for (GoldenRecord& r : testing::read_golden_file(kDir + "attention.bin")) out.emplace(r.name, std::move(r));
    return out;
  }();
  auto it = recs.find(name);
  if (it == recs.end()) throw Error("no golden record " + name);
  return it->second;
}

std::vector<std::string> torch_keys(const std::string& model) {
  std::ifstream f(kDir + "keys.txt");
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream ss(line);
    std::string name, key;
    ss >> name;
    if (name != model) continue;
    std::vector<std::string> keys;
    while (ss >> key) keys.push_back(key);
    return keys;
  }
  throw Error("no keys for " + model);
}

// Loads inputs[first ...] into m's parameters (PyTorch's parameters() order) after checking that m's
// state_dict keys are PyTorch's.
void load(Module& m, const GoldenRecord& r, size_t first, const std::string& model) {
  std::vector<std::string> mine;
  for (const auto& kv : m.state_dict()) mine.push_back(kv.first);
  ASSERT_EQ(mine, torch_keys(model));
  auto named = m.named_parameters();
  ASSERT_EQ(r.inputs.size() >= first + named.size(), true);
  StateDict sd;
  for (size_t i = 0; i < named.size(); ++i) sd.insert(named[i].first, r.inputs[first + i]);
  m.load_state_dict(sd);
}

void check_param_grads(Module& m, const GoldenRecord& r, size_t first, double atol = 2e-5, double rtol = 2e-4) {
  auto named = m.named_parameters();
  for (size_t i = 0; i < named.size(); ++i) {
    EXPECT_EQ(compare(named[i].second.grad(), r.input_grads[first + i], atol, rtol), "")
        << r.name << " gradient of " << named[i].first;
  }
}

Tensor leaf(const Tensor& t) { return t.defined() ? t.clone().requires_grad_(true) : t; }
Tensor maybe_leaf(const Tensor& t) { return t.defined() && t.dtype() != kBool ? leaf(t) : t; }

TEST(GoldenAttention, ScaledDotProductAttention) {
  for (const char* name : {"sdpa.plain", "sdpa.causal", "sdpa.bool_mask", "sdpa.float_mask", "sdpa.scale0.3"}) {
    SCOPED_TRACE(name);
    const GoldenRecord& r = record(name);
    Tensor q = leaf(r.inputs[0]), k = leaf(r.inputs[1]), v = leaf(r.inputs[2]), m = maybe_leaf(r.inputs[3]);
    const std::string n = name;
    std::optional<double> scale;
    if (n == "sdpa.scale0.3") scale = 0.3;
    Tensor y = scaled_dot_product_attention(q, k, v, m, 0.0, n == "sdpa.causal", scale);
    EXPECT_EQ(compare(y, r.output, 1e-12, 1e-10), "");
    y.backward(r.grad_output);
    EXPECT_EQ(compare(q.grad(), r.input_grads[0], 1e-12, 1e-10), "");
    EXPECT_EQ(compare(k.grad(), r.input_grads[1], 1e-12, 1e-10), "");
    EXPECT_EQ(compare(v.grad(), r.input_grads[2], 1e-12, 1e-10), "");
    if (m.defined() && m.requires_grad()) {
      EXPECT_EQ(compare(m.grad(), r.input_grads[3], 1e-12, 1e-10), "");
    }
  }
}

TEST(GoldenAttention, MultiheadAttention) {
  for (const char* name :
       {"mha.self", "mha.self.masks", "mha.cross.bool_masks", "mha.unbatched", "mha.batch_first.kv.per_head"}) {
    SCOPED_TRACE(name);
    const std::string n = name;
    const GoldenRecord& r = record(name);
    MultiheadAttention mha(8, 2, 0.0, true, n.find("batch_first") != std::string::npos);
    load(mha, r, 5, "mha");
    const bool self = n.find("self") != std::string::npos || n == "mha.unbatched";
    const bool kv = n.find(".kv") != std::string::npos;
    Tensor q = leaf(r.inputs[0]);
    Tensor k = self ? q : leaf(r.inputs[1]);
    Tensor v = self ? q : kv ? k : leaf(r.inputs[2]);
    Tensor am = maybe_leaf(r.inputs[4]);
    auto [y, w] = mha.forward(q, k, v, r.inputs[3], true, am, n.find("per_head") == std::string::npos);
    EXPECT_EQ(compare(y, r.output, 1e-5, 1e-4), "") << "output";
    EXPECT_EQ(compare(w, r.inputs[9], 1e-6, 1e-4), "") << "weights";
    y.backward(r.grad_output);
    EXPECT_EQ(compare(q.grad(), r.input_grads[0], 2e-5, 2e-4), "") << "query gradient";
    if (!self && !kv) {
      EXPECT_EQ(compare(k.grad(), r.input_grads[1], 2e-5, 2e-4), "") << "key gradient";
      EXPECT_EQ(compare(v.grad(), r.input_grads[2], 2e-5, 2e-4), "") << "value gradient";
    }
    if (kv) {  // key and value are one tensor (PyTorch recorded its whole gradient in both slots)
      EXPECT_EQ(compare(k.grad(), r.input_grads[1], 2e-5, 2e-4), "") << "key/value gradient";
    }
    if (am.defined() && am.requires_grad()) {
      EXPECT_EQ(compare(am.grad(), r.input_grads[4], 2e-5, 2e-4), "") << "attn_mask gradient";
    }
    check_param_grads(mha, r, 5);
  }
}

TransformerLayerOptions small_options(const std::string& name) {
  TransformerLayerOptions o;
  o.d_model = 8;
  o.nhead = 2;
  o.dim_feedforward = 16;
  o.dropout = 0.0;
  o.activation = name.find("gelu") != std::string::npos ? "gelu" : "relu";
  o.batch_first = name.find("batch_first") != std::string::npos;
  o.norm_first = name.find(".pre") != std::string::npos;
  return o;
}

TEST(GoldenAttention, TransformerEncoderLayer) {
  for (const char* name : {"enc.post.relu", "enc.pre.gelu.batch_first"}) {
    SCOPED_TRACE(name);
    const GoldenRecord& r = record(name);
    TransformerEncoderLayer layer(small_options(name));
    load(layer, r, 3, "enc");
    Tensor src = leaf(r.inputs[0]);
    Tensor y = layer.forward(src, r.inputs[1], r.inputs[2]);
    EXPECT_EQ(compare(y, r.output, 2e-5, 2e-4), "") << "output";
    y.backward(r.grad_output);
    EXPECT_EQ(compare(src.grad(), r.input_grads[0], 2e-5, 2e-4), "") << "src gradient";
    check_param_grads(layer, r, 3);
  }
}

TEST(GoldenAttention, TransformerDecoderLayer) {
  for (const char* name : {"dec.post.relu", "dec.pre.gelu.batch_first"}) {
    SCOPED_TRACE(name);
    const GoldenRecord& r = record(name);
    TransformerDecoderLayer layer(small_options(name));
    load(layer, r, 6, "dec");
    Tensor tgt = leaf(r.inputs[0]), mem = leaf(r.inputs[1]);
    Tensor y = layer.forward(tgt, mem, r.inputs[2], r.inputs[3], r.inputs[4], r.inputs[5]);
    EXPECT_EQ(compare(y, r.output, 2e-5, 2e-4), "") << "output";
    y.backward(r.grad_output);
    EXPECT_EQ(compare(tgt.grad(), r.input_grads[0], 2e-5, 2e-4), "") << "tgt gradient";
    EXPECT_EQ(compare(mem.grad(), r.input_grads[1], 2e-5, 2e-4), "") << "memory gradient";
    check_param_grads(layer, r, 6);
  }
}

TEST(GoldenAttention, TransformerEncoderStack) {
  const GoldenRecord& r = record("encoder.2layers");
  TransformerEncoder enc(small_options("relu"), 2, true);
  load(enc, r, 1, "encoder");
  Tensor src = leaf(r.inputs[0]);
  Tensor y = enc.forward(src);
  EXPECT_EQ(compare(y, r.output, 2e-5, 2e-4), "");
  y.backward(r.grad_output);
  EXPECT_EQ(compare(src.grad(), r.input_grads[0], 2e-5, 2e-4), "");
  check_param_grads(enc, r, 1);
}

TEST(GoldenAttention, GPTBlock) {
  const GoldenRecord& r = record("gpt.block");
  GPTBlock blk(8, 2);
  load(blk, r, 1, "gpt");
  Tensor x = leaf(r.inputs[0]);
  Tensor y = blk.forward(x);
  EXPECT_EQ(compare(y, r.output, 2e-5, 2e-4), "");
  y.backward(r.grad_output);
  EXPECT_EQ(compare(x.grad(), r.input_grads[0], 2e-5, 2e-4), "");
  check_param_grads(blk, r, 1);
}

}  // namespace
}  // namespace strata::nn
