// The attestation key's lifecycle: create once (vouch-agent init), reuse on
// every start, and the record in the state directory that describes it
// (ak.json; format in docs/agent.md, "Attestation key").
//
// Nothing here talks to the verifier or quotes; enrollment is enroll.h,
// evidence is evidence_collector.h. The functions keep at most the EK and the
// AK loaded at once (a TPM without a resource manager has ~3 object slots)
// and release everything they load except what LoadAkFromState returns.
// Not thread-safe: the TpmDevice is used by one thread at a time.
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
// Invariant of a decoded record: `name` is the name of `blob.public_area`,
// whose key algorithm matches `kind`.
struct AkRecord {
  tpm_device::AkKind kind = tpm_device::AkKind::kRsa2048;
  tpm_device::EkKind ek_kind = tpm_device::EkKind::kRsa;
  AkStorage storage = AkStorage::kStateFile;
  uint32_t persistent_handle = 0;  // when storage == kPersistentHandle
  tpm_device::AkBlob blob;         // public always; private when kStateFile
  Bytes name;                      // TPM name of the AK (nameAlg || digest)
  std::string created_at;          // RFC 3339 UTC
};

// The record as pretty-printed JSON: blobs base64, name hex, handle
// "0x%08x" (only for persistent storage; "private" only for file storage).
// InvalidArgument when the record breaks its invariant (public area does not
// decode, name does not match it, no private area for file storage): a bug
// in the caller.
Result<std::string> EncodeAkRecord(const AkRecord& record);
// DataLoss naming the member ("AK record: name: does not match the public
// area") for a record that does not decode or breaks the invariant (our own
// file is corrupt: operators re-run init with --force). Never throws.
Result<AkRecord> DecodeAkRecord(std::string_view json);

// What InitAk should make (from AgentConfig: ak_type, ek_type, ak_storage,
// ak_handle; force from the command line).
struct AkOptions {
  tpm_device::AkKind kind = tpm_device::AkKind::kRsa2048;
  tpm_device::EkKind ek_kind = tpm_device::EkKind::kRsa;
  AkStorage storage = AkStorage::kStateFile;
  uint32_t persistent_handle = 0x81010020;  // used when storage == kPersistentHandle
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
// `options` (kind, EK kind, storage, handle) that loads in this TPM, reuses
// it (created = false; also with force). Otherwise, and only when there is
// no record or `options.force`, creates an AK under the EK, loads it once,
// persists it as configured, and writes the record atomically with
// created_at from `clock` (the record is written last, so a crash leaves no
// record pointing nowhere).
// Errors: FailedPrecondition without force for a record of another
// kind/storage/handle, a record that does not load in this TPM, or a
// persistent handle already holding a key no record names (checked before
// any key is created); with force that key is evicted, and an AK this
// agent persisted at another handle is evicted after the new record is
// written (only if the handle still holds the recorded public area).
// DataLoss for a corrupt record without force. InvalidArgument for a handle
// outside 0x81000000-0x81ffffff. The device's and the state directory's
// errors with context otherwise.
Result<InitResult> InitAk(tpm_device::TpmDevice& device, const StateDir& state,
                          const AkOptions& options, const Clock& clock);

// The AK and its EK, loaded and ready to quote / activate credentials. The
// TpmObjects release the keys when the LoadedAk goes; it must not outlive
// the device's thread of use (see tpm_device.h).
struct LoadedAk {
  AkRecord record;
  tpm_device::TpmObject ek;
  tpm_device::TpmObject ak;
};

// Loads the AK the state directory names, and its EK. FailedPrecondition
// ("run vouch-agent init") when there is no record; DataLoss for a corrupt
// one; the device's error when the TPM refuses the blobs (another TPM,
// cleared hierarchy: InvalidArgument) or the persistent handle is empty
// (NotFound), with the record's path in the message; FailedPrecondition when
// the persistent handle holds another key than the recorded one.
Result<LoadedAk> LoadAkFromState(tpm_device::TpmDevice& device, const StateDir& state);

}  // namespace vouch::agent

#endif  // VOUCH_AGENT_AK_H_
