#pragma once
// The built-in layer families of the model builder, one registration function per file of this folder; all are
// called once, from register_builtin_layers (src/tools/layer_registry.cpp).
#include "strata/tools/layer_registry.h"

namespace strata::tools::layers {

// LayerRegistry::add for the built-ins (called during the one-time registration, which add() itself triggers).
void add_builtin(LayerEntry entry);

void register_dense_layers();       // Linear, Dropout
void register_conv_layers();        // Conv2d, ConvTranspose2d, BasicBlock
void register_pooling_layers();     // MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
void register_norm_layers();        // BatchNorm1d, BatchNorm2d, LayerNorm
void register_activation_layers();  // ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Softmax, LogSoftmax
void register_shape_layers();       // Flatten, Unflatten, Sequential
void register_recurrent_layers();   // RNN, LSTM, GRU
void register_generative_layers();  // Upsample, MinibatchStdDev

}  // namespace strata::tools::layers
