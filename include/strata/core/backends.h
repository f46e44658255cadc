#pragma once
// Which devices this build and this machine have (docs/devices.md). "cpu" and "ref" are always built; "cuda" when
// the build found nvcc (STRATA_WITH_CUDA), and usable only with an NVIDIA driver and GPU.
#include <string>

#include "strata/core/device.h"

namespace strata {

// Whether this build has a backend for device type t.
bool device_built(DeviceType t);
// CUDA devices usable now: 0 in a build without CUDA or on a machine without a driver or GPU; *why (when given)
// then says why.
int cuda_device_count(std::string* why = nullptr);

}  // namespace strata
