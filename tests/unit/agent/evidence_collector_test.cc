// EvidenceCollector against FakeTpmDevice: quotes that core's verifier
// accepts, the read/quote consistency retry, argument limits, TPM and log
// errors, the lock held around logs, PCR read and quote.
#include "agent/evidence_collector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/crypto/digest.h"
#include "core/tpm/attest.h"
#include "core/tpm/public.h"
#include "core/tpm/quote.h"
#include "tests/testing/agent_fakes.h"
#include "tests/testing/fake_tpm_device.h"
#include "tests/testing/status_matchers.h"

namespace vouch::testing {
namespace {

using agent::EvidenceCollector;
using agent::LogKind;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Method = FakeTpmDevice::Method;

protocol::HostFacts HostAFacts() {
  protocol::HostFacts facts;
  facts.hostname = "host-a";
  facts.machine_id = "0123456789abcdef0123456789abcdef";
  facts.agent_version = "0.1.0";
  facts.hypervisor = protocol::HypervisorKind::kKvm;
  facts.hypervisor_version = "6.1.0";
  facts.measured_launch = protocol::MeasuredLaunch::kEmulated;
  facts.labels = {{"rack", "r1"}};
  return facts;
}

std::vector<uint32_t> Range(uint32_t n) {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < n; ++i) out.push_back(i);
  return out;
}

// Verifies `evidence` as the verifier would (core/tpm VerifyQuote with the
// AK in the evidence) and returns the findings' ids (empty when verified).
std::vector<std::string> VerifyFindings(const protocol::Evidence& evidence,
                                        const std::vector<tpm::PcrSelection>& required) {
  Result<tpm::TpmPublic> ak = tpm::TpmPublic::DecodeTpm2b(evidence.ak_public);
  EXPECT_OK(ak.status());
  if (!ak) return {"ak.malformed"};
  Result<tpm::QuoteVerification> v =
      tpm::VerifyQuote(*ak, {evidence.quote_attest, evidence.quote_signature, evidence.pcrs},
                       evidence.nonce, required);
  EXPECT_OK(v.status());
  if (!v) return {"verify.error"};
  std::vector<std::string> ids;
  for (const Finding& f : v->findings) ids.push_back(f.id + ": " + f.message);
  if (ids.empty() && !v->verified.has_value()) ids.push_back("not verified");
  return ids;
}

Bytes Sha(HashAlg alg, std::string_view text) {
  Result<Bytes> d = crypto::Digest(alg, AsBytes(text));
  EXPECT_OK(d.status());
  return d ? *d : Bytes();
}

// Extends `pcr` in sha1 and sha256 with the digests of `text`.
Status ExtendBoth(FakeTpmDevice& tpm, uint32_t pcr, std::string_view text) {
  return tpm.ExtendPcr(pcr, {{HashAlg::kSha1, Sha(HashAlg::kSha1, text)},
                             {HashAlg::kSha256, Sha(HashAlg::kSha256, text)}});
}

class EvidenceCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(ak_, tpm_.CreateLoadedAk());
    ASSERT_OK(ExtendBoth(tpm_, 0, "firmware"));
    ASSERT_OK(ExtendBoth(tpm_, 15, "vm-1"));
  }

  const Bytes nonce_ = Bytes(32, 0x5a);
  FakeTpmDevice tpm_;
  tpm_device::TpmObject ak_;
  MemoryLogSource logs_;
  FixedHostFacts facts_{HostAFacts()};
  EvidenceCollector collector_{tpm_, ak_, logs_, facts_};
};

TEST_F(EvidenceCollectorTest, EvidenceVerifiesWithCoreVerifier) {
  logs_.Set(LogKind::kSrtm, ToBytes("srtm-log"));
  logs_.Set(LogKind::kVm, ToBytes("vm-log"));
  ASSERT_OK_AND_ASSIGN(protocol::Evidence ev, collector_.Collect(nonce_, {}));

  EXPECT_THAT(VerifyFindings(ev, {{HashAlg::kSha1, Range(24)}, {HashAlg::kSha256, Range(24)}}),
              ::testing::IsEmpty());
  EXPECT_EQ(ev.nonce, nonce_);
  EXPECT_EQ(ev.ak_public, ak_.public_area());
  ASSERT_EQ(ev.pcrs.banks().size(), 2u);
  EXPECT_EQ(ev.pcrs.banks().at(HashAlg::kSha1).size(), 24u);
  EXPECT_EQ(ev.pcrs.banks().at(HashAlg::kSha256).size(), 24u);
  EXPECT_EQ(*ev.pcrs.Get(HashAlg::kSha256, 15), tpm_.Pcr(HashAlg::kSha256, 15));
  EXPECT_EQ(ev.srtm_log, ToBytes("srtm-log"));
  EXPECT_EQ(ev.drtm_log, std::nullopt);
  EXPECT_EQ(ev.vm_log, ToBytes("vm-log"));
  EXPECT_EQ(ev.reset_count, 0u);
  EXPECT_EQ(ev.restart_count, 0u);
  EXPECT_EQ(ev.host.hostname, "host-a");
  EXPECT_EQ(ev.host.labels.at("rack"), "r1");
  EXPECT_EQ(collector_.retries(), 0u);
  EXPECT_EQ(tpm_.calls(Method::kQuote), 1);
  EXPECT_EQ(tpm_.calls(Method::kReadPcrs), 1);
  EXPECT_EQ(logs_.reads_unlocked(), 0);
  EXPECT_FALSE(logs_.locked());
}

TEST_F(EvidenceCollectorTest, QuoteIsTakenWhileWritersAreLockedOut) {
  bool locked_during_quote = false;
  tpm_.SetBeforeQuoteHook([&] { locked_during_quote = logs_.locked(); });
  ASSERT_OK(collector_.Collect(nonce_, {}).status());
  EXPECT_TRUE(locked_during_quote);
  EXPECT_FALSE(logs_.locked());
}

TEST_F(EvidenceCollectorTest, RetriesWhenPcrExtendedBetweenReadAndQuote) {
  int hook_calls = 0;
  tpm_.SetBeforeQuoteHook([&] {
    if (hook_calls++ == 0) ASSERT_OK(ExtendBoth(tpm_, 15, "vm-2"));
  });
  ASSERT_OK_AND_ASSIGN(protocol::Evidence ev, collector_.Collect(nonce_, {}));
  EXPECT_EQ(collector_.retries(), 1u);
  EXPECT_EQ(tpm_.calls(Method::kQuote), 2);
  // The evidence holds the values after the extend, and they match the quote.
  EXPECT_EQ(*ev.pcrs.Get(HashAlg::kSha256, 15), tpm_.Pcr(HashAlg::kSha256, 15));
  EXPECT_THAT(VerifyFindings(ev, {}), ::testing::IsEmpty());
}

TEST_F(EvidenceCollectorTest, UnavailableNamingPcrsWhenTheyChangeOnEveryAttempt) {
  int n = 0;
  tpm_.SetBeforeQuoteHook([&] { ASSERT_OK(ExtendBoth(tpm_, 15, "vm-" + std::to_string(n++))); });
  EXPECT_THAT(
      collector_.Collect(nonce_, {}).status(),
      StatusIs(Code::kUnavailable, AllOf(HasSubstr("5 attempts"), HasSubstr("PCR 15 (sha1)"),
                                         HasSubstr("PCR 15 (sha256)"))));
  EXPECT_EQ(tpm_.calls(Method::kQuote), EvidenceCollector::kMaxAttempts);
  EXPECT_EQ(collector_.retries(), 4u);
  EXPECT_FALSE(logs_.locked());
}

TEST_F(EvidenceCollectorTest, NonceSizeLimits) {
  EXPECT_THAT(collector_.Collect(Bytes(protocol::kMinNonceBytes - 1, 1), {}).status(),
              StatusIs(Code::kInvalidArgument, HasSubstr("nonce has 7 bytes")));
  EXPECT_THAT(collector_.Collect(Bytes(protocol::kMaxNonceBytes + 1, 1), {}).status(),
              StatusIs(Code::kInvalidArgument, HasSubstr("nonce has 65 bytes")));
  EXPECT_THAT(collector_.Collect(Bytes(), {}).status(), StatusIs(Code::kInvalidArgument));
  EXPECT_EQ(tpm_.calls(Method::kQuote), 0);

  for (size_t size : {protocol::kMinNonceBytes, protocol::kMaxNonceBytes}) {
    const Bytes nonce(size, 0x11);
    ASSERT_OK_AND_ASSIGN(protocol::Evidence ev, collector_.Collect(nonce, {}));
    EXPECT_EQ(ev.nonce, nonce);
    EXPECT_THAT(VerifyFindings(ev, {}), ::testing::IsEmpty());
  }
}

TEST_F(EvidenceCollectorTest, QuotesOnlyTheRequestedPcrsInEveryBank) {
  ASSERT_OK_AND_ASSIGN(protocol::Evidence ev, collector_.Collect(nonce_, {15, 0, 7, 15}));
  for (HashAlg bank : {HashAlg::kSha1, HashAlg::kSha256}) {
    std::vector<uint32_t> indices;
    for (const auto& [pcr, value] : ev.pcrs.banks().at(bank)) indices.push_back(pcr);
    EXPECT_THAT(indices, ElementsAre(0, 7, 15)) << HashAlgName(bank);
  }
  ASSERT_OK_AND_ASSIGN(tpm::Attest attest, tpm::DecodeAttest(ev.quote_attest));
  ASSERT_TRUE(attest.quote.has_value());
  EXPECT_THAT(attest.quote->selection,
              ElementsAre(tpm::PcrSelection{HashAlg::kSha1, {0, 7, 15}},
                          tpm::PcrSelection{HashAlg::kSha256, {0, 7, 15}}));
  EXPECT_THAT(VerifyFindings(ev, {{HashAlg::kSha1, {0, 7, 15}}, {HashAlg::kSha256, {0, 7, 15}}}),
              ::testing::IsEmpty());
  // PCR 1 was not quoted: a verifier asking for it gets a finding.
  EXPECT_THAT(VerifyFindings(ev, {{HashAlg::kSha256, {1}}}),
              ElementsAre(HasSubstr("quote.pcr_selection_mismatch")));
}

TEST_F(EvidenceCollectorTest, RefusesPcrIndex24) {
  EXPECT_THAT(collector_.Collect(nonce_, {0, 24}).status(),
              StatusIs(Code::kInvalidArgument, HasSubstr("PCR index 24")));
  EXPECT_EQ(tpm_.calls(Method::kReadPcrs), 0);
  EXPECT_EQ(tpm_.calls(Method::kQuote), 0);
}

TEST_F(EvidenceCollectorTest, QuotesEveryActiveBankOfTheTpm) {
  FakeTpmDevice tpm({HashAlg::kSha256, HashAlg::kSha384});
  ASSERT_OK_AND_ASSIGN(tpm_device::TpmObject ak, tpm.CreateLoadedAk());
  EvidenceCollector collector(tpm, ak, logs_, facts_);
  ASSERT_OK_AND_ASSIGN(protocol::Evidence ev, collector.Collect(nonce_, {}));
  std::vector<HashAlg> banks;
  for (const auto& [bank, values] : ev.pcrs.banks()) banks.push_back(bank);
  EXPECT_THAT(banks, ElementsAre(HashAlg::kSha256, HashAlg::kSha384));
  EXPECT_THAT(VerifyFindings(ev, {{HashAlg::kSha384, Range(24)}}), ::testing::IsEmpty());
}

TEST_F(EvidenceCollectorTest, TpmFailuresArePropagatedWithContext) {
  tpm_.FailNext(Method::kQuote, UnavailableError("Esys_Quote: tpm busy"));
  EXPECT_THAT(collector_.Collect(nonce_, {}).status(),
              StatusIs(Code::kUnavailable, HasSubstr("quote: Esys_Quote: tpm busy")));
  EXPECT_FALSE(logs_.locked());

  tpm_.FailNext(Method::kReadPcrs, FailedPreconditionError("Esys_PCR_Read: bank"));
  EXPECT_THAT(collector_.Collect(nonce_, {}).status(),
              StatusIs(Code::kFailedPrecondition, HasSubstr("read PCRs: Esys_PCR_Read")));

  EvidenceCollector fresh(tpm_, ak_, logs_, facts_);
  tpm_.FailNext(Method::kActiveBanks, InternalError("Esys_GetCapability: boom"));
  EXPECT_THAT(fresh.Collect(nonce_, {}).status(),
              StatusIs(Code::kInternal, HasSubstr("active PCR banks: Esys_GetCapability")));

  // Nothing is retried on a TPM error: the device retries transient ones.
  EXPECT_EQ(collector_.retries(), 0u);
  ASSERT_OK(collector_.Collect(nonce_, {}).status());
}

TEST_F(EvidenceCollectorTest, LogErrorsArePropagatedWithTheLogKind) {
  logs_.FailNextRead(InvalidArgumentError("/x is larger than the evidence limit"));
  EXPECT_THAT(collector_.Collect(nonce_, {}).status(),
              StatusIs(Code::kInvalidArgument, HasSubstr("srtm log: /x is larger")));
  EXPECT_EQ(tpm_.calls(Method::kQuote), 0);
  EXPECT_FALSE(logs_.locked());
}

TEST_F(EvidenceCollectorTest, RebootShowsAsResetCountWithReloadedAk) {
  // Keep the blob, as the agent's state directory does, to reload the AK.
  ASSERT_OK_AND_ASSIGN(tpm_device::TpmObject ek, tpm_.LoadEk(tpm_device::EkKind::kEcc));
  ASSERT_OK_AND_ASSIGN(tpm_device::AkBlob blob, tpm_.CreateAk(ek, tpm_device::AkKind::kEccP256));
  ASSERT_OK_AND_ASSIGN(ak_, tpm_.LoadAk(ek, blob));
  ASSERT_OK_AND_ASSIGN(protocol::Evidence first, collector_.Collect(nonce_, {}));

  tpm_.Reboot();
  // The AK is gone with the reset.
  EXPECT_THAT(collector_.Collect(nonce_, {}).status(), StatusIs(Code::kFailedPrecondition));
  ASSERT_OK(tpm_.Startup());
  EXPECT_THAT(collector_.Collect(nonce_, {}).status(),
              StatusIs(Code::kNotFound, HasSubstr("quote: ")));
  ASSERT_OK_AND_ASSIGN(ek, tpm_.LoadEk(tpm_device::EkKind::kEcc));
  ASSERT_OK_AND_ASSIGN(ak_, tpm_.LoadAk(ek, blob));  // the collector sees the new object
  ASSERT_OK_AND_ASSIGN(protocol::Evidence second, collector_.Collect(nonce_, {}));
  EXPECT_EQ(second.reset_count, *first.reset_count + 1);
  EXPECT_EQ(second.restart_count, 0u);
  EXPECT_EQ(*second.pcrs.Get(HashAlg::kSha256, 15), Bytes(32, 0));
  EXPECT_EQ(*second.pcrs.Get(HashAlg::kSha256, 17), Bytes(32, 0xff));
  EXPECT_EQ(second.ak_public, first.ak_public);
  EXPECT_THAT(VerifyFindings(second, {}), ::testing::IsEmpty());

  tpm_.Restart();
  ASSERT_OK_AND_ASSIGN(protocol::Evidence third, collector_.Collect(nonce_, {}));
  EXPECT_EQ(third.reset_count, second.reset_count);
  EXPECT_EQ(third.restart_count, 1u);
}

TEST_F(EvidenceCollectorTest, AsksForActiveBanksOnceWhileTheTpmRunsOn) {
  for (int i = 0; i < 3; ++i) ASSERT_OK(collector_.Collect(nonce_, {}).status());
  EXPECT_EQ(tpm_.calls(Method::kActiveBanks), 1);
  // A failed read with cached banks asks again (unchanged: the error stands).
  tpm_.FailNext(Method::kReadPcrs, UnavailableError("Esys_PCR_Read: busy"));
  EXPECT_THAT(collector_.Collect(nonce_, {}).status(), StatusIs(Code::kUnavailable));
  EXPECT_EQ(tpm_.calls(Method::kActiveBanks), 2);
  // A restart moves restartCount: the banks are asked again.
  tpm_.Restart();
  ASSERT_OK(collector_.Collect(nonce_, {}).status());
  EXPECT_EQ(tpm_.calls(Method::kActiveBanks), 3);
  ASSERT_OK(collector_.Collect(nonce_, {}).status());
  EXPECT_EQ(tpm_.calls(Method::kActiveBanks), 3);
  EXPECT_EQ(collector_.retries(), 0u);
}

TEST_F(EvidenceCollectorTest, FollowsBankAllocationChangedAcrossReset) {
  ASSERT_OK_AND_ASSIGN(tpm_device::TpmObject ek, tpm_.LoadEk(tpm_device::EkKind::kEcc));
  ASSERT_OK_AND_ASSIGN(tpm_device::AkBlob blob, tpm_.CreateAk(ek, tpm_device::AkKind::kEccP256));
  ASSERT_OK_AND_ASSIGN(ak_, tpm_.LoadAk(ek, blob));
  ASSERT_OK(collector_.Collect(nonce_, {}).status());

  tpm_.AllocateBanks({HashAlg::kSha256, HashAlg::kSha384});
  tpm_.Reboot();
  ASSERT_OK(tpm_.Startup());
  ASSERT_OK_AND_ASSIGN(ek, tpm_.LoadEk(tpm_device::EkKind::kEcc));
  ASSERT_OK_AND_ASSIGN(ak_, tpm_.LoadAk(ek, blob));
  ASSERT_OK_AND_ASSIGN(protocol::Evidence ev, collector_.Collect(nonce_, {}));
  std::vector<HashAlg> banks;
  for (const auto& [bank, values] : ev.pcrs.banks()) banks.push_back(bank);
  EXPECT_THAT(banks, ElementsAre(HashAlg::kSha256, HashAlg::kSha384));
  EXPECT_THAT(VerifyFindings(ev, {{HashAlg::kSha384, Range(24)}}), ::testing::IsEmpty());
  EXPECT_EQ(collector_.retries(), 0u);
}

TEST_F(EvidenceCollectorTest, RefusesAkWithoutSigningScheme) {
  tpm_device::TpmObject not_an_ak(1, Bytes{0, 1, 2}, [](uint64_t) {});
  EvidenceCollector collector(tpm_, not_an_ak, logs_, facts_);
  EXPECT_THAT(collector.Collect(nonce_, {}).status(),
              StatusIs(Code::kFailedPrecondition, HasSubstr("AK public area")));
}

TEST_F(EvidenceCollectorTest, EncodedEvidenceDecodesToTheSameEvidence) {
  logs_.Set(LogKind::kSrtm, Bytes{0, 1, 2, 0xff});
  logs_.Set(LogKind::kDrtm, ToBytes("drtm"));
  logs_.Set(LogKind::kVm, Bytes());
  ASSERT_OK_AND_ASSIGN(protocol::Evidence ev, collector_.Collect(nonce_, {0, 15, 23}));
  ASSERT_OK_AND_ASSIGN(std::string json, protocol::EncodeEvidence(ev));
  ASSERT_OK_AND_ASSIGN(protocol::Evidence back, protocol::DecodeEvidence(json));
  EXPECT_EQ(back.nonce, ev.nonce);
  EXPECT_EQ(back.quote_attest, ev.quote_attest);
  EXPECT_EQ(back.quote_signature, ev.quote_signature);
  EXPECT_EQ(back.ak_public, ev.ak_public);
  EXPECT_EQ(back.pcrs, ev.pcrs);
  EXPECT_EQ(back.srtm_log, ev.srtm_log);
  EXPECT_EQ(back.drtm_log, ev.drtm_log);
  EXPECT_EQ(back.vm_log, ev.vm_log);
  EXPECT_EQ(back.reset_count, ev.reset_count);
  EXPECT_EQ(back.restart_count, ev.restart_count);
  EXPECT_EQ(back.host.hostname, ev.host.hostname);
  EXPECT_EQ(back.host.machine_id, ev.host.machine_id);
  EXPECT_EQ(back.host.agent_version, ev.host.agent_version);
  EXPECT_EQ(back.host.hypervisor, ev.host.hypervisor);
  EXPECT_EQ(back.host.hypervisor_version, ev.host.hypervisor_version);
  EXPECT_EQ(back.host.measured_launch, ev.host.measured_launch);
  EXPECT_EQ(back.host.labels, ev.host.labels);
  EXPECT_THAT(VerifyFindings(back, {{HashAlg::kSha256, {0, 15, 23}}}), ::testing::IsEmpty());
}

TEST(AllPcrsTest, IsZeroToTwentyThree) { EXPECT_EQ(agent::AllPcrs(), Range(24)); }

}  // namespace
}  // namespace vouch::testing
