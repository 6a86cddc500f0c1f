#include "tests/testing/fake_tpm_device.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <utility>

#include "core/base/check.h"
#include "core/crypto/digest.h"

namespace vouch::testing {

using tpm_device::AkBlob;
using tpm_device::AkKind;
using tpm_device::BankDigest;
using tpm_device::EkKind;
using tpm_device::LoadedHandleCounts;
using tpm_device::TpmObject;
using tpm_device::TpmQuote;

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Object ids are unique across all fakes in the process, so an object from
// one fake is never mistaken for one of another.
std::atomic<uint64_t> next_object_id{0x80000001};

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

Status NotSupported(const char* method) {
  return FailedPreconditionError(std::string(method) + " not supported by FakeTpmDevice");
}

Bytes BnParam(EVP_PKEY* pkey, const char* name, size_t size) {
  BIGNUM* bn = nullptr;
  VOUCH_CHECK(EVP_PKEY_get_bn_param(pkey, name, &bn) == 1);
  Bytes out(size);
  VOUCH_CHECK(BN_bn2binpad(bn, out.data(), static_cast<int>(size)) == static_cast<int>(size));
  BN_free(bn);
  return out;
}

PkeyPtr NewP256Key() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  VOUCH_CHECK(pkey != nullptr);
  return PkeyPtr(pkey);
}

template <typename T, typename Fn>
Bytes Marshal(const T& value, Fn fn) {
  Bytes buf(sizeof(T) + 16);
  size_t off = 0;
  VOUCH_CHECK(fn(&value, buf.data(), buf.size(), &off) == 0);
  buf.resize(off);
  return buf;
}

// TPMT_PUBLIC of an ECC P-256 key: a restricted ECDSA-SHA256 signing key (the
// AK template) or a restricted AES-128-CFB decryption key (the EK's shape).
TPMT_PUBLIC EccPublic(EVP_PKEY* pkey, bool signing) {
  TPMT_PUBLIC area{};
  area.type = TPM2_ALG_ECC;
  area.nameAlg = TPM2_ALG_SHA256;
  area.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                          TPMA_OBJECT_SENSITIVEDATAORIGIN;
  TPMS_ECC_PARMS& ecc = area.parameters.eccDetail;
  if (signing) {
    area.objectAttributes |= TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_USERWITHAUTH;
    ecc.symmetric.algorithm = TPM2_ALG_NULL;
    ecc.scheme.scheme = TPM2_ALG_ECDSA;
    ecc.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  } else {
    area.objectAttributes |= TPMA_OBJECT_DECRYPT | TPMA_OBJECT_ADMINWITHPOLICY;
    ecc.symmetric.algorithm = TPM2_ALG_AES;
    ecc.symmetric.keyBits.aes = 128;
    ecc.symmetric.mode.aes = TPM2_ALG_CFB;
    ecc.scheme.scheme = TPM2_ALG_NULL;
  }
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  const Bytes x = BnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32);
  const Bytes y = BnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
  area.unique.ecc.x.size = 32;
  std::memcpy(area.unique.ecc.x.buffer, x.data(), 32);
  area.unique.ecc.y.size = 32;
  std::memcpy(area.unique.ecc.y.buffer, y.data(), 32);
  return area;
}

// ECDSA-SHA256 over `message` as a marshaled TPMT_SIGNATURE.
Bytes SignEcdsaSha256(EVP_PKEY* pkey, ByteView message) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  VOUCH_CHECK(ctx != nullptr);
  size_t der_len = 0;
  VOUCH_CHECK(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey) == 1);
  VOUCH_CHECK(EVP_DigestSign(ctx, nullptr, &der_len, message.data(), message.size()) == 1);
  Bytes der(der_len);
  VOUCH_CHECK(EVP_DigestSign(ctx, der.data(), &der_len, message.data(), message.size()) == 1);
  EVP_MD_CTX_free(ctx);
  const unsigned char* p = der.data();
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len));
  VOUCH_CHECK(es != nullptr);
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(es, &r, &s);
  TPMT_SIGNATURE sig{};
  sig.sigAlg = TPM2_ALG_ECDSA;
  sig.signature.ecdsa.hash = TPM2_ALG_SHA256;
  sig.signature.ecdsa.signatureR.size = 32;
  VOUCH_CHECK(BN_bn2binpad(r, sig.signature.ecdsa.signatureR.buffer, 32) == 32);
  sig.signature.ecdsa.signatureS.size = 32;
  VOUCH_CHECK(BN_bn2binpad(s, sig.signature.ecdsa.signatureS.buffer, 32) == 32);
  ECDSA_SIG_free(es);
  return Marshal(sig, Tss2_MU_TPMT_SIGNATURE_Marshal);
}

// The PC Client localities allowed to extend a PCR (PC Client Platform TPM
// Profile, PCR attributes): 17-19 and 21-22 from locality 2 up, 20 from 1 up.
bool LocalityMayExtend(uint32_t pcr, uint8_t locality) {
  if (pcr == 20) return locality >= 1;
  if (pcr >= 17 && pcr <= 22) return locality >= 2;
  return true;
}

}  // namespace

struct FakeTpmDevice::Key {
  PkeyPtr pkey;
  bool signing = false;  // an AK (else an EK)
  Bytes public_area;     // TPM2B_PUBLIC
  Bytes name;            // TPM2B_NAME contents: nameAlg || H(TPMT_PUBLIC)
};

struct FakeTpmDevice::Shared {
  std::map<uint64_t, uint64_t> loaded;  // object id -> key id
};

FakeTpmDevice::FakeTpmDevice() : FakeTpmDevice({HashAlg::kSha1, HashAlg::kSha256}) {}

namespace {

// `banks` in kAllHashAlgs order, without duplicates.
std::vector<HashAlg> OrderedBanks(const std::vector<HashAlg>& banks) {
  std::vector<HashAlg> out;
  for (HashAlg alg : kAllHashAlgs) {
    if (std::find(banks.begin(), banks.end(), alg) == banks.end()) continue;
    VOUCH_CHECK(crypto::IsDigestSupported(alg));
    out.push_back(alg);
  }
  return out;
}

}  // namespace

FakeTpmDevice::FakeTpmDevice(const std::vector<HashAlg>& banks)
    : banks_(OrderedBanks(banks)), shared_(std::make_shared<Shared>()), clock_start_ms_(NowMs()) {
  ResetPcrs();
}

void FakeTpmDevice::AllocateBanks(const std::vector<HashAlg>& banks) {
  next_banks_ = OrderedBanks(banks);
}

FakeTpmDevice::~FakeTpmDevice() = default;

void FakeTpmDevice::ResetPcrs() {
  pcrs_.clear();
  for (HashAlg bank : banks_) {
    std::vector<Bytes>& values = pcrs_[bank];
    for (uint32_t i = 0; i < tpm::kNumPcrs; ++i) {
      values.emplace_back(DigestSize(bank), (i >= 17 && i <= 22) ? 0xff : 0x00);
    }
  }
}

Result<TpmObject> FakeTpmDevice::CreateLoadedAk() {
  VOUCH_ASSIGN_OR_RETURN(TpmObject ek, LoadEk(EkKind::kEcc));
  VOUCH_ASSIGN_OR_RETURN(AkBlob blob, CreateAk(ek, AkKind::kEccP256));
  return LoadAk(ek, blob);
}

void FakeTpmDevice::FailNext(Method method, Status status) {
  VOUCH_CHECK(!status.ok());
  failures_[method].push_back(std::move(status));
}

int FakeTpmDevice::calls(Method method) const {
  auto it = calls_.find(method);
  return it == calls_.end() ? 0 : it->second;
}

void FakeTpmDevice::Reboot() {
  ++reset_count_;
  restart_count_ = 0;
  if (next_banks_.has_value()) {
    banks_ = std::move(*next_banks_);
    next_banks_.reset();
  }
  ResetPcrs();
  shared_->loaded.clear();
  locality_ = 0;
  started_ = false;
}

void FakeTpmDevice::Restart() { ++restart_count_; }

void FakeTpmDevice::SetPcrForTest(HashAlg bank, uint32_t pcr, Bytes value) {
  VOUCH_CHECK(BankActive(bank) && pcr < tpm::kNumPcrs && value.size() == DigestSize(bank));
  pcrs_[bank][pcr] = std::move(value);
}

const Bytes& FakeTpmDevice::Pcr(HashAlg bank, uint32_t pcr) const {
  VOUCH_CHECK(BankActive(bank) && pcr < tpm::kNumPcrs);
  return pcrs_.at(bank)[pcr];
}

Status FakeTpmDevice::Enter(Method method) {
  ++calls_[method];
  auto it = failures_.find(method);
  if (it != failures_.end() && !it->second.empty()) {
    Status s = std::move(it->second.front());
    it->second.pop_front();
    return s;
  }
  if (!started_ && method != Method::kStartup) {
    return FailedPreconditionError("FakeTpmDevice: TPM not started (TPM_RC_INITIALIZE)");
  }
  return Status::Ok();
}

bool FakeTpmDevice::BankActive(HashAlg bank) const {
  return std::find(banks_.begin(), banks_.end(), bank) != banks_.end();
}

Status FakeTpmDevice::CheckSelection(const std::vector<tpm::PcrSelection>& selection) const {
  for (const tpm::PcrSelection& s : selection) {
    for (uint32_t pcr : s.pcrs) {
      if (pcr >= tpm::kNumPcrs) {
        return InvalidArgumentError("PCR index " + std::to_string(pcr) + " out of range");
      }
    }
    if (!BankActive(s.bank)) {
      return FailedPreconditionError("FakeTpmDevice: PCR bank " + std::string(HashAlgName(s.bank)) +
                                     " is not active");
    }
  }
  return Status::Ok();
}

TpmObject FakeTpmDevice::LoadObject(uint64_t key_id) {
  const uint64_t id = next_object_id.fetch_add(1);
  shared_->loaded[id] = key_id;
  std::weak_ptr<Shared> weak = shared_;
  return TpmObject(id, keys_.at(key_id)->public_area, [weak](uint64_t object_id) {
    if (std::shared_ptr<Shared> shared = weak.lock()) shared->loaded.erase(object_id);
  });
}

Result<const FakeTpmDevice::Key*> FakeTpmDevice::LoadedKey(const TpmObject& object,
                                                           const char* what) const {
  if (!object.valid()) return InvalidArgumentError(std::string(what) + " is an empty TpmObject");
  auto it = shared_->loaded.find(object.id());
  if (it == shared_->loaded.end()) {
    // Objects of other devices and objects flushed by a reboot look alike
    // here; a real TPM answers both with TPM_RC_HANDLE.
    return NotFoundError(std::string(what) + " is not loaded in this FakeTpmDevice");
  }
  return keys_.at(it->second).get();
}

Status FakeTpmDevice::Startup() {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kStartup));
  started_ = true;
  return Status::Ok();
}

Result<std::vector<HashAlg>> FakeTpmDevice::ActiveBanks() {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kActiveBanks));
  return banks_;
}

Result<tpm::PcrValues> FakeTpmDevice::ReadPcrs(const std::vector<tpm::PcrSelection>& selection) {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kReadPcrs));
  VOUCH_RETURN_IF_ERROR(CheckSelection(selection));
  tpm::PcrValues values;
  for (const tpm::PcrSelection& s : selection) {
    for (uint32_t pcr : s.pcrs) VOUCH_RETURN_IF_ERROR(values.Set(s.bank, pcr, Pcr(s.bank, pcr)));
  }
  return values;
}

Status FakeTpmDevice::ExtendPcr(uint32_t pcr, const std::vector<BankDigest>& digests) {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kExtendPcr));
  if (pcr >= tpm::kNumPcrs) {
    return InvalidArgumentError("PCR index " + std::to_string(pcr) + " out of range");
  }
  if (digests.empty()) return InvalidArgumentError("ExtendPcr needs 1 to 16 digests");
  for (const BankDigest& d : digests) {
    if (d.digest.size() != DigestSize(d.bank)) {
      return InvalidArgumentError("digest for " + std::string(HashAlgName(d.bank)) + " has " +
                                  std::to_string(d.digest.size()) + " bytes");
    }
  }
  if (!LocalityMayExtend(pcr, locality_)) {
    return FailedPreconditionError("FakeTpmDevice: PCR " + std::to_string(pcr) +
                                   " may not be extended from locality " +
                                   std::to_string(locality_) + " (TPM_RC_LOCALITY)");
  }
  for (const BankDigest& d : digests) {
    // As a TPM does, digests for banks that are not allocated are ignored.
    if (!BankActive(d.bank)) continue;
    VOUCH_RETURN_IF_ERROR(crypto::ExtendPcr(d.bank, pcrs_[d.bank][pcr], d.digest));
  }
  return Status::Ok();
}

Result<Bytes> FakeTpmDevice::ReadPublic(uint32_t) {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kReadPublic));
  return NotSupported("ReadPublic");
}

Result<Bytes> FakeTpmDevice::ReadNv(uint32_t) {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kReadNv));
  return NotSupported("ReadNv");
}

Result<TpmObject> FakeTpmDevice::LoadEk(EkKind) {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kLoadEk));
  auto key = std::make_unique<Key>();
  key->pkey = NewP256Key();
  const TPMT_PUBLIC area = EccPublic(key->pkey.get(), /*signing=*/false);
  TPM2B_PUBLIC pub{};
  pub.publicArea = area;
  key->public_area = Marshal(pub, Tss2_MU_TPM2B_PUBLIC_Marshal);
  const uint64_t key_id = next_key_id_++;
  keys_[key_id] = std::move(key);
  return LoadObject(key_id);
}

Result<AkBlob> FakeTpmDevice::CreateAk(const TpmObject& ek, AkKind kind) {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kCreateAk));
  VOUCH_ASSIGN_OR_RETURN(const Key* parent, LoadedKey(ek, "EK"));
  if (parent->signing) return InvalidArgumentError("CreateAk: the parent is not an EK");
  if (kind != AkKind::kEccP256) return NotSupported("CreateAk of an RSA AK");
  auto key = std::make_unique<Key>();
  key->pkey = NewP256Key();
  key->signing = true;
  const TPMT_PUBLIC area = EccPublic(key->pkey.get(), /*signing=*/true);
  const Bytes tpmt = Marshal(area, Tss2_MU_TPMT_PUBLIC_Marshal);
  VOUCH_ASSIGN_OR_RETURN(const Bytes name_digest, crypto::Digest(HashAlg::kSha256, tpmt));
  key->name = {static_cast<uint8_t>(TPM2_ALG_SHA256 >> 8),
               static_cast<uint8_t>(TPM2_ALG_SHA256 & 0xff)};
  key->name.insert(key->name.end(), name_digest.begin(), name_digest.end());
  TPM2B_PUBLIC pub{};
  pub.publicArea = area;
  key->public_area = Marshal(pub, Tss2_MU_TPM2B_PUBLIC_Marshal);
  const uint64_t key_id = next_key_id_++;
  AkBlob blob;
  blob.public_area = key->public_area;
  // The "private" blob names the key in this device (8 bytes, big-endian).
  for (int shift = 56; shift >= 0; shift -= 8) {
    blob.private_area.push_back(static_cast<uint8_t>(key_id >> shift));
  }
  keys_[key_id] = std::move(key);
  return blob;
}

Result<TpmObject> FakeTpmDevice::LoadAk(const TpmObject& ek, const AkBlob& blob) {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kLoadAk));
  VOUCH_RETURN_IF_ERROR(LoadedKey(ek, "EK").status());
  if (blob.private_area.size() != 8) {
    return InvalidArgumentError("LoadAk: not a private blob of this FakeTpmDevice");
  }
  uint64_t key_id = 0;
  for (uint8_t b : blob.private_area) key_id = (key_id << 8) | b;
  auto it = keys_.find(key_id);
  if (it == keys_.end() || !it->second->signing || it->second->public_area != blob.public_area) {
    return InvalidArgumentError("LoadAk: the blobs do not belong together (TPM_RC_INTEGRITY)");
  }
  return LoadObject(key_id);
}

Status FakeTpmDevice::Persist(const TpmObject&, uint32_t) {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kPersist));
  return NotSupported("Persist");
}

Result<TpmObject> FakeTpmDevice::LoadPersistent(uint32_t) {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kLoadPersistent));
  return NotSupported("LoadPersistent");
}

Status FakeTpmDevice::Evict(uint32_t) {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kEvict));
  return NotSupported("Evict");
}

Result<TpmQuote> FakeTpmDevice::Quote(const TpmObject& ak, ByteView nonce,
                                      const std::vector<tpm::PcrSelection>& selection) {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kQuote));
  VOUCH_ASSIGN_OR_RETURN(const Key* key, LoadedKey(ak, "AK"));
  if (!key->signing) return InvalidArgumentError("Quote: the key is not a signing key");
  TPMS_ATTEST attest{};
  if (nonce.size() > sizeof(attest.extraData.buffer)) {
    return InvalidArgumentError("nonce has " + std::to_string(nonce.size()) + " bytes; at most " +
                                std::to_string(sizeof(attest.extraData.buffer)));
  }
  VOUCH_RETURN_IF_ERROR(CheckSelection(selection));
  if (before_quote_hook_) before_quote_hook_();

  // TPML_PCR_SELECTION: one entry per bank in order of first appearance,
  // duplicates merged (as the ESAPI device builds it).
  TPML_PCR_SELECTION& sel = attest.attested.quote.pcrSelect;
  for (const tpm::PcrSelection& s : selection) {
    uint32_t i = 0;
    while (i < sel.count && sel.pcrSelections[i].hash != static_cast<TPMI_ALG_HASH>(s.bank)) ++i;
    if (i == sel.count) {
      VOUCH_CHECK(sel.count < TPM2_NUM_PCR_BANKS);
      sel.pcrSelections[i].hash = static_cast<TPMI_ALG_HASH>(s.bank);
      sel.pcrSelections[i].sizeofSelect = tpm::kNumPcrs / 8;
      ++sel.count;
    }
    for (uint32_t pcr : s.pcrs) {
      sel.pcrSelections[i].pcrSelect[pcr / 8] |= static_cast<uint8_t>(1u << (pcr % 8));
    }
  }
  // TPM 2.0 Part 3, 18.4: pcrDigest = H_scheme(selected values in selection
  // order, ascending index within a bank).
  Bytes concat;
  for (uint32_t i = 0; i < sel.count; ++i) {
    const TPMS_PCR_SELECTION& s = sel.pcrSelections[i];
    const auto bank = static_cast<HashAlg>(s.hash);
    for (uint32_t pcr = 0; pcr < tpm::kNumPcrs; ++pcr) {
      if ((s.pcrSelect[pcr / 8] & (1u << (pcr % 8))) == 0) continue;
      const Bytes& v = Pcr(bank, pcr);
      concat.insert(concat.end(), v.begin(), v.end());
    }
  }
  VOUCH_ASSIGN_OR_RETURN(const Bytes pcr_digest, crypto::Digest(HashAlg::kSha256, concat));

  attest.magic = TPM2_GENERATED_VALUE;
  attest.type = TPM2_ST_ATTEST_QUOTE;
  attest.qualifiedSigner.size = static_cast<UINT16>(key->name.size());
  std::memcpy(attest.qualifiedSigner.name, key->name.data(), key->name.size());
  attest.extraData.size = static_cast<UINT16>(nonce.size());
  std::copy(nonce.begin(), nonce.end(), attest.extraData.buffer);
  attest.clockInfo.clock = NowMs() - clock_start_ms_;
  attest.clockInfo.resetCount = reset_count_;
  attest.clockInfo.restartCount = restart_count_;
  attest.clockInfo.safe = TPM2_YES;
  attest.firmwareVersion = 0x2023111500000000ull;
  attest.attested.quote.pcrDigest.size = static_cast<UINT16>(pcr_digest.size());
  std::memcpy(attest.attested.quote.pcrDigest.buffer, pcr_digest.data(), pcr_digest.size());

  TpmQuote quote;
  quote.attest = Marshal(attest, Tss2_MU_TPMS_ATTEST_Marshal);
  quote.signature = SignEcdsaSha256(key->pkey.get(), quote.attest);
  return quote;
}

Result<Bytes> FakeTpmDevice::ActivateCredential(const TpmObject&, const TpmObject&, ByteView,
                                                ByteView) {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kActivateCredential));
  return NotSupported("ActivateCredential");
}

Status FakeTpmDevice::SetLocality(uint8_t locality) {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kSetLocality));
  if (locality > 4) {
    return InvalidArgumentError("locality " + std::to_string(locality) + " out of range 0-4");
  }
  locality_ = locality;
  return Status::Ok();
}

Result<LoadedHandleCounts> FakeTpmDevice::CountLoadedHandles() {
  VOUCH_RETURN_IF_ERROR(Enter(Method::kCountLoadedHandles));
  LoadedHandleCounts counts;
  counts.transient_objects = static_cast<uint32_t>(shared_->loaded.size());
  return counts;
}

}  // namespace vouch::testing
