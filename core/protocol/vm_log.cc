#include "core/protocol/vm_log.h"

#include <set>
#include <string>
#include <utility>

#include "core/crypto/digest.h"
#include "core/protocol/evidence.h"
#include "core/protocol/json_util.h"

namespace vouch::protocol {
namespace {

using internal::FieldError;
using internal::FindMember;
using internal::Join;
using internal::Json;
using internal::OrderedJson;
using internal::RequireMember;

// The document name in error paths ("vm_log_record.vm.id: ...").
constexpr std::string_view kDoc = "vm_log_record";

// The banks a record may name, in the order they are encoded (SM3 has no
// member: the crypto layer cannot compute it, so no launcher can extend it).
constexpr HashAlg kRecordBanks[] = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384,
                                    HashAlg::kSha512};

bool IsRecordBank(HashAlg alg) {
  for (HashAlg b : kRecordBanks) {
    if (b == alg) return true;
  }
  return false;
}

// Whether `text` holds a control character: C0 (U+0000-U+001F), DEL
// (U+007F) or C1 (U+0080-U+009F, UTF-8 "\xC2\x80".."\xC2\x9F"). Names and
// paths are printed by CLIs and logs; a control character there could forge
// a log line or a terminal escape, and none belongs in a name or a path.
// `text` is valid UTF-8 (checked before), so 0xC2 starts a two-byte sequence.
std::optional<size_t> FindControlCharacter(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c < 0x20 || c == 0x7F) return i;
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<uint8_t>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return i;
    }
  }
  return std::nullopt;
}

// A text member: valid UTF-8 of min..max code points, no control character.
Status CheckText(std::string_view text, std::string_view path, size_t min_chars, size_t max_chars) {
  VOUCH_RETURN_IF_ERROR(internal::CheckUtf8String(text, path, min_chars, max_chars));
  if (std::optional<size_t> at = FindControlCharacter(text)) {
    return FieldError(path, "control character at byte " + std::to_string(*at));
  }
  return Status::Ok();
}

Status CheckDigests(const std::map<HashAlg, Bytes>& digests, std::string_view path) {
  if (digests.empty()) return FieldError(path, "no digest (at least one bank is required)");
  for (const auto& [bank, digest] : digests) {
    const std::string bank_path = Join(path, HashAlgName(bank));
    if (!IsRecordBank(bank)) return FieldError(bank_path, "bank not allowed (sha1 to sha512)");
    if (digest.size() != DigestSize(bank)) {
      return FieldError(bank_path, std::to_string(digest.size()) + " bytes, expected " +
                                       std::to_string(DigestSize(bank)));
    }
  }
  return Status::Ok();
}

// Every rule of vm_log.h on a record, in member order (the encoder's and,
// after the typed reads, the decoder's check).
Status CheckRecord(const VmLogRecord& r) {
  if (r.version != kVmLogVersion) {
    return FieldError(Join(kDoc, "v"), "unsupported version " + std::to_string(r.version) +
                                           " (this build writes version 1)");
  }
  if (r.seq > kMaxVmLogInteger) {
    return FieldError(Join(kDoc, "seq"), "must be at most " + std::to_string(kMaxVmLogInteger));
  }
  VOUCH_RETURN_IF_ERROR(internal::CheckTimestamp(r.time, Join(kDoc, "time")));
  if (!r.boot_id.empty() && !IsVmBootId(r.boot_id)) {
    return FieldError(Join(kDoc, "boot_id"),
                      "expected \"\" or a lower-case UUID like "
                      "\"0b6a7e4c-3b1d-4f6e-9a55-1c2d3e4f5a6b\"");
  }
  if (Status s = CheckVmPcr(r.pcr); !s.ok()) return FieldError(Join(kDoc, "pcr"), s.message());
  VOUCH_RETURN_IF_ERROR(CheckVmId(r.vm_id, "vm_log_record.vm.id"));
  VOUCH_RETURN_IF_ERROR(CheckVmName(r.vm_name, "vm_log_record.vm.name"));
  VOUCH_RETURN_IF_ERROR(CheckVmPath(r.path, Join(kDoc, "path")));
  if (r.size > kMaxVmLogInteger) {
    return FieldError(Join(kDoc, "size"), "must be at most " + std::to_string(kMaxVmLogInteger));
  }
  return CheckDigests(r.digests, Join(kDoc, "digests"));
}

Result<std::string> RequireString(const Json& object, std::string_view path,
                                  std::string_view name) {
  VOUCH_ASSIGN_OR_RETURN(const Json* member, RequireMember(object, path, name));
  return internal::GetString(*member, Join(path, name));
}

}  // namespace

namespace internal {

OrderedJson EncodeVmDigests(const std::map<HashAlg, Bytes>& digests) {
  OrderedJson out = OrderedJson::object();
  for (HashAlg bank : kRecordBanks) {
    auto it = digests.find(bank);
    if (it != digests.end()) out[std::string(HashAlgName(bank))] = HexEncode(it->second);
  }
  return out;
}

Result<std::map<HashAlg, Bytes>> DecodeVmDigests(const Json& value, std::string_view path) {
  VOUCH_RETURN_IF_ERROR(internal::ExpectObject(value, path));
  VOUCH_RETURN_IF_ERROR(
      internal::CheckMembers(value, path, {"sha1", "sha256", "sha384", "sha512"}));
  std::map<HashAlg, Bytes> digests;
  for (HashAlg bank : kRecordBanks) {
    const Json* digest = FindMember(value, HashAlgName(bank));
    if (digest == nullptr) continue;
    VOUCH_ASSIGN_OR_RETURN(digests[bank], internal::GetHex(*digest, Join(path, HashAlgName(bank)),
                                                           DigestSize(bank), DigestSize(bank)));
  }
  VOUCH_RETURN_IF_ERROR(CheckDigests(digests, path));
  return digests;
}

}  // namespace internal

Status CheckVmPcr(uint32_t pcr) {
  if (pcr >= 8 && pcr <= 15) return Status::Ok();
  return InvalidArgumentError("VM PCR " + std::to_string(pcr) +
                              " refused: use 8-15 (0-7 are the firmware's, 16 and 23 can be "
                              "reset from locality 0, 17-22 belong to the D-RTM)");
}

std::string_view VmComponentName(VmComponent c) {
  switch (c) {
    case VmComponent::kDisk: return "disk";
    case VmComponent::kKernel: return "kernel";
    case VmComponent::kInitrd: return "initrd";
    case VmComponent::kFirmware: return "firmware";
    case VmComponent::kConfig: return "config";
  }
  return "disk";
}

std::optional<VmComponent> ParseVmComponent(std::string_view name) {
  for (VmComponent c : {VmComponent::kDisk, VmComponent::kKernel, VmComponent::kInitrd,
                        VmComponent::kFirmware, VmComponent::kConfig}) {
    if (VmComponentName(c) == name) return c;
  }
  return std::nullopt;
}

Status CheckVmPath(std::string_view path, std::string_view field) {
  VOUCH_RETURN_IF_ERROR(internal::CheckByteSize(path.size(), field, 1, kMaxVmPathBytes));
  VOUCH_RETURN_IF_ERROR(CheckText(path, field, 1, kMaxVmPathBytes));
  if (path.front() != '/') return FieldError(field, "not an absolute path");
  return Status::Ok();
}

// Strict because rotation names the old log "vm.log.<boot_id>": a boot id
// with "/" or ".." must never reach a file name.
bool IsVmBootId(std::string_view text) {
  if (text.size() != kVmBootIdLength) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (text[i] == '-')) return false;
    if (!dash && !internal::IsLowerHex(text.substr(i, 1))) return false;
  }
  return true;
}

Status CheckVmId(std::string_view id, std::string_view field) {
  return CheckText(id, field, 1, kMaxVmIdLength);
}

Status CheckVmName(std::string_view name, std::string_view field) {
  return CheckText(name, field, 1, kMaxVmNameLength);
}

Status CheckVmDigests(const std::map<HashAlg, Bytes>& digests, std::string_view field) {
  return CheckDigests(digests, field);
}

Status CheckVmLogRecord(const VmLogRecord& record) { return CheckRecord(record); }

Result<std::string> EncodeVmLogRecord(const VmLogRecord& record) {
  VOUCH_RETURN_IF_ERROR(CheckRecord(record));
  OrderedJson doc = OrderedJson::object();
  doc["v"] = record.version;
  doc["seq"] = record.seq;
  doc["time"] = record.time;
  doc["boot_id"] = record.boot_id;
  doc["pcr"] = record.pcr;
  OrderedJson vm = OrderedJson::object();
  vm["id"] = record.vm_id;
  vm["name"] = record.vm_name;
  doc["vm"] = std::move(vm);
  doc["component"] = std::string(VmComponentName(record.component));
  doc["path"] = record.path;
  doc["size"] = record.size;
  doc["digests"] = internal::EncodeVmDigests(record.digests);
  std::string line = internal::Dump(doc);
  line += '\n';
  if (line.size() > kMaxVmLogRecordBytes) {
    return FieldError(kDoc, "record of " + std::to_string(line.size()) +
                                " bytes, more than the limit of " +
                                std::to_string(kMaxVmLogRecordBytes));
  }
  return line;
}

Result<VmLogRecord> DecodeVmLogRecord(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  // Before parsing: a record is one compact line. A raw control byte (a
  // second "\n", the "\r" of a CRLF line, a tab) cannot be part of a line
  // the launcher wrote; JSON would accept some of them as whitespace, but a
  // record that is not byte-for-byte the launcher's form is refused.
  if (line.size() >= kMaxVmLogRecordBytes) {
    return FieldError(kDoc, "line of " + std::to_string(line.size() + 1) +
                                " bytes with its newline, more than the limit of " +
                                std::to_string(kMaxVmLogRecordBytes));
  }
  for (size_t i = 0; i < line.size(); ++i) {
    if (static_cast<uint8_t>(line[i]) < 0x20) {
      return FieldError(kDoc, "raw control character at byte " + std::to_string(i) +
                                  (line[i] == '\r' ? " (CRLF line ending?)" : "") +
                                  " (a record is one compact JSON line)");
    }
  }
  VOUCH_ASSIGN_OR_RETURN(Json doc, internal::ParseDocument(line, kMaxVmLogRecordBytes - 1, kDoc));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(
      doc, kDoc,
      {"v", "seq", "time", "boot_id", "pcr", "vm", "component", "path", "size", "digests"}));
  VmLogRecord r;

  VOUCH_ASSIGN_OR_RETURN(const Json* version, RequireMember(doc, kDoc, "v"));
  VOUCH_ASSIGN_OR_RETURN(uint64_t v, internal::GetUnsigned(*version, Join(kDoc, "v"), 1000));
  if (v != static_cast<uint64_t>(kVmLogVersion)) {
    return FieldError(Join(kDoc, "v"),
                      "unsupported version " + std::to_string(v) + " (this build reads version 1)");
  }
  r.version = kVmLogVersion;

  VOUCH_ASSIGN_OR_RETURN(const Json* seq, RequireMember(doc, kDoc, "seq"));
  VOUCH_ASSIGN_OR_RETURN(r.seq, internal::GetUnsigned(*seq, Join(kDoc, "seq"), kMaxVmLogInteger));
  VOUCH_ASSIGN_OR_RETURN(r.time, RequireString(doc, kDoc, "time"));
  VOUCH_ASSIGN_OR_RETURN(r.boot_id, RequireString(doc, kDoc, "boot_id"));
  VOUCH_ASSIGN_OR_RETURN(const Json* pcr, RequireMember(doc, kDoc, "pcr"));
  VOUCH_ASSIGN_OR_RETURN(uint64_t pcr_index,
                         internal::GetUnsigned(*pcr, Join(kDoc, "pcr"), tpm::kNumPcrs - 1));
  r.pcr = static_cast<uint32_t>(pcr_index);

  const std::string vm_path = Join(kDoc, "vm");
  VOUCH_ASSIGN_OR_RETURN(const Json* vm, RequireMember(doc, kDoc, "vm"));
  VOUCH_RETURN_IF_ERROR(internal::ExpectObject(*vm, vm_path));
  VOUCH_RETURN_IF_ERROR(internal::CheckMembers(*vm, vm_path, {"id", "name"}));
  VOUCH_ASSIGN_OR_RETURN(r.vm_id, RequireString(*vm, vm_path, "id"));
  VOUCH_ASSIGN_OR_RETURN(r.vm_name, RequireString(*vm, vm_path, "name"));

  VOUCH_ASSIGN_OR_RETURN(std::string component, RequireString(doc, kDoc, "component"));
  std::optional<VmComponent> c = ParseVmComponent(component);
  if (!c) {
    return FieldError(Join(kDoc, "component"),
                      "unknown component (expected disk, kernel, initrd, firmware or config)");
  }
  r.component = *c;
  VOUCH_ASSIGN_OR_RETURN(r.path, RequireString(doc, kDoc, "path"));
  VOUCH_ASSIGN_OR_RETURN(const Json* size, RequireMember(doc, kDoc, "size"));
  VOUCH_ASSIGN_OR_RETURN(r.size,
                         internal::GetUnsigned(*size, Join(kDoc, "size"), kMaxVmLogInteger));
  VOUCH_ASSIGN_OR_RETURN(const Json* digests, RequireMember(doc, kDoc, "digests"));
  VOUCH_ASSIGN_OR_RETURN(r.digests, internal::DecodeVmDigests(*digests, Join(kDoc, "digests")));

  // The remaining rules (time shape, boot id, PCR range, text limits) are
  // the encoder's, so both sides agree on what a record is.
  VOUCH_RETURN_IF_ERROR(CheckRecord(r));
  return r;
}

Result<ParsedVmLog> ParseVmLog(ByteView log) {
  if (log.size() > kMaxVmLogBytes) {
    return InvalidArgumentError("vm log: " + std::to_string(log.size()) +
                                " bytes, more than the limit of " + std::to_string(kMaxVmLogBytes));
  }
  const std::string_view text(reinterpret_cast<const char*>(log.data()), log.size());
  ParsedVmLog out;
  size_t offset = 0;
  while (offset < text.size()) {
    const size_t newline = text.find('\n', offset);
    if (newline == std::string_view::npos) {
      // An interrupted append: never extended, whatever it contains.
      VmLogDefect d;
      d.kind = VmLogDefect::Kind::kTorn;
      d.offset = offset;
      d.length = text.size() - offset;
      d.message = "torn record: the last " + std::to_string(d.length) +
                  " bytes have no final newline (an interrupted append, never extended)";
      out.defects.push_back(std::move(d));
      out.ends_with_newline = false;
      break;
    }
    const std::string_view line = text.substr(offset, newline - offset);
    VmLogDefect d;
    d.kind = VmLogDefect::Kind::kMalformed;
    d.offset = offset;
    d.length = line.size();
    if (line.empty()) {
      d.message = "empty line";
      out.defects.push_back(std::move(d));
    } else if (line.size() + 1 > kMaxVmLogRecordBytes) {
      // Not decoded: a line this long is not a record whatever it holds.
      d.message = "line of " + std::to_string(line.size() + 1) +
                  " bytes with its newline, more than the limit of " +
                  std::to_string(kMaxVmLogRecordBytes);
      out.defects.push_back(std::move(d));
    } else if (Result<VmLogRecord> record = DecodeVmLogRecord(line); !record) {
      d.message = record.error().message();
      out.defects.push_back(std::move(d));
    } else {
      out.records.push_back(std::move(*record));
      out.offsets.push_back(offset);
    }
    offset = newline + 1;
  }
  return out;
}

tpm::PcrValues ReplayVmLog(const std::vector<VmLogRecord>& records,
                           const std::vector<HashAlg>& banks) {
  // (bank, pcr) -> running value; pairs that cannot be computed are dropped
  // and remembered so a later record does not bring them back.
  std::map<std::pair<HashAlg, uint32_t>, Bytes> values;
  std::set<std::pair<HashAlg, uint32_t>> broken;
  const std::set<HashAlg> unique_banks(banks.begin(), banks.end());
  for (const VmLogRecord& r : records) {
    for (HashAlg bank : unique_banks) {
      const auto key = std::make_pair(bank, r.pcr);
      if (broken.count(key) != 0) continue;
      auto digest = r.digests.find(bank);
      if (digest == r.digests.end() || !crypto::IsDigestSupported(bank) || r.pcr >= tpm::kNumPcrs) {
        broken.insert(key);
        values.erase(key);
        continue;
      }
      auto [it, inserted] = values.try_emplace(key, Bytes(DigestSize(bank), 0));
      if (!crypto::ExtendPcr(bank, it->second, digest->second).ok()) {
        // A digest of the wrong size (a record not made by the decoder).
        broken.insert(key);
        values.erase(it);
      }
    }
  }
  tpm::PcrValues out;
  for (auto& [key, value] : values) {
    // Cannot fail: the index is < kNumPcrs and the size is the bank's.
    (void)out.Set(key.first, key.second, std::move(value));
  }
  return out;
}

}  // namespace vouch::protocol
