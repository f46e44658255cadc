#pragma once
// Where a tensor's storage lives. Ops dispatch on it; only CPU kernels exist so far.
#include <ostream>
#include <string>

namespace strata {

enum class DeviceType : uint8_t { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  constexpr Device() = default;
  constexpr Device(DeviceType t, int i = 0) : type(t), index(i) {}  // NOLINT(google-explicit-constructor)
  // Parses "cpu", "cuda", "cuda:1".
  explicit Device(const std::string& spec);

  constexpr bool is_cpu() const { return type == DeviceType::CPU; }
  constexpr bool operator==(const Device&) const = default;
  std::string str() const;
};

inline constexpr Device kCPU{DeviceType::CPU, 0};

inline std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

// Throws strata::Error unless every listed device is the CPU (the only backend built so far).
void check_cpu(const char* op, const Device& d);

}  // namespace strata
