// Quotes made by a real TPM implementation (swtpm through tpm2-tools; see
// tests/data/quotes/README.md), verified hermetically.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/tpm/quote.h"
#include "policy/cli/tpm2_tools_format.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"

namespace vouch::tpm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::vouch::cli::ParseTpm2ToolsSerializedPcrs;
using ::vouch::cli::Tpm2ToolsPcrs;
using vouch::testing::ReadFileBytes;
using vouch::testing::ReadFileText;
using vouch::testing::StatusIs;

// pcrDigest of both stored quotes (also printed by tpm2_checkquote).
constexpr char kSwtpmPcrDigest[] =
    "d978f4b3eb295b71053002c7d1a028e3bec03fc0564ef7bc7f1c061764de8fb1";

struct StoredQuote {
  Bytes ak_public;
  Bytes ak_name;
  QuoteEvidence evidence;
  Tpm2ToolsPcrs pcrs;
  Bytes nonce;
};

std::filesystem::path QuotesDir() { return VOUCH_TPM_QUOTES_DIR; }

StoredQuote Load(const std::string& name) {
  std::filesystem::path dir = QuotesDir() / name;
  auto bytes = [&](const char* file) {
    auto r = ReadFileBytes(dir / file);
    VOUCH_CHECK(r.has_value());
    return *std::move(r);
  };
  StoredQuote q;
  q.ak_public = bytes("ak.pub");
  q.ak_name = bytes("ak.name");
  q.evidence.attest = bytes("quote.msg");
  q.evidence.signature = bytes("quote.sig");
  auto pcrs = ParseTpm2ToolsSerializedPcrs(bytes("pcrs.out"));
  VOUCH_CHECK(pcrs.has_value());
  q.pcrs = *std::move(pcrs);
  q.evidence.pcrs = q.pcrs.values;
  auto text = ReadFileText(dir / "nonce.hex");
  VOUCH_CHECK(text.has_value());
  std::string hex = *text;
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  auto nonce = HexDecode(hex);
  VOUCH_CHECK(nonce.has_value());
  q.nonce = *std::move(nonce);
  return q;
}

std::vector<PcrSelection> AllPcrs() {
  std::vector<uint32_t> all;
  for (uint32_t i = 0; i < kNumPcrs; ++i) all.push_back(i);
  return {PcrSelection{HashAlg::kSha1, all}, PcrSelection{HashAlg::kSha256, all}};
}

std::vector<std::string> Ids(const QuoteVerification& v) {
  std::vector<std::string> ids;
  for (const Finding& f : v.findings) ids.push_back(f.id);
  return ids;
}

class SwtpmQuoteTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SwtpmQuoteTest, AkDecodesAsRestrictedSigningKeyWithTpmReportedName) {
  StoredQuote q = Load(GetParam());
  ASSERT_OK_AND_ASSIGN(TpmPublic ak, TpmPublic::DecodeTpm2b(q.ak_public));
  EXPECT_TRUE(ak.IsRestrictedSigningKey());
  EXPECT_EQ(ak.name_alg(), HashAlg::kSha256);
  // ak.name is what the TPM itself computed (tpm2_createak -n).
  EXPECT_EQ(HexEncode(ak.name()), HexEncode(q.ak_name));
  ASSERT_TRUE(ak.signing_scheme().has_value());
  EXPECT_EQ(ak.signing_scheme()->hash, HashAlg::kSha256);
  EXPECT_EQ(ak.signing_scheme()->scheme, GetParam() == "swtpm-rsa"
                                             ? crypto::SignatureScheme::kRsaPkcs1v15
                                             : crypto::SignatureScheme::kEcdsa);
}

TEST_P(SwtpmQuoteTest, VerifiesWithAllPcrValues) {
  StoredQuote q = Load(GetParam());
  ASSERT_OK_AND_ASSIGN(TpmPublic ak, TpmPublic::DecodeTpm2b(q.ak_public));
  ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(ak, q.evidence, q.nonce, AllPcrs()));
  EXPECT_THAT(Ids(v), IsEmpty());
  ASSERT_TRUE(v.verified.has_value());
  EXPECT_EQ(v.verified->values(), q.pcrs.values);
  EXPECT_EQ(HexEncode(*v.verified->Get(HashAlg::kSha256, 0)),
            "0f3de36f6f466fc1a0262ab9f08095cff425594975c9a5dcca4de7fe09daacbf");
  EXPECT_EQ(HexEncode(*v.verified->Get(HashAlg::kSha1, 17)), std::string(40, 'f'));
  ASSERT_TRUE(v.attest.has_value());
  ASSERT_TRUE(v.attest->quote.has_value());
  EXPECT_EQ(v.attest->quote->selection, AllPcrs());
  EXPECT_EQ(HexEncode(v.attest->quote->pcr_digest), kSwtpmPcrDigest);
  EXPECT_EQ(v.attest->firmware_version, 0x2019102300163636ull);
  EXPECT_TRUE(v.attest->clock_info.safe);
}

TEST_P(SwtpmQuoteTest, ReportsNonceMismatchForAnotherNonce) {
  StoredQuote q = Load(GetParam());
  ASSERT_OK_AND_ASSIGN(TpmPublic ak, TpmPublic::DecodeTpm2b(q.ak_public));
  Bytes nonce = q.nonce;
  nonce.back() ^= 1;
  ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(ak, q.evidence, nonce));
  EXPECT_THAT(Ids(v), ElementsAre("quote.nonce_mismatch"));
}

TEST_P(SwtpmQuoteTest, ReportsPcrDigestMismatchForAlteredPcr) {
  StoredQuote q = Load(GetParam());
  ASSERT_OK_AND_ASSIGN(TpmPublic ak, TpmPublic::DecodeTpm2b(q.ak_public));
  ASSERT_OK(q.evidence.pcrs.Set(HashAlg::kSha1, 17, Bytes(20, 0)));
  ASSERT_OK_AND_ASSIGN(QuoteVerification v, VerifyQuote(ak, q.evidence, q.nonce));
  EXPECT_THAT(Ids(v), ElementsAre("quote.pcr_digest_mismatch"));
  EXPECT_EQ(v.findings[0].expected, kSwtpmPcrDigest);
}

TEST_P(SwtpmQuoteTest, ComputePcrDigestMatchesTpm) {
  StoredQuote q = Load(GetParam());
  ASSERT_OK_AND_ASSIGN(Bytes digest,
                       ComputePcrDigest(HashAlg::kSha256, q.pcrs.selection, q.pcrs.values));
  EXPECT_EQ(HexEncode(digest), kSwtpmPcrDigest);
}

TEST_P(SwtpmQuoteTest, AttestAndSignatureRejectEveryTruncation) {
  StoredQuote q = Load(GetParam());
  for (size_t n = 0; n < q.evidence.attest.size(); ++n) {
    EXPECT_THAT(DecodeAttest(ByteView(q.evidence.attest).first(n)),
                StatusIs(Code::kInvalidArgument));
  }
  for (size_t n = 0; n < q.evidence.signature.size(); ++n) {
    EXPECT_THAT(DecodeSignature(ByteView(q.evidence.signature).first(n)),
                StatusIs(Code::kInvalidArgument));
  }
  for (size_t n = 0; n < q.ak_public.size(); ++n) {
    EXPECT_THAT(TpmPublic::DecodeTpm2b(ByteView(q.ak_public).first(n)),
                StatusIs(Code::kInvalidArgument));
  }
}

INSTANTIATE_TEST_SUITE_P(Stored, SwtpmQuoteTest, ::testing::Values("swtpm-rsa", "swtpm-ecc"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param == "swtpm-rsa" ? "SwtpmRsa" : "SwtpmEcc";
                         });

TEST(ParseTpm2ToolsPcrsTest, ReadsSelectionAndValuesOfStoredFile) {
  auto bytes = ReadFileBytes(QuotesDir() / "swtpm-rsa" / "pcrs.out");
  ASSERT_TRUE(bytes.has_value());
  ASSERT_OK_AND_ASSIGN(Tpm2ToolsPcrs pcrs, ParseTpm2ToolsSerializedPcrs(*bytes));
  EXPECT_EQ(pcrs.selection, AllPcrs());
  EXPECT_EQ(pcrs.values.banks().at(HashAlg::kSha1).size(), 24u);
  EXPECT_EQ(pcrs.values.banks().at(HashAlg::kSha256).size(), 24u);
  EXPECT_EQ(HexEncode(*pcrs.values.Get(HashAlg::kSha1, 0)),
            "2d1eaca5dd719b7b97b0c3957a93776ea8cbcd0d");
  EXPECT_EQ(HexEncode(*pcrs.values.Get(HashAlg::kSha256, 23)),
            "ec3fa4f9ac0c2a3a8b9c1c89d284a8022b2cc7c8ef3bb884ba5e29db5a4a6375");
}

TEST(ParseTpm2ToolsPcrsTest, RejectsTruncatedAndTrailingInput) {
  auto bytes = ReadFileBytes(QuotesDir() / "swtpm-rsa" / "pcrs.out");
  ASSERT_TRUE(bytes.has_value());
  for (size_t n : {size_t{0}, size_t{131}, size_t{135}, bytes->size() - 1}) {
    EXPECT_THAT(ParseTpm2ToolsSerializedPcrs(ByteView(*bytes).first(n)),
                StatusIs(Code::kInvalidArgument))
        << n;
  }
  Bytes longer = *bytes;
  longer.push_back(0);
  EXPECT_THAT(ParseTpm2ToolsSerializedPcrs(longer),
              StatusIs(Code::kInvalidArgument, HasSubstr("trailing")));
}

}  // namespace
}  // namespace vouch::tpm
