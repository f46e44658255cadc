// ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Softmax and LogSoftmax for the model builder.
#include "strata/core/error.h"
#include "strata/nn/activation.h"
#include "tools/layers/layers.h"

namespace strata::tools::layers {

namespace {
template <class M>
nn::ModulePtr plain(const LayerArgs&) {
  return std::make_shared<M>();
}
}  // namespace

void register_activation_layers() {
  add_builtin({"ReLU", {"type"}, {}, plain<nn::ReLU>});
  add_builtin({"LeakyReLU", {"type", "negative_slope"}, {}, [](const LayerArgs& a) -> nn::ModulePtr {
                 return std::make_shared<nn::LeakyReLU>(a.double_or("negative_slope", 0.01, -1e9, 1e9));
               }});
  add_builtin({"Sigmoid", {"type"}, {}, plain<nn::Sigmoid>});
  add_builtin({"Tanh", {"type"}, {}, plain<nn::Tanh>});
  add_builtin({"GELU", {"type", "approximate"}, {}, [](const LayerArgs& a) -> nn::ModulePtr {
                 std::string m = a.json().get_or("approximate", "none");
                 STRATA_CHECK(m == "none" || m == "tanh", a.json().at("approximate").where(),
                              ": expected \"none\" or \"tanh\", got \"", m, "\"");
                 return std::make_shared<nn::GELU>(m);
               }});
  add_builtin({"Softmax", {"type", "dim"}, {}, [](const LayerArgs& a) -> nn::ModulePtr {
                 return std::make_shared<nn::Softmax>(a.int_or("dim", 1, -64, 64));
               }});
  add_builtin({"LogSoftmax", {"type", "dim"}, {}, [](const LayerArgs& a) -> nn::ModulePtr {
                 return std::make_shared<nn::LogSoftmax>(a.int_or("dim", 1, -64, 64));
               }});
}

}  // namespace strata::tools::layers
