// MaxPool2d, AvgPool2d and AdaptiveAvgPool2d for the model builder.
#include "strata/nn/conv.h"
#include "tools/layers/layers.h"

namespace strata::tools::layers {

void register_pooling_layers() {
  add_builtin({"MaxPool2d",
               {"type", "kernel_size", "stride", "padding", "dilation", "ceil_mode"},
               {},
               [](const LayerArgs& a) -> nn::ModulePtr {
                 return std::make_shared<nn::MaxPool2d>(a.ints2("kernel_size", 1), a.ints2_or("stride", 0, 1),
                                                        a.ints2_or("padding", 0, 0), a.ints2_or("dilation", 1, 1),
                                                        a.bool_or("ceil_mode", false));
               }});
  add_builtin({"AvgPool2d",
               {"type", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"},
               {},
               [](const LayerArgs& a) -> nn::ModulePtr {
                 return std::make_shared<nn::AvgPool2d>(a.ints2("kernel_size", 1), a.ints2_or("stride", 0, 1),
                                                        a.ints2_or("padding", 0, 0), a.bool_or("ceil_mode", false),
                                                        a.bool_or("count_include_pad", true));
               }});
  add_builtin({"AdaptiveAvgPool2d", {"type", "output_size"}, {}, [](const LayerArgs& a) -> nn::ModulePtr {
                 return std::make_shared<nn::AdaptiveAvgPool2d>(a.ints2_or("output_size", 1, 1));
               }});
}

}  // namespace strata::tools::layers
