// diag::summarize: per-layer output shapes, parameter counts, FLOPs (hand-computed) and memory.
#include "strata/diag/summary.h"

#include <gtest/gtest.h>

#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/nn/nn.h"
#include "strata/ops/elementwise.h"

using namespace strata;

namespace {

std::shared_ptr<nn::Sequential> lenet() {
  return std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(1, 6, 5, 1, 2), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Conv2d>(6, 16, 5), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(400, 120), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(120, 84), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(84, 10)});
}

}  // namespace

TEST(Summary, LeNetShapesParamsFlops) {
  manual_seed(0);
  auto m = lenet();
  diag::ModelSummary s = diag::summarize(*m, {2, 1, 28, 28});
  ASSERT_EQ(s.layers.size(), 12u);
  EXPECT_EQ(s.layers[0].name, "0");
  EXPECT_EQ(s.layers[0].type, "Conv2d");
  EXPECT_EQ(s.layers[0].output_shape, Shape({2, 6, 28, 28}));
  EXPECT_EQ(s.layers[0].params, 6 * 25 + 6);
  EXPECT_EQ(s.layers[2].output_shape, Shape({2, 6, 14, 14}));
  EXPECT_EQ(s.layers[3].output_shape, Shape({2, 16, 10, 10}));
  EXPECT_EQ(s.layers[6].output_shape, Shape({2, 400}));
  EXPECT_EQ(s.layers[11].output_shape, Shape({2, 10}));
  EXPECT_EQ(s.layers[1].params, 0);
  EXPECT_EQ(s.total_params, 61706);
  EXPECT_EQ(s.trainable_params, 61706);
  EXPECT_EQ(s.output_shape, Shape({2, 10}));
  // Per example: conv1 2*25*(6*28*28) = 235200, conv2 2*150*(16*10*10) = 480000, fc 2*(400*120 + 120*84 + 84*10)
  // = 117840; ReLUs 1 per element (4704 + 1600 + 120 + 84), max pools 2x2 = 4 per output (4 * 1176 + 4 * 400);
  // the batch of 2 doubles it.
  EXPECT_EQ(s.layers[0].flops, 2 * 235200);
  EXPECT_EQ(s.layers[1].flops, 2 * 4704);
  EXPECT_EQ(s.layers[2].flops, 2 * 4 * 1176);
  EXPECT_EQ(s.layers[3].flops, 2 * 480000);
  EXPECT_EQ(s.layers[6].flops, 0);  // Flatten
  EXPECT_EQ(s.layers[7].flops, 2 * 96000);
  EXPECT_EQ(s.flops, 2 * (235200 + 480000 + 117840 + 4704 + 1600 + 120 + 84 + 4 * 1176 + 4 * 400));
  EXPECT_TRUE(s.uncounted_types.empty());
  EXPECT_EQ(s.param_bytes, 61706 * 4);
  EXPECT_EQ(s.buffer_bytes, 0);
  // Output bytes per layer; the total counts each storage once: Flatten's output is a view of the pool's.
  EXPECT_EQ(s.layers[0].activation_bytes, 2 * 4704 * 4);
  EXPECT_EQ(s.layers[6].activation_bytes, 2 * 400 * 4);
  const int64_t floats = 2 * 4704 + 1176 + 2 * 1600 + 400 + 2 * 120 + 2 * 84 + 10;
  EXPECT_EQ(s.activation_bytes, 2 * floats * 4);
  const std::string table = s.to_string();
  EXPECT_NE(table.find("Conv2d"), std::string::npos);
  EXPECT_NE(table.find("(2, 16, 10, 10)"), std::string::npos);
  EXPECT_NE(table.find("61,706"), std::string::npos);
  EXPECT_NE(table.find("36.75 KiB"), std::string::npos) << table;  // conv1's output, 2 * 4704 floats
  EXPECT_NE(table.find("Activation memory for one forward pass"), std::string::npos);
  EXPECT_EQ(table.find("not counted"), std::string::npos);
  // The hooks are gone afterwards.
  for (const auto& [name, mod] : m->named_modules()) EXPECT_FALSE(mod->has_hooks()) << name;
}

TEST(Summary, FrozenParamsAreNotTrainable) {
  auto m = lenet();
  (*m)[0]->requires_grad_(false);
  diag::ModelSummary s = diag::summarize(*m, {1, 1, 28, 28});
  EXPECT_EQ(s.total_params, 61706);
  EXPECT_EQ(s.trainable_params, 61706 - 156);
  EXPECT_EQ(s.layers[0].trainable_params, 0);
  EXPECT_NE(s.to_string().find("non-trainable 156"), std::string::npos);
}

TEST(Summary, BasicBlockIsTracedAndStateUnchanged) {
  manual_seed(1);
  auto m = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::BasicBlock>(4, 8, 2), std::make_shared<nn::AdaptiveAvgPool2d>(1),
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(8, 3)});
  auto block = std::static_pointer_cast<nn::BasicBlock>((*m)[0]);
  block->bn1->running_mean.add_(1.0);  // non-zero statistics, so an update towards the zero input would show
  Tensor before = block->bn1->running_mean.clone();
  m->train();
  diag::ModelSummary s = diag::summarize(*m, {3, 4, 8, 8});
  EXPECT_TRUE(m->is_training());
  EXPECT_TRUE(allclose(block->bn1->running_mean, before, 0.0, 0.0));
  // Rows: block, conv1, bn1, relu, conv2, bn2, downsample, downsample.0, downsample.1, pool, flatten, linear.
  ASSERT_EQ(s.layers.size(), 12u);
  EXPECT_EQ(s.layers[0].type, "BasicBlock");
  EXPECT_EQ(s.layers[0].output_shape, Shape({3, 8, 4, 4}));
  EXPECT_EQ(s.layers[1].name, "0.conv1");
  EXPECT_EQ(s.layers[1].depth, 1);
  EXPECT_EQ(s.layers[1].output_shape, Shape({3, 8, 4, 4}));
  EXPECT_EQ(s.layers[7].name, "0.downsample.0");
  EXPECT_EQ(s.layers[7].depth, 2);
  EXPECT_TRUE(s.layers[7].traced);
  // conv1 8*4*9, conv2 8*8*9, bn 2*8 each (x3 with the projection's), projection conv 8*4.
  const int64_t block_params = 288 + 576 + 16 + 16 + 32 + 16;
  EXPECT_EQ(s.layers[0].params, block_params);
  EXPECT_EQ(s.total_params, block_params + 8 * 3 + 3);
  // FLOPs per output element: conv1 2*4*9, conv2 2*8*9, projection 2*4, 3 batch norms 4 each, the shared ReLU
  // twice and the residual add 1 each; 3*8*4*4 = 384 output elements each.
  EXPECT_EQ(s.layers[1].flops, 2 * 36 * 384);
  EXPECT_EQ(s.layers[3].name, "0.relu");
  EXPECT_EQ(s.layers[3].calls, 2);
  EXPECT_EQ(s.layers[3].flops, 2 * 384);
  EXPECT_EQ(s.layers[6].flops, (2 * 4 + 4) * 384);  // downsample: conv + bn
  EXPECT_EQ(s.layers[0].flops, (2 * 36 + 2 * 72 + 2 * 4 + 3 * 4 + 2 + 1) * 384);
  // Then global average pooling (one per input element) and the Linear.
  EXPECT_EQ(s.flops, s.layers[0].flops + 384 + 2 * 8 * 3 * 3);
  // Buffers: running_mean and running_var (8 floats each) and num_batches_tracked (int64) for 3 batch norms.
  EXPECT_EQ(s.buffer_bytes, 3 * (8 * 4 * 2 + 8));
}

TEST(Summary, GPTBlockIsTracedThroughHooks) {
  manual_seed(2);
  auto m = std::make_shared<nn::GPTBlock>(8, 2, 32);
  diag::ModelSummary s = diag::summarize(*m, {2, 5, 8});
  // Rows: ln_1, attn, attn.c_attn, attn.c_proj, ln_2, mlp, mlp.c_fc, mlp.c_proj, mlp.dropout.
  ASSERT_EQ(s.layers.size(), 9u);
  EXPECT_EQ(s.layers[2].name, "attn.c_attn");
  EXPECT_EQ(s.layers[2].depth, 1);
  EXPECT_EQ(s.layers[2].output_shape, Shape({2, 5, 24}));
  EXPECT_EQ(s.layers[6].output_shape, Shape({2, 5, 32}));
  for (const auto& l : s.layers) EXPECT_TRUE(l.traced) << l.name;
  // N=2, T=5, d=8, 2 heads, 10 tokens. LayerNorm 7 per element; c_attn 2*8*24 per token, c_proj 2*8*8; the
  // attention core: q k^T and a v 2*N*T*T*d each, softmax 3 per score (N*H*T*T); the MLP's GEMMs 2*8*32 per
  // token each and its GELU 32 per token; two residual adds.
  const int64_t ln = 7 * 80, attn = 2 * 8 * 24 * 10 + 2 * 8 * 8 * 10 + 2 * (2 * 2 * 25 * 8) + 3 * 2 * 2 * 25;
  EXPECT_EQ(s.layers[0].flops, ln);
  EXPECT_EQ(s.layers[1].flops, attn);
  EXPECT_EQ(s.layers[5].flops, 2 * (2 * 8 * 32 * 10) + 320);
  EXPECT_EQ(s.flops, 2 * ln + attn + 2 * (2 * 8 * 32 * 10) + 320 + 2 * 80);
  EXPECT_TRUE(s.uncounted_types.empty());
}

TEST(Summary, RecurrentFlopsFromParameterShapes) {
  manual_seed(3);
  auto m = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::LSTM>(4, 6, nn::RNNOptions{.num_layers = 2, .batch_first = true}),
      std::make_shared<nn::Linear>(6, 3)});
  diag::ModelSummary s = diag::summarize(*m, {2, 5, 4});
  EXPECT_EQ(s.layers[0].output_shape, Shape({2, 5, 6}));
  // Per time step and batch row: layer 0 gates 2 * 24 * (4 + 6) + 9 * 6, layer 1 2 * 24 * (6 + 6) + 9 * 6;
  // T * B = 10.
  EXPECT_EQ(s.layers[0].flops, 10 * (2 * 24 * 10 + 54 + 2 * 24 * 12 + 54));
  EXPECT_EQ(s.flops, s.layers[0].flops + 2 * 6 * 30);
  // A GRU counts 3 gates and kGRUFlopsPerUnit.
  auto g = std::make_shared<nn::GRU>(4, 6);
  EXPECT_EQ(diag::summarize(*g, {5, 2, 4}).flops, 10 * (2 * 18 * 10 + diag::kGRUFlopsPerUnit * 6));
}

namespace {

// A leaf with no FLOPs counter.
class Doubler : public nn::Module {
 public:
  std::string type_name() const override { return "Doubler"; }
  Tensor forward(const Tensor& x) override { return x * 2.0; }
};

class Tripler : public nn::Module {
 public:
  std::string type_name() const override { return "Tripler"; }
  Tensor forward(const Tensor& x) override { return x * 3.0; }
};

}  // namespace

TEST(Summary, UnknownLayersAreNamedAndCountersCanBeAdded) {
  auto m = std::make_shared<nn::Sequential>(
      std::initializer_list<nn::ModulePtr>{std::make_shared<nn::Linear>(4, 4), std::make_shared<Doubler>(),
                                           std::make_shared<Tripler>(), std::make_shared<Doubler>()});
  diag::register_flops_counter([](const nn::Module& mod) { return dynamic_cast<const Tripler*>(&mod) != nullptr; },
                               [](const nn::Module&, const Tensor&, const Tensor& y) { return y.numel(); });
  diag::ModelSummary s = diag::summarize(*m, {3, 4});
  EXPECT_EQ(s.uncounted_types, std::vector<std::string>{"Doubler"});
  EXPECT_EQ(s.layers[1].flops, 0);
  EXPECT_EQ(s.layers[2].flops, 12);
  EXPECT_EQ(s.flops, 2 * 4 * 12 + 12);
  EXPECT_NE(s.to_string().find("FLOPs not counted for: Doubler\n"), std::string::npos) << s.to_string();
}

TEST(Summary, BadInputShapeNamesIt) {
  auto m = lenet();
  try {
    diag::summarize(*m, {1, 3, 28, 28});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(1, 3, 28, 28)"), std::string::npos) << e.what();
  }
  for (const auto& [name, mod] : m->named_modules()) EXPECT_FALSE(mod->has_hooks()) << name;
}

TEST(Summary, Formatting) {
  EXPECT_EQ(diag::format_count(0), "0");
  EXPECT_EQ(diag::format_count(999), "999");
  EXPECT_EQ(diag::format_count(1000), "1,000");
  EXPECT_EQ(diag::format_count(-1234567), "-1,234,567");
  EXPECT_EQ(diag::format_bytes(512), "512 B");
  EXPECT_EQ(diag::format_bytes(246824), "241.04 KiB");
  EXPECT_EQ(diag::format_flops(1666080), "1.67 MFLOPs");
  EXPECT_EQ(diag::format_flops(12), "12 FLOPs");
}

// ---- layer types counted since the tradeoff work, each against a hand count ----

TEST(Summary, GenerativeAndShapeLayerFlops) {
  manual_seed(4);
  // ConvTranspose2d(2 -> 3, k3, stride 2) on (1, 2, 4, 4): every input element scatters 3 * 9 MACs.
  auto ct = std::make_shared<nn::ConvTranspose2d>(2, 3, 3, 2);
  EXPECT_EQ(diag::summarize(*ct, {1, 2, 4, 4}).flops, 2 * 3 * 9 * 32);
  // Bilinear x2 on (1, 2, 3, 3): 72 outputs, 7 each; nearest copies.
  nn::UpsampleOptions uo;
  uo.scale_factor = std::array<double, 2>{2, 2};
  uo.mode = "bilinear";
  auto bi = std::make_shared<nn::Upsample>(uo);
  EXPECT_EQ(diag::summarize(*bi, {1, 2, 3, 3}).flops, 7 * 72);
  uo.mode = "nearest";
  auto ne = std::make_shared<nn::Upsample>(uo);
  diag::ModelSummary sn = diag::summarize(*ne, {1, 2, 3, 3});
  EXPECT_EQ(sn.flops, 0);
  EXPECT_TRUE(sn.uncounted_types.empty());
  // MinibatchStdDev on (4, 3): 4 per input element.
  auto mb = std::make_shared<nn::MinibatchStdDev>();
  EXPECT_EQ(diag::summarize(*mb, {4, 3}).flops, 4 * 12);
  // Unflatten and Embedding do no arithmetic, but are counted (not listed as uncounted).
  auto m = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Linear>(6, 12), std::make_shared<nn::Unflatten>(1, std::vector<int64_t>{3, 4})});
  diag::ModelSummary su = diag::summarize(*m, {2, 6});
  EXPECT_EQ(su.flops, 2 * 6 * 24);
  EXPECT_TRUE(su.uncounted_types.empty());
  auto emb = std::make_shared<nn::Embedding>(10, 4);
  diag::ModelSummary se = diag::summarize(*emb, {2, 5}, kInt64);
  EXPECT_EQ(se.flops, 0);
  EXPECT_EQ(se.output_shape, Shape({2, 5, 4}));
  EXPECT_TRUE(se.uncounted_types.empty());
}

TEST(Summary, SequenceWrapperAndEncoderFlops) {
  manual_seed(5);
  // GRUSequence(4 -> 6) on (N=2, T=5, 4): as a GRU, 10 (step, row) pairs.
  auto g = std::make_shared<nn::GRUSequence>(4, 6);
  diag::ModelSummary sg = diag::summarize(*g, {2, 5, 4});
  EXPECT_EQ(sg.output_shape, Shape({2, 6}));
  EXPECT_EQ(sg.flops, 10 * (2 * 18 * 10 + diag::kGRUFlopsPerUnit * 6));
  auto l = std::make_shared<nn::LSTMSequence>(4, 6, nn::RNNOptions{}, /*return_sequences=*/true);
  EXPECT_EQ(diag::summarize(*l, {2, 5, 4}).flops, 10 * (2 * 24 * 10 + diag::kLSTMFlopsPerUnit * 6));
  // A 2-layer TransformerEncoder (d 8, 2 heads, ff 16) on (N=2, L=5, 8): its layers run past their hooks, so the
  // encoder's own row holds, per layer: q/k/v projection 2*N*L*8*24 = 3840, q k^T and a v 2*(2*N*L*L*8) = 1600,
  // softmax 3*N*H*L*L = 300, the ReLU 10 tokens * 16 = 160, two residual adds 2 * 80 = 160.
  auto enc = std::make_shared<nn::TransformerEncoder>(
      nn::TransformerLayerOptions{.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0, .batch_first = true},
      2);
  diag::ModelSummary st = diag::summarize(*enc, {2, 5, 8});
  ASSERT_EQ(st.layers[0].name, "layers");
  EXPECT_EQ(st.flops - st.layers[0].flops, 2 * (3840 + 1600 + 300 + 160 + 160));
  EXPECT_TRUE(st.uncounted_types.empty());
}

// Linear(4, 8) -> ReLU -> Linear(8, 3) on a batch of 2: outputs a (2, 8), b (2, 8), c (2, 3). Training keeps all
// three (38 floats); inference holds at most two neighbours at once: max(a + b, b + c) = 32 floats.
TEST(Summary, TrainingAndInferenceActivationMemory) {
  manual_seed(6);
  auto m = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Linear>(4, 8), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(8, 3)});
  diag::ModelSummary s = diag::summarize(*m, {2, 4});
  EXPECT_EQ(s.activation_bytes, 38 * 4);
  EXPECT_EQ(s.inference_activation_bytes, 32 * 4);
  EXPECT_NE(s.to_string().find("Activation memory for inference"), std::string::npos);
  // One layer: nothing to free early, the two agree.
  auto one = std::make_shared<nn::Linear>(4, 8);
  diag::ModelSummary s1 = diag::summarize(*one, {2, 4});
  EXPECT_EQ(s1.inference_activation_bytes, s1.activation_bytes);
  EXPECT_EQ(s1.activation_bytes, 16 * 4);
  // LeNet: the inference peak is the largest pair of neighbouring outputs, conv1's and its ReLU's.
  diag::ModelSummary sl = diag::summarize(*lenet(), {1, 1, 28, 28});
  EXPECT_EQ(sl.inference_activation_bytes, 2 * 4704 * 4);
  EXPECT_LT(sl.inference_activation_bytes, sl.activation_bytes);
}

TEST(Summary, LatencyIsMeasuredPerLayerAndLeavesNoTrace) {
  manual_seed(7);
  auto m = lenet();
  diag::ModelSummary s =
      diag::summarize(*m, {1, 1, 28, 28}, diag::SummaryOptions{.latency = true, .latency_repeats = 1});
  EXPECT_TRUE(s.latency);
  EXPECT_GE(s.forward_ms, 0);
  EXPECT_GE(s.backward_ms, 0);
  for (const auto& l : s.layers) {
    EXPECT_GE(l.forward_ms, 0) << l.name;
    EXPECT_GE(l.backward_ms, 0) << l.name;  // every output needs a gradient (the input is made to need one)
  }
  EXPECT_NE(s.to_string().find("Bwd ms"), std::string::npos);
  for (const auto& [name, mod] : m->named_modules()) EXPECT_FALSE(mod->has_hooks()) << name;
  for (const Tensor& p : m->parameters()) EXPECT_FALSE(p.grad().defined());
  EXPECT_TRUE(m->is_training());
  // Without --latency nothing is timed and the columns stay out.
  diag::ModelSummary f = diag::summarize(*m, {1, 1, 28, 28});
  EXPECT_FALSE(f.latency);
  EXPECT_EQ(f.layers[0].forward_ms, -1);
  EXPECT_EQ(f.to_string().find("Fwd ms"), std::string::npos);
}
