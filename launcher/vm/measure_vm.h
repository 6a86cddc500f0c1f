// Measuring a VM before it starts (vouch-launcher measure-vm; issue 5): each
// component file (firmware, kernel, initrd, disks, config) is hashed once in
// every active PCR bank (multi_hasher.h), then, under the VM log's writers'
// lock, one record per component is appended and extended into the VM PCR
// (vm_log_writer.h). Every file is checked and hashed before the log is
// touched, so a missing or unreadable file appends nothing.
//
// Not thread-safe per TpmDevice (one thread uses it); concurrent
// measurements (threads or processes) on one log are serialised by the
// log's flock.
#ifndef VOUCH_LAUNCHER_VM_MEASURE_VM_H_
#define VOUCH_LAUNCHER_VM_MEASURE_VM_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/hash_alg.h"
#include "core/base/logger.h"
#include "core/base/status.h"
#include "core/protocol/vm_log.h"
#include "core/tpm_device/tpm_device.h"
#include "launcher/vm/multi_hasher.h"
#include "launcher/vm/vm_log_writer.h"

namespace vouch::launcher {

// The namespace of DefaultVmId's name-based UUIDs.
inline constexpr char kVmIdNamespace[] = "f4b0d568-cd26-46b5-a41e-d9378959ab1f";

// The VM id used when none is given: the RFC 4122 version-5 (SHA-1,
// name-based) UUID of `name` in kVmIdNamespace, lower case. Stable across
// runs and hosts; reproducible with Python's
// uuid.uuid5(uuid.UUID(kVmIdNamespace), name).
std::string DefaultVmId(std::string_view name);

struct MeasureVmRequest {
  std::string name;  // 1..256 chars
  std::string id;    // empty: DefaultVmId(name)
  std::vector<std::string> disks;
  std::string kernel;    // optional (empty: none)
  std::string initrd;    // optional
  std::string firmware;  // optional
  std::string config;    // optional
  uint32_t pcr = protocol::kDefaultVmPcr;
  std::string log_path;  // the VM log (STATE_DIR/vm.log)
  std::string boot_id;   // ReadBootId()
  std::chrono::system_clock::time_point time;
  HashFileOptions hash_options;  // its progress is replaced (see progress)
  // Called during hashing with the component being hashed (component name
  // and path), bytes done and the file's size; optional.
  std::function<void(std::string_view component, const std::string& path, uint64_t done,
                     uint64_t total)>
      progress;
  // TEST ONLY: see VmLogAppendRequest::after_append_for_test.
  std::function<Status(const protocol::VmLogRecord&)> after_append_for_test;
};

struct MeasuredComponent {
  VmMeasurement measurement;
  double seconds = 0;  // hashing time
};

struct MeasureVmResult {
  std::string vm_id;
  std::string vm_name;
  uint32_t pcr = 0;
  std::vector<HashAlg> banks;
  std::vector<MeasuredComponent> components;  // in log order
  VmLogAppendResult log;
};

// Components in log (and extend) order: firmware, kernel, initrd, each disk
// in the order given, config. Each path is made absolute (not resolving
// symbolic links). Errors: InvalidArgument naming the option and the file
// for a missing, unreadable or non-regular file (checked for all files before
// any is hashed), for no --disk, a bad name/id or PCR; otherwise those of
// HashFile and AppendVmMeasurements, with context.
Result<MeasureVmResult> MeasureVm(tpm_device::TpmDevice& tpm, const MeasureVmRequest& request,
                                  Logger& logger);

// The result as JSON text (measure-vm --json): vm {id, name}, pcr, banks,
// records [{seq, component, path, size, offset, seconds, digests}],
// rotated_to, sealed_torn_offset, rolled_forward {seq, component, path},
// warnings.
std::string MeasureVmResultToJson(const MeasureVmResult& result);

}  // namespace vouch::launcher

#endif  // VOUCH_LAUNCHER_VM_MEASURE_VM_H_
