#include "core/eventlog/replay.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/crypto/digest.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/core/eventlog/log_builder.h"

namespace vouch::eventlog {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::kAlgSha1;
using testing::kAlgSha256;
using testing::LogBuilder;

constexpr uint32_t kEvEfiBootServicesApplication = 0x80000003;

// Independent replay for the tests: PCR := H(PCR || digest) from `initial`.
Bytes Extend(HashAlg alg, Bytes pcr, ByteView digest) {
  Bytes in = pcr;
  in.insert(in.end(), digest.begin(), digest.end());
  auto out = crypto::Digest(alg, in);
  EXPECT_TRUE(out.has_value());
  return out.value_or(Bytes());
}

Bytes Zero(HashAlg alg) { return Bytes(DigestSize(alg), 0); }

Bytes DigestOfText(HashAlg alg, std::string_view text) {
  return LogBuilder::DigestOf(static_cast<uint16_t>(alg), static_cast<uint16_t>(DigestSize(alg)),
                              AsBytes(text));
}

UnverifiedEventLog Parse(const LogBuilder& b) {
  auto r = ParseEventLog(b.bytes());
  EXPECT_TRUE(r.has_value()) << r.status().ToString();
  return std::move(r).value();
}

// PCR 0: S-CRTM version; PCR 4: application + separator; PCR 7: config.
LogBuilder ThreePcrLog() {
  LogBuilder b = LogBuilder::Agile();
  b.Event(0, kEvSCrtmVersion, "version")
      .Event(7, kEvEfiVariableDriverConfig, "secureboot")
      .Event(4, kEvEfiBootServicesApplication, "app")
      .Event(4, kEvSeparator, "sep")
      .Event(7, kEvSeparator, "sep");
  return b;
}

tpm::PcrValues ExpectedThreePcr() {
  tpm::PcrValues v;
  for (HashAlg alg : {HashAlg::kSha1, HashAlg::kSha256}) {
    EXPECT_OK(v.Set(alg, 0, Extend(alg, Zero(alg), DigestOfText(alg, "version"))));
    EXPECT_OK(v.Set(
        alg, 4,
        Extend(alg, Extend(alg, Zero(alg), DigestOfText(alg, "app")), DigestOfText(alg, "sep"))));
    EXPECT_OK(v.Set(alg, 7,
                    Extend(alg, Extend(alg, Zero(alg), DigestOfText(alg, "secureboot")),
                           DigestOfText(alg, "sep"))));
  }
  return v;
}

TEST(ComputePcrsTest, ReplaysEveryBankOfAgileLog) {
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues pcrs, ComputePcrs(Parse(ThreePcrLog())));
  EXPECT_EQ(pcrs, ExpectedThreePcr());
}

TEST(ComputePcrsTest, ReplaysLegacyLog) {
  LogBuilder b = LogBuilder::Legacy();
  b.Event(0, kEvSCrtmVersion, "version").Event(0, kEvSeparator, "sep");
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues pcrs, ComputePcrs(Parse(b)));
  HashAlg a = HashAlg::kSha1;
  tpm::PcrValues expected;
  ASSERT_OK(expected.Set(
      a, 0, Extend(a, Extend(a, Zero(a), DigestOfText(a, "version")), DigestOfText(a, "sep"))));
  EXPECT_EQ(pcrs, expected);
}

TEST(ComputePcrsTest, StartsPcr0AtStartupLocality) {
  for (uint8_t locality : {uint8_t{3}, uint8_t{4}}) {
    LogBuilder b = LogBuilder::Agile();
    b.StartupLocality(locality).Event(0, kEvSCrtmVersion, "version");
    ASSERT_OK_AND_ASSIGN(tpm::PcrValues pcrs, ComputePcrs(Parse(b)));
    for (HashAlg alg : {HashAlg::kSha1, HashAlg::kSha256}) {
      Bytes initial = Zero(alg);
      initial.back() = locality;
      ASSERT_NE(pcrs.Get(alg, 0), nullptr);
      EXPECT_EQ(*pcrs.Get(alg, 0), Extend(alg, initial, DigestOfText(alg, "version")))
          << "locality " << int{locality};
    }
  }
}

TEST(ComputePcrsTest, DoesNotExtendNoActionEvents) {
  LogBuilder b = LogBuilder::Agile();
  b.NoActionEvent(1, AsBytes(std::string_view("note")))
      .NoActionEvent(0, AsBytes(std::string_view("SP800-155 Event\0rim", 19)))
      .Event(2, kEvSeparator, "sep");
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues pcrs, ComputePcrs(Parse(b)));
  EXPECT_EQ(pcrs.Get(HashAlg::kSha256, 0), nullptr);
  EXPECT_EQ(pcrs.Get(HashAlg::kSha256, 1), nullptr);
  ASSERT_NE(pcrs.Get(HashAlg::kSha256, 2), nullptr);
  EXPECT_EQ(pcrs.banks().at(HashAlg::kSha256).size(), 1u);
}

TEST(ComputePcrsTest, SkipsPcrFfffffffEvents) {
  LogBuilder b = LogBuilder::Agile();
  b.Event(kPcrNotExtended, kEvEventTag, "wbcl").Event(12, kEvEventTag, "x");
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues pcrs, ComputePcrs(Parse(b)));
  EXPECT_EQ(pcrs.banks().at(HashAlg::kSha1).size(), 1u);
  EXPECT_NE(pcrs.Get(HashAlg::kSha1, 12), nullptr);
}

TEST(ComputePcrsTest, StartsDrtmPcrsAtZero) {
  LogBuilder b = LogBuilder::Agile();
  b.Event(17, 0x402, "sinit").Event(18, 0x410, "key").Event(17, kEvTboot, "");
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues pcrs, ComputePcrs(Parse(b)));
  HashAlg a = HashAlg::kSha256;
  EXPECT_EQ(*pcrs.Get(a, 18), Extend(a, Zero(a), DigestOfText(a, "key")));
  EXPECT_EQ(*pcrs.Get(a, 17),
            Extend(a, Extend(a, Zero(a), DigestOfText(a, "sinit")), DigestOfText(a, "")));
}

TEST(ComputePcrsTest, ExtendsOnlyTheBanksAnEventLists) {
  // Windows logs list one bank for events after ExitBootServices; the TPM
  // extended only that bank (TPM2_PCR_Extend).
  LogBuilder b = LogBuilder::Agile();
  Bytes sha256 = DigestOfText(HashAlg::kSha256, "exit");
  b.Event(5, kEvEfiAction, "call").AgileEvent(5, kEvEfiAction, {{kAlgSha256, sha256}}, {});
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues pcrs, ComputePcrs(Parse(b)));
  HashAlg s1 = HashAlg::kSha1;
  HashAlg s2 = HashAlg::kSha256;
  EXPECT_EQ(*pcrs.Get(s1, 5), Extend(s1, Zero(s1), DigestOfText(s1, "call")));
  EXPECT_EQ(*pcrs.Get(s2, 5), Extend(s2, Extend(s2, Zero(s2), DigestOfText(s2, "call")), sha256));
}

TEST(ComputePcrsTest, IgnoresUnknownDeclaredAlgorithm) {
  LogBuilder b = LogBuilder::Agile({{0x0099, 24}, {kAlgSha256, 32}});
  b.Event(3, kEvSeparator, "sep");
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues pcrs, ComputePcrs(Parse(b)));
  EXPECT_EQ(pcrs.banks().size(), 1u);
  HashAlg a = HashAlg::kSha256;
  EXPECT_EQ(*pcrs.Get(a, 3), Extend(a, Zero(a), DigestOfText(a, "sep")));
}

tpm::VerifiedPcrs Quote(tpm::PcrValues values) {
  return tpm::VerifiedPcrs::CreateForTest(std::move(values));
}

std::vector<std::pair<uint32_t, uint32_t>> PcrAndType(const std::vector<Event>& events) {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (const Event& e : events) out.emplace_back(e.pcr, e.type);
  return out;
}

TEST(ReplayTest, VerifiesAllEventsWhenQuoteMatches) {
  LogBuilder b = ThreePcrLog();
  b.NoActionEvent(0, AsBytes(std::string_view("note")));
  ASSERT_OK_AND_ASSIGN(ReplayResult r, Replay(Parse(b), Quote(ExpectedThreePcr())));
  EXPECT_THAT(r.findings, IsEmpty());
  EXPECT_THAT(r.verified.verified_pcrs(), ElementsAre(0u, 4u, 7u));
  // Every extended event, in log order; no EV_NO_ACTION (Spec ID, note).
  EXPECT_THAT(PcrAndType(r.verified.events()),
              ElementsAre(std::pair(0u, kEvSCrtmVersion), std::pair(7u, kEvEfiVariableDriverConfig),
                          std::pair(4u, kEvEfiBootServicesApplication), std::pair(4u, kEvSeparator),
                          std::pair(7u, kEvSeparator)));
}

TEST(ReplayTest, ReportsPcrMismatchWhenEventDigestAltered) {
  LogBuilder b = LogBuilder::Agile();
  b.Event(0, kEvSCrtmVersion, "version")
      .Event(7, kEvEfiVariableDriverConfig, "secureboot")
      .Event(4, kEvEfiBootServicesApplication, "app")
      // The sha256 digest of "sep" altered: it no longer matches the data.
      .AgileEvent(4, kEvSeparator,
                  {{kAlgSha1, DigestOfText(HashAlg::kSha1, "sep")},
                   {kAlgSha256, DigestOfText(HashAlg::kSha256, "evil")}},
                  AsBytes(std::string_view("sep")))
      .Event(7, kEvSeparator, "sep");
  tpm::PcrValues quoted = ExpectedThreePcr();
  ASSERT_OK_AND_ASSIGN(ReplayResult r, Replay(Parse(b), Quote(quoted)));
  ASSERT_EQ(r.findings.size(), 1u);
  const Finding& f = r.findings[0];
  EXPECT_EQ(f.id, "replay.pcr_mismatch");
  EXPECT_EQ(f.severity, Severity::kError);
  EXPECT_EQ(f.pcr, 4u);
  EXPECT_EQ(f.bank, HashAlg::kSha256);
  EXPECT_EQ(f.expected, HexEncode(*quoted.Get(HashAlg::kSha256, 4)));
  HashAlg a = HashAlg::kSha256;
  EXPECT_EQ(f.actual, HexEncode(Extend(a, Extend(a, Zero(a), DigestOfText(a, "app")),
                                       DigestOfText(a, "evil"))));
  EXPECT_THAT(r.verified.verified_pcrs(), ElementsAre(0u, 7u));
  for (const Event& e : r.verified.events()) EXPECT_NE(e.pcr, 4u);
  EXPECT_EQ(r.verified.events().size(), 3u);
}

TEST(ReplayTest, WarnsWhenLogExtendsPcrTheQuoteDoesNotCover) {
  tpm::PcrValues quoted = ExpectedThreePcr();
  tpm::PcrValues without7;
  for (const auto& [alg, values] : quoted.banks()) {
    for (const auto& [pcr, value] : values) {
      if (pcr != 7) ASSERT_OK(without7.Set(alg, pcr, value));
    }
  }
  ASSERT_OK_AND_ASSIGN(ReplayResult r, Replay(Parse(ThreePcrLog()), Quote(without7)));
  ASSERT_EQ(r.findings.size(), 2u);
  for (const Finding& f : r.findings) {
    EXPECT_EQ(f.id, "replay.pcr_not_quoted");
    EXPECT_EQ(f.severity, Severity::kWarning);
    EXPECT_EQ(f.pcr, 7u);
  }
  EXPECT_EQ(r.findings[0].bank, HashAlg::kSha1);
  EXPECT_EQ(r.findings[1].bank, HashAlg::kSha256);
  EXPECT_THAT(r.verified.verified_pcrs(), ElementsAre(0u, 4u));
}

TEST(ReplayTest, VerifiesWithTheBanksBothHave) {
  // The quote covers sha256 only: sha1 is not compared.
  tpm::PcrValues all = ExpectedThreePcr();
  tpm::PcrValues sha256_only;
  for (const auto& [pcr, value] : all.banks().at(HashAlg::kSha256)) {
    ASSERT_OK(sha256_only.Set(HashAlg::kSha256, pcr, value));
  }
  ASSERT_OK_AND_ASSIGN(ReplayResult r, Replay(Parse(ThreePcrLog()), Quote(sha256_only)));
  EXPECT_THAT(r.findings, IsEmpty());
  EXPECT_THAT(r.verified.verified_pcrs(), ElementsAre(0u, 4u, 7u));
}

TEST(ReplayTest, ReportsBankNotInLog) {
  tpm::PcrValues quoted = ExpectedThreePcr();
  ASSERT_OK(quoted.Set(HashAlg::kSha384, 0, Zero(HashAlg::kSha384)));
  ASSERT_OK_AND_ASSIGN(ReplayResult r, Replay(Parse(ThreePcrLog()), Quote(quoted)));
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].id, "replay.bank_not_in_log");
  EXPECT_EQ(r.findings[0].severity, Severity::kInfo);
  EXPECT_EQ(r.findings[0].bank, HashAlg::kSha384);
  EXPECT_THAT(r.verified.verified_pcrs(), ElementsAre(0u, 4u, 7u));
}

TEST(ReplayTest, VerifiesNothingWhenQuoteSharesNoBankWithLog) {
  tpm::PcrValues quoted;
  ASSERT_OK(quoted.Set(HashAlg::kSha384, 0, Zero(HashAlg::kSha384)));
  ASSERT_OK_AND_ASSIGN(ReplayResult r, Replay(Parse(ThreePcrLog()), Quote(quoted)));
  std::map<std::string, int> ids;
  for (const Finding& f : r.findings) {
    ++ids[f.id];
    if (f.id == "replay.pcr_not_quoted") EXPECT_EQ(f.bank, std::nullopt);
  }
  EXPECT_EQ(ids["replay.bank_not_in_log"], 1);
  EXPECT_EQ(ids["replay.pcr_not_quoted"], 3);
  EXPECT_THAT(r.verified.verified_pcrs(), IsEmpty());
  EXPECT_THAT(r.verified.events(), IsEmpty());
}

TEST(ReplayTest, UsesStartupLocalityForPcr0) {
  LogBuilder b = LogBuilder::Agile({{kAlgSha256, 32}});
  b.StartupLocality(3).Event(0, kEvSCrtmVersion, "version");
  HashAlg a = HashAlg::kSha256;
  Bytes initial = Zero(a);
  initial.back() = 3;
  tpm::PcrValues quoted;
  ASSERT_OK(quoted.Set(a, 0, Extend(a, initial, DigestOfText(a, "version"))));
  ASSERT_OK_AND_ASSIGN(ReplayResult r, Replay(Parse(b), Quote(quoted)));
  EXPECT_THAT(r.findings, IsEmpty());
  EXPECT_THAT(r.verified.verified_pcrs(), ElementsAre(0u));
  // The StartupLocality event itself is EV_NO_ACTION: not among the events.
  ASSERT_EQ(r.verified.events().size(), 1u);
  EXPECT_EQ(r.verified.events()[0].type, kEvSCrtmVersion);
}

TEST(ReplayTest, NeverVerifiesPcrFfffffffEvents) {
  LogBuilder b = LogBuilder::Agile({{kAlgSha256, 32}});
  b.Event(kPcrNotExtended, kEvEventTag, "wbcl");
  ASSERT_OK_AND_ASSIGN(ReplayResult r, Replay(Parse(b), Quote(tpm::PcrValues())));
  EXPECT_THAT(r.findings, IsEmpty());
  EXPECT_THAT(r.verified.events(), IsEmpty());
}

TEST(ReplayTest, VerifiedEventsStayValidAfterTheLogIsGone) {
  std::optional<ReplayResult> r;
  {
    auto buffer = std::make_shared<const Bytes>(ThreePcrLog().bytes());
    ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(std::move(buffer)));
    ASSERT_OK_AND_ASSIGN(ReplayResult result, Replay(log, Quote(ExpectedThreePcr())));
    r = std::move(result);
  }
  ASSERT_EQ(r->verified.events().size(), 5u);
  const Event& app = r->verified.events()[2];
  EXPECT_EQ(ToBytes(app.data), ToBytes("app"));
  ASSERT_NE(app.DigestFor(HashAlg::kSha256), nullptr);
  EXPECT_EQ(ToBytes(*app.DigestFor(HashAlg::kSha256)), DigestOfText(HashAlg::kSha256, "app"));
}

}  // namespace
}  // namespace vouch::eventlog
