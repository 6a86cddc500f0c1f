// DecideLaunch (launch_decision.h): the host's state first, then each
// measurement against the reference values of its kind.
#include "verifier/core/launch_decision.h"

#include <set>
#include <string>
#include <utility>

#include "core/base/time_format.h"

namespace vouch::verifier {
namespace {

Finding Reason(std::string id, Severity severity, std::string message) {
  Finding f;
  f.id = std::move(id);
  f.severity = severity;
  f.message = std::move(message);
  return f;
}

std::string MeasurementText(const protocol::LaunchMeasurement& m) {
  return std::string(protocol::VmComponentName(m.component)) + " " + m.path;
}

}  // namespace

protocol::LaunchDecision DecideLaunch(const protocol::LaunchDecisionRequest& request,
                                      const std::optional<LaunchHost>& host,
                                      const ReferenceSet& references, TimePoint now) {
  protocol::LaunchDecision out;
  out.host_id = request.host_id;
  out.vm_id = request.vm_id;
  out.vm_name = request.vm_name;
  out.decided_at = FormatRfc3339Utc(now);
  out.host_verdict = "none";
  std::vector<Finding>& reasons = out.reasons;

  if (!host.has_value()) {
    reasons.push_back(Reason("launch.host_not_enrolled", Severity::kError,
                             "host " + request.host_id + " is not enrolled with this verifier"));
  } else if (!host->latest.has_value()) {
    reasons.push_back(Reason("launch.host_not_attested", Severity::kError,
                             "host " + request.host_id + " has not been attested yet"));
  } else {
    const LatestHostReport& latest = *host->latest;
    out.host_verdict = std::string(VerdictName(latest.verdict));
    const std::string report = "report " + std::to_string(latest.report_id);
    if (latest.verdict == Verdict::kUntrusted) {
      Finding f = Reason("launch.host_untrusted", Severity::kError,
                         "the host's latest attestation (" + report + ") is untrusted");
      f.expected = "trusted";
      f.actual = out.host_verdict;
      reasons.push_back(std::move(f));
    } else if (latest.verdict == Verdict::kUnknown) {
      Finding f = Reason("launch.host_unknown_verdict", Severity::kError,
                         "the host's latest attestation (" + report +
                             ") could not establish trust (verdict unknown)");
      f.expected = "trusted";
      f.actual = out.host_verdict;
      reasons.push_back(std::move(f));
    } else if (now >= latest.expires_at) {
      Finding f = Reason("launch.report_expired", Severity::kError,
                         "the host's latest trusted attestation (" + report +
                             ") has expired; the host must attest again");
      f.expected = "before " + FormatRfc3339Utc(latest.expires_at);
      f.actual = out.decided_at;
      reasons.push_back(std::move(f));
    }
  }

  std::set<ReferenceKind> missing_kinds;
  for (const protocol::LaunchMeasurement& m : request.measurements) {
    const ReferenceKind kind = VmReferenceKind(m.component);
    const std::string kind_name(ReferenceKindName(kind));
    if (!references.HasKind(kind)) {
      if (missing_kinds.insert(kind).second) {
        Finding f = Reason("launch.no_references", Severity::kError,
                           "no " + kind_name + " reference values are loaded, so the " +
                               std::string(protocol::VmComponentName(m.component)) +
                               " cannot be judged (" + m.path + ")");
        f.expected = kind_name;
        reasons.push_back(std::move(f));
      }
      continue;
    }
    const auto* digest = StrongestBankDigest(m.digests);
    if (const ReferenceValue* ref = FindReferenceForDigests(references, m.digests, kind)) {
      Finding f =
          Reason("launch.component_known", Severity::kInfo,
                 MeasurementText(m) + " is the known " + kind_name + " '" + ref->name + "'");
      if (digest != nullptr) {
        f.bank = digest->first;
        f.actual = HexEncode(digest->second);
      }
      reasons.push_back(std::move(f));
      continue;
    }
    Finding f = Reason("launch.component_unknown", Severity::kError,
                       MeasurementText(m) + " (" + std::to_string(m.size) +
                           " bytes): digest is in no " + kind_name + " reference value");
    if (digest != nullptr) {
      f.bank = digest->first;
      f.actual = HexEncode(digest->second);
    }
    reasons.push_back(std::move(f));
  }

  out.decision =
      HasErrors(reasons) ? protocol::LaunchVerdict::kDeny : protocol::LaunchVerdict::kAllow;
  return out;
}

}  // namespace vouch::verifier
