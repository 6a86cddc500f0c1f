// vouch-verifier and vouch-agent as processes over loopback with a swtpm and
// a SQLite file: enroll, attest, appraise; replayed and foreign evidence is
// untrusted with the right finding; a verifier restart keeps hosts and
// reports.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "core/base/logger.h"
#include "core/http/cpprest_http.h"
#include "core/protocol/enrollment.h"
#include "tests/testing/background_process.h"
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
  }
  void TearDown() override { StopVerifier(); }

  std::vector<std::string> Agent(SwtpmInstance& tpm, const fs::path& state,
                                 std::vector<std::string> args) {
    std::vector<std::string> argv = {VOUCH_AGENT_BINARY, "--tcti", tpm.Tcti(), "--state-dir",
                                     state.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  void StartVerifier() {
    ASSERT_OK_AND_ASSIGN(
        verifier_, BackgroundProcess::Start(
                       {VOUCH_VERIFIER_BINARY, "--port", std::to_string(port_), "--db",
                        (dir_ / "verifier.db").string(), "--ek-ca-dir", tpm_->TrustDir().string(),
                        "--ek-intermediates", tpm_->IntermediateCertPath().string()},
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
            int expect_status) {
    http::Request r;
    r.method = method;
    r.headers["content-type"] = "application/json";
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
  Json hosts = Call("GET", "/v1/hosts", "", 200);
  ASSERT_EQ(hosts["hosts"].size(), 1u);
  EXPECT_EQ(hosts["hosts"][0]["host_id"], host_id);
  EXPECT_EQ(hosts["hosts"][0]["verdict"], "untrusted");  // the latest report
  Json latest = Call("GET", "/v1/hosts/" + host_id + "/reports/latest", "", 200);
  EXPECT_THAT(FindingIds(latest), ::testing::Contains("ak.not_enrolled"));
  Json history = Call("GET", "/v1/hosts/" + host_id + "/reports?limit=10", "", 200);
  EXPECT_EQ(history["reports"].size(), 5u);
}

}  // namespace
}  // namespace vouch
