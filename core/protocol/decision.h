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

// Both documents (request and answer) are refused unparsed above this size.
inline constexpr size_t kMaxDecisionRequestBytes = 1024 * 1024;
inline constexpr size_t kMaxLaunchMeasurements = 64;
// Limits of the answer's reasons: a decision has a few host reasons and one
// or two per measurement, so 256 is far above any real answer.
inline constexpr size_t kMaxLaunchReasons = 256;
inline constexpr size_t kMaxFindingIdLength = 128;    // characters
inline constexpr size_t kMaxReasonTextLength = 8192;  // characters of message, expected, actual

// One measured component, as in its VM log record (vm_log.h rules).
struct LaunchMeasurement {
  VmComponent component = VmComponent::kDisk;  // [component]
  std::string path;                            // [path] CheckVmPath
  uint64_t size = 0;                           // [size] <= kMaxVmLogInteger
  std::map<HashAlg, Bytes> digests;            // [digests] CheckVmDigests
  friend bool operator==(const LaunchMeasurement&, const LaunchMeasurement&) = default;
};

// {"host": id, "vm": {"id", "name"}, "measurements": [..]}
struct LaunchDecisionRequest {
  std::string host_id;                          // [host] the verifier's host id (CheckId rules)
  std::string vm_id;                            // [vm.id] CheckVmId
  std::string vm_name;                          // [vm.name] CheckVmName
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
  LaunchVerdict decision = LaunchVerdict::kDeny;  // [decision]
  std::string host_id;                            // [host] CheckId rules
  std::string vm_id;                              // [vm.id] CheckVmId
  std::string vm_name;                            // [vm.name] CheckVmName
  // [host_verdict] as the host's latest report says: "trusted", "untrusted",
  // "unknown", or "none" when never attested (or not enrolled).
  std::string host_verdict;
  std::string decided_at;  // [decided_at] RFC 3339 UTC, whole seconds
  // [reasons] 0..kMaxLaunchReasons findings: id dotted lower case (as in
  // reports), message/expected/actual at most kMaxReasonTextLength
  // characters, expected/actual empty = absent, pcr 0-23, bank any HashAlg.
  std::vector<Finding> reasons;
};

// Compact JSON, members in the order above. InvalidArgument naming the
// member ("launch_decision_request.vm.name: ...") when the request breaks a
// rule: the launcher builds it from names it was given, so a bad one is the
// caller's input, not a bug.
Result<std::string> EncodeLaunchDecisionRequest(const LaunchDecisionRequest& request);
// InvalidArgument naming the member (the field for API errors) for anything
// outside the schema; refuses text over kMaxDecisionRequestBytes unparsed.
Result<LaunchDecisionRequest> DecodeLaunchDecisionRequest(std::string_view text);
// Compact JSON, members in the order above, reasons as FindingToJson writes
// findings. Internal ("encode: launch_decision.<member>: ...") when a member
// breaks a rule or when the decision contradicts its reasons (allow with an
// error reason, deny without one): the verifier made it, so that is a bug.
Result<std::string> EncodeLaunchDecision(const LaunchDecision& decision);
// InvalidArgument naming the member for anything outside the schema. Does
// NOT refuse a decision that contradicts its reasons: refusing would turn a
// verifier's (buggy) deny into "no answer", which a fail-open gate allows.
// Callers must treat allow-with-an-error-reason as deny (launcher/gate does).
Result<LaunchDecision> DecodeLaunchDecision(std::string_view text);

}  // namespace vouch::protocol

#endif  // VOUCH_CORE_PROTOCOL_DECISION_H_
