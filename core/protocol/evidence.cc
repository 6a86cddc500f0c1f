#include "core/protocol/evidence.h"

#include <utility>

#include "core/protocol/json_util.h"

namespace vouch::protocol {
namespace {

using internal::EncoderError;
using internal::FieldError;
using internal::FindMember;
using internal::Join;
using internal::Json;
using internal::OrderedJson;
using internal::RequireMember;

constexpr std::string_view kDoc = "evidence";
// The banks the schema knows, in its order (SM3 has no member there).
constexpr HashAlg kBanks[] = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512};

bool IsSchemaBank(HashAlg alg) {
  for (HashAlg b : kBanks) {
    if (b == alg) return true;
  }
  return false;
}

// "0".."23" without leading zeros (the schema's propertyNames pattern).
std::optional<uint32_t> ParsePcrIndex(std::string_view text) {
  if (text.empty() || text.size() > 2 || (text.size() == 2 && text[0] == '0')) return std::nullopt;
  uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v >= tpm::kNumPcrs) return std::nullopt;
  return v;
}

Status CheckEvidence(const Evidence& e) {
  VOUCH_RETURN_IF_ERROR(internal::CheckNonce(e.nonce, Join(kDoc, "nonce")));
  VOUCH_RETURN_IF_ERROR(
      internal::CheckByteSize(e.quote_attest.size(), "evidence.quote.attest", 1, kMaxTpmBlobBytes));
  VOUCH_RETURN_IF_ERROR(internal::CheckByteSize(e.quote_signature.size(),
                                                "evidence.quote.signature", 1, kMaxTpmBlobBytes));
  VOUCH_RETURN_IF_ERROR(
      internal::CheckByteSize(e.ak_public.size(), "evidence.ak.public", 1, kMaxTpmBlobBytes));
  if (e.pcrs.empty()) return FieldError("evidence.pcrs", "no PCR values");
  for (const auto& [bank, values] : e.pcrs.banks()) {
    if (!IsSchemaBank(bank)) {
      return FieldError(Join("evidence.pcrs", HashAlgName(bank)), "bank not in the schema");
    }
    if (values.empty()) return FieldError(Join("evidence.pcrs", HashAlgName(bank)), "empty bank");
  }
  if (e.srtm_log) {
    VOUCH_RETURN_IF_ERROR(
        internal::CheckByteSize(e.srtm_log->size(), "evidence.logs.srtm", 0, kMaxSrtmLogBytes));
  }
  if (e.drtm_log) {
    VOUCH_RETURN_IF_ERROR(
        internal::CheckByteSize(e.drtm_log->size(), "evidence.logs.drtm", 0, kMaxDrtmLogBytes));
  }
  if (e.vm_log) {
    VOUCH_RETURN_IF_ERROR(
        internal::CheckByteSize(e.vm_log->size(), "evidence.logs.vm", 0, kMaxVmLogBytes));
  }
  return internal::CheckHostFacts(e.host, Join(kDoc, "host"));
}

Result<tpm::PcrValues> DecodePcrs(const Json& value, std::string_view path) {
  VOUCH_RETURN_IF_ERROR(internal::ExpectObject(value, path));
  VOUCH_RETURN_IF_ERROR(
      internal::CheckMembers(value, path, {"sha1", "sha256", "sha384", "sha512"}));
  if (value.empty()) return FieldError(path, "no PCR bank");
  tpm::PcrValues pcrs;
  for (HashAlg bank : kBanks) {
    const Json* values = FindMember(value, HashAlgName(bank));
    if (values == nullptr) continue;
    const std::string bank_path = Join(path, HashAlgName(bank));
    VOUCH_RETURN_IF_ERROR(internal::ExpectObject(*values, bank_path));
    if (values->empty()) return FieldError(bank_path, "no PCR value");
    // At most 24 members follows from the index check (names are unique).
    for (const auto& [key, digest] : values->items()) {
      const std::string pcr_path = Join(bank_path, key);
      std::optional<uint32_t> index = ParsePcrIndex(key);
      if (!index) return FieldError(pcr_path, "PCR index must be 0 to 23, without leading zeros");
      VOUCH_ASSIGN_OR_RETURN(
          Bytes bytes, internal::GetHex(digest, pcr_path, DigestSize(bank), DigestSize(bank)));
      // Cannot fail: index and size were checked above.
      VOUCH_RETURN_IF_ERROR(pcrs.Set(bank, *index, std::move(bytes)));
    }
  }
  return pcrs;
}

Result<std::optional<Bytes>> DecodeLog(const Json& logs, std::string_view path,
                                       std::string_view name, size_t max_bytes) {
  const Json* log = FindMember(logs, name);
  if (log == nullptr) return std::optional<Bytes>();
  VOUCH_ASSIGN_OR_RETURN(Bytes bytes, internal::GetBase64(*log, Join(path, name), 0, max_bytes));
  return std::optional<Bytes>(std::move(bytes));
}

}  // namespace

std::string_view HypervisorKindName(HypervisorKind kind) {
  switch (kind) {
    case HypervisorKind::kUnknown: return "unknown";
    case HypervisorKind::kXen: return "xen";
    case HypervisorKind::kKvm: return "kvm";
    case HypervisorKind::kNone: return "none";
  }
  return "unknown";
}

std::string_view MeasuredLaunchName(MeasuredLaunch launch) {
  switch (launch) {
    case MeasuredLaunch::kUnknown: return "unknown";
    case MeasuredLaunch::kTxt: return "txt";
    case MeasuredLaunch::kEmulated: return "emulated";
    case MeasuredLaunch::kNone: return "none";
  }
  return "unknown";
}

std::string DecodeErrorField(const Status& status) {
  if (status.code() != Code::kInvalidArgument) return "";
  const std::string& message = status.message();
  const size_t colon = message.find(": ");
  if (colon == std::string::npos) return "";
  std::string_view path = std::string_view(message).substr(0, colon);
  // Every document name the decoders use (json_util.h's path convention).
  for (std::string_view doc :
       {"evidence", "enrollment_request", "enrollment_challenge", "activation_request",
        "activation_result", "challenge", "evidence_request", "launch_decision_request",
        "launch_decision", "vm_log_record"}) {
    if (path.size() <= doc.size() || path.substr(0, doc.size()) != doc) continue;
    if (path[doc.size()] == '.') return std::string(path.substr(doc.size() + 1));
    if (path[doc.size()] == '[') return std::string(path.substr(doc.size()));
  }
  return "";
}

Result<std::string> EncodeEvidence(const Evidence& evidence) {
  if (Status s = CheckEvidence(evidence); !s.ok()) return EncoderError(s);
  OrderedJson doc = OrderedJson::object();
  doc["version"] = kEvidenceVersion;
  doc["nonce"] = HexEncode(evidence.nonce);
  doc["quote"] = {{"attest", Base64Encode(evidence.quote_attest)},
                  {"signature", Base64Encode(evidence.quote_signature)}};
  doc["ak"] = {{"public", Base64Encode(evidence.ak_public)}};
  OrderedJson pcrs = OrderedJson::object();
  for (HashAlg bank : kBanks) {
    auto it = evidence.pcrs.banks().find(bank);
    if (it == evidence.pcrs.banks().end()) continue;
    OrderedJson values = OrderedJson::object();
    for (const auto& [index, value] : it->second) values[std::to_string(index)] = HexEncode(value);
    pcrs[std::string(HashAlgName(bank))] = std::move(values);
  }
  doc["pcrs"] = std::move(pcrs);
  OrderedJson logs = OrderedJson::object();
  if (evidence.srtm_log) logs["srtm"] = Base64Encode(*evidence.srtm_log);
  if (evidence.drtm_log) logs["drtm"] = Base64Encode(*evidence.drtm_log);
  if (evidence.vm_log) logs["vm"] = Base64Encode(*evidence.vm_log);
  doc["logs"] = std::move(logs);
  if (evidence.reset_count || evidence.restart_count) {
    OrderedJson tpm = OrderedJson::object();
    if (evidence.reset_count) tpm["reset_count"] = *evidence.reset_count;
    if (evidence.restart_count) tpm["restart_count"] = *evidence.restart_count;
    doc["tpm"] = std::move(tpm);
  }
  doc["host"] = internal::EncodeHostFacts(evidence.host);
  return internal::Dump(doc);
}

Result<Evidence> DecodeEvidence(std::string_view json) {
  VOUCH_ASSIGN_OR_RETURN(Json doc, internal::ParseDocument(json, kMaxEvidenceDocumentBytes, kDoc));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(
      doc, kDoc, {"version", "nonce", "quote", "ak", "pcrs", "logs", "tpm", "host"}));
  Evidence e;

  VOUCH_ASSIGN_OR_RETURN(const Json* version, RequireMember(doc, kDoc, "version"));
  VOUCH_ASSIGN_OR_RETURN(uint64_t v, internal::GetUnsigned(*version, "evidence.version", 1000));
  if (v != kEvidenceVersion) {
    return FieldError("evidence.version",
                      "unsupported version " + std::to_string(v) + " (this build reads version 1)");
  }

  VOUCH_ASSIGN_OR_RETURN(const Json* nonce, RequireMember(doc, kDoc, "nonce"));
  VOUCH_ASSIGN_OR_RETURN(
      e.nonce, internal::GetHex(*nonce, "evidence.nonce", kMinNonceBytes, kMaxNonceBytes));

  VOUCH_ASSIGN_OR_RETURN(const Json* quote, RequireMember(doc, kDoc, "quote"));
  VOUCH_RETURN_IF_ERROR(internal::ExpectObject(*quote, "evidence.quote"));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(*quote, "evidence.quote", {"attest", "signature"}));
  VOUCH_ASSIGN_OR_RETURN(const Json* attest, RequireMember(*quote, "evidence.quote", "attest"));
  VOUCH_ASSIGN_OR_RETURN(
      e.quote_attest, internal::GetBase64(*attest, "evidence.quote.attest", 1, kMaxTpmBlobBytes));
  VOUCH_ASSIGN_OR_RETURN(const Json* signature,
                         RequireMember(*quote, "evidence.quote", "signature"));
  VOUCH_ASSIGN_OR_RETURN(
      e.quote_signature,
      internal::GetBase64(*signature, "evidence.quote.signature", 1, kMaxTpmBlobBytes));

  VOUCH_ASSIGN_OR_RETURN(const Json* ak, RequireMember(doc, kDoc, "ak"));
  VOUCH_RETURN_IF_ERROR(internal::ExpectObject(*ak, "evidence.ak"));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(*ak, "evidence.ak", {"public"}));
  VOUCH_ASSIGN_OR_RETURN(const Json* ak_public, RequireMember(*ak, "evidence.ak", "public"));
  VOUCH_ASSIGN_OR_RETURN(
      e.ak_public, internal::GetBase64(*ak_public, "evidence.ak.public", 1, kMaxTpmBlobBytes));

  VOUCH_ASSIGN_OR_RETURN(const Json* pcrs, RequireMember(doc, kDoc, "pcrs"));
  VOUCH_ASSIGN_OR_RETURN(e.pcrs, DecodePcrs(*pcrs, "evidence.pcrs"));

  VOUCH_ASSIGN_OR_RETURN(const Json* logs, RequireMember(doc, kDoc, "logs"));
  VOUCH_RETURN_IF_ERROR(internal::ExpectObject(*logs, "evidence.logs"));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(*logs, "evidence.logs", {"srtm", "drtm", "vm"}));
  VOUCH_ASSIGN_OR_RETURN(e.srtm_log, DecodeLog(*logs, "evidence.logs", "srtm", kMaxSrtmLogBytes));
  VOUCH_ASSIGN_OR_RETURN(e.drtm_log, DecodeLog(*logs, "evidence.logs", "drtm", kMaxDrtmLogBytes));
  VOUCH_ASSIGN_OR_RETURN(e.vm_log, DecodeLog(*logs, "evidence.logs", "vm", kMaxVmLogBytes));

  if (const Json* tpm = FindMember(doc, "tpm")) {
    VOUCH_RETURN_IF_ERROR(internal::ExpectObject(*tpm, "evidence.tpm"));
    VOUCH_RETURN_IF_ERROR(
        internal::CheckMembers(*tpm, "evidence.tpm", {"reset_count", "restart_count"}));
    if (const Json* reset = FindMember(*tpm, "reset_count")) {
      VOUCH_ASSIGN_OR_RETURN(uint64_t n,
                             internal::GetUnsigned(*reset, "evidence.tpm.reset_count", UINT32_MAX));
      e.reset_count = static_cast<uint32_t>(n);
    }
    if (const Json* restart = FindMember(*tpm, "restart_count")) {
      VOUCH_ASSIGN_OR_RETURN(
          uint64_t n, internal::GetUnsigned(*restart, "evidence.tpm.restart_count", UINT32_MAX));
      e.restart_count = static_cast<uint32_t>(n);
    }
  }

  VOUCH_ASSIGN_OR_RETURN(const Json* host, RequireMember(doc, kDoc, "host"));
  VOUCH_ASSIGN_OR_RETURN(e.host, internal::DecodeHostFacts(*host, "evidence.host"));
  return e;
}

Result<std::string> EncodeHostFactsJson(const HostFacts& host) {
  if (Status s = internal::CheckHostFacts(host, "host"); !s.ok()) return EncoderError(s);
  return internal::Dump(internal::EncodeHostFacts(host));
}

}  // namespace vouch::protocol
