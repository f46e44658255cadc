// Linear and Dropout for the model builder.
#include "strata/core/error.h"
#include "strata/nn/linear.h"
#include "strata/nn/normalization.h"
#include "tools/layers/layers.h"

namespace strata::tools::layers {

void register_dense_layers() {
  add_builtin({"Linear",
               {"type", "in_features", "out_features", "bias", "init"},
               {{"in_features", infer::last_dim}},
               [](const LayerArgs& a) -> nn::ModulePtr {
                 return std::make_shared<nn::Linear>(
                     a.size("in_features"), a.size("out_features", "the layer's output size"), a.bool_or("bias", true));
               }});
  add_builtin({"Dropout", {"type", "p"}, {}, [](const LayerArgs& a) -> nn::ModulePtr {
                 const io::Json* p = a.json().find("p");
                 if (p) {
                   double v = p->as_double();
                   STRATA_CHECK(v >= 0.0 && v < 1.0, p->where(), ": expected a probability in [0, 1), got ", v);
                 }
                 return std::make_shared<nn::Dropout>(p ? p->as_double() : 0.5);
               }});
}

}  // namespace strata::tools::layers
