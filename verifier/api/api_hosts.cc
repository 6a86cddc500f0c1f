// VerifierApi: hosts, reports, the fleet summary, metrics and the admin
// host routes (agent URL, identity-change approval).
#include <string>
#include <utility>
#include <vector>

#include "core/base/net_address.h"
#include "core/base/time_format.h"
#include "core/protocol/enrollment.h"
#include "verifier/api/api.h"
#include "verifier/api/api_internal.h"

namespace vouch::verifier {

using api_internal::Dump;
using api_internal::Json;
using api_internal::QueryValue;

namespace {

bool IsVerdict(const std::string& v) {
  return v == "trusted" || v == "untrusted" || v == "unknown";
}

// Label keys and values as host facts allow them (printable, bounded).
bool IsLabelText(const std::string& s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

http::Response VerifierApi::ListHosts(const http::Request& request) {
  HostQuery query;
  Result<int64_t> limit =
      api_internal::ParseIntParam(QueryValue(request.query, "limit"), "limit", 1, 1000, 100);
  if (!limit.has_value()) return http::ErrorResponse(limit.error(), "limit");
  query.limit = static_cast<size_t>(*limit);
  Result<int64_t> offset =
      api_internal::ParseIntParam(QueryValue(request.query, "offset"), "offset", 0, 1000000000, 0);
  if (!offset.has_value()) return http::ErrorResponse(offset.error(), "offset");
  query.offset = static_cast<size_t>(*offset);
  std::string verdict = QueryValue(request.query, "verdict");
  if (!verdict.empty()) {
    if (!IsVerdict(verdict)) {
      return http::ErrorResponse(
          Status(Code::kInvalidArgument, "verdict: expected trusted, untrusted or unknown"),
          "verdict");
    }
    query.verdict = verdict;
  }
  std::string hypervisor = QueryValue(request.query, "hypervisor");
  if (!hypervisor.empty()) {
    if (!IsLabelText(hypervisor)) {
      return http::ErrorResponse(Status(Code::kInvalidArgument, "hypervisor: bad value"),
                                 "hypervisor");
    }
    query.hypervisor = hypervisor;
  }
  for (const std::string& label : api_internal::QueryValues(request.query, "label")) {
    size_t colon = label.find(':');
    if (colon == std::string::npos || !IsLabelText(label.substr(0, colon)) ||
        !IsLabelText(label.substr(colon + 1))) {
      return http::ErrorResponse(
          Status(Code::kInvalidArgument, "label: expected KEY:VALUE, got '" + label + "'"),
          "label");
    }
    query.labels.emplace_back(label.substr(0, colon), label.substr(colon + 1));
  }
  std::string sort = QueryValue(request.query, "sort");
  if (sort.empty() || sort == "host_id") {
    query.sort = HostSort::kHostId;
  } else if (sort == "hostname") {
    query.sort = HostSort::kHostname;
  } else if (sort == "last_report_at") {
    query.sort = HostSort::kLastReportAt;
  } else if (sort == "verdict") {
    query.sort = HostSort::kVerdict;
  } else {
    return http::ErrorResponse(
        Status(Code::kInvalidArgument,
               "sort: expected host_id, hostname, last_report_at or verdict"),
        "sort");
  }
  std::string order = QueryValue(request.query, "order");
  if (!order.empty() && order != "asc" && order != "desc") {
    return http::ErrorResponse(Status(Code::kInvalidArgument, "order: expected asc or desc"),
                               "order");
  }
  query.descending = order == "desc";
  query.after_host_id = QueryValue(request.query, "after");
  if (!query.after_host_id.empty()) {
    if (!protocol::IsValidId(query.after_host_id)) {
      return http::ErrorResponse(Status(Code::kInvalidArgument, "after: not a host id"), "after");
    }
    if (query.sort != HostSort::kHostId || query.descending || query.offset != 0) {
      return http::ErrorResponse(
          Status(Code::kInvalidArgument,
                 "after: only with the default order (sort=host_id ascending, no offset)"),
          "after");
    }
  }
  Result<std::vector<HostRecord>> hosts = store_.ListHosts(query);
  if (!hosts.has_value()) return http::ErrorResponse(Counted(hosts.error()));
  Json j;
  j["hosts"] = Json::array();
  for (const HostRecord& h : *hosts) j["hosts"].push_back(api_internal::HostJson(h));
  const bool full_page = hosts->size() == query.limit;
  const bool keyset = query.sort == HostSort::kHostId && !query.descending && query.offset == 0;
  j["next_after"] = full_page && keyset ? Json(hosts->back().host_id) : Json(nullptr);
  j["next_offset"] = full_page && !keyset ? Json(query.offset + query.limit) : Json(nullptr);
  return http::JsonResponse(Dump(j));
}

http::Response VerifierApi::GetHost(const std::string& host_id) {
  Result<HostRecord> host = store_.GetHost(host_id);
  if (!host.has_value()) return http::ErrorResponse(Counted(host.error()));
  return http::JsonResponse(Dump(api_internal::HostJson(*host)));
}

http::Response VerifierApi::LatestReport(const std::string& host_id) {
  Result<std::optional<ReportRecord>> report = store_.LatestReport(host_id);
  if (!report.has_value()) return http::ErrorResponse(Counted(report.error()));
  if (!report->has_value()) {
    return http::ErrorResponse(Status(Code::kNotFound, "host " + host_id + " has no report yet"));
  }
  Json j = Json::parse((*report)->report_json, nullptr, false);
  if (j.is_discarded()) return http::ErrorResponse(Status(Code::kDataLoss, "stored report"));
  j["report_id"] = (*report)->id;
  return http::JsonResponse(Dump(j));
}

http::Response VerifierApi::ListReports(const std::string& host_id, const http::Request& request) {
  Result<int64_t> limit =
      api_internal::ParseIntParam(QueryValue(request.query, "limit"), "limit", 1, 1000, 20);
  if (!limit.has_value()) return http::ErrorResponse(limit.error(), "limit");
  Result<int64_t> before = api_internal::ParseIntParam(QueryValue(request.query, "before"),
                                                       "before", 0, 999999999999999999, 0);
  if (!before.has_value()) return http::ErrorResponse(before.error(), "before");
  Result<std::vector<ReportRecord>> reports =
      store_.ListReports(host_id, static_cast<size_t>(*limit), *before);
  if (!reports.has_value()) return http::ErrorResponse(Counted(reports.error()));
  Json j;
  j["reports"] = Json::array();
  for (const ReportRecord& r : *reports) {
    Json one = Json::parse(r.report_json, nullptr, false);
    if (one.is_discarded()) one = Json::object();
    one["report_id"] = r.id;
    j["reports"].push_back(std::move(one));
  }
  j["next_before"] =
      reports->size() == static_cast<size_t>(*limit) ? Json(reports->back().id) : Json(nullptr);
  return http::JsonResponse(Dump(j));
}

http::Response VerifierApi::Summary() {
  const auto now = clock_.Now();
  Result<FleetSummary> summary = store_.Summarize(now - options_.stale_after);
  if (!summary.has_value()) return http::ErrorResponse(Counted(summary.error()));
  Json j;
  j["generated_at"] = FormatRfc3339Utc(now);
  j["hosts"] = summary->hosts;
  Json by_verdict = Json::object();
  for (const char* v : {"trusted", "untrusted", "unknown"}) {
    auto it = summary->by_verdict.find(v);
    by_verdict[v] = it == summary->by_verdict.end() ? 0 : it->second;
  }
  j["by_verdict"] = by_verdict;
  Json by_hypervisor = Json::object();
  for (const auto& [name, count] : summary->by_hypervisor) by_hypervisor[name] = count;
  j["by_hypervisor"] = by_hypervisor;
  j["stale"] = summary->stale;
  j["stale_after_seconds"] = options_.stale_after.count();
  j["identity_changes"] = summary->identity_changes;
  return http::JsonResponse(Dump(j));
}

http::Response VerifierApi::MetricsText() {
  if (metrics_ == nullptr) {
    return http::ErrorResponse(404, "not_found", "metrics are not enabled on this verifier");
  }
  Result<FleetSummary> summary = store_.Summarize(clock_.Now() - options_.stale_after);
  if (!summary.has_value()) (void)Counted(summary.error());
  http::Response r;
  r.status = 200;
  r.headers["content-type"] = "text/plain; version=0.0.4; charset=utf-8";
  r.body = metrics_->RenderPrometheus(summary.has_value() ? &*summary : nullptr);
  return r;
}

http::Response VerifierApi::SetAgentUrl(const std::string& host_id, const http::Request& request,
                                        const Principal& who) {
  Result<Json> body = api_internal::ParseObjectBody(request.body);
  if (!body.has_value()) return http::ErrorResponse(body.error());
  if (body->size() != 1 || !body->contains("url") || !(*body)["url"].is_string()) {
    return http::ErrorResponse(
        Status(Code::kInvalidArgument, "body: expected {\"url\": \"https://host:port\"}"), "url");
  }
  std::string url = (*body)["url"].get<std::string>();
  if (!url.empty()) {
    if (Status s = CheckServiceUrl(url, "url"); !s.ok()) return http::ErrorResponse(s, "url");
    while (!url.empty() && url.back() == '/') url.pop_back();
  }
  if (Status s = Counted(store_.SetAgentUrl(host_id, url)); !s.ok()) return http::ErrorResponse(s);
  logger_.Info("host " + host_id + ": agent URL " + (url.empty() ? "cleared" : "set to " + url) +
               " by " + who.name);
  return GetHost(host_id);
}

http::Response VerifierApi::ApproveIdentity(const std::string& host_id, const Principal& who) {
  Result<HostRecord> host = store_.GetHost(host_id);
  if (!host.has_value()) return http::ErrorResponse(Counted(host.error()));
  if (!host->identity_change.has_value()) {
    return http::ErrorResponse(Status(Code::kFailedPrecondition,
                                      "host " + host_id + " has no identity change to approve"));
  }
  Result<EnrollmentRecord> enrollment = store_.GetEnrollment(host->identity_change->enrollment_id);
  if (!enrollment.has_value()) return http::ErrorResponse(Counted(enrollment.error()));
  HostRecord updated = *host;
  updated.ek_public = enrollment->ek_public;
  updated.ek_certificate = enrollment->ek_certificate;
  updated.ak_public = enrollment->ak_public;
  updated.ak_name = enrollment->ak_name;
  updated.host_facts_json = enrollment->host_facts_json;
  updated.enrolled_at = clock_.Now();
  updated.last_reset_count.reset();
  updated.last_restart_count.reset();
  updated.verdict = "unknown";
  updated.identity_change.reset();
  if (Status s = Counted(store_.ActivateEnrollment(enrollment->id, updated, /*replace=*/true));
      !s.ok()) {
    return http::ErrorResponse(s);
  }
  logger_.Warning("host " + host_id + ": new AK " + HexEncode(updated.ak_name) + " approved by " +
                  who.name);
  return GetHost(host_id);
}

}  // namespace vouch::verifier
