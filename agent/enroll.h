// The agent's side of enrollment (core/protocol/enrollment.h,
// docs/protocol.md): build the request, answer the verifier's credential
// challenge, remember the host id. Transport (HTTP) and the JSON encoding
// of the messages are not here (agent/push.h, core/protocol).
// Not thread-safe: the TpmDevice is used by one thread at a time.
#ifndef VOUCH_AGENT_ENROLL_H_
#define VOUCH_AGENT_ENROLL_H_

#include <optional>
#include <string>

#include "agent/ak.h"
#include "agent/state_dir.h"
#include "core/base/status.h"
#include "core/protocol/enrollment.h"
#include "core/tpm_device/tpm_device.h"

namespace vouch::agent {

// EK public (the loaded EK's public area), EK certificate from NV
// (kRsaEkCertNvIndex / kEccEkCertNvIndex by the record's EK kind; absent when
// the index is not defined), AK public, host facts. No intermediates (the
// TPM does not store them). FailedPrecondition when `ak` holds no loaded keys
// or the certificate is larger than protocol::kMaxCertificateBytes; the
// device's error for an NV read failing otherwise than NotFound.
Result<protocol::EnrollmentRequest> BuildEnrollmentRequest(tpm_device::TpmDevice& device,
                                                           const LoadedAk& ak,
                                                           const protocol::HostFacts& facts);

// ActivateCredential with the AK and EK, then the proof of possession
// (protocol::ComputeActivationProof over the enrollment id and the record's
// AK name). The recovered secret never leaves this function and is wiped.
// InvalidArgument for an enrollment id outside [A-Za-z0-9_-]{1,64} or an
// empty credential, and when the TPM refuses the credential (not made for
// this EK and AK: the message says so).
Result<protocol::ActivationRequest> AnswerChallenge(tpm_device::TpmDevice& device,
                                                    const LoadedAk& ak,
                                                    const protocol::EnrollmentChallenge& challenge);

// enrollment.json in the state directory: {"host_id": ..., "verifier_url":
// ..., "enrolled_at": ..., "ak_name": hex}. `ak_name` tells a later run
// whether the enrolled AK is still the one in ak.json.
struct EnrollmentState {
  std::string host_id;
  std::string verifier_url;
  std::string enrolled_at;
  Bytes ak_name;
};
// Writes enrollment.json atomically (StateDir::WriteAtomic). InvalidArgument
// for a host_id outside [A-Za-z0-9_-]{1,64} or an empty ak_name; the state
// directory's errors otherwise.
Status SaveEnrollment(const StateDir& state, const EnrollmentState& enrollment);
// nullopt when the host has not enrolled; DataLoss naming the file and
// member for a corrupt file.
Result<std::optional<EnrollmentState>> LoadEnrollment(const StateDir& state);

}  // namespace vouch::agent

#endif  // VOUCH_AGENT_ENROLL_H_
