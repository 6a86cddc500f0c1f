// VerifierApi: routing, authorization, enrollment and the evidence
// submission path. Hosts/summary/metrics handlers are in api_hosts.cc,
// reference sets in api_references.cc.
#include "verifier/api/api.h"

#include <array>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/base/hash_alg.h"
#include "core/base/time_format.h"
#include "core/protocol/enrollment.h"
#include "core/protocol/evidence.h"
#include "core/protocol/finding_json.h"
#include "core/protocol/vm_log.h"
#include "verifier/api/api_internal.h"

namespace vouch::verifier {

using api_internal::Dump;
using api_internal::Json;

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
  if (!result.vms.empty()) {
    // Which VM components the quote vouches for (their names and paths are
    // the launcher's claims; the digests are bound to the PCR).
    Json vms = Json::array();
    for (const VerifiedVmComponent& vm : result.vms) {
      const protocol::VmLogRecord& r = vm.record;
      Json digests = Json::object();
      for (const auto& [bank, digest] : r.digests) {
        digests[std::string(HashAlgName(bank))] = HexEncode(digest);
      }
      vms.push_back({{"seq", r.seq},
                     {"vm", {{"id", r.vm_id}, {"name", r.vm_name}}},
                     {"component", protocol::VmComponentName(r.component)},
                     {"path", r.path},
                     {"size", r.size},
                     {"pcr", r.pcr},
                     {"digests", std::move(digests)},
                     {"reference", vm.reference ? Json(*vm.reference) : Json(nullptr)}});
    }
    j["vms"] = std::move(vms);
  }
  return Dump(j);
}

VerifierApi::VerifierApi(ApiDeps deps, ApiOptions options)
    : store_(deps.store),
      random_(deps.random),
      clock_(deps.clock),
      logger_(deps.logger),
      tokens_(deps.tokens),
      metrics_(deps.metrics),
      webhooks_(deps.webhooks),
      options_(std::move(options)) {}

Result<std::string> VerifierApi::NewId(std::string_view prefix) {
  std::array<uint8_t, 12> bytes{};
  {
    std::lock_guard<std::mutex> lock(random_mu_);
    VOUCH_RETURN_IF_ERROR(random_.Fill(bytes));
  }
  return std::string(prefix) + HexEncode(bytes);
}

Status VerifierApi::Counted(Status status) {
  if (metrics_ != nullptr &&
      (status.code() == Code::kUnavailable || status.code() == Code::kDataLoss ||
       status.code() == Code::kInternal)) {
    metrics_->RecordStoreError();
  }
  return status;
}

std::variant<Principal, http::Response> VerifierApi::Authorize(const http::Request& request,
                                                               Role role) {
  if (tokens_ == nullptr || tokens_->empty()) {
    http::Response r = http::ErrorResponse(
        Status(Code::kUnauthenticated,
               "no API tokens are configured on this verifier (token.NAME in its configuration)"));
    r.headers["www-authenticate"] = "Bearer";
    return r;
  }
  std::optional<Principal> who = tokens_->Authenticate(request.Header("authorization"));
  if (!who.has_value()) {
    http::Response r = http::ErrorResponse(
        Status(Code::kUnauthenticated, "a valid bearer token is required (Authorization: Bearer)"));
    r.headers["www-authenticate"] = "Bearer";
    return r;
  }
  if (role == Role::kAdmin && who->role != Role::kAdmin) {
    logger_.Warning("token '" + who->name + "' (reader) refused on " + request.method + " " +
                    request.path);
    return http::ErrorResponse(
        Status(Code::kPermissionDenied, "this route needs a token with the admin role"));
  }
  return *who;
}

http::Response VerifierApi::Handle(const http::Request& request) {
  std::vector<std::string> p = api_internal::Split(request.path);
  const bool evidence_route =
      p.size() == 4 && p[0] == "v1" && p[1] == "hosts" && p[3] == "evidence";
  const size_t limit = evidence_route ? options_.max_evidence_bytes : options_.max_request_bytes;
  if (request.body.size() > limit) {
    if (evidence_route && metrics_ != nullptr) {
      metrics_->RecordAttestation("rejected", std::chrono::nanoseconds(0));
    }
    return http::ErrorResponse(413, "payload_too_large",
                               "request body of " + std::to_string(request.body.size()) +
                                   " bytes exceeds this route's limit of " + std::to_string(limit) +
                                   " bytes");
  }
  return Route(p, request);
}

http::Response VerifierApi::Route(const std::vector<std::string>& p, const http::Request& request) {
  const std::string& m = request.method;
  if (p.empty() || p[0] != "v1") {
    return http::ErrorResponse(404, "not_found", "no such endpoint: " + request.path);
  }
  // Agent routes and health: no token (the enrolled AK authenticates).
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
  if (p.size() == 4 && p[1] == "hosts" && (p[3] == "challenges" || p[3] == "evidence")) {
    if (!protocol::IsValidId(p[2])) return http::ErrorResponse(404, "not_found", "no such host");
    if (m != "POST") return http::MethodNotAllowed("POST");
    return p[3] == "challenges" ? Challenge(p[2]) : Evidence(p[2], request);
  }
  if (p.size() == 2 && p[1] == "metrics") {
    if (m != "GET") return http::MethodNotAllowed("GET");
    if (!options_.metrics_public) {
      auto who = Authorize(request, Role::kReader);
      if (auto* denied = std::get_if<http::Response>(&who)) return std::move(*denied);
    }
    return MetricsText();
  }

  // The launcher's gate asks with a reader token (a decision changes nothing).
  if (p.size() == 3 && p[1] == "decisions" && p[2] == "launch") {
    auto who = Authorize(request, Role::kReader);
    if (auto* denied = std::get_if<http::Response>(&who)) return std::move(*denied);
    if (m != "POST") return http::MethodNotAllowed("POST");
    return LaunchDecisionRoute(request, std::get<Principal>(who));
  }

  // Dashboard and operator routes: reader for GET, admin for changes.
  const bool is_read = m == "GET";
  auto authorized = Authorize(request, is_read ? Role::kReader : Role::kAdmin);
  if (auto* denied = std::get_if<http::Response>(&authorized)) return std::move(*denied);
  const Principal& who = std::get<Principal>(authorized);

  if (p.size() == 2 && p[1] == "summary") {
    return is_read ? Summary() : http::MethodNotAllowed("GET");
  }
  if (p.size() == 2 && p[1] == "hosts") {
    return is_read ? ListHosts(request) : http::MethodNotAllowed("GET");
  }
  if (p.size() >= 3 && p[1] == "hosts") {
    if (!protocol::IsValidId(p[2])) return http::ErrorResponse(404, "not_found", "no such host");
    if (p.size() == 3) return is_read ? GetHost(p[2]) : http::MethodNotAllowed("GET");
    if (p.size() == 4 && p[3] == "reports") {
      return is_read ? ListReports(p[2], request) : http::MethodNotAllowed("GET");
    }
    if (p.size() == 5 && p[3] == "reports" && p[4] == "latest") {
      return is_read ? LatestReport(p[2]) : http::MethodNotAllowed("GET");
    }
    if (p.size() == 4 && p[3] == "agent-url") {
      return m == "PUT" ? SetAgentUrl(p[2], request, who) : http::MethodNotAllowed("PUT");
    }
    if (p.size() == 5 && p[3] == "identity" && p[4] == "approve") {
      return m == "POST" ? ApproveIdentity(p[2], who) : http::MethodNotAllowed("POST");
    }
  }
  if (p.size() >= 2 && p[1] == "reference-sets") return ReferenceRoutes(p, request, who);
  return http::ErrorResponse(404, "not_found", "no such endpoint: " + request.path);
}

http::Response VerifierApi::Enroll(const http::Request& request) {
  Result<protocol::EnrollmentRequest> req = protocol::DecodeEnrollmentRequest(request.body);
  if (!req.has_value()) {
    return http::ErrorResponse(req.error(), protocol::DecodeErrorField(req.error()));
  }
  Result<std::string> id = NewId("e-");
  if (!id.has_value()) return http::ErrorResponse(id.error());
  Result<StartedEnrollment> started = [&] {
    std::lock_guard<std::mutex> lock(random_mu_);
    return StartEnrollment(*req, *id, options_.registrar, random_, clock_.Now());
  }();
  if (!started.has_value()) {
    if (metrics_ != nullptr) metrics_->RecordEnrollment("refused");
    logger_.Warning("enrollment from " + request.remote_address +
                    " refused: " + started.error().ToString());
    return http::ErrorResponse(started.error());
  }
  if (Status s = Counted(store_.CreateEnrollment(started->record)); !s.ok()) {
    return http::ErrorResponse(s);
  }
  Result<std::string> body = protocol::EncodeEnrollmentChallenge(started->challenge);
  if (!body.has_value()) return http::ErrorResponse(body.error());
  if (metrics_ != nullptr) metrics_->RecordEnrollment("started");
  logger_.Info("enrollment " + *id + " started for AK " + HexEncode(started->record.ak_name));
  return http::JsonResponse(std::move(*body), 201);
}

http::Response VerifierApi::Activate(const std::string& enrollment_id,
                                     const http::Request& request) {
  Result<protocol::ActivationRequest> req = protocol::DecodeActivationRequest(request.body);
  if (!req.has_value()) {
    return http::ErrorResponse(req.error(), protocol::DecodeErrorField(req.error()));
  }
  Result<EnrollmentRecord> record = store_.GetEnrollment(enrollment_id);
  if (!record.has_value()) return http::ErrorResponse(Counted(record.error()));
  if (Status s = CompleteEnrollment(*record, *req, clock_.Now()); !s.ok()) {
    if (metrics_ != nullptr) metrics_->RecordEnrollment("refused");
    logger_.Warning("activation of enrollment " + enrollment_id + " refused: " + s.ToString());
    return http::ErrorResponse(s);
  }
  // The same AK again: if it is the same EK too, the host lost its
  // enrollment state and gets its host id back (nothing changes). An AK is
  // never enrolled twice.
  Result<std::optional<HostRecord>> by_ak = store_.FindHostByAkName(record->ak_name);
  if (!by_ak.has_value()) return http::ErrorResponse(Counted(by_ak.error()));
  if (by_ak->has_value()) {
    const HostRecord& existing = **by_ak;
    if (existing.ek_public != record->ek_public) {
      return http::ErrorResponse(Status(Code::kFailedPrecondition,
                                        "this AK is already enrolled as host " + existing.host_id));
    }
    logger_.Info("enrollment " + enrollment_id + ": keys unchanged, host " + existing.host_id +
                 " keeps its enrollment");
    Result<std::string> body = protocol::EncodeActivationResult({existing.host_id});
    if (!body.has_value()) return http::ErrorResponse(body.error());
    return http::JsonResponse(std::move(*body));
  }
  // Keys that differ from an enrolled host's: flagged for an admin, never
  // applied silently.
  auto flag = [&](const HostRecord& existing, const std::string& reason,
                  const std::string& what) -> http::Response {
    IdentityChange change{enrollment_id, reason, clock_.Now()};
    if (Status s = Counted(store_.FlagIdentityChange(existing.host_id, change)); !s.ok()) {
      return http::ErrorResponse(s);
    }
    logger_.Warning("host " + existing.host_id + " (" + existing.hostname + "): enrollment " +
                    enrollment_id + " proved " + what + " (AK " + HexEncode(record->ak_name) +
                    "); flagged until an admin approves");
    if (webhooks_ != nullptr) {
      WebhookEvent event;
      event.type = "host.identity_changed";
      event.host_id = existing.host_id;
      event.hostname = existing.hostname;
      event.previous_verdict = existing.verdict;
      event.verdict = "untrusted";
      event.reason = reason;
      event.at = change.detected_at;
      webhooks_->Notify(event);
    }
    return http::ErrorResponse(
        Status(Code::kFailedPrecondition,
               "host " + existing.host_id + " is enrolled with " +
                   (reason == "ak_changed" ? "this EK and another AK" : "another EK") +
                   "; the new keys wait for an admin (POST /v1/hosts/" + existing.host_id +
                   "/identity/approve)"));
  };
  // The same EK with another AK: new agent state, or someone else using the
  // host's TPM.
  Result<std::optional<HostRecord>> by_ek = store_.FindHostByEkPublic(record->ek_public);
  if (!by_ek.has_value()) return http::ErrorResponse(Counted(by_ek.error()));
  if (by_ek->has_value()) return flag(**by_ek, "ak_changed", "a new AK for its EK");
  // Another EK for a machine id already enrolled: a replaced TPM or
  // motherboard - or a machine claiming to be that host (the machine id is
  // a claim; see SubmitEvidence for why that cannot make the host
  // untrusted).
  Json facts = Json::parse(record->host_facts_json, nullptr, false);
  const std::string machine_id =
      !facts.is_discarded() && facts.contains("machine_id") && facts["machine_id"].is_string()
          ? facts["machine_id"].get<std::string>()
          : "";
  Result<std::optional<HostRecord>> by_machine = store_.FindHostByMachineId(machine_id);
  if (!by_machine.has_value()) return http::ErrorResponse(Counted(by_machine.error()));
  if (by_machine->has_value()) {
    return flag(**by_machine, "ek_changed", "another EK for its machine id " + machine_id);
  }
  Result<std::string> host_id = NewId("h-");
  if (!host_id.has_value()) return http::ErrorResponse(host_id.error());
  HostRecord host;
  host.host_id = *host_id;
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
  if (Status s = Counted(store_.ActivateEnrollment(enrollment_id, host, /*replace=*/false));
      !s.ok()) {
    return http::ErrorResponse(s);
  }
  if (metrics_ != nullptr) metrics_->RecordEnrollment("activated");
  logger_.Info("host " + host.host_id + " (" + host.hostname + ") enrolled, AK " +
               HexEncode(host.ak_name));
  Result<std::string> body = protocol::EncodeActivationResult({host.host_id});
  if (!body.has_value()) return http::ErrorResponse(body.error());
  return http::JsonResponse(std::move(*body));
}

Result<Bytes> VerifierApi::IssueNonce(const std::string& host_id) {
  Result<HostRecord> host = store_.GetHost(host_id);
  if (!host.has_value()) return Counted(host.error());
  NonceRecord nonce;
  nonce.nonce = Bytes(32);
  {
    std::lock_guard<std::mutex> lock(random_mu_);
    VOUCH_RETURN_IF_ERROR(random_.Fill(nonce.nonce));
  }
  nonce.host_id = host_id;
  nonce.expires_at = clock_.Now() + options_.nonce_lifetime;
  VOUCH_RETURN_IF_ERROR(Counted(store_.PutNonce(nonce)));
  return nonce.nonce;
}

http::Response VerifierApi::Challenge(const std::string& host_id) {
  Result<Bytes> nonce = IssueNonce(host_id);
  if (!nonce.has_value()) return http::ErrorResponse(nonce.error());
  protocol::Challenge c;
  c.nonce = *nonce;
  c.expires_at = FormatRfc3339Utc(clock_.Now() + options_.nonce_lifetime);
  Result<std::string> body = protocol::EncodeChallenge(c);
  if (!body.has_value()) return http::ErrorResponse(body.error());
  return http::JsonResponse(std::move(*body), 201);
}

Result<std::shared_ptr<const ReferenceSet>> VerifierApi::References() {
  Result<int64_t> generation = store_.ReferenceGeneration();
  if (!generation.has_value()) return Counted(generation.error());
  std::lock_guard<std::mutex> lock(references_mu_);
  if (references_ != nullptr && *generation == references_generation_) return references_;
  Result<std::vector<ReferenceSetRecord>> sets = store_.ListReferenceSets(true);
  if (!sets.has_value()) return Counted(sets.error());
  auto compiled = std::make_shared<ReferenceSet>();
  const TimePoint now = clock_.Now();
  for (const ReferenceSetRecord& record : *sets) {
    Result<policy::ReferenceSetDocument> doc = policy::DecodeReferenceSet(record.document_json);
    if (!doc.has_value()) {
      return Status(Code::kDataLoss, "stored reference set '" + record.name + "' version " +
                                         std::to_string(record.version) +
                                         " does not decode: " + doc.error().message());
    }
    for (policy::ReferenceValue& value : doc->entries) {
      // An entry past its valid_until no longer vouches for anything.
      if (value.valid_until.has_value() && *value.valid_until <= now) continue;
      compiled->Add(std::move(value));
    }
  }
  references_ = std::move(compiled);
  references_generation_ = *generation;
  return references_;
}

std::shared_ptr<const tpm::TpmPublic> VerifierApi::CachedAk(const Bytes& ak_public) {
  {
    std::lock_guard<std::mutex> lock(ak_cache_mu_);
    auto it = ak_cache_.find(ak_public);
    if (it != ak_cache_.end()) return it->second;
  }
  Result<tpm::TpmPublic> decoded = tpm::TpmPublic::DecodeTpm2b(ak_public);
  // Undecodable: the appraisal decodes again and reports it.
  if (!decoded.has_value()) return nullptr;
  auto ak = std::make_shared<const tpm::TpmPublic>(std::move(*decoded));
  std::lock_guard<std::mutex> lock(ak_cache_mu_);
  if (ak_cache_.size() >= kMaxCachedAks) ak_cache_.clear();
  ak_cache_.emplace(ak_public, ak);
  return ak;
}

Result<Submission> VerifierApi::SubmitEvidence(const std::string& host_id,
                                               std::string_view evidence_json) {
  Result<protocol::Evidence> evidence = protocol::DecodeEvidence(evidence_json);
  if (!evidence.has_value()) return evidence.error();
  Result<HostRecord> host = store_.GetHost(host_id);
  if (!host.has_value()) return Counted(host.error());
  std::optional<IssuedNonce> issued;
  Result<NonceRecord> taken = store_.TakeNonce(host_id, evidence->nonce);
  if (taken.has_value()) {
    issued = IssuedNonce{taken->nonce, taken->expires_at, taken->used};
  } else if (taken.error().code() != Code::kNotFound) {
    return Counted(taken.error());
  }
  VOUCH_ASSIGN_OR_RETURN(std::shared_ptr<const ReferenceSet> references, References());
  EnrolledHost enrolled;
  enrolled.host_id = host_id;
  enrolled.ak_public = host->ak_public;
  enrolled.ak_decoded = CachedAk(host->ak_public);
  enrolled.last_reset_count = host->last_reset_count;
  enrolled.last_restart_count = host->last_restart_count;
  VOUCH_ASSIGN_OR_RETURN(
      AppraisalResult result,
      AppraiseEvidence(*evidence, enrolled, issued, *references, options_.policy, clock_.Now()));
  if (host->identity_change.has_value()) {
    // A new AK for this host's EK was proved: until an admin decides, this
    // host is not trusted whatever its evidence shows (the TPM is the
    // host's; someone made a second AK in it). Another EK claiming this
    // host's machine id is only a warning: the claim is unverified, and an
    // error would let any enrolled machine make another host untrusted.
    const bool ak_changed = host->identity_change->reason == "ak_changed";
    Finding f;
    f.id = "host.identity_changed";
    f.severity = ak_changed ? Severity::kError : Severity::kWarning;
    f.message = std::string(ak_changed ? "a later enrollment proved another AK for this host's EK"
                                       : "a later enrollment with another EK claims this "
                                         "host's machine id") +
                " (" + host->identity_change->reason + ", enrollment " +
                host->identity_change->enrollment_id + "); an admin must decide";
    result.findings.push_back(std::move(f));
    if (ak_changed) {
      result.verdict = Verdict::kUntrusted;
      result.expires_at = result.appraised_at;
    }
  }
  ReportRecord report;
  report.host_id = host_id;
  report.appraised_at = result.appraised_at;
  report.verdict = std::string(VerdictName(result.verdict));
  report.reset_count = result.reset_count;
  report.restart_count = result.restart_count;
  report.report_json = ReportJson(host_id, 0, result);
  if (result.reset_count.has_value()) {
    // The quote verified with the enrolled AK over a fresh nonce: this is
    // what the host's TPM said now. Kept for reference import and dry-runs;
    // its host facts replace the enrollment-time ones.
    report.evidence_json = std::string(evidence_json);
    Result<std::string> facts = protocol::EncodeHostFactsJson(evidence->host);
    if (facts.has_value()) report.host_facts_json = std::move(*facts);
  }
  Result<int64_t> id = store_.AddReport(report);
  if (!id.has_value()) return Counted(id.error());
  Submission submission;
  submission.report_id = *id;
  submission.report_json = ReportJson(host_id, *id, result);
  submission.result = std::move(result);
  logger_.Info("host " + host_id + ": " + report.verdict + " (" +
               std::to_string(submission.result.findings.size()) + " findings, report " +
               std::to_string(*id) + ")");
  NotifyVerdictChange(*host, submission);
  return submission;
}

void VerifierApi::NotifyVerdictChange(const HostRecord& before, const Submission& submission) {
  const std::string verdict(VerdictName(submission.result.verdict));
  if (webhooks_ == nullptr || verdict == before.verdict) return;
  WebhookEvent event;
  event.type = "host.verdict_changed";
  event.host_id = before.host_id;
  event.hostname = before.hostname;
  event.previous_verdict = before.verdict;
  event.verdict = verdict;
  event.report_id = submission.report_id;
  for (const Finding& f : submission.result.findings) {
    if (f.severity == Severity::kError) event.findings.push_back(f.id);
  }
  event.at = submission.result.appraised_at;
  webhooks_->Notify(event);
}

http::Response VerifierApi::Evidence(const std::string& host_id, const http::Request& request) {
  const auto start = std::chrono::steady_clock::now();
  Result<Submission> submission = SubmitEvidence(host_id, request.body);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  if (!submission.has_value()) {
    if (metrics_ != nullptr) metrics_->RecordAttestation("rejected", elapsed);
    return http::ErrorResponse(submission.error(), protocol::DecodeErrorField(submission.error()));
  }
  if (metrics_ != nullptr) {
    metrics_->RecordAttestation(VerdictName(submission->result.verdict), elapsed);
  }
  return http::JsonResponse(std::move(submission->report_json));
}

}  // namespace vouch::verifier
