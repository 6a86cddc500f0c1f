// Names of event types and log formats.
//
// Sources: TCG PC Client Platform Firmware Profile (PFP) 1.05, section 10.4.1
// (Table 9, "Events"); Intel TXT Software Development Guide / MLE Developer's
// Guide, appendix "TPM Event Log" (types EVTYPE_BASE + n); tboot logs its own
// measurements (policy control, modules) with type 0x501.
#include <cstdio>
#include <string>

#include "core/eventlog/event_log.h"

namespace vouch::eventlog {
namespace {

struct NamedType {
  uint32_t type;
  const char* name;
};

// Sorted by value (binary search below).
constexpr NamedType kNames[] = {
    // PFP Table 9.
    {0x00000000, "EV_PREBOOT_CERT"},
    {0x00000001, "EV_POST_CODE"},
    {0x00000002, "EV_UNUSED"},
    {0x00000003, "EV_NO_ACTION"},
    {0x00000004, "EV_SEPARATOR"},
    {0x00000005, "EV_ACTION"},
    {0x00000006, "EV_EVENT_TAG"},
    {0x00000007, "EV_S_CRTM_CONTENTS"},
    {0x00000008, "EV_S_CRTM_VERSION"},
    {0x00000009, "EV_CPU_MICROCODE"},
    {0x0000000A, "EV_PLATFORM_CONFIG_FLAGS"},
    {0x0000000B, "EV_TABLE_OF_DEVICES"},
    {0x0000000C, "EV_COMPACT_HASH"},
    {0x0000000D, "EV_IPL"},
    {0x0000000E, "EV_IPL_PARTITION_DATA"},
    {0x0000000F, "EV_NONHOST_CODE"},
    {0x00000010, "EV_NONHOST_CONFIG"},
    {0x00000011, "EV_NONHOST_INFO"},
    {0x00000012, "EV_OMIT_BOOT_DEVICE_EVENTS"},
    // Intel TXT: EVTYPE_BASE + n (MLE Developer's Guide, "Event Log" appendix).
    {0x00000400, "EVTYPE_BASE"},
    {0x00000401, "EVTYPE_PCRMAPPING"},
    {0x00000402, "EVTYPE_HASH_START"},
    {0x00000403, "EVTYPE_COMBINED_HASH"},
    {0x00000404, "EVTYPE_MLE_HASH"},
    {0x0000040A, "EVTYPE_BIOSAC_REG_DATA"},
    {0x0000040B, "EVTYPE_CPU_SCRTM_STAT"},
    {0x0000040C, "EVTYPE_LCP_CONTROL_HASH"},
    {0x0000040D, "EVTYPE_ELEMENTS_HASH"},
    {0x0000040E, "EVTYPE_STM_HASH"},
    {0x0000040F, "EVTYPE_OSSINITDATA_CAP_HASH"},
    {0x00000410, "EVTYPE_SINIT_PUBKEY_HASH"},
    {0x00000411, "EVTYPE_LCP_HASH"},
    {0x00000412, "EVTYPE_LCP_DETAILS_HASH"},
    {0x00000413, "EVTYPE_LCP_AUTHORITIES_HASH"},
    {0x00000414, "EVTYPE_NV_INFO_HASH"},
    {0x00000415, "EVTYPE_COLD_BOOT_BIOS_HASH"},
    {0x00000416, "EVTYPE_KM_HASH"},
    {0x00000417, "EVTYPE_BPM_HASH"},
    {0x00000418, "EVTYPE_KM_INFO_HASH"},
    {0x00000419, "EVTYPE_BPM_INFO_HASH"},
    {0x0000041A, "EVTYPE_BOOT_POL_HASH"},
    {0x000004FE, "EVTYPE_RANDOM_VALUE"},
    {0x000004FF, "EVTYPE_CAP_VALUE"},
    // tboot's own measurements (no event data).
    {0x00000501, "EV_TBOOT_HASH"},
    // PFP Table 9, EFI events.
    {0x80000000, "EV_EFI_EVENT_BASE"},
    {0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG"},
    {0x80000002, "EV_EFI_VARIABLE_BOOT"},
    {0x80000003, "EV_EFI_BOOT_SERVICES_APPLICATION"},
    {0x80000004, "EV_EFI_BOOT_SERVICES_DRIVER"},
    {0x80000005, "EV_EFI_RUNTIME_SERVICES_DRIVER"},
    {0x80000006, "EV_EFI_GPT_EVENT"},
    {0x80000007, "EV_EFI_ACTION"},
    {0x80000008, "EV_EFI_PLATFORM_FIRMWARE_BLOB"},
    {0x80000009, "EV_EFI_HANDOFF_TABLES"},
    {0x8000000A, "EV_EFI_PLATFORM_FIRMWARE_BLOB2"},
    {0x8000000B, "EV_EFI_HANDOFF_TABLES2"},
    {0x8000000C, "EV_EFI_VARIABLE_BOOT2"},
    {0x8000000D, "EV_EFI_GPT_EVENT2"},
    {0x80000010, "EV_EFI_HCRTM_EVENT"},
    {0x800000E0, "EV_EFI_VARIABLE_AUTHORITY"},
    {0x800000E1, "EV_EFI_SPDM_FIRMWARE_BLOB"},
    {0x800000E2, "EV_EFI_SPDM_FIRMWARE_CONFIG"},
    {0x800000E3, "EV_EFI_SPDM_DEVICE_POLICY"},
    {0x800000E4, "EV_EFI_SPDM_DEVICE_AUTHORITY"},
};

constexpr bool IsSorted() {
  for (size_t i = 1; i < std::size(kNames); ++i) {
    if (kNames[i - 1].type >= kNames[i].type) return false;
  }
  return true;
}
static_assert(IsSorted(), "kNames must be sorted by value");

}  // namespace

std::string_view LogFormatName(LogFormat f) {
  switch (f) {
    case LogFormat::kCryptoAgile: return "crypto-agile";
    case LogFormat::kSha1Legacy: return "sha1-legacy";
  }
  return "unknown";
}

std::string EventTypeName(uint32_t type) {
  size_t lo = 0;
  size_t hi = std::size(kNames);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (kNames[mid].type == type) return kNames[mid].name;
    if (kNames[mid].type < type) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "EV_UNKNOWN_0x%08x", type);
  return buf;
}

}  // namespace vouch::eventlog
