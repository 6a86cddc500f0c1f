// Pull mode end to end inside one process: the agent's own pull API
// (agent::AgentApi over TpmEvidenceService with an RSA AK in swtpm) served
// by the cpprestsdk server on 127.0.0.1, polled by the verifier's Poller
// through the real cpprestsdk client. The hooks stand in for the verifier's
// submission path: they issue random nonces and check that what arrives is
// an evidence document protocol::DecodeEvidence accepts, carrying the nonce
// issued for that host, with a quote that verifies under the evidence's AK.
// The store is the in-memory fake of the unit tests (the SQLite store's
// agent URLs need schema v2).
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/ak.h"
#include "agent/evidence_collector.h"
#include "agent/service.h"
#include "agent/state_dir.h"
#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/base/logger.h"
#include "core/crypto/random.h"
#include "core/http/cpprest_http.h"
#include "core/protocol/evidence.h"
#include "core/tpm/public.h"
#include "core/tpm/quote.h"
#include "core/tpm_device/esys_tpm_device.h"
#include "tests/testing/agent_fakes.h"
#include "tests/testing/prometheus.h"
#include "tests/testing/recording_logger.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"
#include "tests/unit/verifier/poller_fake_store.h"
#include "verifier/metrics/metrics.h"
#include "verifier/poller/poller.h"

namespace vouch::verifier {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::vouch::testing::IsOk;
using ::vouch::testing::SwtpmInstance;

protocol::HostFacts PulledHostFacts() {
  protocol::HostFacts f;
  f.hostname = "pulled-host";
  f.agent_version = "0.1.0";
  return f;
}

// The verifier's side: random nonces per host, and a check of every
// evidence document received.
class CheckingHooks {
 public:
  struct Received {
    std::string host_id;
    Bytes issued;  // the last nonce issued to the host before submission
    Result<protocol::Evidence> evidence;
  };

  PollerHooks Hooks() {
    PollerHooks h;
    h.issue_nonce = [this](const std::string& host_id) -> Result<Bytes> {
      Bytes nonce(20);
      VOUCH_RETURN_IF_ERROR(random_.Fill(nonce));
      std::lock_guard<std::mutex> lock(mu_);
      issued_[host_id].push_back(nonce);
      return nonce;
    };
    h.submit_evidence = [this](const std::string& host_id,
                               std::string_view json) -> Result<std::string> {
      Result<protocol::Evidence> evidence = protocol::DecodeEvidence(json);
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back(Received{host_id, issued_[host_id].back(), evidence});
      if (!evidence) {
        return evidence.error();
      }
      return std::string("trusted");
    };
    return h;
  }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  std::map<std::string, std::vector<Bytes>> issued() {
    std::lock_guard<std::mutex> lock(mu_);
    return issued_;
  }

 private:
  crypto::OpenSslRandom random_;
  std::mutex mu_;
  std::map<std::string, std::vector<Bytes>> issued_;
  std::vector<Received> received_;
};

void ExpectVerifiedEvidence(const CheckingHooks::Received& r) {
  SCOPED_TRACE(r.host_id);
  ASSERT_THAT(r.evidence, IsOk());
  const protocol::Evidence& e = *r.evidence;
  EXPECT_EQ(e.nonce, r.issued);
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic ak, tpm::TpmPublic::DecodeTpm2b(e.ak_public));
  ASSERT_OK_AND_ASSIGN(
      tpm::QuoteVerification v,
      tpm::VerifyQuote(ak, tpm::QuoteEvidence{e.quote_attest, e.quote_signature, e.pcrs},
                       r.issued));
  EXPECT_TRUE(v.verified.has_value());
  EXPECT_EQ(e.host.hostname, "pulled-host");
}

// A loopback port that was free a moment ago and has no listener.
uint16_t ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  uint16_t port = 1;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) {
    ::close(fd);
  }
  return port;
}

class PollerIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tpm_, SwtpmInstance::Start());
    ASSERT_OK_AND_ASSIGN(device_, tpm_device::OpenEsysTpmDevice(tpm_->Tcti()));
    state_path_ = tpm_->WorkDir() / "agent-state";
    ASSERT_OK_AND_ASSIGN(agent::StateDir state,
                         agent::StateDir::Open(state_path_.string(), /*create=*/true));
    ASSERT_OK(agent::InitAk(*device_, state, agent::AkOptions{}, clock_).status());
    ASSERT_OK_AND_ASSIGN(
        service_, agent::TpmEvidenceService::Create(*device_, state, logs_, facts_, agent_logger_));
    http::ClientOptions client_options;
    client_options.timeout = milliseconds(5000);
    ASSERT_OK_AND_ASSIGN(client_, http::MakeCpprestClient(client_options));
  }
  void TearDown() override {
    // Servers before the API and the service, the service before the TPM.
    servers_.clear();
    apis_.clear();
    service_.reset();
    device_.reset();
  }

  // Serves a new AgentApi over the shared evidence service on a free
  // loopback port; returns its base URL.
  std::string ServeAgent(double rate_per_second = 1000, uint32_t burst = 1000) {
    agent::AgentInfo info;
    info.agent_version = "0.1.0";
    info.hostname = "pulled-host";
    apis_.push_back(std::make_unique<agent::AgentApi>(*service_, info, clock_, rate_per_second,
                                                      burst, agent_logger_));
    agent::AgentApi* api = apis_.back().get();
    http::ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    Result<std::unique_ptr<http::HttpServer>> server = http::StartCpprestServer(
        options, [api](const http::Request& r) { return api->Handle(r); }, agent_logger_);
    if (!server) {
      ADD_FAILURE() << server.error().ToString();
      return "http://127.0.0.1:1";
    }
    servers_.push_back(std::move(*server));
    return "http://127.0.0.1:" + std::to_string(servers_.back()->BoundPort());
  }

  Result<std::unique_ptr<Poller>> MakePoller(PollerOptions options) {
    return Poller::Create(store_, *client_, hooks_.Hooks(), std::move(options), clock_, random_,
                          logger_, &metrics_);
  }

  std::string Metric(const std::string& result) {
    return ::vouch::testing::PrometheusSample(metrics_.RenderPrometheus(nullptr),
                                              "vouch_polls_total{result=\"" + result + "\"}");
  }

  SystemClock clock_;
  std::unique_ptr<SwtpmInstance> tpm_;
  std::unique_ptr<tpm_device::TpmDevice> device_;
  fs::path state_path_;
  ::vouch::testing::MemoryLogSource logs_;  // no logs
  ::vouch::testing::FixedHostFacts facts_{PulledHostFacts()};
  NullLogger agent_logger_;
  std::unique_ptr<agent::TpmEvidenceService> service_;
  std::vector<std::unique_ptr<agent::AgentApi>> apis_;
  std::vector<std::unique_ptr<http::HttpServer>> servers_;

  std::unique_ptr<http::HttpClient> client_;
  testing::PollerFakeStore store_;
  CheckingHooks hooks_;
  crypto::OpenSslRandom random_;
  ::vouch::testing::RecordingLogger logger_{LogLevel::kWarning};
  Metrics metrics_;
};

TEST_F(PollerIntegrationTest, PollAllOnceDeliversEvidenceWithTheIssuedNonce) {
  const std::string agent = ServeAgent();
  // A port nothing listens on (bound, then closed; cpprestsdk keeps
  // answering 404 on the port of a stopped server, so not that).
  const std::string gone = "http://127.0.0.1:" + std::to_string(ClosedPort());
  store_.SetHost("h1", agent);
  store_.SetHost("h2", agent + "/");
  store_.SetHost("push-only", "");
  store_.SetHost("unreachable", gone);

  PollerOptions options;
  options.max_in_flight = 2;
  options.pcrs = {0, 7, 15};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Poller> poller, MakePoller(options));
  ASSERT_OK_AND_ASSIGN(size_t reports, poller->PollAllOnce());
  EXPECT_EQ(reports, 2u);

  const std::vector<CheckingHooks::Received> received = hooks_.received();
  ASSERT_EQ(received.size(), 2u);
  std::set<std::string> hosts;
  for (const CheckingHooks::Received& r : received) {
    hosts.insert(r.host_id);
    ExpectVerifiedEvidence(r);
    ASSERT_THAT(r.evidence, IsOk());
    // Only the requested PCRs, in every bank the TPM has.
    for (const auto& [bank, values] : r.evidence->pcrs.banks()) {
      std::set<uint32_t> indexes;
      for (const auto& [index, value] : values) {
        indexes.insert(index);
      }
      EXPECT_EQ(indexes, (std::set<uint32_t>{0, 7, 15}));
    }
  }
  EXPECT_EQ(hosts, (std::set<std::string>{"h1", "h2"}));
  EXPECT_EQ(hooks_.issued()["h1"].size(), 1u);
  EXPECT_NE(hooks_.issued()["h1"][0], hooks_.issued()["h2"][0]);
  EXPECT_EQ(hooks_.issued().count("push-only"), 0u);

  EXPECT_EQ(Metric("ok"), "2");
  EXPECT_EQ(Metric("failed"), "1");
  const std::vector<std::string> warnings = logger_.Warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("host unreachable (" + gone + "/v1/evidence)"));
  EXPECT_THAT(warnings[0], HasSubstr("unavailable"));
}

TEST_F(PollerIntegrationTest, ScheduledPollsRepeatWithFreshNonces) {
  store_.SetHost("h1", ServeAgent());
  PollerOptions options;
  options.interval = milliseconds(1000);
  options.jitter = 0.2;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Poller> poller, MakePoller(options));
  poller->Start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (hooks_.received().size() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  const auto before = std::chrono::steady_clock::now();
  poller->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(1));

  const std::vector<CheckingHooks::Received> received = hooks_.received();
  ASSERT_GE(received.size(), 3u);
  std::set<Bytes> nonces;
  for (const CheckingHooks::Received& r : received) {
    ExpectVerifiedEvidence(r);
    nonces.insert(r.issued);
  }
  EXPECT_EQ(nonces.size(), received.size());
  EXPECT_TRUE(logger_.Warnings().empty());
}

TEST_F(PollerIntegrationTest, RateLimitedAgentIsAFailedPoll) {
  // One token, refilled once in 1,000 s: the second poll gets 429.
  store_.SetHost("h1", ServeAgent(/*rate_per_second=*/0.001, /*burst=*/1));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Poller> poller, MakePoller(PollerOptions{}));
  ASSERT_OK_AND_ASSIGN(size_t first, poller->PollAllOnce());
  EXPECT_EQ(first, 1u);
  ASSERT_OK_AND_ASSIGN(size_t second, poller->PollAllOnce());
  EXPECT_EQ(second, 0u);
  EXPECT_EQ(Metric("ok"), "1");
  EXPECT_EQ(Metric("failed"), "1");
  const std::vector<std::string> warnings = logger_.Warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("HTTP 429"));
  EXPECT_THAT(warnings[0], HasSubstr("rate_limited"));
  EXPECT_THAT(warnings[0], HasSubstr("last successful poll"));
  EXPECT_EQ(hooks_.received().size(), 1u);
}

}  // namespace
}  // namespace vouch::verifier
