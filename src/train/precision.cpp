// Precision names for options and configs.
#include "strata/train/precision.h"

#include "strata/core/error.h"

namespace strata::train {

Precision parse_precision(const std::string& text, const std::string& key) {
  if (text == "fp32") return Precision::FP32;
  if (text == "bf16") return Precision::BF16;
  if (text == "fp16") return Precision::FP16;
  STRATA_FAIL("[", key, "] unknown precision \"", text, "\" (expected \"fp32\", \"bf16\" or \"fp16\")");
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::FP32: return "fp32";
    case Precision::BF16: return "bf16";
    case Precision::FP16: return "fp16";
  }
  return "fp32";
}

DType autocast_dtype(Precision p) {
  STRATA_CHECK(p != Precision::FP32, "[autocast_dtype] fp32 has no autocast dtype");
  return p == Precision::BF16 ? kBFloat16 : kFloat16;
}

}  // namespace strata::train
