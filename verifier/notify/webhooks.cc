#include "verifier/notify/webhooks.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <system_error>
#include <utility>

#include "core/base/net_address.h"
#include "core/base/time_format.h"
#include "core/crypto/hmac.h"
#include "core/crypto/random.h"

namespace vouch::verifier {

struct WebhookNotifier::Delivery {
  std::string url;
  std::string log_url;  // url without query (tokens live there), for logs
  std::string event_id;
  std::string type;
  std::string body;
  int attempts = 0;  // made so far
  std::chrono::steady_clock::time_point next_attempt;
};

namespace {

constexpr size_t kMinSecretBytes = 16;
constexpr size_t kEventIdBytes = 16;

// The one URL rule (core/base/net_address.h): https, or http to loopback;
// no user info.
Status ValidateUrl(std::string_view url) { return CheckServiceUrl(url, "webhook URL"); }

std::string UrlForLog(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

std::string NewEventId(std::mt19937_64& fallback) {
  std::array<uint8_t, kEventIdBytes> bytes{};
  crypto::OpenSslRandom random;
  if (!random.Fill(bytes).ok()) {
    // Ids need to be unique, not secret: a seeded PRNG is good enough when
    // the DRBG fails, and the event is still worth sending.
    for (uint8_t& b : bytes) {
      b = static_cast<uint8_t>(fallback());
    }
  }
  return "ev-" + HexEncode(bytes);
}

std::mt19937_64 SeededRng() {
  std::array<uint8_t, 8> seed{};
  crypto::OpenSslRandom random;
  uint64_t value =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  if (random.Fill(seed).ok()) {
    for (uint8_t b : seed) {
      value = (value << 8) ^ b;
    }
  }
  return std::mt19937_64(value);
}

// initial * 2^(attempts-1), capped, then +-20 % so receivers that failed
// together are not hit together again.
std::chrono::milliseconds Backoff(const WebhookOptions& options, int attempts,
                                  std::mt19937_64& rng) {
  double ms = static_cast<double>(options.initial_backoff.count());
  double cap = static_cast<double>(options.max_backoff.count());
  for (int i = 1; i < attempts && ms < cap; ++i) {
    ms *= 2;
  }
  ms = std::min(ms, cap);
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  return std::chrono::milliseconds(static_cast<int64_t>(ms * jitter(rng)));
}

enum class Outcome { kDelivered, kRetry, kDrop };

Outcome Classify(const Result<http::Response>& response) {
  if (!response.has_value()) {
    // Transport failures and TLS refusals may heal (receiver restarts,
    // certificate renewed); a URL the client cannot use will not.
    return response.status().code() == Code::kInvalidArgument ? Outcome::kDrop : Outcome::kRetry;
  }
  int status = response->status;
  if (status >= 200 && status < 300) {
    return Outcome::kDelivered;
  }
  if (status >= 400 && status < 500 && status != 408 && status != 429) {
    return Outcome::kDrop;
  }
  return Outcome::kRetry;
}

}  // namespace

std::string EncodeWebhookEvent(const WebhookEvent& event, std::string_view id) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::object();
  doc["id"] = std::string(id);
  doc["type"] = event.type;
  doc["at"] = FormatRfc3339Utc(event.at);
  doc["host_id"] = event.host_id;
  if (!event.hostname.empty()) {
    doc["hostname"] = event.hostname;
  }
  if (!event.previous_verdict.empty()) {
    doc["previous_verdict"] = event.previous_verdict;
  }
  doc["verdict"] = event.verdict;
  if (event.report_id.has_value()) {
    doc["report_id"] = *event.report_id;
  }
  doc["findings"] = event.findings;
  if (!event.reason.empty()) {
    doc["reason"] = event.reason;
  }
  // Hostnames come from agents: invalid UTF-8 is replaced (U+FFFD) rather
  // than thrown on.
  return doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string WebhookSignature(ByteView secret, int64_t timestamp, std::string_view body) {
  std::string message = std::to_string(timestamp);
  message += '.';
  message.append(body);
  Result<Bytes> mac = crypto::HmacSha256(secret, AsBytes(message));
  // HmacSha256 fails only if OpenSSL itself is broken; an empty hex value
  // makes every receiver refuse the request, which is the safe outcome.
  return "sha256=" + (mac.has_value() ? HexEncode(*mac) : std::string());
}

Result<std::unique_ptr<WebhookNotifier>> WebhookNotifier::Create(WebhookOptions options,
                                                                 http::HttpClient& client,
                                                                 const Clock& clock, Logger& logger,
                                                                 Metrics* metrics) {
  for (const std::string& url : options.urls) {
    VOUCH_RETURN_IF_ERROR(ValidateUrl(url));
  }
  if (!options.urls.empty() && options.secret.size() < kMinSecretBytes) {
    return InvalidArgumentError("webhook secret must be at least 16 bytes");
  }
  if (options.max_attempts < 1) {
    return InvalidArgumentError("webhook max_attempts must be at least 1");
  }
  if (options.initial_backoff.count() < 1 || options.max_backoff < options.initial_backoff) {
    return InvalidArgumentError(
        "webhook backoff: initial must be positive and not above the maximum");
  }
  if (options.max_queue < 1) {
    return InvalidArgumentError("webhook max_queue must be at least 1");
  }
  std::unique_ptr<WebhookNotifier> notifier(
      new WebhookNotifier(std::move(options), client, clock, logger, metrics));
  if (!notifier->options_.urls.empty()) {
    try {
      notifier->worker_ = std::thread([n = notifier.get()] { n->Run(); });
    } catch (const std::system_error& e) {
      // std::thread's only way to report a failure; it must not escape.
      return UnavailableError(std::string("webhook worker thread: ") + e.what());
    }
  }
  return notifier;
}

WebhookNotifier::WebhookNotifier(WebhookOptions options, http::HttpClient& client,
                                 const Clock& clock, Logger& logger, Metrics* metrics)
    : options_(std::move(options)),
      client_(client),
      clock_(clock),
      logger_(logger),
      metrics_(metrics),
      rng_(SeededRng()) {}

WebhookNotifier::~WebhookNotifier() { Stop(); }

void WebhookNotifier::Notify(const WebhookEvent& event) {
  if (options_.urls.empty()) {
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::string id = NewEventId(rng_);
  std::string body = EncodeWebhookEvent(event, id);
  for (const std::string& url : options_.urls) {
    auto delivery = std::make_shared<Delivery>();
    delivery->url = url;
    delivery->log_url = UrlForLog(url);
    delivery->event_id = id;
    delivery->type = event.type;
    delivery->body = body;
    delivery->next_attempt = std::chrono::steady_clock::now();
    if (stopping_) {
      DropLocked(*delivery, "notifier stopped");
      continue;
    }
    if (queue_.size() >= options_.max_queue) {
      DropLocked(*queue_.front(), "queue full (" + std::to_string(options_.max_queue) + ")");
      queue_.pop_front();
    }
    queue_.push_back(std::move(delivery));
  }
  cv_.notify_all();
}

bool WebhookNotifier::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [this] { return queue_.empty() && in_progress_ == 0; });
}

void WebhookNotifier::Stop() {
  std::thread worker;
  {
    // Taking the thread under the lock lets concurrent Stop() calls (and the
    // destructor after Stop()) join it exactly once.
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    worker = std::move(worker_);
  }
  cv_.notify_all();
  if (worker.joinable()) {
    worker.join();
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& delivery : queue_) {
    DropLocked(*delivery, "notifier stopped");
  }
  queue_.clear();
  idle_cv_.notify_all();
}

void WebhookNotifier::DropLocked(const Delivery& delivery, const std::string& why) {
  logger_.Warning("webhook " + delivery.event_id + " (" + delivery.type + ") to " +
                  delivery.log_url + " dropped after " + std::to_string(delivery.attempts) +
                  " attempt(s): " + why);
  if (metrics_ != nullptr) {
    metrics_->RecordWebhook("dropped");
  }
}

WebhookNotifier::Next WebhookNotifier::TakeNextLocked() {
  // Per URL, events go out in the order they happened (a receiver must not
  // see "trusted" after a later "untrusted"): only the oldest delivery of
  // each URL is a candidate, so a dead receiver delays only its own events.
  std::set<std::string_view> seen;
  auto now = std::chrono::steady_clock::now();
  auto best = queue_.end();
  auto wake = std::chrono::steady_clock::time_point::max();
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (!seen.insert((*it)->url).second) {
      continue;
    }
    if ((*it)->next_attempt <= now) {
      if (best == queue_.end() || (*it)->next_attempt < (*best)->next_attempt) {
        best = it;
      }
    } else {
      wake = std::min(wake, (*it)->next_attempt);
    }
  }
  if (best == queue_.end()) {
    return {nullptr, wake};
  }
  std::shared_ptr<Delivery> delivery = *best;
  queue_.erase(best);
  return {std::move(delivery), wake};
}

void WebhookNotifier::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    auto [delivery, wake] = TakeNextLocked();
    if (delivery == nullptr) {
      // Nothing due: sleep until the earliest backoff ends, a new event
      // arrives or Stop() is called (all three notify or time out cv_).
      if (wake == std::chrono::steady_clock::time_point::max()) {
        cv_.wait(lock);
      } else {
        cv_.wait_until(lock, wake);
      }
      continue;
    }
    ++in_progress_;
    lock.unlock();

    ++delivery->attempts;
    int64_t timestamp =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
    http::Request request;
    request.method = "POST";
    request.headers["content-type"] = "application/json";
    request.headers["user-agent"] = "vouch-verifier";
    request.headers["x-vouch-event"] = delivery->type;
    request.headers["x-vouch-delivery"] = delivery->event_id;
    request.headers["x-vouch-timestamp"] = std::to_string(timestamp);
    // Signed per attempt with the attempt's time, so a retry hours later
    // still passes a receiver's replay window; the body (and id) stay the
    // same, so receivers can de-duplicate.
    request.headers["x-vouch-signature"] =
        WebhookSignature(options_.secret, timestamp, delivery->body);
    request.body = delivery->body;
    Result<http::Response> response = client_.Send(delivery->url, request);
    Outcome outcome = Classify(response);
    std::string what = response.has_value() ? "HTTP " + std::to_string(response->status)
                                            : response.status().ToString();

    lock.lock();
    --in_progress_;
    if (outcome == Outcome::kDelivered) {
      logger_.Debug("webhook " + delivery->event_id + " delivered to " + delivery->log_url);
      if (metrics_ != nullptr) {
        metrics_->RecordWebhook("delivered");
      }
    } else if (outcome == Outcome::kDrop) {
      DropLocked(*delivery, what + " (not retried)");
    } else if (delivery->attempts >= options_.max_attempts) {
      DropLocked(*delivery, what + " (max_attempts reached)");
    } else if (stopping_) {
      DropLocked(*delivery, what + " (notifier stopped)");
    } else {
      std::chrono::milliseconds wait = Backoff(options_, delivery->attempts, rng_);
      logger_.Warning("webhook " + delivery->event_id + " to " + delivery->log_url +
                      " failed (attempt " + std::to_string(delivery->attempts) + "/" +
                      std::to_string(options_.max_attempts) + "): " + what + "; retrying in " +
                      std::to_string(wait.count()) + " ms");
      if (metrics_ != nullptr) {
        metrics_->RecordWebhook("retried");
      }
      delivery->next_attempt = std::chrono::steady_clock::now() + wait;
      // Back at the front: it is the oldest event for its URL, and later
      // ones for that URL wait behind it.
      queue_.push_front(std::move(delivery));
    }
    if (queue_.empty() && in_progress_ == 0) {
      idle_cv_.notify_all();
    }
  }
}

}  // namespace vouch::verifier
