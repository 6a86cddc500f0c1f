// Push mode and enrollment over HTTP: the agent calls the verifier
// (docs/protocol.md). HTTP goes through core/http's HttpClient interface, so
// tests use a real loopback verifier stand-in and nothing here knows the
// HTTP library.
#ifndef VOUCH_AGENT_PUSH_H_
#define VOUCH_AGENT_PUSH_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "agent/ak.h"
#include "agent/enroll.h"
#include "agent/service.h"
#include "core/base/clock.h"
#include "core/base/logger.h"
#include "core/base/status.h"
#include "core/crypto/random.h"
#include "core/http/http.h"
#include "core/protocol/evidence.h"
#include "core/tpm_device/tpm_device.h"

namespace vouch::agent {

// The full enrollment exchange: POST {verifier}/v1/enrollments with
// BuildEnrollmentRequest's document, answer the credential challenge
// (AnswerChallenge), POST .../activate, and return the state to save.
// Unavailable when the verifier cannot be reached; PermissionDenied when it
// refuses (the message carries the verifier's error code and message);
// InvalidArgument for a malformed answer.
Result<EnrollmentState> EnrollWithVerifier(tpm_device::TpmDevice& device, const LoadedAk& ak,
                                           const protocol::HostFacts& facts,
                                           http::HttpClient& client,
                                           const std::string& verifier_url, const Clock& clock);

// A stop signal that sleeping loops wait on. Thread-safe.
class StopSignal {
 public:
  void Stop();
  bool stopped() const { return stopped_.load(); }
  // Sleeps for `duration` or until Stop(); false when stopped.
  bool SleepFor(std::chrono::milliseconds duration);

 private:
  std::atomic<bool> stopped_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

struct PushOptions {
  std::string verifier_url;  // https://verifier:8443 (no trailing /v1)
  std::string host_id;       // from enrollment
  std::chrono::milliseconds interval{std::chrono::seconds(300)};
  std::chrono::milliseconds pcr_poll_interval{2000};
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(300)};
};

// Push mode: fetch a nonce (POST /v1/hosts/{id}/challenges), collect evidence,
// submit it (POST /v1/hosts/{id}/evidence); repeat every `interval`, and at
// once when a PCR changes (a VM was measured, the host rebooted). When the
// verifier is unreachable or refuses, retry with exponential backoff and
// jitter up to max_backoff; PCR changes during a backoff wait for it.
//
// No VM measurement is lost: the VM log is an append-only file the launcher
// owns and every submission carries all of it, so the first submission that
// succeeds after an outage includes every record made during it.
class PushClient {
 public:
  // All references must outlive the client.
  PushClient(http::HttpClient& client, EvidenceService& evidence, PushOptions options,
             crypto::RandomSource& random, Logger& logger);

  // One challenge → evidence → submission. OK when the verifier accepted the
  // evidence (any verdict); the verifier's report body is returned.
  Result<std::string> PushOnce();

  // Loops until `stop`. Returns the number of successful submissions.
  uint64_t Run(StopSignal& stop);

  uint64_t failures() const { return failures_.load(); }

 private:
  http::HttpClient& client_;
  EvidenceService& evidence_;
  PushOptions options_;
  crypto::RandomSource& random_;
  Logger& logger_;
  std::optional<tpm::PcrValues> last_pushed_pcrs_;
  std::atomic<uint64_t> failures_{0};
};

}  // namespace vouch::agent

#endif  // VOUCH_AGENT_PUSH_H_
