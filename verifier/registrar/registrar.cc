#include "verifier/registrar/registrar.h"

#include <algorithm>
#include <array>
#include <ctime>
#include <string>
#include <utility>

#include "core/base/time_format.h"
#include "core/crypto/make_credential.h"
#include "core/crypto/public_key.h"
#include "core/tpm/public.h"

namespace vouch::verifier {

namespace {

constexpr size_t kSecretBytes = 32;

Status CheckEk(const protocol::EnrollmentRequest& request, const tpm::TpmPublic& ek,
               const RegistrarOptions& options, std::chrono::system_clock::time_point now) {
  if (!request.ek_certificate.has_value()) {
    bool allowed = std::any_of(options.allowed_ek_publics.begin(), options.allowed_ek_publics.end(),
                               [&](const Bytes& b) { return b == request.ek_public; });
    if (!allowed) {
      return Status(Code::kPermissionDenied,
                    "the host sent no EK certificate and its EK public is not in the allowed "
                    "list (EK name " +
                        HexEncode(ek.name()) + ")");
    }
    return Status::Ok();
  }
  if (options.ek_cas == nullptr) {
    return Status(Code::kFailedPrecondition, "no EK CA directory is configured");
  }
  VOUCH_ASSIGN_OR_RETURN_CTX(crypto::Certificate cert,
                             crypto::Certificate::FromDer(*request.ek_certificate),
                             "EK certificate");
  std::vector<crypto::Certificate> intermediates = options.intermediates;
  for (const Bytes& der : request.ek_intermediates) {
    VOUCH_ASSIGN_OR_RETURN_CTX(crypto::Certificate c, crypto::Certificate::FromDer(der),
                               "EK intermediate certificate");
    intermediates.push_back(std::move(c));
  }
  VOUCH_RETURN_IF_ERROR_CTX(crypto::VerifyChain(cert, intermediates, *options.ek_cas, now),
                            "EK certificate " + cert.Subject());
  VOUCH_ASSIGN_OR_RETURN(crypto::PublicKey cert_key, cert.Key());
  if (cert_key.ToSpkiDer() != ek.key().ToSpkiDer()) {
    return Status(Code::kPermissionDenied,
                  "the EK certificate certifies another key than the EK public sent");
  }
  return Status::Ok();
}

}  // namespace

Result<StartedEnrollment> StartEnrollment(const protocol::EnrollmentRequest& request,
                                          const std::string& id, const RegistrarOptions& options,
                                          crypto::RandomSource& random,
                                          std::chrono::system_clock::time_point now) {
  VOUCH_ASSIGN_OR_RETURN_CTX(tpm::TpmPublic ek, tpm::TpmPublic::DecodeTpm2b(request.ek_public),
                             "EK public");
  VOUCH_ASSIGN_OR_RETURN_CTX(tpm::TpmPublic ak, tpm::TpmPublic::DecodeTpm2b(request.ak_public),
                             "AK public");
  if (!ak.IsRestrictedSigningKey()) {
    return Status(Code::kInvalidArgument,
                  "the AK is not a restricted signing key created in the TPM (restricted, "
                  "sign, fixedTPM, fixedParent, sensitiveDataOrigin)");
  }
  VOUCH_RETURN_IF_ERROR(CheckEk(request, ek, options, now));

  Bytes secret(kSecretBytes);
  VOUCH_RETURN_IF_ERROR(random.Fill(secret));
  VOUCH_ASSIGN_OR_RETURN_CTX(
      crypto::MadeCredential made,
      crypto::MakeCredential(ek.key(), ek.name_alg(), ak.name(), secret, random), "MakeCredential");
  VOUCH_ASSIGN_OR_RETURN(Bytes proof, protocol::ComputeActivationProof(secret, id, ak.name()));
  std::fill(secret.begin(), secret.end(), 0);

  StartedEnrollment started;
  EnrollmentRecord& r = started.record;
  r.id = id;
  r.ek_public = request.ek_public;
  r.ek_certificate = request.ek_certificate.value_or(Bytes());
  r.ak_public = request.ak_public;
  r.ak_name = ak.name();
  r.secret_digest = std::move(proof);
  VOUCH_ASSIGN_OR_RETURN(r.host_facts_json, protocol::EncodeHostFactsJson(request.host));
  r.created_at = now;
  r.expires_at = now + options.challenge_lifetime;
  protocol::EnrollmentChallenge& c = started.challenge;
  c.enrollment_id = id;
  c.credential_blob = std::move(made.credential_blob);
  c.encrypted_secret = std::move(made.encrypted_secret);
  c.expires_at = FormatRfc3339Utc(r.expires_at);
  return started;
}

Status CompleteEnrollment(const EnrollmentRecord& record,
                          const protocol::ActivationRequest& activation,
                          std::chrono::system_clock::time_point now) {
  if (record.host_id.has_value()) {
    return Status(Code::kPermissionDenied, "enrollment " + record.id + " is already activated");
  }
  if (now > record.expires_at) {
    return Status(Code::kPermissionDenied, "enrollment " + record.id + " expired; start a new one");
  }
  if (record.secret_digest.empty() || !ConstantTimeEqual(record.secret_digest, activation.proof)) {
    return Status(Code::kPermissionDenied,
                  "proof of possession failed: the AK and EK are not in one TPM, or the "
                  "answer is for another enrollment");
  }
  return Status::Ok();
}

}  // namespace vouch::verifier
