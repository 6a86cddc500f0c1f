// The TpmDevice implementation on tpm2-tss ESAPI (libtss2-esys) through a
// TCTI loaded by libtss2-tctildr.
//
// The TCTI string comes from configuration: "device:/dev/tpmrm0" on a host
// (the kernel resource manager), "swtpm:host=127.0.0.1,port=N" for swtpm in
// tests. Nothing here reads the environment or keeps global state; each
// device owns its ESYS and TCTI contexts and finalizes them when destroyed,
// after flushing the objects it still has loaded. Sessions are opened and
// flushed within a single call. See tpm_device.h for the contract.
#ifndef VOUCH_CORE_TPM_DEVICE_ESYS_TPM_DEVICE_H_
#define VOUCH_CORE_TPM_DEVICE_ESYS_TPM_DEVICE_H_

#include <memory>
#include <string_view>

#include "core/base/status.h"
#include "core/tpm_device/tpm_device.h"

namespace vouch::tpm_device {

// Opens the TPM behind `tcti` and sends TPM2_Startup(CLEAR) (OK when it is
// already started). Unavailable when the TCTI cannot be loaded or the TPM
// does not answer; the TPM's error otherwise.
Result<std::unique_ptr<TpmDevice>> OpenEsysTpmDevice(std::string_view tcti);

}  // namespace vouch::tpm_device

#endif  // VOUCH_CORE_TPM_DEVICE_ESYS_TPM_DEVICE_H_
