#include "core/tpm/attest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tss2/tss2_mu.h>

#include "tests/testing/status_matchers.h"
#include "tests/unit/core/tpm/soft_ak.h"

namespace vouch::tpm {
namespace {

using testing::AkKind;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MarshalAttest;
using testing::MarshalSignature;
using testing::QuoteAttest;
using testing::SoftAk;
using vouch::testing::StatusIs;

const Bytes kNonce = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

std::vector<PcrSelection> SomeSelection() {
  return {PcrSelection{HashAlg::kSha1, {0, 7}}, PcrSelection{HashAlg::kSha256, {0, 1, 17, 23}}};
}

Bytes QuoteBytes() { return MarshalAttest(QuoteAttest(kNonce, SomeSelection(), Bytes(32, 0xab))); }

// Offset of TPMS_QUOTE_INFO in QuoteBytes(): magic 4, type 2, qualifiedSigner
// 2+34, extraData 2+16, clockInfo 17, firmwareVersion 8.
constexpr size_t kQuoteInfoAt = 4 + 2 + 36 + 18 + 17 + 8;

TEST(DecodeAttestTest, DecodesQuoteFields) {
  ASSERT_OK_AND_ASSIGN(Attest a, DecodeAttest(QuoteBytes()));
  EXPECT_EQ(a.magic, kTpmGeneratedValue);
  EXPECT_EQ(a.type, kStAttestQuote);
  ASSERT_EQ(a.qualified_signer.size(), 34u);
  EXPECT_EQ(a.qualified_signer[1], 0x0b);
  EXPECT_EQ(a.extra_data, kNonce);
  EXPECT_EQ(a.clock_info.clock, 0x0000000123456789ull);
  EXPECT_EQ(a.clock_info.reset_count, 7u);
  EXPECT_EQ(a.clock_info.restart_count, 3u);
  EXPECT_TRUE(a.clock_info.safe);
  EXPECT_EQ(a.firmware_version, 0x2019102300163636ull);
  ASSERT_TRUE(a.quote.has_value());
  EXPECT_EQ(a.quote->selection, SomeSelection());
  EXPECT_EQ(a.quote->pcr_digest, Bytes(32, 0xab));
}

TEST(DecodeAttestTest, SelectionBitmapGivesAscendingIndicesInListedBankOrder) {
  TPMS_ATTEST at = QuoteAttest(kNonce, {}, Bytes(20, 1));
  TPML_PCR_SELECTION& sel = at.attested.quote.pcrSelect;
  sel.count = 2;
  sel.pcrSelections[0] = TPMS_PCR_SELECTION{TPM2_ALG_SHA384, 3, {0x81, 0x00, 0x80, 0x00}};
  sel.pcrSelections[1] = TPMS_PCR_SELECTION{TPM2_ALG_SHA1, 4, {0x00, 0x01, 0x00, 0x00}};
  ASSERT_OK_AND_ASSIGN(Attest a, DecodeAttest(MarshalAttest(at)));
  ASSERT_TRUE(a.quote.has_value());
  ASSERT_EQ(a.quote->selection.size(), 2u);
  EXPECT_EQ(a.quote->selection[0].bank, HashAlg::kSha384);
  EXPECT_THAT(a.quote->selection[0].pcrs, ElementsAre(0, 7, 23));
  EXPECT_EQ(a.quote->selection[1].bank, HashAlg::kSha1);
  EXPECT_THAT(a.quote->selection[1].pcrs, ElementsAre(8));
}

TEST(DecodeAttestTest, RejectsEveryTruncation) {
  Bytes bytes = QuoteBytes();
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THAT(DecodeAttest(ByteView(bytes).first(n)), StatusIs(Code::kInvalidArgument)) << n;
  }
}

TEST(DecodeAttestTest, RejectsTrailingBytes) {
  Bytes bytes = QuoteBytes();
  bytes.insert(bytes.end(), {0, 0, 0});
  EXPECT_THAT(DecodeAttest(bytes),
              StatusIs(Code::kInvalidArgument, HasSubstr("decode TPMS_ATTEST: trailing 3 bytes")));
}

TEST(DecodeAttestTest, RejectsTpm2bSizeBeyondRemainingInput) {
  Bytes bytes = QuoteBytes();
  bytes[6] = 0x01;  // qualifiedSigner size 0x0122 = 290
  EXPECT_THAT(DecodeAttest(bytes),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("qualifiedSigner at offset 6: size 290 exceeds remaining")));
}

TEST(DecodeAttestTest, RejectsTpm2bSizeBeyondCapacity) {
  TPMS_ATTEST at = QuoteAttest(kNonce, SomeSelection(), Bytes(32, 0xab));
  Bytes bytes = MarshalAttest(at);
  // Make extraData claim 100 bytes (TPM2B_DATA holds 64) and supply them.
  size_t at_extra = 4 + 2 + 36;
  bytes[at_extra] = 0;
  bytes[at_extra + 1] = 100;
  bytes.insert(bytes.begin() + at_extra + 2 + 16, 84, 0);
  EXPECT_THAT(DecodeAttest(bytes),
              StatusIs(Code::kInvalidArgument, HasSubstr("extraData at offset 42: size 100 "
                                                         "exceeds maximum 64")));
}

TEST(DecodeAttestTest, RejectsTooManyBanks) {
  Bytes bytes = QuoteBytes();
  bytes[kQuoteInfoAt + 3] = 17;
  EXPECT_THAT(DecodeAttest(bytes), StatusIs(Code::kInvalidArgument, HasSubstr("pcrSelect.count")));
}

TEST(DecodeAttestTest, RejectsOversizedSelectBitmap) {
  Bytes bytes = QuoteBytes();
  bytes[kQuoteInfoAt + 4 + 2] = 5;  // first selection's sizeofSelect
  EXPECT_THAT(DecodeAttest(bytes), StatusIs(Code::kInvalidArgument, HasSubstr("sizeofSelect")));
}

TEST(DecodeAttestTest, RejectsUnknownBankHash) {
  Bytes bytes = QuoteBytes();
  bytes[kQuoteInfoAt + 4] = 0x00;
  bytes[kQuoteInfoAt + 5] = 0x99;
  EXPECT_THAT(DecodeAttest(bytes), StatusIs(Code::kInvalidArgument, HasSubstr("0x0099 unknown")));
}

TEST(DecodeAttestTest, RejectsPcrBeyondTwentyFour) {
  TPMS_ATTEST at = QuoteAttest(kNonce, {}, Bytes(32, 1));
  at.attested.quote.pcrSelect.count = 1;
  at.attested.quote.pcrSelect.pcrSelections[0] =
      TPMS_PCR_SELECTION{TPM2_ALG_SHA256, 4, {0, 0, 0, 0x01}};
  EXPECT_THAT(DecodeAttest(MarshalAttest(at)),
              StatusIs(Code::kInvalidArgument, HasSubstr("PCR 24")));
}

TEST(DecodeAttestTest, RejectsOddDigestSizeAndBadSafeFlag) {
  TPMS_ATTEST odd = QuoteAttest(kNonce, SomeSelection(), Bytes(7, 1));
  EXPECT_THAT(DecodeAttest(MarshalAttest(odd)),
              StatusIs(Code::kInvalidArgument, HasSubstr("pcrDigest")));
  TPMS_ATTEST safe = QuoteAttest(kNonce, SomeSelection(), Bytes(32, 1));
  safe.clockInfo.safe = 2;
  EXPECT_THAT(DecodeAttest(MarshalAttest(safe)),
              StatusIs(Code::kInvalidArgument, HasSubstr("clockInfo.safe")));
}

TEST(DecodeAttestTest, RejectsUnknownType) {
  Bytes bytes = QuoteBytes();
  bytes[5] = 0x99;
  EXPECT_THAT(DecodeAttest(bytes),
              StatusIs(Code::kInvalidArgument, HasSubstr("type at offset 4: 0x8099 unknown")));
}

TEST(DecodeAttestTest, DecodesOtherAttestTypesWithoutQuoteInfo) {
  TPMS_ATTEST at = QuoteAttest(kNonce, {}, Bytes(32, 0));
  at.type = TPM2_ST_ATTEST_CERTIFY;
  at.attested.certify = TPMS_CERTIFY_INFO{};
  at.attested.certify.name.size = 4;
  ASSERT_OK_AND_ASSIGN(Attest a, DecodeAttest(MarshalAttest(at)));
  EXPECT_EQ(a.type, 0x8017);
  EXPECT_FALSE(a.quote.has_value());
}

TEST(DecodeAttestTest, KeepsWrongMagicForTheVerifierToReport) {
  TPMS_ATTEST at = QuoteAttest(kNonce, SomeSelection(), Bytes(32, 0));
  at.magic = 0x12345678;
  ASSERT_OK_AND_ASSIGN(Attest a, DecodeAttest(MarshalAttest(at)));
  EXPECT_EQ(a.magic, 0x12345678u);
}

TEST(DecodeSignatureTest, DecodesEachSupportedScheme) {
  const Bytes msg = {1, 2, 3};
  ASSERT_OK_AND_ASSIGN(TpmSignature rsa, DecodeSignature(SoftAk::Get(AkKind::kRsaSsa).Sign(msg)));
  EXPECT_EQ(rsa.alg, SigAlg::kRsaSsa);
  EXPECT_EQ(rsa.hash, HashAlg::kSha256);
  EXPECT_EQ(rsa.rsa_signature.size(), 256u);
  EXPECT_TRUE(rsa.ecc_r.empty());

  ASSERT_OK_AND_ASSIGN(TpmSignature pss, DecodeSignature(SoftAk::Get(AkKind::kRsaPss).Sign(msg)));
  EXPECT_EQ(pss.alg, SigAlg::kRsaPss);
  EXPECT_EQ(pss.rsa_signature.size(), 256u);

  ASSERT_OK_AND_ASSIGN(TpmSignature ecc,
                       DecodeSignature(SoftAk::Get(AkKind::kEcdsaP384).Sign(msg)));
  EXPECT_EQ(ecc.alg, SigAlg::kEcdsa);
  EXPECT_EQ(ecc.hash, HashAlg::kSha384);
  EXPECT_EQ(ecc.ecc_r.size(), 48u);
  EXPECT_EQ(ecc.ecc_s.size(), 48u);
  EXPECT_TRUE(ecc.rsa_signature.empty());
}

TEST(DecodeSignatureTest, RejectsOtherSchemes) {
  TPMT_SIGNATURE hmac{};
  hmac.sigAlg = TPM2_ALG_HMAC;
  hmac.signature.hmac.hashAlg = TPM2_ALG_SHA256;
  EXPECT_THAT(DecodeSignature(MarshalSignature(hmac)),
              StatusIs(Code::kInvalidArgument, HasSubstr("sigAlg")));
  TPMT_SIGNATURE null{};
  null.sigAlg = TPM2_ALG_NULL;
  EXPECT_THAT(DecodeSignature(MarshalSignature(null)),
              StatusIs(Code::kInvalidArgument, HasSubstr("sigAlg")));
  TPMT_SIGNATURE sm2{};
  sm2.sigAlg = TPM2_ALG_SM2;
  sm2.signature.sm2.hash = TPM2_ALG_SHA256;
  EXPECT_THAT(DecodeSignature(MarshalSignature(sm2)),
              StatusIs(Code::kInvalidArgument, HasSubstr("sigAlg")));
}

TEST(DecodeSignatureTest, RejectsUnknownHash) {
  Bytes sig = SoftAk::Get(AkKind::kEcdsaP256).Sign(Bytes{1});
  sig[3] = 0x77;
  EXPECT_THAT(DecodeSignature(sig),
              StatusIs(Code::kInvalidArgument, HasSubstr("hash at offset 2: 0x0077 unknown")));
}

TEST(DecodeSignatureTest, RejectsEveryTruncationAndTrailingBytes) {
  for (AkKind kind : {AkKind::kRsaSsa, AkKind::kEcdsaP256}) {
    Bytes sig = SoftAk::Get(kind).Sign(Bytes{1, 2});
    for (size_t n = 0; n < sig.size(); ++n) {
      EXPECT_THAT(DecodeSignature(ByteView(sig).first(n)), StatusIs(Code::kInvalidArgument)) << n;
    }
    sig.push_back(0);
    EXPECT_THAT(DecodeSignature(sig),
                StatusIs(Code::kInvalidArgument, HasSubstr("TPMT_SIGNATURE: trailing 1 bytes")));
  }
}

TEST(DecodeSignatureTest, RejectsOversizedEccParameter) {
  Bytes sig = SoftAk::Get(AkKind::kEcdsaP256).Sign(Bytes{1});
  // signatureR claims 130 bytes (TPM2B_ECC_PARAMETER holds 128); supply them.
  sig[4] = 0;
  sig[5] = 130;
  sig.insert(sig.begin() + 6, 98, 0);
  EXPECT_THAT(DecodeSignature(sig),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("signatureR at offset 4: size 130 exceeds maximum 128")));
}

}  // namespace
}  // namespace vouch::tpm
