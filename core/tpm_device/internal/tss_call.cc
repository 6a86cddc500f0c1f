#include "core/tpm_device/internal/tss_call.h"

#include <tss2/tss2_common.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tpm2_types.h>

#include <cstdio>
#include <string>

namespace vouch::tpm_device::internal {
namespace {

bool IsTpmLayer(uint32_t rc) {
  const uint32_t layer = rc & TSS2_RC_LAYER_MASK;
  return layer == TSS2_TPM_RC_LAYER || layer == TSS2_RESMGR_TPM_RC_LAYER;
}

// TPM 2.0 Part 2, section 6.6: format-one codes carry a handle, session or
// parameter number in bits 6 and 8-11; the error itself is bits 0-5 plus FMT1.
uint32_t BaseCode(uint32_t rc) {
  const uint32_t code = rc & 0xffff;
  if (code & TPM2_RC_FMT1) return code & (TPM2_RC_FMT1 | 0x3f);
  return code;
}

}  // namespace

bool IsRetryable(uint32_t rc) {
  if (!IsTpmLayer(rc)) return false;
  const uint32_t code = rc & 0xffff;
  return code == TPM2_RC_RETRY || code == TPM2_RC_YIELDED || code == TPM2_RC_TESTING;
}

Code CodeForRc(uint32_t rc) {
  if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TCTI_RC_LAYER) return Code::kUnavailable;
  if (!IsTpmLayer(rc)) return Code::kInternal;
  if (IsRetryable(rc)) return Code::kUnavailable;
  switch (BaseCode(rc)) {
    case TPM2_RC_HANDLE: return Code::kNotFound;
    case TPM2_RC_AUTH_FAIL:
    case TPM2_RC_BAD_AUTH:
    case TPM2_RC_POLICY_FAIL:
    case TPM2_RC_LOCKOUT: return Code::kPermissionDenied;
    case TPM2_RC_LOCALITY:
    case TPM2_RC_INITIALIZE:
    case TPM2_RC_FAILURE:
    case TPM2_RC_NV_UNINITIALIZED:
    case TPM2_RC_NV_LOCKED:
    case TPM2_RC_DISABLED:
    case TPM2_RC_NV_DEFINED: return Code::kFailedPrecondition;
    case TPM2_RC_INTEGRITY: return Code::kInvalidArgument;
    case TPM2_RC_OBJECT_MEMORY:
    case TPM2_RC_SESSION_MEMORY:
    case TPM2_RC_MEMORY:
    case TPM2_RC_OBJECT_HANDLES:
    case TPM2_RC_SESSION_HANDLES:
    case TPM2_RC_NV_RATE:
    case TPM2_RC_NV_UNAVAILABLE: return Code::kUnavailable;
    default: return Code::kInternal;
  }
}

Status TssError(std::string_view command, uint32_t rc) {
  char hex[16];
  std::snprintf(hex, sizeof(hex), "0x%x", rc);
  std::string message(command);
  message += ": ";
  message += Tss2_RC_Decode(rc);
  message += " (";
  message += hex;
  message += ")";
  return Status(CodeForRc(rc), std::move(message));
}

}  // namespace vouch::tpm_device::internal
