// The attestation key's lifecycle: create once (vouch-agent init), reuse on
// every start, and the record in the state directory that describes it.
#ifndef VOUCH_AGENT_AK_H_
#define VOUCH_AGENT_AK_H_

#include <cstdint>
#include <optional>
#include <string>

#include "agent/config.h"
#include "agent/state_dir.h"
#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/tpm_device/tpm_device.h"

namespace vouch::agent {

// File name of the AK record in the state directory.
inline constexpr std::string_view kAkRecordFile = "ak.json";
// File name of the enrollment result (host id) in the state directory.
inline constexpr std::string_view kEnrollmentFile = "enrollment.json";

// What the state directory says about the AK (ak.json, JSON, mode 0600).
struct AkRecord {
  tpm_device::AkKind kind = tpm_device::AkKind::kRsa2048;
  tpm_device::EkKind ek_kind = tpm_device::EkKind::kRsa;
  AkStorage storage = AkStorage::kStateFile;
  uint32_t persistent_handle = 0;  // when storage == kPersistentHandle
  tpm_device::AkBlob blob;         // public always; private when kStateFile
  Bytes name;                      // TPM name of the AK (nameAlg || digest)
  std::string created_at;          // RFC 3339 UTC
};

Result<std::string> EncodeAkRecord(const AkRecord& record);
// DataLoss naming the member for a record that does not decode (our own file
// is corrupt: operators re-run init with --force).
Result<AkRecord> DecodeAkRecord(std::string_view json);

struct AkOptions {
  tpm_device::AkKind kind = tpm_device::AkKind::kRsa2048;
  tpm_device::EkKind ek_kind = tpm_device::EkKind::kRsa;
  AkStorage storage = AkStorage::kStateFile;
  uint32_t persistent_handle = 0x81010020;
  // Replace an existing AK of another kind/storage (or an unloadable one).
  // Without it InitAk refuses with FailedPrecondition, because a new AK must
  // be enrolled again.
  bool force = false;
};

struct InitResult {
  AkRecord record;
  bool created = false;  // false: an existing AK was checked and reused
};

// Idempotent: when the state directory holds an AK record matching
// `options` that loads in this TPM, reuses it; otherwise creates an AK under
// the EK, persists it as configured, and writes the record atomically (the
// record is written last, so a crash leaves no record pointing nowhere; a
// persistent handle already holding another key is FailedPrecondition
// unless force, which evicts it).
Result<InitResult> InitAk(tpm_device::TpmDevice& device, const StateDir& state,
                          const AkOptions& options, const Clock& clock);

// The AK and its EK, loaded and ready to quote / activate credentials.
struct LoadedAk {
  AkRecord record;
  tpm_device::TpmObject ek;
  tpm_device::TpmObject ak;
};

// Loads the AK the state directory names. FailedPrecondition ("run
// vouch-agent init") when there is no record; DataLoss for a corrupt one;
// the device's error when the TPM refuses the blobs (another TPM, cleared
// hierarchy) with the record's path in the message.
Result<LoadedAk> LoadAkFromState(tpm_device::TpmDevice& device, const StateDir& state);

}  // namespace vouch::agent

#endif  // VOUCH_AGENT_AK_H_
