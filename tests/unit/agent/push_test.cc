// PushClient against a scripted in-memory verifier: the challenge/evidence
// exchange, refusals, backoff, and submission on PCR change.
#include "agent/push.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/protocol/enrollment.h"
#include "core/protocol/evidence.h"
#include "tests/testing/status_matchers.h"

namespace vouch::agent {
namespace {

using ::testing::HasSubstr;
using ::vouch::testing::StatusIs;

class ScriptedVerifier final : public http::HttpClient {
 public:
  Result<http::Response> Send(std::string_view url, const http::Request& request) override {
    std::lock_guard<std::mutex> lock(mu);
    urls.emplace_back(url);
    if (!down.empty() && down.front()) {
      down.pop_front();
      return Status(Code::kUnavailable, "connection refused");
    }
    if (!down.empty()) down.pop_front();
    if (url.ends_with("/challenges")) {
      if (challenge_status != 201)
        return http::ErrorResponse(challenge_status, "not_found", "no such host");
      protocol::Challenge c;
      c.nonce = Bytes(16, static_cast<uint8_t>(++nonce_counter));
      c.expires_at = "2030-01-01T00:00:00Z";
      last_nonce = c.nonce;
      return http::JsonResponse(*protocol::EncodeChallenge(c), 201);
    }
    if (url.ends_with("/evidence")) {
      Result<protocol::Evidence> e = protocol::DecodeEvidence(request.body);
      if (!e.has_value() || e->nonce != last_nonce) {
        return http::ErrorResponse(400, "invalid_argument", "bad evidence");
      }
      ++accepted;
      return http::JsonResponse(R"({"verdict":"trusted"})");
    }
    return http::ErrorResponse(404, "not_found", "unexpected URL");
  }
  std::mutex mu;
  std::vector<std::string> urls;
  std::deque<bool> down;  // per call: true = unreachable
  int challenge_status = 201;
  int nonce_counter = 0;
  Bytes last_nonce;
  int accepted = 0;
};

class FakeEvidence final : public EvidenceService {
 public:
  Result<protocol::Evidence> Collect(ByteView nonce, const std::vector<uint32_t>&) override {
    std::lock_guard<std::mutex> lock(mu);
    protocol::Evidence e;
    e.nonce = ToBytes(nonce);
    e.quote_attest = Bytes{1, 2, 3};
    e.quote_signature = Bytes{4, 5};
    e.ak_public = Bytes{6};
    e.pcrs = pcrs;
    e.host.hostname = "h";
    e.host.agent_version = "0.1.0";
    return e;
  }
  Result<tpm::PcrValues> ReadAllPcrs() override {
    std::lock_guard<std::mutex> lock(mu);
    return pcrs;
  }
  void SetPcr15(uint8_t v) {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_OK(pcrs.Set(HashAlg::kSha256, 15, Bytes(32, v)));
  }
  std::mutex mu;
  tpm::PcrValues pcrs;
};

class ZeroRandom final : public crypto::RandomSource {
 public:
  Status Fill(std::span<uint8_t> out) override {
    std::fill(out.begin(), out.end(), 0);
    return Status::Ok();
  }
};

class PushTest : public ::testing::Test {
 protected:
  PushTest() { evidence_.SetPcr15(0); }
  PushOptions Options() {
    PushOptions o;
    o.verifier_url = "https://verifier.test:8443/";
    o.host_id = "h-1";
    o.interval = std::chrono::hours(1);
    o.pcr_poll_interval = std::chrono::milliseconds(5);
    o.initial_backoff = std::chrono::milliseconds(20);
    o.max_backoff = std::chrono::milliseconds(80);
    return o;
  }
  ScriptedVerifier verifier_;
  FakeEvidence evidence_;
  ZeroRandom random_;
  NullLogger logger_;
};

TEST_F(PushTest, PushOnceAnswersTheVerifiersNonce) {
  PushClient push(verifier_, evidence_, Options(), random_, logger_);
  ASSERT_OK_AND_ASSIGN(std::string report, push.PushOnce());
  EXPECT_THAT(report, HasSubstr("trusted"));
  EXPECT_EQ(verifier_.accepted, 1);
  ASSERT_EQ(verifier_.urls.size(), 2u);
  EXPECT_EQ(verifier_.urls[0], "https://verifier.test:8443/v1/hosts/h-1/challenges");
  EXPECT_EQ(verifier_.urls[1], "https://verifier.test:8443/v1/hosts/h-1/evidence");
}

TEST_F(PushTest, RefusalAndOutageHaveDistinctCodes) {
  PushClient push(verifier_, evidence_, Options(), random_, logger_);
  verifier_.challenge_status = 404;
  EXPECT_THAT(push.PushOnce(), StatusIs(Code::kPermissionDenied, HasSubstr("no such host")));
  verifier_.challenge_status = 201;
  verifier_.down = {true};
  EXPECT_THAT(push.PushOnce(), StatusIs(Code::kUnavailable));
}

TEST_F(PushTest, BacksOffWhileUnreachableThenSubmits) {
  PushClient push(verifier_, evidence_, Options(), random_, logger_);
  verifier_.down = {true, true, true};
  StopSignal stop;
  std::thread stopper([&] {
    for (int i = 0; i < 400; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::lock_guard<std::mutex> lock(verifier_.mu);
      if (verifier_.accepted >= 1) break;
    }
    stop.Stop();
  });
  uint64_t sent = push.Run(stop);
  stopper.join();
  EXPECT_EQ(sent, 1u);
  EXPECT_EQ(push.failures(), 3u);
}

TEST_F(PushTest, PcrChangeTriggersAnImmediateSubmission) {
  PushClient push(verifier_, evidence_, Options(), random_, logger_);
  StopSignal stop;
  std::thread driver([&] {
    auto wait_for = [&](int n) {
      for (int i = 0; i < 400; ++i) {
        {
          std::lock_guard<std::mutex> lock(verifier_.mu);
          if (verifier_.accepted >= n) return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      return false;
    };
    EXPECT_TRUE(wait_for(1));
    evidence_.SetPcr15(7);  // a VM was measured
    EXPECT_TRUE(wait_for(2));
    stop.Stop();
  });
  uint64_t sent = push.Run(stop);
  driver.join();
  EXPECT_EQ(sent, 2u);  // the hourly interval never came
}

TEST(StopSignalTest, StopWakesSleepers) {
  StopSignal stop;
  std::thread t([&] { stop.Stop(); });
  EXPECT_FALSE(stop.SleepFor(std::chrono::hours(1)));
  t.join();
}

}  // namespace
}  // namespace vouch::agent
