// The registrar: the verifier's side of enrollment (docs/protocol.md). Pure
// logic over core's crypto: no store, no HTTP, no clock reads. The HTTP
// layer stores the EnrollmentRecord StartEnrollment returns and later hands
// it back with the agent's proof.
//
// Security: the credential secret exists only inside StartEnrollment. The
// record keeps the proof the agent must send, HMAC(secret, ...) of
// protocol::ComputeActivationProof (in EnrollmentRecord::secret_digest), so
// a leaked enrollment row reveals no secret and answers no other enrollment.
#ifndef VOUCH_VERIFIER_REGISTRAR_REGISTRAR_H_
#define VOUCH_VERIFIER_REGISTRAR_REGISTRAR_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/finding.h"
#include "core/base/status.h"
#include "core/crypto/random.h"
#include "core/crypto/x509.h"
#include "core/protocol/enrollment.h"
#include "verifier/store/store.h"

namespace vouch::verifier {

struct RegistrarOptions {
  // Roots (and intermediates) EK certificates must chain to.
  const crypto::CaStore* ek_cas = nullptr;
  // Extra untrusted intermediates the operator configured (vendor CAs that
  // TPMs do not carry), used with the request's own.
  std::vector<crypto::Certificate> intermediates;
  // EK public areas (TPM2B_PUBLIC) accepted without a certificate (TPMs
  // without one, e.g. some virtual TPMs); compared byte for byte.
  std::vector<Bytes> allowed_ek_publics;
  std::chrono::seconds challenge_lifetime{300};
};

struct StartedEnrollment {
  EnrollmentRecord record;                  // to store
  protocol::EnrollmentChallenge challenge;  // to answer with (201)
};

// Checks the request and makes the credential challenge:
//  - EK: the certificate chains to options.ek_cas at `now` (with the
//    request's and the configured intermediates) and certifies exactly the
//    key of ek_public; or, without a certificate, ek_public is one of
//    allowed_ek_publics. PermissionDenied naming what failed otherwise.
//  - AK: decodes, is a restricted signing key (fixedTPM, fixedParent,
//    sensitiveDataOrigin), else InvalidArgument.
//  - MakeCredential(EK, random 32-byte secret, AK name); the record keeps
//    the expected proof, never the secret.
//  - The record's host_facts_json is the request's host object re-encoded.
// `id` is the enrollment id the caller chose ([A-Za-z0-9_-]{1,64}).
// FailedPrecondition for an EK type MakeCredential does not support (ECC).
Result<StartedEnrollment> StartEnrollment(const protocol::EnrollmentRequest& request,
                                          const std::string& id, const RegistrarOptions& options,
                                          crypto::RandomSource& random,
                                          std::chrono::system_clock::time_point now);

// Checks the agent's proof against the record: OK when it matches (constant
// time) and the record has not expired at `now` nor been activated;
// PermissionDenied ("proof of possession failed", "enrollment expired",
// "already activated") otherwise.
Status CompleteEnrollment(const EnrollmentRecord& record,
                          const protocol::ActivationRequest& activation,
                          std::chrono::system_clock::time_point now);

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_REGISTRAR_REGISTRAR_H_
