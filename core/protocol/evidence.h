// The evidence document (schemas/evidence.schema.json): what an agent sends
// the verifier. Encoding is the agent's job, decoding the verifier's; both
// live here so the wire format has one definition.
//
// Everything decoded here is unverified (STYLE.md section 4): the verifier
// checks the quote with the enrolled AK, the nonce, the PCR digest and the
// log replays before trusting any of it.
#ifndef VOUCH_CORE_PROTOCOL_EVIDENCE_H_
#define VOUCH_CORE_PROTOCOL_EVIDENCE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/tpm/pcr.h"

namespace vouch::protocol {

inline constexpr int kEvidenceVersion = 1;

// Size limits of the schema, in decoded bytes. A document whose encoded
// size exceeds kMaxEvidenceDocumentBytes is refused before parsing.
inline constexpr size_t kMaxSrtmLogBytes = 16 * 1024 * 1024;
inline constexpr size_t kMaxDrtmLogBytes = 1024 * 1024;
inline constexpr size_t kMaxVmLogBytes = 16 * 1024 * 1024;
inline constexpr size_t kMaxTpmBlobBytes = 1536;  // attest, signature, public
inline constexpr size_t kMaxEvidenceDocumentBytes = 48 * 1024 * 1024;
inline constexpr size_t kMinNonceBytes = 8;
inline constexpr size_t kMaxNonceBytes = 64;

enum class HypervisorKind { kUnknown, kXen, kKvm, kNone };
enum class MeasuredLaunch { kUnknown, kTxt, kEmulated, kNone };
std::string_view HypervisorKindName(HypervisorKind kind);    // "xen", ...
std::string_view MeasuredLaunchName(MeasuredLaunch launch);  // "txt", ...

// Facts the host states about itself (unverified claims).
struct HostFacts {
  std::string hostname;
  std::string machine_id;  // 32 lower-case hex, or empty
  std::string agent_version;
  HypervisorKind hypervisor = HypervisorKind::kUnknown;
  std::string hypervisor_version;  // may be empty
  MeasuredLaunch measured_launch = MeasuredLaunch::kUnknown;
  std::map<std::string, std::string> labels;
};

struct Evidence {
  Bytes nonce;            // kMinNonceBytes..kMaxNonceBytes
  Bytes quote_attest;     // TPMS_ATTEST as the TPM returned it
  Bytes quote_signature;  // TPMT_SIGNATURE
  Bytes ak_public;        // TPM2B_PUBLIC
  tpm::PcrValues pcrs;    // the values the quote covers
  std::optional<Bytes> srtm_log;
  std::optional<Bytes> drtm_log;
  std::optional<Bytes> vm_log;
  std::optional<uint32_t> reset_count;  // copied from clockInfo, display only
  std::optional<uint32_t> restart_count;
  HostFacts host;
};

// The JSON document (compact, keys in schema order). Internal if a field
// breaks the schema's limits (a bug in the caller, not bad input): nonce
// size, empty or oversize TPM blobs and logs, no PCR values or an SM3 bank
// (the schema has none), host facts outside their limits or not UTF-8.
// Optional members are written only when set (machine_id and labels only
// when non-empty, "tpm" only with a counter). Thread-safe.
Result<std::string> EncodeEvidence(const Evidence& evidence);

// The host object of the evidence and enrollment documents on its own (the
// verifier stores it with the host). Internal if `host` breaks the schema.
Result<std::string> EncodeHostFactsJson(const HostFacts& host);

// Parses and checks a document against the schema's rules: required
// members, types, no unknown members, hex/base64 syntax, digest sizes per
// bank, PCR indices 0-23, size limits. InvalidArgument naming the member
// ("evidence.pcrs.sha256.7: expected 64 lower-case hex digits") for
// anything else; never throws, never reads past `json`. Before parsing it
// refuses documents over kMaxEvidenceDocumentBytes, nesting deeper than 8
// levels and strings that are not UTF-8; duplicate member names are refused
// too. Integers must be written as integers (no fraction or exponent).
// Thread-safe.
Result<Evidence> DecodeEvidence(std::string_view json);

// The member that an InvalidArgument from any decoder of this library names,
// without the document name, for the "field" of an API error document:
// "pcrs.sha256.7" for "evidence.pcrs.sha256.7: expected ...",
// "pcrs[1]" for "evidence_request.pcrs[1]: ...". Empty when the status is
// not such an error or concerns the whole document (size, syntax).
std::string DecodeErrorField(const Status& status);

}  // namespace vouch::protocol

#endif  // VOUCH_CORE_PROTOCOL_EVIDENCE_H_
