#include "verifier/api/api.h"

#include <array>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/base/hash_alg.h"
#include "core/base/time_format.h"
#include "core/protocol/enrollment.h"
#include "core/protocol/evidence.h"
#include "core/protocol/finding_json.h"

namespace vouch::verifier {

namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::string QueryValue(std::string_view query, std::string_view key) {
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == key) {
      return std::string(pair.substr(eq + 1));
    }
    start = end + 1;
  }
  return "";
}

Result<size_t> ParseLimit(const std::string& text, size_t fallback) {
  if (text.empty()) return fallback;
  if (text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos) {
    return Status(Code::kInvalidArgument, "limit: expected 1-1000");
  }
  size_t n = std::stoul(text);
  if (n < 1 || n > 1000) return Status(Code::kInvalidArgument, "limit: expected 1-1000");
  return n;
}

Json HostJson(const HostRecord& h) {
  Json j;
  j["host_id"] = h.host_id;
  j["hostname"] = h.hostname;
  j["ak_name"] = HexEncode(h.ak_name);
  j["enrolled_at"] = FormatRfc3339Utc(h.enrolled_at);
  j["verdict"] = h.verdict;
  j["last_report_at"] =
      h.last_report_at ? Json(FormatRfc3339Utc(*h.last_report_at)) : Json(nullptr);
  Json facts = Json::parse(h.host_facts_json, nullptr, false);
  j["facts"] = facts.is_discarded() ? Json::object() : facts;
  return j;
}

}  // namespace

std::string ReportJson(const std::string& host_id, int64_t report_id,
                       const AppraisalResult& result) {
  Json j;
  j["report_id"] = report_id;
  j["host_id"] = host_id;
  j["verdict"] = VerdictName(result.verdict);
  j["trust"] = {{"platform", TrustName(result.trust.platform)},
                {"measured_launch", TrustName(result.trust.measured_launch)},
                {"hypervisor", TrustName(result.trust.hypervisor)},
                {"vms", TrustName(result.trust.vms)}};
  j["appraised_at"] = FormatRfc3339Utc(result.appraised_at);
  j["expires_at"] = FormatRfc3339Utc(result.expires_at);
  j["findings"] = Json::array();
  for (const Finding& f : result.findings) j["findings"].push_back(protocol::FindingToJson(f));
  j["matched_references"] = result.matched_references;
  return Dump(j);
}

VerifierApi::VerifierApi(Store& store, const ReferenceSet& references, ApiOptions options,
                         crypto::RandomSource& random, const Clock& clock, Logger& logger)
    : store_(store),
      references_(references),
      options_(std::move(options)),
      random_(random),
      clock_(clock),
      logger_(logger) {}

Result<std::string> VerifierApi::NewId(std::string_view prefix) {
  std::array<uint8_t, 12> bytes{};
  {
    std::lock_guard<std::mutex> lock(random_mu_);
    VOUCH_RETURN_IF_ERROR(random_.Fill(bytes));
  }
  return std::string(prefix) + HexEncode(bytes);
}

http::Response VerifierApi::Handle(const http::Request& request) {
  std::vector<std::string> p = Split(request.path);
  const std::string& m = request.method;
  if (p.empty() || p[0] != "v1") {
    return http::ErrorResponse(404, "not_found", "no such endpoint: " + request.path);
  }
  if (p.size() == 2 && p[1] == "healthz") {
    return m == "GET" ? http::JsonResponse(R"({"status":"ok"})") : http::MethodNotAllowed("GET");
  }
  if (p.size() == 2 && p[1] == "enrollments") {
    return m == "POST" ? Enroll(request) : http::MethodNotAllowed("POST");
  }
  if (p.size() == 4 && p[1] == "enrollments" && p[3] == "activate") {
    if (!protocol::IsValidId(p[2]))
      return http::ErrorResponse(404, "not_found", "no such enrollment");
    return m == "POST" ? Activate(p[2], request) : http::MethodNotAllowed("POST");
  }
  if (p.size() == 2 && p[1] == "hosts") {
    return m == "GET" ? ListHosts(request) : http::MethodNotAllowed("GET");
  }
  if (p.size() >= 3 && p[1] == "hosts") {
    if (!protocol::IsValidId(p[2])) return http::ErrorResponse(404, "not_found", "no such host");
    if (p.size() == 3) return m == "GET" ? GetHost(p[2]) : http::MethodNotAllowed("GET");
    if (p.size() == 4 && p[3] == "challenges") {
      return m == "POST" ? Challenge(p[2]) : http::MethodNotAllowed("POST");
    }
    if (p.size() == 4 && p[3] == "evidence") {
      return m == "POST" ? Evidence(p[2], request) : http::MethodNotAllowed("POST");
    }
    if (p.size() == 4 && p[3] == "reports") {
      return m == "GET" ? ListReports(p[2], request) : http::MethodNotAllowed("GET");
    }
    if (p.size() == 5 && p[3] == "reports" && p[4] == "latest") {
      return m == "GET" ? LatestReport(p[2]) : http::MethodNotAllowed("GET");
    }
  }
  return http::ErrorResponse(404, "not_found", "no such endpoint: " + request.path);
}

http::Response VerifierApi::Enroll(const http::Request& request) {
  Result<protocol::EnrollmentRequest> req = protocol::DecodeEnrollmentRequest(request.body);
  if (!req.has_value()) return http::ErrorResponse(req.error());
  Result<std::string> id = NewId("e-");
  if (!id.has_value()) return http::ErrorResponse(id.error());
  Result<StartedEnrollment> started = [&] {
    std::lock_guard<std::mutex> lock(random_mu_);
    return StartEnrollment(*req, *id, options_.registrar, random_, clock_.Now());
  }();
  if (!started.has_value()) {
    logger_.Warning("enrollment from " + request.remote_address +
                    " refused: " + started.error().ToString());
    return http::ErrorResponse(started.error());
  }
  if (Status s = store_.CreateEnrollment(started->record); !s.ok()) {
    return http::ErrorResponse(s);
  }
  Result<std::string> body = protocol::EncodeEnrollmentChallenge(started->challenge);
  if (!body.has_value()) return http::ErrorResponse(body.error());
  logger_.Info("enrollment " + *id + " started for AK " + HexEncode(started->record.ak_name));
  return http::JsonResponse(std::move(*body), 201);
}

http::Response VerifierApi::Activate(const std::string& enrollment_id,
                                     const http::Request& request) {
  Result<protocol::ActivationRequest> req = protocol::DecodeActivationRequest(request.body);
  if (!req.has_value()) return http::ErrorResponse(req.error());
  Result<EnrollmentRecord> record = store_.GetEnrollment(enrollment_id);
  if (!record.has_value()) return http::ErrorResponse(record.error());
  if (Status s = CompleteEnrollment(*record, *req, clock_.Now()); !s.ok()) {
    logger_.Warning("activation of enrollment " + enrollment_id + " refused: " + s.ToString());
    return http::ErrorResponse(s);
  }
  // An AK already enrolled stays with its host: a second enrollment of the
  // same AK is refused rather than silently creating a twin.
  Result<std::optional<HostRecord>> existing = store_.FindHostByAkName(record->ak_name);
  if (!existing.has_value()) return http::ErrorResponse(existing.error());
  if (existing->has_value()) {
    return http::ErrorResponse(Status(
        Code::kFailedPrecondition, "this AK is already enrolled as host " + (*existing)->host_id));
  }
  Result<std::string> host_id = NewId("h-");
  if (!host_id.has_value()) return http::ErrorResponse(host_id.error());
  HostRecord host;
  host.host_id = *host_id;
  Json facts = Json::parse(record->host_facts_json, nullptr, false);
  host.hostname =
      !facts.is_discarded() && facts.contains("hostname") && facts["hostname"].is_string()
          ? facts["hostname"].get<std::string>()
          : "";
  host.ek_public = record->ek_public;
  host.ek_certificate = record->ek_certificate;
  host.ak_public = record->ak_public;
  host.ak_name = record->ak_name;
  host.host_facts_json = record->host_facts_json;
  host.enrolled_at = clock_.Now();
  if (Status s = store_.ActivateEnrollment(enrollment_id, host, /*replace=*/false); !s.ok()) {
    return http::ErrorResponse(s);
  }
  logger_.Info("host " + host.host_id + " (" + host.hostname + ") enrolled, AK " +
               HexEncode(host.ak_name));
  Result<std::string> body = protocol::EncodeActivationResult({host.host_id});
  if (!body.has_value()) return http::ErrorResponse(body.error());
  return http::JsonResponse(std::move(*body));
}

http::Response VerifierApi::Challenge(const std::string& host_id) {
  Result<HostRecord> host = store_.GetHost(host_id);
  if (!host.has_value()) return http::ErrorResponse(host.error());
  NonceRecord nonce;
  nonce.nonce = Bytes(32);
  {
    std::lock_guard<std::mutex> lock(random_mu_);
    if (Status s = random_.Fill(nonce.nonce); !s.ok()) return http::ErrorResponse(s);
  }
  nonce.host_id = host_id;
  nonce.expires_at = clock_.Now() + options_.nonce_lifetime;
  if (Status s = store_.PutNonce(nonce); !s.ok()) return http::ErrorResponse(s);
  protocol::Challenge c;
  c.nonce = nonce.nonce;
  c.expires_at = FormatRfc3339Utc(nonce.expires_at);
  Result<std::string> body = protocol::EncodeChallenge(c);
  if (!body.has_value()) return http::ErrorResponse(body.error());
  return http::JsonResponse(std::move(*body), 201);
}

http::Response VerifierApi::Evidence(const std::string& host_id, const http::Request& request) {
  Result<protocol::Evidence> evidence = protocol::DecodeEvidence(request.body);
  if (!evidence.has_value()) return http::ErrorResponse(evidence.error());
  Result<HostRecord> host = store_.GetHost(host_id);
  if (!host.has_value()) return http::ErrorResponse(host.error());
  std::optional<IssuedNonce> issued;
  Result<NonceRecord> taken = store_.TakeNonce(host_id, evidence->nonce);
  if (taken.has_value()) {
    issued = IssuedNonce{taken->nonce, taken->expires_at, taken->used};
  } else if (taken.error().code() != Code::kNotFound) {
    return http::ErrorResponse(taken.error());
  }
  EnrolledHost enrolled;
  enrolled.host_id = host_id;
  enrolled.ak_public = host->ak_public;
  enrolled.last_reset_count = host->last_reset_count;
  enrolled.last_restart_count = host->last_restart_count;
  Result<AppraisalResult> result =
      AppraiseEvidence(*evidence, enrolled, issued, references_, options_.policy, clock_.Now());
  if (!result.has_value()) return http::ErrorResponse(result.error());
  ReportRecord report;
  report.host_id = host_id;
  report.appraised_at = result->appraised_at;
  report.verdict = std::string(VerdictName(result->verdict));
  report.reset_count = result->reset_count;
  report.restart_count = result->restart_count;
  report.report_json = ReportJson(host_id, 0, *result);
  Result<int64_t> id = store_.AddReport(report);
  if (!id.has_value()) return http::ErrorResponse(id.error());
  logger_.Info("host " + host_id + ": " + report.verdict + " (" +
               std::to_string(result->findings.size()) + " findings, report " +
               std::to_string(*id) + ")");
  return http::JsonResponse(ReportJson(host_id, *id, *result));
}

http::Response VerifierApi::ListHosts(const http::Request& request) {
  HostQuery query;
  Result<size_t> limit = ParseLimit(QueryValue(request.query, "limit"), 100);
  if (!limit.has_value()) return http::ErrorResponse(limit.error(), "limit");
  query.limit = *limit;
  std::string verdict = QueryValue(request.query, "verdict");
  if (!verdict.empty()) {
    if (verdict != "trusted" && verdict != "untrusted" && verdict != "unknown") {
      return http::ErrorResponse(
          Status(Code::kInvalidArgument, "verdict: expected trusted, untrusted or unknown"),
          "verdict");
    }
    query.verdict = verdict;
  }
  query.after_host_id = QueryValue(request.query, "after");
  if (!query.after_host_id.empty() && !protocol::IsValidId(query.after_host_id)) {
    return http::ErrorResponse(Status(Code::kInvalidArgument, "after: not a host id"), "after");
  }
  Result<std::vector<HostRecord>> hosts = store_.ListHosts(query);
  if (!hosts.has_value()) return http::ErrorResponse(hosts.error());
  Json j;
  j["hosts"] = Json::array();
  for (const HostRecord& h : *hosts) j["hosts"].push_back(HostJson(h));
  j["next_after"] = hosts->size() == query.limit ? Json(hosts->back().host_id) : Json(nullptr);
  return http::JsonResponse(Dump(j));
}

http::Response VerifierApi::GetHost(const std::string& host_id) {
  Result<HostRecord> host = store_.GetHost(host_id);
  if (!host.has_value()) return http::ErrorResponse(host.error());
  return http::JsonResponse(Dump(HostJson(*host)));
}

http::Response VerifierApi::LatestReport(const std::string& host_id) {
  Result<std::optional<ReportRecord>> report = store_.LatestReport(host_id);
  if (!report.has_value()) return http::ErrorResponse(report.error());
  if (!report->has_value()) {
    return http::ErrorResponse(Status(Code::kNotFound, "host " + host_id + " has no report yet"));
  }
  Json j = Json::parse((*report)->report_json, nullptr, false);
  if (j.is_discarded()) return http::ErrorResponse(Status(Code::kDataLoss, "stored report"));
  j["report_id"] = (*report)->id;
  return http::JsonResponse(Dump(j));
}

http::Response VerifierApi::ListReports(const std::string& host_id, const http::Request& request) {
  Result<size_t> limit = ParseLimit(QueryValue(request.query, "limit"), 20);
  if (!limit.has_value()) return http::ErrorResponse(limit.error(), "limit");
  std::string before_text = QueryValue(request.query, "before");
  int64_t before = 0;
  if (!before_text.empty()) {
    if (before_text.size() > 18 ||
        before_text.find_first_not_of("0123456789") != std::string::npos) {
      return http::ErrorResponse(Status(Code::kInvalidArgument, "before: not a report id"),
                                 "before");
    }
    before = std::stoll(before_text);
  }
  Result<std::vector<ReportRecord>> reports = store_.ListReports(host_id, *limit, before);
  if (!reports.has_value()) return http::ErrorResponse(reports.error());
  Json j;
  j["reports"] = Json::array();
  for (const ReportRecord& r : *reports) {
    Json one = Json::parse(r.report_json, nullptr, false);
    if (one.is_discarded()) one = Json::object();
    one["report_id"] = r.id;
    j["reports"].push_back(std::move(one));
  }
  return http::JsonResponse(Dump(j));
}

}  // namespace vouch::verifier
