// Turning tpm2-tss response codes into Status, and the retry loop around
// every TSS call of the ESAPI TpmDevice. Internal to core/tpm_device; in a
// header so the mapping and the backoff can be unit-tested without a TPM.
//
// Response codes (TSS2_RC, a uint32_t) carry the layer in bits 16-23 (TPM,
// TCTI, ESYS, MU, ...) and, for the TPM layer, the TPM_RC of TPM 2.0 Part 2,
// section 6.6 in the low 16 bits.
#ifndef VOUCH_CORE_TPM_DEVICE_INTERNAL_TSS_CALL_H_
#define VOUCH_CORE_TPM_DEVICE_INTERNAL_TSS_CALL_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <thread>

#include "core/base/status.h"

namespace vouch::tpm_device::internal {

// TPM_RC_RETRY, TPM_RC_YIELDED or TPM_RC_TESTING from the TPM (or a resource
// manager passing them on): the command may succeed if sent again.
bool IsRetryable(uint32_t rc);

// The Status code for a TSS response code (see tpm_device.h): TCTI errors and
// TPM "busy" warnings Unavailable, TPM_RC_HANDLE NotFound, authorization and
// policy failures PermissionDenied, locality/initialization/NV state
// FailedPrecondition, TPM_RC_INTEGRITY InvalidArgument, others Internal.
Code CodeForRc(uint32_t rc);

// "<command>: <Tss2_RC_Decode text> (0x<rc>)" with CodeForRc(rc).
// Precondition: rc != 0.
Status TssError(std::string_view command, uint32_t rc);

struct RetryPolicy {
  int max_attempts = 8;
  std::chrono::milliseconds first_backoff{1};
  std::chrono::milliseconds max_backoff{200};  // each wait is 4x the previous
};

// Runs `call` (returning a TSS2_RC) until it succeeds, fails with a code that
// is not retryable, or `policy.max_attempts` calls were made; waits between
// attempts with `sleep` (std::this_thread::sleep_for by default).
template <typename F>
Status CallWithRetry(
    std::string_view command, F&& call, const RetryPolicy& policy = {},
    const std::function<void(std::chrono::milliseconds)>& sleep = [](std::chrono::milliseconds d) {
      std::this_thread::sleep_for(d);
    }) {
  std::chrono::milliseconds delay = policy.first_backoff;
  for (int attempt = 1;; ++attempt) {
    const uint32_t rc = call();
    if (rc == 0) return Status::Ok();
    if (!IsRetryable(rc) || attempt >= policy.max_attempts) return TssError(command, rc);
    sleep(delay);
    delay = std::min(delay * 4, policy.max_backoff);
  }
}

}  // namespace vouch::tpm_device::internal

#endif  // VOUCH_CORE_TPM_DEVICE_INTERNAL_TSS_CALL_H_
