// Emulated firmware boot (SRTM) for machines whose TPM saw no firmware:
// swtpm in tests, demos and development. Extends the TPM's PCRs with every
// measured event of a real firmware event log, in log order, so that the
// log then replays to the TPM's PCRs exactly as on the machine it came
// from, and the agent can hand that log to the verifier as its SRTM log.
// The emulated part of the platform is the firmware only: the quote, the
// AK and the EK are the TPM's own.
//
// Issue 5's D-RTM emulation (PCRs 17/18) comes next to it in launcher/.
#ifndef VOUCH_LAUNCHER_FIRMWARE_EMULATE_FIRMWARE_H_
#define VOUCH_LAUNCHER_FIRMWARE_EMULATE_FIRMWARE_H_

#include <cstddef>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/tpm_device/tpm_device.h"

namespace vouch::launcher {

struct FirmwareEmulation {
  size_t events_extended = 0;
  std::vector<HashAlg> banks;  // the TPM's active banks, all extended
};

// Extends `tpm` (at locality 0) with every event of `log` that is not
// EV_NO_ACTION, one TPM2_PCR_Extend per event with the event's digest in
// each of the TPM's active banks. Refused before anything is extended:
//  - InvalidArgument: the log does not parse;
//  - FailedPrecondition: the log's StartupLocality is not 0 (a TPM started
//    at locality 0 cannot reproduce PCR 0 of a locality-3 start), the log
//    lacks an active bank of the TPM, an event targets a PCR outside 0-15,
//    or PCRs 0-15 are not all at their reset value (zero) in every active
//    bank (the firmware "ran" already: restart the TPM first).
// TPM errors as the device reports them.
Result<FirmwareEmulation> EmulateFirmwareBoot(tpm_device::TpmDevice& tpm, ByteView log);

}  // namespace vouch::launcher

#endif  // VOUCH_LAUNCHER_FIRMWARE_EMULATE_FIRMWARE_H_
