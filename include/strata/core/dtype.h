#pragma once
// Element types. float16 and bfloat16 are stored as 16 bits and computed in float32 (see compute_dtype).
#include <bit>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <type_traits>
#ifdef __F16C__
#include <immintrin.h>
#endif

#include "strata/core/error.h"

namespace strata {

enum class DType : uint8_t { Float32, Float64, Int64, Bool, Float16, BFloat16 };

inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kBool = DType::Bool;
inline constexpr DType kFloat16 = DType::Float16;
inline constexpr DType kBFloat16 = DType::BFloat16;

// IEEE 754 binary16, stored as bits. Conversions round to nearest even, overflow to inf and keep subnormals.
struct Half {
  uint16_t bits = 0;
  Half() = default;
#ifdef __F16C__
  explicit Half(float f) : bits(static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT))) {}
  explicit operator float() const { return _cvtsh_ss(bits); }
#else
  explicit Half(float f) : bits(from_float(f)) {}
  explicit operator float() const { return to_float(bits); }
#endif
  // The portable conversions (the inline ones use the CPU's F16C instructions when compiled for them).
  static uint16_t from_float(float f);
  static float to_float(uint16_t h);
};

// bfloat16: the top 16 bits of a float32, rounded to nearest even. Inline: the elementwise kernels convert
// every element they load and store.
struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  explicit BFloat16(float f) {
    const uint32_t x = std::bit_cast<uint32_t>(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) {  // nan stays a quiet nan
      bits = static_cast<uint16_t>((x >> 16) | 0x40u);
    } else {
      bits = static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
    }
  }
  explicit operator float() const { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }
};

constexpr size_t itemsize(DType t) {
  switch (t) {
    case DType::Float32: return 4;
    case DType::Float64:
    case DType::Int64: return 8;
    case DType::Bool: return 1;
    case DType::Float16:
    case DType::BFloat16: return 2;
  }
  return 0;
}

const char* dtype_name(DType t);
inline std::ostream& operator<<(std::ostream& os, DType t) { return os << dtype_name(t); }

constexpr bool is_floating(DType t) {
  return t == DType::Float32 || t == DType::Float64 || t == DType::Float16 || t == DType::BFloat16;
}
// Types that the compute kernels work in directly; float16/bfloat16 convert to float32 first.
constexpr bool is_compute_float(DType t) { return t == DType::Float32 || t == DType::Float64; }
// float16 and bfloat16: stored in 16 bits, computed in float32.
constexpr bool is_low_float(DType t) { return t == DType::Float16 || t == DType::BFloat16; }
// The dtype an op's arithmetic runs in for an operand of dtype t: float64 for float64, float32 otherwise
// (float16/bfloat16 load into float32 and store back; ints and bool are converted).
constexpr DType compute_dtype(DType t) { return t == DType::Float64 ? DType::Float64 : DType::Float32; }
// The dtype a float op returns for an operand of dtype t: t itself for every float type (a bfloat16 input
// gives a bfloat16 result), float32 for ints and bool.
constexpr DType float_result_dtype(DType t) { return is_floating(t) ? t : DType::Float32; }

// The dtype that both operands of a binary op are computed in (bool < int64 < float16/bfloat16 < float32 < float64).
DType promote_types(DType a, DType b);

template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::Float32;
  else if constexpr (std::is_same_v<T, double>) return DType::Float64;
  else if constexpr (std::is_same_v<T, int64_t>) return DType::Int64;
  else if constexpr (std::is_same_v<T, bool>) return DType::Bool;
  else if constexpr (std::is_same_v<T, Half>) return DType::Float16;
  else if constexpr (std::is_same_v<T, BFloat16>) return DType::BFloat16;
  else static_assert(sizeof(T) == 0, "unsupported element type");
}

template <class T>
struct TypeTag {
  using type = T;
};

// Calls fn(TypeTag<T>{}) with T the C++ type of `t`, for every dtype.
template <class Fn>
decltype(auto) dispatch_all(DType t, Fn&& fn) {
  switch (t) {
    case DType::Float32: return fn(TypeTag<float>{});
    case DType::Float64: return fn(TypeTag<double>{});
    case DType::Int64: return fn(TypeTag<int64_t>{});
    case DType::Bool: return fn(TypeTag<bool>{});
    case DType::Float16: return fn(TypeTag<Half>{});
    case DType::BFloat16: return fn(TypeTag<BFloat16>{});
  }
  STRATA_FAIL("unknown dtype");
}

// Calls fn(TypeTag<S>{}, TypeTag<C>{}) with S the storage type of float dtype `t` and C the type its arithmetic
// runs in: (float, float), (double, double), (Half, float), (BFloat16, float). Others are an error naming `op`.
template <class Fn>
decltype(auto) dispatch_float_io(DType t, const char* op, Fn&& fn) {
  switch (t) {
    case DType::Float32: return fn(TypeTag<float>{}, TypeTag<float>{});
    case DType::Float64: return fn(TypeTag<double>{}, TypeTag<double>{});
    case DType::Float16: return fn(TypeTag<Half>{}, TypeTag<float>{});
    case DType::BFloat16: return fn(TypeTag<BFloat16>{}, TypeTag<float>{});
    default: STRATA_FAIL("[", op, "] expected a float tensor, got ", dtype_name(t));
  }
}

// Calls fn(TypeTag<T>{}) for float32/float64; other dtypes are an error naming `op`.
template <class Fn>
decltype(auto) dispatch_float(DType t, const char* op, Fn&& fn) {
  switch (t) {
    case DType::Float32: return fn(TypeTag<float>{});
    case DType::Float64: return fn(TypeTag<double>{});
    default: STRATA_FAIL("[", op, "] expected a float32 or float64 tensor, got ", dtype_name(t));
  }
}

// Calls fn(TypeTag<S>{}, TypeTag<C>{}) for the numeric dtypes: float as dispatch_float_io, and (int64_t, int64_t).
template <class Fn>
decltype(auto) dispatch_numeric_io(DType t, const char* op, Fn&& fn) {
  if (t == DType::Int64) return fn(TypeTag<int64_t>{}, TypeTag<int64_t>{});
  if (!is_floating(t)) STRATA_FAIL("[", op, "] expected a float or int64 tensor, got ", dtype_name(t));
  return dispatch_float_io(t, op, std::forward<Fn>(fn));
}

// Calls fn(TypeTag<T>{}) for float32/float64/int64.
template <class Fn>
decltype(auto) dispatch_numeric(DType t, const char* op, Fn&& fn) {
  switch (t) {
    case DType::Float32: return fn(TypeTag<float>{});
    case DType::Float64: return fn(TypeTag<double>{});
    case DType::Int64: return fn(TypeTag<int64_t>{});
    default: STRATA_FAIL("[", op, "] expected a float32, float64 or int64 tensor, got ", dtype_name(t));
  }
}

}  // namespace strata
