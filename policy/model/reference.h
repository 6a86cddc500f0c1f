// Reference values (the whitelist database, DESIGN.md "Reference values"):
// the model and its one JSON encoding. Used by the verifier (appraisal,
// reference-set API, store) and vouch-policy (whitelist commands, issue 6).
// Pure: no I/O.
//
// JSON (schemas/reference-value.schema.json, schemas/reference-set.schema.json):
//   value: {"kind": "platform", "name": "...", "version": "...", "vendor": "...",
//           "digests": {"sha1": hex, "sha256": hex, "sha384": hex, "sha512": hex},
//           "source": "...", "added_by": "...", "valid_until": RFC 3339 | absent,
//           "id": "..." (optional, assigned by the verifier when absent)}
//   set:   {"name": "...", "version": N, "description": "...",
//           "updated_at": RFC 3339, "updated_by": "...", "entries": [value, ...]}
// Limits (enforced by the decoders before use): document <= 16 MiB, at most
// 100,000 entries per set, strings <= 256 bytes (description <= 4096),
// names and ids are [A-Za-z0-9._:-]{1,128} for sets, free text for entry
// names; digests are lower-case hex of exactly the bank's size; at least one
// digest per entry; unknown members refused (a typo must not widen a
// whitelist).
#ifndef VOUCH_POLICY_MODEL_REFERENCE_H_
#define VOUCH_POLICY_MODEL_REFERENCE_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"

namespace vouch::policy {

enum class ReferenceKind {
  kPlatform,
  kSinit,
  kTboot,
  kTbootPolicy,
  kHypervisor,
  kKernel,
  kInitrd,
  kVmImage,
  kVmKernel,
  kVmFirmware,
  kVmConfig,
  // Appended (not next to kVmKernel) so the enumerators keep their values.
  kVmInitrd,
};
std::string_view ReferenceKindName(ReferenceKind k);  // "platform", "tboot-policy", ...
std::optional<ReferenceKind> ParseReferenceKind(std::string_view name);

struct ReferenceValue {
  ReferenceKind kind = ReferenceKind::kPlatform;
  std::string name;                  // "Dell R650 BIOS 2.19", "xen 4.17.3"
  std::string version;               // may be empty
  std::string vendor;                // may be empty
  std::map<HashAlg, Bytes> digests;  // at least one
  std::string source;                // "file:/boot/xen.gz", "host:h-..", "api"; may be empty
  std::string added_by;              // token name or user; may be empty
  std::optional<std::chrono::system_clock::time_point> valid_until;
  std::string id;  // unique within its set; may be empty in requests
};

// A named, versioned set of reference values. Every change gives a new
// version (the verifier keeps the history).
struct ReferenceSetDocument {
  std::string name;     // [A-Za-z0-9._:-]{1,128}
  int64_t version = 0;  // 0 in requests (the verifier assigns 1, 2, ...)
  std::string description;
  std::optional<std::chrono::system_clock::time_point> updated_at;
  std::string updated_by;
  std::vector<ReferenceValue> entries;
};

inline constexpr size_t kMaxReferenceDocumentBytes = 16 * 1024 * 1024;
inline constexpr size_t kMaxReferenceEntries = 100000;

// Whether `name` is a valid set name ([A-Za-z0-9._:-]{1,128}).
bool IsValidReferenceSetName(std::string_view name);

// Decoders: InvalidArgument naming the member ("entries[3].digests.sha256:
// expected 64 hex digits") for anything that breaks the rules above,
// including a wrong digest length and duplicate entry ids.
Result<ReferenceValue> DecodeReferenceValue(std::string_view json);
Result<ReferenceSetDocument> DecodeReferenceSet(std::string_view json);
// Encoders write exactly the members the schemas allow, in a stable order
// (empty optional strings and absent times are omitted). InvalidArgument
// when the value breaks a rule (no digest, bad name).
Result<std::string> EncodeReferenceValue(const ReferenceValue& value);
Result<std::string> EncodeReferenceSet(const ReferenceSetDocument& set);

}  // namespace vouch::policy

#endif  // VOUCH_POLICY_MODEL_REFERENCE_H_
