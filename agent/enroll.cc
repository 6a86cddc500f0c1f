#include "agent/enroll.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace vouch::agent {
namespace {

using json = nlohmann::json;

// Overwrites a secret so it does not linger in freed memory. The volatile
// pointer keeps the compiler from dropping stores to a dying buffer.
void Wipe(Bytes& secret) {
  volatile uint8_t* p = secret.data();
  for (size_t i = 0; i < secret.size(); ++i) p[i] = 0;
  secret.clear();
}

// [A-Za-z0-9_-]{1,64}, the protocol's id syntax.
bool IsId(std::string_view id) {
  if (id.empty() || id.size() > protocol::kMaxEnrollmentIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status Corrupt(std::string_view member, std::string_view why) {
  return DataLossError("enrollment record: " + std::string(member) + ": " + std::string(why));
}

Result<std::string> GetString(const json& doc, const char* member) {
  auto it = doc.find(member);
  if (it == doc.end()) return Corrupt(member, "missing");
  if (!it->is_string()) return Corrupt(member, "expected a string");
  return it->get<std::string>();
}

}  // namespace

Result<protocol::EnrollmentRequest> BuildEnrollmentRequest(tpm_device::TpmDevice& device,
                                                           const LoadedAk& ak,
                                                           const protocol::HostFacts& facts) {
  if (!ak.ek.valid() || !ak.ak.valid()) {
    return FailedPreconditionError("enrollment request: the EK and AK must be loaded");
  }
  protocol::EnrollmentRequest request;
  request.ek_public = ak.ek.public_area();
  request.ak_public = ak.record.blob.public_area;
  request.host = facts;

  const uint32_t nv_index = ak.record.ek_kind == tpm_device::EkKind::kRsa
                                ? tpm_device::kRsaEkCertNvIndex
                                : tpm_device::kEccEkCertNvIndex;
  Result<Bytes> cert = device.ReadNv(nv_index);
  if (cert.has_value()) {
    // A certificate beyond the protocol's limit cannot be sent; say so here
    // rather than as an encoder failure.
    if (cert->size() > protocol::kMaxCertificateBytes) {
      char index[16];
      std::snprintf(index, sizeof(index), "0x%08x", nv_index);
      return FailedPreconditionError("EK certificate in NV index " + std::string(index) + " is " +
                                     std::to_string(cert->size()) +
                                     " bytes, more than the protocol's " +
                                     std::to_string(protocol::kMaxCertificateBytes));
    }
    request.ek_certificate = std::move(*cert);
  } else if (cert.error().code() != Code::kNotFound) {
    return cert.error().WithContext("read EK certificate");
  }
  return request;
}

Result<protocol::ActivationRequest> AnswerChallenge(
    tpm_device::TpmDevice& device, const LoadedAk& ak,
    const protocol::EnrollmentChallenge& challenge) {
  if (!IsId(challenge.enrollment_id)) {
    return InvalidArgumentError(
        "enrollment challenge: enrollment_id must match [A-Za-z0-9_-]{1,64}");
  }
  if (challenge.credential_blob.empty() || challenge.encrypted_secret.empty()) {
    return InvalidArgumentError("enrollment challenge: empty credential");
  }
  Result<Bytes> secret = device.ActivateCredential(ak.ak, ak.ek, challenge.credential_blob,
                                                   challenge.encrypted_secret);
  if (!secret.has_value()) {
    return secret.error().WithContext(
        "activate the verifier's credential (not made for this TPM's EK and this AK?)");
  }
  Result<Bytes> proof =
      protocol::ComputeActivationProof(*secret, challenge.enrollment_id, ak.record.name);
  Wipe(*secret);
  if (!proof.has_value()) return proof.error().WithContext("activation proof");
  return protocol::ActivationRequest{std::move(*proof)};
}

Status SaveEnrollment(const StateDir& state, const EnrollmentState& enrollment) {
  if (!IsId(enrollment.host_id)) {
    return InvalidArgumentError("host_id must match [A-Za-z0-9_-]{1,64}");
  }
  if (enrollment.ak_name.empty()) return InvalidArgumentError("ak_name is empty");
  json doc = json::object();
  doc["host_id"] = enrollment.host_id;
  doc["verifier_url"] = enrollment.verifier_url;
  doc["enrolled_at"] = enrollment.enrolled_at;
  doc["ak_name"] = HexEncode(enrollment.ak_name);
  // Strings may hold anything a caller passed; replace invalid UTF-8 rather
  // than let dump() throw.
  const std::string text = doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  return state.WriteAtomic(kEnrollmentFile, AsBytes(text))
      .WithContext("write " + state.FilePath(kEnrollmentFile));
}

Result<std::optional<EnrollmentState>> LoadEnrollment(const StateDir& state) {
  VOUCH_ASSIGN_OR_RETURN(std::optional<Bytes> data, state.Read(kEnrollmentFile));
  if (!data.has_value()) return std::optional<EnrollmentState>();
  const std::string path = state.FilePath(kEnrollmentFile);
  const json doc = json::parse(data->begin(), data->end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return DataLossError(path + ": enrollment record: not a JSON object");
  }
  EnrollmentState out;
  Status status = [&]() -> Status {
    VOUCH_ASSIGN_OR_RETURN(out.host_id, GetString(doc, "host_id"));
    if (!IsId(out.host_id)) return Corrupt("host_id", "expected [A-Za-z0-9_-]{1,64}");
    VOUCH_ASSIGN_OR_RETURN(out.verifier_url, GetString(doc, "verifier_url"));
    VOUCH_ASSIGN_OR_RETURN(out.enrolled_at, GetString(doc, "enrolled_at"));
    VOUCH_ASSIGN_OR_RETURN(std::string name_hex, GetString(doc, "ak_name"));
    Result<Bytes> name = HexDecode(name_hex);
    if (!name.has_value() || name->empty()) return Corrupt("ak_name", "expected hex");
    out.ak_name = std::move(*name);
    return Status::Ok();
  }();
  if (!status.ok()) return status.WithContext(path);
  return std::optional<EnrollmentState>(std::move(out));
}

}  // namespace vouch::agent
