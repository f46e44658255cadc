// Conv2d, ConvTranspose2d and ResNet's BasicBlock for the model builder.
#include "strata/core/error.h"
#include "strata/nn/conv.h"
#include "strata/nn/resnet.h"
#include "tools/layers/layers.h"

namespace strata::tools::layers {

void register_conv_layers() {
  add_builtin({"Conv2d",
               {"type", "in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
                "init"},
               {{"in_channels", infer::chw_channels}},
               [](const LayerArgs& a) -> nn::ModulePtr {
                 nn::Conv2dPadding padding(0);
                 if (const io::Json* p = a.json().find("padding")) {
                   if (p->is_string()) {
                     const std::string& m = p->as_string();
                     STRATA_CHECK(m == "same" || m == "valid", p->where(),
                                  ": expected \"same\", \"valid\" or a size, got \"", m, "\"");
                     padding = nn::Conv2dPadding(m);
                   } else {
                     nn::Ints2 pi = LayerArgs::ints2_of(*p, 0);
                     padding = nn::Conv2dPadding(pi.h, pi.w);
                   }
                 }
                 return std::make_shared<nn::Conv2d>(
                     a.size("in_channels"), a.size("out_channels", "the number of filters"), a.ints2("kernel_size", 1),
                     a.ints2_or("stride", 1, 1), padding, a.ints2_or("dilation", 1, 1),
                     a.int_or("groups", 1, 1, INT64_MAX), a.bool_or("bias", true));
               }});
  add_builtin({"ConvTranspose2d",
               {"type", "in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups",
                "bias", "dilation", "init"},
               {{"in_channels", infer::chw_channels}},
               [](const LayerArgs& a) -> nn::ModulePtr {
                 return std::make_shared<nn::ConvTranspose2d>(
                     a.size("in_channels"), a.size("out_channels", "the number of filters"), a.ints2("kernel_size", 1),
                     a.ints2_or("stride", 1, 1), a.ints2_or("padding", 0, 0), a.ints2_or("output_padding", 0, 0),
                     a.int_or("groups", 1, 1, INT64_MAX), a.bool_or("bias", true), a.ints2_or("dilation", 1, 1));
               }});
  add_builtin({"BasicBlock",
               {"type", "in_planes", "planes", "stride", "init", "shortcut"},
               {{"in_planes", infer::chw_channels}},
               [](const LayerArgs& a) -> nn::ModulePtr {
                 return std::make_shared<nn::BasicBlock>(
                     a.size("in_planes"), a.size("planes", "the block's output channels"),
                     a.int_or("stride", 1, 1, INT64_MAX), kFloat32, nullptr, a.bool_or("shortcut", true));
               }});
}

}  // namespace strata::tools::layers
