// The launch decision (POST /v1/decisions/launch; core/protocol/decision.h):
// may a VM whose components the launcher just measured start on this host?
// Until the run policies of issue 6 exist the answer comes from the host's
// latest report and the reference values alone. Pure: no store, no clock;
// the API (verifier/api/api_decisions.cc) looks the host up and passes what
// it found.
//
// The measurements in a request are the launcher's claims: they are checked
// against reference values here, and bound to the TPM only later, when the
// host's next evidence replays its VM log (appraisal.h, log.vm_*). A
// decision therefore says "these digests are known and the host was trusted
// when asked", not "the host really measured them".
#ifndef VOUCH_VERIFIER_CORE_LAUNCH_DECISION_H_
#define VOUCH_VERIFIER_CORE_LAUNCH_DECISION_H_

#include <cstdint>
#include <optional>

#include "core/protocol/decision.h"
#include "verifier/core/appraisal.h"

namespace vouch::verifier {

// What the verifier knows about the host's latest report.
struct LatestHostReport {
  int64_t report_id = 0;
  Verdict verdict = Verdict::kUnknown;
  TimePoint expires_at;  // the report's expires_at (appraised_at for non-trusted verdicts)
};

// The host as the store has it: nullopt when no host with the request's id
// is enrolled.
struct LaunchHost {
  std::optional<LatestHostReport> latest;  // nullopt: never attested
};

// Decides `request` at `now`. Reasons (decision.h), in this order:
//   launch.host_not_enrolled   (error) `host` is nullopt; host_verdict "none"
//   launch.host_not_attested   (error) enrolled, no report yet; "none"
//   launch.host_untrusted      (error) latest verdict untrusted
//   launch.host_unknown_verdict (error) latest verdict unknown
//   launch.report_expired      (error) trusted, but now >= expires_at
//                              (expected "before <expires_at>", actual now)
//   then per measurement, in request order:
//   launch.no_references       (error) the set has no value of the
//                              component's kind (once per kind)
//   launch.component_known     (info) the measurement matches a value of its
//                              kind (message names the value; actual = digest)
//   launch.component_unknown   (error) it matches none (bank and actual = the
//                              strongest digest; message names component, path)
// Components map to kinds as the VM log appraisal does (VmReferenceKind):
// disk -> vm-image, kernel -> vm-kernel, initrd -> vm-initrd, firmware ->
// vm-firmware, config -> vm-config. A measurement matches a value when every
// bank both carry agrees and they share at least one bank (a SHA-1 match
// cannot vouch for a component whose SHA-256 differs).
// decision is kAllow exactly when no reason is an error. Component reasons
// are given even when the host already denies, so one answer shows every
// problem. Never fails; thread-safe (pure function).
protocol::LaunchDecision DecideLaunch(const protocol::LaunchDecisionRequest& request,
                                      const std::optional<LaunchHost>& host,
                                      const ReferenceSet& references, TimePoint now);

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_CORE_LAUNCH_DECISION_H_
