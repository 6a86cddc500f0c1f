// The verifier's REST API (/v1) as plain handlers over core/http's structs.
// No HTTP library here: vouch-verifier's main.cc plugs VerifierApi::Handle
// into core/http's server.
#ifndef VOUCH_VERIFIER_API_API_H_
#define VOUCH_VERIFIER_API_API_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/base/clock.h"
#include "core/base/logger.h"
#include "core/crypto/random.h"
#include "core/http/http.h"
#include "verifier/config/auth.h"
#include "verifier/core/appraisal.h"
#include "verifier/core/launch_decision.h"
#include "verifier/metrics/metrics.h"
#include "verifier/notify/webhooks.h"
#include "verifier/registrar/registrar.h"
#include "verifier/store/store.h"

namespace vouch::verifier {

struct ApiOptions {
  RegistrarOptions registrar;
  HostPolicy policy;
  std::chrono::seconds nonce_lifetime{120};
  // Hosts without a report newer than this are "stale" in the summary.
  std::chrono::seconds stale_after{900};
  // Body limits: evidence route, and every other route (413 above them).
  // The HTTP server's own limit must be at least max_evidence_bytes.
  size_t max_evidence_bytes = size_t{48} << 20;
  size_t max_request_bytes = size_t{1} << 20;
  // GET /v1/metrics without a token (scrapers on a trusted network).
  bool metrics_public = false;
};

// What the API works with. Everything must outlive the API; `tokens`,
// `metrics` and `webhooks` may be nullptr (no token then admits anyone to
// reader/admin routes: they answer 401; no metrics; no webhooks).
struct ApiDeps {
  Store& store;
  crypto::RandomSource& random;
  const Clock& clock;
  Logger& logger;
  const TokenAuthenticator* tokens = nullptr;
  Metrics* metrics = nullptr;
  WebhookNotifier* webhooks = nullptr;
};

// The outcome of one evidence submission.
struct Submission {
  int64_t report_id = 0;
  AppraisalResult result;
  std::string report_json;  // the report document as answered
};

// Routes (schemas/openapi.yaml is the reference; roles: agent = no token,
// the enrolled AK signs; reader/admin = bearer token):
//   agent  POST /v1/enrollments                  EnrollmentRequest -> 201 EnrollmentChallenge
//   agent  POST /v1/enrollments/{id}/activate    ActivationRequest -> 200 ActivationResult
//   agent  POST /v1/hosts/{id}/challenges        {}                -> 201 Challenge
//   agent  POST /v1/hosts/{id}/evidence          Evidence          -> 200 report
//   reader GET  /v1/hosts   ?verdict=&hypervisor=&label=k:v&sort=&order=&limit=&after=&offset=
//   reader GET  /v1/hosts/{id}
//   reader GET  /v1/hosts/{id}/reports/latest
//   reader GET  /v1/hosts/{id}/reports           ?limit=&before=
//   reader GET  /v1/summary                      fleet summary
//   admin  PUT  /v1/hosts/{id}/agent-url         {"url": "..."} ("" clears) -> 200 host
//   admin  POST /v1/hosts/{id}/identity/approve  {} -> 200 host (applies the pending keys)
//   reader GET  /v1/reference-sets
//   reader GET  /v1/reference-sets/{name}        ?version=
//   admin  PUT  /v1/reference-sets/{name}        ReferenceSet (If-Match: version optional) -> 200
//   admin  DELETE /v1/reference-sets/{name}      -> 204
//   admin  POST /v1/reference-sets/{name}/entries         ReferenceValue -> 201 set
//   admin  DELETE /v1/reference-sets/{name}/entries/{id}  -> 200 set
//   admin  POST /v1/reference-sets/{name}/import {"host_id": "..."} -> 201 set (from the
//          host's latest verified evidence; ImportPlatformReferences)
//   reader POST /v1/decisions/launch             LaunchDecisionRequest -> 200 LaunchDecision
//          (allow or deny; an unknown host is a deny, not 404; api_decisions.cc)
//   reader GET  /v1/metrics                      Prometheus text (or public, see options)
//   any    GET  /v1/healthz
// Errors: core/http's JSON error document with the Status mapping; 401
// without a valid token, 403 for a reader on an admin route. A failed
// appraisal is a 200 report with verdict "untrusted" and its findings.
// Thread-safe.
class VerifierApi {
 public:
  VerifierApi(ApiDeps deps, ApiOptions options);

  http::Response Handle(const http::Request& request);

  // The submission path shared by the HTTP routes and the pull-mode poller.
  // IssueNonce: NotFound for an unknown host. SubmitEvidence: InvalidArgument
  // for a document that does not decode, NotFound for an unknown host, store
  // errors as they are; otherwise the appraisal's report (whatever its
  // verdict), persisted before this returns.
  Result<Bytes> IssueNonce(const std::string& host_id);
  Result<Submission> SubmitEvidence(const std::string& host_id, std::string_view evidence_json);

 private:
  // `path` is request.path split into segments (Handle splits it once).
  http::Response Route(const std::vector<std::string>& path, const http::Request& request);
  http::Response Enroll(const http::Request& request);
  http::Response Activate(const std::string& enrollment_id, const http::Request& request);
  http::Response Challenge(const std::string& host_id);
  http::Response Evidence(const std::string& host_id, const http::Request& request);
  http::Response ListHosts(const http::Request& request);
  http::Response GetHost(const std::string& host_id);
  http::Response LatestReport(const std::string& host_id);
  http::Response ListReports(const std::string& host_id, const http::Request& request);
  http::Response Summary();
  http::Response MetricsText();
  http::Response SetAgentUrl(const std::string& host_id, const http::Request& request,
                             const Principal& who);
  http::Response ApproveIdentity(const std::string& host_id, const Principal& who);
  // `who` is authorized already (reader for GET, admin otherwise).
  http::Response ReferenceRoutes(const std::vector<std::string>& path, const http::Request& request,
                                 const Principal& who);
  http::Response ListReferenceSets();
  http::Response GetReferenceSet(const std::string& name, const http::Request& request);
  http::Response PutReferenceSet(const std::string& name, const http::Request& request,
                                 const Principal& who);
  http::Response DeleteReferenceSet(const std::string& name, const Principal& who);
  http::Response AddReferenceEntry(const std::string& name, const http::Request& request,
                                   const Principal& who);
  http::Response DeleteReferenceEntry(const std::string& name, const std::string& entry_id,
                                      const Principal& who);
  http::Response ImportReferences(const std::string& name, const http::Request& request,
                                  const Principal& who);
  // POST /v1/decisions/launch; `who` is authorized already (reader or admin).
  http::Response LaunchDecisionRoute(const http::Request& request, const Principal& who);
  // The host as DecideLaunch needs it: nullopt when not enrolled; store
  // errors as they are.
  Result<std::optional<LaunchHost>> LaunchHostState(const std::string& host_id);
  // Stores `doc` as the next version of its set (expected_version: the
  // version it replaces, 0 for a new set), filling entry ids, sources and
  // authors; returns the stored document as answered.
  Result<std::string> StoreReferenceSet(policy::ReferenceSetDocument doc, int64_t expected_version,
                                        const Principal& who);
  // The principal for `request` when it may use a route needing `role`;
  // otherwise the 401/403 response to send.
  std::variant<Principal, http::Response> Authorize(const http::Request& request, Role role);
  // Counts store failures (Unavailable, DataLoss, Internal) in the metrics.
  Status Counted(Status status);
  void NotifyVerdictChange(const HostRecord& before, const Submission& submission);
  Result<std::string> NewId(std::string_view prefix);
  // The compiled union of every current reference set, rebuilt when the
  // store's reference generation moves.
  Result<std::shared_ptr<const ReferenceSet>> References();

  Store& store_;
  crypto::RandomSource& random_;
  const Clock& clock_;
  Logger& logger_;
  const TokenAuthenticator* tokens_;
  Metrics* metrics_;
  WebhookNotifier* webhooks_;
  ApiOptions options_;
  std::mutex random_mu_;
  // Decoded enrolled AKs by TPM2B_PUBLIC bytes (decoding builds an OpenSSL
  // key: ~30 us of every appraisal). Cleared when it exceeds
  // kMaxCachedAks entries; a changed AK has other bytes, so it never hits.
  static constexpr size_t kMaxCachedAks = 200000;
  std::shared_ptr<const tpm::TpmPublic> CachedAk(const Bytes& ak_public);
  std::mutex ak_cache_mu_;
  std::map<Bytes, std::shared_ptr<const tpm::TpmPublic>> ak_cache_;
  std::mutex references_mu_;
  int64_t references_generation_ = -1;
  std::shared_ptr<const ReferenceSet> references_;
};

// The report document of an appraisal (also stored as report_json).
std::string ReportJson(const std::string& host_id, int64_t report_id,
                       const AppraisalResult& result);

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_API_API_H_
