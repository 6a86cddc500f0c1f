#include "agent/push.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "core/base/time_format.h"
#include "core/protocol/enrollment.h"

namespace vouch::agent {

namespace {

// Maps a refusal to a code: 5xx and 429 are retryable (Unavailable), the rest
// are refusals (PermissionDenied for 401/403/404/409, InvalidArgument for
// other 4xx: the verifier did not understand us).
Status RefusalStatus(std::string_view what, const http::Response& response) {
  std::string message =
      std::string(what) + ": verifier answered " + http::DescribeErrorResponse(response);
  int s = response.status;
  if (s >= 500 || s == 429) return Status(Code::kUnavailable, message);
  if (s == 401 || s == 403 || s == 404 || s == 409) {
    return Status(Code::kPermissionDenied, message);
  }
  return Status(Code::kInvalidArgument, message);
}

Result<http::Response> PostJson(http::HttpClient& client, const std::string& url,
                                std::string body) {
  http::Request request;
  request.method = "POST";
  request.headers["content-type"] = "application/json";
  request.headers["accept"] = "application/json";
  request.body = std::move(body);
  return client.Send(url, request);
}

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

Result<EnrollmentState> EnrollWithVerifier(tpm_device::TpmDevice& device, const LoadedAk& ak,
                                           const protocol::HostFacts& facts,
                                           http::HttpClient& client,
                                           const std::string& verifier_url, const Clock& clock) {
  const std::string base = TrimSlash(verifier_url);
  VOUCH_ASSIGN_OR_RETURN_CTX(protocol::EnrollmentRequest request,
                             BuildEnrollmentRequest(device, ak, facts), "enrollment request");
  VOUCH_ASSIGN_OR_RETURN(std::string body, protocol::EncodeEnrollmentRequest(request));
  VOUCH_ASSIGN_OR_RETURN(http::Response answer,
                         PostJson(client, base + "/v1/enrollments", std::move(body)));
  if (answer.status != 200 && answer.status != 201) {
    return RefusalStatus("POST /v1/enrollments", answer);
  }
  VOUCH_ASSIGN_OR_RETURN_CTX(protocol::EnrollmentChallenge challenge,
                             protocol::DecodeEnrollmentChallenge(answer.body),
                             "verifier's enrollment challenge");
  VOUCH_ASSIGN_OR_RETURN_CTX(protocol::ActivationRequest activation,
                             AnswerChallenge(device, ak, challenge), "credential challenge");
  VOUCH_ASSIGN_OR_RETURN(std::string activation_body,
                         protocol::EncodeActivationRequest(activation));
  const std::string activate_url =
      base + "/v1/enrollments/" + challenge.enrollment_id + "/activate";
  VOUCH_ASSIGN_OR_RETURN(http::Response done,
                         PostJson(client, activate_url, std::move(activation_body)));
  if (done.status != 200 && done.status != 201) {
    return RefusalStatus("POST /v1/enrollments/{id}/activate", done);
  }
  VOUCH_ASSIGN_OR_RETURN_CTX(protocol::ActivationResult result,
                             protocol::DecodeActivationResult(done.body),
                             "verifier's activation result");
  EnrollmentState state;
  state.host_id = result.host_id;
  state.verifier_url = base;
  state.enrolled_at = FormatRfc3339Utc(clock.Now());
  state.ak_name = ak.record.name;
  return state;
}

// ---- StopSignal ----------------------------------------------------------------

void StopSignal::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

bool StopSignal::SleepFor(std::chrono::milliseconds duration) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, duration, [this] { return stopped_.load(); });
  return !stopped_.load();
}

// ---- PushClient ----------------------------------------------------------------

PushClient::PushClient(http::HttpClient& client, EvidenceService& evidence, PushOptions options,
                       crypto::RandomSource& random, Logger& logger)
    : client_(client),
      evidence_(evidence),
      options_(std::move(options)),
      random_(random),
      logger_(logger) {
  options_.verifier_url = TrimSlash(options_.verifier_url);
}

Result<std::string> PushClient::PushOnce() {
  const std::string host_url = options_.verifier_url + "/v1/hosts/" + options_.host_id;
  VOUCH_ASSIGN_OR_RETURN(http::Response answer, PostJson(client_, host_url + "/challenges", "{}"));
  if (answer.status != 200 && answer.status != 201) {
    return RefusalStatus("POST /v1/hosts/{id}/challenges", answer);
  }
  VOUCH_ASSIGN_OR_RETURN_CTX(protocol::Challenge challenge, protocol::DecodeChallenge(answer.body),
                             "verifier's challenge");
  VOUCH_ASSIGN_OR_RETURN_CTX(protocol::Evidence evidence,
                             evidence_.Collect(challenge.nonce, AllPcrs()), "collect evidence");
  VOUCH_ASSIGN_OR_RETURN(std::string body, protocol::EncodeEvidence(evidence));
  VOUCH_ASSIGN_OR_RETURN(http::Response report,
                         PostJson(client_, host_url + "/evidence", std::move(body)));
  if (report.status != 200 && report.status != 201) {
    return RefusalStatus("POST /v1/hosts/{id}/evidence", report);
  }
  last_pushed_pcrs_ = evidence.pcrs;
  return std::move(report.body);
}

uint64_t PushClient::Run(StopSignal& stop) {
  using std::chrono::milliseconds;
  using Steady = std::chrono::steady_clock;
  uint64_t successes = 0;
  milliseconds backoff = options_.initial_backoff;
  Steady::time_point next_push = Steady::now();
  bool in_backoff = false;
  while (!stop.stopped()) {
    bool due = Steady::now() >= next_push;
    if (!due && !in_backoff) {
      // Between scheduled pushes, submit at once when a PCR moved.
      Result<tpm::PcrValues> now = evidence_.ReadAllPcrs();
      if (!now.has_value()) {
        logger_.Warning("read PCRs: " + now.error().ToString());
      } else if (last_pushed_pcrs_.has_value() && !(*now == *last_pushed_pcrs_)) {
        logger_.Info("PCR values changed since the last submission; submitting now");
        due = true;
      }
    }
    if (due) {
      Result<std::string> report = PushOnce();
      if (report.has_value()) {
        ++successes;
        in_backoff = false;
        backoff = options_.initial_backoff;
        next_push = Steady::now() + options_.interval;
        std::string verdict;
        nlohmann::json j = nlohmann::json::parse(*report, nullptr, false);
        if (!j.is_discarded() && j.is_object() && j.contains("verdict") &&
            j["verdict"].is_string()) {
          verdict = ", verdict " + j["verdict"].get<std::string>();
        }
        logger_.Info("evidence submitted to " + options_.verifier_url + verdict);
      } else {
        ++failures_;
        // Full jitter on the upper half: [backoff/2, backoff].
        uint16_t r = 0;
        std::array<uint8_t, 2> bytes{};
        if (random_.Fill(bytes).ok()) r = static_cast<uint16_t>(bytes[0] << 8 | bytes[1]);
        milliseconds wait = backoff / 2 + milliseconds(backoff.count() / 2 * r / 65535);
        logger_.Warning("submission failed (" + report.error().ToString() + "); retrying in " +
                        std::to_string(wait.count()) + " ms");
        in_backoff = true;
        next_push = Steady::now() + wait;
        backoff = std::min(options_.max_backoff, backoff * 2);
      }
    }
    auto until_next = std::chrono::duration_cast<milliseconds>(next_push - Steady::now());
    milliseconds sleep = in_backoff ? until_next : std::min(options_.pcr_poll_interval, until_next);
    if (sleep.count() < 1) sleep = milliseconds(1);
    if (!stop.SleepFor(sleep)) break;
  }
  return successes;
}

}  // namespace vouch::agent
