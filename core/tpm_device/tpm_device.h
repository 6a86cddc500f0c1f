// TpmDevice: the narrow interface through which the agent and the launcher
// talk to a TPM 2.0, and TpmObject, the RAII handle of a key loaded in it.
//
// Only the commands Vouch uses are here (STYLE.md section 2): PCR read and
// extend, quote, endorsement key (EK) public area and certificate, creation
// and loading of an attestation key (AK) under the EK, locality and startup.
// Everything crossing this interface is a Vouch type or a marshaled TPM
// structure as bytes (TPM2B_PUBLIC, TPM2B_PRIVATE, TPMS_ATTEST,
// TPMT_SIGNATURE, TPM 2.0 Part 2), never a TSS type, so callers and fakes do
// not depend on tpm2-tss. Decode the bytes with core/tpm (public.h,
// attest.h) and verify quotes with core/tpm/quote.h.
//
// The real implementation (esys_tpm_device.h) speaks ESAPI through a TCTI;
// tests use swtpm or a fake. A TPM without a resource manager (swtpm, or
// /dev/tpm0) has very few object slots (3 on swtpm): every loaded key is a
// TpmObject and is flushed when the TpmObject is destroyed, and sessions never
// outlive the call that opened them.
//
// Thread-compatible: one TpmDevice is used by one thread at a time; TpmObjects
// must be destroyed on that thread too. A TpmObject may outlive its device
// (its destruction then does nothing).
#ifndef VOUCH_CORE_TPM_DEVICE_TPM_DEVICE_H_
#define VOUCH_CORE_TPM_DEVICE_TPM_DEVICE_H_

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/tpm/pcr.h"

namespace vouch::tpm_device {

// TCG EK Credential Profile 2.0, section 2.2.1.4: NV indices of the EK
// certificates and the persistent handles of the EKs (section 2.2.1.5 and
// the TCG Provisioning Guidance's recommended handles).
inline constexpr uint32_t kRsaEkCertNvIndex = 0x01c00002;
inline constexpr uint32_t kEccEkCertNvIndex = 0x01c00016;
inline constexpr uint32_t kRsaEkPersistentHandle = 0x81010001;
inline constexpr uint32_t kEccEkPersistentHandle = 0x81010016;

enum class EkKind { kRsa, kEcc };

// AK types Vouch creates: restricted signing keys whose template fixes the
// scheme (RSA-2048 RSASSA-SHA256 or ECC NIST P-256 ECDSA-SHA256).
enum class AkKind { kRsa2048, kEccP256 };

// A key loaded in the TPM. Move-only. Destroying it (or Reset()) flushes a
// transient key, or forgets a persistent one (which stays in the TPM), through
// the release function its device gave it. An empty TpmObject (default
// constructed or moved from) holds nothing.
class TpmObject {
 public:
  using ReleaseFn = std::function<void(uint64_t id)>;

  TpmObject() = default;
  // `id` identifies the key to the device that made it; `public_area` is its
  // TPM2B_PUBLIC; `release` is called once with `id` when this object ends.
  TpmObject(uint64_t id, Bytes public_area, ReleaseFn release)
      : id_(id), public_area_(std::move(public_area)), release_(std::move(release)) {}
  ~TpmObject() { Reset(); }
  TpmObject(TpmObject&& other) noexcept { *this = std::move(other); }
  TpmObject& operator=(TpmObject&& other) noexcept {
    if (this != &other) {
      Reset();
      id_ = other.id_;
      public_area_ = std::move(other.public_area_);
      release_ = std::move(other.release_);
      other.release_ = nullptr;
      other.id_ = 0;
    }
    return *this;
  }
  TpmObject(const TpmObject&) = delete;
  TpmObject& operator=(const TpmObject&) = delete;

  // False for an empty object.
  bool valid() const { return release_ != nullptr; }
  uint64_t id() const { return id_; }
  // The key's marshaled TPM2B_PUBLIC (decode with tpm::TpmPublic::DecodeTpm2b).
  const Bytes& public_area() const { return public_area_; }

  // Releases the key now; the object becomes empty.
  void Reset() {
    if (release_ != nullptr) {
      ReleaseFn release = std::move(release_);
      release_ = nullptr;
      release(id_);
    }
  }

 private:
  uint64_t id_ = 0;
  Bytes public_area_;
  ReleaseFn release_;
};

// An AK as the TPM returned it from TPM2_Create: enough to load it again
// later under the same EK (TPM2_Load). `private_area` is TPM2B_PRIVATE, an
// encrypted blob only this TPM can load; it is not secret but must be kept.
struct AkBlob {
  Bytes public_area;   // TPM2B_PUBLIC
  Bytes private_area;  // TPM2B_PRIVATE
};

// A quote as the TPM signed it.
struct TpmQuote {
  Bytes attest;     // marshaled TPMS_ATTEST (the contents of TPM2B_ATTEST)
  Bytes signature;  // marshaled TPMT_SIGNATURE
};

// One digest to extend into one bank.
struct BankDigest {
  HashAlg bank;
  Bytes digest;  // DigestSize(bank) bytes
};

// Loaded objects and sessions currently in the TPM (all of them, not only
// this device's): used to check that nothing leaks.
struct LoadedHandleCounts {
  uint32_t transient_objects = 0;
  uint32_t sessions = 0;
  friend bool operator==(const LoadedHandleCounts&, const LoadedHandleCounts&) = default;
};

// Errors of every method: a TPM or TSS failure carries the command and the
// decoded response code ("Esys_Quote: tpm:parameter(2):... (0x2d2)");
// Unavailable when the TPM cannot be reached or stays busy (TPM_RC_RETRY,
// YIELDED, TESTING are retried with backoff first); NotFound when a handle or
// NV index does not exist; PermissionDenied for authorization failures;
// FailedPrecondition for commands the TPM refuses in its current state
// (locality, not started, persistent handle taken); InvalidArgument for bad
// arguments, also blobs the TPM's integrity check rejects; Internal otherwise.
class TpmDevice {
 public:
  virtual ~TpmDevice() = default;

  // TPM2_Startup(CLEAR), as firmware does at boot; OK when the TPM is already
  // started. Needed only after a TPM reset (tests reboot swtpm).
  virtual Status Startup() = 0;

  // The PCR banks with at least one PCR allocated, in kAllHashAlgs order.
  virtual Result<std::vector<HashAlg>> ActiveBanks() = 0;

  // Reads every selected PCR. All values come from one consistent state: if
  // a PCR changes between the TPM2_PCR_Read calls needed (at most 8 digests
  // per call), the read starts over (bounded; Unavailable if PCRs keep
  // changing). InvalidArgument for an index >= tpm::kNumPcrs; an error from
  // the TPM for a bank it does not have.
  virtual Result<tpm::PcrValues> ReadPcrs(const std::vector<tpm::PcrSelection>& selection) = 0;

  // TPM2_PCR_Extend of `pcr` with one digest per listed bank, at the current
  // locality. InvalidArgument for a bad index or digest size;
  // FailedPrecondition (TPM_RC_LOCALITY) when the locality may not extend it.
  virtual Status ExtendPcr(uint32_t pcr, const std::vector<BankDigest>& digests) = 0;

  // The TPM2B_PUBLIC of a persistent (or other loaded) object, e.g. an EK at
  // kRsaEkPersistentHandle. NotFound when nothing is at `handle`.
  virtual Result<Bytes> ReadPublic(uint32_t handle) = 0;

  // The whole contents of an NV index (e.g. kRsaEkCertNvIndex: the EK
  // certificate, DER), read with owner authorization (empty password) in
  // chunks. NotFound when the index is not defined.
  virtual Result<Bytes> ReadNv(uint32_t index) = 0;

  // The EK of `kind`: the persistent one (kRsaEkPersistentHandle /
  // kEccEkPersistentHandle) when present, else a primary key created in the
  // endorsement hierarchy from the TCG default template (EK Credential
  // Profile 2.0, templates L-1 RSA-2048 and L-2 ECC P-256), which then
  // occupies an object slot until the TpmObject goes.
  virtual Result<TpmObject> LoadEk(EkKind kind) = 0;

  // Creates an AK of `kind` under `ek`, authorized by a PolicySecret session
  // on the endorsement hierarchy (empty endorsement password) as the EK's
  // authPolicy demands, or by the EK's empty password when the EK has
  // userWithAuth. The AK is not loaded; call LoadAk. InvalidArgument when
  // `ek` is not from this device.
  virtual Result<AkBlob> CreateAk(const TpmObject& ek, AkKind kind) = 0;

  // Loads an AK previously created under `ek` (same TPM, same EK).
  // InvalidArgument when the blobs do not decode, `ek` is not from this
  // device, or the blobs are not for this EK (the TPM's integrity check).
  virtual Result<TpmObject> LoadAk(const TpmObject& ek, const AkBlob& blob) = 0;

  // Makes the loaded key `key` persistent at `persistent_handle`
  // (0x81000000-0x81ffffff; TPM2_EvictControl with owner authorization, empty
  // password), so it survives reboots without its blobs. `key` stays loaded.
  // FailedPrecondition when the handle is taken; InvalidArgument for a handle
  // outside the range or a key not from this device.
  virtual Status Persist(const TpmObject& key, uint32_t persistent_handle) = 0;

  // The persistent key at `persistent_handle` (e.g. an AK made with Persist).
  // NotFound when there is none.
  virtual Result<TpmObject> LoadPersistent(uint32_t persistent_handle) = 0;

  // Removes the persistent key at `persistent_handle` from the TPM (owner
  // authorization). NotFound when there is none.
  virtual Status Evict(uint32_t persistent_handle) = 0;

  // TPM2_Quote over `selection` with `nonce` as qualifying data (at most 64
  // bytes), signed with the scheme fixed in the AK's template.
  virtual Result<TpmQuote> Quote(const TpmObject& ak, ByteView nonce,
                                 const std::vector<tpm::PcrSelection>& selection) = 0;

  // TPM2_ActivateCredential (TPM 2.0 Part 3, section 12.5): recovers the
  // secret a verifier encrypted to `ek` for the AK named in the credential
  // (crypto::MakeCredential). `credential_blob` is a marshaled
  // TPM2B_ID_OBJECT and `encrypted_secret` a marshaled TPM2B_ENCRYPTED_SECRET.
  // The EK is authorized as in CreateAk, the AK (admin role) by its empty
  // password. InvalidArgument when the blobs do not decode or a key is not
  // from this device or the credential is not for this EK and AK (the TPM's
  // integrity check fails).
  virtual Result<Bytes> ActivateCredential(const TpmObject& ak, const TpmObject& ek,
                                           ByteView credential_blob, ByteView encrypted_secret) = 0;

  // Sets the locality (0-4) of the commands that follow. FailedPrecondition
  // when the transport cannot change locality (e.g. a kernel device).
  virtual Status SetLocality(uint8_t locality) = 0;

  // How many transient objects and sessions the TPM has loaded now.
  virtual Result<LoadedHandleCounts> CountLoadedHandles() = 0;
};

}  // namespace vouch::tpm_device

#endif  // VOUCH_CORE_TPM_DEVICE_TPM_DEVICE_H_
