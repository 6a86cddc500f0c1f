// POST /v1/decisions/launch through VerifierApi::Handle (no HTTP) over a
// real SQLite store in a temporary directory. Hosts and their reports are
// seeded in the store (the report documents made by ReportJson, as the
// evidence route stores them); reference values go in through the
// reference-set route. Every 200 answer is checked against
// schemas/launch-decision.schema.json and decodes with
// protocol::DecodeLaunchDecision; every error answer against
// schemas/error.schema.json.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/crypto/digest.h"
#include "core/crypto/random.h"
#include "core/protocol/decision.h"
#include "core/protocol/evidence.h"
#include "tests/testing/recording_logger.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/policy/schema_check.h"
#include "verifier/api/api.h"
#include "verifier/config/auth.h"
#include "verifier/metrics/metrics.h"
#include "verifier/store/sqlite_store.h"

namespace vouch::verifier {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Json = nlohmann::json;

constexpr char kReaderToken[] = "vch_reader-token-for-decision-test-0123456789abcdef";
constexpr char kAdminToken[] = "vch_admin-token-for-decision-test-0123456789abcdefg";

class MutableClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Set(std::chrono::system_clock::time_point t) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ = t;
  }

 private:
  mutable std::mutex mu_;
  std::chrono::system_clock::time_point now_;
};

std::string Sha256Hex(const std::string& content) {
  Result<Bytes> d = crypto::Digest(HashAlg::kSha256, ToBytes(content));
  EXPECT_OK(d.status());
  return HexEncode(d.value_or(Bytes()));
}

// (clang-tidy cannot prove nlohmann::json's implicit moves noexcept; a test
// value, never moved in a noexcept context.)
struct Reply {  // NOLINT(bugprone-exception-escape)
  int status = 0;
  std::string body;
  Json json;
  std::string ErrorField() const {
    return json.is_object() && json.contains("error") ? json["error"].value("field", "") : "";
  }
  std::vector<std::string> ReasonIds() const {
    std::vector<std::string> ids;
    if (!json.is_object() || !json.contains("reasons")) return ids;
    for (const Json& r : json["reasons"]) ids.push_back(r.value("id", ""));
    return ids;
  }
};

class ApiDecisionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "vouch_api_decisions_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ASSERT_OK_AND_ASSIGN(store_, OpenSqliteStore(dir_ + "/verifier.db"));
    ASSERT_OK_AND_ASSIGN(TokenEntry reader,
                         ParseTokenSpec("launcher", "reader:" + HashToken(kReaderToken)));
    ASSERT_OK_AND_ASSIGN(TokenEntry admin,
                         ParseTokenSpec("ops", "admin:" + HashToken(kAdminToken)));
    tokens_ = std::make_unique<TokenAuthenticator>(std::vector<TokenEntry>{reader, admin});
    clock_.Set(std::chrono::system_clock::time_point(std::chrono::seconds(1'795'000'000)));
    options_.max_request_bytes = size_t{1} << 20;
    api_ = std::make_unique<VerifierApi>(
        ApiDeps{*store_, random_, clock_, logger_, tokens_.get(), &metrics_, nullptr}, options_);
  }

  void TearDown() override {
    for (const std::string& line : logger_.Lines()) {
      EXPECT_THAT(line, Not(HasSubstr(kReaderToken)));
      EXPECT_THAT(line, Not(HasSubstr(kAdminToken)));
    }
    api_.reset();
    store_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  Reply Send(const std::string& method, const std::string& path, std::string body,
             const std::string& token) {
    http::Request request;
    request.method = method;
    request.path = path;
    request.body = std::move(body);
    if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
    request.remote_address = "127.0.0.1";
    http::Response response = api_->Handle(request);
    Reply r;
    r.status = response.status;
    r.body = response.body;
    r.json = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    EXPECT_EQ(response.headers["content-type"], "application/json") << r.body;
    EXPECT_THAT(r.body, Not(HasSubstr(kReaderToken)));
    if (r.status == 200 && path == "/v1/decisions/launch") {
      EXPECT_THAT(testing::CheckAgainstSchema(DecisionSchema(), r.json), IsEmpty()) << r.body;
      Result<protocol::LaunchDecision> decoded = protocol::DecodeLaunchDecision(r.body);
      EXPECT_OK(decoded.status()) << r.body;
    } else if (r.status >= 300) {
      EXPECT_THAT(testing::CheckAgainstSchema(ErrorSchema(), r.json), IsEmpty()) << r.body;
    }
    return r;
  }

  Reply Decide(const std::string& body, const std::string& token = kReaderToken) {
    return Send("POST", "/v1/decisions/launch", body, token);
  }

  static const Json& DecisionSchema() {
    static const Json* schema = new Json(testing::LoadSchema("launch-decision"));
    return *schema;
  }
  static const Json& ErrorSchema() {
    static const Json* schema = new Json(testing::LoadSchema("error"));
    return *schema;
  }

  // A request for VM web1 on `host` with a disk whose content is `disk`.
  static std::string Request(const std::string& host, const std::string& disk = "disk of web1") {
    Json m = {{"component", "disk"},
              {"path", "/var/lib/vms/web1.qcow2"},
              {"size", disk.size()},
              {"digests", {{"sha256", Sha256Hex(disk)}}}};
    Json j = {{"host", host},
              {"vm", {{"id", "6b1f0c2e-web1"}, {"name", "web1"}}},
              {"measurements", Json::array({m})}};
    return j.dump();
  }

  void SeedHost(const std::string& host_id) {
    EnrollmentRecord e;
    e.id = "e-seed-" + host_id;
    e.ek_public = ToBytes("ek-" + host_id);
    e.ak_public = ToBytes("ak-" + host_id);
    e.ak_name = ToBytes("ak-name-" + host_id);
    e.secret_digest = Bytes(32, 0x11);
    e.host_facts_json = R"({"hostname":")" + host_id + R"("})";
    e.created_at = clock_.Now();
    e.expires_at = clock_.Now() + std::chrono::seconds(300);
    ASSERT_OK(store_->CreateEnrollment(e));
    HostRecord h;
    h.host_id = host_id;
    h.hostname = host_id;
    h.ek_public = e.ek_public;
    h.ak_public = e.ak_public;
    h.ak_name = e.ak_name;
    h.host_facts_json = e.host_facts_json;
    h.enrolled_at = clock_.Now();
    ASSERT_OK(store_->ActivateEnrollment(e.id, h, /*replace=*/false));
  }

  // A report as the evidence route stores it.
  void AddReport(const std::string& host_id, Verdict verdict, std::chrono::seconds validity) {
    AppraisalResult result;
    result.verdict = verdict;
    result.appraised_at = clock_.Now();
    result.expires_at = clock_.Now() + validity;
    ReportRecord report;
    report.host_id = host_id;
    report.appraised_at = result.appraised_at;
    report.verdict = std::string(VerdictName(verdict));
    report.report_json = ReportJson(host_id, 0, result);
    ASSERT_OK(store_->AddReport(report).status());
  }

  void PutVmImage(const std::string& content) {
    Json set = {{"name", "vms"},
                {"version", 0},
                {"entries", Json::array({{{"kind", "vm-image"},
                                          {"name", "web1 image"},
                                          {"digests", {{"sha256", Sha256Hex(content)}}}}})}};
    Reply r = Send("PUT", "/v1/reference-sets/vms", set.dump(), kAdminToken);
    ASSERT_EQ(r.status, 201) << r.body;  // created
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  crypto::OpenSslRandom random_;
  MutableClock clock_;
  testing::RecordingLogger logger_;
  std::unique_ptr<TokenAuthenticator> tokens_;
  Metrics metrics_;
  ApiOptions options_;
  std::unique_ptr<VerifierApi> api_;
};

TEST_F(ApiDecisionsTest, TrustedHostAndKnownDiskAreAllowed) {
  ASSERT_NO_FATAL_FAILURE(SeedHost("h-alpha"));
  ASSERT_NO_FATAL_FAILURE(AddReport("h-alpha", Verdict::kTrusted, std::chrono::seconds(600)));
  ASSERT_NO_FATAL_FAILURE(PutVmImage("disk of web1"));
  Reply r = Decide(Request("h-alpha"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["decision"], "allow");
  EXPECT_EQ(r.json["host"], "h-alpha");
  EXPECT_EQ(r.json["vm"]["name"], "web1");
  EXPECT_EQ(r.json["host_verdict"], "trusted");
  EXPECT_EQ(r.json["decided_at"], "2026-11-18T11:06:40Z");
  EXPECT_THAT(r.ReasonIds(), ElementsAre("launch.component_known"));
  // Logged at info, naming the VM, host and decision (never the token).
  bool logged = false;
  for (const std::string& line : logger_.Lines()) {
    logged = logged || (line.find("launch decision") != std::string::npos &&
                        line.find("'web1'") != std::string::npos &&
                        line.find("h-alpha: allow") != std::string::npos &&
                        line.find("'launcher'") != std::string::npos);
  }
  EXPECT_TRUE(logged) << ::testing::PrintToString(logger_.Lines());

  // An admin token may ask too.
  EXPECT_EQ(Decide(Request("h-alpha"), kAdminToken).json["decision"], "allow");
}

TEST_F(ApiDecisionsTest, UnknownHostIsA200Deny) {
  ASSERT_NO_FATAL_FAILURE(PutVmImage("disk of web1"));
  Reply r = Decide(Request("h-nobody"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["decision"], "deny");
  EXPECT_EQ(r.json["host_verdict"], "none");
  EXPECT_THAT(r.ReasonIds(), Contains("launch.host_not_enrolled"));
}

TEST_F(ApiDecisionsTest, HostWithoutReportIsDenied) {
  ASSERT_NO_FATAL_FAILURE(SeedHost("h-alpha"));
  ASSERT_NO_FATAL_FAILURE(PutVmImage("disk of web1"));
  Reply r = Decide(Request("h-alpha"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["decision"], "deny");
  EXPECT_THAT(r.ReasonIds(), Contains("launch.host_not_attested"));
}

TEST_F(ApiDecisionsTest, UntrustedAndUnknownVerdictsAreDenied) {
  ASSERT_NO_FATAL_FAILURE(SeedHost("h-alpha"));
  ASSERT_NO_FATAL_FAILURE(PutVmImage("disk of web1"));
  ASSERT_NO_FATAL_FAILURE(AddReport("h-alpha", Verdict::kUntrusted, std::chrono::seconds(0)));
  Reply untrusted = Decide(Request("h-alpha"));
  EXPECT_EQ(untrusted.json["decision"], "deny");
  EXPECT_EQ(untrusted.json["host_verdict"], "untrusted");
  EXPECT_THAT(untrusted.ReasonIds(), Contains("launch.host_untrusted"));

  ASSERT_NO_FATAL_FAILURE(AddReport("h-alpha", Verdict::kUnknown, std::chrono::seconds(0)));
  Reply unknown = Decide(Request("h-alpha"));
  EXPECT_EQ(unknown.json["decision"], "deny");
  EXPECT_THAT(unknown.ReasonIds(), Contains("launch.host_unknown_verdict"));
}

TEST_F(ApiDecisionsTest, ExpiredReportIsDenied) {
  ASSERT_NO_FATAL_FAILURE(SeedHost("h-alpha"));
  ASSERT_NO_FATAL_FAILURE(PutVmImage("disk of web1"));
  ASSERT_NO_FATAL_FAILURE(AddReport("h-alpha", Verdict::kTrusted, std::chrono::seconds(600)));
  clock_.Set(clock_.Now() + std::chrono::seconds(599));
  EXPECT_EQ(Decide(Request("h-alpha")).json["decision"], "allow");
  clock_.Set(clock_.Now() + std::chrono::seconds(1));
  Reply r = Decide(Request("h-alpha"));
  EXPECT_EQ(r.json["decision"], "deny");
  EXPECT_THAT(r.ReasonIds(), Contains("launch.report_expired"));
}

TEST_F(ApiDecisionsTest, IdentityChangeAfterATrustedReportIsDenied) {
  ASSERT_NO_FATAL_FAILURE(SeedHost("h-alpha"));
  ASSERT_NO_FATAL_FAILURE(PutVmImage("disk of web1"));
  ASSERT_NO_FATAL_FAILURE(AddReport("h-alpha", Verdict::kTrusted, std::chrono::seconds(600)));
  ASSERT_OK(store_->FlagIdentityChange("h-alpha", {"e-later", "ak_changed", clock_.Now()}));
  Reply r = Decide(Request("h-alpha"));
  EXPECT_EQ(r.json["decision"], "deny");
  EXPECT_EQ(r.json["host_verdict"], "untrusted");
}

TEST_F(ApiDecisionsTest, UnknownDiskAndMissingReferencesAreDenied) {
  ASSERT_NO_FATAL_FAILURE(SeedHost("h-alpha"));
  ASSERT_NO_FATAL_FAILURE(AddReport("h-alpha", Verdict::kTrusted, std::chrono::seconds(600)));
  Reply none = Decide(Request("h-alpha"));
  EXPECT_EQ(none.json["decision"], "deny");
  EXPECT_THAT(none.ReasonIds(), ElementsAre("launch.no_references"));

  ASSERT_NO_FATAL_FAILURE(PutVmImage("disk of web1"));
  Reply rogue = Decide(Request("h-alpha", "a rogue disk"));
  EXPECT_EQ(rogue.json["decision"], "deny");
  EXPECT_THAT(rogue.ReasonIds(), ElementsAre("launch.component_unknown"));
  EXPECT_EQ(rogue.json["reasons"][0]["actual"], Sha256Hex("a rogue disk"));
}

TEST_F(ApiDecisionsTest, BadBodiesAre400NamingTheField) {
  Reply syntax = Decide("{not json");
  EXPECT_EQ(syntax.status, 400) << syntax.body;

  Json j = Json::parse(Request("h-alpha"));
  j["measurements"][0]["digests"]["sha256"] = "abc";
  Reply digest = Decide(j.dump());
  EXPECT_EQ(digest.status, 400) << digest.body;
  EXPECT_THAT(digest.ErrorField(), HasSubstr("measurements[0].digests"));

  j = Json::parse(Request("h-alpha"));
  j["measurements"] = Json::array();
  Reply empty = Decide(j.dump());
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_EQ(empty.ErrorField(), "measurements");

  j = Json::parse(Request("h-alpha"));
  j["extra"] = 1;
  EXPECT_EQ(Decide(j.dump()).status, 400);

  j = Json::parse(Request("h-alpha"));
  j["host"] = "bad host id with spaces";
  Reply host = Decide(j.dump());
  EXPECT_EQ(host.status, 400) << host.body;
  EXPECT_EQ(host.ErrorField(), "host");
}

TEST_F(ApiDecisionsTest, BodyOverTheLimitIs413) {
  Reply r = Decide(std::string((size_t{1} << 20) + 1, ' '));
  EXPECT_EQ(r.status, 413) << r.body;
}

TEST_F(ApiDecisionsTest, TokensAreRequired) {
  Reply none = Decide(Request("h-alpha"), "");
  EXPECT_EQ(none.status, 401) << none.body;
  Reply wrong = Decide(Request("h-alpha"), "vch_not-a-configured-token");
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  // A decision changes nothing: readers may ask, so no token gets 403 here.
  EXPECT_EQ(Decide(Request("h-alpha"), kReaderToken).status, 200);
}

TEST_F(ApiDecisionsTest, OnlyPostIsAllowed) {
  Reply r = Send("GET", "/v1/decisions/launch", "", kReaderToken);
  EXPECT_EQ(r.status, 405) << r.body;
  // Only this one POST is open to readers: any other is an admin route.
  EXPECT_EQ(Send("POST", "/v1/decisions/other", "{}", kReaderToken).status, 403);
  EXPECT_EQ(Send("POST", "/v1/decisions/other", "{}", kAdminToken).status, 404);
  // Unauthenticated callers learn nothing about the method.
  EXPECT_EQ(Send("GET", "/v1/decisions/launch", "", "").status, 401);
}

}  // namespace
}  // namespace vouch::verifier
