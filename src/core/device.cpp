#include "strata/core/device.h"

#include "strata/core/error.h"

namespace strata {

Device::Device(const std::string& spec) {
  auto bad = [&spec]() { STRATA_FAIL("[Device] cannot parse '", spec, "'; expected cpu, ref, cuda or cuda:N"); };
  std::string kind = spec.substr(0, spec.find(':'));
  if (kind == "cpu") {
    type = DeviceType::CPU;
  } else if (kind == "ref") {
    type = DeviceType::Ref;
  } else if (kind == "cuda") {
    type = DeviceType::CUDA;
  } else {
    bad();
  }
  index = 0;
  if (kind.size() == spec.size()) return;
  // An index: digits only (no sign, spaces or suffix), and small enough for an int.
  std::string digits = spec.substr(kind.size() + 1);
  if (digits.empty() || digits.size() > 6) bad();
  for (char c : digits) {
    if (c < '0' || c > '9') bad();
  }
  index = std::stoi(digits);
  if (type != DeviceType::CUDA && index != 0)
    STRATA_FAIL("[Device] '", spec, "': the ", kind, " device has index 0 only");
}

std::string Device::str() const {
  if (type == DeviceType::CPU) return "cpu";
  if (type == DeviceType::Ref) return "ref";
  return "cuda:" + std::to_string(index);
}

void check_cpu(const char* op, const Device& d) {
  STRATA_CHECK(d.is_cpu(), "[", op, "] no kernel for device ", d.str(), " (this path runs on the CPU only)");
}

}  // namespace strata
