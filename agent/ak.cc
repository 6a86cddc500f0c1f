#include "agent/ak.h"

#include <time.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "core/base/time_format.h"
#include "core/tpm/public.h"

namespace vouch::agent {
namespace {

using json = nlohmann::json;
using tpm_device::AkKind;
using tpm_device::EkKind;
using tpm_device::TpmDevice;
using tpm_device::TpmObject;

constexpr int kAkRecordVersion = 1;

std::string_view AkKindName(AkKind kind) { return kind == AkKind::kRsa2048 ? "rsa" : "ecc"; }
std::string_view EkKindName(EkKind kind) { return kind == EkKind::kRsa ? "rsa" : "ecc"; }
std::string_view StorageName(AkStorage storage) {
  return storage == AkStorage::kStateFile ? "file" : "persistent";
}

std::string HandleHex(uint32_t handle) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", handle);
  return buf;
}

// "rsa/file" or "ecc/persistent 0x81010020" for messages.
std::string Describe(AkKind kind, EkKind ek_kind, AkStorage storage, uint32_t handle) {
  std::string s = std::string(AkKindName(kind)) + " AK under the " +
                  std::string(EkKindName(ek_kind)) + " EK, " + std::string(StorageName(storage));
  if (storage == AkStorage::kPersistentHandle) s += " " + HandleHex(handle);
  return s;
}

Status Corrupt(std::string_view member, std::string_view why) {
  return DataLossError("AK record: " + std::string(member) + ": " + std::string(why));
}

Result<std::string> GetString(const json& doc, const char* member) {
  auto it = doc.find(member);
  if (it == doc.end()) return Corrupt(member, "missing");
  if (!it->is_string()) return Corrupt(member, "expected a string");
  return it->get<std::string>();
}

Result<Bytes> GetBase64(const json& doc, const char* member) {
  VOUCH_ASSIGN_OR_RETURN(std::string text, GetString(doc, member));
  Result<Bytes> bytes = Base64Decode(text);
  if (!bytes.has_value()) return Corrupt(member, bytes.error().message());
  return bytes;
}

bool RecordMatches(const AkRecord& record, const AkOptions& options) {
  return record.kind == options.kind && record.ek_kind == options.ek_kind &&
         record.storage == options.storage &&
         (record.storage != AkStorage::kPersistentHandle ||
          record.persistent_handle == options.persistent_handle);
}

// Loads the AK `record` describes under `ek`. The loaded key's public area
// must be the recorded one: a persistent handle can since have been reused
// for another key.
Result<TpmObject> LoadRecordedAk(TpmDevice& device, const TpmObject& ek, const AkRecord& record) {
  if (record.storage == AkStorage::kStateFile) {
    VOUCH_ASSIGN_OR_RETURN(TpmObject ak, device.LoadAk(ek, record.blob));
    if (ak.public_area() != record.blob.public_area) {
      return FailedPreconditionError("the TPM loaded a different public area than recorded");
    }
    return ak;
  }
  VOUCH_ASSIGN_OR_RETURN_CTX(TpmObject ak, device.LoadPersistent(record.persistent_handle),
                             "persistent handle " + HandleHex(record.persistent_handle));
  if (ak.public_area() != record.blob.public_area) {
    return FailedPreconditionError("persistent handle " + HandleHex(record.persistent_handle) +
                                   " holds another key than the recorded AK");
  }
  return ak;
}

// Evicts the key at `handle` only when it is the recorded AK (never someone
// else's key). Best effort: the old AK is being replaced anyway.
void EvictOldAk(TpmDevice& device, const AkRecord& old) {
  Result<TpmObject> key = device.LoadPersistent(old.persistent_handle);
  if (!key.has_value() || key->public_area() != old.blob.public_area) return;
  key->Reset();
  (void)device.Evict(old.persistent_handle);
}

}  // namespace

Result<std::string> EncodeAkRecord(const AkRecord& record) {
  Result<tpm::TpmPublic> pub = tpm::TpmPublic::DecodeTpm2b(record.blob.public_area);
  if (!pub.has_value()) {
    return InvalidArgumentError("AK record: public: " + pub.error().message());
  }
  if (pub->name() != record.name) {
    return InvalidArgumentError("AK record: name does not match the public area");
  }
  json doc = json::object();
  doc["version"] = kAkRecordVersion;
  doc["ak_type"] = AkKindName(record.kind);
  doc["ek_type"] = EkKindName(record.ek_kind);
  doc["storage"] = StorageName(record.storage);
  if (record.storage == AkStorage::kPersistentHandle) {
    doc["persistent_handle"] = HandleHex(record.persistent_handle);
  } else {
    if (record.blob.private_area.empty()) {
      return InvalidArgumentError("AK record: private area is empty for file storage");
    }
    doc["private"] = Base64Encode(record.blob.private_area);
  }
  doc["public"] = Base64Encode(record.blob.public_area);
  doc["name"] = HexEncode(record.name);
  doc["created_at"] = record.created_at;
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<AkRecord> DecodeAkRecord(std::string_view text) {
  const json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return DataLossError("AK record: not valid JSON");
  if (!doc.is_object()) return DataLossError("AK record: expected a JSON object");

  auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() ||
      version->get<int64_t>() != kAkRecordVersion) {
    return Corrupt("version", "expected 1");
  }
  AkRecord record;
  VOUCH_ASSIGN_OR_RETURN(std::string ak_type, GetString(doc, "ak_type"));
  if (ak_type == "rsa") {
    record.kind = AkKind::kRsa2048;
  } else if (ak_type == "ecc") {
    record.kind = AkKind::kEccP256;
  } else {
    return Corrupt("ak_type", "expected rsa or ecc");
  }
  VOUCH_ASSIGN_OR_RETURN(std::string ek_type, GetString(doc, "ek_type"));
  if (ek_type == "rsa") {
    record.ek_kind = EkKind::kRsa;
  } else if (ek_type == "ecc") {
    record.ek_kind = EkKind::kEcc;
  } else {
    return Corrupt("ek_type", "expected rsa or ecc");
  }
  VOUCH_ASSIGN_OR_RETURN(std::string storage, GetString(doc, "storage"));
  if (storage == "file") {
    record.storage = AkStorage::kStateFile;
    VOUCH_ASSIGN_OR_RETURN(record.blob.private_area, GetBase64(doc, "private"));
    if (record.blob.private_area.empty()) return Corrupt("private", "empty");
  } else if (storage == "persistent") {
    record.storage = AkStorage::kPersistentHandle;
    VOUCH_ASSIGN_OR_RETURN(std::string handle_text, GetString(doc, "persistent_handle"));
    Result<Bytes> handle = HexDecode(handle_text);
    if (!handle.has_value() || handle->size() != 4 || (*handle)[0] != 0x81) {
      return Corrupt("persistent_handle", "expected 0x81xxxxxx");
    }
    record.persistent_handle = (uint32_t{(*handle)[0]} << 24) | (uint32_t{(*handle)[1]} << 16) |
                               (uint32_t{(*handle)[2]} << 8) | (*handle)[3];
  } else {
    return Corrupt("storage", "expected file or persistent");
  }
  VOUCH_ASSIGN_OR_RETURN(record.blob.public_area, GetBase64(doc, "public"));
  Result<tpm::TpmPublic> pub = tpm::TpmPublic::DecodeTpm2b(record.blob.public_area);
  if (!pub.has_value()) return Corrupt("public", pub.error().message());
  const bool rsa = pub->alg() == tpm::KeyAlg::kRsa;
  if (rsa != (record.kind == AkKind::kRsa2048)) {
    return Corrupt("public", "key algorithm does not match ak_type " + ak_type);
  }
  VOUCH_ASSIGN_OR_RETURN(std::string name_hex, GetString(doc, "name"));
  Result<Bytes> name = HexDecode(name_hex);
  if (!name.has_value()) return Corrupt("name", name.error().message());
  // The name is derived from the public area; a mismatch means one of them
  // was edited or torn.
  if (*name != pub->name()) return Corrupt("name", "does not match the public area");
  record.name = std::move(*name);
  VOUCH_ASSIGN_OR_RETURN(record.created_at, GetString(doc, "created_at"));
  return record;
}

Result<InitResult> InitAk(TpmDevice& device, const StateDir& state, const AkOptions& options,
                          const Clock& clock) {
  const std::string record_path = state.FilePath(kAkRecordFile);
  if (options.storage == AkStorage::kPersistentHandle &&
      (options.persistent_handle < 0x81000000u || options.persistent_handle > 0x81ffffffu)) {
    return InvalidArgumentError("AK persistent handle " + HandleHex(options.persistent_handle) +
                                " is outside 0x81000000-0x81ffffff");
  }

  std::optional<AkRecord> old;
  VOUCH_ASSIGN_OR_RETURN(std::optional<Bytes> existing, state.Read(kAkRecordFile));
  if (existing.has_value()) {
    Result<AkRecord> decoded = DecodeAkRecord(ToString(*existing));
    if (decoded.has_value()) {
      old = std::move(*decoded);
    } else if (!options.force) {
      return decoded.error().WithContext(record_path + " (--force replaces it with a new AK)");
    }
  }

  const std::string wanted =
      Describe(options.kind, options.ek_kind, options.storage, options.persistent_handle);
  if (old.has_value()) {
    if (RecordMatches(*old, options)) {
      Status loads;
      {
        Result<TpmObject> ek = device.LoadEk(old->ek_kind);
        if (!ek.has_value()) return ek.error().WithContext("load EK");
        loads = LoadRecordedAk(device, *ek, *old).status();
      }
      if (loads.ok()) return InitResult{std::move(*old), /*created=*/false};
      if (!options.force) {
        return FailedPreconditionError(
            "the AK in " + record_path + " does not load in this TPM (" + loads.ToString() +
            "); --force creates a new one, which must be enrolled again");
      }
    } else if (!options.force) {
      return FailedPreconditionError(
          record_path + " holds an " +
          Describe(old->kind, old->ek_kind, old->storage, old->persistent_handle) +
          ", not the requested " + wanted +
          "; --force replaces it (the new AK must be enrolled again)");
    }
  }

  const bool persistent = options.storage == AkStorage::kPersistentHandle;
  // Is the handle taken? Asked before the (slow) key creation so a refusal
  // costs nothing. The probe's TpmObject is released at once: a persistent
  // key takes no transient slot, but keep nothing around anyway.
  bool handle_taken = false;
  if (persistent) {
    Result<TpmObject> occupant = device.LoadPersistent(options.persistent_handle);
    if (occupant.has_value()) {
      handle_taken = true;
      if (!options.force) {
        return FailedPreconditionError(
            "persistent handle " + HandleHex(options.persistent_handle) +
            " already holds a key that no AK record of this agent names; choose another "
            "ak_handle, or --force to evict that key");
      }
    } else if (occupant.error().code() != Code::kNotFound) {
      return occupant.error().WithContext("probe persistent handle " +
                                          HandleHex(options.persistent_handle));
    }
  }

  AkRecord record;
  record.kind = options.kind;
  record.ek_kind = options.ek_kind;
  record.storage = options.storage;
  record.persistent_handle = persistent ? options.persistent_handle : 0;
  {
    VOUCH_ASSIGN_OR_RETURN_CTX(TpmObject ek, device.LoadEk(options.ek_kind), "load EK");
    VOUCH_ASSIGN_OR_RETURN_CTX(tpm_device::AkBlob blob, device.CreateAk(ek, options.kind),
                               "create AK");
    // Loading proves the blobs work before anything is recorded, and is
    // needed to persist the key.
    VOUCH_ASSIGN_OR_RETURN_CTX(TpmObject ak, device.LoadAk(ek, blob), "load new AK");
    VOUCH_ASSIGN_OR_RETURN_CTX(tpm::TpmPublic pub, tpm::TpmPublic::DecodeTpm2b(blob.public_area),
                               "decode new AK public area");
    record.name = pub.name();
    if (persistent) {
      if (handle_taken) {
        VOUCH_RETURN_IF_ERROR_CTX(device.Evict(options.persistent_handle),
                                  "evict the key at " + HandleHex(options.persistent_handle));
      }
      VOUCH_RETURN_IF_ERROR_CTX(device.Persist(ak, options.persistent_handle),
                                "persist AK at " + HandleHex(options.persistent_handle));
      // The TPM holds the key now; its private blob is of no further use.
      blob.private_area.clear();
    }
    record.blob = std::move(blob);
  }
  record.created_at = FormatRfc3339Utc(clock.Now());

  VOUCH_ASSIGN_OR_RETURN(std::string encoded, EncodeAkRecord(record));
  VOUCH_RETURN_IF_ERROR_CTX(state.WriteAtomic(kAkRecordFile, AsBytes(encoded)),
                            "write " + record_path);

  // The replaced AK's persistent copy, unless the new AK took its handle.
  if (old.has_value() && old->storage == AkStorage::kPersistentHandle &&
      !(persistent && old->persistent_handle == options.persistent_handle)) {
    EvictOldAk(device, *old);
  }
  return InitResult{std::move(record), /*created=*/true};
}

Result<LoadedAk> LoadAkFromState(TpmDevice& device, const StateDir& state) {
  const std::string record_path = state.FilePath(kAkRecordFile);
  VOUCH_ASSIGN_OR_RETURN(std::optional<Bytes> data, state.Read(kAkRecordFile));
  if (!data.has_value()) {
    return FailedPreconditionError("no AK record at " + record_path + ": run vouch-agent init");
  }
  Result<AkRecord> record = DecodeAkRecord(ToString(*data));
  if (!record.has_value()) {
    return record.error().WithContext(record_path + " (vouch-agent init --force replaces it)");
  }
  const std::string context =
      "load the AK of " + record_path +
      " (made by another TPM, or the TPM's endorsement hierarchy was cleared? "
      "vouch-agent init --force makes a new one)";
  VOUCH_ASSIGN_OR_RETURN_CTX(TpmObject ek, device.LoadEk(record->ek_kind), context);
  VOUCH_ASSIGN_OR_RETURN_CTX(TpmObject ak, LoadRecordedAk(device, ek, *record), context);
  return LoadedAk{std::move(*record), std::move(ek), std::move(ak)};
}

}  // namespace vouch::agent
