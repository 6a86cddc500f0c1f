// AgentApi (the pull-mode handlers) and RateLimiter, with a fake evidence
// service: no TPM, no sockets.
#include "agent/service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/protocol/evidence.h"
#include "tests/testing/status_matchers.h"

namespace vouch::agent {
namespace {

using ::testing::HasSubstr;

class FakeClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override { return now; }
  std::chrono::system_clock::time_point now{std::chrono::seconds(1'800'000'000)};
};

// Returns a small but schema-valid evidence document echoing the nonce.
class FakeEvidence final : public EvidenceService {
 public:
  Result<protocol::Evidence> Collect(ByteView nonce, const std::vector<uint32_t>& pcrs) override {
    ++calls;
    last_pcrs = pcrs;
    if (!fail.ok()) return fail;
    protocol::Evidence e;
    e.nonce = ToBytes(nonce);
    e.quote_attest = Bytes{0xff, 0x54, 0x43, 0x47};
    e.quote_signature = Bytes{0x00, 0x14};
    e.ak_public = Bytes{0x00, 0x01, 0x00};
    Status set = e.pcrs.Set(HashAlg::kSha256, 0, Bytes(32, 0));
    EXPECT_OK(set);
    e.host.hostname = "host-a";
    e.host.agent_version = "0.1.0";
    return e;
  }
  Result<tpm::PcrValues> ReadAllPcrs() override { return tpm::PcrValues(); }
  int calls = 0;
  std::vector<uint32_t> last_pcrs;
  Status fail;
};

http::Request Post(std::string path, std::string body) {
  http::Request r;
  r.method = "POST";
  r.path = std::move(path);
  r.body = std::move(body);
  r.headers["content-type"] = "application/json";
  r.remote_address = "127.0.0.1";
  return r;
}

std::string ErrorCode(const http::Response& response) {
  nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
  if (j.is_discarded() || !j.contains("error")) return "<no error document: " + response.body + ">";
  return j["error"].value("code", "");
}

class AgentApiTest : public ::testing::Test {
 protected:
  AgentApiTest() : api_(evidence_, Info(), clock_, /*rate=*/5, /*burst=*/3, logger_) {}
  static AgentInfo Info() {
    AgentInfo info;
    info.agent_version = "0.1.0";
    info.hostname = "host-a";
    info.ak_name_hex = "000b" + std::string(64, 'a');
    info.ak_type = "rsa2048";
    info.pcr_banks = {"sha1", "sha256"};
    return info;
  }
  FakeClock clock_;
  FakeEvidence evidence_;
  NullLogger logger_;
  AgentApi api_;
};

TEST_F(AgentApiTest, EvidenceRequestReturnsTheDocumentForTheNonce) {
  http::Response r =
      api_.Handle(Post("/v1/evidence", R"({"nonce":"0011223344556677","pcrs":[0,7]})"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_OK_AND_ASSIGN(protocol::Evidence e, protocol::DecodeEvidence(r.body));
  EXPECT_EQ(HexEncode(e.nonce), "0011223344556677");
  EXPECT_EQ(evidence_.last_pcrs, (std::vector<uint32_t>{0, 7}));
}

TEST_F(AgentApiTest, MalformedRequestsGet400NamingTheProblem) {
  for (const char* body : {R"({"nonce":"00"})", R"({"nonce":"zz11223344556677"})", "not json",
                           R"({"nonce":"0011223344556677","pcrs":[24]})",
                           R"({"nonce":"0011223344556677","pcrs":["a"]})", R"([])", ""}) {
    clock_.now += std::chrono::seconds(1);  // stay under the rate limit
    http::Response r = api_.Handle(Post("/v1/evidence", body));
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_argument") << body;
  }
  EXPECT_EQ(evidence_.calls, 0);
}

TEST_F(AgentApiTest, WrongMethodPathOrMediaType) {
  http::Request get = Post("/v1/evidence", "");
  get.method = "GET";
  http::Response r = api_.Handle(get);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "POST");
  EXPECT_EQ(api_.Handle(Post("/v1/nothing", "{}")).status, 404);
  http::Request form = Post("/v1/evidence", "nonce=1");
  form.headers["content-type"] = "application/x-www-form-urlencoded";
  EXPECT_EQ(api_.Handle(form).status, 415);
}

TEST_F(AgentApiTest, HealthzAndInfo) {
  http::Request get;
  get.method = "GET";
  get.path = "/v1/healthz";
  EXPECT_EQ(api_.Handle(get).status, 200);
  get.path = "/v1/info";
  http::Response info = api_.Handle(get);
  ASSERT_EQ(info.status, 200);
  nlohmann::json j = nlohmann::json::parse(info.body);
  EXPECT_EQ(j["ak"]["type"], "rsa2048");
  EXPECT_EQ(j["pcr_banks"].size(), 2u);
  EXPECT_TRUE(j["host_id"].is_null());
}

TEST_F(AgentApiTest, RateLimitGives429ThenRecovers) {
  const std::string body = R"({"nonce":"0011223344556677"})";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(api_.Handle(Post("/v1/evidence", body)).status, 200);
  http::Response limited = api_.Handle(Post("/v1/evidence", body));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.headers["retry-after"], "1");
  EXPECT_EQ(ErrorCode(limited), "rate_limited");
  clock_.now += std::chrono::milliseconds(250);  // 5/s: one token back after 200 ms
  EXPECT_EQ(api_.Handle(Post("/v1/evidence", body)).status, 200);
}

TEST_F(AgentApiTest, TpmFailureIs503WithTheReason) {
  evidence_.fail = Status(Code::kUnavailable, "Esys_Quote: tcti:IO failure");
  http::Response r = api_.Handle(Post("/v1/evidence", R"({"nonce":"0011223344556677"})"));
  EXPECT_EQ(r.status, 503);
  EXPECT_THAT(r.body, HasSubstr("Esys_Quote"));
}

TEST(RateLimiterTest, ZeroRateMeansUnlimited) {
  FakeClock clock;
  RateLimiter limiter(clock, 0, 1);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.TryAcquire());
}

}  // namespace
}  // namespace vouch::agent
