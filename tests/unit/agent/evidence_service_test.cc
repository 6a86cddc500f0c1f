// TpmEvidenceService over FakeTpmDevice: a long-running agent whose TPM is
// reset (the AK handle is flushed) reloads its AK and keeps serving.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "agent/ak.h"
#include "agent/service.h"
#include "core/tpm/public.h"
#include "core/tpm/quote.h"
#include "tests/testing/agent_fakes.h"
#include "tests/testing/fake_tpm_device.h"
#include "tests/testing/recording_logger.h"
#include "tests/testing/status_matchers.h"

namespace vouch::agent {
namespace {

namespace fs = std::filesystem;
using testing::FakeTpmDevice;

protocol::HostFacts HostAFacts() {
  protocol::HostFacts f;
  f.hostname = "host-a";
  f.agent_version = "0.1.0";
  return f;
}

class SystemClockForTest final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
};

class EvidenceServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vouch-evidence-service-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    ASSERT_OK_AND_ASSIGN(StateDir state, StateDir::Open(dir_.string(), /*create=*/true));
    AkOptions options;
    options.kind = tpm_device::AkKind::kEccP256;  // what FakeTpmDevice makes
    options.ek_kind = tpm_device::EkKind::kEcc;
    SystemClockForTest clock;
    ASSERT_OK(InitAk(tpm_, state, options, clock).status());
    ASSERT_OK_AND_ASSIGN(service_, TpmEvidenceService::Create(tpm_, state, logs_, facts_, logger_));
  }
  void TearDown() override { fs::remove_all(dir_); }

  void ExpectVerifies(const protocol::Evidence& e, ByteView nonce) {
    ASSERT_OK_AND_ASSIGN(tpm::TpmPublic ak, tpm::TpmPublic::DecodeTpm2b(e.ak_public));
    tpm::QuoteEvidence q{e.quote_attest, e.quote_signature, e.pcrs};
    ASSERT_OK_AND_ASSIGN(tpm::QuoteVerification v, tpm::VerifyQuote(ak, q, nonce));
    EXPECT_TRUE(v.verified.has_value());
  }

  fs::path dir_;
  FakeTpmDevice tpm_;
  testing::MemoryLogSource logs_;  // no logs
  testing::FixedHostFacts facts_{HostAFacts()};
  testing::RecordingLogger logger_;
  std::unique_ptr<TpmEvidenceService> service_;
};

TEST_F(EvidenceServiceTest, CollectsAndReadsPcrs) {
  const Bytes nonce(16, 0x42);
  ASSERT_OK_AND_ASSIGN(protocol::Evidence e, service_->Collect(nonce, {}));
  ExpectVerifies(e, nonce);
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues pcrs, service_->ReadAllPcrs());
  EXPECT_EQ(pcrs, e.pcrs);
  EXPECT_TRUE(logger_.Warnings().empty());
}

TEST_F(EvidenceServiceTest, ReloadsTheAkAfterATpmReset) {
  const Bytes nonce(16, 0x42);
  ASSERT_OK_AND_ASSIGN(protocol::Evidence before, service_->Collect(nonce, {}));
  tpm_.Reboot();
  ASSERT_OK(tpm_.Startup());  // firmware does this at boot
  ASSERT_OK_AND_ASSIGN(protocol::Evidence after, service_->Collect(nonce, {}));
  ExpectVerifies(after, nonce);
  EXPECT_EQ(after.ak_public, before.ak_public);
  ASSERT_TRUE(after.reset_count.has_value() && before.reset_count.has_value());
  EXPECT_EQ(*after.reset_count, *before.reset_count + 1);
  const std::vector<std::string> warnings = logger_.Warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], ::testing::HasSubstr("reloading the AK"));
}

TEST_F(EvidenceServiceTest, BadRequestsDoNotReloadTheAk) {
  const int loads = tpm_.calls(FakeTpmDevice::Method::kLoadAk);
  EXPECT_THAT(service_->Collect(Bytes(4, 1), {}), testing::StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(service_->Collect(Bytes(16, 1), {24}), testing::StatusIs(Code::kInvalidArgument));
  EXPECT_EQ(tpm_.calls(FakeTpmDevice::Method::kLoadAk), loads);
}

TEST_F(EvidenceServiceTest, PersistentFailureIsReportedAfterOneRetry) {
  tpm_.Reboot();  // and no Startup: every command fails
  EXPECT_THAT(service_->Collect(Bytes(16, 1), {}), testing::StatusIs(Code::kFailedPrecondition));
}

}  // namespace
}  // namespace vouch::agent
