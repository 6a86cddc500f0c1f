// The launch decision exchange (POST /v1/decisions/launch; schemas
// launch-decision-request and launch-decision): the launcher's gate asks the
// verifier whether a VM whose components it just measured may start on this
// host. Shared by launcher (encodes requests, decodes answers) and verifier
// (the reverse). Value types; thread-safe free functions.
#ifndef VOUCH_CORE_PROTOCOL_DECISION_H_
#define VOUCH_CORE_PROTOCOL_DECISION_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/finding.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/protocol/vm_log.h"

namespace vouch::protocol {

inline constexpr size_t kMaxDecisionRequestBytes = 1024 * 1024;
inline constexpr size_t kMaxLaunchMeasurements = 64;

struct LaunchMeasurement {
  VmComponent component = VmComponent::kDisk;  // [component]
  std::string path;                            // [path] 1..4096 bytes
  uint64_t size = 0;                           // [size]
  std::map<HashAlg, Bytes> digests;            // [digests] as in vm_log.h, at least one
  friend bool operator==(const LaunchMeasurement&, const LaunchMeasurement&) = default;
};

// {"host": id, "vm": {"id", "name"}, "measurements": [..]}
struct LaunchDecisionRequest {
  std::string host_id;                          // [host] the verifier's host id (CheckId rules)
  std::string vm_id;                            // [vm.id] 1..128 chars
  std::string vm_name;                          // [vm.name] 1..256 chars
  std::vector<LaunchMeasurement> measurements;  // [measurements] 1..kMaxLaunchMeasurements
  friend bool operator==(const LaunchDecisionRequest&, const LaunchDecisionRequest&) = default;
};

enum class LaunchVerdict { kAllow, kDeny };
std::string_view LaunchVerdictName(LaunchVerdict v);  // "allow" | "deny"

// {"decision": "allow"|"deny", "host": id, "vm": {...}, "host_verdict":
//  "trusted"|"untrusted"|"unknown"|"none", "decided_at": RFC 3339,
//  "reasons": [finding...]} where each reason is a finding as in reports
// (id, severity, message, expected, actual; component members in message).
// Reason ids: launch.host_not_enrolled, launch.host_not_attested,
// launch.host_untrusted, launch.host_unknown_verdict, launch.report_expired,
// launch.component_unknown (error: digest in no reference value of the
// component's kind), launch.component_known (info: names the matched
// reference value), launch.no_references (error: no reference values of a
// needed kind). "allow" exactly when no reason has severity error.
struct LaunchDecision {
  LaunchVerdict decision = LaunchVerdict::kDeny;
  std::string host_id;
  std::string vm_id;
  std::string vm_name;
  std::string host_verdict;  // as the host's latest report says, "none" when never attested
  std::string decided_at;
  std::vector<Finding> reasons;
};

Result<std::string> EncodeLaunchDecisionRequest(const LaunchDecisionRequest& request);
// InvalidArgument naming the member (the field for API errors) for anything
// outside the schema; refuses text over kMaxDecisionRequestBytes unparsed.
Result<LaunchDecisionRequest> DecodeLaunchDecisionRequest(std::string_view text);
Result<std::string> EncodeLaunchDecision(const LaunchDecision& decision);
Result<LaunchDecision> DecodeLaunchDecision(std::string_view text);

}  // namespace vouch::protocol

#endif  // VOUCH_CORE_PROTOCOL_DECISION_H_
