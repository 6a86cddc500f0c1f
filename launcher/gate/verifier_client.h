// The launch gate's side of POST /v1/decisions/launch (core/protocol/
// decision.h): sends the measured components with a bearer token and returns
// the verifier's decision. Transport is an http::HttpClient (cpprestsdk in
// vouch-launcher, a fake in tests); the token comes from a file only the
// owner can read and never appears in a log line or an error message.
#ifndef VOUCH_LAUNCHER_GATE_VERIFIER_CLIENT_H_
#define VOUCH_LAUNCHER_GATE_VERIFIER_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/http/http.h"
#include "core/protocol/decision.h"

namespace vouch::launcher::gate {

inline constexpr std::string_view kLaunchDecisionPath = "/v1/decisions/launch";
inline constexpr size_t kMaxTokenFileBytes = 4096;

// Reads a verifier API token: the first line of `path`, without surrounding
// whitespace. The file must be a regular file owned by the effective user
// with no group or other permissions (0600 or 0400), at most
// kMaxTokenFileBytes. PermissionDenied for a file others can read or owned
// by someone else (naming the mode), NotFound when missing, InvalidArgument
// for an empty token or one with spaces or control characters. Messages name
// the path, never the content.
Result<std::string> ReadTokenFile(const std::string& path);

// A client of one verifier. Thread-compatible (no shared mutable state; the
// HttpClient must be thread-safe as http.h says for concurrent use).
class VerifierClient {
 public:
  // `verifier_url` is the verifier's base URL ("https://verifier:8443");
  // CheckServiceUrl applies (https, or http to loopback only).
  // InvalidArgument otherwise. `http` must outlive the client.
  static Result<std::unique_ptr<VerifierClient>> Create(http::HttpClient& http,
                                                        std::string_view verifier_url,
                                                        std::string token);

  // Asks for a launch decision. The decision (allow or deny) when the
  // verifier answered 200 with a valid document for this host and VM.
  // Errors (each "the verifier could not be asked"): Unavailable when it
  // cannot be reached or answers 5xx, Unauthenticated/PermissionDenied for
  // 401/403, InvalidArgument when it refuses the request (other 4xx, with its
  // error message) or the request is invalid; Unavailable too when the
  // answer is not a decision document or is for another host or VM.
  Result<protocol::LaunchDecision> RequestLaunchDecision(
      const protocol::LaunchDecisionRequest& request);

  const std::string& url() const { return url_; }

 private:
  VerifierClient(http::HttpClient& http, std::string url, std::string token)
      : http_(http), url_(std::move(url)), token_(std::move(token)) {}
  http::HttpClient& http_;
  std::string url_;  // the full decision URL
  std::string token_;
};

}  // namespace vouch::launcher::gate

#endif  // VOUCH_LAUNCHER_GATE_VERIFIER_CLIENT_H_
