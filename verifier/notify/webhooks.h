// Webhooks: the verifier tells other systems (SIEM, orchestrator, chat ops)
// when a host's verdict changes or its identity changes. Delivery is
// asynchronous (a worker thread), so a slow or dead receiver never delays an
// appraisal; each event is POSTed to every configured URL, retried with
// exponential backoff, and signed so receivers can check it came from us.
//
// Request: POST <url>, content-type application/json, body the event
// document (schemas/webhook-event.schema.json):
//   {"id": "ev-<hex>", "type": "host.verdict_changed" | "host.identity_changed",
//    "at": RFC 3339, "host_id": "...", "hostname": "...",
//    "previous_verdict": "...", "verdict": "...", "report_id": N,
//    "findings": ["quote.nonce_reused", ...],      (ids of error findings)
//    "reason": "ak_changed"}                       (identity changes)
// Headers: X-Vouch-Event: <type>; X-Vouch-Delivery: <id>;
//   X-Vouch-Timestamp: <unix seconds>;
//   X-Vouch-Signature: sha256=<hex HMAC-SHA256(secret, timestamp "." body)>
// (the timestamp in the MAC lets receivers refuse replays older than a few
// minutes; it is the time of each attempt, so a late retry still passes,
// while body and X-Vouch-Delivery stay the same for de-duplication).
// A 2xx answer is delivered; 4xx other than 408/429 is dropped at once (the
// receiver refuses it; retrying will not help); anything else, and
// transport errors (Unavailable, PermissionDenied from TLS), are retried
// after initial_backoff * 2^n (capped at max_backoff, +-20 % jitter) up to
// max_attempts. Backoff runs on the steady clock; `Clock` only stamps
// X-Vouch-Timestamp.
//
// One worker thread sends one request at a time. Per URL, events go out in
// the order they were notified (a retrying event holds back later ones for
// the same URL only), so a dead receiver never delays the others. Every
// failed attempt is logged at warning with the URL (query and fragment cut,
// since tokens live there) and the HTTP status or transport error; the
// secret and signatures are never logged. docs/verifier-operations.md has
// the receiver's verification recipe.
#ifndef VOUCH_VERIFIER_NOTIFY_WEBHOOKS_H_
#define VOUCH_VERIFIER_NOTIFY_WEBHOOKS_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/base/logger.h"
#include "core/base/status.h"
#include "core/http/http.h"
#include "verifier/metrics/metrics.h"

namespace vouch::verifier {

struct WebhookEvent {
  std::string type;  // "host.verdict_changed" | "host.identity_changed"
  std::string host_id;
  std::string hostname;
  std::string previous_verdict;  // may be empty
  std::string verdict;
  std::optional<int64_t> report_id;
  std::vector<std::string> findings;  // error finding ids
  std::string reason;                 // identity changes
  std::chrono::system_clock::time_point at;
};

struct WebhookOptions {
  // http:// or https://; plain http only to 127.0.0.0/8, [::1] or localhost.
  // No user info (credentials belong in the HMAC secret, not in logs).
  std::vector<std::string> urls;
  Bytes secret;  // HMAC key, at least 16 bytes
  int max_attempts = 8;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{300000};
  // Deliveries waiting (one per event and URL); when full the oldest is
  // dropped (logged, counted as "dropped"). Create() refuses
  // max_attempts < 1, initial_backoff < 1 ms, max_backoff < initial_backoff
  // and max_queue 0 (InvalidArgument).
  size_t max_queue = 10000;
};

// The event document (the body that is signed): members in the order of the
// comment above; hostname, previous_verdict, report_id and reason omitted
// when empty/unset; invalid UTF-8 replaced by U+FFFD. Thread-safe.
std::string EncodeWebhookEvent(const WebhookEvent& event, std::string_view id);
// The X-Vouch-Signature value for `body` sent at `timestamp` (unix seconds).
std::string WebhookSignature(ByteView secret, int64_t timestamp, std::string_view body);

class WebhookNotifier {
 public:
  // InvalidArgument for a bad URL or a secret shorter than 16 bytes (when
  // there are URLs), naming what is wrong; Unavailable when the worker thread
  // cannot be started. Without URLs no thread is started. `client`,
  // `clock`, `logger` and `metrics` (may be nullptr) must outlive the
  // notifier.
  static Result<std::unique_ptr<WebhookNotifier>> Create(WebhookOptions options,
                                                         http::HttpClient& client,
                                                         const Clock& clock, Logger& logger,
                                                         Metrics* metrics);
  ~WebhookNotifier();  // Stop()
  WebhookNotifier(const WebhookNotifier&) = delete;
  WebhookNotifier& operator=(const WebhookNotifier&) = delete;

  // Queues the event for every URL under a new random id; returns at once
  // (never does I/O). No-op without URLs; after Stop() the event is dropped
  // (logged, counted). Thread-safe.
  void Notify(const WebhookEvent& event);
  // Waits until the queue is empty and no request is in flight (every event
  // delivered or dropped) or `timeout` passes; false on timeout. For tests
  // and clean shutdown. Thread-safe.
  bool Flush(std::chrono::milliseconds timeout);
  // Stops the worker: a backoff wait ends at once; a request in flight is
  // waited for (bounded by the HTTP client's timeout). Events not delivered
  // are logged and counted as dropped. Idempotent and thread-safe; must not
  // be called from the HttpClient (the worker's own thread).
  void Stop();

 private:
  WebhookNotifier(WebhookOptions options, http::HttpClient& client, const Clock& clock,
                  Logger& logger, Metrics* metrics);
  struct Delivery;
  void Run();
  struct Next {
    std::shared_ptr<Delivery> delivery;          // removed from the queue; nullptr: none due
    std::chrono::steady_clock::time_point wake;  // when none is due: the earliest due time
  };
  // The next delivery whose backoff has ended. mu_ held.
  Next TakeNextLocked();
  // Logs and counts a delivery given up on. mu_ held.
  void DropLocked(const Delivery& delivery, const std::string& why);

  WebhookOptions options_;
  http::HttpClient& client_;
  const Clock& clock_;
  Logger& logger_;
  Metrics* metrics_;
  std::mutex mu_;
  std::condition_variable cv_;       // wakes the worker: new event, Stop()
  std::condition_variable idle_cv_;  // wakes Flush(): queue empty, nothing in flight
  std::deque<std::shared_ptr<Delivery>> queue_;
  size_t in_progress_ = 0;
  bool stopping_ = false;
  std::mt19937_64 rng_;  // backoff jitter; event ids only if the DRBG fails. mu_ held.
  std::thread worker_;
};

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_NOTIFY_WEBHOOKS_H_
