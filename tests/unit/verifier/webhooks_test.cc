#include "verifier/notify/webhooks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/testing/recording_logger.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/policy/schema_check.h"

namespace vouch::verifier {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::vouch::testing::StatusIs;
using Json = nlohmann::json;
using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr int64_t kNow = 1764323000;  // 2025-11-28T09:43:20Z
const char kSecret[] = "0123456789abcdef-webhook-secret";

class FixedClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(kNow));
  }
};

struct Sent {
  std::string url;
  http::Request request;
  SteadyTime when;
};

// Answers each Send with `respond(call index, url)`; records every request.
// `respond` may block (to hold the worker inside a delivery).
class FakeHttpClient final : public http::HttpClient {
 public:
  using Responder = std::function<Result<http::Response>(size_t, std::string_view)>;
  explicit FakeHttpClient(Responder respond) : respond_(std::move(respond)) {}

  Result<http::Response> Send(std::string_view url, const http::Request& request) override {
    size_t index;
    {
      std::lock_guard<std::mutex> lock(mu_);
      index = sent_.size();
      sent_.push_back({std::string(url), request, std::chrono::steady_clock::now()});
    }
    cv_.notify_all();
    return respond_(index, url);
  }
  std::vector<Sent> sent() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }
  // Waits until at least `n` requests were sent (false after 5 s).
  bool WaitForSent(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return sent_.size() >= n; });
  }

 private:
  Responder respond_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Sent> sent_;
};

Result<http::Response> Answer(int status) {
  http::Response r;
  r.status = status;
  return r;
}

// A gate that Send() can wait on, released by the test.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

WebhookEvent VerdictEvent(std::string hostname = "node-1.example.org") {
  WebhookEvent e;
  e.type = "host.verdict_changed";
  e.host_id = "host-1";
  e.hostname = std::move(hostname);
  e.previous_verdict = "trusted";
  e.verdict = "untrusted";
  e.report_id = 42;
  e.findings = {"quote.nonce_reused", "log.replay_mismatch"};
  e.at = std::chrono::system_clock::time_point(std::chrono::seconds(kNow - 20));
  return e;
}

WebhookOptions Options(std::vector<std::string> urls = {"https://hooks.example.org/vouch"}) {
  WebhookOptions o;
  o.urls = std::move(urls);
  o.secret = ToBytes(std::string_view(kSecret));
  o.max_attempts = 4;
  o.initial_backoff = milliseconds(20);
  o.max_backoff = milliseconds(1000);
  return o;
}

// HMAC-SHA256 by OpenSSL's one-shot HMAC(), independent of core/crypto.
std::string ExpectedSignature(std::string_view secret, int64_t timestamp, std::string_view body) {
  std::string message = std::to_string(timestamp) + "." + std::string(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len);
  std::string hex = "sha256=";
  static const char kDigits[] = "0123456789abcdef";
  for (unsigned int i = 0; i < mac_len; ++i) {
    hex += kDigits[mac[i] >> 4];
    hex += kDigits[mac[i] & 0xf];
  }
  return hex;
}

std::vector<std::string> CheckSchema(const std::string& document) {
  const Json schema = vouch::testing::LoadSchema("webhook-event");
  if (schema.empty()) {
    return {"schema does not parse"};
  }
  Json doc = Json::parse(document, nullptr, false);
  if (doc.is_discarded()) {
    return {"document does not parse"};
  }
  return vouch::testing::CheckAgainstSchema(schema, doc);
}

double Counter(const Metrics& metrics, const std::string& result) {
  std::string text = metrics.RenderPrometheus(nullptr);
  std::string series = "vouch_webhook_deliveries_total{result=\"" + result + "\"} ";
  size_t at = text.find(series);
  return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size()));
}

struct Harness {
  explicit Harness(FakeHttpClient::Responder respond) : client(std::move(respond)) {}
  FakeHttpClient client;
  FixedClock clock;
  testing::RecordingLogger logger;
  Metrics metrics;
};

std::unique_ptr<WebhookNotifier> MakeNotifier(Harness& h, WebhookOptions options = Options()) {
  Result<std::unique_ptr<WebhookNotifier>> n =
      WebhookNotifier::Create(std::move(options), h.client, h.clock, h.logger, &h.metrics);
  EXPECT_TRUE(n.has_value()) << n.status().ToString();
  return n.has_value() ? std::move(n).value() : nullptr;
}

TEST(WebhookEventTest, EncodesDocumentExactly) {
  EXPECT_EQ(EncodeWebhookEvent(VerdictEvent(), "ev-00112233445566778899aabbccddeeff"),
            R"({"id":"ev-00112233445566778899aabbccddeeff","type":"host.verdict_changed",)"
            R"("at":"2025-11-28T09:43:00Z","host_id":"host-1","hostname":"node-1.example.org",)"
            R"("previous_verdict":"trusted","verdict":"untrusted","report_id":42,)"
            R"("findings":["quote.nonce_reused","log.replay_mismatch"]})");
  WebhookEvent identity;
  identity.type = "host.identity_changed";
  identity.host_id = "h2";
  identity.previous_verdict = "trusted";
  identity.verdict = "untrusted";
  identity.reason = "ak_changed";
  identity.at = std::chrono::system_clock::time_point(std::chrono::seconds(kNow));
  EXPECT_EQ(EncodeWebhookEvent(identity, "ev-0123"),
            R"({"id":"ev-0123","type":"host.identity_changed","at":"2025-11-28T09:43:20Z",)"
            R"("host_id":"h2","previous_verdict":"trusted","verdict":"untrusted",)"
            R"("findings":[],"reason":"ak_changed"})");
}

TEST(WebhookEventTest, DocumentsValidateAgainstSchema) {
  const std::string id = "ev-00112233445566778899aabbccddeeff";
  EXPECT_THAT(CheckSchema(EncodeWebhookEvent(VerdictEvent(), id)), IsEmpty());
  WebhookEvent first = VerdictEvent("");
  first.previous_verdict.clear();
  first.findings.clear();
  first.verdict = "trusted";
  EXPECT_THAT(CheckSchema(EncodeWebhookEvent(first, id)), IsEmpty());
  WebhookEvent identity;
  identity.type = "host.identity_changed";
  identity.host_id = "h2";
  identity.verdict = "untrusted";
  identity.reason = "ek_changed";
  EXPECT_THAT(CheckSchema(EncodeWebhookEvent(identity, id)), IsEmpty());
  // And the schema is not vacuous.
  WebhookEvent bad = VerdictEvent();
  bad.verdict = "fine";
  EXPECT_THAT(CheckSchema(EncodeWebhookEvent(bad, id)), Not(IsEmpty()));
  EXPECT_THAT(CheckSchema(EncodeWebhookEvent(VerdictEvent(), "ev-12")), Not(IsEmpty()));
}

TEST(WebhookEventTest, InvalidUtf8HostnameIsReplacedNotThrown) {
  std::string body = EncodeWebhookEvent(VerdictEvent("bad\xff\xfename"), "ev-1");
  EXPECT_THAT(body, HasSubstr("\"hostname\":\"bad\xef\xbf\xbd"));
}

TEST(WebhookSignatureTest, MatchesOpenSslHmacForKnownInput) {
  const std::string body = R"({"id":"ev-1","type":"host.verdict_changed"})";
  EXPECT_EQ(WebhookSignature(AsBytes(kSecret), kNow, body), ExpectedSignature(kSecret, kNow, body));
  // Pinned: the receiver recipe in docs/verifier-operations.md gives the same,
  //   printf '%s' '1764323000.{"id":"ev-1","type":"host.verdict_changed"}' |
  //     openssl dgst -sha256 -hmac '0123456789abcdef-webhook-secret' -r
  EXPECT_EQ(WebhookSignature(AsBytes(kSecret), kNow, body),
            "sha256=eb1b193c6830e8f2e5d1b8765c1da09039237d508415bb4af63e79b2db0614f3");
  EXPECT_NE(WebhookSignature(AsBytes(kSecret), kNow + 1, body),
            WebhookSignature(AsBytes(kSecret), kNow, body));
}

TEST(WebhookNotifierTest, SendsSignedRequestWithHeaders) {
  Harness h([](size_t, std::string_view) { return Answer(204); });
  auto notifier = MakeNotifier(h);
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(VerdictEvent());
  ASSERT_TRUE(notifier->Flush(milliseconds(5000)));
  std::vector<Sent> sent = h.client.sent();
  ASSERT_EQ(sent.size(), 1u);
  const http::Request& r = sent[0].request;
  EXPECT_EQ(sent[0].url, "https://hooks.example.org/vouch");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("x-vouch-event"), "host.verdict_changed");
  EXPECT_EQ(r.headers.at("x-vouch-timestamp"), std::to_string(kNow));
  EXPECT_EQ(r.headers.at("x-vouch-signature"), ExpectedSignature(kSecret, kNow, r.body));
  Json body = Json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object());
  EXPECT_EQ(body["id"], r.headers.at("x-vouch-delivery"));
  EXPECT_THAT(body["id"].get<std::string>(), ::testing::MatchesRegex("ev-[0-9a-f]{32}"));
  EXPECT_THAT(CheckSchema(r.body), IsEmpty());
  EXPECT_EQ(Counter(h.metrics, "delivered"), 1);
  EXPECT_EQ(Counter(h.metrics, "retried"), 0);
}

TEST(WebhookNotifierTest, EachEventGetsItsOwnIdSharedAcrossUrls) {
  Harness h([](size_t, std::string_view) { return Answer(200); });
  auto notifier = MakeNotifier(h, Options({"https://a.example/hook", "http://127.0.0.1:9/hook"}));
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(VerdictEvent());
  notifier->Notify(VerdictEvent());
  ASSERT_TRUE(notifier->Flush(milliseconds(5000)));
  std::vector<Sent> sent = h.client.sent();
  ASSERT_EQ(sent.size(), 4u);
  std::map<std::string, std::set<std::string>> urls_by_id;
  for (const Sent& s : sent) {
    urls_by_id[s.request.headers.at("x-vouch-delivery")].insert(s.url);
  }
  ASSERT_EQ(urls_by_id.size(), 2u);
  for (const auto& [id, urls] : urls_by_id) {
    EXPECT_EQ(urls.size(), 2u) << id;
  }
}

TEST(WebhookNotifierTest, RetriesWithBackoffOnServerAndNetworkErrors) {
  Harness h([](size_t i, std::string_view) -> Result<http::Response> {
    if (i == 0) {
      return Answer(500);
    }
    if (i == 1) {
      return UnavailableError("connect to hooks.example.org:443 refused");
    }
    if (i == 2) {
      return Answer(429);
    }
    return Answer(200);
  });
  auto notifier = MakeNotifier(h);
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(VerdictEvent());
  ASSERT_TRUE(notifier->Flush(milliseconds(5000)));
  std::vector<Sent> sent = h.client.sent();
  ASSERT_EQ(sent.size(), 4u);
  // 20 ms * 2^n with +-20 % jitter: >= 16, 32, 64 ms.
  EXPECT_GE(sent[1].when - sent[0].when, milliseconds(16));
  EXPECT_GE(sent[2].when - sent[1].when, milliseconds(32));
  EXPECT_GE(sent[3].when - sent[2].when, milliseconds(64));
  // Same event, same body each time; a fresh signature per attempt.
  for (const Sent& s : sent) {
    EXPECT_EQ(s.request.body, sent[0].request.body);
    EXPECT_EQ(s.request.headers.at("x-vouch-signature"),
              ExpectedSignature(kSecret, kNow, s.request.body));
  }
  EXPECT_EQ(Counter(h.metrics, "retried"), 3);
  EXPECT_EQ(Counter(h.metrics, "delivered"), 1);
  EXPECT_EQ(Counter(h.metrics, "dropped"), 0);
}

TEST(WebhookNotifierTest, BackoffIsCappedAtMaxBackoff) {
  Harness h([](size_t i, std::string_view) { return Answer(i < 3 ? 503 : 200); });
  WebhookOptions options = Options();
  options.initial_backoff = milliseconds(40);
  options.max_backoff = milliseconds(50);
  auto notifier = MakeNotifier(h, options);
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(VerdictEvent());
  ASSERT_TRUE(notifier->Flush(milliseconds(5000)));
  std::vector<Sent> sent = h.client.sent();
  ASSERT_EQ(sent.size(), 4u);
  // Uncapped the third wait would be 160 ms; capped it is 50 ms +- 20 %.
  EXPECT_LT(sent[3].when - sent[2].when, milliseconds(150));
}

TEST(WebhookNotifierTest, DoesNotRetryClientErrors) {
  Harness h([](size_t, std::string_view) { return Answer(400); });
  auto notifier = MakeNotifier(h);
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(VerdictEvent());
  ASSERT_TRUE(notifier->Flush(milliseconds(5000)));
  EXPECT_EQ(h.client.sent().size(), 1u);
  EXPECT_EQ(Counter(h.metrics, "dropped"), 1);
  EXPECT_EQ(Counter(h.metrics, "retried"), 0);
}

TEST(WebhookNotifierTest, DropsAfterMaxAttempts) {
  Harness h([](size_t, std::string_view) { return Answer(500); });
  WebhookOptions options = Options();
  options.max_attempts = 3;
  options.initial_backoff = milliseconds(5);
  auto notifier = MakeNotifier(h, options);
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(VerdictEvent());
  ASSERT_TRUE(notifier->Flush(milliseconds(5000)));
  EXPECT_EQ(h.client.sent().size(), 3u);
  EXPECT_EQ(Counter(h.metrics, "retried"), 2);
  EXPECT_EQ(Counter(h.metrics, "dropped"), 1);
  EXPECT_EQ(Counter(h.metrics, "delivered"), 0);
}

TEST(WebhookNotifierTest, FailuresAreLoggedWithUrlAndStatusButNoSecrets) {
  Harness h([](size_t, std::string_view) { return Answer(500); });
  WebhookOptions options = Options({"https://hooks.example.org/vouch?token=hunter2"});
  options.max_attempts = 2;
  options.initial_backoff = milliseconds(5);
  auto notifier = MakeNotifier(h, options);
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(VerdictEvent());
  ASSERT_TRUE(notifier->Flush(milliseconds(5000)));
  std::vector<Sent> sent = h.client.sent();
  ASSERT_EQ(sent.size(), 2u);
  std::string signature = sent[0].request.headers.at("x-vouch-signature").substr(7);
  std::vector<std::string> warnings;
  for (const std::string& line : h.logger.Lines()) {
    EXPECT_THAT(line, Not(HasSubstr(kSecret)));
    EXPECT_THAT(line, Not(HasSubstr(HexEncode(AsBytes(kSecret)))));
    EXPECT_THAT(line, Not(HasSubstr(signature)));
    EXPECT_THAT(line, Not(HasSubstr("hunter2")));
    if (line.rfind("warning ", 0) == 0) {
      warnings.push_back(line);
    }
  }
  ASSERT_EQ(warnings.size(), 2u);  // the retry, then the drop
  for (const std::string& w : warnings) {
    EXPECT_THAT(w, AllOf(HasSubstr("https://hooks.example.org/vouch"), HasSubstr("HTTP 500")));
  }
}

TEST(WebhookNotifierTest, QueueOverflowDropsOldest) {
  Gate gate;
  Harness h([&gate](size_t i, std::string_view) {
    if (i == 0) {
      gate.Wait();  // hold the worker inside the first delivery
    }
    return Answer(200);
  });
  WebhookOptions options = Options();
  options.max_queue = 2;
  auto notifier = MakeNotifier(h, options);
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(VerdictEvent("e0"));
  ASSERT_TRUE(h.client.WaitForSent(1));
  notifier->Notify(VerdictEvent("e1"));
  notifier->Notify(VerdictEvent("e2"));
  notifier->Notify(VerdictEvent("e3"));  // queue holds e1, e2: e1 goes
  EXPECT_FALSE(notifier->Flush(milliseconds(50)));
  EXPECT_EQ(Counter(h.metrics, "dropped"), 1);
  gate.Open();
  ASSERT_TRUE(notifier->Flush(milliseconds(5000)));
  std::vector<std::string> hostnames;
  for (const Sent& s : h.client.sent()) {
    hostnames.push_back(Json::parse(s.request.body)["hostname"]);
  }
  EXPECT_THAT(hostnames, ::testing::ElementsAre("e0", "e2", "e3"));
  EXPECT_EQ(Counter(h.metrics, "delivered"), 3);
}

TEST(WebhookNotifierTest, EventsToOneUrlStayInOrderAcrossRetries) {
  Harness h([](size_t i, std::string_view) { return Answer(i < 2 ? 502 : 200); });
  auto notifier = MakeNotifier(h);
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(VerdictEvent("first"));
  notifier->Notify(VerdictEvent("second"));
  ASSERT_TRUE(notifier->Flush(milliseconds(5000)));
  std::vector<std::string> hostnames;
  for (const Sent& s : h.client.sent()) {
    hostnames.push_back(Json::parse(s.request.body)["hostname"]);
  }
  EXPECT_THAT(hostnames, ::testing::ElementsAre("first", "first", "first", "second"));
}

TEST(WebhookNotifierTest, DeadReceiverDoesNotDelayOtherUrls) {
  Harness h([](size_t, std::string_view url) {
    return Answer(url.find("dead") != std::string_view::npos ? 500 : 200);
  });
  WebhookOptions options = Options({"https://dead.example/hook", "https://live.example/hook"});
  options.initial_backoff = milliseconds(60000);
  options.max_backoff = milliseconds(60000);
  auto notifier = MakeNotifier(h, options);
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(VerdictEvent("one"));
  notifier->Notify(VerdictEvent("two"));
  ASSERT_TRUE(h.client.WaitForSent(3));  // dead once, live twice
  auto started = std::chrono::steady_clock::now();
  notifier->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(1000));
  size_t live = 0;
  for (const Sent& s : h.client.sent()) {
    live += s.url.find("live") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(live, 2u);
  EXPECT_EQ(Counter(h.metrics, "delivered"), 2);
  EXPECT_EQ(Counter(h.metrics, "dropped"), 2);  // both events for the dead URL
}

TEST(WebhookNotifierTest, StopInterruptsLongBackoffQuickly) {
  Harness h([](size_t, std::string_view) { return Answer(503); });
  WebhookOptions options = Options();
  options.initial_backoff = milliseconds(300000);
  options.max_backoff = milliseconds(300000);
  auto notifier = MakeNotifier(h, options);
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(VerdictEvent());
  ASSERT_TRUE(h.client.WaitForSent(1));
  ASSERT_FALSE(notifier->Flush(milliseconds(20)));  // waiting in the backoff
  auto started = std::chrono::steady_clock::now();
  notifier->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(500));
  EXPECT_EQ(h.client.sent().size(), 1u);
  EXPECT_EQ(Counter(h.metrics, "retried"), 1);
  EXPECT_EQ(Counter(h.metrics, "dropped"), 1);
  EXPECT_TRUE(notifier->Flush(milliseconds(0)));
  // After Stop, events are dropped at once (and counted).
  notifier->Notify(VerdictEvent());
  EXPECT_EQ(Counter(h.metrics, "dropped"), 2);
  EXPECT_EQ(h.client.sent().size(), 1u);
}

TEST(WebhookNotifierTest, FlushTimesOutWhileDeliveryIsStuck) {
  Gate gate;
  Harness h([&gate](size_t, std::string_view) {
    gate.Wait();
    return Answer(200);
  });
  auto notifier = MakeNotifier(h);
  ASSERT_NE(notifier, nullptr);
  EXPECT_TRUE(notifier->Flush(milliseconds(0)));
  notifier->Notify(VerdictEvent());
  ASSERT_TRUE(h.client.WaitForSent(1));
  auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(notifier->Flush(milliseconds(100)));
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(100));
  gate.Open();
  EXPECT_TRUE(notifier->Flush(milliseconds(5000)));
}

TEST(WebhookNotifierTest, WithoutUrlsNotifyIsANoOp) {
  Harness h([](size_t, std::string_view) { return Answer(200); });
  WebhookOptions options;  // no URLs, no secret: allowed
  auto notifier = MakeNotifier(h, options);
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(VerdictEvent());
  EXPECT_TRUE(notifier->Flush(milliseconds(0)));
  EXPECT_TRUE(h.client.sent().empty());
}

TEST(WebhookNotifierTest, CreateValidatesUrlsAndSecret) {
  Harness h([](size_t, std::string_view) { return Answer(200); });
  for (const char* good : {"https://hooks.example.org/vouch", "HTTPS://h.example:8443",
                           "http://127.0.0.1:8080/x", "http://127.1.2.3/x", "http://localhost:9/",
                           "http://[::1]:9/hook", "https://[2001:db8::1]/x"}) {
    EXPECT_TRUE(
        WebhookNotifier::Create(Options({good}), h.client, h.clock, h.logger, nullptr).has_value())
        << good;
  }
  for (const char* bad :
       {"ftp://hooks.example.org/", "http://hooks.example.org/vouch", "http://10.0.0.1/x",
        "http://127.0.0.1.evil.example/", "http://128.0.0.1/", "http://127.0.0/",
        "https://user:pw@hooks.example.org/", "https:///path", "https://h.example:0/",
        "https://h.example:65536/", "https://h.example:/", "https://h.example/a b",
        "hooks.example.org/vouch", "", "http://[::1/"}) {
    EXPECT_THAT(WebhookNotifier::Create(Options({bad}), h.client, h.clock, h.logger, nullptr),
                StatusIs(Code::kInvalidArgument))
        << bad;
  }
  WebhookOptions short_secret = Options();
  short_secret.secret = ToBytes(std::string_view("0123456789abcde"));  // 15 bytes
  EXPECT_THAT(WebhookNotifier::Create(short_secret, h.client, h.clock, h.logger, nullptr),
              StatusIs(Code::kInvalidArgument, HasSubstr("16 bytes")));
  WebhookOptions no_attempts = Options();
  no_attempts.max_attempts = 0;
  EXPECT_THAT(WebhookNotifier::Create(no_attempts, h.client, h.clock, h.logger, nullptr),
              StatusIs(Code::kInvalidArgument));
  WebhookOptions backwards = Options();
  backwards.max_backoff = milliseconds(1);
  EXPECT_THAT(WebhookNotifier::Create(backwards, h.client, h.clock, h.logger, nullptr),
              StatusIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace vouch::verifier
