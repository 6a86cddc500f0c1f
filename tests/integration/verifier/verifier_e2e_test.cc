// vouch-verifier and vouch-agent as processes over loopback with a swtpm and
// a SQLite file: enroll, attest, appraise; replayed and foreign evidence is
// untrusted with the right finding; a verifier restart keeps hosts, reports
// and reference values. The swtpm's firmware boot is emulated from a real
// PC's event log (vouch-launcher emulate-firmware), so the agent's evidence
// carries a real SRTM log: after an admin imports the host's platform
// reference values it is trusted, and each tamper case turns it untrusted
// with the finding that names it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/logger.h"
#include "core/crypto/digest.h"
#include "core/crypto/hmac.h"
#include "core/http/cpprest_http.h"
#include "core/protocol/enrollment.h"
#include "tests/testing/background_process.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"

namespace vouch {
namespace {

namespace fs = std::filesystem;
using testing::BackgroundProcess;
using ::testing::HasSubstr;
using testing::RunProcess;
using testing::RunProcessOk;
using testing::SwtpmInstance;
using Json = nlohmann::json;

class VerifierE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tpm_, SwtpmInstance::Start());
    dir_ = tpm_->dir() / "verifier-e2e";
    fs::create_directories(dir_);
    ASSERT_OK_AND_ASSIGN(client_, http::MakeCpprestClient(http::ClientOptions{}));
    // A webhook receiver on loopback: collects the signed events.
    ASSERT_OK_AND_ASSIGN(receiver_, http::StartCpprestServer(
                                        http::ServerOptions{},
                                        [this](const http::Request& r) {
                                          std::lock_guard<std::mutex> lock(events_mu_);
                                          events_.push_back(r);
                                          return http::JsonResponse("{}");
                                        },
                                        null_logger_));
    WriteConfig();
  }
  void TearDown() override {
    StopVerifier();
    if (receiver_) receiver_->Stop();
  }

  static std::string TokenHash(const std::string& token) {
    Result<Bytes> d = crypto::Digest(HashAlg::kSha256, AsBytes(token));
    return d.has_value() ? "sha256:" + HexEncode(*d) : "";
  }

  // The verifier's configuration: this TPM's CA as the trusted EK root, a
  // reader and an admin token (their SHA-256 only), a webhook.
  void WriteConfig() {
    std::ofstream(dir_ / "webhook.secret") << "0123456789abcdef0123456789abcdef\n";
    std::ofstream conf(dir_ / "verifier.conf");
    conf << "listen_port = 0\n"
         << "database = " << (dir_ / "verifier.db").string() << "\n"
         << "ek_ca_dir = " << tpm_->TrustDir().string() << "\n"
         << "ek_intermediates = " << tpm_->IntermediateCertPath().string() << "\n"
         << "token.dashboard = reader:" << TokenHash(kReaderToken) << "\n"
         << "token.ops = admin:" << TokenHash(kAdminToken) << "\n"
         << "webhook.test = http://127.0.0.1:" << receiver_->BoundPort() << "/hook\n"
         << "webhook_secret_file = " << (dir_ / "webhook.secret").string() << "\n";
  }

  std::vector<std::string> Agent(SwtpmInstance& tpm, const fs::path& state,
                                 std::vector<std::string> args) {
    std::vector<std::string> argv = {VOUCH_AGENT_BINARY, "--tcti", tpm.Tcti(), "--state-dir",
                                     state.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  void StartVerifier() {
    ASSERT_OK_AND_ASSIGN(verifier_, BackgroundProcess::Start({VOUCH_VERIFIER_BINARY, "--config",
                                                              (dir_ / "verifier.conf").string(),
                                                              "--port", std::to_string(port_)},
                                                             dir_ / "logs"));
    ASSERT_OK_AND_ASSIGN(std::string line,
                         verifier_->WaitForStderr("listening on ", std::chrono::seconds(20)));
    std::smatch m;
    ASSERT_TRUE(std::regex_search(line, m, std::regex("(http://[0-9.]+:([0-9]+))"))) << line;
    url_ = m[1].str();
    port_ = std::stoi(m[2].str());
  }
  void StopVerifier() {
    if (verifier_ == nullptr) return;
    EXPECT_OK(verifier_->Signal(SIGTERM));
    EXPECT_THAT(verifier_->Wait(std::chrono::seconds(10)), testing::IsOkAndHolds(0))
        << verifier_->Stderr();
    verifier_.reset();
  }

  Json Call(const std::string& method, const std::string& path, const std::string& body,
            int expect_status, const std::string& token = "") {
    http::Request r;
    r.method = method;
    r.headers["content-type"] = "application/json";
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    r.body = body;
    Result<http::Response> answer = client_->Send(url_ + path, r);
    EXPECT_OK(answer.status());
    if (!answer.has_value()) return {};
    EXPECT_EQ(answer->status, expect_status) << method << " " << path << ": " << answer->body;
    return Json::parse(answer->body, nullptr, false);
  }

  std::string Evidence(SwtpmInstance& tpm, const fs::path& state, const std::string& nonce) {
    Result<testing::ProcessResult> q = RunProcessOk(Agent(tpm, state, {"quote", "--nonce", nonce}));
    EXPECT_OK(q.status());
    return q.has_value() ? q->stdout_text : "";
  }

  static std::vector<std::string> FindingIds(const Json& report) {
    std::vector<std::string> ids;
    for (const Json& f : report["findings"]) ids.push_back(f["id"]);
    return ids;
  }

  static constexpr char kReaderToken[] = "vch_reader-token-for-the-e2e-test";
  static constexpr char kAdminToken[] = "vch_admin-token-for-the-e2e-test";
  NullLogger null_logger_;
  std::unique_ptr<http::HttpServer> receiver_;
  std::mutex events_mu_;
  std::vector<http::Request> events_;
  std::unique_ptr<SwtpmInstance> tpm_;
  fs::path dir_;
  int port_ = 0;
  std::string url_;
  std::unique_ptr<BackgroundProcess> verifier_;
  std::unique_ptr<http::HttpClient> client_;
};

TEST_F(VerifierE2eTest, EnrollAttestAppraiseAndSurviveRestart) {
  StartVerifier();
  fs::path state = dir_ / "agent";
  ASSERT_OK(RunProcessOk(Agent(*tpm_, state, {"init"})).status());
  ASSERT_OK_AND_ASSIGN(testing::ProcessResult enrolled,
                       RunProcessOk(Agent(*tpm_, state, {"enroll", "--verifier", url_})));
  std::string host_id = Json::parse(enrolled.stdout_text)["host_id"];
  ASSERT_THAT(host_id, ::testing::StartsWith("h-"));

  // Push once: the real appraisal. No reference values are loaded yet, so the
  // platform cannot be judged: verdict unknown, with every quote check passed.
  ASSERT_OK_AND_ASSIGN(testing::ProcessResult pushed,
                       RunProcessOk(Agent(*tpm_, state, {"push", "--once"})));
  Json report = Json::parse(pushed.stdout_text);
  EXPECT_EQ(report["verdict"], "unknown") << report.dump(1);
  for (const std::string& id : FindingIds(report)) {
    EXPECT_THAT(id, ::testing::Not(::testing::StartsWith("quote."))) << report.dump(1);
  }

  // The same evidence submitted twice: the nonce is single use.
  Json challenge = Call("POST", "/v1/hosts/" + host_id + "/challenges", "{}", 201);
  std::string evidence = Evidence(*tpm_, state, challenge["nonce"]);
  Json first = Call("POST", "/v1/hosts/" + host_id + "/evidence", evidence, 200);
  EXPECT_EQ(first["verdict"], "unknown") << first.dump(1);
  Json replayed = Call("POST", "/v1/hosts/" + host_id + "/evidence", evidence, 200);
  EXPECT_EQ(replayed["verdict"], "untrusted");
  EXPECT_THAT(FindingIds(replayed), ::testing::Contains("quote.nonce_reused"));

  // Evidence for a nonce the verifier never issued.
  Json unknown_nonce = Call("POST", "/v1/hosts/" + host_id + "/evidence",
                            Evidence(*tpm_, state, "00112233445566778899aabbccddeeff"), 200);
  EXPECT_EQ(unknown_nonce["verdict"], "untrusted");
  EXPECT_THAT(FindingIds(unknown_nonce), ::testing::Contains("quote.nonce_unknown"));

  // Evidence signed by another TPM's AK, for this host's fresh nonce.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SwtpmInstance> other, SwtpmInstance::Start({.fresh = true}));
  fs::path other_state = dir_ / "other-agent";
  ASSERT_OK(RunProcessOk(Agent(*other, other_state, {"init"})).status());
  challenge = Call("POST", "/v1/hosts/" + host_id + "/challenges", "{}", 201);
  Json foreign = Call("POST", "/v1/hosts/" + host_id + "/evidence",
                      Evidence(*other, other_state, challenge["nonce"]), 200);
  EXPECT_EQ(foreign["verdict"], "untrusted");
  EXPECT_THAT(FindingIds(foreign), ::testing::Contains("ak.not_enrolled"));

  // The other TPM's EK comes from a CA the verifier does not trust.
  Result<testing::ProcessResult> refused =
      RunProcess(Agent(*other, other_state, {"enroll", "--verifier", url_}));
  ASSERT_OK(refused.status());
  EXPECT_EQ(refused->exit_code, 1) << refused->stderr_text;
  EXPECT_THAT(refused->stderr_text, HasSubstr("EK certificate"));

  // Bad input: 4xx with a clear message, and the verifier keeps serving.
  Call("POST", "/v1/hosts/" + host_id + "/evidence", "{\"version\":1}", 400);
  Call("POST", "/v1/hosts/h-nosuchhost/challenges", "{}", 404);
  Call("POST", "/v1/enrollments", "not json", 400);

  // Restart: hosts and reports are on disk.
  StopVerifier();
  StartVerifier();
  Json hosts = Call("GET", "/v1/hosts", "", 200, kReaderToken);
  ASSERT_EQ(hosts["hosts"].size(), 1u);
  EXPECT_EQ(hosts["hosts"][0]["host_id"], host_id);
  EXPECT_EQ(hosts["hosts"][0]["verdict"], "untrusted");  // the latest report
  Json latest = Call("GET", "/v1/hosts/" + host_id + "/reports/latest", "", 200, kReaderToken);
  EXPECT_THAT(FindingIds(latest), ::testing::Contains("ak.not_enrolled"));
  Json history = Call("GET", "/v1/hosts/" + host_id + "/reports?limit=10", "", 200, kReaderToken);
  EXPECT_EQ(history["reports"].size(), 5u);
}

// Waits up to 10 s for a webhook event of `type` whose body contains `text`.
std::optional<http::Request> WaitForEvent(std::mutex& mu, const std::vector<http::Request>& events,
                                          const std::string& type, const std::string& text) {
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      for (const http::Request& r : events) {
        if (r.Header("x-vouch-event") == type && r.body.find(text) != std::string::npos) return r;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

TEST_F(VerifierE2eTest, RealFirmwareLogTrustedAfterImportAndEachTamperCaught) {
  VOUCH_REQUIRE_FIXTURES(root);
  const fs::path fixture = root / "eventlogs" / "tpm2tss__binary_measurements_pc_client.bin";
  const fs::path firmware_log = dir_ / "firmware.log";
  auto emulate_firmware = [&] {
    return RunProcessOk({VOUCH_LAUNCHER_BINARY, "emulate-firmware", "--tcti", tpm_->Tcti(), "--log",
                         fixture.string(), "--copy-to", firmware_log.string()})
        .status();
  };
  ASSERT_OK(emulate_firmware());
  auto agent_with_log = [&](const fs::path& srtm_log, std::vector<std::string> args) {
    const fs::path conf = dir_ / ("agent-" + srtm_log.filename().string() + ".conf");
    std::ofstream(conf) << "srtm_log = " << srtm_log.string() << "\nlabel.region = e2e\n";
    std::vector<std::string> argv = {"--config", conf.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return Agent(*tpm_, dir_ / "agent", argv);
  };
  auto push = [&](const fs::path& srtm_log) {
    Result<testing::ProcessResult> pushed =
        RunProcessOk(agent_with_log(srtm_log, {"push", "--once"}));
    EXPECT_OK(pushed.status());
    return pushed.has_value() ? Json::parse(pushed->stdout_text, nullptr, false) : Json();
  };
  StartVerifier();
  ASSERT_OK(RunProcessOk(agent_with_log(firmware_log, {"init"})).status());
  ASSERT_OK_AND_ASSIGN(testing::ProcessResult enrolled,
                       RunProcessOk(agent_with_log(firmware_log, {"enroll", "--verifier", url_})));
  const std::string host_id = Json::parse(enrolled.stdout_text)["host_id"];

  // No reference values yet: the firmware log replays, but nothing vouches
  // for what it measured.
  Json report = push(firmware_log);
  EXPECT_EQ(report["verdict"], "unknown") << report.dump(1);
  EXPECT_EQ(report["trust"]["platform"], "unknown");
  EXPECT_THAT(FindingIds(report), ::testing::Not(::testing::Contains("log.replay_mismatch")));

  // Importing the host's platform values needs the admin role.
  const std::string import_path = "/v1/reference-sets/golden/import";
  const std::string import_body = R"({"host_id":")" + host_id + R"("})";
  Call("POST", import_path, import_body, 401);
  Call("POST", import_path, import_body, 403, kReaderToken);
  Json set = Call("POST", import_path, import_body, 201, kAdminToken);
  EXPECT_EQ(set["name"], "golden");
  EXPECT_EQ(set["version"], 1);
  EXPECT_GT(set["entries"].size(), 5u) << set.dump(1);

  report = push(firmware_log);
  EXPECT_EQ(report["verdict"], "trusted") << report.dump(1);
  EXPECT_EQ(report["trust"]["platform"], "trusted");
  EXPECT_FALSE(report["matched_references"].empty());

  // The verdict change reached the webhook, signed with the shared secret.
  std::optional<http::Request> event =
      WaitForEvent(events_mu_, events_, "host.verdict_changed", "\"verdict\":\"trusted\"");
  ASSERT_TRUE(event.has_value()) << "no verdict_changed webhook";
  ASSERT_OK_AND_ASSIGN(
      Bytes mac, crypto::HmacSha256(
                     AsBytes("0123456789abcdef0123456789abcdef"),
                     AsBytes(std::string(event->Header("x-vouch-timestamp")) + "." + event->body)));
  EXPECT_EQ(event->Header("x-vouch-signature"), "sha256=" + HexEncode(mac));

  Json summary = Call("GET", "/v1/summary", "", 200, kReaderToken);
  EXPECT_EQ(summary["by_verdict"]["trusted"], 1) << summary.dump(1);

  // Tamper 1: the firmware log cut short on its way to the verifier.
  ASSERT_OK_AND_ASSIGN(Bytes log_bytes, testing::ReadFileBytes(firmware_log));
  const fs::path truncated = dir_ / "truncated.log";
  std::ofstream(truncated, std::ios::binary)
      .write(reinterpret_cast<const char*>(log_bytes.data()),
             static_cast<std::streamsize>(log_bytes.size() / 2));
  report = push(truncated);
  EXPECT_EQ(report["verdict"], "untrusted") << report.dump(1);
  EXPECT_THAT(FindingIds(report), ::testing::Contains("log.malformed"));

  // Tamper 2: something extends PCR 4 without logging it (a boot loader the
  // log hides).
  ASSERT_OK(tpm_->RunTool({"tpm2_pcrextend",
                           "4:sha1=" + std::string(40, 'a') + ",sha256=" + std::string(64, 'b')})
                .status());
  report = push(firmware_log);
  EXPECT_EQ(report["verdict"], "untrusted") << report.dump(1);
  bool pcr4_named = false;
  for (const Json& f : report["findings"]) {
    if (f["id"] == "log.replay_mismatch" && f.contains("pcr") && f["pcr"] == 4) pcr4_named = true;
  }
  EXPECT_TRUE(pcr4_named) << report.dump(1);

  // A clean reboot (same firmware) is trusted again, and the reboot is seen.
  ASSERT_OK(tpm_->Reboot());
  ASSERT_OK(tpm_->StartupClear());
  ASSERT_OK(emulate_firmware());
  report = push(firmware_log);
  EXPECT_EQ(report["verdict"], "trusted") << report.dump(1);
  EXPECT_THAT(FindingIds(report), ::testing::Contains("clock.reboot_detected"));

  // Reference values survive a verifier restart.
  StopVerifier();
  StartVerifier();
  Json sets = Call("GET", "/v1/reference-sets", "", 200, kReaderToken);
  ASSERT_EQ(sets["reference_sets"].size(), 1u) << sets.dump(1);
  EXPECT_EQ(sets["reference_sets"][0]["name"], "golden");
  report = push(firmware_log);
  EXPECT_EQ(report["verdict"], "trusted") << report.dump(1);

  // Metrics count what happened since the restart.
  http::Request metrics_request;
  metrics_request.method = "GET";
  metrics_request.headers["authorization"] = std::string("Bearer ") + kReaderToken;
  ASSERT_OK_AND_ASSIGN(http::Response metrics,
                       client_->Send(url_ + "/v1/metrics", metrics_request));
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body, HasSubstr("vouch_attestations_total{result=\"trusted\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr("vouch_hosts{verdict=\"trusted\"} 1"));
  // No token or token hash ever appears in logs.
  EXPECT_THAT(verifier_->Stderr(), ::testing::Not(HasSubstr(kAdminToken)));
  EXPECT_THAT(verifier_->Stderr(), ::testing::Not(HasSubstr(TokenHash(kAdminToken))));
}

}  // namespace
}  // namespace vouch
