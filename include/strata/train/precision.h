#pragma once
// The precision a model trains in: FP32 (plain float32), BF16 or FP16 (mixed precision: the forward and the loss
// run under AutocastGuard with that dtype, parameters and optimizer state stay float32). FP16 needs loss scaling
// (train::GradScaler, grad_scaler.h) because its range stops at 65504 above and 2^-24 below; BF16 has float32's
// range and trains without it, as in PyTorch.
#include <string>

#include "strata/core/dtype.h"

namespace strata::train {

enum class Precision { FP32, BF16, FP16 };

// "fp32", "bf16", "fp16". An unknown value is a strata::Error naming `key` (the option or config key it came
// from) and the allowed values.
Precision parse_precision(const std::string& text, const std::string& key = "precision");
const char* precision_name(Precision p);
// The autocast dtype of BF16 (kBFloat16) and FP16 (kFloat16); an error for FP32.
DType autocast_dtype(Precision p);

}  // namespace strata::train
