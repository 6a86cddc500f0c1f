// VerifierApi: POST /v1/decisions/launch (the launcher's gate asks whether a
// VM may start). The decision itself is verifier/core's DecideLaunch; this
// file looks up the host's state and maps the exchange to HTTP.
//
// Every well-formed request gets a 200 decision, deny included (an unknown
// host is "deny, launch.host_not_enrolled", not 404), so the launcher always
// has an answer to enforce or log; only bad bodies (400), missing or wrong
// tokens (401) and store failures (5xx) are errors.
#include <cstdio>
#include <ctime>
#include <string>
#include <utility>

#include "core/protocol/decision.h"
#include "core/protocol/evidence.h"
#include "verifier/api/api.h"
#include "verifier/api/api_internal.h"
#include "verifier/core/launch_decision.h"

namespace vouch::verifier {

using api_internal::Json;

namespace {

// "2026-11-28T14:00:00Z" (the form FormatRfc3339Utc writes) as a time point.
std::optional<TimePoint> ParseReportTime(const std::string& text) {
  std::tm tm{};
  int year = 0;
  int month = 0;
  char z = 0;
  // NOLINTNEXTLINE(cert-err34-c): the result is checked field by field below.
  if (text.size() != 20 ||
      std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &year, &month, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
      z != 'Z') {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  const time_t t = timegm(&tm);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

std::optional<Verdict> ParseVerdict(std::string_view v) {
  for (Verdict verdict : {Verdict::kTrusted, Verdict::kUntrusted, Verdict::kUnknown}) {
    if (VerdictName(verdict) == v) return verdict;
  }
  return std::nullopt;
}

}  // namespace

Result<std::optional<LaunchHost>> VerifierApi::LaunchHostState(const std::string& host_id) {
  Result<HostRecord> host = store_.GetHost(host_id);
  if (!host.has_value()) {
    if (host.error().code() == Code::kNotFound) return std::optional<LaunchHost>();
    return Counted(host.error());
  }
  LaunchHost state;
  Result<std::optional<ReportRecord>> report = store_.LatestReport(host_id);
  if (!report.has_value()) return Counted(report.error());
  if (report->has_value()) {
    const ReportRecord& r = **report;
    LatestHostReport latest;
    latest.report_id = r.id;
    // Fail closed: a report whose verdict or expiry does not read back is
    // neither trusted nor fresh.
    latest.verdict = ParseVerdict(r.verdict).value_or(Verdict::kUnknown);
    latest.expires_at = r.appraised_at;
    Json doc = Json::parse(r.report_json, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object() && doc.contains("expires_at") && doc["expires_at"].is_string()) {
      latest.expires_at =
          ParseReportTime(doc["expires_at"].get<std::string>()).value_or(r.appraised_at);
    }
    // An identity change flagged after this report makes the host
    // untrusted (Store::FlagIdentityChange) without a new report.
    if (host->verdict == "untrusted") latest.verdict = Verdict::kUntrusted;
    state.latest = latest;
  }
  return std::optional<LaunchHost>(state);
}

http::Response VerifierApi::LaunchDecisionRoute(const http::Request& request,
                                                const Principal& who) {
  Result<protocol::LaunchDecisionRequest> req = protocol::DecodeLaunchDecisionRequest(request.body);
  if (!req.has_value()) {
    return http::ErrorResponse(req.error(), protocol::DecodeErrorField(req.error()));
  }
  Result<std::optional<LaunchHost>> host = LaunchHostState(req->host_id);
  if (!host.has_value()) return http::ErrorResponse(host.error());
  Result<std::shared_ptr<const ReferenceSet>> references = References();
  if (!references.has_value()) return http::ErrorResponse(references.error());
  const protocol::LaunchDecision decision = DecideLaunch(*req, *host, **references, clock_.Now());
  Result<std::string> body = protocol::EncodeLaunchDecision(decision);
  if (!body.has_value()) return http::ErrorResponse(body.error());

  std::string errors;
  for (const Finding& f : decision.reasons) {
    if (f.severity != Severity::kError) continue;
    errors += errors.empty() ? "" : ", ";
    errors += f.id;
  }
  logger_.Info(
      "launch decision for VM '" + decision.vm_name + "' (" + decision.vm_id + ") on host " +
      decision.host_id + ": " + std::string(protocol::LaunchVerdictName(decision.decision)) +
      " (host verdict " + decision.host_verdict + ", " + std::to_string(req->measurements.size()) +
      " measurement(s)" + (errors.empty() ? "" : "; " + errors) + "; asked by '" + who.name + "')");
  return http::JsonResponse(std::move(*body));
}

}  // namespace vouch::verifier
