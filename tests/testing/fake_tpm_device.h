// FakeTpmDevice: a software TpmDevice for hermetic unit tests of code that
// reads PCRs and takes quotes (the agent's evidence assembly, the launcher).
//
// What is real: PCR banks (sha1 + sha256 by default) held in memory with the
// platform reset values (PCRs 0-16 and 23 zero, 17-22 all ones), PCR extend
// math (pcr := H(pcr || digest)) with the PC Client locality rules for PCRs
// 17-22, and quotes: a marshaled TPMS_ATTEST (TPM 2.0 Part 2, 10.12.12) with
// magic, type TPM_ST_ATTEST_QUOTE, the AK's name, the nonce, clockInfo
// (resetCount, restartCount) and TPMS_QUOTE_INFO (selection and pcrDigest
// computed with SHA-256, the AK scheme's hash), signed ECDSA-SHA256 with a
// software NIST P-256 key, so core's tpm::VerifyQuote and tpm2_checkquote
// accept them. The AK's TPM2B_PUBLIC is a restricted signing ECC key
// (fixedTPM, fixedParent, sensitiveDataOrigin, userWithAuth).
//
// What is not: no sessions, no authorization, no NV, no persistent objects,
// no credential activation (those methods return FailedPrecondition "... not
// supported by FakeTpmDevice"). LoadEk returns a placeholder EK object (an
// ECC P-256 restricted decryption key's public area) that CreateAk accepts;
// only AkKind::kEccP256 AKs can be created. CreateAk's private blob is an
// opaque handle into this device: LoadAk works only on the device that made
// it.
//
// CountLoadedHandles counts every object this fake has loaded (EKs too: the
// fake has no persistent EK) and never any session.
//
// Test hooks: SetBeforeQuoteHook (runs inside Quote before the PCRs are
// hashed, e.g. to extend a PCR between the caller's read and its quote),
// FailNext (the next call of a method fails with a given Status), calls()
// (per-method call counts), Reboot() (TPM reset: resetCount + 1, PCRs back to
// their reset values, loaded objects flushed, Startup needed).
//
// Not thread-safe, like every TpmDevice. TpmObjects it returns may outlive it.
#ifndef VOUCH_TESTS_TESTING_FAKE_TPM_DEVICE_H_
#define VOUCH_TESTS_TESTING_FAKE_TPM_DEVICE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/tpm/pcr.h"
#include "core/tpm_device/tpm_device.h"

namespace vouch::testing {

class FakeTpmDevice final : public tpm_device::TpmDevice {
 public:
  // Every TpmDevice method, for FailNext and calls().
  enum class Method {
    kStartup,
    kActiveBanks,
    kReadPcrs,
    kExtendPcr,
    kReadPublic,
    kReadNv,
    kLoadEk,
    kCreateAk,
    kLoadAk,
    kPersist,
    kLoadPersistent,
    kEvict,
    kQuote,
    kActivateCredential,
    kSetLocality,
    kCountLoadedHandles,
  };

  // A started TPM with sha1 and sha256 banks.
  FakeTpmDevice();
  // A started TPM with the given banks (deduplicated; kSm3_256 is not
  // supported and aborts the test via VOUCH_CHECK).
  explicit FakeTpmDevice(const std::vector<HashAlg>& banks);
  ~FakeTpmDevice() override;
  FakeTpmDevice(const FakeTpmDevice&) = delete;
  FakeTpmDevice& operator=(const FakeTpmDevice&) = delete;

  // LoadEk + CreateAk(kEccP256) + LoadAk in one step, for tests that only
  // need a loaded AK. The EK is released again.
  Result<tpm_device::TpmObject> CreateLoadedAk();

  // Runs `hook` at the start of every Quote (after argument checks, before
  // the PCR digest is computed). The hook may call this device (ExtendPcr).
  // An empty function removes it.
  void SetBeforeQuoteHook(std::function<void()> hook) { before_quote_hook_ = std::move(hook); }

  // The next call of `method` returns `status` (non-OK) without doing
  // anything. Several calls queue up in order.
  void FailNext(Method method, Status status);

  // How many times `method` was called (failed calls included).
  int calls(Method method) const;

  // TPM reset, as a reboot does: resetCount + 1, restartCount 0, PCRs back to
  // their reset values, every loaded object flushed (its TpmObject stays
  // valid to release, but the device no longer knows it: NotFound), locality
  // 0. Startup() must be called before any other command
  // (FailedPrecondition otherwise, like TPM_RC_INITIALIZE).
  void Reboot();
  // TPM2_PCR_Allocate: the banks become `banks` (filtered as in the
  // constructor) at the next Reboot().
  void AllocateBanks(const std::vector<HashAlg>& banks);
  // TPM restart (resume from hibernation): restartCount + 1, PCRs and
  // objects kept.
  void Restart();
  uint32_t reset_count() const { return reset_count_; }
  uint32_t restart_count() const { return restart_count_; }

  // Sets a PCR value directly (bank must be active, value the bank's size;
  // VOUCH_CHECK otherwise).
  void SetPcrForTest(HashAlg bank, uint32_t pcr, Bytes value);
  // The current value of a PCR (VOUCH_CHECK on an inactive bank or index).
  const Bytes& Pcr(HashAlg bank, uint32_t pcr) const;

  // tpm_device::TpmDevice (see tpm_device.h for the contracts).
  Status Startup() override;
  Result<std::vector<HashAlg>> ActiveBanks() override;
  Result<tpm::PcrValues> ReadPcrs(const std::vector<tpm::PcrSelection>& selection) override;
  Status ExtendPcr(uint32_t pcr, const std::vector<tpm_device::BankDigest>& digests) override;
  Result<Bytes> ReadPublic(uint32_t handle) override;
  Result<Bytes> ReadNv(uint32_t index) override;
  Result<tpm_device::TpmObject> LoadEk(tpm_device::EkKind kind) override;
  Result<tpm_device::AkBlob> CreateAk(const tpm_device::TpmObject& ek,
                                      tpm_device::AkKind kind) override;
  Result<tpm_device::TpmObject> LoadAk(const tpm_device::TpmObject& ek,
                                       const tpm_device::AkBlob& blob) override;
  Status Persist(const tpm_device::TpmObject& key, uint32_t persistent_handle) override;
  Result<tpm_device::TpmObject> LoadPersistent(uint32_t persistent_handle) override;
  Status Evict(uint32_t persistent_handle) override;
  Result<tpm_device::TpmQuote> Quote(const tpm_device::TpmObject& ak, ByteView nonce,
                                     const std::vector<tpm::PcrSelection>& selection) override;
  Result<Bytes> ActivateCredential(const tpm_device::TpmObject& ak, const tpm_device::TpmObject& ek,
                                   ByteView credential_blob, ByteView encrypted_secret) override;
  Status SetLocality(uint8_t locality) override;
  Result<tpm_device::LoadedHandleCounts> CountLoadedHandles() override;

 private:
  struct Key;     // a software key (OpenSSL) and its TPM2B_PUBLIC
  struct Shared;  // what released TpmObjects still reach after the device

  // Counts the call; returns the queued failure for `method`, or
  // FailedPrecondition when the TPM is not started (except for Startup).
  Status Enter(Method method);
  Status CheckSelection(const std::vector<tpm::PcrSelection>& selection) const;
  bool BankActive(HashAlg bank) const;
  void ResetPcrs();
  // A TpmObject for key `key_id`, registered as loaded.
  tpm_device::TpmObject LoadObject(uint64_t key_id);
  // The key behind a loaded object of this device, or the error to return.
  Result<const Key*> LoadedKey(const tpm_device::TpmObject& object, const char* what) const;

  std::vector<HashAlg> banks_;
  std::optional<std::vector<HashAlg>> next_banks_;
  std::map<HashAlg, std::vector<Bytes>> pcrs_;
  std::map<Method, std::deque<Status>> failures_;
  std::map<Method, int> calls_;
  std::function<void()> before_quote_hook_;
  std::map<uint64_t, std::unique_ptr<Key>> keys_;  // by key id
  std::shared_ptr<Shared> shared_;
  uint64_t next_key_id_ = 1;
  uint32_t reset_count_ = 0;
  uint32_t restart_count_ = 0;
  uint8_t locality_ = 0;
  bool started_ = true;
  uint64_t clock_start_ms_ = 0;
};

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_TESTING_FAKE_TPM_DEVICE_H_
