#include "core/tpm/quote.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/testing/status_matchers.h"
#include "tests/unit/core/tpm/soft_ak.h"

namespace vouch::tpm {
namespace {

using testing::AkKind;
using testing::AllPcrsSha1Sha256;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::MakePcrValues;
using testing::MarshalAttest;
using testing::MarshalTpm2bPublic;
using testing::QuoteAttest;
using testing::ReferencePcrDigest;
using testing::SoftAk;
using vouch::testing::StatusIs;

const Bytes kNonce = {0xde, 0xad, 0xbe, 0xef, 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                      12,   13,   14,   15,   16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27};

std::vector<std::string> Ids(const QuoteVerification& v) {
  std::vector<std::string> ids;
  for (const Finding& f : v.findings) ids.push_back(f.id);
  return ids;
}

TpmPublic AkPublic(const SoftAk& ak) {
  auto pub = TpmPublic::DecodeTpm2b(MarshalTpm2bPublic(ak.Template()));
  VOUCH_CHECK(pub.has_value());
  return *std::move(pub);
}

// A quote as a TPM would produce it for `ak` over `selection`, with the
// claimed values being the true ones.
struct Quote {
  TPMS_ATTEST attest;
  QuoteEvidence evidence;
};

Quote MakeQuote(const SoftAk& ak, const std::vector<PcrSelection>& selection = AllPcrsSha1Sha256(),
                uint8_t seed = 1) {
  Quote q;
  q.evidence.pcrs = MakePcrValues(selection, seed);
  q.attest =
      QuoteAttest(kNonce, selection, ReferencePcrDigest(ak.hash(), selection, q.evidence.pcrs));
  q.evidence.attest = MarshalAttest(q.attest);
  q.evidence.signature = ak.Sign(q.evidence.attest);
  return q;
}

// Re-marshals and re-signs after the test changed q.attest.
void Resign(const SoftAk& ak, Quote& q) {
  q.evidence.attest = MarshalAttest(q.attest);
  q.evidence.signature = ak.Sign(q.evidence.attest);
}

class VerifyQuoteAllKeysTest : public ::testing::TestWithParam<AkKind> {};

TEST_P(VerifyQuoteAllKeysTest, VerifiesGoodQuote) {
  const SoftAk& ak = SoftAk::Get(GetParam());
  Quote q = MakeQuote(ak);
  ASSERT_OK_AND_ASSIGN(QuoteVerification v,
                       VerifyQuote(AkPublic(ak), q.evidence, kNonce, AllPcrsSha1Sha256()));
  EXPECT_THAT(Ids(v), IsEmpty());
  ASSERT_TRUE(v.verified.has_value());
  EXPECT_EQ(v.verified->values(), q.evidence.pcrs);
  ASSERT_TRUE(v.attest.has_value());
  EXPECT_EQ(v.attest->clock_info.reset_count, 7u);
}

TEST_P(VerifyQuoteAllKeysTest, ReportsSignatureInvalidWhenAttestByteAltered) {
  const SoftAk& ak = SoftAk::Get(GetParam());
  Quote q = MakeQuote(ak);
  // magic 4, type 2, qualifiedSigner 2+34, extraData 2+32, then clock: a byte
  // whose change still decodes.
  q.evidence.attest[4 + 2 + 36 + 34 + 3] ^= 0x01;
  ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(AkPublic(ak), q.evidence, kNonce));
  EXPECT_THAT(Ids(v), ElementsAre("quote.signature_invalid"));
  EXPECT_FALSE(v.verified.has_value());
}

TEST_P(VerifyQuoteAllKeysTest, ReportsSignatureInvalidWhenSignatureAltered) {
  const SoftAk& ak = SoftAk::Get(GetParam());
  Quote q = MakeQuote(ak);
  q.evidence.signature.back() ^= 0x01;
  ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(AkPublic(ak), q.evidence, kNonce));
  EXPECT_THAT(Ids(v), ElementsAre("quote.signature_invalid"));
  EXPECT_FALSE(v.verified.has_value());
}

TEST_P(VerifyQuoteAllKeysTest, ReportsSignatureInvalidForAnotherAk) {
  SoftAk other = SoftAk::Generate(GetParam());
  Quote q = MakeQuote(other);
  ASSERT_OK_AND_ASSIGN(QuoteVerification v,
                       VerifyQuote(AkPublic(SoftAk::Get(GetParam())), q.evidence, kNonce));
  EXPECT_THAT(Ids(v), ElementsAre("quote.signature_invalid"));
  EXPECT_FALSE(v.verified.has_value());
}

INSTANTIATE_TEST_SUITE_P(Keys, VerifyQuoteAllKeysTest,
                         ::testing::Values(AkKind::kRsaSsa, AkKind::kRsaPss, AkKind::kEcdsaP256,
                                           AkKind::kEcdsaP384),
                         [](const ::testing::TestParamInfo<AkKind>& info) {
                           switch (info.param) {
                             case AkKind::kRsaSsa: return "RsaSsa";
                             case AkKind::kRsaPss: return "RsaPss";
                             case AkKind::kEcdsaP256: return "EcdsaP256";
                             case AkKind::kEcdsaP384: return "EcdsaP384";
                           }
                           return "Unknown";
                         });

TEST(VerifyQuoteTest, ReportsNonceMismatchWithExpectedAndActual) {
  const SoftAk& ak = SoftAk::Get(AkKind::kEcdsaP256);
  Quote q = MakeQuote(ak);
  Bytes other = kNonce;
  other[0] ^= 0xff;
  ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(AkPublic(ak), q.evidence, other));
  EXPECT_THAT(Ids(v), ElementsAre("quote.nonce_mismatch"));
  EXPECT_EQ(v.findings[0].severity, Severity::kError);
  EXPECT_EQ(v.findings[0].expected, HexEncode(other));
  EXPECT_EQ(v.findings[0].actual, HexEncode(kNonce));
  EXPECT_FALSE(v.verified.has_value());
  ASSERT_TRUE(v.attest.has_value());  // decoded evidence is still returned
}

TEST(VerifyQuoteTest, ReportsNonceMismatchWhenNonceShorter) {
  const SoftAk& ak = SoftAk::Get(AkKind::kEcdsaP256);
  Quote q = MakeQuote(ak);
  ASSERT_OK_AND_ASSIGN(QuoteVerification v,
                       VerifyQuote(AkPublic(ak), q.evidence, ByteView(kNonce).first(31)));
  EXPECT_THAT(Ids(v), ElementsAre("quote.nonce_mismatch"));
}

TEST(VerifyQuoteTest, ReportsPcrDigestMismatchWhenClaimedValueAltered) {
  const SoftAk& ak = SoftAk::Get(AkKind::kRsaSsa);
  Quote q = MakeQuote(ak);
  Bytes v7 = *q.evidence.pcrs.Get(HashAlg::kSha256, 7);
  v7[0] ^= 1;
  ASSERT_OK(q.evidence.pcrs.Set(HashAlg::kSha256, 7, v7));
  ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(AkPublic(ak), q.evidence, kNonce));
  EXPECT_THAT(Ids(v), ElementsAre("quote.pcr_digest_mismatch"));
  EXPECT_EQ(v.findings[0].expected,
            HexEncode(ByteView(q.attest.attested.quote.pcrDigest.buffer, 32)));
  EXPECT_EQ(v.findings[0].actual.size(), 64u);
  EXPECT_NE(v.findings[0].actual, v.findings[0].expected);
  EXPECT_FALSE(v.verified.has_value());
}

TEST(VerifyQuoteTest, ReportsMagicInvalidWhenSignedAttestHasWrongMagic) {
  const SoftAk& ak = SoftAk::Get(AkKind::kRsaSsa);
  Quote q = MakeQuote(ak);
  q.attest.magic = 0xff544348;
  Resign(ak, q);
  ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(AkPublic(ak), q.evidence, kNonce));
  EXPECT_THAT(Ids(v), ElementsAre("quote.magic_invalid"));
  EXPECT_EQ(v.findings[0].expected, "ff544347");
  EXPECT_EQ(v.findings[0].actual, "ff544348");
  EXPECT_FALSE(v.verified.has_value());
}

TEST(VerifyQuoteTest, ReportsTypeInvalidForCertifyAttest) {
  const SoftAk& ak = SoftAk::Get(AkKind::kEcdsaP256);
  Quote q = MakeQuote(ak);
  q.attest.type = TPM2_ST_ATTEST_CERTIFY;
  q.attest.attested.certify = TPMS_CERTIFY_INFO{};
  Resign(ak, q);
  ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(AkPublic(ak), q.evidence, kNonce));
  EXPECT_THAT(Ids(v), ElementsAre("quote.type_invalid"));
  EXPECT_EQ(v.findings[0].actual, "8017");
  EXPECT_FALSE(v.verified.has_value());
}

TEST(VerifyQuoteTest, ReportsSelectionMismatchWhenClaimedValueMissing) {
  const SoftAk& ak = SoftAk::Get(AkKind::kEcdsaP256);
  Quote q = MakeQuote(ak);
  PcrValues partial;
  for (const auto& [bank, values] : q.evidence.pcrs.banks()) {
    for (const auto& [pcr, value] : values) {
      if (bank == HashAlg::kSha1 && pcr == 17) continue;
      ASSERT_OK(partial.Set(bank, pcr, value));
    }
  }
  q.evidence.pcrs = partial;
  ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(AkPublic(ak), q.evidence, kNonce));
  EXPECT_THAT(Ids(v), ElementsAre("quote.pcr_selection_mismatch"));
  EXPECT_EQ(v.findings[0].pcr, 17u);
  EXPECT_EQ(v.findings[0].bank, HashAlg::kSha1);
  EXPECT_FALSE(v.verified.has_value());
}

TEST(VerifyQuoteTest, ReportsSelectionMismatchWhenRequiredPcrNotQuoted) {
  const SoftAk& ak = SoftAk::Get(AkKind::kEcdsaP256);
  std::vector<PcrSelection> quoted = {PcrSelection{HashAlg::kSha256, {0, 1, 2, 3, 4, 5, 6, 7}}};
  Quote q = MakeQuote(ak, quoted);
  std::vector<PcrSelection> required = {PcrSelection{HashAlg::kSha256, {0, 7, 17}},
                                        PcrSelection{HashAlg::kSha1, {0}}};
  ASSERT_OK_AND_ASSIGN(QuoteVerification v,
                       VerifyQuote(AkPublic(ak), q.evidence, kNonce, required));
  EXPECT_THAT(Ids(v), ElementsAre("quote.pcr_selection_mismatch", "quote.pcr_selection_mismatch"));
  EXPECT_EQ(v.findings[0].pcr, 17u);
  EXPECT_EQ(v.findings[0].bank, HashAlg::kSha256);
  EXPECT_EQ(v.findings[1].pcr, 0u);
  EXPECT_EQ(v.findings[1].bank, HashAlg::kSha1);
  EXPECT_FALSE(v.verified.has_value());

  // A request the quote covers passes.
  ASSERT_OK_AND_ASSIGN(QuoteVerification ok, VerifyQuote(AkPublic(ak), q.evidence, kNonce,
                                                         {PcrSelection{HashAlg::kSha256, {0, 7}}}));
  EXPECT_THAT(Ids(ok), IsEmpty());
}

TEST(VerifyQuoteTest, VerifiedPcrsHoldOnlySelectedValues) {
  const SoftAk& ak = SoftAk::Get(AkKind::kRsaSsa);
  std::vector<PcrSelection> quoted = {PcrSelection{HashAlg::kSha256, {0, 7, 17}}};
  Quote q = MakeQuote(ak, quoted);
  // The host also sends values the quote does not cover.
  PcrValues extra = MakePcrValues(AllPcrsSha1Sha256(), 9);
  for (const auto& [bank, values] : extra.banks()) {
    for (const auto& [pcr, value] : values) {
      if (q.evidence.pcrs.Get(bank, pcr) == nullptr)
        ASSERT_OK(q.evidence.pcrs.Set(bank, pcr, value));
    }
  }
  ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(AkPublic(ak), q.evidence, kNonce));
  EXPECT_THAT(Ids(v), IsEmpty());
  ASSERT_TRUE(v.verified.has_value());
  EXPECT_EQ(v.verified->values(), MakePcrValues(quoted));
  EXPECT_EQ(v.verified->Get(HashAlg::kSha1, 0), nullptr);
  EXPECT_NE(v.verified->Get(HashAlg::kSha256, 17), nullptr);
}

TEST(VerifyQuoteTest, ReportsSchemeMismatchWhenSignatureSchemeDiffersFromTemplate) {
  const SoftAk& ak = SoftAk::Get(AkKind::kRsaSsa);
  Quote q = MakeQuote(ak);
  q.evidence.signature = ak.SignWith(SigAlg::kRsaPss, HashAlg::kSha256, q.evidence.attest);
  ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(AkPublic(ak), q.evidence, kNonce));
  EXPECT_THAT(Ids(v), ElementsAre("quote.scheme_mismatch"));
  EXPECT_EQ(v.findings[0].expected, "rsassa-sha256");
  EXPECT_EQ(v.findings[0].actual, "rsapss-sha256");

  q.evidence.signature = ak.SignWith(SigAlg::kRsaSsa, HashAlg::kSha384, q.evidence.attest);
  ASSERT_OK_AND_ASSIGN(v, VerifyQuote(AkPublic(ak), q.evidence, kNonce));
  // The digest was computed with sha256, so the sha384 recomputation differs too.
  EXPECT_THAT(Ids(v), ElementsAre("quote.scheme_mismatch", "quote.pcr_digest_mismatch"));
  EXPECT_EQ(v.findings[0].actual, "rsassa-sha384");
  EXPECT_FALSE(v.verified.has_value());
}

TEST(VerifyQuoteTest, ReportsSchemeMismatchForEcdsaSignatureOnRsaAk) {
  Quote q = MakeQuote(SoftAk::Get(AkKind::kEcdsaP256));
  ASSERT_OK_AND_ASSIGN(QuoteVerification v,
                       VerifyQuote(AkPublic(SoftAk::Get(AkKind::kRsaSsa)), q.evidence, kNonce));
  EXPECT_THAT(Ids(v), ElementsAre("quote.scheme_mismatch"));
}

TEST(VerifyQuoteTest, ReportsOnlyAttestMalformedWhenAttestDoesNotDecode) {
  const SoftAk& ak = SoftAk::Get(AkKind::kEcdsaP256);
  Quote q = MakeQuote(ak);
  q.evidence.attest.push_back(0);
  ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(AkPublic(ak), q.evidence, kNonce));
  EXPECT_THAT(Ids(v), ElementsAre("quote.attest_malformed"));
  EXPECT_THAT(v.findings[0].message, HasSubstr("trailing 1 bytes"));
  EXPECT_FALSE(v.attest.has_value());
  EXPECT_FALSE(v.verified.has_value());
}

TEST(VerifyQuoteTest, ReportsOnlySignatureMalformedWhenSignatureDoesNotDecode) {
  const SoftAk& ak = SoftAk::Get(AkKind::kEcdsaP256);
  Quote q = MakeQuote(ak);
  q.evidence.signature.resize(3);
  ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(AkPublic(ak), q.evidence, Bytes{}));
  EXPECT_THAT(Ids(v), ElementsAre("quote.signature_malformed"));
  EXPECT_TRUE(v.attest.has_value());
  EXPECT_FALSE(v.verified.has_value());
}

TEST(VerifyQuoteTest, FailsPreconditionWhenAkHasNoSigningScheme) {
  TPMT_PUBLIC area = SoftAk::Get(AkKind::kRsaSsa).Template();
  area.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
  ASSERT_OK_AND_ASSIGN(TpmPublic ak, TpmPublic::DecodeTpm2b(MarshalTpm2bPublic(area)));
  Quote q = MakeQuote(SoftAk::Get(AkKind::kRsaSsa));
  EXPECT_THAT(VerifyQuote(ak, q.evidence, kNonce), StatusIs(Code::kFailedPrecondition));
}

TEST(VerifyQuoteTest, PcrDigestUsesTheSigningHash) {
  // P-384 AK signs with sha384: pcrDigest is sha384 over sha1+sha256 values.
  const SoftAk& ak = SoftAk::Get(AkKind::kEcdsaP384);
  Quote q = MakeQuote(ak);
  EXPECT_EQ(q.attest.attested.quote.pcrDigest.size, 48);
  ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(AkPublic(ak), q.evidence, kNonce));
  EXPECT_THAT(Ids(v), IsEmpty());
}

TEST(VerifyQuoteTest, SurvivesEveryTruncationOfAttestAndSignature) {
  const SoftAk& ak = SoftAk::Get(AkKind::kEcdsaP256);
  TpmPublic pub = AkPublic(ak);
  Quote q = MakeQuote(ak);
  for (size_t n = 0; n < q.evidence.attest.size(); ++n) {
    QuoteEvidence e = q.evidence;
    e.attest.resize(n);
    ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(pub, e, kNonce));
    EXPECT_THAT(Ids(v), ElementsAre("quote.attest_malformed")) << n;
  }
  for (size_t n = 0; n < q.evidence.signature.size(); ++n) {
    QuoteEvidence e = q.evidence;
    e.signature.resize(n);
    ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(pub, e, kNonce));
    EXPECT_THAT(Ids(v), ElementsAre("quote.signature_malformed")) << n;
  }
}

TEST(ComputePcrDigestTest, MatchesKnownValues) {
  PcrValues zeros;
  ASSERT_OK(zeros.Set(HashAlg::kSha256, 0, Bytes(32, 0)));
  ASSERT_OK(zeros.Set(HashAlg::kSha256, 1, Bytes(32, 0)));
  // SHA-256 of 32 and of 64 zero bytes.
  ASSERT_OK_AND_ASSIGN(
      Bytes one, ComputePcrDigest(HashAlg::kSha256, {PcrSelection{HashAlg::kSha256, {0}}}, zeros));
  EXPECT_EQ(HexEncode(one), "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925");
  ASSERT_OK_AND_ASSIGN(
      Bytes two,
      ComputePcrDigest(HashAlg::kSha256, {PcrSelection{HashAlg::kSha256, {0, 1}}}, zeros));
  EXPECT_EQ(HexEncode(two), "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b");
}

TEST(ComputePcrDigestTest, FollowsSelectionOrderAcrossBanks) {
  std::vector<PcrSelection> sel = {PcrSelection{HashAlg::kSha256, {3, 16}},
                                   PcrSelection{HashAlg::kSha1, {0, 23}}};
  PcrValues values = MakePcrValues(sel);
  ASSERT_OK_AND_ASSIGN(Bytes digest, ComputePcrDigest(HashAlg::kSha384, sel, values));
  EXPECT_EQ(digest, ReferencePcrDigest(HashAlg::kSha384, sel, values));
  std::reverse(sel.begin(), sel.end());
  ASSERT_OK_AND_ASSIGN(Bytes reversed, ComputePcrDigest(HashAlg::kSha384, sel, values));
  EXPECT_NE(digest, reversed);
}

TEST(ComputePcrDigestTest, RejectsMissingValue) {
  PcrValues values = MakePcrValues({PcrSelection{HashAlg::kSha256, {0}}});
  EXPECT_THAT(ComputePcrDigest(HashAlg::kSha256, {PcrSelection{HashAlg::kSha256, {0, 1}}}, values),
              StatusIs(Code::kInvalidArgument, HasSubstr("PCR 1 (sha256)")));
}

}  // namespace
}  // namespace vouch::tpm
