#include "strata/core/device.h"

#include "strata/core/error.h"

namespace strata {

Device::Device(const std::string& spec) {
  if (spec == "cpu") {
    type = DeviceType::CPU;
    index = 0;
    return;
  }
  if (spec.rfind("cuda", 0) == 0) {
    type = DeviceType::CUDA;
    index = 0;
    if (spec.size() > 4) {
      STRATA_CHECK(spec[4] == ':' && spec.size() > 5, "[Device] cannot parse '", spec, "'; expected cpu, cuda or cuda:N");
      try {
        index = std::stoi(spec.substr(5));
      } catch (const std::exception&) {
        STRATA_FAIL("[Device] cannot parse '", spec, "'; expected cpu, cuda or cuda:N");
      }
    }
    return;
  }
  STRATA_FAIL("[Device] cannot parse '", spec, "'; expected cpu, cuda or cuda:N");
}

std::string Device::str() const {
  if (type == DeviceType::CPU) return "cpu";
  return "cuda:" + std::to_string(index);
}

void check_cpu(const char* op, const Device& d) {
  STRATA_CHECK(d.is_cpu(), "[", op, "] no kernel for device ", d.str(), " (this build has CPU kernels only)");
}

}  // namespace strata
