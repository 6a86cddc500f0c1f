// Unit tests of vouch::verifier_poller with an in-memory store, a scripted
// HTTP client and hooks that record what they receive. No network, no TPM.
// The scheduling tests run on real time with the 1 s minimum interval, so
// each takes up to about a second.
#include "verifier/poller/poller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/base/bytes.h"
#include "core/protocol/enrollment.h"
#include "tests/testing/prometheus.h"
#include "tests/testing/recording_logger.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/verifier/poller_fake_store.h"

namespace vouch::verifier {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;
using ::testing::HasSubstr;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

// Records every request and answers through `answer` (default: 200 with a
// body naming the URL); counts requests running at the same time.
class FakeClient final : public http::HttpClient {
 public:
  struct Call {
    std::string url;
    http::Request request;
    Steady::time_point at;
  };
  std::function<Result<http::Response>(const std::string& url)> answer;

  Result<http::Response> Send(std::string_view url, const http::Request& request) override {
    const int now = ++in_flight_;
    int seen = max_in_flight_.load();
    while (now > seen && !max_in_flight_.compare_exchange_weak(seen, now)) {
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(Call{std::string(url), request, Steady::now()});
    }
    Result<http::Response> r =
        answer
            ? answer(std::string(url))
            : Result<http::Response>(http::Response{200, {}, "evidence from " + std::string(url)});
    --in_flight_;
    return r;
  }

  std::vector<Call> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  int in_flight() const { return in_flight_.load(); }
  int max_in_flight() const { return max_in_flight_.load(); }

 private:
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
  std::mutex mu_;
  std::vector<Call> calls_;
};

// Hands out counter nonces (16 bytes, distinct) and records submissions.
class FakeHooks {
 public:
  PollerHooks Hooks() {
    PollerHooks h;
    h.issue_nonce = [this](const std::string& host_id) -> Result<Bytes> {
      std::lock_guard<std::mutex> lock(mu_);
      Bytes nonce(16, 0);
      const uint64_t n = ++counter_;
      for (int i = 0; i < 8; ++i) {
        nonce[15 - i] = static_cast<uint8_t>(n >> (8 * i));
      }
      issued_[host_id].push_back(nonce);
      return nonce;
    };
    h.submit_evidence = [this](const std::string& host_id,
                               std::string_view evidence) -> Result<std::string> {
      std::lock_guard<std::mutex> lock(mu_);
      if (refuse_.count(host_id) != 0) {
        return InvalidArgumentError("evidence: quote: bad signature");
      }
      submitted_.emplace_back(host_id, std::string(evidence));
      return std::string("trusted");
    };
    return h;
  }
  void Refuse(const std::string& host_id) {
    std::lock_guard<std::mutex> lock(mu_);
    refuse_.insert(host_id);
  }
  std::map<std::string, std::vector<Bytes>> issued() {
    std::lock_guard<std::mutex> lock(mu_);
    return issued_;
  }
  std::vector<std::pair<std::string, std::string>> submitted() {
    std::lock_guard<std::mutex> lock(mu_);
    return submitted_;
  }

 private:
  std::mutex mu_;
  uint64_t counter_ = 0;
  std::map<std::string, std::vector<Bytes>> issued_;
  std::vector<std::pair<std::string, std::string>> submitted_;
  std::set<std::string> refuse_;
};

// Deterministic: each Fill returns the next queued 64-bit value (big
// endian), then zeros. A value v gives the jitter fraction (v >> 11) / 2^53.
class ScriptedRandom final : public crypto::RandomSource {
 public:
  void Set(std::deque<uint64_t> values) {
    std::lock_guard<std::mutex> lock(mu_);
    values_ = std::move(values);
  }
  Status Fill(std::span<uint8_t> out) override {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t v = 0;
    if (!values_.empty()) {
      v = values_.front();
      values_.pop_front();
    }
    std::fill(out.begin(), out.end(), 0);
    for (size_t i = 0; i < out.size() && i < 8; ++i) {
      out[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
    }
    return Status::Ok();
  }

 private:
  std::mutex mu_;
  std::deque<uint64_t> values_;
};

// The 64-bit value whose jitter fraction is `fraction` (in [0, 1)).
uint64_t FractionBits(double fraction) { return static_cast<uint64_t>(fraction * 0x1.0p53) << 11; }

// Waits (bounded) for `done` to hold; true when it did.
bool WaitFor(const std::function<bool()>& done, milliseconds limit = milliseconds(5000)) {
  const Steady::time_point end = Steady::now() + limit;
  while (!done()) {
    if (Steady::now() > end) {
      return false;
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

class PollerTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<Poller>> Make(PollerOptions options) {
    return Poller::Create(store_, client_, hooks_.Hooks(), std::move(options), clock_, random_,
                          logger_, &metrics_);
  }
  std::string Metric(const std::string& result) {
    return ::vouch::testing::PrometheusSample(metrics_.RenderPrometheus(nullptr),
                                              "vouch_polls_total{result=\"" + result + "\"}");
  }

  testing::PollerFakeStore store_;
  FakeClient client_;
  FakeHooks hooks_;
  SystemClock clock_;
  ScriptedRandom random_;
  ::vouch::testing::RecordingLogger logger_;
  Metrics metrics_;
};

TEST_F(PollerTest, CreateRejectsBadOptions) {
  auto with = [](const std::function<void(PollerOptions&)>& change) {
    PollerOptions o;
    change(o);
    return o;
  };
  const std::vector<std::pair<std::string, PollerOptions>> bad = {
      {"interval", with([](PollerOptions& o) { o.interval = milliseconds(999); })},
      {"interval", with([](PollerOptions& o) { o.interval = milliseconds(-1); })},
      {"jitter", with([](PollerOptions& o) { o.jitter = -0.01; })},
      {"jitter", with([](PollerOptions& o) { o.jitter = 1.01; })},
      {"jitter", with([](PollerOptions& o) { o.jitter = std::nan(""); })},
      {"jitter",
       with([](PollerOptions& o) { o.jitter = std::numeric_limits<double>::infinity(); })},
      {"max_in_flight", with([](PollerOptions& o) { o.max_in_flight = 0; })},
      {"max_in_flight", with([](PollerOptions& o) { o.max_in_flight = 1025; })},
      {"scan_interval", with([](PollerOptions& o) { o.scan_interval = milliseconds(0); })},
      {"pcrs", with([](PollerOptions& o) {
         o.pcrs = {0, 24};
       })},
  };
  for (const auto& [name, options] : bad) {
    SCOPED_TRACE(name);
    EXPECT_THAT(Make(options), StatusIs(Code::kInvalidArgument, HasSubstr(name)));
  }

  PollerHooks no_submit = hooks_.Hooks();
  no_submit.submit_evidence = nullptr;
  EXPECT_THAT(Poller::Create(store_, client_, no_submit, PollerOptions{}, clock_, random_, logger_,
                             nullptr),
              StatusIs(Code::kInvalidArgument, HasSubstr("hooks")));

  // The bounds themselves are accepted.
  PollerOptions edge;
  edge.interval = milliseconds(1000);
  edge.jitter = 1.0;
  edge.max_in_flight = 1024;
  edge.pcrs = {23, 0, 7, 7};
  EXPECT_THAT(Make(edge), IsOk());
  edge.jitter = 0.0;
  edge.max_in_flight = 1;
  EXPECT_THAT(Make(edge), IsOk());
}

TEST_F(PollerTest, PollAllOncePollsEachHostWithUrlOnceWithFreshNonce) {
  // 2,500 hosts (three store pages), every other one with an agent URL; some
  // URLs end in '/'.
  std::set<std::string> pulled;
  for (int i = 0; i < 2500; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "host-%04d", i);
    if (i % 2 == 0) {
      store_.SetHost(id, "https://" + std::string(id) + ":9443" + (i % 4 == 0 ? "/" : ""));
      pulled.insert(id);
    } else {
      store_.SetHost(id, "");
    }
  }
  PollerOptions options;
  options.max_in_flight = 8;
  options.pcrs = {7, 0, 7};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Poller> poller, Make(options));
  ASSERT_OK_AND_ASSIGN(size_t reports, poller->PollAllOnce());
  EXPECT_EQ(reports, pulled.size());
  EXPECT_EQ(store_.list_calls(), 3u);

  const std::vector<FakeClient::Call> calls = client_.calls();
  ASSERT_EQ(calls.size(), pulled.size());
  std::map<std::string, std::vector<Bytes>> issued = hooks_.issued();
  std::set<Bytes> nonces;
  std::set<std::string> polled;
  for (const FakeClient::Call& call : calls) {
    EXPECT_EQ(call.request.method, "POST");
    EXPECT_EQ(call.request.Header("content-type"), "application/json");
    // https://host-0000:9443/v1/evidence -> host-0000
    const std::string host = call.url.substr(8, call.url.find(':', 8) - 8);
    EXPECT_EQ(call.url, "https://" + host + ":9443/v1/evidence");
    polled.insert(host);
    ASSERT_OK_AND_ASSIGN(protocol::EvidenceRequest request,
                         protocol::DecodeEvidenceRequest(call.request.body));
    EXPECT_EQ(request.pcrs, (std::vector<uint32_t>{0, 7}));
    ASSERT_EQ(issued[host].size(), 1u) << host;
    EXPECT_EQ(request.nonce, issued[host][0]);
    nonces.insert(request.nonce);
  }
  EXPECT_EQ(polled, pulled);
  EXPECT_EQ(nonces.size(), pulled.size());  // a fresh nonce each
  EXPECT_EQ(issued.size(), pulled.size());  // none for hosts without a URL

  // The agent's body reaches the submission path untouched.
  const auto submitted = hooks_.submitted();
  ASSERT_EQ(submitted.size(), pulled.size());
  for (const auto& [host, body] : submitted) {
    EXPECT_EQ(body, "evidence from https://" + host + ":9443/v1/evidence");
  }
  EXPECT_EQ(Metric("ok"), std::to_string(pulled.size()));
  EXPECT_EQ(Metric("failed"), "0");
  EXPECT_LE(client_.max_in_flight(), 8);
}

TEST_F(PollerTest, PollAllOnceNeverExceedsMaxInFlight) {
  for (int i = 0; i < 24; ++i) {
    store_.SetHost("h" + std::to_string(i), "http://127.0.0.1:1");
  }
  client_.answer = [](const std::string&) -> Result<http::Response> {
    std::this_thread::sleep_for(milliseconds(15));
    return http::Response{200, {}, "{}"};
  };
  PollerOptions options;
  options.max_in_flight = 3;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Poller> poller, Make(options));
  ASSERT_OK_AND_ASSIGN(size_t reports, poller->PollAllOnce());
  EXPECT_EQ(reports, 24u);
  EXPECT_EQ(client_.max_in_flight(), 3);  // bounded, and the bound is used
}

TEST_F(PollerTest, ScheduledPollsNeverExceedMaxInFlight) {
  for (int i = 0; i < 12; ++i) {
    store_.SetHost("h" + std::to_string(i), "http://127.0.0.1:1");
  }
  client_.answer = [](const std::string&) -> Result<http::Response> {
    std::this_thread::sleep_for(milliseconds(30));
    return http::Response{200, {}, "{}"};
  };
  PollerOptions options;
  options.interval = milliseconds(1000);
  options.jitter = 0.0;  // every host due at once: the pool is the only limit
  options.max_in_flight = 2;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Poller> poller, Make(options));
  poller->Start();
  EXPECT_TRUE(WaitFor([&] { return hooks_.submitted().size() >= 12; }));
  poller->Stop();
  EXPECT_EQ(client_.max_in_flight(), 2);
  // Each host once in the first round (the second is a second away).
  std::map<std::string, int> per_host;
  for (const auto& [host, body] : hooks_.submitted()) {
    ++per_host[host];
  }
  EXPECT_EQ(per_host.size(), 12u);
  for (const auto& [host, n] : per_host) {
    EXPECT_EQ(n, 1) << host;
  }
}

TEST_F(PollerTest, JitterSpreadsFirstPollsWithinJitterTimesInterval) {
  // Four hosts; draws in host id order: 0, 0.25, 0.5, 0.75 of interval*jitter
  // (binary fractions, so the milliseconds are exact).
  random_.Set({FractionBits(0.0), FractionBits(0.25), FractionBits(0.5), FractionBits(0.75)});
  for (const char* id : {"a", "b", "c", "d"}) {
    store_.SetHost(id, std::string("http://") + id);
  }
  PollerOptions options;
  options.interval = milliseconds(1000);
  options.jitter = 1.0;
  options.max_in_flight = 4;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Poller> poller, Make(options));
  const Steady::time_point start = Steady::now();
  poller->Start();
  ASSERT_TRUE(WaitFor([&] { return client_.calls().size() >= 4; }));
  poller->Stop();

  std::map<std::string, milliseconds> first;
  for (const FakeClient::Call& call : client_.calls()) {
    first.try_emplace(call.url.substr(7, 1),
                      std::chrono::duration_cast<milliseconds>(call.at - start));
  }
  ASSERT_EQ(first.size(), 4u);
  const std::map<std::string, int> expected = {{"a", 0}, {"b", 250}, {"c", 500}, {"d", 750}};
  for (const auto& [host, at] : first) {
    SCOPED_TRACE(host);
    EXPECT_GE(at.count(), expected.at(host));
    EXPECT_LT(at.count(), expected.at(host) + 150);  // scheduling slack
    EXPECT_LT(at.count(), 1000);                     // within [0, jitter * interval)
  }
}

TEST_F(PollerTest, RepollsAfterIntervalAndFollowsStoreChanges) {
  store_.SetHost("a", "http://a");
  store_.SetHost("b", "");
  PollerOptions options;
  options.interval = milliseconds(1000);
  options.jitter = 0.0;
  options.scan_interval = milliseconds(20);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Poller> poller, Make(options));
  poller->Start();
  ASSERT_TRUE(WaitFor([&] { return client_.calls().size() == 1; }));
  // b gets a URL: picked up by the next scan, polled at once (no jitter).
  store_.SetHost("b", "http://b");
  ASSERT_TRUE(WaitFor([&] { return hooks_.issued().count("b") == 1; }, milliseconds(500)));
  // a's URL is cleared: no second round for a; b's second round comes
  // about one interval after its first.
  store_.SetHost("a", "");
  ASSERT_TRUE(WaitFor([&] { return hooks_.issued()["b"].size() == 2; }, milliseconds(2000)));
  poller->Stop();
  EXPECT_EQ(hooks_.issued()["a"].size(), 1u);
  std::vector<Steady::time_point> b_polls;
  for (const FakeClient::Call& call : client_.calls()) {
    if (call.url == "http://b/v1/evidence") {
      b_polls.push_back(call.at);
    }
  }
  ASSERT_EQ(b_polls.size(), 2u);
  const auto gap = std::chrono::duration_cast<milliseconds>(b_polls[1] - b_polls[0]);
  EXPECT_GE(gap.count(), 1000);
  EXPECT_LT(gap.count(), 1250);  // scheduling slack
}

TEST_F(PollerTest, FailuresAreLoggedAndCountedWithoutReports) {
  store_.SetHost("down", "http://down:9443");
  store_.SetHost("busy", "http://busy:9443");
  store_.SetHost("liar", "http://liar:9443");
  store_.SetHost("fine", "http://fine:9443");
  store_.SetHost("secret", "https://user:pa55word@secret:9443/");
  hooks_.Refuse("liar");
  client_.answer = [](const std::string& url) -> Result<http::Response> {
    if (url.find("down") != std::string::npos || url.find("secret") != std::string::npos) {
      return UnavailableError("connection refused");
    }
    if (url.find("busy") != std::string::npos) {
      return http::Response{503, {}, R"({"error":{"code":"unavailable","message":"TPM busy"}})"};
    }
    return http::Response{200, {}, "{}"};
  };
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Poller> poller, Make(PollerOptions{}));
  ASSERT_OK_AND_ASSIGN(size_t reports, poller->PollAllOnce());
  EXPECT_EQ(reports, 1u);
  EXPECT_EQ(Metric("ok"), "1");
  EXPECT_EQ(Metric("failed"), "4");
  const auto submitted = hooks_.submitted();
  ASSERT_EQ(submitted.size(), 1u);
  EXPECT_EQ(submitted[0].first, "fine");

  const std::vector<std::string> warnings = logger_.Warnings();
  ASSERT_EQ(warnings.size(), 4u);
  auto find = [&](const std::string& host) {
    for (const std::string& w : warnings) {
      if (w.find("host " + host + " ") != std::string::npos) {
        return w;
      }
    }
    return std::string();
  };
  EXPECT_THAT(find("down"), HasSubstr("http://down:9443/v1/evidence"));
  EXPECT_THAT(find("down"), HasSubstr("unavailable: connection refused"));
  EXPECT_THAT(find("busy"), HasSubstr("HTTP 503"));
  EXPECT_THAT(find("busy"), HasSubstr("TPM busy"));
  EXPECT_THAT(find("liar"), HasSubstr("bad signature"));
  // Credentials in an agent URL stay out of the log.
  EXPECT_THAT(find("secret"), HasSubstr("(https://***@secret:9443/v1/evidence)"));
  EXPECT_THAT(find("secret"), ::testing::Not(HasSubstr("pa55word")));
}

TEST_F(PollerTest, PollAllOnceReturnsStoreErrors) {
  store_.SetHost("a", "http://a");
  store_.FailListing(true);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Poller> poller, Make(PollerOptions{}));
  EXPECT_THAT(poller->PollAllOnce(), StatusIs(Code::kUnavailable, HasSubstr("list hosts")));
  EXPECT_TRUE(client_.calls().empty());
  EXPECT_THAT(metrics_.RenderPrometheus(nullptr), HasSubstr("vouch_store_errors_total 1"));
}

TEST_F(PollerTest, StopIsPromptWhileRequestsAreBlocked) {
  for (int i = 0; i < 6; ++i) {
    store_.SetHost("h" + std::to_string(i), "http://h" + std::to_string(i));
  }
  // Requests hang until released or until their 400 ms "timeout", like an
  // agent that accepted the connection and never answered.
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  client_.answer = [&](const std::string&) -> Result<http::Response> {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, milliseconds(400), [&] { return released; })) {
      return UnavailableError("timed out");
    }
    return http::Response{200, {}, "{}"};
  };
  PollerOptions options;
  options.interval = milliseconds(60000);
  options.jitter = 0.0;
  options.max_in_flight = 2;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Poller> poller, Make(options));
  poller->Start();
  ASSERT_TRUE(WaitFor([&] { return client_.in_flight() == 2; }));

  const Steady::time_point before = Steady::now();
  poller->Stop();
  const auto took = std::chrono::duration_cast<milliseconds>(Steady::now() - before);
  EXPECT_LT(took.count(), 1000);
  // The four hosts waiting for a slot were dropped, not polled.
  EXPECT_EQ(client_.calls().size(), 2u);
  EXPECT_EQ(client_.in_flight(), 0);
  EXPECT_EQ(Metric("failed"), "2");
  {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
  }
  poller->Stop();   // idempotent
  poller->Start();  // no restart after Stop
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(client_.calls().size(), 2u);
}

TEST_F(PollerTest, StopIsPromptWhenIdleAndWithoutStart) {
  store_.SetHost("a", "http://a");
  PollerOptions options;
  options.interval = milliseconds(3600 * 1000);
  options.scan_interval = milliseconds(3600 * 1000);
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Poller> never_started, Make(options));
    never_started->Stop();
  }  // destructor after Stop
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Poller> poller, Make(options));
  poller->Start();
  ASSERT_TRUE(WaitFor([&] { return client_.calls().size() == 1; }));
  const Steady::time_point before = Steady::now();
  poller.reset();  // the destructor stops
  EXPECT_LT(std::chrono::duration_cast<milliseconds>(Steady::now() - before).count(), 100);
}

}  // namespace
}  // namespace vouch::verifier
