// Emulated measured launch (D-RTM) for machines without Intel TXT: swtpm in
// tests, demos and development. Performs on the TPM the sequence a tboot
// launch produces on TPM 2.0 with the details/authorities PCR mapping, at
// the localities the hardware uses, and writes the matching TCG-format
// D-RTM event log, so the verifier appraises emulated and real launches
// with one code path (docs/launcher.md; ../shared/PLATFORM.md "Emulating an
// Intel TXT / tboot measured launch").
//
// The sequence (event types: Intel TXT MLE Developer's Guide, appendix
// "Event Log"; 0x501 tboot):
//   locality 4  _TPM_Hash_Start/Data/End over the stand-in SINIT's HASH_START
//               data (swtpm control channel): PCRs 17-22 := 0, then
//               PCR 17 := H(0..0 || H(data)) in every bank
//   locality 3  SINIT's events on PCR 17 (details): BIOSAC_REG_DATA,
//               CPU_SCRTM_STAT, LCP_CONTROL_HASH, LCP_DETAILS_HASH, STM_HASH,
//               OSSINITDATA_CAP_HASH, MLE_HASH (tboot), NV_INFO_HASH; then on
//               PCR 18 (authorities): SINIT_PUBKEY_HASH, CPU_SCRTM_STAT,
//               OSSINITDATA_CAP_HASH, LCP_CONTROL_HASH, LCP_AUTHORITIES_HASH,
//               NV_INFO_HASH
//   locality 2  tboot: EV_TBOOT_HASH H(control || H(VLP)) on PCR 17 and on
//               PCR 18, then one EV_TBOOT_HASH per module on PCR 17,
//               H(H(cmdline) || H(image)) (tboot_measure.h), module 0 first
// That is the shape of a real TXT/tboot log (the isecl TXT heap fixture)
// with its number of modules, which the verifier's appraisal classifies by
// (verifier/core/appraisal.cc ClassifyDrtmEvent).
//
// What is not real, and says so: there is no SINIT ACM. The HASH_START
// event's data is the ASCII text kEmulatedSinitName and the
// SINIT_PUBKEY_HASH event's data kEmulatedSinitSignerName, so the log names
// the stand-in wherever it is read, and their digests are in no vendor's
// reference values. The platform-configuration events describe a platform
// without LCP, STM or BIOS ACM. The agent reports such a host with host
// fact measured_launch "emulated"; the verifier refuses emulated launches
// unless its host policy has allow_emulated_launch.
//
// Every event records a digest for every active PCR bank; every digest is
// H(event data) except MLE_HASH and the EV_TBOOT_HASH events (no data, as
// in real logs). Replaying the log (core/eventlog: D-RTM PCRs start at 0)
// gives the TPM's PCR 17 and 18 in every bank: the HASH_START digest H(data)
// extended into zero is exactly what _TPM_Hash_End computes.
#ifndef VOUCH_LAUNCHER_DRTM_EMULATE_LAUNCH_H_
#define VOUCH_LAUNCHER_DRTM_EMULATE_LAUNCH_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/tpm/pcr.h"
#include "core/tpm_device/tpm_device.h"
#include "launcher/drtm/swtpm_control.h"
#include "launcher/drtm/tboot_measure.h"

namespace vouch::launcher {

// The stand-ins' names, as event data in the log (ASCII, no NUL).
inline constexpr std::string_view kEmulatedSinitName = "vouch emulated SINIT (not an Intel ACM)";
inline constexpr std::string_view kEmulatedSinitSignerName =
    "vouch emulated SINIT signer (not an Intel key)";
// Measured as tboot's MLE and as its launch policy (VLP) when the inputs
// give none.
inline constexpr std::string_view kEmulatedMleName = "vouch emulated tboot MLE (not tboot)";
inline constexpr std::string_view kEmulatedVlpName =
    "vouch emulated tboot launch policy (not a tb_polgen policy)";

// D-RTM event types (TXT MLE Developer's Guide; tboot).
inline constexpr uint32_t kEvTxtHashStart = 0x402;
inline constexpr uint32_t kEvTxtMleHash = 0x404;
inline constexpr uint32_t kEvTxtBiosAcRegData = 0x40A;
inline constexpr uint32_t kEvTxtCpuScrtmStat = 0x40B;
inline constexpr uint32_t kEvTxtLcpControlHash = 0x40C;
inline constexpr uint32_t kEvTxtStmHash = 0x40E;
inline constexpr uint32_t kEvTxtOsSinitDataCapHash = 0x40F;
inline constexpr uint32_t kEvTxtSinitPubkeyHash = 0x410;
inline constexpr uint32_t kEvTxtLcpDetailsHash = 0x412;
inline constexpr uint32_t kEvTxtLcpAuthoritiesHash = 0x413;
inline constexpr uint32_t kEvTxtNvInfoHash = 0x414;
inline constexpr uint32_t kEvTbootHash = 0x501;

// One module tboot launches (a multiboot module).
struct LaunchModule {
  std::string name;     // for messages only ("/boot/xen.gz"); not measured
  Bytes image;          // the file's bytes
  std::string cmdline;  // its command line without the file name
};

struct LaunchInputs {
  // Module 0 is the hypervisor (xen.gz, or the Linux kernel for KVM); then
  // kernel, initrd, ... At least one.
  std::vector<LaunchModule> modules;
  // tboot's MLE as SINIT measures it; nullopt: the text kEmulatedMleName.
  std::optional<Bytes> mle;
  // tboot's verified launch policy; nullopt: the text kEmulatedVlpName.
  std::optional<Bytes> vlp;
  uint32_t policy_control = kTbootPolicyControlExtendPcr17;
};

// One event of the emulated launch, in log and TPM order.
struct DrtmEvent {
  uint32_t pcr = 0;
  uint32_t type = 0;
  uint8_t locality = 0;  // the locality that extends it
  // True for HASH_START: not extended with TPM2_PCR_Extend but produced by
  // the _TPM_Hash_Start/Data/End sequence over `data`.
  bool hash_sequence = false;
  Bytes data;
  std::vector<tpm_device::BankDigest> digests;  // one per bank, bank order
};

// The events an emulated launch extends, for `banks` (the TPM's active
// banks). Pure. InvalidArgument when there is no module, no bank, a bank is
// repeated or cannot be hashed here (SM3).
Result<std::vector<DrtmEvent>> PlanDrtmLaunch(const std::vector<HashAlg>& banks,
                                              const LaunchInputs& inputs);

// The TCG crypto-agile log of `events` (TCG PC Client PFP 10.2): a
// TCG_PCR_EVENT with the "Spec ID Event03" (PCR 0, EV_NO_ACTION, every bank
// of `banks`), then one TCG_PCR_EVENT2 per event with its digests.
// InvalidArgument when an event's digests do not match `banks` one to one
// (order and sizes).
Result<Bytes> EncodeDrtmLog(const std::vector<HashAlg>& banks,
                            const std::vector<DrtmEvent>& events);

struct DrtmEmulation {
  Bytes log;                   // the D-RTM event log (the agent's drtm_log)
  std::vector<HashAlg> banks;  // the TPM's active banks, all extended
  size_t events = 0;           // events extended (Spec ID event not counted)
  tpm::PcrValues pcrs;         // PCRs 17 and 18 of every bank, read after the launch
};

// Runs the launch on `tpm` (its active banks), with `control` for the
// locality-4 hash sequence (the control channel of the same swtpm), then
// reads PCRs 17 and 18 back and checks that the log replays to them. The
// locality is 0 again afterwards (also after a failure once it changed).
// Errors: InvalidArgument as PlanDrtmLaunch; FailedPrecondition when the
// TPM cannot change locality or refuses an extend at the locality used;
// Internal when the TPM's PCRs after the launch differ from the log's replay
// (the control channel is not this TPM's, or a PCR changed meanwhile);
// the device's and the control channel's errors otherwise. A failure after
// the hash sequence leaves PCRs 17/18 describing a partial launch: run
// again (the hash sequence resets them).
Result<DrtmEmulation> EmulateDrtmLaunch(tpm_device::TpmDevice& tpm, SwtpmControl& control,
                                        const LaunchInputs& inputs);

}  // namespace vouch::launcher

#endif  // VOUCH_LAUNCHER_DRTM_EMULATE_LAUNCH_H_
