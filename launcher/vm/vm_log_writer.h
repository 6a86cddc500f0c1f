// The launcher's side of the VM measurement log (core/protocol/vm_log.h for
// the format; docs/agent.md "Logs and the launcher's lock protocol";
// docs/launcher-vm.md): appending records and extending the VM PCR under the
// writers' lock, rolling forward a record a crash left unextended, sealing a
// torn tail, rotating the log when the machine rebooted, and checking the log
// against the TPM.
//
// The lock protocol, which the agent (LOCK_SH around reading the logs, the
// PCRs and quoting) relies on:
//   1. open the log, creating it (0644) if missing; never rename or replace
//      it (the agent locks the inode);
//   2. flock(LOCK_EX) on that descriptor;
//   3. read and parse the log; rotate when its records carry another boot_id
//      (copy to vm.log.<old boot_id>, fsynced, then truncate in place);
//   4. replay it against the TPM: a trailing record appended but not
//      extended (a crash between fsync and extend) is extended now
//      (roll-forward); any other mismatch is reported as a warning (the
//      verifier reports it too) and the append goes ahead;
//   5. seal a torn final line by appending "\n" (the torn line stays, as a
//      malformed line with its offset, never extended);
//   6. per record: one O_APPEND write of the whole line, fsync, ExtendPcr of
//      its digests (every active bank);
//   7. unlock (close).
// So a record is in the log before its digest is in the PCR, and the agent
// never sees one without the other.
//
// Not thread-safe per call argument (one TpmDevice is used by one thread at
// a time), but concurrent calls from threads or processes on the same log are
// serialised by the flock (each call opens its own descriptor).
#ifndef VOUCH_LAUNCHER_VM_VM_LOG_WRITER_H_
#define VOUCH_LAUNCHER_VM_VM_LOG_WRITER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/logger.h"
#include "core/base/status.h"
#include "core/protocol/vm_log.h"
#include "core/tpm/pcr.h"
#include "core/tpm_device/tpm_device.h"

namespace vouch::launcher {

inline constexpr char kBootIdPath[] = "/proc/sys/kernel/random/boot_id";

// The current boot's id (the first line of `path`, normally kBootIdPath);
// empty when unreadable or not a plausible id (hex digits and '-', 1-64
// chars). Records then carry an empty boot_id and no rotation happens.
std::string ReadBootId(const std::string& path = kBootIdPath);

// One measured component, ready to be logged.
struct VmMeasurement {
  protocol::VmComponent component = protocol::VmComponent::kDisk;
  std::string path;  // absolute
  uint64_t size = 0;
  std::map<HashAlg, Bytes> digests;  // one per active bank
};

struct VmLogAppendRequest {
  std::string log_path;
  uint32_t pcr = protocol::kDefaultVmPcr;  // protocol::CheckVmPcr
  std::string vm_id;
  std::string vm_name;
  std::string boot_id;  // ReadBootId(); empty: no rotation
  std::chrono::system_clock::time_point time;
  std::vector<VmMeasurement> components;  // logged and extended in this order
  // TEST ONLY (crash-safety tests): runs after each record's fsync and
  // before its extend. A non-OK status stops there, as a crash would (the
  // record stays in the log, unextended), and is returned. The launcher sets
  // it only when VOUCH_LAUNCHER_FAULT=kill-after-append (then it SIGKILLs).
  std::function<Status(const protocol::VmLogRecord&)> after_append_for_test;
};

struct VmLogAppendResult {
  std::vector<protocol::VmLogRecord> appended;  // in log order
  std::vector<size_t> offsets;                  // byte offset of each appended line
  // A torn final line that was sealed with "\n" before appending: its offset.
  std::optional<size_t> sealed_torn_offset;
  // The archive the old boot's log was copied to before truncation.
  std::optional<std::string> rotated_to;
  // The trailing record extended now because a crash had left it unextended.
  std::optional<protocol::VmLogRecord> rolled_forward;
  // Inconsistencies found before appending that were left as they are (the
  // verifier reports them): e.g. "PCR 15 sha256: ... mismatch".
  std::vector<std::string> warnings;
};

// Appends one record per component and extends each into `pcr`, following
// the protocol above. Each record's digests must cover exactly the TPM's
// active banks (FailedPrecondition otherwise, e.g. after a bank change).
// Errors: InvalidArgument for a bad request (PCR, names, sizes; nothing
// appended); FailedPrecondition when the log would exceed
// protocol::kMaxVmLogBytes (rotate); Unavailable naming the step for file
// errors; the TPM's errors with context. On an error after some records were
// appended, those stay appended (and extended, except possibly the last one,
// which the next call rolls forward).
Result<VmLogAppendResult> AppendVmMeasurements(tpm_device::TpmDevice& tpm,
                                               const VmLogAppendRequest& request, Logger& logger);

// How a log's replay compares with the TPM's PCRs.
enum class VmPcrState {
  kConsistent,          // replay of every record == PCR
  kTrailingUnextended,  // replay of all but the last record == PCR (crash before extend)
  kMismatch,            // anything else
  kNotComputable,       // a record lacks this bank's digest
};
std::string_view VmPcrStateName(VmPcrState state);  // "consistent", ...

struct VmPcrBankCheck {
  uint32_t pcr = 0;
  HashAlg bank = HashAlg::kSha256;
  VmPcrState state = VmPcrState::kConsistent;
  Bytes tpm_value;
  Bytes replay_value;  // empty when not computable
};

struct VmLogClassification {
  std::vector<VmPcrBankCheck> checks;          // by PCR then bank (kAllHashAlgs order)
  VmPcrState state = VmPcrState::kConsistent;  // overall (see ClassifyVmLog)
  // Precise one-line description, e.g. "consistent: PCR 15 equals the
  // replay of 4 record(s) in sha1, sha256", "trailing unextended record:
  // record seq 3 (vm web-01, disk /img/a.raw) was appended but not extended
  // into PCR 15 (...)" or "mismatch: PCR 15 sha256: TPM ... != replay ...".
  std::string message;
};

// Compares the replay of `records` with `tpm_values` for every PCR in
// `pcrs` (values of PCRs no record uses are expected to be zero) and every
// bank in `banks`. Overall: kMismatch when any bank mismatches or is not
// computable, or when the last record's PCR is trailing-unextended in some
// banks only (one extend covers all banks); kTrailingUnextended when the
// last record's PCR is so in every bank and everything else is consistent;
// kConsistent otherwise. Pure; thread-safe.
VmLogClassification ClassifyVmLog(const std::vector<protocol::VmLogRecord>& records,
                                  const tpm::PcrValues& tpm_values,
                                  const std::vector<HashAlg>& banks,
                                  const std::vector<uint32_t>& pcrs);

struct VmLogInspection {
  std::string path;
  bool exists = false;
  uint64_t bytes = 0;
  protocol::ParsedVmLog log;
  std::vector<HashAlg> banks;  // the TPM's active banks
  VmLogClassification classification;
};

// Reads the log under LOCK_SH (so no launcher is between append and extend)
// together with the PCRs the records use plus `vm_pcr`, and classifies it.
// A missing log is an empty one (exists = false). Errors: Unavailable for
// file errors, InvalidArgument for a log over protocol::kMaxVmLogBytes, the
// TPM's errors with context.
Result<VmLogInspection> InspectVmLog(tpm_device::TpmDevice& tpm, const std::string& path,
                                     uint32_t vm_pcr);

struct VmLogRotateResult {
  bool rotated = false;
  std::string archive_path;  // when rotated
  std::string message;       // why (not) rotated
};

// Under LOCK_EX: when a record carries a non-empty boot_id other than
// `boot_id` (or with `force`, when the log is not empty), copies the log to
// "<log>.<old boot_id>" (".1", ".2" ... appended if taken; "unknown" when no
// record has a boot_id), fsyncs it and the directory, then truncates the log
// in place and fsyncs it. A missing log is not rotated. Forcing within one
// boot leaves the VM PCR unexplained by the log until the next reboot.
// Errors: Unavailable naming the step.
Result<VmLogRotateResult> RotateVmLog(const std::string& path, const std::string& boot_id,
                                      bool force);

// JSON text of an inspection (vm-log show --json): path, exists, bytes,
// records (as their log lines decode), offsets, defects, banks, checks,
// state, message.
std::string VmLogInspectionToJson(const VmLogInspection& inspection);

}  // namespace vouch::launcher

#endif  // VOUCH_LAUNCHER_VM_VM_LOG_WRITER_H_
