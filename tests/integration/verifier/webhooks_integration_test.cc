// Webhooks over real HTTP on loopback: the verifier's notifier with the
// cpprestsdk client against a cpprestsdk receiver that checks the signature
// the way docs/verifier-operations.md tells receivers to (HMAC over
// timestamp "." raw body, constant-time compare, replay window).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/http/cpprest_http.h"
#include "tests/testing/status_matchers.h"
#include "verifier/notify/webhooks.h"

namespace vouch::verifier {
namespace {

using std::chrono::milliseconds;

const char kSecret[] = "integration-secret-0123456789";

// What a receiver does: recompute the MAC over the raw bytes it got and
// compare in constant time; refuse timestamps more than 5 minutes off.
bool SignatureValid(std::string_view secret, const http::Request& request) {
  std::string timestamp(request.Header("x-vouch-timestamp"));
  std::string signature(request.Header("x-vouch-signature"));
  if (timestamp.empty() || timestamp.size() > 19 || signature.rfind("sha256=", 0) != 0) {
    return false;
  }
  int64_t ts = std::stoll(timestamp);
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  if (ts < now - 300 || ts > now + 300) {
    return false;
  }
  std::string message = timestamp + "." + request.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len);
  std::string hex;
  static const char kDigits[] = "0123456789abcdef";
  for (unsigned int i = 0; i < mac_len; ++i) {
    hex += kDigits[mac[i] >> 4];
    hex += kDigits[mac[i] & 0xf];
  }
  std::string got = signature.substr(7);
  return got.size() == hex.size() && CRYPTO_memcmp(got.data(), hex.data(), hex.size()) == 0;
}

struct Received {
  http::Request request;
  bool signature_valid = false;
};

// A loopback receiver answering 503 to the first `failures` requests, then
// 200 (or 401 when the signature is wrong).
class Receiver {
 public:
  explicit Receiver(int failures) : failures_(failures) {
    http::ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    Result<std::unique_ptr<http::HttpServer>> server = http::StartCpprestServer(
        options, [this](const http::Request& r) { return Handle(r); }, logger_);
    EXPECT_TRUE(server.has_value()) << server.status().ToString();
    if (server.has_value()) {
      server_ = std::move(server).value();
    }
  }
  ~Receiver() {
    if (server_ != nullptr) {
      server_->Stop();
    }
  }
  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(server_->BoundPort()) + "/hooks/vouch";
  }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  http::Response Handle(const http::Request& request) {
    Received r{request, SignatureValid(kSecret, request)};
    std::lock_guard<std::mutex> lock(mu_);
    received_.push_back(r);
    http::Response response;
    if (static_cast<int>(received_.size()) <= failures_) {
      response.status = 503;
    } else {
      response.status = r.signature_valid ? 200 : 401;
    }
    response.body = "{}";
    return response;
  }

  int failures_;
  NullLogger logger_;
  std::unique_ptr<http::HttpServer> server_;
  std::mutex mu_;
  std::vector<Received> received_;
};

WebhookEvent Event() {
  WebhookEvent e;
  e.type = "host.verdict_changed";
  e.host_id = "host-7";
  e.hostname = "node-7";
  e.previous_verdict = "trusted";
  e.verdict = "untrusted";
  e.report_id = 9;
  e.findings = {"log.replay_mismatch"};
  e.at = std::chrono::system_clock::now();
  return e;
}

WebhookOptions Options(std::string url, std::string_view secret = kSecret) {
  WebhookOptions o;
  o.urls = {std::move(url)};
  o.secret = ToBytes(secret);
  o.max_attempts = 4;
  o.initial_backoff = milliseconds(50);
  o.max_backoff = milliseconds(200);
  return o;
}

double Counter(const Metrics& metrics, const std::string& result) {
  std::string text = metrics.RenderPrometheus(nullptr);
  std::string series = "vouch_webhook_deliveries_total{result=\"" + result + "\"} ";
  size_t at = text.find(series);
  return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size()));
}

class WebhooksIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http::ClientOptions options;
    options.timeout = milliseconds(3000);
    Result<std::unique_ptr<http::HttpClient>> client = http::MakeCpprestClient(options);
    ASSERT_TRUE(client.has_value()) << client.status().ToString();
    client_ = std::move(client).value();
  }

  std::unique_ptr<WebhookNotifier> Make(WebhookOptions options) {
    Result<std::unique_ptr<WebhookNotifier>> n =
        WebhookNotifier::Create(std::move(options), *client_, clock_, logger_, &metrics_);
    EXPECT_TRUE(n.has_value()) << n.status().ToString();
    return n.has_value() ? std::move(n).value() : nullptr;
  }

  std::unique_ptr<http::HttpClient> client_;
  SystemClock clock_;
  NullLogger logger_;
  Metrics metrics_;
};

TEST_F(WebhooksIntegrationTest, DeliversSignedEventThatReceiverVerifies) {
  Receiver receiver(/*failures=*/0);
  auto notifier = Make(Options(receiver.Url()));
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(Event());
  ASSERT_TRUE(notifier->Flush(milliseconds(10000)));
  std::vector<Received> got = receiver.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].signature_valid);
  const http::Request& r = got[0].request;
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/hooks/vouch");
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("x-vouch-event"), "host.verdict_changed");
  nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object());
  EXPECT_EQ(body["id"], std::string(r.Header("x-vouch-delivery")));
  EXPECT_EQ(body["host_id"], "host-7");
  EXPECT_EQ(body["findings"], nlohmann::json::array({"log.replay_mismatch"}));
  EXPECT_EQ(Counter(metrics_, "delivered"), 1);
}

TEST_F(WebhooksIntegrationTest, DeliveredOnThirdAttemptAfterTwo503s) {
  Receiver receiver(/*failures=*/2);
  auto notifier = Make(Options(receiver.Url()));
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(Event());
  ASSERT_TRUE(notifier->Flush(milliseconds(10000)));
  std::vector<Received> got = receiver.received();
  ASSERT_EQ(got.size(), 3u);
  for (const Received& r : got) {
    EXPECT_TRUE(r.signature_valid);
    EXPECT_EQ(r.request.body, got[0].request.body);
    EXPECT_EQ(r.request.Header("x-vouch-delivery"), got[0].request.Header("x-vouch-delivery"));
  }
  EXPECT_EQ(Counter(metrics_, "retried"), 2);
  EXPECT_EQ(Counter(metrics_, "delivered"), 1);
  EXPECT_EQ(Counter(metrics_, "dropped"), 0);
}

TEST_F(WebhooksIntegrationTest, ReceiverRefusingWrongSecretIsNotRetried) {
  Receiver receiver(/*failures=*/0);
  auto notifier = Make(Options(receiver.Url(), "a-different-secret-0123"));
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(Event());
  ASSERT_TRUE(notifier->Flush(milliseconds(10000)));
  std::vector<Received> got = receiver.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].signature_valid);
  EXPECT_EQ(Counter(metrics_, "dropped"), 1);
}

TEST_F(WebhooksIntegrationTest, UnreachableReceiverIsRetriedThenDropped) {
  // A port that was free a moment ago: connection refused (Unavailable).
  std::string url;
  {
    Receiver gone(0);
    url = gone.Url();
  }
  WebhookOptions options = Options(url);
  options.max_attempts = 3;
  auto notifier = Make(options);
  ASSERT_NE(notifier, nullptr);
  notifier->Notify(Event());
  ASSERT_TRUE(notifier->Flush(milliseconds(15000)));
  EXPECT_EQ(Counter(metrics_, "retried"), 2);
  EXPECT_EQ(Counter(metrics_, "dropped"), 1);
}

}  // namespace
}  // namespace vouch::verifier
