// Enrollment and challenge messages between an agent and the verifier
// (docs/protocol.md; schemas/enrollment-*.schema.json, challenge.schema.json).
//
//   agent                                   verifier
//   POST /v1/enrollments  EnrollmentRequest ─►  checks EK cert chain (or an
//                                              allowed EK public), AK attrs,
//                                              MakeCredential(EK, secret,
//                                              AK name)
//                      ◄─ 201 EnrollmentChallenge
//   ActivateCredential(AK, EK) → secret
//   POST /v1/enrollments/{id}/activate  ActivationRequest{proof}  ─►
//                      ◄─ 200 ActivationResult{host_id}
//   POST /v1/hosts/{host_id}/challenges ─►  ◄─ 201 Challenge{nonce}
//   POST /v1/hosts/{host_id}/evidence   Evidence (evidence.h) ─► report
//
// The agent never sends the recovered secret itself: it proves possession
// with ComputeActivationProof (an HMAC keyed by the secret over the
// enrollment id and the AK name), so a recorded exchange reveals nothing
// reusable.
#ifndef VOUCH_CORE_PROTOCOL_ENROLLMENT_H_
#define VOUCH_CORE_PROTOCOL_ENROLLMENT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/protocol/evidence.h"

namespace vouch::protocol {

inline constexpr int kEnrollmentVersion = 1;
inline constexpr size_t kMaxCertificateBytes = 8192;
inline constexpr size_t kMaxIntermediates = 4;
inline constexpr size_t kMaxEnrollmentDocumentBytes = 64 * 1024;
inline constexpr size_t kMaxEnrollmentIdLength = 64;  // [A-Za-z0-9_-]
inline constexpr size_t kActivationProofBytes = 32;   // HMAC-SHA256
// Limit of the small documents (activation request and result, challenge,
// evidence request), refused before parsing when larger. The enrollment
// request and challenge use kMaxEnrollmentDocumentBytes.
inline constexpr size_t kMaxSmallDocumentBytes = 4096;

struct EnrollmentRequest {
  Bytes ek_public;                      // TPM2B_PUBLIC, always present
  std::optional<Bytes> ek_certificate;  // DER, from NV; absent when the TPM has none
  std::vector<Bytes> ek_intermediates;  // DER, optional, at most kMaxIntermediates
  Bytes ak_public;                      // TPM2B_PUBLIC
  HostFacts host;
};

struct EnrollmentChallenge {
  std::string enrollment_id;  // [A-Za-z0-9_-]{1,64}
  Bytes credential_blob;      // TPM2B_ID_OBJECT (crypto::MakeCredential)
  Bytes encrypted_secret;     // TPM2B_ENCRYPTED_SECRET
  std::string expires_at;     // RFC 3339 UTC, e.g. "2026-11-28T09:00:00Z"
};

struct ActivationRequest {
  Bytes proof;  // kActivationProofBytes
};

struct ActivationResult {
  std::string host_id;  // [A-Za-z0-9_-]{1,64}; used in /v1/hosts/{host_id}/...
};

// A verifier challenge for one evidence submission.
struct Challenge {
  Bytes nonce;             // kMinNonceBytes..kMaxNonceBytes
  std::string expires_at;  // RFC 3339 UTC
};

// Whether `id` is a valid enrollment or host id: [A-Za-z0-9_-]{1,64}.
bool IsValidId(std::string_view id);

// HMAC-SHA256(key = secret, message = "vouch-enrollment-v1" || 0x00 ||
// enrollment_id || 0x00 || ak_name), ak_name being the AK's TPM name
// (nameAlg || H(TPMT_PUBLIC)). Both sides compute it; the verifier compares
// in constant time (ConstantTimeEqual). InvalidArgument for an empty secret
// or name, or an enrollment id outside [A-Za-z0-9_-]{1,64} (the alphabet
// keeps the 0x00 separators unambiguous). Thread-safe.
Result<Bytes> ComputeActivationProof(ByteView secret, std::string_view enrollment_id,
                                     ByteView ak_name);

// JSON encodings (compact, keys in schema order). Encoders return Internal
// when a field breaks the schema's limits (a bug in the caller). Decoders
// check the schema's rules and limits (size before parsing, nesting depth,
// UTF-8, duplicate or unknown members, types, hex/base64 syntax and sizes,
// id and timestamp syntax) and return InvalidArgument naming the member
// ("enrollment_request.ek.certificate: ..."); they never throw. All are
// thread-safe.
Result<std::string> EncodeEnrollmentRequest(const EnrollmentRequest& request);
Result<EnrollmentRequest> DecodeEnrollmentRequest(std::string_view json);
Result<std::string> EncodeEnrollmentChallenge(const EnrollmentChallenge& challenge);
Result<EnrollmentChallenge> DecodeEnrollmentChallenge(std::string_view json);
Result<std::string> EncodeActivationRequest(const ActivationRequest& request);
Result<ActivationRequest> DecodeActivationRequest(std::string_view json);
Result<std::string> EncodeActivationResult(const ActivationResult& result);
Result<ActivationResult> DecodeActivationResult(std::string_view json);
Result<std::string> EncodeChallenge(const Challenge& challenge);
Result<Challenge> DecodeChallenge(std::string_view json);

// The agent's pull-mode request (POST /v1/evidence on the agent):
// {"nonce": "<hex>", "pcrs": [0, 1, ...]} ("pcrs" optional: default 0-23).
// The decoder accepts the indices in any order and returns them sorted; an
// empty or repeating list, or an index above 23, is InvalidArgument. The
// encoder writes them sorted and omits "pcrs" when the list is empty.
struct EvidenceRequest {
  Bytes nonce;
  std::vector<uint32_t> pcrs;  // sorted, unique, each < 24; empty = all 24
};
Result<std::string> EncodeEvidenceRequest(const EvidenceRequest& request);
Result<EvidenceRequest> DecodeEvidenceRequest(std::string_view json);

}  // namespace vouch::protocol

#endif  // VOUCH_CORE_PROTOCOL_ENROLLMENT_H_
