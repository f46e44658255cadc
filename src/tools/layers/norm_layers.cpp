// BatchNorm1d, BatchNorm2d and LayerNorm for the model builder.
#include <optional>

#include "strata/nn/normalization.h"
#include "tools/layers/layers.h"

namespace strata::tools::layers {

namespace {

// num_features of BatchNorm1d: F of an (F) input, else C of a (C, L) one.
std::optional<int64_t> bn1d_features(const std::vector<int64_t>& in) {
  if (in.size() == 1 || in.size() == 2) return in[0];
  return std::nullopt;
}

template <class BN>
nn::ModulePtr batch_norm(const LayerArgs& a) {
  const int64_t n = a.size("num_features");
  const double eps = a.double_or("eps", 1e-5, 0.0, 1.0);
  std::optional<double> momentum = 0.1;
  if (const io::Json* m = a.json().find("momentum")) {
    if (m->is_null()) {
      momentum = std::nullopt;
    } else {
      momentum = a.double_or("momentum", 0.1, 0.0, 1.0);
    }
  }
  return std::make_shared<BN>(n, eps, momentum, a.bool_or("affine", true), a.bool_or("track_running_stats", true));
}

}  // namespace

void register_norm_layers() {
  const std::vector<std::string> bn_keys = {"type", "num_features", "eps", "momentum", "affine", "track_running_stats"};
  add_builtin({"BatchNorm1d", bn_keys, {{"num_features", bn1d_features}}, batch_norm<nn::BatchNorm1d>});
  add_builtin({"BatchNorm2d", bn_keys, {{"num_features", infer::chw_channels}}, batch_norm<nn::BatchNorm2d>});
  add_builtin({"LayerNorm",
               {"type", "normalized_shape", "eps", "elementwise_affine"},
               {{"normalized_shape", infer::last_dim}},
               [](const LayerArgs& a) -> nn::ModulePtr {
                 std::vector<int64_t> shape;
                 if (a.json().contains("normalized_shape")) {
                   shape = a.sizes("normalized_shape");
                 } else {
                   shape.push_back(a.size("normalized_shape"));
                 }
                 return std::make_shared<nn::LayerNorm>(shape, a.double_or("eps", 1e-5, 0.0, 1.0),
                                                        a.bool_or("elementwise_affine", true));
               }});
}

}  // namespace strata::tools::layers
