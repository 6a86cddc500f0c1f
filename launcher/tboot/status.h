// `vouch-launcher tboot status`: whether this boot was a measured launch
// and whether it launched what the plan says (docs/launcher-tboot.md).
//
// Evidence, weakest first:
//   txt-stat     Debian's tboot tool; it reads the TXT registers through
//                /dev/mem. Its failure to open /dev/mem means no TXT here
//                (or not root); "TXT measured launch: TRUE" means SENTER
//                completed.
//   PCR 17/18    all ones (0xFF..FF) in a bank: no dynamic launch since the
//                platform reset (they reset to ones and only a launch sets
//                them to zero before extending).
//   D-RTM log    replayed from zero, it must give the TPM's PCR 17/18 in
//                every bank both have; then its tboot events (EV_TBOOT_HASH
//                0x501) and SINIT's EVTYPE_MLE_HASH must carry the plan's
//                digests, in order (policy on 17, policy on 18, each module
//                on 17), for every bank the log records.
// Pure (CheckLaunch, InterpretTxtStat) or reading host files under a root
// (DetectHypervisor). Thread-safe.
#ifndef VOUCH_LAUNCHER_TBOOT_STATUS_H_
#define VOUCH_LAUNCHER_TBOOT_STATUS_H_

#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/tpm/pcr.h"
#include "launcher/tboot/plan.h"
#include "launcher/tboot/tool_runner.h"

namespace vouch::launcher::tboot {

struct TxtStat {
  bool txt_present = false;      // txt-stat could read the TXT registers
  bool measured_launch = false;  // it reported "TXT measured launch: TRUE"
  std::string detail;            // one line for messages
};

// Reads txt-stat's result (or the error running it).
TxtStat InterpretTxtStat(const Result<ToolOutput>& result);

struct HypervisorFacts {
  std::string kind;     // "xen", "kvm" or "none"
  std::string version;  // Xen: major.minor+extra; KVM: the kernel release; may be empty
};

// Xen when ROOT/proc/xen exists or ROOT/sys/hypervisor/type says "xen"
// (version from ROOT/sys/hypervisor/version/{major,minor,extra}); else KVM
// when ROOT/dev/kvm exists (version: ROOT/proc/sys/kernel/osrelease);
// else none. `root` "" means the real host.
HypervisorFacts DetectHypervisor(const std::string& root = "");

struct LaunchCheck {
  bool launched = false;  // PCR 17 is not all ones in the banks read
  bool log_present = false;
  bool log_replays = false;  // the log gives the TPM's PCR 17/18
  bool consistent = false;   // launched, replays, and matches the plan (when given)
  // The log's HASH_START names vouch's stand-in SINIT (emulate-launch):
  // its MLE_HASH is H(--mle file) of the emulation, not lcp2_mlehash's MLE
  // hash, so it is not compared with the plan.
  bool emulated = false;
  std::vector<std::string> problems;  // why not consistent, precise
  std::vector<std::string> notes;     // what was checked
};

// `pcrs` holds PCRs 17 and 18 of the TPM's banks; `drtm_log` the D-RTM log
// when one was found; `plan` the plan to compare with. Without a plan,
// consistent means launched and replaying. InvalidArgument only for a
// `pcrs` without PCR 17; a log that does not parse is a problem, not an
// error.
Result<LaunchCheck> CheckLaunch(const tpm::PcrValues& pcrs, const std::optional<Bytes>& drtm_log,
                                const std::optional<TbootPlan>& plan);

}  // namespace vouch::launcher::tboot

#endif  // VOUCH_LAUNCHER_TBOOT_STATUS_H_
