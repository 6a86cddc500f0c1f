// VerifierApi: reference sets (the whitelist database) - list, read,
// replace, delete, add/remove one entry, import from a known-good host.
// Every change stores a new version of the set (the store keeps history);
// writers pass the version they replace, so concurrent edits conflict (409)
// instead of overwriting each other.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/base/time_format.h"
#include "core/protocol/evidence.h"
#include "verifier/api/api.h"
#include "verifier/api/api_internal.h"

namespace vouch::verifier {

using api_internal::Dump;
using api_internal::Json;

namespace {

// The current version of `name`: 0 when the set does not exist (or was
// deleted), so a write creates it.
Result<std::pair<int64_t, policy::ReferenceSetDocument>> CurrentSet(Store& store,
                                                                    const std::string& name) {
  Result<ReferenceSetRecord> record = store.GetReferenceSet(name, std::nullopt);
  if (!record.has_value()) {
    if (record.error().code() != Code::kNotFound) return record.error();
    policy::ReferenceSetDocument empty;
    empty.name = name;
    return std::make_pair(int64_t{0}, std::move(empty));
  }
  Result<policy::ReferenceSetDocument> doc = policy::DecodeReferenceSet(record->document_json);
  if (!doc.has_value()) {
    return Status(Code::kDataLoss,
                  "stored reference set '" + name + "' does not decode: " + doc.error().message());
  }
  return std::make_pair(record->version, std::move(*doc));
}

// "If-Match: 3" (or "\"3\""): the version the client replaces.
Result<std::optional<int64_t>> IfMatch(const http::Request& request) {
  std::string value(request.Header("if-match"));
  if (value.empty()) return std::optional<int64_t>();
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  Result<int64_t> v = api_internal::ParseIntParam(value, "If-Match", 0, 999999999999, 0);
  if (!v.has_value()) return v.error();
  return std::optional<int64_t>(*v);
}

// The member an InvalidArgument of policy/model's decoders names (their
// paths are relative to the document: "entries[3].digests.sha256: ..."),
// for the "field" of the error document; empty for whole-document errors.
std::string ReferenceErrorField(const Status& status) {
  if (status.code() != Code::kInvalidArgument) return "";
  const std::string& m = status.message();
  const size_t colon = m.find(": ");
  if (colon == std::string::npos || colon == 0) return "";
  std::string path = m.substr(0, colon);
  return path.find(' ') == std::string::npos ? path : "";
}

bool SameDigests(const policy::ReferenceValue& a, const policy::ReferenceValue& b) {
  return a.kind == b.kind && a.digests == b.digests;
}

}  // namespace

http::Response VerifierApi::ReferenceRoutes(const std::vector<std::string>& p,
                                            const http::Request& request, const Principal& who) {
  const std::string& m = request.method;
  if (p.size() == 2) return m == "GET" ? ListReferenceSets() : http::MethodNotAllowed("GET");
  const std::string& name = p[2];
  if (!policy::IsValidReferenceSetName(name)) {
    return http::ErrorResponse(404, "not_found", "no such reference set");
  }
  if (p.size() == 3) {
    if (m == "GET") return GetReferenceSet(name, request);
    if (m == "PUT") return PutReferenceSet(name, request, who);
    if (m == "DELETE") return DeleteReferenceSet(name, who);
    return http::MethodNotAllowed("GET, PUT, DELETE");
  }
  if (p.size() == 4 && p[3] == "entries") {
    return m == "POST" ? AddReferenceEntry(name, request, who) : http::MethodNotAllowed("POST");
  }
  if (p.size() == 5 && p[3] == "entries") {
    return m == "DELETE" ? DeleteReferenceEntry(name, p[4], who) : http::MethodNotAllowed("DELETE");
  }
  if (p.size() == 4 && p[3] == "import") {
    return m == "POST" ? ImportReferences(name, request, who) : http::MethodNotAllowed("POST");
  }
  return http::ErrorResponse(404, "not_found", "no such endpoint: " + request.path);
}

http::Response VerifierApi::ListReferenceSets() {
  Result<std::vector<ReferenceSetRecord>> sets = store_.ListReferenceSets(false);
  if (!sets.has_value()) return http::ErrorResponse(Counted(sets.error()));
  Json j;
  j["reference_sets"] = Json::array();
  for (const ReferenceSetRecord& r : *sets) {
    j["reference_sets"].push_back({{"name", r.name},
                                   {"version", r.version},
                                   {"entries", r.entry_count},
                                   {"updated_at", FormatRfc3339Utc(r.updated_at)},
                                   {"updated_by", r.updated_by}});
  }
  return http::JsonResponse(Dump(j));
}

http::Response VerifierApi::GetReferenceSet(const std::string& name, const http::Request& request) {
  std::string version_text = api_internal::QueryValue(request.query, "version");
  std::optional<int64_t> version;
  if (!version_text.empty()) {
    Result<int64_t> v = api_internal::ParseIntParam(version_text, "version", 1, 999999999999, 1);
    if (!v.has_value()) return http::ErrorResponse(v.error(), "version");
    version = *v;
  }
  Result<ReferenceSetRecord> record = store_.GetReferenceSet(name, version);
  if (!record.has_value()) return http::ErrorResponse(Counted(record.error()));
  if (record->deleted) {
    return http::ErrorResponse(Status(
        Code::kNotFound,
        "version " + std::to_string(record->version) + " of '" + name + "' deleted the set"));
  }
  http::Response r = http::JsonResponse(record->document_json);
  r.headers["etag"] = "\"" + std::to_string(record->version) + "\"";
  return r;
}

Result<std::string> VerifierApi::StoreReferenceSet(policy::ReferenceSetDocument doc,
                                                   int64_t expected_version, const Principal& who) {
  const auto now = clock_.Now();
  std::set<std::string> ids;
  for (const policy::ReferenceValue& v : doc.entries) {
    if (!v.id.empty()) ids.insert(v.id);
  }
  for (policy::ReferenceValue& v : doc.entries) {
    if (v.id.empty()) {
      VOUCH_ASSIGN_OR_RETURN(v.id, NewId("r-"));
      ids.insert(v.id);
    }
    if (v.source.empty()) v.source = "api";
    if (v.added_by.empty()) v.added_by = who.name;
  }
  // The version this write creates: after `expected_version`, or, for a set
  // created (again), after its newest version - a deleted set's history
  // continues. The store refuses the write if another writer got there
  // first, so the number in the document is the number stored.
  int64_t base = expected_version;
  if (expected_version == 0) {
    Result<int64_t> latest = store_.LatestReferenceSetVersion(doc.name);
    if (!latest.has_value()) return Counted(latest.error());
    base = *latest;
  }
  doc.version = base + 1;
  doc.updated_at = now;
  doc.updated_by = who.name;
  VOUCH_ASSIGN_OR_RETURN(std::string json, policy::EncodeReferenceSet(doc));
  ReferenceSetRecord record;
  record.name = doc.name;
  record.document_json = json;
  record.entry_count = doc.entries.size();
  record.updated_at = now;
  record.updated_by = who.name;
  Result<int64_t> version = store_.PutReferenceSet(record, expected_version);
  if (!version.has_value()) {
    if (version.error().code() == Code::kFailedPrecondition) {
      return Status(Code::kFailedPrecondition,
                    "reference set '" + doc.name + "' changed meanwhile (expected version " +
                        std::to_string(expected_version) + "); read it again and retry");
    }
    return Counted(version.error());
  }
  if (*version != doc.version) {
    return Status(Code::kInternal, "store assigned version " + std::to_string(*version) +
                                       ", expected " + std::to_string(doc.version));
  }
  logger_.Info("reference set '" + doc.name + "' version " + std::to_string(*version) + " (" +
               std::to_string(doc.entries.size()) + " entries) stored by " + who.name);
  return json;
}

http::Response VerifierApi::PutReferenceSet(const std::string& name, const http::Request& request,
                                            const Principal& who) {
  Result<policy::ReferenceSetDocument> doc = policy::DecodeReferenceSet(request.body);
  if (!doc.has_value()) return http::ErrorResponse(doc.error(), ReferenceErrorField(doc.error()));
  if (!doc->name.empty() && doc->name != name) {
    return http::ErrorResponse(
        Status(Code::kInvalidArgument,
               "name: '" + doc->name + "' differs from the URL's '" + name + "'"),
        "name");
  }
  doc->name = name;
  Result<std::optional<int64_t>> if_match = IfMatch(request);
  if (!if_match.has_value()) return http::ErrorResponse(if_match.error(), "If-Match");
  int64_t expected = 0;
  if (if_match->has_value()) {
    expected = **if_match;
  } else {
    auto current = CurrentSet(store_, name);
    if (!current.has_value()) return http::ErrorResponse(Counted(current.error()));
    expected = current->first;
  }
  Result<std::string> stored = StoreReferenceSet(std::move(*doc), expected, who);
  if (!stored.has_value()) return http::ErrorResponse(stored.error());
  return http::JsonResponse(std::move(*stored), expected == 0 ? 201 : 200);
}

http::Response VerifierApi::DeleteReferenceSet(const std::string& name, const Principal& who) {
  Result<int64_t> version = store_.DeleteReferenceSet(name, clock_.Now(), who.name);
  if (!version.has_value()) return http::ErrorResponse(Counted(version.error()));
  logger_.Info("reference set '" + name + "' deleted (version " + std::to_string(*version) +
               ") by " + who.name);
  http::Response r;
  r.status = 204;
  return r;
}

http::Response VerifierApi::AddReferenceEntry(const std::string& name, const http::Request& request,
                                              const Principal& who) {
  Result<policy::ReferenceValue> value = policy::DecodeReferenceValue(request.body);
  if (!value.has_value()) {
    return http::ErrorResponse(value.error(), ReferenceErrorField(value.error()));
  }
  auto current = CurrentSet(store_, name);
  if (!current.has_value()) return http::ErrorResponse(Counted(current.error()));
  for (const policy::ReferenceValue& v : current->second.entries) {
    if (!value->id.empty() && v.id == value->id) {
      return http::ErrorResponse(
          Status(Code::kFailedPrecondition, "entry id '" + v.id + "' exists in '" + name + "'"),
          "id");
    }
  }
  current->second.entries.push_back(std::move(*value));
  Result<std::string> stored = StoreReferenceSet(std::move(current->second), current->first, who);
  if (!stored.has_value()) return http::ErrorResponse(stored.error());
  return http::JsonResponse(std::move(*stored), 201);
}

http::Response VerifierApi::DeleteReferenceEntry(const std::string& name,
                                                 const std::string& entry_id,
                                                 const Principal& who) {
  auto current = CurrentSet(store_, name);
  if (!current.has_value()) return http::ErrorResponse(Counted(current.error()));
  if (current->first == 0) {
    return http::ErrorResponse(Status(Code::kNotFound, "reference set '" + name + "' not found"));
  }
  auto& entries = current->second.entries;
  const size_t before = entries.size();
  std::erase_if(entries, [&](const policy::ReferenceValue& v) { return v.id == entry_id; });
  if (entries.size() == before) {
    return http::ErrorResponse(
        Status(Code::kNotFound, "no entry '" + entry_id + "' in reference set '" + name + "'"));
  }
  Result<std::string> stored = StoreReferenceSet(std::move(current->second), current->first, who);
  if (!stored.has_value()) return http::ErrorResponse(stored.error());
  return http::JsonResponse(std::move(*stored));
}

http::Response VerifierApi::ImportReferences(const std::string& name, const http::Request& request,
                                             const Principal& who) {
  Result<Json> body = api_internal::ParseObjectBody(request.body);
  if (!body.has_value()) return http::ErrorResponse(body.error());
  if (body->size() != 1 || !body->contains("host_id") || !(*body)["host_id"].is_string() ||
      !protocol::IsValidId((*body)["host_id"].get<std::string>())) {
    return http::ErrorResponse(
        Status(Code::kInvalidArgument, "body: expected {\"host_id\": \"<enrolled host>\"}"),
        "host_id");
  }
  const std::string host_id = (*body)["host_id"].get<std::string>();
  Result<HostRecord> host = store_.GetHost(host_id);
  if (!host.has_value()) return http::ErrorResponse(Counted(host.error()));
  Result<std::optional<StoredEvidence>> stored = store_.LatestEvidence(host_id);
  if (!stored.has_value()) return http::ErrorResponse(Counted(stored.error()));
  if (!stored->has_value()) {
    return http::ErrorResponse(
        Status(Code::kFailedPrecondition,
               "host " + host_id + " has no verified evidence yet: attest it once, then import"));
  }
  Result<protocol::Evidence> evidence = protocol::DecodeEvidence((*stored)->evidence_json);
  if (!evidence.has_value()) {
    return http::ErrorResponse(Status(
        Code::kDataLoss,
        "stored evidence of " + host_id + " does not decode: " + evidence.error().message()));
  }
  const std::string label = host->hostname.empty() ? host_id : host->hostname;
  Result<std::vector<ReferenceValue>> imported = ImportPlatformReferences(*evidence, label + " ");
  if (!imported.has_value()) return http::ErrorResponse(imported.error());
  auto current = CurrentSet(store_, name);
  if (!current.has_value()) return http::ErrorResponse(Counted(current.error()));
  size_t added = 0;
  for (ReferenceValue& v : *imported) {
    bool known = false;
    for (const policy::ReferenceValue& e : current->second.entries) {
      if (SameDigests(e, v)) {
        known = true;
        break;
      }
    }
    if (known) continue;
    v.source = "host:" + host_id + " report " + std::to_string((*stored)->report_id);
    v.added_by = who.name;
    current->second.entries.push_back(std::move(v));
    ++added;
  }
  if (current->second.description.empty()) {
    current->second.description = "imported from host " + label;
  }
  Result<std::string> result = StoreReferenceSet(std::move(current->second), current->first, who);
  if (!result.has_value()) return http::ErrorResponse(result.error());
  logger_.Info("imported " + std::to_string(added) + " platform reference values from host " +
               host_id + " into '" + name + "' by " + who.name);
  return http::JsonResponse(std::move(*result), 201);
}

}  // namespace vouch::verifier
