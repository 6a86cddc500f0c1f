// The VM measurement log (DESIGN.md, PCRs; schemas/vm-log-record.schema.json;
// docs/vm-log.md): what vouch-launcher measured before each VM start, one
// record per component, in the order their digests were extended into the VM
// PCR (15 by default).
//
// Format: JSON Lines (UTF-8). Every record is one JSON object on one line,
// terminated by "\n", at most kMaxVmLogRecordBytes including the newline.
// The launcher writes each record with one append under LOCK_EX, fsyncs it,
// then extends the PCR (docs/agent.md, the VM log lock protocol), so:
//   - a final line without "\n" is a torn record (a crash during the append:
//     never extended);
//   - a complete record whose digest is not in the PCR is a record appended
//     but not extended (a crash between fsync and extend), which the launcher
//     completes on its next run (roll-forward) and the verifier reports until
//     then.
// Only the digests are bound to the PCR; names, paths and sizes are claims
// the launcher makes about what it measured (documented in docs/vm-log.md).
//
// Parsing never fails on bad content: every line that is not a valid record
// becomes a VmLogDefect naming its byte offset, so callers can report it
// precisely. Thread-safe free functions; value types.
#ifndef VOUCH_CORE_PROTOCOL_VM_LOG_H_
#define VOUCH_CORE_PROTOCOL_VM_LOG_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/tpm/pcr.h"

namespace vouch::protocol {

inline constexpr size_t kMaxVmLogRecordBytes = 64 * 1024;  // one line, with "\n"
inline constexpr int kVmLogVersion = 1;
// The default VM PCR; 16 (debug) and 23 (application) are refused: locality 0
// can reset them.
inline constexpr uint32_t kDefaultVmPcr = 15;

// Whether `pcr` may hold VM measurements: 8-15 only. 0-7 are the firmware's,
// 16 (debug) and 23 (application) can be reset from locality 0, 17-22 belong
// to the D-RTM. InvalidArgument naming the rule otherwise.
Status CheckVmPcr(uint32_t pcr);

enum class VmComponent { kDisk, kKernel, kInitrd, kFirmware, kConfig };
std::string_view VmComponentName(VmComponent c);  // "disk", "kernel", ...
std::optional<VmComponent> ParseVmComponent(std::string_view name);

// One measured component. JSON member names in brackets.
struct VmLogRecord {
  int version = kVmLogVersion;  // [v] 1
  uint64_t seq = 0;             // [seq] 0, 1, 2, ... within one boot's log
  std::string time;             // [time] RFC 3339 UTC, e.g. 2026-11-28T14:00:00Z
  std::string boot_id;  // [boot_id] /proc/sys/kernel/random/boot_id (36 chars), may be empty
  uint32_t pcr = kDefaultVmPcr;  // [pcr] CheckVmPcr
  std::string vm_id;             // [vm.id] libvirt UUID or launcher-made id, 1..128 chars
  std::string vm_name;           // [vm.name] 1..256 chars
  VmComponent component = VmComponent::kDisk;  // [component]
  std::string path;                            // [path] absolute path measured, 1..4096 bytes
  uint64_t size = 0;                           // [size] bytes hashed
  // [digests] {"sha1": hex, "sha256": hex, "sha384": hex}: one per bank
  // extended (every active bank of the TPM), at least one; each of
  // DigestSize(bank) bytes. Keys: sha1, sha256, sha384, sha512.
  std::map<HashAlg, Bytes> digests;
  friend bool operator==(const VmLogRecord&, const VmLogRecord&) = default;
};

// One line (without its "\n") that is not a valid record.
struct VmLogDefect {
  enum class Kind {
    kTorn,       // the final line has no "\n": an interrupted append
    kMalformed,  // a complete line that is not a valid record (message says why)
  };
  Kind kind = Kind::kMalformed;
  size_t offset = 0;  // byte offset of the line in the log
  size_t length = 0;  // bytes in the line, without "\n"
  std::string message;
};

struct ParsedVmLog {
  std::vector<VmLogRecord> records;  // valid records in log order
  // Byte offset of each record's line, parallel to `records`.
  std::vector<size_t> offsets;
  std::vector<VmLogDefect> defects;  // in log order
  bool ends_with_newline = true;     // false when the last line is torn (or the log is empty: true)
};

// Encodes one record as its line, "\n" included. InvalidArgument when the
// record breaks a rule above (names the member) or the line would exceed
// kMaxVmLogRecordBytes.
Result<std::string> EncodeVmLogRecord(const VmLogRecord& record);

// Decodes one line (with or without its trailing "\n"). InvalidArgument
// naming the member for anything that breaks the schema (unknown members
// included, version other than 1).
Result<VmLogRecord> DecodeVmLogRecord(std::string_view line);

// Splits `log` into lines and decodes each. Lines longer than
// kMaxVmLogRecordBytes are defects (kMalformed), empty lines are defects too.
// InvalidArgument only when log.size() > kMaxVmLogBytes (evidence.h).
Result<ParsedVmLog> ParseVmLog(ByteView log);

// The PCR values after extending `records` in order from zero, for each bank
// in `banks` and each PCR the records use. A record without a digest for a
// bank in `banks` makes that PCR's value in that bank absent from the
// result (it cannot be computed). Records with seq order gaps are still
// replayed in log order (the caller reports gaps).
tpm::PcrValues ReplayVmLog(const std::vector<VmLogRecord>& records,
                           const std::vector<HashAlg>& banks);

}  // namespace vouch::protocol

#endif  // VOUCH_CORE_PROTOCOL_VM_LOG_H_
