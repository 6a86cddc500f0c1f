#include "core/protocol/decision.h"

#include <utility>

#include "core/protocol/finding_json.h"
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

constexpr std::string_view kRequestDoc = "launch_decision_request";
constexpr std::string_view kDecisionDoc = "launch_decision";

std::string Index(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

Result<std::string> RequireString(const Json& object, std::string_view path,
                                  std::string_view name) {
  VOUCH_ASSIGN_OR_RETURN(const Json* member, RequireMember(object, path, name));
  return internal::GetString(*member, Join(path, name));
}

Result<const Json*> RequireArray(const Json& object, std::string_view path, std::string_view name) {
  VOUCH_ASSIGN_OR_RETURN(const Json* member, RequireMember(object, path, name));
  if (!member->is_array()) {
    return FieldError(Join(path, name),
                      std::string("expected an array, got ") + member->type_name());
  }
  return member;
}

// --- The VM object {"id", "name"} of both documents ---

Status CheckVm(std::string_view id, std::string_view name, std::string_view path) {
  VOUCH_RETURN_IF_ERROR(CheckVmId(id, Join(path, "id")));
  return CheckVmName(name, Join(path, "name"));
}

OrderedJson EncodeVm(std::string_view id, std::string_view name) {
  OrderedJson vm = OrderedJson::object();
  vm["id"] = id;
  vm["name"] = name;
  return vm;
}

Status DecodeVm(const Json& doc, std::string_view doc_name, std::string& id, std::string& name) {
  const std::string path = Join(doc_name, "vm");
  VOUCH_ASSIGN_OR_RETURN(const Json* vm, RequireMember(doc, doc_name, "vm"));
  VOUCH_RETURN_IF_ERROR(internal::ExpectObject(*vm, path));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(*vm, path, {"id", "name"}));
  VOUCH_ASSIGN_OR_RETURN(id, RequireString(*vm, path, "id"));
  VOUCH_ASSIGN_OR_RETURN(name, RequireString(*vm, path, "name"));
  return CheckVm(id, name, path);
}

// --- Measurements ---

Status CheckMeasurement(const LaunchMeasurement& m, std::string_view path) {
  VOUCH_RETURN_IF_ERROR(CheckVmPath(m.path, Join(path, "path")));
  if (m.size > kMaxVmLogInteger) {
    return FieldError(Join(path, "size"), "must be at most " + std::to_string(kMaxVmLogInteger));
  }
  return CheckVmDigests(m.digests, Join(path, "digests"));
}

Status CheckRequest(const LaunchDecisionRequest& r) {
  VOUCH_RETURN_IF_ERROR(internal::CheckId(r.host_id, Join(kRequestDoc, "host")));
  VOUCH_RETURN_IF_ERROR(CheckVm(r.vm_id, r.vm_name, Join(kRequestDoc, "vm")));
  const std::string path = Join(kRequestDoc, "measurements");
  if (r.measurements.empty() || r.measurements.size() > kMaxLaunchMeasurements) {
    return FieldError(path, "expected 1 to " + std::to_string(kMaxLaunchMeasurements) +
                                " measurements, got " + std::to_string(r.measurements.size()));
  }
  for (size_t i = 0; i < r.measurements.size(); ++i) {
    VOUCH_RETURN_IF_ERROR(CheckMeasurement(r.measurements[i], Index(path, i)));
  }
  return Status::Ok();
}

OrderedJson EncodeMeasurement(const LaunchMeasurement& m) {
  OrderedJson out = OrderedJson::object();
  out["component"] = std::string(VmComponentName(m.component));
  out["path"] = m.path;
  out["size"] = m.size;
  out["digests"] = internal::EncodeVmDigests(m.digests);
  return out;
}

Result<LaunchMeasurement> DecodeMeasurement(const Json& value, std::string_view path) {
  VOUCH_RETURN_IF_ERROR(internal::ExpectObject(value, path));
  VOUCH_RETURN_IF_ERROR(
      internal::CheckMembers(value, path, {"component", "path", "size", "digests"}));
  LaunchMeasurement m;
  VOUCH_ASSIGN_OR_RETURN(std::string component, RequireString(value, path, "component"));
  std::optional<VmComponent> c = ParseVmComponent(component);
  if (!c) {
    return FieldError(Join(path, "component"),
                      "unknown component (expected disk, kernel, initrd, firmware or config)");
  }
  m.component = *c;
  VOUCH_ASSIGN_OR_RETURN(m.path, RequireString(value, path, "path"));
  VOUCH_ASSIGN_OR_RETURN(const Json* size, RequireMember(value, path, "size"));
  VOUCH_ASSIGN_OR_RETURN(m.size,
                         internal::GetUnsigned(*size, Join(path, "size"), kMaxVmLogInteger));
  VOUCH_ASSIGN_OR_RETURN(const Json* digests, RequireMember(value, path, "digests"));
  VOUCH_ASSIGN_OR_RETURN(m.digests, internal::DecodeVmDigests(*digests, Join(path, "digests")));
  VOUCH_RETURN_IF_ERROR(CheckMeasurement(m, path));
  return m;
}

// --- Reasons (findings) ---

// ^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$ (report.schema.json's finding id).
bool IsFindingId(std::string_view id) {
  if (id.empty() || id.size() > kMaxFindingIdLength || id[0] < 'a' || id[0] > 'z') return false;
  bool dotted = false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (c == '.') {
      if (i + 1 == id.size() || id[i + 1] == '.') return false;
      dotted = true;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return dotted;
}

std::optional<Severity> SeverityFromName(std::string_view name) {
  for (Severity s : {Severity::kInfo, Severity::kWarning, Severity::kError}) {
    if (SeverityName(s) == name) return s;
  }
  return std::nullopt;
}

Status CheckReason(const Finding& f, std::string_view path) {
  if (!IsFindingId(f.id)) {
    return FieldError(Join(path, "id"),
                      "expected a dotted id like \"launch.host_untrusted\" (lower case, at most " +
                          std::to_string(kMaxFindingIdLength) + " characters)");
  }
  VOUCH_RETURN_IF_ERROR(
      internal::CheckUtf8String(f.message, Join(path, "message"), 0, kMaxReasonTextLength));
  if (f.pcr && *f.pcr >= tpm::kNumPcrs)
    return FieldError(Join(path, "pcr"), "PCR indices are 0 to 23");
  if (f.event_index && *f.event_index > kMaxVmLogInteger) {
    return FieldError(Join(path, "event_index"),
                      "must be at most " + std::to_string(kMaxVmLogInteger));
  }
  // Empty means absent (FindingToJson leaves them out).
  VOUCH_RETURN_IF_ERROR(
      internal::CheckUtf8String(f.expected, Join(path, "expected"), 0, kMaxReasonTextLength));
  return internal::CheckUtf8String(f.actual, Join(path, "actual"), 0, kMaxReasonTextLength);
}

Result<Finding> DecodeReason(const Json& value, std::string_view path) {
  VOUCH_RETURN_IF_ERROR(internal::ExpectObject(value, path));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(
      value, path,
      {"id", "severity", "message", "pcr", "bank", "event_index", "expected", "actual"}));
  Finding f;
  VOUCH_ASSIGN_OR_RETURN(f.id, RequireString(value, path, "id"));
  VOUCH_ASSIGN_OR_RETURN(std::string severity, RequireString(value, path, "severity"));
  std::optional<Severity> s = SeverityFromName(severity);
  if (!s) return FieldError(Join(path, "severity"), "expected info, warning or error");
  f.severity = *s;
  VOUCH_ASSIGN_OR_RETURN(f.message, RequireString(value, path, "message"));
  if (const Json* pcr = FindMember(value, "pcr")) {
    VOUCH_ASSIGN_OR_RETURN(uint64_t index,
                           internal::GetUnsigned(*pcr, Join(path, "pcr"), tpm::kNumPcrs - 1));
    f.pcr = static_cast<uint32_t>(index);
  }
  if (const Json* bank = FindMember(value, "bank")) {
    VOUCH_ASSIGN_OR_RETURN(std::string name, internal::GetString(*bank, Join(path, "bank")));
    f.bank = HashAlgFromName(name);
    if (!f.bank) {
      return FieldError(Join(path, "bank"), "expected sha1, sha256, sha384, sha512 or sm3_256");
    }
  }
  if (const Json* index = FindMember(value, "event_index")) {
    VOUCH_ASSIGN_OR_RETURN(
        uint64_t i, internal::GetUnsigned(*index, Join(path, "event_index"), kMaxVmLogInteger));
    f.event_index = static_cast<size_t>(i);
  }
  for (auto [name, field] : {std::pair<std::string_view, std::string*>{"expected", &f.expected},
                             std::pair<std::string_view, std::string*>{"actual", &f.actual}}) {
    if (const Json* text = FindMember(value, name)) {
      VOUCH_ASSIGN_OR_RETURN(*field, internal::GetString(*text, Join(path, name)));
      // Present means non-empty (the schema's minLength 1): empty is "absent".
      if (field->empty()) return FieldError(Join(path, name), "empty (leave the member out)");
    }
  }
  VOUCH_RETURN_IF_ERROR(CheckReason(f, path));
  return f;
}

std::optional<LaunchVerdict> VerdictFromName(std::string_view name) {
  for (LaunchVerdict v : {LaunchVerdict::kAllow, LaunchVerdict::kDeny}) {
    if (LaunchVerdictName(v) == name) return v;
  }
  return std::nullopt;
}

bool IsHostVerdict(std::string_view v) {
  return v == "trusted" || v == "untrusted" || v == "unknown" || v == "none";
}

Status CheckDecision(const LaunchDecision& d) {
  VOUCH_RETURN_IF_ERROR(internal::CheckId(d.host_id, Join(kDecisionDoc, "host")));
  VOUCH_RETURN_IF_ERROR(CheckVm(d.vm_id, d.vm_name, Join(kDecisionDoc, "vm")));
  if (!IsHostVerdict(d.host_verdict)) {
    return FieldError(Join(kDecisionDoc, "host_verdict"),
                      "expected trusted, untrusted, unknown or none");
  }
  VOUCH_RETURN_IF_ERROR(internal::CheckTimestamp(d.decided_at, Join(kDecisionDoc, "decided_at")));
  const std::string path = Join(kDecisionDoc, "reasons");
  if (d.reasons.size() > kMaxLaunchReasons) {
    return FieldError(path, "more than " + std::to_string(kMaxLaunchReasons) + " reasons");
  }
  for (size_t i = 0; i < d.reasons.size(); ++i) {
    VOUCH_RETURN_IF_ERROR(CheckReason(d.reasons[i], Index(path, i)));
  }
  return Status::Ok();
}

}  // namespace

std::string_view LaunchVerdictName(LaunchVerdict v) {
  switch (v) {
    case LaunchVerdict::kAllow: return "allow";
    case LaunchVerdict::kDeny: return "deny";
  }
  return "deny";
}

Result<std::string> EncodeLaunchDecisionRequest(const LaunchDecisionRequest& request) {
  VOUCH_RETURN_IF_ERROR(CheckRequest(request));
  OrderedJson doc = OrderedJson::object();
  doc["host"] = request.host_id;
  doc["vm"] = EncodeVm(request.vm_id, request.vm_name);
  OrderedJson measurements = OrderedJson::array();
  for (const LaunchMeasurement& m : request.measurements) {
    measurements.push_back(EncodeMeasurement(m));
  }
  doc["measurements"] = std::move(measurements);
  std::string text = internal::Dump(doc);
  // Cannot happen within the limits above (64 measurements of at most ~13
  // KiB each); checked so the encoder never writes what the decoder refuses.
  VOUCH_RETURN_IF_ERROR(
      internal::CheckByteSize(text.size(), kRequestDoc, 0, kMaxDecisionRequestBytes));
  return text;
}

Result<LaunchDecisionRequest> DecodeLaunchDecisionRequest(std::string_view text) {
  constexpr std::string_view kDoc = kRequestDoc;
  VOUCH_ASSIGN_OR_RETURN(Json doc, internal::ParseDocument(text, kMaxDecisionRequestBytes, kDoc));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(doc, kDoc, {"host", "vm", "measurements"}));
  LaunchDecisionRequest r;
  VOUCH_ASSIGN_OR_RETURN(r.host_id, RequireString(doc, kDoc, "host"));
  VOUCH_RETURN_IF_ERROR(internal::CheckId(r.host_id, Join(kDoc, "host")));
  VOUCH_RETURN_IF_ERROR(DecodeVm(doc, kDoc, r.vm_id, r.vm_name));
  const std::string path = Join(kDoc, "measurements");
  VOUCH_ASSIGN_OR_RETURN(const Json* measurements, RequireArray(doc, kDoc, "measurements"));
  if (measurements->empty() || measurements->size() > kMaxLaunchMeasurements) {
    return FieldError(path, "expected 1 to " + std::to_string(kMaxLaunchMeasurements) +
                                " measurements, got " + std::to_string(measurements->size()));
  }
  for (size_t i = 0; i < measurements->size(); ++i) {
    VOUCH_ASSIGN_OR_RETURN(LaunchMeasurement m,
                           DecodeMeasurement((*measurements)[i], Index(path, i)));
    r.measurements.push_back(std::move(m));
  }
  return r;
}

Result<std::string> EncodeLaunchDecision(const LaunchDecision& decision) {
  if (Status s = CheckDecision(decision); !s.ok()) return EncoderError(s);
  if ((decision.decision == LaunchVerdict::kAllow) == HasErrors(decision.reasons)) {
    return EncoderError(
        FieldError(Join(kDecisionDoc, "decision"), decision.decision == LaunchVerdict::kAllow
                                                       ? "allow with an error reason"
                                                       : "deny without an error reason"));
  }
  OrderedJson doc = OrderedJson::object();
  doc["decision"] = std::string(LaunchVerdictName(decision.decision));
  doc["host"] = decision.host_id;
  doc["vm"] = EncodeVm(decision.vm_id, decision.vm_name);
  doc["host_verdict"] = decision.host_verdict;
  doc["decided_at"] = decision.decided_at;
  OrderedJson reasons = OrderedJson::array();
  for (const Finding& f : decision.reasons) reasons.push_back(FindingToJson<OrderedJson>(f));
  doc["reasons"] = std::move(reasons);
  std::string text = internal::Dump(doc);
  if (Status s = internal::CheckByteSize(text.size(), kDecisionDoc, 0, kMaxDecisionRequestBytes);
      !s.ok()) {
    return EncoderError(s);
  }
  return text;
}

Result<LaunchDecision> DecodeLaunchDecision(std::string_view text) {
  constexpr std::string_view kDoc = kDecisionDoc;
  VOUCH_ASSIGN_OR_RETURN(Json doc, internal::ParseDocument(text, kMaxDecisionRequestBytes, kDoc));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(
      doc, kDoc, {"decision", "host", "vm", "host_verdict", "decided_at", "reasons"}));
  LaunchDecision d;
  VOUCH_ASSIGN_OR_RETURN(std::string decision, RequireString(doc, kDoc, "decision"));
  std::optional<LaunchVerdict> verdict = VerdictFromName(decision);
  if (!verdict) return FieldError(Join(kDoc, "decision"), "expected allow or deny");
  d.decision = *verdict;
  VOUCH_ASSIGN_OR_RETURN(d.host_id, RequireString(doc, kDoc, "host"));
  VOUCH_RETURN_IF_ERROR(DecodeVm(doc, kDoc, d.vm_id, d.vm_name));
  VOUCH_ASSIGN_OR_RETURN(d.host_verdict, RequireString(doc, kDoc, "host_verdict"));
  VOUCH_ASSIGN_OR_RETURN(d.decided_at, RequireString(doc, kDoc, "decided_at"));
  const std::string path = Join(kDoc, "reasons");
  VOUCH_ASSIGN_OR_RETURN(const Json* reasons, RequireArray(doc, kDoc, "reasons"));
  if (reasons->size() > kMaxLaunchReasons) {
    return FieldError(path, "more than " + std::to_string(kMaxLaunchReasons) + " reasons");
  }
  for (size_t i = 0; i < reasons->size(); ++i) {
    VOUCH_ASSIGN_OR_RETURN(Finding f, DecodeReason((*reasons)[i], Index(path, i)));
    d.reasons.push_back(std::move(f));
  }
  VOUCH_RETURN_IF_ERROR(CheckDecision(d));
  return d;
}

}  // namespace vouch::protocol
