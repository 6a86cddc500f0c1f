// The names of reference kinds (DESIGN.md "Reference values").
#include <array>
#include <utility>

#include "policy/model/reference.h"

namespace vouch::policy {
namespace {

constexpr std::array<std::pair<ReferenceKind, std::string_view>, 12> kKindNames = {{
    {ReferenceKind::kPlatform, "platform"},
    {ReferenceKind::kSinit, "sinit"},
    {ReferenceKind::kTboot, "tboot"},
    {ReferenceKind::kTbootPolicy, "tboot-policy"},
    {ReferenceKind::kHypervisor, "hypervisor"},
    {ReferenceKind::kKernel, "kernel"},
    {ReferenceKind::kInitrd, "initrd"},
    {ReferenceKind::kVmImage, "vm-image"},
    {ReferenceKind::kVmKernel, "vm-kernel"},
    {ReferenceKind::kVmFirmware, "vm-firmware"},
    {ReferenceKind::kVmConfig, "vm-config"},
    {ReferenceKind::kVmInitrd, "vm-initrd"},
}};

}  // namespace

std::string_view ReferenceKindName(ReferenceKind k) {
  for (const auto& [kind, name] : kKindNames) {
    if (kind == k) return name;
  }
  return "unknown";
}

std::optional<ReferenceKind> ParseReferenceKind(std::string_view name) {
  for (const auto& [kind, kind_name] : kKindNames) {
    if (kind_name == name) return kind;
  }
  return std::nullopt;
}

}  // namespace vouch::policy
