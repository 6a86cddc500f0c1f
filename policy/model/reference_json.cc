// The JSON codec of reference values and sets (reference.h,
// schemas/reference-value.schema.json, schemas/reference-set.schema.json).
//
// Parsing goes through core/protocol's guarded parser (size limit before
// looking at the text, nesting depth, UTF-8, duplicate member names) so a
// whitelist document is held to the same rules as the agent's documents.
// Error paths are relative to the document ("entries[3].digests.sha256") so
// the API can hand them back as the error's `field`.
#include <chrono>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "core/base/time_format.h"
#include "core/protocol/json_util.h"
#include "policy/model/reference.h"

namespace vouch::policy {
namespace {

namespace pi = vouch::protocol::internal;
using Json = pi::Json;
using OrderedJson = pi::OrderedJson;

constexpr size_t kMaxStringBytes = 256;
constexpr size_t kMaxDescriptionBytes = 4096;
constexpr size_t kMaxNameLength = 128;

// The banks a reference digest may name (the banks of the evidence's pcrs).
constexpr HashAlg kDigestBanks[] = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384,
                                    HashAlg::kSha512};

bool IsDigestBank(HashAlg alg) {
  for (HashAlg a : kDigestBanks) {
    if (a == alg) return true;
  }
  return false;
}

// "path.member", or "member" at the document's top level.
std::string Member(std::string_view path, std::string_view member) {
  if (path.empty()) return std::string(member);
  return pi::Join(path, member);
}

std::string Index(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

Status Missing(std::string_view path, std::string_view member) {
  return pi::FieldError(Member(path, member), "missing required member");
}

// UTF-8 text of at most `max_bytes` bytes (and at least `min_bytes`).
Status CheckText(std::string_view text, std::string_view path, size_t min_bytes, size_t max_bytes) {
  if (text.size() > max_bytes) {
    return pi::FieldError(path, std::to_string(text.size()) + " bytes, more than the limit of " +
                                    std::to_string(max_bytes));
  }
  if (text.size() < min_bytes) return pi::FieldError(path, "must not be empty");
  return pi::CheckUtf8String(text, path, 0, max_bytes);
}

// [A-Za-z0-9._:-]{1,128}: set names and entry ids.
bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status CheckName(std::string_view name, std::string_view path) {
  if (!IsValidName(name))
    return pi::FieldError(path, "expected 1 to 128 characters of [A-Za-z0-9._:-]");
  return Status::Ok();
}

// RFC 3339 UTC, whole seconds, to a time point. The shape is checked by
// core/protocol's CheckTimestamp; the calendar date here (no 30 February).
Result<std::chrono::system_clock::time_point> ParseTime(std::string_view text,
                                                        std::string_view path) {
  VOUCH_RETURN_IF_ERROR(pi::CheckTimestamp(text, path));
  auto num = [&](size_t at, size_t len) {
    int v = 0;
    for (size_t i = at; i < at + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  using namespace std::chrono;
  year_month_day ymd{year{num(0, 4)}, month{static_cast<unsigned>(num(5, 2))},
                     day{static_cast<unsigned>(num(8, 2))}};
  if (!ymd.ok()) return pi::FieldError(path, "not a calendar date");
  // A leap second (:60) is taken as the first second of the next minute.
  return system_clock::time_point{sys_days{ymd}} + hours{num(11, 2)} + minutes{num(14, 2)} +
         seconds{num(17, 2)};
}

// The rules of one entry, shared by the encoder and the decoder.
Status CheckValue(const ReferenceValue& v, std::string_view path) {
  if (ReferenceKindName(v.kind) == "unknown") {
    return pi::FieldError(Member(path, "kind"), "not a reference kind");
  }
  VOUCH_RETURN_IF_ERROR(CheckText(v.name, Member(path, "name"), 1, kMaxStringBytes));
  VOUCH_RETURN_IF_ERROR(CheckText(v.version, Member(path, "version"), 0, kMaxStringBytes));
  VOUCH_RETURN_IF_ERROR(CheckText(v.vendor, Member(path, "vendor"), 0, kMaxStringBytes));
  VOUCH_RETURN_IF_ERROR(CheckText(v.source, Member(path, "source"), 0, kMaxStringBytes));
  VOUCH_RETURN_IF_ERROR(CheckText(v.added_by, Member(path, "added_by"), 0, kMaxStringBytes));
  const std::string digests_path = Member(path, "digests");
  if (v.digests.empty()) return pi::FieldError(digests_path, "at least one digest is required");
  for (const auto& [alg, digest] : v.digests) {
    if (!IsDigestBank(alg)) {
      return pi::FieldError(Member(digests_path, HashAlgName(alg)),
                            "banks are sha1, sha256, sha384 and sha512");
    }
    if (digest.size() != DigestSize(alg)) {
      return pi::FieldError(Member(digests_path, HashAlgName(alg)),
                            "expected " + std::to_string(DigestSize(alg)) + " bytes, got " +
                                std::to_string(digest.size()));
    }
  }
  if (!v.id.empty()) VOUCH_RETURN_IF_ERROR(CheckName(v.id, Member(path, "id")));
  return Status::Ok();
}

Status CheckSet(const ReferenceSetDocument& set) {
  VOUCH_RETURN_IF_ERROR(CheckName(set.name, "name"));
  if (set.version < 0) return pi::FieldError("version", "must not be negative");
  VOUCH_RETURN_IF_ERROR(CheckText(set.description, "description", 0, kMaxDescriptionBytes));
  VOUCH_RETURN_IF_ERROR(CheckText(set.updated_by, "updated_by", 0, kMaxStringBytes));
  if (set.entries.size() > kMaxReferenceEntries) {
    return pi::FieldError("entries", std::to_string(set.entries.size()) +
                                         " entries, more than the limit of " +
                                         std::to_string(kMaxReferenceEntries));
  }
  std::set<std::string_view> ids;
  for (size_t i = 0; i < set.entries.size(); ++i) {
    const ReferenceValue& v = set.entries[i];
    const std::string path = Index("entries", i);
    VOUCH_RETURN_IF_ERROR(CheckValue(v, path));
    if (!v.id.empty() && !ids.insert(v.id).second) {
      return pi::FieldError(Member(path, "id"), "duplicate entry id \"" + v.id + "\"");
    }
  }
  return Status::Ok();
}

OrderedJson ValueToJson(const ReferenceValue& v) {
  OrderedJson out = OrderedJson::object();
  out["kind"] = ReferenceKindName(v.kind);
  out["name"] = v.name;
  if (!v.version.empty()) out["version"] = v.version;
  if (!v.vendor.empty()) out["vendor"] = v.vendor;
  OrderedJson digests = OrderedJson::object();
  for (HashAlg alg : kDigestBanks) {  // bank order, not map order: stable and readable
    auto it = v.digests.find(alg);
    if (it != v.digests.end()) digests[std::string(HashAlgName(alg))] = HexEncode(it->second);
  }
  out["digests"] = std::move(digests);
  if (!v.source.empty()) out["source"] = v.source;
  if (!v.added_by.empty()) out["added_by"] = v.added_by;
  if (v.valid_until) out["valid_until"] = FormatRfc3339Utc(*v.valid_until);
  if (!v.id.empty()) out["id"] = v.id;
  return out;
}

// An optional string member into `out` (left empty when absent).
Status ReadOptionalString(const Json& object, std::string_view path, std::string_view name,
                          std::string& out) {
  if (const Json* m = pi::FindMember(object, name)) {
    VOUCH_ASSIGN_OR_RETURN(out, pi::GetString(*m, Member(path, name)));
  }
  return Status::Ok();
}

// InvalidArgument naming the first member of `object` not in `allowed`
// (core/protocol's CheckMembers would write ".member" at the top level).
Status CheckMembersAt(const Json& object, std::string_view path,
                      std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, unused] : object.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) return pi::FieldError(Member(path, key), "unknown member");
  }
  return Status::Ok();
}

constexpr std::initializer_list<std::string_view> kValueMembers = {
    "kind", "name", "version", "vendor", "digests", "source", "added_by", "valid_until", "id"};

Result<ReferenceValue> ValueFromJson(const Json& value, std::string_view path) {
  VOUCH_RETURN_IF_ERROR(pi::ExpectObject(value, path.empty() ? "reference_value" : path));
  VOUCH_RETURN_IF_ERROR(CheckMembersAt(value, path, kValueMembers));
  ReferenceValue v;
  const Json* kind = pi::FindMember(value, "kind");
  if (kind == nullptr) return Missing(path, "kind");
  VOUCH_ASSIGN_OR_RETURN(std::string kind_name, pi::GetString(*kind, Member(path, "kind")));
  std::optional<ReferenceKind> parsed_kind = ParseReferenceKind(kind_name);
  if (!parsed_kind) {
    return pi::FieldError(Member(path, "kind"),
                          "expected one of platform, sinit, tboot, tboot-policy, hypervisor, "
                          "kernel, initrd, vm-image, vm-kernel, vm-initrd, vm-firmware, vm-config");
  }
  v.kind = *parsed_kind;

  const Json* name = pi::FindMember(value, "name");
  if (name == nullptr) return Missing(path, "name");
  VOUCH_ASSIGN_OR_RETURN(v.name, pi::GetString(*name, Member(path, "name")));
  VOUCH_RETURN_IF_ERROR(ReadOptionalString(value, path, "version", v.version));
  VOUCH_RETURN_IF_ERROR(ReadOptionalString(value, path, "vendor", v.vendor));
  VOUCH_RETURN_IF_ERROR(ReadOptionalString(value, path, "source", v.source));
  VOUCH_RETURN_IF_ERROR(ReadOptionalString(value, path, "added_by", v.added_by));

  const std::string digests_path = Member(path, "digests");
  const Json* digests = pi::FindMember(value, "digests");
  if (digests == nullptr) return Missing(path, "digests");
  VOUCH_RETURN_IF_ERROR(pi::ExpectObject(*digests, digests_path));
  for (const auto& [bank, digest] : digests->items()) {
    const std::string bank_path = Member(digests_path, bank);
    std::optional<HashAlg> alg = HashAlgFromName(bank);
    if (!alg || !IsDigestBank(*alg)) {
      return pi::FieldError(bank_path, "unknown member (banks are sha1, sha256, sha384, sha512)");
    }
    VOUCH_ASSIGN_OR_RETURN(v.digests[*alg],
                           pi::GetHex(digest, bank_path, DigestSize(*alg), DigestSize(*alg)));
  }

  if (const Json* valid_until = pi::FindMember(value, "valid_until")) {
    const std::string p = Member(path, "valid_until");
    VOUCH_ASSIGN_OR_RETURN(std::string text, pi::GetString(*valid_until, p));
    VOUCH_ASSIGN_OR_RETURN(v.valid_until, ParseTime(text, p));
  }
  if (const Json* id = pi::FindMember(value, "id")) {
    VOUCH_ASSIGN_OR_RETURN(v.id, pi::GetString(*id, Member(path, "id")));
    // Present means non-empty: an empty id would read as "assign one".
    VOUCH_RETURN_IF_ERROR(CheckName(v.id, Member(path, "id")));
  }
  VOUCH_RETURN_IF_ERROR(CheckValue(v, path));
  return v;
}

Result<std::string> DumpWithinLimit(const OrderedJson& doc) {
  std::string text = pi::Dump(doc);
  if (text.size() > kMaxReferenceDocumentBytes) {
    return InvalidArgumentError("encoded document is " + std::to_string(text.size()) +
                                " bytes, more than the limit of " +
                                std::to_string(kMaxReferenceDocumentBytes));
  }
  return text;
}

}  // namespace

bool IsValidReferenceSetName(std::string_view name) { return IsValidName(name); }

Result<ReferenceValue> DecodeReferenceValue(std::string_view json) {
  VOUCH_ASSIGN_OR_RETURN(Json doc,
                         pi::ParseDocument(json, kMaxReferenceDocumentBytes, "reference_value"));
  VOUCH_RETURN_IF_ERROR(CheckMembersAt(doc, "", kValueMembers));
  return ValueFromJson(doc, "");
}

Result<ReferenceSetDocument> DecodeReferenceSet(std::string_view json) {
  VOUCH_ASSIGN_OR_RETURN(Json doc,
                         pi::ParseDocument(json, kMaxReferenceDocumentBytes, "reference_set"));
  VOUCH_RETURN_IF_ERROR(CheckMembersAt(
      doc, "", {"name", "version", "description", "updated_at", "updated_by", "entries"}));
  ReferenceSetDocument set;
  const Json* name = pi::FindMember(doc, "name");
  if (name == nullptr) return Missing("", "name");
  VOUCH_ASSIGN_OR_RETURN(set.name, pi::GetString(*name, "name"));
  VOUCH_RETURN_IF_ERROR(CheckName(set.name, "name"));
  if (const Json* version = pi::FindMember(doc, "version")) {
    VOUCH_ASSIGN_OR_RETURN(
        uint64_t v, pi::GetUnsigned(*version, "version",
                                    static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
    set.version = static_cast<int64_t>(v);
  }
  VOUCH_RETURN_IF_ERROR(ReadOptionalString(doc, "", "description", set.description));
  if (const Json* updated_at = pi::FindMember(doc, "updated_at")) {
    VOUCH_ASSIGN_OR_RETURN(std::string text, pi::GetString(*updated_at, "updated_at"));
    VOUCH_ASSIGN_OR_RETURN(set.updated_at, ParseTime(text, "updated_at"));
  }
  VOUCH_RETURN_IF_ERROR(ReadOptionalString(doc, "", "updated_by", set.updated_by));
  const Json* entries = pi::FindMember(doc, "entries");
  if (entries == nullptr) return Missing("", "entries");
  if (!entries->is_array()) {
    return pi::FieldError("entries", std::string("expected an array, got ") + entries->type_name());
  }
  if (entries->size() > kMaxReferenceEntries) {
    return pi::FieldError("entries", std::to_string(entries->size()) +
                                         " entries, more than the limit of " +
                                         std::to_string(kMaxReferenceEntries));
  }
  set.entries.reserve(entries->size());
  for (size_t i = 0; i < entries->size(); ++i) {
    VOUCH_ASSIGN_OR_RETURN(ReferenceValue v, ValueFromJson((*entries)[i], Index("entries", i)));
    set.entries.push_back(std::move(v));
  }
  VOUCH_RETURN_IF_ERROR(CheckSet(set));
  return set;
}

Result<std::string> EncodeReferenceValue(const ReferenceValue& value) {
  VOUCH_RETURN_IF_ERROR(CheckValue(value, ""));
  return DumpWithinLimit(ValueToJson(value));
}

Result<std::string> EncodeReferenceSet(const ReferenceSetDocument& set) {
  VOUCH_RETURN_IF_ERROR(CheckSet(set));
  OrderedJson doc = OrderedJson::object();
  doc["name"] = set.name;
  doc["version"] = set.version;
  if (!set.description.empty()) doc["description"] = set.description;
  if (set.updated_at) doc["updated_at"] = FormatRfc3339Utc(*set.updated_at);
  if (!set.updated_by.empty()) doc["updated_by"] = set.updated_by;
  OrderedJson entries = OrderedJson::array();
  for (const ReferenceValue& v : set.entries) entries.push_back(ValueToJson(v));
  doc["entries"] = std::move(entries);
  return DumpWithinLimit(doc);
}

}  // namespace vouch::policy
