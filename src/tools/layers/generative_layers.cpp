// Upsample and MinibatchStdDev (the generative models' layers) for the model builder.
#include "strata/core/error.h"
#include "strata/nn/conv.h"
#include "strata/nn/generative.h"
#include "tools/layers/layers.h"

namespace strata::tools::layers {

void register_generative_layers() {
  // {"type": "Upsample", "scale_factor": 2, "mode": "nearest"} or {"size": [14, 14], "mode": "bilinear", ...}.
  add_builtin({"Upsample",
               {"type", "size", "scale_factor", "mode", "align_corners"},
               {},
               [](const LayerArgs& a) -> nn::ModulePtr {
                 const io::Json& o = a.json();
                 STRATA_CHECK(o.contains("size") != o.contains("scale_factor"), o.where(),
                              ": give exactly one of \"size\" and \"scale_factor\"");
                 nn::UpsampleOptions opts;
                 if (o.contains("size")) {
                   opts.size = a.ints2("size", 1).size2();
                 } else {
                   const io::Json& f = o.at("scale_factor");
                   auto factor = [](const io::Json& v) {
                     const double d = v.as_double();
                     STRATA_CHECK(d > 0 && d <= 1e6, v.where(), ": expected a positive scale factor, got ", d);
                     return d;
                   };
                   if (f.is_array()) {
                     STRATA_CHECK(f.size() == 2, f.where(), ": expected one number or a list of two, got a list of ",
                                  f.size());
                     opts.scale_factor = std::array<double, 2>{factor(f.at(size_t{0})), factor(f.at(size_t{1}))};
                   } else {
                     opts.scale_factor = std::array<double, 2>{factor(f), factor(f)};
                   }
                 }
                 opts.mode = a.choice_or("mode", "nearest", {"nearest", "bilinear"});
                 opts.align_corners = a.bool_or("align_corners", false);
                 STRATA_CHECK(!opts.align_corners || opts.mode == "bilinear", o.at("align_corners").where(),
                              ": align_corners can only be set with mode \"bilinear\"");
                 return std::make_shared<nn::Upsample>(opts);
               }});
  add_builtin({"MinibatchStdDev", {"type", "eps"}, {}, [](const LayerArgs& a) -> nn::ModulePtr {
                 return std::make_shared<nn::MinibatchStdDev>(a.double_or("eps", 1e-8, 0.0, 1.0));
               }});
}

}  // namespace strata::tools::layers
