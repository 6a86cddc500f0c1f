// The verifier's REST API (/v1) as plain handlers over core/http's structs
// (first increment of issue 4: enrollment, challenges, evidence and
// appraisal, hosts and reports; tokens, reference-value CRUD, metrics and
// webhooks come next). No HTTP library here: vouch-verifier's main.cc plugs
// VerifierApi::Handle into core/http's server.
#ifndef VOUCH_VERIFIER_API_API_H_
#define VOUCH_VERIFIER_API_API_H_

#include <chrono>
#include <mutex>
#include <string>

#include "core/base/clock.h"
#include "core/base/logger.h"
#include "core/crypto/random.h"
#include "core/http/http.h"
#include "verifier/core/appraisal.h"
#include "verifier/registrar/registrar.h"
#include "verifier/store/store.h"

namespace vouch::verifier {

struct ApiOptions {
  RegistrarOptions registrar;
  HostPolicy policy;
  std::chrono::seconds nonce_lifetime{120};
};

// Routes:
//   POST /v1/enrollments                  EnrollmentRequest -> 201 EnrollmentChallenge
//   POST /v1/enrollments/{id}/activate    ActivationRequest -> 200 ActivationResult
//   POST /v1/hosts/{id}/challenges        {}                -> 201 Challenge
//   POST /v1/hosts/{id}/evidence          Evidence          -> 200 report
//   GET  /v1/hosts                        ?verdict=&limit=&after=
//   GET  /v1/hosts/{id}
//   GET  /v1/hosts/{id}/reports/latest
//   GET  /v1/hosts/{id}/reports           ?limit=&before=
//   GET  /v1/healthz
// Errors: core/http's JSON error document with the Status mapping. A failed
// appraisal is a 200 report with verdict "untrusted" and its findings.
// Thread-safe. `store`, `references`, `random`, `clock` and `logger` must
// outlive the API; `references` is read under the API's lock.
class VerifierApi {
 public:
  VerifierApi(Store& store, const ReferenceSet& references, ApiOptions options,
              crypto::RandomSource& random, const Clock& clock, Logger& logger);

  http::Response Handle(const http::Request& request);

 private:
  http::Response Enroll(const http::Request& request);
  http::Response Activate(const std::string& enrollment_id, const http::Request& request);
  http::Response Challenge(const std::string& host_id);
  http::Response Evidence(const std::string& host_id, const http::Request& request);
  http::Response ListHosts(const http::Request& request);
  http::Response GetHost(const std::string& host_id);
  http::Response LatestReport(const std::string& host_id);
  http::Response ListReports(const std::string& host_id, const http::Request& request);
  Result<std::string> NewId(std::string_view prefix);

  Store& store_;
  const ReferenceSet& references_;
  ApiOptions options_;
  std::mutex random_mu_;
  crypto::RandomSource& random_;
  const Clock& clock_;
  Logger& logger_;
};

// The report document of an appraisal (also stored as report_json).
std::string ReportJson(const std::string& host_id, int64_t report_id,
                       const AppraisalResult& result);

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_API_API_H_
