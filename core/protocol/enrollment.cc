#include "core/protocol/enrollment.h"

#include <algorithm>
#include <utility>

#include "core/crypto/hmac.h"
#include "core/protocol/json_util.h"
#include "core/tpm/pcr.h"

namespace vouch::protocol {
namespace {

using internal::EncoderError;
using internal::FieldError;
using internal::FindMember;
using internal::Join;
using internal::Json;
using internal::OrderedJson;
using internal::RequireMember;

constexpr std::string_view kEnrollmentRequestDoc = "enrollment_request";
constexpr std::string_view kEnrollmentChallengeDoc = "enrollment_challenge";
constexpr std::string_view kActivationRequestDoc = "activation_request";
constexpr std::string_view kActivationResultDoc = "activation_result";
constexpr std::string_view kChallengeDoc = "challenge";
constexpr std::string_view kEvidenceRequestDoc = "evidence_request";

// Domain separation for the proof: a MAC made for this purpose can never be
// mistaken for one made by another protocol that reuses the secret.
constexpr std::string_view kProofLabel = "vouch-enrollment-v1";

Status CheckEnrollmentRequest(const EnrollmentRequest& r) {
  VOUCH_RETURN_IF_ERROR(internal::CheckByteSize(r.ek_public.size(), "enrollment_request.ek.public",
                                                1, kMaxTpmBlobBytes));
  if (r.ek_certificate) {
    VOUCH_RETURN_IF_ERROR(internal::CheckByteSize(
        r.ek_certificate->size(), "enrollment_request.ek.certificate", 1, kMaxCertificateBytes));
  }
  if (r.ek_intermediates.size() > kMaxIntermediates) {
    return FieldError("enrollment_request.ek.intermediates",
                      "more than " + std::to_string(kMaxIntermediates) + " certificates");
  }
  for (size_t i = 0; i < r.ek_intermediates.size(); ++i) {
    VOUCH_RETURN_IF_ERROR(internal::CheckByteSize(
        r.ek_intermediates[i].size(),
        "enrollment_request.ek.intermediates[" + std::to_string(i) + "]", 1, kMaxCertificateBytes));
  }
  VOUCH_RETURN_IF_ERROR(internal::CheckByteSize(r.ak_public.size(), "enrollment_request.ak.public",
                                                1, kMaxTpmBlobBytes));
  return internal::CheckHostFacts(r.host, "enrollment_request.host");
}

Status CheckEnrollmentChallenge(const EnrollmentChallenge& c) {
  VOUCH_RETURN_IF_ERROR(internal::CheckId(c.enrollment_id, "enrollment_challenge.enrollment_id"));
  VOUCH_RETURN_IF_ERROR(internal::CheckByteSize(
      c.credential_blob.size(), "enrollment_challenge.credential_blob", 1, kMaxTpmBlobBytes));
  VOUCH_RETURN_IF_ERROR(internal::CheckByteSize(
      c.encrypted_secret.size(), "enrollment_challenge.encrypted_secret", 1, kMaxTpmBlobBytes));
  return internal::CheckTimestamp(c.expires_at, "enrollment_challenge.expires_at");
}

// The PCR list of an evidence request: each < 24, no repeats. Returns them
// sorted.
Result<std::vector<uint32_t>> CheckPcrList(std::vector<uint32_t> pcrs, std::string_view path) {
  std::sort(pcrs.begin(), pcrs.end());
  for (size_t i = 0; i < pcrs.size(); ++i) {
    if (pcrs[i] >= tpm::kNumPcrs) return FieldError(path, "PCR indices are 0 to 23");
    if (i > 0 && pcrs[i] == pcrs[i - 1]) {
      return FieldError(path, "PCR " + std::to_string(pcrs[i]) + " listed twice");
    }
  }
  return pcrs;
}

// Reads the single required string member `name` of a flat document.
Result<std::string> RequireString(const Json& doc, std::string_view doc_name,
                                  std::string_view name) {
  VOUCH_ASSIGN_OR_RETURN(const Json* member, RequireMember(doc, doc_name, name));
  return internal::GetString(*member, Join(doc_name, name));
}

}  // namespace

Result<Bytes> ComputeActivationProof(ByteView secret, std::string_view enrollment_id,
                                     ByteView ak_name) {
  if (secret.empty()) return InvalidArgumentError("activation proof: empty secret");
  if (ak_name.empty()) return InvalidArgumentError("activation proof: empty AK name");
  // The id's alphabet excludes 0x00, so the separators make the message
  // unambiguous: no other (id, name) pair gives the same bytes.
  VOUCH_RETURN_IF_ERROR(internal::CheckId(enrollment_id, "activation proof: enrollment id"));
  Bytes message;
  message.reserve(kProofLabel.size() + 2 + enrollment_id.size() + ak_name.size());
  message.insert(message.end(), kProofLabel.begin(), kProofLabel.end());
  message.push_back(0x00);
  message.insert(message.end(), enrollment_id.begin(), enrollment_id.end());
  message.push_back(0x00);
  message.insert(message.end(), ak_name.begin(), ak_name.end());
  return crypto::HmacSha256(secret, message);
}

Result<std::string> EncodeEnrollmentRequest(const EnrollmentRequest& request) {
  if (Status s = CheckEnrollmentRequest(request); !s.ok()) return EncoderError(s);
  OrderedJson doc = OrderedJson::object();
  doc["version"] = kEnrollmentVersion;
  OrderedJson ek = OrderedJson::object();
  ek["public"] = Base64Encode(request.ek_public);
  if (request.ek_certificate) ek["certificate"] = Base64Encode(*request.ek_certificate);
  if (!request.ek_intermediates.empty()) {
    OrderedJson chain = OrderedJson::array();
    for (const Bytes& cert : request.ek_intermediates) chain.push_back(Base64Encode(cert));
    ek["intermediates"] = std::move(chain);
  }
  doc["ek"] = std::move(ek);
  doc["ak"] = {{"public", Base64Encode(request.ak_public)}};
  doc["host"] = internal::EncodeHostFacts(request.host);
  return internal::Dump(doc);
}

Result<EnrollmentRequest> DecodeEnrollmentRequest(std::string_view json) {
  constexpr std::string_view kDoc = kEnrollmentRequestDoc;
  VOUCH_ASSIGN_OR_RETURN(Json doc,
                         internal::ParseDocument(json, kMaxEnrollmentDocumentBytes, kDoc));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(doc, kDoc, {"version", "ek", "ak", "host"}));
  EnrollmentRequest r;

  VOUCH_ASSIGN_OR_RETURN(const Json* version, RequireMember(doc, kDoc, "version"));
  VOUCH_ASSIGN_OR_RETURN(uint64_t v,
                         internal::GetUnsigned(*version, "enrollment_request.version", 1000));
  if (v != kEnrollmentVersion) {
    return FieldError("enrollment_request.version",
                      "unsupported version " + std::to_string(v) + " (this build reads version 1)");
  }

  const std::string ek_path = "enrollment_request.ek";
  VOUCH_ASSIGN_OR_RETURN(const Json* ek, RequireMember(doc, kDoc, "ek"));
  VOUCH_RETURN_IF_ERROR(internal::ExpectObject(*ek, ek_path));
  VOUCH_RETURN_IF_ERROR(
      internal::CheckMembers(*ek, ek_path, {"public", "certificate", "intermediates"}));
  VOUCH_ASSIGN_OR_RETURN(const Json* ek_public, RequireMember(*ek, ek_path, "public"));
  VOUCH_ASSIGN_OR_RETURN(
      r.ek_public, internal::GetBase64(*ek_public, Join(ek_path, "public"), 1, kMaxTpmBlobBytes));
  if (const Json* cert = FindMember(*ek, "certificate")) {
    VOUCH_ASSIGN_OR_RETURN(Bytes der, internal::GetBase64(*cert, Join(ek_path, "certificate"), 1,
                                                          kMaxCertificateBytes));
    r.ek_certificate = std::move(der);
  }
  if (const Json* chain = FindMember(*ek, "intermediates")) {
    const std::string chain_path = Join(ek_path, "intermediates");
    if (!chain->is_array()) {
      return FieldError(chain_path, std::string("expected an array, got ") + chain->type_name());
    }
    if (chain->empty() || chain->size() > kMaxIntermediates) {
      return FieldError(chain_path,
                        "expected 1 to " + std::to_string(kMaxIntermediates) + " certificates");
    }
    for (size_t i = 0; i < chain->size(); ++i) {
      VOUCH_ASSIGN_OR_RETURN(
          Bytes der, internal::GetBase64((*chain)[i], chain_path + "[" + std::to_string(i) + "]", 1,
                                         kMaxCertificateBytes));
      r.ek_intermediates.push_back(std::move(der));
    }
  }

  const std::string ak_path = "enrollment_request.ak";
  VOUCH_ASSIGN_OR_RETURN(const Json* ak, RequireMember(doc, kDoc, "ak"));
  VOUCH_RETURN_IF_ERROR(internal::ExpectObject(*ak, ak_path));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(*ak, ak_path, {"public"}));
  VOUCH_ASSIGN_OR_RETURN(const Json* ak_public, RequireMember(*ak, ak_path, "public"));
  VOUCH_ASSIGN_OR_RETURN(
      r.ak_public, internal::GetBase64(*ak_public, Join(ak_path, "public"), 1, kMaxTpmBlobBytes));

  VOUCH_ASSIGN_OR_RETURN(const Json* host, RequireMember(doc, kDoc, "host"));
  VOUCH_ASSIGN_OR_RETURN(r.host, internal::DecodeHostFacts(*host, "enrollment_request.host"));
  return r;
}

Result<std::string> EncodeEnrollmentChallenge(const EnrollmentChallenge& challenge) {
  if (Status s = CheckEnrollmentChallenge(challenge); !s.ok()) return EncoderError(s);
  OrderedJson doc = OrderedJson::object();
  doc["enrollment_id"] = challenge.enrollment_id;
  doc["credential_blob"] = Base64Encode(challenge.credential_blob);
  doc["encrypted_secret"] = Base64Encode(challenge.encrypted_secret);
  doc["expires_at"] = challenge.expires_at;
  return internal::Dump(doc);
}

Result<EnrollmentChallenge> DecodeEnrollmentChallenge(std::string_view json) {
  constexpr std::string_view kDoc = kEnrollmentChallengeDoc;
  VOUCH_ASSIGN_OR_RETURN(Json doc,
                         internal::ParseDocument(json, kMaxEnrollmentDocumentBytes, kDoc));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(
      doc, kDoc, {"enrollment_id", "credential_blob", "encrypted_secret", "expires_at"}));
  EnrollmentChallenge c;
  VOUCH_ASSIGN_OR_RETURN(c.enrollment_id, RequireString(doc, kDoc, "enrollment_id"));
  VOUCH_RETURN_IF_ERROR(internal::CheckId(c.enrollment_id, Join(kDoc, "enrollment_id")));
  VOUCH_ASSIGN_OR_RETURN(const Json* blob, RequireMember(doc, kDoc, "credential_blob"));
  VOUCH_ASSIGN_OR_RETURN(
      c.credential_blob,
      internal::GetBase64(*blob, Join(kDoc, "credential_blob"), 1, kMaxTpmBlobBytes));
  VOUCH_ASSIGN_OR_RETURN(const Json* secret, RequireMember(doc, kDoc, "encrypted_secret"));
  VOUCH_ASSIGN_OR_RETURN(
      c.encrypted_secret,
      internal::GetBase64(*secret, Join(kDoc, "encrypted_secret"), 1, kMaxTpmBlobBytes));
  VOUCH_ASSIGN_OR_RETURN(c.expires_at, RequireString(doc, kDoc, "expires_at"));
  VOUCH_RETURN_IF_ERROR(internal::CheckTimestamp(c.expires_at, Join(kDoc, "expires_at")));
  return c;
}

Result<std::string> EncodeActivationRequest(const ActivationRequest& request) {
  if (Status s = internal::CheckByteSize(request.proof.size(), "activation_request.proof",
                                         kActivationProofBytes, kActivationProofBytes);
      !s.ok()) {
    return EncoderError(s);
  }
  OrderedJson doc = OrderedJson::object();
  doc["proof"] = HexEncode(request.proof);
  return internal::Dump(doc);
}

Result<ActivationRequest> DecodeActivationRequest(std::string_view json) {
  constexpr std::string_view kDoc = kActivationRequestDoc;
  VOUCH_ASSIGN_OR_RETURN(Json doc, internal::ParseDocument(json, kMaxSmallDocumentBytes, kDoc));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(doc, kDoc, {"proof"}));
  ActivationRequest r;
  VOUCH_ASSIGN_OR_RETURN(const Json* proof, RequireMember(doc, kDoc, "proof"));
  VOUCH_ASSIGN_OR_RETURN(r.proof, internal::GetHex(*proof, Join(kDoc, "proof"),
                                                   kActivationProofBytes, kActivationProofBytes));
  return r;
}

Result<std::string> EncodeActivationResult(const ActivationResult& result) {
  if (Status s = internal::CheckId(result.host_id, "activation_result.host_id"); !s.ok()) {
    return EncoderError(s);
  }
  OrderedJson doc = OrderedJson::object();
  doc["host_id"] = result.host_id;
  return internal::Dump(doc);
}

Result<ActivationResult> DecodeActivationResult(std::string_view json) {
  constexpr std::string_view kDoc = kActivationResultDoc;
  VOUCH_ASSIGN_OR_RETURN(Json doc, internal::ParseDocument(json, kMaxSmallDocumentBytes, kDoc));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(doc, kDoc, {"host_id"}));
  ActivationResult r;
  VOUCH_ASSIGN_OR_RETURN(r.host_id, RequireString(doc, kDoc, "host_id"));
  VOUCH_RETURN_IF_ERROR(internal::CheckId(r.host_id, Join(kDoc, "host_id")));
  return r;
}

Result<std::string> EncodeChallenge(const Challenge& challenge) {
  if (Status s = internal::CheckNonce(challenge.nonce, "challenge.nonce"); !s.ok()) {
    return EncoderError(s);
  }
  if (Status s = internal::CheckTimestamp(challenge.expires_at, "challenge.expires_at"); !s.ok()) {
    return EncoderError(s);
  }
  OrderedJson doc = OrderedJson::object();
  doc["nonce"] = HexEncode(challenge.nonce);
  doc["expires_at"] = challenge.expires_at;
  return internal::Dump(doc);
}

Result<Challenge> DecodeChallenge(std::string_view json) {
  constexpr std::string_view kDoc = kChallengeDoc;
  VOUCH_ASSIGN_OR_RETURN(Json doc, internal::ParseDocument(json, kMaxSmallDocumentBytes, kDoc));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(doc, kDoc, {"nonce", "expires_at"}));
  Challenge c;
  VOUCH_ASSIGN_OR_RETURN(const Json* nonce, RequireMember(doc, kDoc, "nonce"));
  VOUCH_ASSIGN_OR_RETURN(
      c.nonce, internal::GetHex(*nonce, Join(kDoc, "nonce"), kMinNonceBytes, kMaxNonceBytes));
  VOUCH_ASSIGN_OR_RETURN(c.expires_at, RequireString(doc, kDoc, "expires_at"));
  VOUCH_RETURN_IF_ERROR(internal::CheckTimestamp(c.expires_at, Join(kDoc, "expires_at")));
  return c;
}

Result<std::string> EncodeEvidenceRequest(const EvidenceRequest& request) {
  if (Status s = internal::CheckNonce(request.nonce, "evidence_request.nonce"); !s.ok()) {
    return EncoderError(s);
  }
  Result<std::vector<uint32_t>> pcrs = CheckPcrList(request.pcrs, "evidence_request.pcrs");
  if (!pcrs) return EncoderError(pcrs.error());
  OrderedJson doc = OrderedJson::object();
  doc["nonce"] = HexEncode(request.nonce);
  if (!pcrs->empty()) doc["pcrs"] = *pcrs;
  return internal::Dump(doc);
}

Result<EvidenceRequest> DecodeEvidenceRequest(std::string_view json) {
  constexpr std::string_view kDoc = kEvidenceRequestDoc;
  VOUCH_ASSIGN_OR_RETURN(Json doc, internal::ParseDocument(json, kMaxSmallDocumentBytes, kDoc));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(doc, kDoc, {"nonce", "pcrs"}));
  EvidenceRequest r;
  VOUCH_ASSIGN_OR_RETURN(const Json* nonce, RequireMember(doc, kDoc, "nonce"));
  VOUCH_ASSIGN_OR_RETURN(
      r.nonce, internal::GetHex(*nonce, Join(kDoc, "nonce"), kMinNonceBytes, kMaxNonceBytes));
  if (const Json* pcrs = FindMember(doc, "pcrs")) {
    const std::string path = Join(kDoc, "pcrs");
    if (!pcrs->is_array()) {
      return FieldError(path, std::string("expected an array, got ") + pcrs->type_name());
    }
    // An explicit empty list would read as "all PCRs"; omitting the member
    // says that unambiguously.
    if (pcrs->empty() || pcrs->size() > tpm::kNumPcrs) {
      return FieldError(path, "expected 1 to 24 PCR indices (omit the member for all)");
    }
    std::vector<uint32_t> list;
    for (size_t i = 0; i < pcrs->size(); ++i) {
      VOUCH_ASSIGN_OR_RETURN(uint64_t index,
                             internal::GetUnsigned((*pcrs)[i], path + "[" + std::to_string(i) + "]",
                                                   tpm::kNumPcrs - 1));
      list.push_back(static_cast<uint32_t>(index));
    }
    VOUCH_ASSIGN_OR_RETURN(r.pcrs, CheckPcrList(std::move(list), path));
  }
  return r;
}

bool IsValidId(std::string_view id) { return internal::CheckId(id, "id").ok(); }

}  // namespace vouch::protocol
