// The agent's side of enrollment (core/protocol/enrollment.h,
// docs/protocol.md): build the request, answer the verifier's credential
// challenge, remember the host id.
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

// EK public (ReadPublic of the loaded EK), EK certificate from NV
// (kRsaEkCertNvIndex / kEccEkCertNvIndex by the record's EK kind; absent when
// the index is not defined), AK public, host facts.
Result<protocol::EnrollmentRequest> BuildEnrollmentRequest(tpm_device::TpmDevice& device,
                                                           const LoadedAk& ak,
                                                           const protocol::HostFacts& facts);

// ActivateCredential with the AK and EK, then the proof of possession
// (protocol::ComputeActivationProof). The recovered secret never leaves this
// function. InvalidArgument when the TPM refuses the credential (not for
// this EK/AK).
Result<protocol::ActivationRequest> AnswerChallenge(tpm_device::TpmDevice& device,
                                                    const LoadedAk& ak,
                                                    const protocol::EnrollmentChallenge& challenge);

// enrollment.json in the state directory: {"host_id": ..., "verifier_url":
// ..., "enrolled_at": ..., "ak_name": hex}.
struct EnrollmentState {
  std::string host_id;
  std::string verifier_url;
  std::string enrolled_at;
  Bytes ak_name;
};
Status SaveEnrollment(const StateDir& state, const EnrollmentState& enrollment);
// nullopt when the host has not enrolled; DataLoss for a corrupt file.
Result<std::optional<EnrollmentState>> LoadEnrollment(const StateDir& state);

}  // namespace vouch::agent

#endif  // VOUCH_AGENT_ENROLL_H_
