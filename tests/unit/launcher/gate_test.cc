// The launch gate's logic with a fake measurer and a fake HTTP client: what
// is sent to the verifier, how its answers and failures map to allow/deny in
// enforce and audit mode, and that a denied launch never execs (the command
// would create a marker file). Also the token file and host id rules.
#include "launcher/gate/gate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/protocol/decision.h"
#include "launcher/gate/verifier_client.h"
#include "tests/testing/recording_logger.h"
#include "tests/testing/status_matchers.h"

namespace vouch::launcher::gate {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using vouch::testing::StatusIs;

constexpr char kToken[] = "vch_secret-token-for-the-gate-test";
constexpr char kHost[] = "h-gate1";

class FakeHttpClient final : public http::HttpClient {
 public:
  using Responder = std::function<Result<http::Response>(const http::Request&)>;
  Result<http::Response> Send(std::string_view url, const http::Request& request) override {
    urls.emplace_back(url);
    requests.push_back(request);
    return respond(request);
  }
  Responder respond;
  std::vector<std::string> urls;
  std::vector<http::Request> requests;
};

class FakeMeasurer final : public VmMeasurer {
 public:
  Result<std::vector<protocol::LaunchMeasurement>> Measure(const VmSpec& vm) override {
    measured.push_back(vm);
    if (!error.ok()) return error;
    std::vector<protocol::LaunchMeasurement> out;
    for (const VmComponentSpec& c : vm.components) {
      out.push_back({c.component, c.path, 4096, {{HashAlg::kSha256, Bytes(32, 0xab)}}});
    }
    return out;
  }
  Status error;
  std::vector<VmSpec> measured;
};

http::Response DecisionAnswer(protocol::LaunchVerdict verdict, std::vector<Finding> reasons,
                              const std::string& host = kHost) {
  protocol::LaunchDecision d;
  d.decision = verdict;
  d.host_id = host;
  d.vm_id = "vm-1";
  d.vm_name = "web-01";
  d.host_verdict = "trusted";
  d.decided_at = "2026-11-28T14:00:00Z";
  d.reasons = std::move(reasons);
  http::Response r;
  Result<std::string> body = protocol::EncodeLaunchDecision(d);
  EXPECT_OK(body.status());
  r.body = body.value_or("");
  return r;
}

Finding Reason(std::string id, Severity severity, std::string message) {
  Finding f;
  f.id = std::move(id);
  f.severity = severity;
  f.message = std::move(message);
  return f;
}

http::Response Allow() {
  return DecisionAnswer(protocol::LaunchVerdict::kAllow,
                        {Reason("launch.component_known", Severity::kInfo,
                                "disk /vm/web-01.qcow2 matches reference value golden-images")});
}
http::Response Deny() {
  return DecisionAnswer(protocol::LaunchVerdict::kDeny,
                        {Reason("launch.component_unknown", Severity::kError,
                                "disk /vm/web-01.qcow2: digest in no vm-image reference value")});
}

class LaunchGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vouch-gate-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    marker_ = (dir_ / "started").string();
    vm_.id = "vm-1";
    vm_.name = "web-01";
    vm_.components = {{protocol::VmComponent::kFirmware, "/vm/OVMF_CODE.fd"},
                      {protocol::VmComponent::kDisk, "/vm/web-01.qcow2"}};
    Result<std::unique_ptr<VerifierClient>> client =
        VerifierClient::Create(http_, "https://verifier.example:8443/", kToken);
    ASSERT_OK(client.status());
    verifier_ = std::move(*client);
  }
  void TearDown() override { fs::remove_all(dir_); }

  GateResult Decide(GateMode mode, bool fail_open = false,
                    const Result<std::string>& host = std::string(kHost)) {
    LaunchGate gate(measurer_, *verifier_, logger_, GateOptions{mode, fail_open});
    return gate.Decide(vm_, host);
  }

  // Runs DecideAndExec in a child process with `touch MARKER` as the command;
  // returns the child's exit code (touch's 0 when exec'd, 10 + outcome when
  // denied, 99 for an error).
  int DecideAndExecInChild(GateMode mode, bool fail_open = false) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      NullLogger quiet;
      LaunchGate gate(measurer_, *verifier_, quiet, GateOptions{mode, fail_open});
      Result<GateResult> r =
          DecideAndExec(gate, vm_, std::string(kHost), {"/usr/bin/touch", marker_});
      ::_exit(r.has_value() ? 10 + static_cast<int>(r->outcome) : 99);
    }
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  bool Started() const { return fs::exists(marker_); }

  void ExpectTokenNeverLogged() {
    for (const std::string& line : logger_.Lines()) EXPECT_THAT(line, Not(HasSubstr(kToken)));
  }

  fs::path dir_;
  std::string marker_;
  VmSpec vm_;
  FakeHttpClient http_;
  FakeMeasurer measurer_;
  testing::RecordingLogger logger_;
  std::unique_ptr<VerifierClient> verifier_;
};

TEST_F(LaunchGateTest, SendsMeasurementsWithBearerTokenToTheDecisionPath) {
  http_.respond = [](const http::Request&) { return Allow(); };
  GateResult r = Decide(GateMode::kEnforce);
  EXPECT_TRUE(r.allowed);
  EXPECT_EQ(r.outcome, GateOutcome::kAllowed);
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.urls[0], "https://verifier.example:8443/v1/decisions/launch");
  EXPECT_EQ(http_.requests[0].method, "POST");
  EXPECT_EQ(http_.requests[0].Header("authorization"), std::string("Bearer ") + kToken);
  ASSERT_OK_AND_ASSIGN(protocol::LaunchDecisionRequest sent,
                       protocol::DecodeLaunchDecisionRequest(http_.requests[0].body));
  EXPECT_EQ(sent.host_id, kHost);
  EXPECT_EQ(sent.vm_id, "vm-1");
  EXPECT_EQ(sent.vm_name, "web-01");
  ASSERT_EQ(sent.measurements.size(), 2u);
  EXPECT_EQ(sent.measurements[0].component, protocol::VmComponent::kFirmware);
  EXPECT_EQ(sent.measurements[1].path, "/vm/web-01.qcow2");
  EXPECT_EQ(sent.measurements, r.measurements);
  EXPECT_THAT(r.reasons, IsEmpty());
  EXPECT_THAT(logger_.Lines(), Contains(AllOf(HasSubstr("info launch gate: VM web-01 (vm-1): "
                                                        "allowed [enforce]"),
                                              HasSubstr("decision allow"))));
  ExpectTokenNeverLogged();
}

TEST_F(LaunchGateTest, AllowedLaunchIsExecd) {
  http_.respond = [](const http::Request&) { return Allow(); };
  EXPECT_EQ(DecideAndExecInChild(GateMode::kEnforce), 0);
  EXPECT_TRUE(Started());
}

TEST_F(LaunchGateTest, DeniedLaunchIsNeverExecd) {
  http_.respond = [](const http::Request&) { return Deny(); };
  EXPECT_EQ(DecideAndExecInChild(GateMode::kEnforce), 10 + static_cast<int>(GateOutcome::kDenied));
  EXPECT_FALSE(Started());

  GateResult r = Decide(GateMode::kEnforce);
  EXPECT_FALSE(r.allowed);
  ASSERT_TRUE(r.decision.has_value());
  EXPECT_EQ(r.decision->decision, protocol::LaunchVerdict::kDeny);
  EXPECT_THAT(r.reasons, Contains(HasSubstr("launch.component_unknown: disk /vm/web-01.qcow2")));
  EXPECT_THAT(logger_.Warnings(), Contains(HasSubstr("denied [enforce]; verifier decision deny")));
}

TEST_F(LaunchGateTest, AuditModeExecsADeniedLaunchAndLogsTheDecision) {
  http_.respond = [](const http::Request&) { return Deny(); };
  EXPECT_EQ(DecideAndExecInChild(GateMode::kAudit), 0);
  EXPECT_TRUE(Started());

  GateResult r = Decide(GateMode::kAudit);
  EXPECT_TRUE(r.allowed);
  EXPECT_EQ(r.outcome, GateOutcome::kAuditAllowed);
  EXPECT_THAT(logger_.Warnings(),
              Contains(AllOf(HasSubstr("allowed (audit) [audit]"), HasSubstr("decision deny"),
                             HasSubstr("enforce would deny"))));
  EXPECT_THAT(logger_.Warnings(), Contains(HasSubstr("launch.component_unknown")));
}

TEST_F(LaunchGateTest, UnreachableVerifierDeniesUnlessFailOpen) {
  http_.respond = [](const http::Request&) -> Result<http::Response> {
    return UnavailableError("connect 127.0.0.1:9: connection refused");
  };
  EXPECT_EQ(DecideAndExecInChild(GateMode::kEnforce), 10 + static_cast<int>(GateOutcome::kDenied));
  EXPECT_FALSE(Started());
  GateResult denied = Decide(GateMode::kEnforce);
  EXPECT_FALSE(denied.allowed);
  EXPECT_FALSE(denied.decision.has_value());
  EXPECT_THAT(denied.reasons, Contains(HasSubstr("connection refused")));
  EXPECT_THAT(logger_.Warnings(), Contains(HasSubstr("verifier could not be asked")));

  GateResult open = Decide(GateMode::kEnforce, /*fail_open=*/true);
  EXPECT_TRUE(open.allowed);
  EXPECT_EQ(open.outcome, GateOutcome::kFailOpenAllowed);
  EXPECT_EQ(DecideAndExecInChild(GateMode::kEnforce, /*fail_open=*/true), 0);
  EXPECT_TRUE(Started());
}

TEST_F(LaunchGateTest, ErrorAnswersCountAsNotAsked) {
  int status = 500;
  http_.respond = [&status](const http::Request&) {
    http::Response r;
    r.status = status;
    r.body = R"({"error":{"code":"internal","message":"store down"}})";
    return r;
  };
  for (int s : {500, 401, 403, 400, 404}) {
    status = s;
    GateResult r = Decide(GateMode::kEnforce);
    EXPECT_FALSE(r.allowed) << s;
    EXPECT_THAT(r.reasons, Contains(HasSubstr("verifier answered " + std::to_string(s))));
    EXPECT_TRUE(Decide(GateMode::kEnforce, true).allowed) << s;
  }
  // Not a decision document, or a decision for another host.
  http_.respond = [](const http::Request&) {
    http::Response r;
    r.body = "{\"decision\":\"allow\"}";
    return r;
  };
  EXPECT_FALSE(Decide(GateMode::kEnforce).allowed);
  http_.respond = [](const http::Request&) {
    return DecisionAnswer(protocol::LaunchVerdict::kAllow, {}, "h-other");
  };
  GateResult other = Decide(GateMode::kEnforce);
  EXPECT_FALSE(other.allowed);
  EXPECT_THAT(other.reasons, Contains(HasSubstr("for host h-other")));
  ExpectTokenNeverLogged();
}

TEST_F(LaunchGateTest, AllowWithAnErrorReasonDenies) {
  // decision.h: "allow" exactly when no reason is an error; a verifier
  // saying otherwise is not believed.
  http_.respond = [](const http::Request&) {
    http::Response r = Deny();
    const size_t at = r.body.find("\"deny\"");
    EXPECT_NE(at, std::string::npos) << r.body;
    if (at != std::string::npos) r.body.replace(at, 6, "\"allow\"");
    return r;
  };
  GateResult r = Decide(GateMode::kEnforce);
  EXPECT_FALSE(r.allowed);
  EXPECT_FALSE(r.reasons.empty());
}

TEST_F(LaunchGateTest, MeasuringFailureDeniesEvenWhenFailOpen) {
  measurer_.error = InvalidArgumentError("--disk /vm/web-01.qcow2: not a regular file");
  GateResult r = Decide(GateMode::kEnforce, /*fail_open=*/true);
  EXPECT_FALSE(r.allowed);
  EXPECT_THAT(r.reasons, Contains(HasSubstr("measure: invalid_argument: --disk")));
  EXPECT_TRUE(http_.requests.empty());
  EXPECT_EQ(DecideAndExecInChild(GateMode::kEnforce, true),
            10 + static_cast<int>(GateOutcome::kDenied));
  EXPECT_FALSE(Started());
  EXPECT_TRUE(Decide(GateMode::kAudit).allowed);
}

TEST_F(LaunchGateTest, UnknownHostIdDeniesWithoutAskingButStillMeasures) {
  GateResult r =
      Decide(GateMode::kEnforce, true,
             Result<std::string>(FailedPreconditionError("host not enrolled: host_id is not set")));
  EXPECT_FALSE(r.allowed);
  EXPECT_THAT(r.reasons, Contains(HasSubstr("host not enrolled")));
  EXPECT_EQ(measurer_.measured.size(), 1u);
  EXPECT_TRUE(http_.requests.empty());
}

TEST_F(LaunchGateTest, NothingToMeasureDenies) {
  vm_.components.clear();
  GateResult r = Decide(GateMode::kEnforce);
  EXPECT_FALSE(r.allowed);
  EXPECT_THAT(r.reasons, Contains(HasSubstr("no local component to measure")));
  EXPECT_TRUE(measurer_.measured.empty());
}

TEST_F(LaunchGateTest, ExecFailureIsReported) {
  http_.respond = [](const http::Request&) { return Allow(); };
  LaunchGate gate(measurer_, *verifier_, logger_, GateOptions{});
  EXPECT_THAT(DecideAndExec(gate, vm_, std::string(kHost), {"/nonexistent/qemu-system-x86_64"}),
              StatusIs(Code::kUnavailable, HasSubstr("exec /nonexistent/qemu-system-x86_64")));
  EXPECT_THAT(DecideAndExec(gate, vm_, std::string(kHost), {}), StatusIs(Code::kInvalidArgument));
}

// ---- verifier client and token file ----

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("vouch-token-test-" + std::to_string(::getpid()));
  }
  void TearDown() override { fs::remove(path_); }
  void Write(const std::string& content, mode_t mode) {
    fs::remove(path_);
    std::ofstream(path_) << content;
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
  }
  fs::path path_;
};

TEST_F(TokenFileTest, OwnerOnlyFilesAreRead) {
  Write(std::string(kToken) + "\n", 0600);
  EXPECT_THAT(ReadTokenFile(path_), testing::IsOkAndHolds(std::string(kToken)));
  Write(std::string("  ") + kToken + "  \r\nsecond line\n", 0400);
  EXPECT_THAT(ReadTokenFile(path_), testing::IsOkAndHolds(std::string(kToken)));
}

TEST_F(TokenFileTest, BadPermissionsAreRefusedWithoutShowingTheToken) {
  for (mode_t mode : {0644, 0640, 0604, 0660}) {
    Write(kToken, mode);
    Result<std::string> r = ReadTokenFile(path_);
    EXPECT_THAT(r, StatusIs(Code::kPermissionDenied, HasSubstr("0600 or 0400"))) << mode;
    EXPECT_THAT(r.status().message(), Not(HasSubstr(kToken)));
  }
  Write(kToken, 0644);
  EXPECT_THAT(ReadTokenFile(path_), StatusIs(Code::kPermissionDenied, HasSubstr("mode 0644")));
}

TEST_F(TokenFileTest, MissingEmptyAndBadTokensAreRefused) {
  EXPECT_THAT(ReadTokenFile(path_), StatusIs(Code::kNotFound));
  Write("\n", 0600);
  EXPECT_THAT(ReadTokenFile(path_), StatusIs(Code::kInvalidArgument, HasSubstr("no token")));
  Write("two words\n", 0600);
  EXPECT_THAT(ReadTokenFile(path_), StatusIs(Code::kInvalidArgument, HasSubstr("spaces")));
  Write(std::string(kMaxTokenFileBytes + 1, 'x'), 0600);
  EXPECT_THAT(ReadTokenFile(path_), StatusIs(Code::kInvalidArgument, HasSubstr("larger")));
  EXPECT_THAT(ReadTokenFile(fs::temp_directory_path()),
              StatusIs(Code::kInvalidArgument, HasSubstr("not a regular file")));
}

TEST(VerifierClientTest, UrlRulesApply) {
  FakeHttpClient http;
  EXPECT_THAT(VerifierClient::Create(http, "http://verifier.example:8080", kToken),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(VerifierClient::Create(http, "", kToken),
              StatusIs(Code::kInvalidArgument, HasSubstr("verifier_url is not set")));
  EXPECT_THAT(VerifierClient::Create(http, "https://v.example/?x=1", kToken),
              StatusIs(Code::kInvalidArgument, HasSubstr("query")));
  EXPECT_THAT(VerifierClient::Create(http, "https://v.example", ""),
              StatusIs(Code::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<VerifierClient> c,
                       VerifierClient::Create(http, "http://127.0.0.1:8080/base/", kToken));
  EXPECT_EQ(c->url(), "http://127.0.0.1:8080/base/v1/decisions/launch");
}

TEST(VerifierClientTest, ErrorCodesFollowTheAnswer) {
  FakeHttpClient http;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<VerifierClient> c,
                       VerifierClient::Create(http, "https://v.example", kToken));
  protocol::LaunchDecisionRequest request;
  request.host_id = kHost;
  request.vm_id = "vm-1";
  request.vm_name = "web-01";
  request.measurements.push_back(
      {protocol::VmComponent::kDisk, "/vm/a", 1, {{HashAlg::kSha256, Bytes(32, 1)}}});
  int status = 0;
  http.respond = [&status](const http::Request&) {
    http::Response r;
    r.status = status;
    r.body = R"({"error":{"code":"x","message":"no"}})";
    return r;
  };
  for (auto [s, code] :
       {std::pair{401, Code::kUnauthenticated}, std::pair{403, Code::kPermissionDenied},
        std::pair{400, Code::kInvalidArgument}, std::pair{503, Code::kUnavailable},
        std::pair{429, Code::kUnavailable}}) {
    status = s;
    EXPECT_THAT(c->RequestLaunchDecision(request),
                StatusIs(code, HasSubstr("verifier answered " + std::to_string(s) + " x: no")));
  }
  http.respond = [](const http::Request&) { return Deny(); };
  ASSERT_OK_AND_ASSIGN(protocol::LaunchDecision d, c->RequestLaunchDecision(request));
  EXPECT_EQ(d.decision, protocol::LaunchVerdict::kDeny);
}

// ---- host id ----

TEST(ResolveHostIdTest, ConfigThenEnrollmentFile) {
  const fs::path dir =
      fs::temp_directory_path() / ("vouch-hostid-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  LauncherConfig config;
  config.agent_state_dir = dir.string();
  EXPECT_THAT(ResolveHostId(config),
              StatusIs(Code::kFailedPrecondition, HasSubstr("host not enrolled")));
  std::ofstream(dir / "enrollment.json")
      << R"({"host_id":"h-from-agent","verifier_url":"https://v","enrolled_at":"x","ak_name":"00"})";
  EXPECT_THAT(ResolveHostId(config), testing::IsOkAndHolds(std::string("h-from-agent")));
  config.host_id = "h-configured";
  EXPECT_THAT(ResolveHostId(config), testing::IsOkAndHolds(std::string("h-configured")));
  config.host_id = "";
  std::ofstream(dir / "enrollment.json") << R"({"host_id":"../etc"})";
  EXPECT_THAT(ResolveHostId(config), StatusIs(Code::kInvalidArgument, HasSubstr("host_id")));
  std::ofstream(dir / "enrollment.json") << "not json";
  EXPECT_THAT(ResolveHostId(config),
              StatusIs(Code::kInvalidArgument, HasSubstr("enrollment.json: no host_id")));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vouch::launcher::gate
