// VerifierApi in process (no HTTP) over a real SQLite store in a temporary
// directory, with bearer tokens and metrics. Hosts are seeded in the store
// (enrollment through the API needs a TPM's ActivateCredential); their
// evidence is real: FakeTpmDevice quotes (software P-256 AK, real
// TPMS_ATTEST) over PCRs that a real firmware log replays to, assembled by
// the agent's EvidenceCollector.
//
// Every response body is checked: errors against schemas/error.schema.json,
// and every 2xx JSON body against its schema (the fixture fails a test that
// leaves a 2xx body unchecked). No response and no log line may contain a
// token or a credential secret.
#include "verifier/api/api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "agent/evidence_collector.h"
#include "core/base/bytes.h"
#include "core/crypto/random.h"
#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"
#include "core/protocol/enrollment.h"
#include "core/protocol/evidence.h"
#include "core/tpm/public.h"
#include "tests/testing/agent_fakes.h"
#include "tests/testing/fake_tpm_device.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/recording_logger.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/policy/schema_check.h"
#include "verifier/config/auth.h"
#include "verifier/metrics/metrics.h"
#include "verifier/store/sqlite_store.h"

namespace vouch::verifier {
namespace {

using ::testing::Contains;
using testing::FakeTpmDevice;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Json = nlohmann::json;

constexpr char kSrtmFixture[] = "tpm2tss__binary_measurements_pc_client.bin";
constexpr char kReaderToken[] = "vch_reader-token-for-api-test-0123456789abcdefghij";
constexpr char kAdminToken[] = "vch_admin-token-for-api-test-0123456789abcdefghijk";
constexpr size_t kMaxEvidenceBytes = size_t{1} << 20;
constexpr size_t kMaxRequestBytes = size_t{64} << 10;

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
  void Advance(std::chrono::seconds s) { Set(Now() + s); }

 private:
  mutable std::mutex mu_;
  std::chrono::system_clock::time_point now_;
};

const Json& Schema(const std::string& name) {
  static std::map<std::string, Json>* cache = new std::map<std::string, Json>();
  auto it = cache->find(name);
  if (it == cache->end()) it = cache->emplace(name, testing::LoadSchema(name)).first;
  return it->second;
}

// One answer as the tests see it. (clang-tidy cannot prove nlohmann::json's
// implicit moves noexcept; a test value, never moved in a noexcept context.)
struct Reply {  // NOLINT(bugprone-exception-escape)
  int status = 0;
  http::Headers headers;
  std::string body;
  Json json;  // discarded when the body is not JSON
  size_t index = 0;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  std::string ErrorCode() const {
    return json.is_object() && json.contains("error") ? json["error"].value("code", "") : "";
  }
  std::string ErrorField() const {
    return json.is_object() && json.contains("error") ? json["error"].value("field", "") : "";
  }
};

std::string Sha256Hex(std::string_view s) {
  std::string spec = HashToken(s);  // "sha256:<hex>"
  return spec.substr(spec.find(':') + 1);
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VOUCH_REQUIRE_FIXTURES(root);
    ASSERT_OK_AND_ASSIGN(srtm_, testing::ReadFileBytes(root / "eventlogs" / kSrtmFixture));
    std::string tmpl = ::testing::TempDir() + "vouch_api_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ASSERT_OK_AND_ASSIGN(store_, OpenSqliteStore(dir_ + "/verifier.db"));
    ASSERT_OK_AND_ASSIGN(TokenEntry reader,
                         ParseTokenSpec("dashboard", "reader:" + HashToken(kReaderToken)));
    ASSERT_OK_AND_ASSIGN(TokenEntry admin,
                         ParseTokenSpec("ops", "admin:" + HashToken(kAdminToken)));
    tokens_ = std::make_unique<TokenAuthenticator>(std::vector<TokenEntry>{reader, admin});
    clock_.Set(std::chrono::system_clock::time_point(std::chrono::seconds(1'795'000'000)));
    options_.max_evidence_bytes = kMaxEvidenceBytes;
    options_.max_request_bytes = kMaxRequestBytes;
    api_ = std::make_unique<VerifierApi>(
        ApiDeps{*store_, random_, clock_, logger_, tokens_.get(), &metrics_, nullptr}, options_);

    ASSERT_OK_AND_ASSIGN(ak_, tpm_.CreateLoadedAk());
    ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog parsed, eventlog::ParseEventLog(srtm_));
    ASSERT_OK_AND_ASSIGN(tpm::PcrValues values, eventlog::ComputePcrs(parsed));
    for (const auto& [bank, pcrs] : values.banks()) {
      for (const auto& [pcr, value] : pcrs) tpm_.SetPcrForTest(bank, pcr, value);
    }
    logs_.Set(agent::LogKind::kSrtm, srtm_);
    facts_.facts.hostname = "alpha.example";
    facts_.facts.agent_version = "1.0.0";
    facts_.facts.hypervisor = protocol::HypervisorKind::kXen;
    facts_.facts.measured_launch = protocol::MeasuredLaunch::kTxt;
    facts_.facts.labels = {{"rack", "r1"}};
  }

  void TearDown() override {
    // Every 2xx JSON body went through Valid(); no token, secret or proof in
    // any answer or log line.
    for (const Reply& r : replies_) {
      if (r.status >= 200 && r.status < 300 && !r.body.empty() &&
          r.Header("content-type") == "application/json") {
        EXPECT_TRUE(validated_.count(r.index)) << "unchecked " << r.status << " body: " << r.body;
      }
    }
    std::vector<std::string> forbidden = {kReaderToken, kAdminToken, Sha256Hex(kReaderToken),
                                          Sha256Hex(kAdminToken)};
    for (const std::string& s : secrets_) forbidden.push_back(s);
    for (const Reply& r : replies_) {
      for (const std::string& f : forbidden) {
        EXPECT_THAT(r.body, Not(HasSubstr(f)));
        for (const auto& [k, v] : r.headers) EXPECT_THAT(v, Not(HasSubstr(f))) << k;
      }
    }
    for (const std::string& line : logger_.Lines()) {
      for (const std::string& f : forbidden) EXPECT_THAT(line, Not(HasSubstr(f)));
    }
    api_.reset();
    store_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  // One request through VerifierApi::Handle. `target` may carry "?query".
  // Error answers are checked against error.schema.json here; 2xx JSON
  // answers must be checked by the test with Valid().
  Reply Send(const std::string& method, const std::string& target, std::string body = "",
             const std::string& token = "", http::Headers headers = {}) {
    http::Request request;
    request.method = method;
    size_t q = target.find('?');
    request.path = target.substr(0, q);
    if (q != std::string::npos) request.query = target.substr(q + 1);
    request.body = std::move(body);
    request.headers = std::move(headers);
    if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
    request.remote_address = "127.0.0.1";
    http::Response response = api_->Handle(request);
    Reply r;
    r.status = response.status;
    r.headers = response.headers;
    r.body = response.body;
    r.json = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    r.index = replies_.size();
    EXPECT_GE(r.status, 200);
    EXPECT_LT(r.status, 600);
    if (r.status >= 300) {
      EXPECT_EQ(r.Header("content-type"), "application/json") << method << " " << target;
      EXPECT_THAT(vouch::testing::CheckAgainstSchema(Schema("error"), r.json), IsEmpty())
          << method << " " << target << ": " << r.body;
      EXPECT_FALSE(r.ErrorCode().empty());
    } else if (r.status == 204) {
      EXPECT_TRUE(r.body.empty());
    }
    replies_.push_back(r);
    return r;
  }

  Reply Reader(const std::string& method, const std::string& target, std::string body = "") {
    return Send(method, target, std::move(body), kReaderToken);
  }
  Reply Admin(const std::string& method, const std::string& target, std::string body = "",
              http::Headers headers = {}) {
    return Send(method, target, std::move(body), kAdminToken, std::move(headers));
  }

  // Checks a 2xx reply's body against schemas/<schema>.schema.json (or,
  // for "healthz", the inline schema of schemas/openapi.yaml).
  void Valid(const Reply& r, const std::string& schema) {
    validated_.insert(r.index);
    ASSERT_FALSE(r.json.is_discarded()) << r.body;
    // By hand, for a full draft 2020-12 validator (schemas/README.md):
    // VOUCH_API_TEST_DUMP=DIR writes every checked body to DIR/<schema>.<n>.json.
    if (const char* dump = std::getenv("VOUCH_API_TEST_DUMP"); dump != nullptr) {
      std::ofstream(std::string(dump) + "/" + schema + "." +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name() + "." +
                    std::to_string(r.index) + ".json")
          << r.body;
    }
    static const Json kHealthz =
        Json::parse(R"({"type":"object","additionalProperties":false,"required":["status"],)"
                    R"("properties":{"status":{"const":"ok"}}})");
    EXPECT_THAT(
        vouch::testing::CheckAgainstSchema(schema == "healthz" ? kHealthz : Schema(schema), r.json),
        IsEmpty())
        << schema << ": " << r.body;
  }

  // Another AK (under another EK) of the same fake TPM: quotes the same PCRs.
  tpm_device::TpmObject ak2() {
    Result<tpm_device::TpmObject> ak = tpm_.CreateLoadedAk();
    EXPECT_OK(ak.status());
    return ak.has_value() ? std::move(*ak) : tpm_device::TpmObject();
  }

  // Creates an enrolled host in the store (enrollment + activation) with
  // `ak` and `ek_public`; returns its id.
  void SeedHost(const std::string& host_id, const Bytes& ek_public, const tpm_device::TpmObject& ak,
                const protocol::HostFacts& facts) {
    ASSERT_OK_AND_ASSIGN(tpm::TpmPublic pub, tpm::TpmPublic::DecodeTpm2b(ak.public_area()));
    EnrollmentRecord e;
    e.id = "e-seed-" + host_id;
    e.ek_public = ek_public;
    e.ak_public = ak.public_area();
    e.ak_name = pub.name();
    e.secret_digest = Bytes(32, 0x11);
    ASSERT_OK_AND_ASSIGN(e.host_facts_json, protocol::EncodeHostFactsJson(facts));
    e.created_at = clock_.Now();
    e.expires_at = clock_.Now() + std::chrono::seconds(300);
    ASSERT_OK(store_->CreateEnrollment(e));
    HostRecord h;
    h.host_id = host_id;
    h.hostname = facts.hostname;
    h.ek_public = e.ek_public;
    h.ak_public = e.ak_public;
    h.ak_name = e.ak_name;
    h.host_facts_json = e.host_facts_json;
    h.enrolled_at = clock_.Now();
    ASSERT_OK(store_->ActivateEnrollment(e.id, h, /*replace=*/false));
  }

  void SeedAlpha() { ASSERT_NO_FATAL_FAILURE(SeedHost("h-alpha", ek_, ak_, facts_.facts)); }

  // A nonce for `host_id` through the challenge route (no token).
  Bytes Challenge(const std::string& host_id) {
    Reply r = Send("POST", "/v1/hosts/" + host_id + "/challenges", "{}");
    EXPECT_EQ(r.status, 201) << r.body;
    Valid(r, "challenge");
    if (r.status != 201) return Bytes(32, 0);
    Result<protocol::Challenge> c = protocol::DecodeChallenge(r.body);
    EXPECT_OK(c.status());
    return c.has_value() ? c->nonce : Bytes(32, 0);
  }

  std::string EvidenceJson(const Bytes& nonce, const tpm_device::TpmObject& ak) {
    agent::EvidenceCollector collector(tpm_, ak, logs_, facts_);
    Result<protocol::Evidence> ev = collector.Collect(nonce, {});
    EXPECT_OK(ev.status());
    if (!ev.has_value()) return "";
    Result<std::string> json = protocol::EncodeEvidence(*ev);
    EXPECT_OK(json.status());
    return json.value_or("");
  }

  // challenge -> evidence -> the 200 report (schema-checked).
  Reply Attest(const std::string& host_id, const tpm_device::TpmObject& ak) {
    Bytes nonce = Challenge(host_id);
    Reply r = Send("POST", "/v1/hosts/" + host_id + "/evidence", EvidenceJson(nonce, ak));
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status == 200) Valid(r, "report");
    return r;
  }

  static std::vector<std::string> FindingIds(const Json& report) {
    std::vector<std::string> ids;
    if (!report.is_object() || !report.contains("findings")) return ids;
    for (const Json& f : report["findings"]) ids.push_back(f.value("id", ""));
    return ids;
  }

  Bytes srtm_;
  std::string dir_;
  std::unique_ptr<Store> store_;
  crypto::OpenSslRandom random_;
  MutableClock clock_;
  testing::RecordingLogger logger_;
  std::unique_ptr<TokenAuthenticator> tokens_;
  Metrics metrics_;
  ApiOptions options_;
  std::unique_ptr<VerifierApi> api_;
  FakeTpmDevice tpm_;
  tpm_device::TpmObject ak_;
  testing::MemoryLogSource logs_;
  testing::FixedHostFacts facts_;
  const Bytes ek_ = Bytes{'e', 'k', '-', 'a', 'l', 'p', 'h', 'a'};
  std::vector<Reply> replies_;
  std::set<size_t> validated_;
  // Strings that must never appear in an answer or a log line.
  std::vector<std::string> secrets_;
};

// host-list and report-list carry copies of host and report in $defs (each
// schema stands alone, as reference-set does with reference-value).
TEST(ApiSchemaTest, ListSchemasCarryTheItemSchemas) {
  for (const auto& [list, item] : std::vector<std::pair<std::string, std::string>>{
           {"host-list", "host"}, {"report-list", "report"}}) {
    Json copy = Schema(list)["$defs"][item];
    Json original = Schema(item);
    for (const char* k : {"$schema", "$id", "title", "description"}) original.erase(k);
    copy.erase("description");
    EXPECT_EQ(copy, original) << list << " $defs/" << item << " differs from " << item;
  }
}

TEST_F(ApiTest, ChallengeEvidenceReportWithoutReferencesIsUnknown) {
  ASSERT_NO_FATAL_FAILURE(SeedAlpha());
  Reply report = Attest("h-alpha", ak_);
  ASSERT_EQ(report.status, 200);
  EXPECT_EQ(report.json["verdict"], "unknown");
  EXPECT_EQ(report.json["host_id"], "h-alpha");
  EXPECT_EQ(report.json["trust"]["platform"], "unknown");
  EXPECT_GE(report.json["report_id"].get<int64_t>(), 1);
  EXPECT_THAT(FindingIds(report.json), Not(Contains("quote.nonce_reused")));

  Reply host = Reader("GET", "/v1/hosts/h-alpha");
  ASSERT_EQ(host.status, 200) << host.body;
  Valid(host, "host");
  EXPECT_EQ(host.json["verdict"], "unknown");
  EXPECT_FALSE(host.json["last_report_at"].is_null());
  EXPECT_EQ(host.json["facts"]["hostname"], "alpha.example");

  Reply latest = Reader("GET", "/v1/hosts/h-alpha/reports/latest");
  ASSERT_EQ(latest.status, 200) << latest.body;
  Valid(latest, "report");
  EXPECT_EQ(latest.json, report.json);

  Attest("h-alpha", ak_);
  Reply list = Reader("GET", "/v1/hosts/h-alpha/reports?limit=1");
  ASSERT_EQ(list.status, 200) << list.body;
  Valid(list, "report-list");
  ASSERT_EQ(list.json["reports"].size(), 1u);
  const int64_t newest = list.json["reports"][0]["report_id"].get<int64_t>();
  EXPECT_GT(newest, report.json["report_id"].get<int64_t>());
  ASSERT_EQ(list.json["next_before"], newest);
  Reply older = Reader("GET", "/v1/hosts/h-alpha/reports?limit=5&before=" + std::to_string(newest));
  ASSERT_EQ(older.status, 200) << older.body;
  Valid(older, "report-list");
  ASSERT_EQ(older.json["reports"].size(), 1u);
  EXPECT_EQ(older.json["reports"][0], report.json);
  EXPECT_TRUE(older.json["next_before"].is_null());

  // A host without reports.
  ASSERT_NO_FATAL_FAILURE(SeedHost("h-quiet", Bytes{'e', 'k', '2'}, ak2(), facts_.facts));
  Reply none = Reader("GET", "/v1/hosts/h-quiet/reports/latest");
  EXPECT_EQ(none.status, 404);
}

TEST_F(ApiTest, ImportedReferencesMakeTheNextAttestationTrusted) {
  ASSERT_NO_FATAL_FAILURE(SeedAlpha());
  // No verified evidence yet: nothing to import.
  Reply early = Admin("POST", "/v1/reference-sets/golden/import", R"({"host_id":"h-alpha"})");
  EXPECT_EQ(early.status, 409) << early.body;
  ASSERT_EQ(Attest("h-alpha", ak_).json["verdict"], "unknown");

  Reply imported = Admin("POST", "/v1/reference-sets/golden/import", R"({"host_id":"h-alpha"})");
  ASSERT_EQ(imported.status, 201) << imported.body;
  Valid(imported, "reference-set");
  EXPECT_EQ(imported.json["name"], "golden");
  EXPECT_EQ(imported.json["version"], 1);
  EXPECT_EQ(imported.json["updated_by"], "ops");
  ASSERT_FALSE(imported.json["entries"].empty());
  for (const Json& e : imported.json["entries"]) {
    EXPECT_EQ(e["kind"], "platform");
    EXPECT_THAT(e.value("source", ""), HasSubstr("host:h-alpha"));
    EXPECT_EQ(e["added_by"], "ops");
    EXPECT_FALSE(e.value("id", "").empty());
  }

  Reply trusted = Attest("h-alpha", ak_);
  EXPECT_EQ(trusted.json["verdict"], "trusted") << trusted.body;
  EXPECT_EQ(trusted.json["trust"]["platform"], "trusted");
  EXPECT_FALSE(trusted.json["matched_references"].empty());

  // Importing again adds nothing new but stores a new version.
  Reply again = Admin("POST", "/v1/reference-sets/golden/import", R"({"host_id":"h-alpha"})");
  ASSERT_EQ(again.status, 201) << again.body;
  Valid(again, "reference-set");
  EXPECT_EQ(again.json["version"], 2);
  EXPECT_EQ(again.json["entries"].size(), imported.json["entries"].size());

  Reply list = Reader("GET", "/v1/reference-sets");
  ASSERT_EQ(list.status, 200) << list.body;
  Valid(list, "reference-set-list");
  ASSERT_EQ(list.json["reference_sets"].size(), 1u);
  EXPECT_EQ(list.json["reference_sets"][0]["name"], "golden");
  EXPECT_EQ(list.json["reference_sets"][0]["version"], 2);
  EXPECT_EQ(list.json["reference_sets"][0]["entries"], imported.json["entries"].size());

  // Bad bodies and unknown hosts.
  EXPECT_EQ(Admin("POST", "/v1/reference-sets/golden/import", R"({"host_id":1})").ErrorField(),
            "host_id");
  EXPECT_EQ(Admin("POST", "/v1/reference-sets/golden/import", R"({"host":"h-alpha"})").status, 400);
  EXPECT_EQ(Admin("POST", "/v1/reference-sets/golden/import", R"([1])").status, 400);
  EXPECT_EQ(Admin("POST", "/v1/reference-sets/golden/import", R"({"host_id":"h-none"})").status,
            404);
}

constexpr char kDigest1[] = "1111111111111111111111111111111111111111111111111111111111111111";
constexpr char kDigest2[] = "2222222222222222222222222222222222222222222222222222222222222222";

std::string SetBody(const std::string& digest) {
  return R"({"name":"xen","description":"Xen builds","entries":[{"kind":"hypervisor",)"
         R"("name":"xen 4.17.3","digests":{"sha256":")" +
         digest + R"("}}]})";
}

TEST_F(ApiTest, ReferenceSetCrudKeepsVersions) {
  Reply created = Admin("PUT", "/v1/reference-sets/xen", SetBody(kDigest1));
  ASSERT_EQ(created.status, 201) << created.body;
  Valid(created, "reference-set");
  EXPECT_EQ(created.json["version"], 1);
  EXPECT_EQ(created.json["entries"][0]["source"], "api");
  EXPECT_EQ(created.json["entries"][0]["added_by"], "ops");

  // A writer that believes the set is new (If-Match: 0) loses.
  Reply conflict = Admin("PUT", "/v1/reference-sets/xen", SetBody(kDigest2), {{"if-match", "0"}});
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_EQ(conflict.ErrorCode(), "failed_precondition");
  EXPECT_EQ(Admin("PUT", "/v1/reference-sets/xen", SetBody(kDigest2), {{"if-match", "7"}}).status,
            409);
  EXPECT_EQ(Admin("PUT", "/v1/reference-sets/xen", SetBody(kDigest2), {{"if-match", "x"}}).status,
            400);
  Reply replaced =
      Admin("PUT", "/v1/reference-sets/xen", SetBody(kDigest2), {{"if-match", "\"1\""}});
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  Valid(replaced, "reference-set");
  EXPECT_EQ(replaced.json["version"], 2);

  Reply added = Admin("POST", "/v1/reference-sets/xen/entries",
                      R"({"kind":"kernel","name":"linux 6.6","digests":{"sha256":")" +
                          std::string(kDigest1) + R"("}})");
  ASSERT_EQ(added.status, 201) << added.body;
  Valid(added, "reference-set");
  EXPECT_EQ(added.json["version"], 3);
  ASSERT_EQ(added.json["entries"].size(), 2u);
  const std::string entry_id = added.json["entries"][1]["id"].get<std::string>();
  // The same explicit id twice is refused.
  Reply dup = Admin("POST", "/v1/reference-sets/xen/entries",
                    R"({"kind":"kernel","name":"k","id":")" + entry_id +
                        R"(","digests":{"sha256":")" + std::string(kDigest2) + R"("}})");
  EXPECT_EQ(dup.status, 409) << dup.body;

  Reply removed = Admin("DELETE", "/v1/reference-sets/xen/entries/" + entry_id);
  ASSERT_EQ(removed.status, 200) << removed.body;
  Valid(removed, "reference-set");
  EXPECT_EQ(removed.json["version"], 4);
  EXPECT_EQ(removed.json["entries"].size(), 1u);
  EXPECT_EQ(Admin("DELETE", "/v1/reference-sets/xen/entries/" + entry_id).status, 404);
  EXPECT_EQ(Admin("DELETE", "/v1/reference-sets/nosuch/entries/x").status, 404);

  Reply current = Reader("GET", "/v1/reference-sets/xen");
  ASSERT_EQ(current.status, 200) << current.body;
  Valid(current, "reference-set");
  EXPECT_EQ(current.json["version"], 4);
  EXPECT_EQ(current.Header("etag"), "\"4\"");
  Reply v1 = Reader("GET", "/v1/reference-sets/xen?version=1");
  ASSERT_EQ(v1.status, 200) << v1.body;
  Valid(v1, "reference-set");
  EXPECT_EQ(v1.json, created.json);
  EXPECT_EQ(v1.Header("etag"), "\"1\"");
  EXPECT_EQ(Reader("GET", "/v1/reference-sets/xen?version=99").status, 404);
  EXPECT_EQ(Reader("GET", "/v1/reference-sets/xen?version=0").ErrorField(), "version");
  EXPECT_EQ(Reader("GET", "/v1/reference-sets/xen?version=abc").status, 400);

  Reply deleted = Admin("DELETE", "/v1/reference-sets/xen");
  EXPECT_EQ(deleted.status, 204) << deleted.body;
  EXPECT_EQ(Reader("GET", "/v1/reference-sets/xen").status, 404);
  EXPECT_EQ(Admin("DELETE", "/v1/reference-sets/xen").status, 404);
  Reply old = Reader("GET", "/v1/reference-sets/xen?version=2");
  ASSERT_EQ(old.status, 200) << old.body;
  Valid(old, "reference-set");
  EXPECT_EQ(old.json, replaced.json);
  Reply empty = Reader("GET", "/v1/reference-sets");
  ASSERT_EQ(empty.status, 200);
  Valid(empty, "reference-set-list");
  EXPECT_TRUE(empty.json["reference_sets"].empty());
  // Refusals: name mismatch, bad names, bad documents.
  EXPECT_EQ(Admin("PUT", "/v1/reference-sets/other", SetBody(kDigest1)).ErrorField(), "name");
  EXPECT_EQ(Admin("PUT", "/v1/reference-sets/bad%20name!", SetBody(kDigest1)).status, 404);
  EXPECT_EQ(Admin("PUT", "/v1/reference-sets/xen", R"({"name":"xen","entries":{}})").status, 400);
  EXPECT_EQ(Admin("PUT", "/v1/reference-sets/xen",
                  R"({"name":"xen","entries":[{"kind":"platform","name":"n","digests":)"
                  R"({"sha256":"00"}}]})")
                .status,
            400);
  EXPECT_EQ(Admin("POST", "/v1/reference-sets/xen/entries", "{").status, 400);
}

TEST_F(ApiTest, RolesAndTokens) {
  ASSERT_NO_FATAL_FAILURE(SeedAlpha());
  Reply anonymous = Send("GET", "/v1/hosts");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.Header("www-authenticate"), "Bearer");
  EXPECT_EQ(anonymous.ErrorCode(), "unauthenticated");
  Reply wrong = Send("GET", "/v1/hosts", "", "vch_not-a-token");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.Header("www-authenticate"), "Bearer");
  Reply basic = Send("GET", "/v1/hosts", "", "", {{"authorization", "Basic b3BzOnB3"}});
  EXPECT_EQ(basic.status, 401);
  EXPECT_EQ(Send("GET", "/v1/summary").status, 401);
  EXPECT_EQ(Send("GET", "/v1/metrics").status, 401);
  EXPECT_EQ(Send("GET", "/v1/reference-sets").status, 401);

  Reply reader_put = Reader("PUT", "/v1/reference-sets/xen", SetBody(kDigest1));
  EXPECT_EQ(reader_put.status, 403);
  EXPECT_EQ(reader_put.ErrorCode(), "permission_denied");
  EXPECT_EQ(Reader("PUT", "/v1/hosts/h-alpha/agent-url", R"({"url":""})").status, 403);
  EXPECT_EQ(Reader("POST", "/v1/hosts/h-alpha/identity/approve", "{}").status, 403);
  EXPECT_EQ(Reader("DELETE", "/v1/reference-sets/xen").status, 403);
  EXPECT_EQ(Reader("POST", "/v1/reference-sets/xen/import", R"({"host_id":"h-alpha"})").status,
            403);
  // The reader's refusal is logged by token name, never the token.
  bool logged = false;
  for (const std::string& line : logger_.Lines()) {
    logged = logged || line.find("'dashboard' (reader) refused") != std::string::npos;
  }
  EXPECT_TRUE(logged);

  Reply reader_get = Reader("GET", "/v1/hosts");
  ASSERT_EQ(reader_get.status, 200) << reader_get.body;
  Valid(reader_get, "host-list");
  Reply admin_get = Admin("GET", "/v1/hosts/h-alpha");
  ASSERT_EQ(admin_get.status, 200) << admin_get.body;
  Valid(admin_get, "host");
  Reply admin_put = Admin("PUT", "/v1/reference-sets/xen", SetBody(kDigest1));
  ASSERT_EQ(admin_put.status, 201) << admin_put.body;
  Valid(admin_put, "reference-set");

  // Agent routes and health need no token.
  Reply health = Send("GET", "/v1/healthz");
  ASSERT_EQ(health.status, 200);
  Valid(health, "healthz");
  Reply report = Attest("h-alpha", ak_);
  EXPECT_EQ(report.status, 200);
  // Enrollment needs no token either: this EK is not acceptable (no CA, not
  // allowed), which is a 4xx from the registrar, not a 401.
  ASSERT_OK_AND_ASSIGN(tpm_device::TpmObject ek, tpm_.LoadEk(tpm_device::EkKind::kEcc));
  protocol::EnrollmentRequest enroll;
  enroll.ek_public = ek.public_area();
  enroll.ak_public = ak_.public_area();
  enroll.host = facts_.facts;
  ASSERT_OK_AND_ASSIGN(std::string enroll_json, protocol::EncodeEnrollmentRequest(enroll));
  Reply refused = Send("POST", "/v1/enrollments", enroll_json);
  EXPECT_GE(refused.status, 400);
  EXPECT_LT(refused.status, 500);
  EXPECT_NE(refused.status, 401);

  // Metrics may be public.
  options_.metrics_public = true;
  VerifierApi open_metrics(
      ApiDeps{*store_, random_, clock_, logger_, tokens_.get(), &metrics_, nullptr}, options_);
  http::Request m;
  m.method = "GET";
  m.path = "/v1/metrics";
  EXPECT_EQ(open_metrics.Handle(m).status, 200);
  m.path = "/v1/hosts";
  EXPECT_EQ(open_metrics.Handle(m).status, 401);

  // A verifier without tokens refuses every reader/admin route.
  VerifierApi no_tokens(ApiDeps{*store_, random_, clock_, logger_, nullptr, &metrics_, nullptr},
                        ApiOptions());
  http::Request h;
  h.method = "GET";
  h.path = "/v1/hosts";
  h.headers["authorization"] = std::string("Bearer ") + kAdminToken;
  http::Response denied = no_tokens.Handle(h);
  EXPECT_EQ(denied.status, 401);
  EXPECT_THAT(vouch::testing::CheckAgainstSchema(
                  Schema("error"), Json::parse(denied.body, nullptr, /*allow_exceptions=*/false)),
              IsEmpty());
}

TEST_F(ApiTest, HostListFiltersSortsAndPages) {
  protocol::HostFacts a = facts_.facts;  // alpha.example, xen, rack r1
  protocol::HostFacts b = a;
  b.hostname = "bravo.example";
  b.hypervisor = protocol::HypervisorKind::kKvm;
  b.labels = {{"rack", "r2"}};
  protocol::HostFacts c = a;
  c.hostname = "charlie.example";
  c.labels = {{"rack", "r2"}, {"env", "prod"}};
  ASSERT_NO_FATAL_FAILURE(SeedHost("h-3", Bytes{'e', '3'}, ak_, c));
  tpm_device::TpmObject ak_b = ak2();
  ASSERT_NO_FATAL_FAILURE(SeedHost("h-1", Bytes{'e', '1'}, ak_b, b));
  tpm_device::TpmObject ak_a = ak2();
  ASSERT_NO_FATAL_FAILURE(SeedHost("h-2", Bytes{'e', '2'}, ak_a, a));
  // h-2 gets a report (unknown verdict) a minute later.
  clock_.Advance(std::chrono::seconds(60));
  Attest("h-2", ak_a);

  auto ids = [](const Reply& r) {
    std::vector<std::string> out;
    for (const Json& h : r.json["hosts"]) out.push_back(h["host_id"].get<std::string>());
    return out;
  };
  auto list = [&](const std::string& query) {
    Reply r = Reader("GET", "/v1/hosts" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    if (r.status == 200) Valid(r, "host-list");
    return r;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(list("")), (V{"h-1", "h-2", "h-3"}));
  EXPECT_EQ(ids(list("?hypervisor=xen")), (V{"h-2", "h-3"}));
  EXPECT_EQ(ids(list("?hypervisor=kvm")), (V{"h-1"}));
  EXPECT_EQ(ids(list("?label=rack:r2")), (V{"h-1", "h-3"}));
  EXPECT_EQ(ids(list("?label=rack:r2&label=env:prod")), (V{"h-3"}));
  EXPECT_EQ(ids(list("?label=rack:r9")), V{});
  EXPECT_EQ(ids(list("?verdict=unknown")), (V{"h-1", "h-2", "h-3"}));
  EXPECT_EQ(ids(list("?verdict=trusted")), V{});
  EXPECT_EQ(ids(list("?sort=hostname&order=desc")), (V{"h-3", "h-1", "h-2"}));
  EXPECT_EQ(ids(list("?sort=hostname")), (V{"h-2", "h-1", "h-3"}));
  EXPECT_EQ(ids(list("?order=desc")), (V{"h-3", "h-2", "h-1"}));
  // Hosts without a report sort by host id among themselves; h-2 has one.
  V by_report = ids(list("?sort=last_report_at"));
  ASSERT_EQ(by_report.size(), 3u);

  // Keyset paging (default order).
  Reply page1 = list("?limit=2");
  EXPECT_EQ(ids(page1), (V{"h-1", "h-2"}));
  EXPECT_EQ(page1.json["next_after"], "h-2");
  EXPECT_TRUE(page1.json["next_offset"].is_null());
  Reply page2 = list("?limit=2&after=h-2");
  EXPECT_EQ(ids(page2), (V{"h-3"}));
  EXPECT_TRUE(page2.json["next_after"].is_null());
  // Offset paging (other orders).
  Reply by_name1 = list("?sort=hostname&limit=2");
  EXPECT_EQ(ids(by_name1), (V{"h-2", "h-1"}));
  EXPECT_TRUE(by_name1.json["next_after"].is_null());
  EXPECT_EQ(by_name1.json["next_offset"], 2);
  EXPECT_EQ(ids(list("?sort=hostname&limit=2&offset=2")), (V{"h-3"}));

  // Bad parameters name themselves.
  for (const auto& [query, field] :
       std::vector<std::pair<std::string, std::string>>{{"?limit=0", "limit"},
                                                        {"?limit=1001", "limit"},
                                                        {"?limit=-1", "limit"},
                                                        {"?limit=99999999999999999999", "limit"},
                                                        {"?offset=x", "offset"},
                                                        {"?verdict=good", "verdict"},
                                                        {"?label=norack", "label"},
                                                        {"?label=:v", "label"},
                                                        {"?sort=ak", "sort"},
                                                        {"?order=up", "order"},
                                                        {"?after=a/b", "after"},
                                                        {"?after=h-1&sort=hostname", "after"},
                                                        {"?after=h-1&offset=1", "after"},
                                                        {"?hypervisor=%01", "hypervisor"}}) {
    Reply r = Reader("GET", "/v1/hosts" + query);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_EQ(r.ErrorField(), field) << query;
  }
  EXPECT_EQ(Reader("GET", "/v1/hosts/h-none").status, 404);
  EXPECT_EQ(Reader("GET", "/v1/hosts/h-none/reports").status, 404);
  EXPECT_EQ(Reader("GET", "/v1/hosts/h-none/reports/latest").status, 404);
  EXPECT_EQ(Reader("GET", "/v1/hosts/h-2/reports?limit=0").ErrorField(), "limit");
  EXPECT_EQ(Reader("GET", "/v1/hosts/h-2/reports?before=-4").ErrorField(), "before");
}

TEST_F(ApiTest, SummaryAndMetrics) {
  protocol::HostFacts kvm = facts_.facts;
  kvm.hypervisor = protocol::HypervisorKind::kKvm;
  kvm.hostname = "kvm.example";
  ASSERT_NO_FATAL_FAILURE(SeedAlpha());
  ASSERT_NO_FATAL_FAILURE(SeedHost("h-kvm", Bytes{'e', 'k'}, ak2(), kvm));
  Attest("h-alpha", ak_);
  EXPECT_EQ(Send("POST", "/v1/hosts/h-alpha/evidence", "{").status, 400);

  Reply summary = Reader("GET", "/v1/summary");
  ASSERT_EQ(summary.status, 200) << summary.body;
  Valid(summary, "fleet-summary");
  EXPECT_EQ(summary.json["hosts"], 2);
  EXPECT_EQ(summary.json["by_verdict"]["unknown"], 2);
  EXPECT_EQ(summary.json["by_verdict"]["trusted"], 0);
  EXPECT_EQ(summary.json["by_hypervisor"]["xen"], 1);
  EXPECT_EQ(summary.json["by_hypervisor"]["kvm"], 1);
  EXPECT_EQ(summary.json["stale"], 1);  // h-kvm never reported
  EXPECT_EQ(summary.json["stale_after_seconds"], 900);
  EXPECT_EQ(summary.json["identity_changes"], 0);
  clock_.Advance(std::chrono::seconds(901));
  Reply later = Reader("GET", "/v1/summary");
  ASSERT_EQ(later.status, 200);
  Valid(later, "fleet-summary");
  EXPECT_EQ(later.json["stale"], 2);
  EXPECT_EQ(Admin("POST", "/v1/summary", "{}").status, 405);

  Reply metrics = Reader("GET", "/v1/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_EQ(metrics.Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(metrics.body, HasSubstr("vouch_attestations_total{result=\"unknown\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr("vouch_attestations_total{result=\"rejected\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr("vouch_hosts{verdict=\"unknown\"} 2"));
}

TEST_F(ApiTest, AnotherEkClaimingAnEnrolledMachineIdIsFlaggedAsAWarning) {
  protocol::HostFacts facts = facts_.facts;
  facts.machine_id = std::string(32, 'c');
  ASSERT_NO_FATAL_FAILURE(SeedHost("h-mid", ek_, ak_, facts));

  // Another TPM (other EK and AK) enrolls claiming the same machine id.
  tpm_device::TpmObject new_ak = ak2();
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic new_pub, tpm::TpmPublic::DecodeTpm2b(new_ak.public_area()));
  const Bytes secret(32, 0x24);
  ASSERT_OK_AND_ASSIGN(Bytes proof,
                       protocol::ComputeActivationProof(secret, "e-other-ek", new_pub.name()));
  secrets_ = {HexEncode(secret), Base64Encode(secret), HexEncode(proof), Base64Encode(proof)};
  EnrollmentRecord e;
  e.id = "e-other-ek";
  e.ek_public = Bytes{'o', 't', 'h', 'e', 'r', '-', 'e', 'k'};
  e.ak_public = new_ak.public_area();
  e.ak_name = new_pub.name();
  e.secret_digest = proof;
  ASSERT_OK_AND_ASSIGN(e.host_facts_json, protocol::EncodeHostFactsJson(facts));
  e.created_at = clock_.Now();
  e.expires_at = clock_.Now() + std::chrono::seconds(300);
  ASSERT_OK(store_->CreateEnrollment(e));
  ASSERT_OK_AND_ASSIGN(std::string body, protocol::EncodeActivationRequest({proof}));
  Reply changed = Send("POST", "/v1/enrollments/e-other-ek/activate", body);
  EXPECT_EQ(changed.status, 409) << changed.body;
  EXPECT_THAT(changed.body, HasSubstr("another EK"));

  Reply flagged = Reader("GET", "/v1/hosts/h-mid");
  Valid(flagged, "host");
  ASSERT_TRUE(flagged.json["identity_change"].is_object());
  EXPECT_EQ(flagged.json["identity_change"]["reason"], "ek_changed");
  // No twin host was created.
  Reply hosts = Reader("GET", "/v1/hosts");
  Valid(hosts, "host-list");
  EXPECT_EQ(hosts.json["hosts"].size(), 1u);

  // The machine id is only a claim: the enrolled host's own evidence keeps
  // its verdict, with a warning an operator sees.
  Reply report = Attest("h-mid", ak_);
  EXPECT_EQ(report.json["verdict"], "unknown") << report.body;
  bool warned = false;
  for (const auto& f : report.json["findings"]) {
    if (f["id"] == "host.identity_changed") warned = f["severity"] == "warning";
  }
  EXPECT_TRUE(warned) << report.body;
}

TEST_F(ApiTest, IdentityChangeIsFlaggedUntilAnAdminApproves) {
  ASSERT_NO_FATAL_FAILURE(SeedAlpha());
  Attest("h-alpha", ak_);

  // A later enrollment with the same EK and another AK, whose proof the
  // test knows (the registrar would have made it with MakeCredential).
  tpm_device::TpmObject new_ak = ak2();
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic new_pub, tpm::TpmPublic::DecodeTpm2b(new_ak.public_area()));
  const Bytes secret(32, 0x42);
  const std::string enrollment_id = "e-second";
  ASSERT_OK_AND_ASSIGN(Bytes proof,
                       protocol::ComputeActivationProof(secret, enrollment_id, new_pub.name()));
  secrets_ = {HexEncode(secret), Base64Encode(secret), HexEncode(proof), Base64Encode(proof)};
  EnrollmentRecord e;
  e.id = enrollment_id;
  e.ek_public = ek_;
  e.ak_public = new_ak.public_area();
  e.ak_name = new_pub.name();
  e.secret_digest = proof;
  protocol::HostFacts facts = facts_.facts;
  facts.agent_version = "2.0.0";
  ASSERT_OK_AND_ASSIGN(e.host_facts_json, protocol::EncodeHostFactsJson(facts));
  e.created_at = clock_.Now();
  e.expires_at = clock_.Now() + std::chrono::seconds(300);
  ASSERT_OK(store_->CreateEnrollment(e));

  // A wrong proof is refused without flagging anything.
  ASSERT_OK_AND_ASSIGN(std::string wrong, protocol::EncodeActivationRequest({Bytes(32, 0x99)}));
  Reply refused = Send("POST", "/v1/enrollments/e-second/activate", wrong);
  EXPECT_EQ(refused.status, 403) << refused.body;
  Reply before = Reader("GET", "/v1/hosts/h-alpha");
  Valid(before, "host");
  EXPECT_TRUE(before.json["identity_change"].is_null());

  ASSERT_OK_AND_ASSIGN(std::string body, protocol::EncodeActivationRequest({proof}));
  Reply changed = Send("POST", "/v1/enrollments/e-second/activate", body);
  EXPECT_EQ(changed.status, 409) << changed.body;
  EXPECT_THAT(changed.body, HasSubstr("/v1/hosts/h-alpha/identity/approve"));

  Reply flagged = Reader("GET", "/v1/hosts/h-alpha");
  ASSERT_EQ(flagged.status, 200);
  Valid(flagged, "host");
  EXPECT_EQ(flagged.json["verdict"], "untrusted");
  ASSERT_TRUE(flagged.json["identity_change"].is_object());
  EXPECT_EQ(flagged.json["identity_change"]["reason"], "ak_changed");
  EXPECT_EQ(flagged.json["identity_change"]["enrollment_id"], "e-second");
  Reply summary = Reader("GET", "/v1/summary");
  Valid(summary, "fleet-summary");
  EXPECT_EQ(summary.json["identity_changes"], 1);

  // Until approved, even good evidence with the old AK is untrusted; the
  // new AK is not the host's yet.
  Reply old_ak = Attest("h-alpha", ak_);
  EXPECT_EQ(old_ak.json["verdict"], "untrusted");
  EXPECT_THAT(FindingIds(old_ak.json), Contains("host.identity_changed"));
  Reply new_ak_early = Attest("h-alpha", new_ak);
  EXPECT_EQ(new_ak_early.json["verdict"], "untrusted");

  // Only an admin approves.
  EXPECT_EQ(Reader("POST", "/v1/hosts/h-alpha/identity/approve", "{}").status, 403);
  Reply approved = Admin("POST", "/v1/hosts/h-alpha/identity/approve", "{}");
  ASSERT_EQ(approved.status, 200) << approved.body;
  Valid(approved, "host");
  EXPECT_EQ(approved.json["ak_name"], HexEncode(new_pub.name()));
  EXPECT_TRUE(approved.json["identity_change"].is_null());
  EXPECT_EQ(approved.json["verdict"], "unknown");
  EXPECT_EQ(approved.json["facts"]["agent_version"], "2.0.0");
  EXPECT_EQ(Admin("POST", "/v1/hosts/h-alpha/identity/approve", "{}").status, 409);

  Reply now_new = Attest("h-alpha", new_ak);
  EXPECT_EQ(now_new.json["verdict"], "unknown") << now_new.body;
  EXPECT_THAT(FindingIds(now_new.json), Not(Contains("host.identity_changed")));
  Reply now_old = Attest("h-alpha", ak_);
  EXPECT_EQ(now_old.json["verdict"], "untrusted");
  EXPECT_THAT(FindingIds(now_old.json), Not(Contains("host.identity_changed")));

  // The same activation again: the enrollment is used up.
  EXPECT_EQ(Send("POST", "/v1/enrollments/e-second/activate", body).status, 403);
  EXPECT_EQ(Send("POST", "/v1/enrollments/e-none/activate", body).status, 404);
  EXPECT_EQ(Admin("POST", "/v1/hosts/h-none/identity/approve", "{}").status, 404);
}

TEST_F(ApiTest, AgentUrl) {
  ASSERT_NO_FATAL_FAILURE(SeedAlpha());
  Reply set = Admin("PUT", "/v1/hosts/h-alpha/agent-url", R"({"url":"https://alpha:8444/"})");
  ASSERT_EQ(set.status, 200) << set.body;
  Valid(set, "host");
  EXPECT_EQ(set.json["agent_url"], "https://alpha:8444");
  Reply loop = Admin("PUT", "/v1/hosts/h-alpha/agent-url", R"({"url":"http://127.0.0.1:8444"})");
  ASSERT_EQ(loop.status, 200) << loop.body;
  Valid(loop, "host");
  Reply cleared = Admin("PUT", "/v1/hosts/h-alpha/agent-url", R"({"url":""})");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  Valid(cleared, "host");
  EXPECT_TRUE(cleared.json["agent_url"].is_null());
  for (const std::string& bad : std::vector<std::string>{
           R"({"url":5})", R"({"url":"http://alpha:8444"})", R"({"url":"https://a b"})",
           R"({"url":"https://a","x":1})", R"({})", R"("https://a")",
           R"({"url":"https://)" + std::string(3000, 'a') + R"("})"}) {
    Reply r = Admin("PUT", "/v1/hosts/h-alpha/agent-url", bad);
    EXPECT_EQ(r.status, 400) << bad;
  }
  EXPECT_EQ(Admin("PUT", "/v1/hosts/h-alpha/agent-url", R"({"url":5})").ErrorField(), "url");
  EXPECT_EQ(Admin("PUT", "/v1/hosts/h-none/agent-url", R"({"url":""})").status, 404);
}

TEST_F(ApiTest, BadInputIsA4xxAndTheServiceKeepsServing) {
  ASSERT_NO_FATAL_FAILURE(SeedAlpha());
  // Oversized bodies, per route: the evidence route has its own limit.
  const std::string big(kMaxRequestBytes + 1, ' ');
  const std::string huge(kMaxEvidenceBytes + 1, ' ');
  struct Route {
    std::string method, path, token;
  };
  for (const Route& route : std::vector<Route>{
           {"POST", "/v1/enrollments", ""},
           {"POST", "/v1/enrollments/e-1/activate", ""},
           {"POST", "/v1/hosts/h-alpha/challenges", ""},
           {"GET", "/v1/hosts", kReaderToken},
           {"PUT", "/v1/hosts/h-alpha/agent-url", kAdminToken},
           {"POST", "/v1/hosts/h-alpha/identity/approve", kAdminToken},
           {"PUT", "/v1/reference-sets/xen", kAdminToken},
           {"POST", "/v1/reference-sets/xen/entries", kAdminToken},
           {"POST", "/v1/reference-sets/xen/import", kAdminToken},
           {"GET", "/v1/healthz", ""},
           {"GET", "/v1/metrics", kReaderToken},
       }) {
    Reply r = Send(route.method, route.path, big, route.token);
    EXPECT_EQ(r.status, 413) << route.method << " " << route.path;
    EXPECT_EQ(r.ErrorCode(), "payload_too_large");
  }
  // Within the evidence limit, over the others: not a size refusal.
  EXPECT_EQ(Send("POST", "/v1/hosts/h-alpha/evidence", big).status, 400);
  Reply too_big = Send("POST", "/v1/hosts/h-alpha/evidence", huge);
  EXPECT_EQ(too_big.status, 413);
  EXPECT_THAT(too_big.body, HasSubstr(std::to_string(kMaxEvidenceBytes)));

  // Malformed documents, wrong types, bad base64.
  const Bytes nonce = Challenge("h-alpha");
  const std::string good = EvidenceJson(nonce, ak_);
  ASSERT_FALSE(good.empty());
  Json doc = Json::parse(good, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(doc.is_object());
  auto edited = [&](const std::function<void(Json&)>& edit) {
    Json d = doc;
    edit(d);
    return d.dump();
  };
  for (const std::string& bad : std::vector<std::string>{
           "",
           "{",
           "[]",
           "null",
           "\xff\xfe",
           good.substr(0, good.size() / 2),
           edited([](Json& d) { d["version"] = "1"; }),
           edited([](Json& d) { d["quote"]["attest"] = "!!not base64!!"; }),
           edited([](Json& d) { d["quote"]["signature"] = 7; }),
           edited([](Json& d) { d["nonce"] = "xyz"; }),
           edited([](Json& d) { d["pcrs"]["sha256"]["99"] = std::string(64, '0'); }),
           edited([](Json& d) { d["host"] = nullptr; }),
           edited([](Json& d) { d["extra"] = true; }),
           std::string(100, '[') + std::string(100, ']'),
       }) {
    Reply r = Send("POST", "/v1/hosts/h-alpha/evidence", bad);
    EXPECT_EQ(r.status, 400) << bad.substr(0, 80);
    EXPECT_EQ(r.ErrorCode(), "invalid_argument");
  }
  EXPECT_EQ(Send("POST", "/v1/enrollments", R"({"version":1})").status, 400);
  EXPECT_EQ(Send("POST", "/v1/enrollments", "not json").status, 400);
  EXPECT_EQ(Send("POST", "/v1/enrollments/e-1/activate", R"({"proof":1})").status, 400);

  // Evidence for an unknown host, a challenge for one.
  EXPECT_EQ(Send("POST", "/v1/hosts/h-nobody/evidence", good).status, 404);
  EXPECT_EQ(Send("POST", "/v1/hosts/h-nobody/challenges", "{}").status, 404);
  EXPECT_EQ(Send("POST", "/v1/hosts/bad$id/evidence", good).status, 404);

  // The good evidence once: fine. The same nonce again: a report, untrusted.
  Reply first = Send("POST", "/v1/hosts/h-alpha/evidence", good);
  ASSERT_EQ(first.status, 200) << first.body;
  Valid(first, "report");
  EXPECT_THAT(FindingIds(first.json), Not(Contains("quote.nonce_reused")));
  Reply replay = Send("POST", "/v1/hosts/h-alpha/evidence", good);
  ASSERT_EQ(replay.status, 200) << replay.body;
  Valid(replay, "report");
  EXPECT_EQ(replay.json["verdict"], "untrusted");
  EXPECT_THAT(FindingIds(replay.json), Contains("quote.nonce_reused"));
  // A nonce never issued, and one issued to another host.
  Reply unknown = Send("POST", "/v1/hosts/h-alpha/evidence", EvidenceJson(Bytes(32, 7), ak_));
  ASSERT_EQ(unknown.status, 200);
  Valid(unknown, "report");
  EXPECT_EQ(unknown.json["verdict"], "untrusted");
  EXPECT_THAT(FindingIds(unknown.json), Contains("quote.nonce_unknown"));
  // An expired nonce.
  const Bytes late = Challenge("h-alpha");
  clock_.Advance(options_.nonce_lifetime + std::chrono::seconds(1));
  Reply expired = Send("POST", "/v1/hosts/h-alpha/evidence", EvidenceJson(late, ak_));
  ASSERT_EQ(expired.status, 200);
  Valid(expired, "report");
  EXPECT_THAT(FindingIds(expired.json), Contains("quote.nonce_expired"));

  // Unknown routes and wrong methods.
  for (const std::string& path :
       {"/", "/v2/hosts", "/v1", "/v1/nothing", "/v1/hosts/h-alpha/nothing",
        "/v1/hosts/h-alpha/reports/first", "/v1/reference-sets/xen/entries/a/b",
        "/v1/reference-sets/xen/other"}) {
    Reply r = Admin("GET", path);
    EXPECT_EQ(r.status, 404) << path;
  }
  struct Wrong {
    std::string method, path, allow;
  };
  for (const Wrong& w : std::vector<Wrong>{
           {"GET", "/v1/enrollments", "POST"},
           {"GET", "/v1/enrollments/e-1/activate", "POST"},
           {"GET", "/v1/hosts/h-alpha/challenges", "POST"},
           {"PUT", "/v1/hosts/h-alpha/evidence", "POST"},
           {"POST", "/v1/healthz", "GET"},
           {"POST", "/v1/metrics", "GET"},
           {"POST", "/v1/hosts", "GET"},
           {"DELETE", "/v1/hosts/h-alpha", "GET"},
           {"POST", "/v1/hosts/h-alpha/reports", "GET"},
           {"POST", "/v1/hosts/h-alpha/reports/latest", "GET"},
           {"POST", "/v1/hosts/h-alpha/agent-url", "PUT"},
           {"PUT", "/v1/hosts/h-alpha/identity/approve", "POST"},
           {"PATCH", "/v1/reference-sets", "GET"},
           {"POST", "/v1/reference-sets/xen", "GET, PUT, DELETE"},
           {"PUT", "/v1/reference-sets/xen/entries", "POST"},
           {"PUT", "/v1/reference-sets/xen/entries/r-1", "DELETE"},
           {"PUT", "/v1/reference-sets/xen/import", "POST"},
       }) {
    Reply r = Send(w.method, w.path, "", kAdminToken);
    EXPECT_EQ(r.status, 405) << w.method << " " << w.path;
    EXPECT_EQ(r.Header("allow"), w.allow) << w.method << " " << w.path;
  }

  // Still serving.
  Reply health = Send("GET", "/v1/healthz");
  EXPECT_EQ(health.status, 200);
  Valid(health, "healthz");
  Reply after = Attest("h-alpha", ak_);
  EXPECT_EQ(after.json["verdict"], "unknown");
}

// Handle is thread-safe: submissions from several threads at once each get
// their own report, and a nonce is accepted once.
TEST_F(ApiTest, ConcurrentSubmissions) {
  ASSERT_NO_FATAL_FAILURE(SeedAlpha());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 4;
  // The fake TPM is single-threaded: quote first, submit concurrently (each
  // document twice, so replays race with the first use).
  std::vector<std::string> documents;
  documents.reserve(kThreads * kPerThread / 2);
  for (int i = 0; i < kThreads * kPerThread / 2; ++i) {
    documents.push_back(EvidenceJson(Challenge("h-alpha"), ak_));
  }
  std::vector<std::vector<http::Response>> answers(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        http::Request request;
        request.method = "POST";
        request.path = "/v1/hosts/h-alpha/evidence";
        request.body = documents[(t * kPerThread + i) % documents.size()];
        answers[t].push_back(api_->Handle(request));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<int64_t> ids;
  int reused = 0;
  for (const auto& per_thread : answers) {
    for (const http::Response& r : per_thread) {
      ASSERT_EQ(r.status, 200) << r.body;
      Json report = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
      EXPECT_THAT(vouch::testing::CheckAgainstSchema(Schema("report"), report), IsEmpty());
      ids.insert(report.value("report_id", int64_t{0}));
      std::vector<std::string> found = FindingIds(report);
      reused += std::count(found.begin(), found.end(), "quote.nonce_reused") > 0 ? 1 : 0;
    }
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(reused, kThreads * kPerThread / 2);
  Reply list = Reader("GET", "/v1/hosts/h-alpha/reports?limit=100");
  ASSERT_EQ(list.status, 200);
  Valid(list, "report-list");
  EXPECT_EQ(list.json["reports"].size(), static_cast<size_t>(kThreads * kPerThread));
}

// A deleted set created again continues its version history (was a 500
// with a document claiming version 1: notes/api-bugs.md #1, fixed in 2202ed8).
TEST_F(ApiTest, RecreatingADeletedSetContinuesItsHistory) {
  Reply created = Admin("PUT", "/v1/reference-sets/xen", SetBody(kDigest1));
  ASSERT_EQ(created.status, 201);
  Valid(created, "reference-set");
  ASSERT_EQ(Admin("DELETE", "/v1/reference-sets/xen").status, 204);
  Reply reborn = Admin("PUT", "/v1/reference-sets/xen", SetBody(kDigest2));
  ASSERT_EQ(reborn.status, 201) << reborn.body;
  Valid(reborn, "reference-set");
  EXPECT_EQ(reborn.json["version"], 3);
  Reply current = Reader("GET", "/v1/reference-sets/xen");
  ASSERT_EQ(current.status, 200) << current.body;
  Valid(current, "reference-set");
  EXPECT_EQ(current.json, reborn.json);
  EXPECT_EQ(current.Header("etag"), "\"3\"");
}

// Decoder errors name the refused member in "field" (notes/api-bugs.md #2,
// fixed in 2202ed8).
TEST_F(ApiTest, DecodeErrorsNameTheirField) {
  ASSERT_NO_FATAL_FAILURE(SeedAlpha());
  Json doc = Json::parse(EvidenceJson(Challenge("h-alpha"), ak_), nullptr, false);
  ASSERT_TRUE(doc.is_object());
  doc["quote"]["attest"] = "!!not base64!!";
  EXPECT_EQ(Send("POST", "/v1/hosts/h-alpha/evidence", doc.dump()).ErrorField(), "quote.attest");
  EXPECT_EQ(Send("POST", "/v1/enrollments/e-1/activate", R"({"proof":1})").ErrorField(), "proof");
  Reply bad_digest = Admin("PUT", "/v1/reference-sets/xen",
                           R"({"name":"xen","entries":[{"kind":"platform","name":"n",)"
                           R"("digests":{"sha256":"00"}}]})");
  EXPECT_EQ(bad_digest.status, 400);
  EXPECT_THAT(bad_digest.ErrorField(), HasSubstr("digests"));
}

}  // namespace
}  // namespace vouch::verifier
