// Evidence made by tpm2-tools (an independent TPM stack: tpm2_createek,
// tpm2_createak, tpm2_quote), not by vouch-agent, submitted to the verifier's
// API: it is appraised exactly like the agent's - unknown before reference
// values exist, trusted after an admin imports the host's platform values,
// untrusted with the same findings for an unlogged extend and for a replayed
// nonce. The swtpm's firmware boot is emulated from a real PC's event log
// (launcher/firmware), which the tpm2-tools evidence carries as its SRTM log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/base/logger.h"
#include "core/crypto/digest.h"
#include "core/crypto/random.h"
#include "core/protocol/evidence.h"
#include "core/tpm_device/esys_tpm_device.h"
#include "launcher/firmware/emulate_firmware.h"
#include "policy/cli/tpm2_tools_format.h"
#include "tests/integration/tpm2_tools_helpers.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"
#include "verifier/api/api.h"
#include "verifier/store/sqlite_store.h"

namespace vouch::verifier {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using ::testing::Contains;
using testing::SwtpmInstance;

constexpr char kAdminToken[] = "vch_admin-token-of-the-tpm2-tools-test";

std::vector<std::string> FindingIds(const Json& report) {
  std::vector<std::string> ids;
  for (const Json& f : report["findings"]) ids.push_back(f["id"]);
  return ids;
}

class Tpm2ToolsEvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VOUCH_REQUIRE_FIXTURES(root);
    ASSERT_OK_AND_ASSIGN(
        firmware_log_,
        testing::ReadFileBytes(root / "eventlogs" / "tpm2tss__binary_measurements_pc_client.bin"));
    ASSERT_OK_AND_ASSIGN(tpm_, SwtpmInstance::Start());
    ASSERT_NO_FATAL_FAILURE(EmulateFirmware());
    ASSERT_OK(testing::CreateRsaEk(*tpm_));
    ASSERT_OK_AND_ASSIGN(ak_, testing::CreateAk(*tpm_, "ak", testing::AkKind::kRsa));

    ASSERT_OK_AND_ASSIGN(store_, OpenSqliteStore((tpm_->dir() / "verifier.db").string()));
    ASSERT_OK_AND_ASSIGN(Bytes admin_hash, crypto::Digest(HashAlg::kSha256, AsBytes(kAdminToken)));
    tokens_ = std::make_unique<TokenAuthenticator>(
        std::vector<TokenEntry>{TokenEntry{"ops", Role::kAdmin, admin_hash}});
    api_ = std::make_unique<VerifierApi>(
        ApiDeps{*store_, random_, clock_, logger_, tokens_.get(), &metrics_, nullptr},
        ApiOptions{});
    ASSERT_NO_FATAL_FAILURE(EnrollToolsAk());
  }

  void EmulateFirmware() {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<tpm_device::TpmDevice> device,
                         tpm_device::OpenEsysTpmDevice(tpm_->Tcti()));
    ASSERT_OK(device->Startup());
    ASSERT_OK(launcher::EmulateFirmwareBoot(*device, firmware_log_).status());
  }

  // The tpm2-tools AK enrolled as host "h-tools" (the enrollment protocol
  // itself is covered by the registrar and e2e tests).
  void EnrollToolsAk() {
    ASSERT_OK_AND_ASSIGN(Bytes ek_public, testing::ReadWorkFile(*tpm_, "ek.pub"));
    ASSERT_OK_AND_ASSIGN(Bytes ak_public, testing::ReadWorkFile(*tpm_, ak_.pub));
    ASSERT_OK_AND_ASSIGN(Bytes ak_name, testing::ReadWorkFile(*tpm_, ak_.name));
    const auto now = clock_.Now();
    EnrollmentRecord e;
    e.id = "e-tools";
    e.ek_public = ek_public;
    e.ak_public = ak_public;
    e.ak_name = ak_name;
    e.secret_digest = Bytes(32, 0);
    e.host_facts_json = R"({"hostname":"tools-host","agent_version":"tpm2-tools 5.4"})";
    e.created_at = now;
    e.expires_at = now + std::chrono::minutes(5);
    ASSERT_OK(store_->CreateEnrollment(e));
    HostRecord h;
    h.host_id = "h-tools";
    h.hostname = "tools-host";
    h.ek_public = ek_public;
    h.ak_public = ak_public;
    h.ak_name = ak_name;
    h.host_facts_json = e.host_facts_json;
    h.enrolled_at = now;
    ASSERT_OK(store_->ActivateEnrollment(e.id, h, false));
  }

  http::Response Call(const std::string& method, const std::string& path, const std::string& body,
                      bool admin = false) {
    http::Request r;
    r.method = method;
    r.path = path;
    r.body = body;
    if (admin) r.headers["authorization"] = std::string("Bearer ") + kAdminToken;
    return api_->Handle(r);
  }

  std::string Challenge() {
    http::Response r = Call("POST", "/v1/hosts/h-tools/challenges", "{}");
    EXPECT_EQ(r.status, 201) << r.body;
    return Json::parse(r.body)["nonce"];
  }

  // tpm2_quote over PCRs 0-23 of both banks with `nonce_hex`, as an evidence
  // document carrying the firmware log.
  std::string ToolsEvidence(const std::string& nonce_hex) {
    Result<testing::QuoteFiles> q = testing::Quote(*tpm_, ak_, nonce_hex, "q");
    EXPECT_OK(q.status());
    protocol::Evidence ev;
    ev.nonce = *HexDecode(nonce_hex);
    ev.quote_attest = *testing::ReadWorkFile(*tpm_, q->msg);
    ev.quote_signature = *testing::ReadWorkFile(*tpm_, q->sig);
    ev.ak_public = *testing::ReadWorkFile(*tpm_, ak_.pub);
    Result<cli::Tpm2ToolsPcrs> pcrs =
        cli::ParseTpm2ToolsSerializedPcrs(*testing::ReadWorkFile(*tpm_, q->pcrs));
    EXPECT_OK(pcrs.status());
    ev.pcrs = pcrs->values;
    ev.srtm_log = firmware_log_;
    ev.host.hostname = "tools-host";
    ev.host.agent_version = "tpm2-tools 5.4";
    Result<std::string> json = protocol::EncodeEvidence(ev);
    EXPECT_OK(json.status());
    return json.has_value() ? *json : "";
  }

  Json Submit(const std::string& evidence) {
    http::Response r = Call("POST", "/v1/hosts/h-tools/evidence", evidence);
    EXPECT_EQ(r.status, 200) << r.body;
    return Json::parse(r.body, nullptr, false);
  }

  Bytes firmware_log_;
  std::unique_ptr<SwtpmInstance> tpm_;
  testing::AkFiles ak_;
  std::unique_ptr<Store> store_;
  crypto::OpenSslRandom random_;
  SystemClock clock_;
  NullLogger logger_;
  Metrics metrics_;
  std::unique_ptr<TokenAuthenticator> tokens_;
  std::unique_ptr<VerifierApi> api_;
};

TEST_F(Tpm2ToolsEvidenceTest, AppraisedLikeTheAgentsEvidence) {
  Json report = Submit(ToolsEvidence(Challenge()));
  EXPECT_EQ(report["verdict"], "unknown") << report.dump(1);
  for (const std::string& id : FindingIds(report)) {
    EXPECT_THAT(id, ::testing::Not(::testing::StartsWith("quote."))) << report.dump(1);
    EXPECT_NE(id, "log.replay_mismatch") << report.dump(1);
  }

  http::Response imported =
      Call("POST", "/v1/reference-sets/golden/import", R"({"host_id":"h-tools"})", /*admin=*/true);
  ASSERT_EQ(imported.status, 201) << imported.body;

  report = Submit(ToolsEvidence(Challenge()));
  EXPECT_EQ(report["verdict"], "trusted") << report.dump(1);
  EXPECT_EQ(report["trust"]["platform"], "trusted");

  // The same tpm2-tools evidence again: its nonce was used.
  const std::string evidence = ToolsEvidence(Challenge());
  EXPECT_EQ(Submit(evidence)["verdict"], "trusted");
  report = Submit(evidence);
  EXPECT_EQ(report["verdict"], "untrusted");
  EXPECT_THAT(FindingIds(report), Contains("quote.nonce_reused"));

  // An extend the firmware log does not record.
  ASSERT_OK(testing::ExtendBothBanks(*tpm_, 2, 0x5c));
  report = Submit(ToolsEvidence(Challenge()));
  EXPECT_EQ(report["verdict"], "untrusted") << report.dump(1);
  EXPECT_THAT(FindingIds(report), Contains("log.replay_mismatch"));
}

}  // namespace
}  // namespace vouch::verifier
