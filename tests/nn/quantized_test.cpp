// Quantized layers against their float versions, the quantize_dynamic / quantize_static passes, the stored
// entries and the errors.
//
// Error bound: an int8 layer adds two rounding noises, each uniform with std step / sqrt(12): activations,
// step = range / 255 (about 6-7 std for these inputs: ~0.8% of the signal's std), and weights, step =
// max|w| / 127 per row (~0.8%). Together ~1.2% relative rms error on the output of one layer; the tests allow 3%
// for one layer, 5% for recurrent layers (the hidden state is requantized at every step and the errors add).
#include "strata/nn/quantized.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "strata/autograd/grad_mode.h"
#include "strata/io/quantized.h"
#include "strata/nn/activation.h"
#include "strata/nn/containers.h"
#include "strata/nn/transfer.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "test_util.h"

namespace strata::nn {
namespace {

using strata::testing::error_of;

// ||a - b|| / ||b|| over all elements.
double rel_error(const Tensor& a, const Tensor& b) {
  Tensor x = a.contiguous(), y = b.contiguous();
  EXPECT_EQ(x.shape(), y.shape());
  double num = 0, den = 0;
  const float* p = x.data_ptr<float>();
  const float* q = y.data_ptr<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    num += (p[i] - q[i]) * static_cast<double>(p[i] - q[i]);
    den += q[i] * static_cast<double>(q[i]);
  }
  return std::sqrt(num / den);
}

bool equal(const Tensor& a, const Tensor& b) {
  Tensor x = a.contiguous(), y = b.contiguous();
  if (x.shape() != y.shape()) return false;
  return std::equal(x.data_ptr<float>(), x.data_ptr<float>() + x.numel(), y.data_ptr<float>());
}

TEST(Quantized, LinearDynamicIsCloseToFloat) {
  manual_seed(1);
  Linear lin(64, 32);
  QuantizedLinear q(lin, QuantMode::Dynamic);
  NoGradGuard ng;
  Tensor x = randn({3, 16, 64});  // leading dims are kept
  Tensor y = lin(x), yq = q(x);
  EXPECT_EQ(yq.shape(), (Shape{3, 16, 32}));
  const double e = rel_error(yq, y);
  EXPECT_LT(e, 0.03);
  EXPECT_GT(e, 1e-5);  // it is quantized: not the float result
  // The int8 weight stands for the float one within half a step per element.
  Tensor wd = q.weight().dequantize();
  const float* a = wd.data_ptr<float>();
  Tensor wf = lin.weight.contiguous();
  const float* b = wf.data_ptr<float>();
  for (int64_t i = 0; i < wd.numel(); ++i) {
    ASSERT_LE(std::fabs(a[i] - b[i]), 0.5f * q.weight().scale[static_cast<size_t>(i / 64)] * 1.0001f) << i;
  }
}

TEST(Quantized, LinearStaticUsesFixedParameters) {
  manual_seed(2);
  Linear lin(20, 7, /*has_bias=*/false);
  QuantizedLinear q(lin, QuantMode::Static, {8.0f / 255, 128});  // range about [-4, 4]
  NoGradGuard ng;
  Tensor x = randn({10, 20});
  EXPECT_LT(rel_error(q(x), lin(x)), 0.03);
  // Inputs far outside the calibrated range are clamped: the static layer no longer follows the float one.
  Tensor big = mul(x, 50.0);
  EXPECT_GT(rel_error(q(big), lin(big)), 0.3);
  EXPECT_EQ(q.input_qparams().zero_point, 128);
}

TEST(Quantized, Conv2dIsCloseToFloat) {
  manual_seed(3);
  struct Geometry {
    Ints2 stride;
    Conv2dPadding padding;
    Ints2 dilation;
  };
  const Geometry cases[] = {{1, 0, 1}, {2, 1, 1}, {1, "same", 1}, {1, {2, 1}, 2}};
  for (const Geometry& g : cases) {
    Conv2d conv(3, 8, {3, 4}, g.stride, g.padding, g.dilation);
    Tensor x = randn({2, 3, 9, 11});
    for (QuantMode mode : {QuantMode::Dynamic, QuantMode::Static}) {
      QuantizedConv2d q(conv, mode, {9.0f / 255, 127});
      NoGradGuard ng;
      Tensor y = conv(x), yq = q(x);
      ASSERT_EQ(yq.shape(), y.shape());
      EXPECT_LT(rel_error(yq, y), 0.03) << conv.extra_repr() << " " << quant_mode_name(mode);
    }
  }
  Conv2d grouped(4, 4, 3, 1, 0, 1, /*groups=*/2);
  EXPECT_HAS(error_of([&] { QuantizedConv2d q(grouped, QuantMode::Static); }), "groups=2");
}

TEST(Quantized, LstmAndGruAreCloseToFloat) {
  manual_seed(4);
  for (bool lstm : {true, false}) {
    RNNOptions o{.num_layers = 2, .batch_first = true, .bidirectional = true};
    std::shared_ptr<RNNBase> rnn;
    if (lstm) {
      rnn = std::make_shared<LSTM>(12, 16, o);
    } else {
      rnn = std::make_shared<GRU>(12, 16, o);
    }
    QuantizedRNN q(*rnn);
    EXPECT_EQ(q.type_name(), lstm ? "QuantizedLSTM" : "QuantizedGRU");
    NoGradGuard ng;
    Tensor x = randn({5, 7, 12});  // (B, T, I)
    Tensor h0 = mul(randn({4, 5, 16}), 0.5), c0 = mul(randn({4, 5, 16}), 0.5);
    if (lstm) {
      LSTMOutput f = std::static_pointer_cast<LSTM>(rnn)->forward(x, h0, c0);
      LSTMOutput g = q.forward(x, h0, c0);
      EXPECT_LT(rel_error(g.output, f.output), 0.05);
      EXPECT_LT(rel_error(g.h_n, f.h_n), 0.05);
      EXPECT_LT(rel_error(g.c_n, f.c_n), 0.05);
    } else {
      RNNOutput f = std::static_pointer_cast<GRU>(rnn)->forward(x, h0);
      LSTMOutput g = q.forward(x, h0, Tensor());
      EXPECT_LT(rel_error(g.output, f.output), 0.05);
      EXPECT_LT(rel_error(g.h_n, f.h_n), 0.05);
      EXPECT_FALSE(g.c_n.defined());
    }
    // Unbatched input (T, I) and zero initial states through forward(x).
    Tensor u = randn({6, 12});
    EXPECT_LT(rel_error(q(u), (*rnn)(u)), 0.05);
  }
  RNN plain(3, 4);
  EXPECT_HAS(error_of([&] { QuantizedRNN q(plain); }), "only LSTM and GRU");
}

TEST(Quantized, DynamicPassReplacesLinearAndRecurrentLayers) {
  manual_seed(5);
  auto model = std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
      std::make_shared<Linear>(10, 20), std::make_shared<ReLU>(), std::make_shared<Linear>(20, 4)});
  NoGradGuard ng;
  Tensor x = randn({8, 10});
  Tensor y = (*model)(x);
  QuantizeReport r = quantize_dynamic(*model);
  ASSERT_EQ(r.quantized.size(), 2u);
  EXPECT_EQ(r.quantized[0].first, "0");
  EXPECT_EQ(r.quantized[1].second, "QuantizedLinear (dynamic)");
  EXPECT_EQ(model->num_parameters(), 0);  // nothing left to train
  EXPECT_EQ(model->child("2")->type_name(), "QuantizedLinear");
  EXPECT_LT(rel_error((*model)(x), y), 0.05);
  EXPECT_TRUE(quantize_dynamic(*model).quantized.empty());  // idempotent
  // The model itself is not replaced: it is reported.
  Linear bare(3, 3);
  EXPECT_EQ(quantize_dynamic(bare).skipped.size(), 1u);
}

TEST(Quantized, StaticPassCalibratesConvAndLinear) {
  manual_seed(6);
  auto model = std::make_shared<Sequential>(
      std::initializer_list<ModulePtr>{std::make_shared<Conv2d>(1, 4, 3, 1, 1), std::make_shared<ReLU>(),
                                       std::make_shared<Flatten>(), std::make_shared<Linear>(4 * 6 * 6, 5)});
  std::vector<Tensor> calib = {randn({4, 1, 6, 6}), randn({4, 1, 6, 6})};
  Tensor x = randn({3, 1, 6, 6});
  Tensor y;
  {
    NoGradGuard ng;
    y = (*model)(x);
  }
  QuantizeReport r = quantize_static(*model, calib);
  ASSERT_EQ(r.quantized.size(), 2u) << r.to_string();
  EXPECT_EQ(r.quantized[0].second, "QuantizedConv2d (static)");
  auto conv = std::dynamic_pointer_cast<QuantizedConv2d>(model->child("0"));
  ASSERT_TRUE(conv);
  EXPECT_GT(conv->input_qparams().zero_point, 0);                      // randn input: a negative range was observed
  EXPECT_FALSE(model->has_hooks() || model->child("3")->has_hooks());  // the observers are gone
  NoGradGuard ng;
  EXPECT_LT(rel_error((*model)(x), y), 0.05);
  EXPECT_HAS(error_of([&] { quantize_static(*model, {}); }), "no calibration batches");
}

TEST(Quantized, EntriesRoundTripGiveIdenticalOutputs) {
  manual_seed(7);
  Linear a(9, 6), b(9, 6);
  QuantizedLinear qa(a, QuantMode::Static, {0.03f, 100}), qb(b, QuantMode::Static);
  qb.load_entries(qa.entries(), "test");
  NoGradGuard ng;
  Tensor x = randn({4, 9});
  EXPECT_TRUE(equal(qb(x), qa(x)));
  EXPECT_EQ(qb.input_qparams().zero_point, 100);
  EXPECT_EQ(qa.stored_bytes(), 9 * 6 + 6 * 4 + 6 * 4 + 4 + 8);  // int8 weight, scales, bias, input scale + zp

  GRU g1(5, 3), g2(5, 3);
  QuantizedRNN r1(g1), r2(g2);
  r2.load_entries(r1.entries(), "test");
  Tensor s = randn({4, 2, 5});
  EXPECT_TRUE(equal(r2(s), r1(s)));

  Linear other(8, 6);
  QuantizedLinear qo(other, QuantMode::Dynamic);
  EXPECT_HAS(error_of([&] { qo.load_entries(qa.entries(), "model.int8.safetensors: layer \"3\""); }),
             "layer \"3\": int8 entry \"weight\" has shape (6, 9), the layer needs (6, 8)");
  QuantizedEntries missing = qa.entries();
  missing.floats = StateDict();
  EXPECT_HAS(error_of([&] { qb.load_entries(missing, "f"); }), "weight_scale");
}

TEST(Quantized, InferenceOnly) {
  Linear lin(4, 2);
  QuantizedLinear q(lin, QuantMode::Dynamic);
  Tensor x = randn({2, 4}).requires_grad_();
  EXPECT_HAS(error_of([&] { q(x); }), "inference-only");
  EXPECT_TRUE(q.parameters().empty());
  Tensor nan = full({1, 4}, NAN);
  NoGradGuard ng;
  EXPECT_HAS(error_of([&] { q(nan); }), "nan or inf");
  EXPECT_HAS(error_of([&] { q(randn({2, 5})); }), "expected input (..., 4)");
}

// A model with every kind of quantized layer, saved and rebuilt from a fresh float model of the same shape.
TEST(Quantized, SaveLoadRoundTripIsIdentical) {
  manual_seed(8);
  auto build = [] {
    return std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
        std::make_shared<Conv2d>(1, 3, 3, 1, 1), std::make_shared<ReLU>(), std::make_shared<Flatten>(),
        std::make_shared<Linear>(3 * 5 * 5, 6), std::make_shared<ReLU>(), std::make_shared<Linear>(6, 2)});
  };
  auto model = build();
  quantize_static(*model, {randn({4, 1, 5, 5})});
  // One layer dynamic, one left float (its weights go to the file as F32).
  replace_module(*model, "5", std::make_shared<QuantizedLinear>(*std::make_shared<Linear>(6, 2), QuantMode::Dynamic));
  const std::string dir = ::testing::TempDir() + "quant_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/model.int8.safetensors";
  io::save_quantized(path, *model, {{"note", "test"}});
  EXPECT_TRUE(io::is_quantized_file(path));

  auto fresh = build();  // other random weights: everything must come from the file
  io::load_quantized(path, *fresh);
  EXPECT_EQ(fresh->child("0")->type_name(), "QuantizedConv2d");
  EXPECT_EQ(std::dynamic_pointer_cast<QuantizedModule>(fresh->child("5"))->mode(), QuantMode::Dynamic);
  NoGradGuard ng;
  Tensor x = randn({3, 1, 5, 5});
  EXPECT_TRUE(equal((*fresh)(x), (*model)(x)));

  // The int8 weights are I8 entries of the file.
  io::SafetensorsFile f = io::load_safetensors(path, /*read_raw=*/true);
  ASSERT_EQ(f.raw.size(), 3u);
  EXPECT_EQ(f.raw[0].first, "0.weight");
  EXPECT_EQ(f.raw[0].second.dtype, "I8");
  EXPECT_EQ(f.raw[0].second.bytes.size(), 3u * 9u);
  EXPECT_EQ(f.metadata.at("note"), "test");
  // Without read_raw, I8 stays unsupported as before.
  EXPECT_HAS(error_of([&] { io::load_safetensors(path); }), "dtype I8 is not supported");

  // A float model of another shape, and a plain weights file, are errors naming what was wrong.
  auto other = std::make_shared<Sequential>(std::initializer_list<ModulePtr>{std::make_shared<Linear>(2, 2)});
  EXPECT_HAS(error_of([&] { io::load_quantized(path, *other); }), "has no layer");
  const std::string plain = dir + "/model.safetensors";
  io::save_safetensors(plain, build()->state_dict());
  EXPECT_FALSE(io::is_quantized_file(plain));
  EXPECT_HAS(error_of([&] { io::load_quantized(plain, *build()); }), "not a quantized model");
  EXPECT_HAS(error_of([&] { io::save_quantized(plain, *build()); }), "no quantized layers");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace strata::nn
