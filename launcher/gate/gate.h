// The launch gate (docs/launcher-gate.md): measure a VM's components, ask
// the verifier whether it may start on this host, and apply the mode:
//
//   enforce: the launch goes ahead exactly when the verifier answered
//            "allow". A verifier that cannot be asked (unreachable, error
//            answer) denies, unless fail_open (then allowed, with a warning).
//            A VM that cannot be measured, or a host without an id (not
//            enrolled), is denied whatever fail_open says: the verifier
//            would deny it too.
//   audit:   the launch always goes ahead; the decision (or why there is
//            none) is logged as what enforce would have done.
//
// Measuring always comes first, so the VM log and PCR record every attempted
// start (also denied ones), as the verifier decides on the digests extended.
// The gate never execs anything: callers (vouch-launcher run, the libvirt
// hook) act on GateResult::allowed. Not thread-safe; one Decide at a time.
#ifndef VOUCH_LAUNCHER_GATE_GATE_H_
#define VOUCH_LAUNCHER_GATE_GATE_H_

#include <optional>
#include <string>
#include <vector>

#include "core/base/logger.h"
#include "core/base/status.h"
#include "core/protocol/decision.h"
#include "launcher/config.h"
#include "launcher/gate/libvirt_domain.h"
#include "launcher/gate/verifier_client.h"
#include "launcher/gate/vm_measurer.h"

namespace vouch::launcher::gate {

struct GateOptions {
  GateMode mode = GateMode::kEnforce;
  bool fail_open = false;  // enforce only: allow when the verifier cannot be asked
};

enum class GateOutcome {
  kAllowed,          // the verifier allowed the launch
  kDenied,           // enforce: denied (by the verifier, or fail closed)
  kAuditAllowed,     // audit: allowed whatever the verifier said (see `decision`)
  kFailOpenAllowed,  // enforce with fail_open: the verifier could not be asked
};
std::string_view GateOutcomeName(GateOutcome o);  // "allowed", "denied", ...

struct GateResult {
  bool allowed = false;  // whether the caller may start the VM
  GateOutcome outcome = GateOutcome::kDenied;
  // The verifier's answer; nullopt when it was not asked or could not be.
  std::optional<protocol::LaunchDecision> decision;
  std::vector<protocol::LaunchMeasurement> measurements;  // empty when measuring failed
  // Why the launch was (or, in audit mode, would have been) denied, one
  // line each: the verifier's error/warning reasons ("launch.component_unknown:
  // disk /vm/a.qcow2 ..."), or the measuring/asking error. Empty when allowed
  // by the verifier.
  std::vector<std::string> reasons;
};

class LaunchGate {
 public:
  // All references must outlive the gate.
  LaunchGate(VmMeasurer& measurer, VerifierClient& verifier, Logger& logger, GateOptions options)
      : measurer_(measurer), verifier_(verifier), logger_(logger), options_(options) {}

  // Measures `vm`, asks the verifier for host `host_id` (or the reason no id
  // is known) and applies the mode. Logs one line with the outcome (info
  // when allowed by the verifier, warning otherwise) plus one per reason.
  // Never fails: every problem becomes a reason and, in enforce mode, a
  // denial.
  GateResult Decide(const VmSpec& vm, const Result<std::string>& host_id);

 private:
  GateResult Finish(const VmSpec& vm, GateResult result, bool verifier_asked);

  VmMeasurer& measurer_;
  VerifierClient& verifier_;
  Logger& logger_;
  GateOptions options_;
};

// Replaces the process with `command` (execvp: argv[0] looked up in PATH,
// arguments passed as they are, never through a shell), after flushing
// stdout and stderr. Returns only on failure: InvalidArgument for an empty
// command, Unavailable naming the command and errno otherwise.
Status ExecCommand(const std::vector<std::string>& command);

// What `vouch-launcher run` does: gate.Decide(vm, host_id), then
// ExecCommand(command) when allowed. Returns only when the launch is denied
// (the result, allowed == false; nothing was exec'd) or the exec failed (its
// error).
Result<GateResult> DecideAndExec(LaunchGate& gate, const VmSpec& vm,
                                 const Result<std::string>& host_id,
                                 const std::vector<std::string>& command);

// The components of a parsed domain, in boot order: loader (firmware),
// kernel, initrd, then the disks. id = the UUID (the name when there is
// none).
VmSpec VmSpecFromDomain(const LibvirtDomain& domain);

// The verifier's id for this host: config.host_id when set, else "host_id"
// of enrollment.json in config.agent_state_dir (written by `vouch-agent
// enroll`). FailedPrecondition "host not enrolled ..." when neither exists;
// InvalidArgument naming the file for a corrupt one (or an id outside
// [A-Za-z0-9_-]{1,64}); the file's read error otherwise.
Result<std::string> ResolveHostId(const LauncherConfig& config);

}  // namespace vouch::launcher::gate

#endif  // VOUCH_LAUNCHER_GATE_GATE_H_
