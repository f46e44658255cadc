#pragma once
// Where a tensor's storage lives. Ops dispatch on it to a backend (src/backend/): "cpu" (the optimised
// kernels), "ref" (the naive reference kernels, in host memory of its own) and "cuda" when built with CUDA.
#include <ostream>
#include <string>

namespace strata {

enum class DeviceType : uint8_t { CPU, CUDA, Ref };
inline constexpr int kDeviceTypeCount = 3;

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  constexpr Device() = default;
  constexpr Device(DeviceType t, int i = 0) : type(t), index(i) {}  // NOLINT(google-explicit-constructor)
  // Parses "cpu", "ref", "cuda", "cuda:1".
  explicit Device(const std::string& spec);

  constexpr bool is_cpu() const { return type == DeviceType::CPU; }
  // Its memory is host memory (cpu and ref): the CPU may read it directly.
  constexpr bool is_host() const { return type != DeviceType::CUDA; }
  constexpr bool operator==(const Device&) const = default;
  std::string str() const;
};

inline constexpr Device kCPU{DeviceType::CPU, 0};
inline constexpr Device kRef{DeviceType::Ref, 0};

inline std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

// Throws strata::Error unless d is the CPU: for the host-only paths that have no kernel on other devices
// (int8 quantized layers, MPI collectives).
void check_cpu(const char* op, const Device& d);

}  // namespace strata
