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
// Limits of the record's members (schemas/vm-log-record.schema.json).
inline constexpr size_t kMaxVmIdLength = 128;    // characters (code points)
inline constexpr size_t kMaxVmNameLength = 256;  // characters (code points)
inline constexpr size_t kMaxVmPathBytes = 4096;  // UTF-8 bytes (PATH_MAX)
inline constexpr size_t kVmBootIdLength = 36;    // a UUID: 8-4-4-4-12 hex digits
// seq and size: at most 2^53 - 1, so every JSON reader (I-JSON, RFC 7493)
// reads them exactly.
inline constexpr uint64_t kMaxVmLogInteger = (uint64_t{1} << 53) - 1;

// Whether `pcr` may hold VM measurements: 8-15 only. 0-7 are the firmware's,
// 16 (debug) and 23 (application) can be reset from locality 0, 17-22 belong
// to the D-RTM. InvalidArgument naming the rule otherwise.
Status CheckVmPcr(uint32_t pcr);

// Field checks shared by the record, the launch decision request and the
// launcher (which checks names before it measures anything). Each returns
// InvalidArgument "<field>: <rule>".
//
// Text members (vm.id, vm.name, path) are valid UTF-8 without control
// characters (C0 U+0000-U+001F, DEL U+007F, C1 U+0080-U+009F): they are
// printed by CLIs and written to logs, where a control character could forge
// a line or a terminal escape.
Status CheckVmId(std::string_view id, std::string_view field);      // 1..kMaxVmIdLength chars
Status CheckVmName(std::string_view name, std::string_view field);  // 1..kMaxVmNameLength chars
// An absolute path ("/" first) of 1..kMaxVmPathBytes bytes. Not
// canonicalised: it is the launcher's claim of what it opened.
Status CheckVmPath(std::string_view path, std::string_view field);
// Whether `text` is a boot id as records carry it: a lower-case UUID
// (8-4-4-4-12 hex digits), the form of /proc/sys/kernel/random/boot_id.
// Readers of the boot id should apply the same rule (or use "" for "unknown").
bool IsVmBootId(std::string_view text);
// At least one digest; banks sha1, sha256, sha384, sha512 only (no SM3:
// Vouch cannot compute it), each DigestSize(bank) bytes.
Status CheckVmDigests(const std::map<HashAlg, Bytes>& digests, std::string_view field);

enum class VmComponent { kDisk, kKernel, kInitrd, kFirmware, kConfig };
std::string_view VmComponentName(VmComponent c);  // "disk", "kernel", ...
std::optional<VmComponent> ParseVmComponent(std::string_view name);

// One measured component. JSON member names in brackets.
struct VmLogRecord {
  int version = kVmLogVersion;  // [v] 1
  uint64_t seq = 0;             // [seq] 0, 1, 2, ... within one boot's log; <= kMaxVmLogInteger
  std::string time;             // [time] RFC 3339 UTC, whole seconds: 2026-11-28T14:00:00Z
  // [boot_id] /proc/sys/kernel/random/boot_id: "" or a lower-case UUID (36
  // chars). Strict because rotation puts it in a file name (vm.log.<boot_id>).
  std::string boot_id;
  uint32_t pcr = kDefaultVmPcr;  // [pcr] CheckVmPcr
  std::string vm_id;             // [vm.id] libvirt UUID or launcher-made id: CheckVmId
  std::string vm_name;           // [vm.name] CheckVmName
  VmComponent component = VmComponent::kDisk;  // [component]
  std::string path;                            // [path] absolute path measured: CheckVmPath
  uint64_t size = 0;                           // [size] bytes hashed; <= kMaxVmLogInteger
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

// Every rule above on `record`; InvalidArgument "vm_log_record.<member>:
// <rule>" for the first member (in encoding order) that breaks one.
Status CheckVmLogRecord(const VmLogRecord& record);

// Encodes one record as its line, "\n" included: compact JSON, members in
// the fixed order v, seq, time, boot_id, pcr, vm{id, name}, component, path,
// size, digests{sha1, sha256, sha384, sha512 (those present)}, non-ASCII
// characters as UTF-8 (not escaped). Equal records give equal bytes.
// InvalidArgument when the record breaks a rule above (CheckVmLogRecord) or
// the line would exceed kMaxVmLogRecordBytes.
Result<std::string> EncodeVmLogRecord(const VmLogRecord& record);

// Decodes one line (with or without its one trailing "\n"). InvalidArgument
// "vm_log_record[.member]: why" for anything that breaks the schema: unknown
// or missing members, wrong types, hex of the wrong length or upper case,
// version other than 1, a PCR outside 8-15, text over its limit or with a
// control character, duplicate members, invalid UTF-8. Any raw byte below
// 0x20 in the line is refused before parsing (a second "\n", the "\r" of a
// CRLF line ending, a tab): records are single compact lines. Member order
// and spaces between tokens are not checked.
Result<VmLogRecord> DecodeVmLogRecord(std::string_view line);

// Splits `log` on "\n" and decodes each line, in order:
//   - a final line without "\n" (non-empty) is a kTorn defect, even when it
//     would decode: the append did not complete, so it was never extended;
//   - an empty line is kMalformed ("empty line");
//   - a line longer than kMaxVmLogRecordBytes (with its "\n") is kMalformed
//     without being decoded;
//   - a line DecodeVmLogRecord refuses is kMalformed with its message (so a
//     CRLF line is kMalformed: "raw control character ... CRLF").
// Offsets are byte offsets of the line's first byte in `log`. Consistency
// across records (seq order, one boot_id, one PCR) is the caller's to judge.
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
