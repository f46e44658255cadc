// Flatten, Unflatten and the nested Sequential for the model builder.
#include "strata/nn/linear.h"
#include "tools/layers/layers.h"

namespace strata::tools::layers {

void register_shape_layers() {
  add_builtin({"Flatten", {"type", "start_dim", "end_dim"}, {}, [](const LayerArgs& a) -> nn::ModulePtr {
                 return std::make_shared<nn::Flatten>(a.int_or("start_dim", 1, -64, 64),
                                                      a.int_or("end_dim", -1, -64, 64));
               }});
  // {"type": "Unflatten", "dim": 1, "unflattened_size": [32, 7, 7]}: (N, 1568) -> (N, 32, 7, 7).
  add_builtin({"Unflatten", {"type", "dim", "unflattened_size"}, {}, [](const LayerArgs& a) -> nn::ModulePtr {
                 return std::make_shared<nn::Unflatten>(a.int_or("dim", 1, -64, 64),
                                                        a.sizes("unflattened_size", /*allow_minus_one=*/true));
               }});
  // Its layers plan their own "init" (the Sequential's, unless they give one).
  LayerEntry seq{"Sequential", {"type", "layers", "init"}, {}, [](const LayerArgs& a) -> nn::ModulePtr {
                   std::vector<int64_t> shape = a.in_shape();
                   return a.build_nested(a.json().at("layers"), shape);
                 }};
  seq.container = true;
  add_builtin(std::move(seq));
}

}  // namespace strata::tools::layers
