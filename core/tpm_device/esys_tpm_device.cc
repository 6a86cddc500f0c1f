#include "core/tpm_device/esys_tpm_device.h"

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tcti.h>
#include <tss2/tss2_tctildr.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/tpm_device/internal/tss_call.h"

namespace vouch::tpm_device {
namespace {

// Full re-reads of a PCR selection when PCRs change while it is read.
constexpr int kMaxPcrReadRounds = 5;

// TCG EK Credential Profile 2.0, section B.3.3 (template L-1/L-2 authPolicy):
// PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256.
constexpr std::array<uint8_t, 32> kEkPolicySha256 = {
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
    0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%x", v);
  return buf;
}

using internal::TssError;

template <typename F>
Status Call(std::string_view command, F&& f) {
  return internal::CallWithRetry(command, std::forward<F>(f));
}

// Owns memory ESYS allocated for an output parameter.
struct EsysFree {
  void operator()(void* p) const { Esys_Free(p); }
};
template <typename T>
using EsysPtr = std::unique_ptr<T, EsysFree>;

// Marshals `value` with a libtss2-mu function into bytes.
template <typename T, typename F>
Result<Bytes> Marshal(const T& value, F marshal, std::string_view what) {
  Bytes out(sizeof(T) + 64);
  size_t offset = 0;
  const TSS2_RC rc = marshal(&value, out.data(), out.size(), &offset);
  if (rc != TSS2_RC_SUCCESS) {
    return InternalError("marshal " + std::string(what) + ": " + Tss2_RC_Decode(rc));
  }
  out.resize(offset);
  return out;
}

// Unmarshals all of `data` into a T; InvalidArgument on bad or trailing bytes.
template <typename T, typename F>
Result<T> Unmarshal(ByteView data, F unmarshal, std::string_view what) {
  T value = {};
  size_t offset = 0;
  const TSS2_RC rc = unmarshal(data.data(), data.size(), &offset, &value);
  if (rc != TSS2_RC_SUCCESS) {
    return InvalidArgumentError("decode " + std::string(what) + ": " + Tss2_RC_Decode(rc));
  }
  if (offset != data.size()) {
    return InvalidArgumentError("decode " + std::string(what) + ": " +
                                std::to_string(data.size() - offset) + " trailing bytes");
  }
  return value;
}

Status CheckSelection(const std::vector<tpm::PcrSelection>& selection) {
  for (const tpm::PcrSelection& s : selection) {
    for (uint32_t pcr : s.pcrs) {
      if (pcr >= tpm::kNumPcrs) {
        return InvalidArgumentError("PCR index " + std::to_string(pcr) + " out of range");
      }
    }
  }
  return Status::Ok();
}

// TPML_PCR_SELECTION (TPM 2.0 Part 2, section 10.9.7) with one entry per bank
// (duplicate banks merged), 3-byte select bitmaps.
Result<TPML_PCR_SELECTION> ToTpmSelection(const std::vector<tpm::PcrSelection>& selection) {
  VOUCH_RETURN_IF_ERROR(CheckSelection(selection));
  TPML_PCR_SELECTION out = {};
  for (const tpm::PcrSelection& s : selection) {
    const auto hash = static_cast<TPMI_ALG_HASH>(s.bank);
    uint32_t i = 0;
    while (i < out.count && out.pcrSelections[i].hash != hash) ++i;
    if (i == out.count) {
      if (out.count == TPM2_NUM_PCR_BANKS) return InvalidArgumentError("too many PCR banks");
      out.pcrSelections[i].hash = hash;
      out.pcrSelections[i].sizeofSelect = tpm::kNumPcrs / 8;
      ++out.count;
    }
    for (uint32_t pcr : s.pcrs) {
      out.pcrSelections[i].pcrSelect[pcr / 8] |= static_cast<uint8_t>(1u << (pcr % 8));
    }
  }
  return out;
}

bool SelectionEmpty(const TPML_PCR_SELECTION& sel) {
  for (uint32_t i = 0; i < sel.count; ++i) {
    for (uint32_t b = 0; b < sel.pcrSelections[i].sizeofSelect; ++b) {
      if (sel.pcrSelections[i].pcrSelect[b] != 0) return false;
    }
  }
  return true;
}

// AK templates (TPM 2.0 Part 2, section 12.2.4): restricted signing keys whose
// scheme is fixed, so TPM2_Quote is called with TPM_ALG_NULL.
TPM2B_PUBLIC AkTemplate(AkKind kind) {
  TPM2B_PUBLIC pub = {};
  TPMT_PUBLIC& t = pub.publicArea;
  t.nameAlg = TPM2_ALG_SHA256;
  t.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                       TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                       TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
  if (kind == AkKind::kRsa2048) {
    t.type = TPM2_ALG_RSA;
    t.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
    t.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
    t.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
    t.parameters.rsaDetail.keyBits = 2048;
    t.parameters.rsaDetail.exponent = 0;
  } else {
    t.type = TPM2_ALG_ECC;
    t.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    t.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    t.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    t.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    t.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  }
  return pub;
}

// TCG EK Credential Profile 2.0, section B.3.3: templates L-1 (RSA-2048) and
// L-2 (ECC NIST P-256).
TPM2B_PUBLIC EkTemplate(EkKind kind) {
  TPM2B_PUBLIC pub = {};
  TPMT_PUBLIC& t = pub.publicArea;
  t.nameAlg = TPM2_ALG_SHA256;
  t.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                       TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
                       TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
  t.authPolicy.size = kEkPolicySha256.size();
  std::memcpy(t.authPolicy.buffer, kEkPolicySha256.data(), kEkPolicySha256.size());
  if (kind == EkKind::kRsa) {
    t.type = TPM2_ALG_RSA;
    t.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
    t.parameters.rsaDetail.symmetric.keyBits.aes = 128;
    t.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
    t.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
    t.parameters.rsaDetail.keyBits = 2048;
    t.parameters.rsaDetail.exponent = 0;
    t.unique.rsa.size = 256;
  } else {
    t.type = TPM2_ALG_ECC;
    t.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
    t.parameters.eccDetail.symmetric.keyBits.aes = 128;
    t.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
    t.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    t.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    t.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    t.unique.ecc.x.size = 32;
    t.unique.ecc.y.size = 32;
  }
  return pub;
}

struct TctiFinalize {
  void operator()(TSS2_TCTI_CONTEXT* tcti) const { Tss2_TctiLdr_Finalize(&tcti); }
};
struct EsysFinalize {
  void operator()(ESYS_CONTEXT* esys) const { Esys_Finalize(&esys); }
};

// The objects a device has loaded, shared (weakly) with the release functions
// of its TpmObjects so that a TpmObject outliving its device is harmless.
struct LoadedObjects {
  struct Entry {
    ESYS_TR tr = ESYS_TR_NONE;
    bool flush = false;  // transient: flush; persistent: only close the ESYS_TR
    TPMI_ALG_HASH name_alg = TPM2_ALG_SHA256;
    bool user_with_auth = false;  // TPMA_OBJECT_USERWITHAUTH
  };

  ESYS_CONTEXT* esys = nullptr;
  // Upper 32 bits of every id, random per device, so that an object from
  // another device is (with overwhelming probability) not mistaken for ours.
  uint64_t id_tag = 0;
  uint32_t next = 1;
  std::map<uint64_t, Entry> entries;

  uint64_t Add(Entry entry) {
    const uint64_t id = id_tag | next++;
    entries.emplace(id, entry);
    return id;
  }

  void Release(uint64_t id) {
    auto it = entries.find(id);
    if (it == entries.end() || esys == nullptr) return;
    ESYS_TR tr = it->second.tr;
    // After a TPM reset the object is gone and the flush fails; the ESYS_TR
    // must then still be closed.
    if (!it->second.flush || Esys_FlushContext(esys, tr) != TSS2_RC_SUCCESS) {
      Esys_TR_Close(esys, &tr);
    }
    entries.erase(it);
  }

  void ReleaseAll() {
    while (!entries.empty()) Release(entries.begin()->first);
  }
};

// An ESYS_TR closed (not flushed) at scope exit: persistent handles and NV
// indices looked up for one call.
class ScopedTr {
 public:
  ScopedTr(ESYS_CONTEXT* esys, ESYS_TR tr) : esys_(esys), tr_(tr) {}
  ~ScopedTr() { Esys_TR_Close(esys_, &tr_); }
  ScopedTr(const ScopedTr&) = delete;
  ScopedTr& operator=(const ScopedTr&) = delete;
  ESYS_TR get() const { return tr_; }

 private:
  ESYS_CONTEXT* esys_;
  ESYS_TR tr_;
};

// A session flushed at scope exit (continueSession is set so that the TPM
// never flushes it behind ESYS's back).
class ScopedSession {
 public:
  ScopedSession(ESYS_CONTEXT* esys, ESYS_TR tr) : esys_(esys), tr_(tr) {}
  ~ScopedSession() { Esys_FlushContext(esys_, tr_); }
  ScopedSession(const ScopedSession&) = delete;
  ScopedSession& operator=(const ScopedSession&) = delete;
  ESYS_TR get() const { return tr_; }

 private:
  ESYS_CONTEXT* esys_;
  ESYS_TR tr_;
};

class EsysTpmDevice final : public TpmDevice {
 public:
  EsysTpmDevice(std::unique_ptr<TSS2_TCTI_CONTEXT, TctiFinalize> tcti,
                std::unique_ptr<ESYS_CONTEXT, EsysFinalize> esys)
      : tcti_(std::move(tcti)),
        esys_(std::move(esys)),
        objects_(std::make_shared<LoadedObjects>()) {
    objects_->esys = esys_.get();
    objects_->id_tag = static_cast<uint64_t>(std::random_device{}()) << 32;
  }

  ~EsysTpmDevice() override {
    objects_->ReleaseAll();
    objects_->esys = nullptr;
  }

  Status Startup() override {
    return Call("Esys_Startup", [&] {
      const TSS2_RC rc = Esys_Startup(ctx(), TPM2_SU_CLEAR);
      return rc == TPM2_RC_INITIALIZE ? TSS2_RC_SUCCESS : rc;
    });
  }

  Result<std::vector<HashAlg>> ActiveBanks() override {
    TPMI_YES_NO more = TPM2_NO;
    TPMS_CAPABILITY_DATA* raw = nullptr;
    VOUCH_RETURN_IF_ERROR(Call("Esys_GetCapability", [&] {
      return Esys_GetCapability(ctx(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_PCRS, 0,
                                1, &more, &raw);
    }));
    EsysPtr<TPMS_CAPABILITY_DATA> cap(raw);
    std::vector<HashAlg> active;
    for (HashAlg alg : kAllHashAlgs) {
      const TPML_PCR_SELECTION& sel = cap->data.assignedPCR;
      for (uint32_t i = 0; i < sel.count && i < TPM2_NUM_PCR_BANKS; ++i) {
        if (sel.pcrSelections[i].hash != static_cast<TPMI_ALG_HASH>(alg)) continue;
        const auto& s = sel.pcrSelections[i];
        if (std::any_of(s.pcrSelect, s.pcrSelect + std::min<size_t>(s.sizeofSelect, 4),
                        [](uint8_t b) { return b != 0; })) {
          active.push_back(alg);
        }
      }
    }
    return active;
  }

  Result<tpm::PcrValues> ReadPcrs(const std::vector<tpm::PcrSelection>& selection) override {
    VOUCH_ASSIGN_OR_RETURN(const TPML_PCR_SELECTION full, ToTpmSelection(selection));
    for (int round = 0; round < kMaxPcrReadRounds; ++round) {
      tpm::PcrValues values;
      TPML_PCR_SELECTION remaining = full;
      std::optional<uint32_t> counter;
      bool changed = false;
      while (!SelectionEmpty(remaining)) {
        uint32_t update_counter = 0;
        TPML_PCR_SELECTION* sel_raw = nullptr;
        TPML_DIGEST* dig_raw = nullptr;
        VOUCH_RETURN_IF_ERROR(Call("Esys_PCR_Read", [&] {
          return Esys_PCR_Read(ctx(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &remaining,
                               &update_counter, &sel_raw, &dig_raw);
        }));
        EsysPtr<TPML_PCR_SELECTION> sel_out(sel_raw);
        EsysPtr<TPML_DIGEST> digests(dig_raw);
        if (counter.has_value() && *counter != update_counter) {
          changed = true;
          break;
        }
        counter = update_counter;
        VOUCH_ASSIGN_OR_RETURN(uint32_t read, TakeDigests(*sel_out, *digests, remaining, values));
        if (read == 0) {
          return FailedPreconditionError(
              "Esys_PCR_Read: the TPM returned no values for the remaining selection (PCR bank "
              "not active?)");
        }
      }
      if (!changed) return values;
    }
    return UnavailableError("Esys_PCR_Read: PCRs kept changing while being read");
  }

  Status ExtendPcr(uint32_t pcr, const std::vector<BankDigest>& digests) override {
    if (pcr >= tpm::kNumPcrs) {
      return InvalidArgumentError("PCR index " + std::to_string(pcr) + " out of range");
    }
    if (digests.empty() || digests.size() > TPM2_NUM_PCR_BANKS) {
      return InvalidArgumentError("ExtendPcr needs 1 to 16 digests");
    }
    TPML_DIGEST_VALUES values = {};
    for (const BankDigest& d : digests) {
      if (d.digest.size() != DigestSize(d.bank) || d.digest.size() > sizeof(TPMU_HA)) {
        return InvalidArgumentError("digest for " + std::string(HashAlgName(d.bank)) + " has " +
                                    std::to_string(d.digest.size()) + " bytes");
      }
      TPMT_HA& ha = values.digests[values.count++];
      ha.hashAlg = static_cast<TPMI_ALG_HASH>(d.bank);
      std::memcpy(reinterpret_cast<uint8_t*>(&ha.digest), d.digest.data(), d.digest.size());
    }
    return Call("Esys_PCR_Extend", [&] {
      return Esys_PCR_Extend(ctx(), ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                             ESYS_TR_NONE, &values);
    });
  }

  Result<Bytes> ReadPublic(uint32_t handle) override {
    VOUCH_ASSIGN_OR_RETURN(ESYS_TR tr, FromTpmPublic(handle));
    ScopedTr scoped(ctx(), tr);
    VOUCH_ASSIGN_OR_RETURN(TPM2B_PUBLIC pub, ReadPublicOf(tr));
    return Marshal(pub, Tss2_MU_TPM2B_PUBLIC_Marshal, "TPM2B_PUBLIC");
  }

  Result<Bytes> ReadNv(uint32_t index) override {
    VOUCH_ASSIGN_OR_RETURN(ESYS_TR tr, FromTpmPublic(index));
    ScopedTr scoped(ctx(), tr);
    TPM2B_NV_PUBLIC* pub_raw = nullptr;
    TPM2B_NAME* name_raw = nullptr;
    VOUCH_RETURN_IF_ERROR(Call("Esys_NV_ReadPublic", [&] {
      return Esys_NV_ReadPublic(ctx(), tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub_raw,
                                &name_raw);
    }));
    EsysPtr<TPM2B_NV_PUBLIC> nv_public(pub_raw);
    EsysPtr<TPM2B_NAME> nv_name(name_raw);
    const uint16_t size = nv_public->nvPublic.dataSize;
    const bool owner_read = (nv_public->nvPublic.attributes & TPMA_NV_OWNERREAD) != 0;
    const ESYS_TR auth = owner_read ? ESYS_TR_RH_OWNER : tr;

    VOUCH_ASSIGN_OR_RETURN(uint32_t max_chunk, NvBufferMax());
    Bytes out;
    out.reserve(size);
    while (out.size() < size) {
      const auto chunk = static_cast<uint16_t>(std::min<size_t>(max_chunk, size - out.size()));
      const auto offset = static_cast<uint16_t>(out.size());
      TPM2B_MAX_NV_BUFFER* data_raw = nullptr;
      VOUCH_RETURN_IF_ERROR(Call("Esys_NV_Read", [&] {
        return Esys_NV_Read(ctx(), auth, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, chunk,
                            offset, &data_raw);
      }));
      EsysPtr<TPM2B_MAX_NV_BUFFER> data(data_raw);
      if (data->size == 0 || data->size > chunk) {
        return InternalError("Esys_NV_Read: returned " + std::to_string(data->size) +
                             " bytes for a " + std::to_string(chunk) + "-byte read");
      }
      out.insert(out.end(), data->buffer, data->buffer + data->size);
    }
    return out;
  }

  Result<TpmObject> LoadEk(EkKind kind) override {
    const uint32_t handle = kind == EkKind::kRsa ? kRsaEkPersistentHandle : kEccEkPersistentHandle;
    Result<TpmObject> persistent = LoadPersistent(handle);
    if (persistent.has_value() || persistent.error().code() != Code::kNotFound) return persistent;

    const TPM2B_PUBLIC in_public = EkTemplate(kind);
    const TPM2B_SENSITIVE_CREATE sensitive = {};
    const TPM2B_DATA outside = {};
    const TPML_PCR_SELECTION creation_pcr = {};
    ESYS_TR tr = ESYS_TR_NONE;
    TPM2B_PUBLIC* pub_raw = nullptr;
    TPM2B_CREATION_DATA* cdata_raw = nullptr;
    TPM2B_DIGEST* chash_raw = nullptr;
    TPMT_TK_CREATION* ticket_raw = nullptr;
    VOUCH_RETURN_IF_ERROR(Call("Esys_CreatePrimary", [&] {
      return Esys_CreatePrimary(ctx(), ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                ESYS_TR_NONE, &sensitive, &in_public, &outside, &creation_pcr, &tr,
                                &pub_raw, &cdata_raw, &chash_raw, &ticket_raw);
    }));
    EsysPtr<TPM2B_PUBLIC> pub(pub_raw);
    EsysPtr<TPM2B_CREATION_DATA> cdata(cdata_raw);
    EsysPtr<TPM2B_DIGEST> chash(chash_raw);
    EsysPtr<TPMT_TK_CREATION> ticket(ticket_raw);
    return Register(tr, /*flush=*/true, *pub);
  }

  Result<AkBlob> CreateAk(const TpmObject& ek, AkKind kind) override {
    VOUCH_ASSIGN_OR_RETURN(const LoadedObjects::Entry entry, Lookup(ek, "EK"));
    VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<ScopedSession> session, EkAuthSession(entry));
    const ESYS_TR auth = session != nullptr ? session->get() : ESYS_TR_PASSWORD;
    const TPM2B_PUBLIC in_public = AkTemplate(kind);
    const TPM2B_SENSITIVE_CREATE sensitive = {};
    const TPM2B_DATA outside = {};
    const TPML_PCR_SELECTION creation_pcr = {};
    TPM2B_PRIVATE* priv_raw = nullptr;
    TPM2B_PUBLIC* pub_raw = nullptr;
    TPM2B_CREATION_DATA* cdata_raw = nullptr;
    TPM2B_DIGEST* chash_raw = nullptr;
    TPMT_TK_CREATION* ticket_raw = nullptr;
    // Not retried: the policy session is spent by a TPM error. Retrying would
    // need a new session; RETRY on Create is rare and ESYS resubmits it.
    const TSS2_RC rc = Esys_Create(ctx(), entry.tr, auth, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                                   &in_public, &outside, &creation_pcr, &priv_raw, &pub_raw,
                                   &cdata_raw, &chash_raw, &ticket_raw);
    if (rc != TSS2_RC_SUCCESS) return TssError("Esys_Create", rc);
    EsysPtr<TPM2B_PRIVATE> priv(priv_raw);
    EsysPtr<TPM2B_PUBLIC> pub(pub_raw);
    EsysPtr<TPM2B_CREATION_DATA> cdata(cdata_raw);
    EsysPtr<TPM2B_DIGEST> chash(chash_raw);
    EsysPtr<TPMT_TK_CREATION> ticket(ticket_raw);
    AkBlob blob;
    VOUCH_ASSIGN_OR_RETURN(blob.public_area,
                           Marshal(*pub, Tss2_MU_TPM2B_PUBLIC_Marshal, "TPM2B_PUBLIC"));
    VOUCH_ASSIGN_OR_RETURN(blob.private_area,
                           Marshal(*priv, Tss2_MU_TPM2B_PRIVATE_Marshal, "TPM2B_PRIVATE"));
    return blob;
  }

  Result<TpmObject> LoadAk(const TpmObject& ek, const AkBlob& blob) override {
    VOUCH_ASSIGN_OR_RETURN(const LoadedObjects::Entry entry, Lookup(ek, "EK"));
    VOUCH_ASSIGN_OR_RETURN(
        const TPM2B_PUBLIC pub,
        Unmarshal<TPM2B_PUBLIC>(blob.public_area, Tss2_MU_TPM2B_PUBLIC_Unmarshal, "AK public"));
    VOUCH_ASSIGN_OR_RETURN(
        const TPM2B_PRIVATE priv,
        Unmarshal<TPM2B_PRIVATE>(blob.private_area, Tss2_MU_TPM2B_PRIVATE_Unmarshal, "AK private"));
    VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<ScopedSession> session, EkAuthSession(entry));
    const ESYS_TR auth = session != nullptr ? session->get() : ESYS_TR_PASSWORD;
    ESYS_TR tr = ESYS_TR_NONE;
    const TSS2_RC rc =
        Esys_Load(ctx(), entry.tr, auth, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &tr);
    if (rc != TSS2_RC_SUCCESS) return TssError("Esys_Load", rc);
    return Register(tr, /*flush=*/true, pub);
  }

  Status Persist(const TpmObject& key, uint32_t persistent_handle) override {
    VOUCH_RETURN_IF_ERROR(CheckPersistentHandle(persistent_handle));
    VOUCH_ASSIGN_OR_RETURN(const LoadedObjects::Entry entry, Lookup(key, "key"));
    ESYS_TR persisted = ESYS_TR_NONE;
    VOUCH_RETURN_IF_ERROR(Call("Esys_EvictControl", [&] {
      return Esys_EvictControl(ctx(), ESYS_TR_RH_OWNER, entry.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                               ESYS_TR_NONE, persistent_handle, &persisted);
    }));
    Esys_TR_Close(ctx(), &persisted);
    return Status::Ok();
  }

  Result<TpmObject> LoadPersistent(uint32_t persistent_handle) override {
    VOUCH_RETURN_IF_ERROR(CheckPersistentHandle(persistent_handle));
    VOUCH_ASSIGN_OR_RETURN(ESYS_TR tr, FromTpmPublic(persistent_handle));
    Result<TPM2B_PUBLIC> pub = ReadPublicOf(tr);
    if (!pub.has_value()) {
      Esys_TR_Close(ctx(), &tr);
      return pub.error();
    }
    return Register(tr, /*flush=*/false, *pub);
  }

  Status Evict(uint32_t persistent_handle) override {
    VOUCH_RETURN_IF_ERROR(CheckPersistentHandle(persistent_handle));
    VOUCH_ASSIGN_OR_RETURN(ESYS_TR tr, FromTpmPublic(persistent_handle));
    ESYS_TR none = ESYS_TR_NONE;
    // On success ESYS releases `tr` itself (the object no longer exists).
    const TSS2_RC rc = Esys_EvictControl(ctx(), ESYS_TR_RH_OWNER, tr, ESYS_TR_PASSWORD,
                                         ESYS_TR_NONE, ESYS_TR_NONE, persistent_handle, &none);
    // tpm2-tss 3.2 keeps the ESYS_TR of an evicted persistent object, so a
    // later Esys_TR_FromTPMPublic of the same handle (a new key persisted
    // there) fails: close it in both cases.
    Esys_TR_Close(ctx(), &tr);
    if (rc != TSS2_RC_SUCCESS) return TssError("Esys_EvictControl", rc);
    return Status::Ok();
  }

  Result<TpmQuote> Quote(const TpmObject& ak, ByteView nonce,
                         const std::vector<tpm::PcrSelection>& selection) override {
    VOUCH_ASSIGN_OR_RETURN(const LoadedObjects::Entry entry, Lookup(ak, "AK"));
    TPM2B_DATA qualifying = {};
    if (nonce.size() > sizeof(qualifying.buffer)) {
      return InvalidArgumentError("nonce has " + std::to_string(nonce.size()) + " bytes; at most " +
                                  std::to_string(sizeof(qualifying.buffer)));
    }
    qualifying.size = static_cast<uint16_t>(nonce.size());
    std::copy(nonce.begin(), nonce.end(), qualifying.buffer);
    VOUCH_ASSIGN_OR_RETURN(const TPML_PCR_SELECTION pcrs, ToTpmSelection(selection));
    TPMT_SIG_SCHEME scheme = {};
    scheme.scheme = TPM2_ALG_NULL;
    TPM2B_ATTEST* attest_raw = nullptr;
    TPMT_SIGNATURE* sig_raw = nullptr;
    VOUCH_RETURN_IF_ERROR(Call("Esys_Quote", [&] {
      return Esys_Quote(ctx(), entry.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying,
                        &scheme, &pcrs, &attest_raw, &sig_raw);
    }));
    EsysPtr<TPM2B_ATTEST> attest(attest_raw);
    EsysPtr<TPMT_SIGNATURE> signature(sig_raw);
    TpmQuote quote;
    quote.attest.assign(attest->attestationData, attest->attestationData + attest->size);
    VOUCH_ASSIGN_OR_RETURN(quote.signature,
                           Marshal(*signature, Tss2_MU_TPMT_SIGNATURE_Marshal, "TPMT_SIGNATURE"));
    return quote;
  }

  Result<Bytes> ActivateCredential(const TpmObject& ak, const TpmObject& ek,
                                   ByteView credential_blob, ByteView encrypted_secret) override {
    VOUCH_ASSIGN_OR_RETURN(const LoadedObjects::Entry ak_entry, Lookup(ak, "AK"));
    VOUCH_ASSIGN_OR_RETURN(const LoadedObjects::Entry ek_entry, Lookup(ek, "EK"));
    VOUCH_ASSIGN_OR_RETURN(
        const TPM2B_ID_OBJECT blob,
        Unmarshal<TPM2B_ID_OBJECT>(credential_blob, Tss2_MU_TPM2B_ID_OBJECT_Unmarshal,
                                   "credential blob"));
    VOUCH_ASSIGN_OR_RETURN(
        const TPM2B_ENCRYPTED_SECRET secret,
        Unmarshal<TPM2B_ENCRYPTED_SECRET>(
            encrypted_secret, Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal, "encrypted secret"));
    VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<ScopedSession> session, EkAuthSession(ek_entry));
    const ESYS_TR ek_auth = session != nullptr ? session->get() : ESYS_TR_PASSWORD;
    TPM2B_DIGEST* cert_raw = nullptr;
    // Not retried: a TPM error spends the policy session.
    const TSS2_RC rc = Esys_ActivateCredential(ctx(), ak_entry.tr, ek_entry.tr, ESYS_TR_PASSWORD,
                                               ek_auth, ESYS_TR_NONE, &blob, &secret, &cert_raw);
    if (rc != TSS2_RC_SUCCESS) return TssError("Esys_ActivateCredential", rc);
    EsysPtr<TPM2B_DIGEST> cert_info(cert_raw);
    return Bytes(cert_info->buffer, cert_info->buffer + cert_info->size);
  }

  Status SetLocality(uint8_t locality) override {
    if (locality > 4) {
      return InvalidArgumentError("locality " + std::to_string(locality) + " out of range 0-4");
    }
    const TSS2_RC rc = Tss2_Tcti_SetLocality(tcti_.get(), locality);
    if (rc != TSS2_RC_SUCCESS) {
      return FailedPreconditionError(std::string("Tss2_Tcti_SetLocality: ") + Tss2_RC_Decode(rc) +
                                     " (" + Hex32(rc) + ")");
    }
    return Status::Ok();
  }

  Result<LoadedHandleCounts> CountLoadedHandles() override {
    LoadedHandleCounts counts;
    VOUCH_ASSIGN_OR_RETURN(counts.transient_objects, CountHandles(TPM2_TRANSIENT_FIRST));
    VOUCH_ASSIGN_OR_RETURN(counts.sessions, CountHandles(TPM2_LOADED_SESSION_FIRST));
    return counts;
  }

 private:
  ESYS_CONTEXT* ctx() const { return esys_.get(); }

  // Moves the digests of one TPM2_PCR_Read answer into `values` and clears
  // what was read from `remaining`. Returns how many digests were taken.
  static Result<uint32_t> TakeDigests(const TPML_PCR_SELECTION& sel_out, const TPML_DIGEST& digests,
                                      TPML_PCR_SELECTION& remaining, tpm::PcrValues& values) {
    uint32_t next = 0;
    for (uint32_t i = 0; i < sel_out.count && i < TPM2_NUM_PCR_BANKS; ++i) {
      const TPMS_PCR_SELECTION& s = sel_out.pcrSelections[i];
      const std::optional<HashAlg> bank = HashAlgFromTpmId(s.hash);
      for (uint32_t pcr = 0; pcr < std::min<uint32_t>(s.sizeofSelect, 4) * 8; ++pcr) {
        if ((s.pcrSelect[pcr / 8] & (1u << (pcr % 8))) == 0) continue;
        if (!bank.has_value()) {
          return InternalError("Esys_PCR_Read: unknown bank " + Hex32(s.hash));
        }
        if (next >= digests.count) {
          return InternalError("Esys_PCR_Read: fewer digests than selected PCRs");
        }
        const TPM2B_DIGEST& d = digests.digests[next++];
        if (pcr >= tpm::kNumPcrs) continue;
        VOUCH_RETURN_IF_ERROR_CTX(values.Set(*bank, pcr, Bytes(d.buffer, d.buffer + d.size)),
                                  "Esys_PCR_Read");
        for (uint32_t j = 0; j < remaining.count; ++j) {
          if (remaining.pcrSelections[j].hash == s.hash) {
            remaining.pcrSelections[j].pcrSelect[pcr / 8] &=
                static_cast<uint8_t>(~(1u << (pcr % 8)));
          }
        }
      }
    }
    return next;
  }

  static Status CheckPersistentHandle(uint32_t handle) {
    if ((handle >> 24) != TPM2_HT_PERSISTENT) {
      return InvalidArgumentError("not a persistent handle: " + Hex32(handle));
    }
    return Status::Ok();
  }

  Result<ESYS_TR> FromTpmPublic(uint32_t handle) {
    ESYS_TR tr = ESYS_TR_NONE;
    VOUCH_RETURN_IF_ERROR_CTX(Call("Esys_TR_FromTPMPublic",
                                   [&] {
                                     return Esys_TR_FromTPMPublic(ctx(), handle, ESYS_TR_NONE,
                                                                  ESYS_TR_NONE, ESYS_TR_NONE, &tr);
                                   }),
                              "handle " + Hex32(handle));
    return tr;
  }

  Result<TPM2B_PUBLIC> ReadPublicOf(ESYS_TR tr) {
    TPM2B_PUBLIC* pub_raw = nullptr;
    TPM2B_NAME* name_raw = nullptr;
    TPM2B_NAME* qname_raw = nullptr;
    VOUCH_RETURN_IF_ERROR(Call("Esys_ReadPublic", [&] {
      return Esys_ReadPublic(ctx(), tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub_raw,
                             &name_raw, &qname_raw);
    }));
    EsysPtr<TPM2B_PUBLIC> pub(pub_raw);
    EsysPtr<TPM2B_NAME> name(name_raw);
    EsysPtr<TPM2B_NAME> qname(qname_raw);
    return *pub;
  }

  Result<TpmObject> Register(ESYS_TR tr, bool flush, const TPM2B_PUBLIC& pub) {
    Result<Bytes> bytes = Marshal(pub, Tss2_MU_TPM2B_PUBLIC_Marshal, "TPM2B_PUBLIC");
    const uint64_t id =
        objects_->Add({tr, flush, pub.publicArea.nameAlg,
                       (pub.publicArea.objectAttributes & TPMA_OBJECT_USERWITHAUTH) != 0});
    if (!bytes.has_value()) {
      objects_->Release(id);
      return bytes.error();
    }
    std::weak_ptr<LoadedObjects> weak = objects_;
    return TpmObject(id, *std::move(bytes), [weak](uint64_t object_id) {
      if (std::shared_ptr<LoadedObjects> objects = weak.lock()) objects->Release(object_id);
    });
  }

  Result<LoadedObjects::Entry> Lookup(const TpmObject& object, std::string_view what) const {
    auto it = objects_->entries.find(object.id());
    if (!object.valid() || it == objects_->entries.end()) {
      return InvalidArgumentError(std::string(what) + " is not a key loaded by this device");
    }
    return it->second;
  }

  // The session authorizing the EK's user role for TPM2_Create/TPM2_Load: a
  // PolicySecret session (templates L-1/L-2, tpm2_createek's EKs), or nullptr
  // meaning the (empty) password when the EK has userWithAuth (swtpm's
  // high-range P-384 EK, whose authPolicy is a PolicyOR we need not satisfy).
  Result<std::unique_ptr<ScopedSession>> EkAuthSession(const LoadedObjects::Entry& ek) {
    if (ek.user_with_auth) return std::unique_ptr<ScopedSession>();
    return StartEkPolicySession(ek.name_alg);
  }

  // A policy session satisfying the EK's authPolicy PolicySecret(TPM_RH_
  // ENDORSEMENT) (empty endorsement password), in the EK's name algorithm.
  Result<std::unique_ptr<ScopedSession>> StartEkPolicySession(TPMI_ALG_HASH hash) {
    TPMT_SYM_DEF symmetric = {};
    symmetric.algorithm = TPM2_ALG_NULL;
    ESYS_TR tr = ESYS_TR_NONE;
    VOUCH_RETURN_IF_ERROR(Call("Esys_StartAuthSession", [&] {
      return Esys_StartAuthSession(ctx(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                   ESYS_TR_NONE, nullptr, TPM2_SE_POLICY, &symmetric, hash, &tr);
    }));
    auto session = std::make_unique<ScopedSession>(ctx(), tr);
    VOUCH_RETURN_IF_ERROR(Call("Esys_TRSess_SetAttributes", [&] {
      return Esys_TRSess_SetAttributes(ctx(), tr, TPMA_SESSION_CONTINUESESSION, 0xff);
    }));
    const TPM2B_NONCE nonce_tpm = {};
    const TPM2B_DIGEST cp_hash = {};
    const TPM2B_NONCE policy_ref = {};
    TPM2B_TIMEOUT* timeout_raw = nullptr;
    TPMT_TK_AUTH* ticket_raw = nullptr;
    VOUCH_RETURN_IF_ERROR(Call("Esys_PolicySecret", [&] {
      return Esys_PolicySecret(ctx(), ESYS_TR_RH_ENDORSEMENT, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                               ESYS_TR_NONE, &nonce_tpm, &cp_hash, &policy_ref, 0, &timeout_raw,
                               &ticket_raw);
    }));
    EsysPtr<TPM2B_TIMEOUT> timeout(timeout_raw);
    EsysPtr<TPMT_TK_AUTH> ticket(ticket_raw);
    return session;
  }

  Result<uint32_t> NvBufferMax() {
    TPMI_YES_NO more = TPM2_NO;
    TPMS_CAPABILITY_DATA* raw = nullptr;
    VOUCH_RETURN_IF_ERROR(Call("Esys_GetCapability", [&] {
      return Esys_GetCapability(ctx(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                TPM2_CAP_TPM_PROPERTIES, TPM2_PT_NV_BUFFER_MAX, 1, &more, &raw);
    }));
    EsysPtr<TPMS_CAPABILITY_DATA> cap(raw);
    uint32_t max = 512;  // the PC Client minimum, if the TPM does not say
    const TPML_TAGGED_TPM_PROPERTY& props = cap->data.tpmProperties;
    if (props.count > 0 && props.tpmProperty[0].property == TPM2_PT_NV_BUFFER_MAX) {
      max = props.tpmProperty[0].value;
    }
    return std::clamp<uint32_t>(max, 1, TPM2_MAX_NV_BUFFER_SIZE);
  }

  Result<uint32_t> CountHandles(TPM2_HC first) {
    uint32_t count = 0;
    uint32_t property = first;
    for (;;) {
      TPMI_YES_NO more = TPM2_NO;
      TPMS_CAPABILITY_DATA* raw = nullptr;
      VOUCH_RETURN_IF_ERROR(Call("Esys_GetCapability", [&] {
        return Esys_GetCapability(ctx(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES,
                                  property, TPM2_MAX_CAP_HANDLES, &more, &raw);
      }));
      EsysPtr<TPMS_CAPABILITY_DATA> cap(raw);
      const TPML_HANDLE& handles = cap->data.handles;
      for (uint32_t i = 0; i < handles.count; ++i) {
        // The answer continues into the next handle type; count ours only.
        if ((handles.handle[i] >> 24) == (first >> 24)) ++count;
      }
      if (more != TPM2_YES || handles.count == 0) break;
      const uint32_t last = handles.handle[handles.count - 1];
      if ((last >> 24) != (first >> 24)) break;
      property = last + 1;
    }
    return count;
  }

  // Destroyed in reverse order: objects (already released), ESYS, then TCTI.
  std::unique_ptr<TSS2_TCTI_CONTEXT, TctiFinalize> tcti_;
  std::unique_ptr<ESYS_CONTEXT, EsysFinalize> esys_;
  std::shared_ptr<LoadedObjects> objects_;
};

}  // namespace

Result<std::unique_ptr<TpmDevice>> OpenEsysTpmDevice(std::string_view tcti) {
  if (tcti.empty()) return InvalidArgumentError("empty TCTI string");
  const std::string conf(tcti);
  TSS2_TCTI_CONTEXT* tcti_raw = nullptr;
  TSS2_RC rc = Tss2_TctiLdr_Initialize(conf.c_str(), &tcti_raw);
  if (rc != TSS2_RC_SUCCESS) {
    return UnavailableError("Tss2_TctiLdr_Initialize(\"" + conf + "\"): " + Tss2_RC_Decode(rc) +
                            " (" + Hex32(rc) + ")");
  }
  std::unique_ptr<TSS2_TCTI_CONTEXT, TctiFinalize> tcti_ctx(tcti_raw);
  ESYS_CONTEXT* esys_raw = nullptr;
  rc = Esys_Initialize(&esys_raw, tcti_ctx.get(), nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    Status error = TssError("Esys_Initialize", rc);
    return Status(error.code() == Code::kInternal ? Code::kUnavailable : error.code(),
                  error.message());
  }
  std::unique_ptr<ESYS_CONTEXT, EsysFinalize> esys_ctx(esys_raw);
  auto device = std::make_unique<EsysTpmDevice>(std::move(tcti_ctx), std::move(esys_ctx));
  VOUCH_RETURN_IF_ERROR_CTX(device->Startup(), "open TPM \"" + conf + "\"");
  return std::unique_ptr<TpmDevice>(std::move(device));
}

}  // namespace vouch::tpm_device
