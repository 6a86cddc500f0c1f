#include "core/protocol/vm_log.h"

#include <string>

namespace vouch::protocol {

Status CheckVmPcr(uint32_t pcr) {
  if (pcr >= 8 && pcr <= 15) return Status::Ok();
  return InvalidArgumentError("VM PCR " + std::to_string(pcr) +
                              " refused: use 8-15 (0-7 are the firmware's, 16 and 23 can be "
                              "reset from locality 0, 17-22 belong to the D-RTM)");
}

std::string_view VmComponentName(VmComponent c) {
  switch (c) {
    case VmComponent::kDisk: return "disk";
    case VmComponent::kKernel: return "kernel";
    case VmComponent::kInitrd: return "initrd";
    case VmComponent::kFirmware: return "firmware";
    case VmComponent::kConfig: return "config";
  }
  return "disk";
}

std::optional<VmComponent> ParseVmComponent(std::string_view name) {
  for (VmComponent c : {VmComponent::kDisk, VmComponent::kKernel, VmComponent::kInitrd,
                        VmComponent::kFirmware, VmComponent::kConfig}) {
    if (VmComponentName(c) == name) return c;
  }
  return std::nullopt;
}

}  // namespace vouch::protocol
