#include "core/tpm/public.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include "tests/testing/status_matchers.h"
#include "tests/unit/core/tpm/soft_ak.h"

namespace vouch::tpm {
namespace {

using testing::AkKind;
using ::testing::HasSubstr;
using testing::MarshalTpm2bPublic;
using testing::MarshalTpmtPublic;
using testing::SoftAk;
using vouch::testing::StatusIs;

Bytes SpkiOf(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey, &der);
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

TEST(TpmPublicTest, DecodesRsaSsaAkTemplate) {
  const SoftAk& ak = SoftAk::Get(AkKind::kRsaSsa);
  Bytes tpm2b = MarshalTpm2bPublic(ak.Template());
  ASSERT_OK_AND_ASSIGN(TpmPublic pub, TpmPublic::DecodeTpm2b(tpm2b));
  EXPECT_EQ(pub.alg(), KeyAlg::kRsa);
  EXPECT_EQ(pub.name_alg(), HashAlg::kSha256);
  ASSERT_TRUE(pub.signing_scheme().has_value());
  EXPECT_EQ(pub.signing_scheme()->scheme, crypto::SignatureScheme::kRsaPkcs1v15);
  EXPECT_EQ(pub.signing_scheme()->hash, HashAlg::kSha256);
  EXPECT_TRUE(pub.IsRestrictedSigningKey());
  EXPECT_EQ(pub.tpmt_bytes(), Bytes(tpm2b.begin() + 2, tpm2b.end()));
  EXPECT_EQ(pub.key().type(), crypto::KeyType::kRsa);
  EXPECT_EQ(pub.key().bits(), 2048);
}

TEST(TpmPublicTest, ExponentZeroMeans65537) {
  const SoftAk& ak = SoftAk::Get(AkKind::kRsaSsa);
  ASSERT_OK_AND_ASSIGN(TpmPublic pub, TpmPublic::DecodeTpm2b(MarshalTpm2bPublic(ak.Template())));
  // The generated key has e = 65537; the template says 0.
  EXPECT_EQ(pub.key().ToSpkiDer(), SpkiOf(ak.pkey()));
}

TEST(TpmPublicTest, DecodesRsaPssScheme) {
  const SoftAk& ak = SoftAk::Get(AkKind::kRsaPss);
  ASSERT_OK_AND_ASSIGN(TpmPublic pub, TpmPublic::DecodeTpm2b(MarshalTpm2bPublic(ak.Template())));
  ASSERT_TRUE(pub.signing_scheme().has_value());
  EXPECT_EQ(pub.signing_scheme()->scheme, crypto::SignatureScheme::kRsaPss);
}

TEST(TpmPublicTest, DecodesEccP256AndP384Keys) {
  for (AkKind kind : {AkKind::kEcdsaP256, AkKind::kEcdsaP384}) {
    const SoftAk& ak = SoftAk::Get(kind);
    ASSERT_OK_AND_ASSIGN(TpmPublic pub, TpmPublic::DecodeTpm2b(MarshalTpm2bPublic(ak.Template())));
    EXPECT_EQ(pub.alg(), KeyAlg::kEcc);
    EXPECT_EQ(pub.key().curve(),
              kind == AkKind::kEcdsaP256 ? crypto::EcCurve::kP256 : crypto::EcCurve::kP384);
    ASSERT_TRUE(pub.signing_scheme().has_value());
    EXPECT_EQ(pub.signing_scheme()->scheme, crypto::SignatureScheme::kEcdsa);
    EXPECT_EQ(pub.signing_scheme()->hash, ak.hash());
    EXPECT_EQ(pub.key().ToSpkiDer(), SpkiOf(ak.pkey()));
  }
}

TEST(TpmPublicTest, NameIsNameAlgAndDigestOfTpmtPublic) {
  TPMT_PUBLIC area = SoftAk::Get(AkKind::kEcdsaP256).Template();
  Bytes tpmt = MarshalTpmtPublic(area);
  ASSERT_OK_AND_ASSIGN(TpmPublic pub, TpmPublic::DecodeTpmt(tpmt));
  Bytes expected = {0x00, 0x0b};
  Bytes digest = testing::OpenSslDigest(HashAlg::kSha256, tpmt);
  expected.insert(expected.end(), digest.begin(), digest.end());
  EXPECT_EQ(pub.name(), expected);

  area.nameAlg = TPM2_ALG_SHA384;
  tpmt = MarshalTpmtPublic(area);
  ASSERT_OK_AND_ASSIGN(TpmPublic pub384, TpmPublic::DecodeTpmt(tpmt));
  EXPECT_EQ(pub384.name_alg(), HashAlg::kSha384);
  expected = {0x00, 0x0c};
  digest = testing::OpenSslDigest(HashAlg::kSha384, tpmt);
  expected.insert(expected.end(), digest.begin(), digest.end());
  EXPECT_EQ(pub384.name(), expected);
}

TEST(TpmPublicTest, NoSigningSchemeWhenTemplateSchemeIsNull) {
  TPMT_PUBLIC area = SoftAk::Get(AkKind::kRsaSsa).Template();
  area.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
  ASSERT_OK_AND_ASSIGN(TpmPublic pub, TpmPublic::DecodeTpm2b(MarshalTpm2bPublic(area)));
  EXPECT_FALSE(pub.signing_scheme().has_value());

  TPMT_PUBLIC ecc = SoftAk::Get(AkKind::kEcdsaP256).Template();
  ecc.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  ASSERT_OK_AND_ASSIGN(TpmPublic ecc_pub, TpmPublic::DecodeTpm2b(MarshalTpm2bPublic(ecc)));
  EXPECT_FALSE(ecc_pub.signing_scheme().has_value());
}

TEST(TpmPublicTest, NotRestrictedSigningKeyWhenAttributesDiffer) {
  const TPMT_PUBLIC base = SoftAk::Get(AkKind::kRsaSsa).Template();
  for (uint32_t clear : {TPMA_OBJECT_RESTRICTED, TPMA_OBJECT_SIGN_ENCRYPT, TPMA_OBJECT_FIXEDTPM,
                         TPMA_OBJECT_FIXEDPARENT, TPMA_OBJECT_SENSITIVEDATAORIGIN}) {
    TPMT_PUBLIC area = base;
    area.objectAttributes &= ~clear;
    ASSERT_OK_AND_ASSIGN(TpmPublic pub, TpmPublic::DecodeTpm2b(MarshalTpm2bPublic(area)));
    EXPECT_FALSE(pub.IsRestrictedSigningKey()) << std::hex << clear;
  }
  TPMT_PUBLIC decrypt = base;
  decrypt.objectAttributes |= TPMA_OBJECT_DECRYPT;
  ASSERT_OK_AND_ASSIGN(TpmPublic pub, TpmPublic::DecodeTpm2b(MarshalTpm2bPublic(decrypt)));
  EXPECT_FALSE(pub.IsRestrictedSigningKey());
  EXPECT_EQ(pub.object_attributes(), decrypt.objectAttributes);
}

TEST(TpmPublicTest, RejectsEveryTruncation) {
  for (AkKind kind : {AkKind::kRsaSsa, AkKind::kEcdsaP384}) {
    Bytes tpm2b = MarshalTpm2bPublic(SoftAk::Get(kind).Template());
    Bytes tpmt(tpm2b.begin() + 2, tpm2b.end());
    for (size_t n = 0; n < tpm2b.size(); ++n) {
      EXPECT_THAT(TpmPublic::DecodeTpm2b(ByteView(tpm2b).first(n)),
                  StatusIs(Code::kInvalidArgument))
          << n;
    }
    for (size_t n = 0; n < tpmt.size(); ++n) {
      EXPECT_THAT(TpmPublic::DecodeTpmt(ByteView(tpmt).first(n)), StatusIs(Code::kInvalidArgument))
          << n;
    }
  }
}

TEST(TpmPublicTest, RejectsTrailingBytes) {
  Bytes tpm2b = MarshalTpm2bPublic(SoftAk::Get(AkKind::kEcdsaP256).Template());
  Bytes tpmt(tpm2b.begin() + 2, tpm2b.end());
  tpmt.push_back(0);
  EXPECT_THAT(TpmPublic::DecodeTpmt(tpmt),
              StatusIs(Code::kInvalidArgument, HasSubstr("TPMT_PUBLIC: trailing 1 bytes")));
  tpm2b.insert(tpm2b.end(), {1, 2, 3});
  EXPECT_THAT(TpmPublic::DecodeTpm2b(tpm2b),
              StatusIs(Code::kInvalidArgument, HasSubstr("TPM2B_PUBLIC: trailing 3 bytes")));
  // A size field that covers the extra bytes moves them into the TPMT_PUBLIC.
  size_t size = tpm2b.size() - 2;
  tpm2b[0] = static_cast<uint8_t>(size >> 8);
  tpm2b[1] = static_cast<uint8_t>(size);
  EXPECT_THAT(TpmPublic::DecodeTpm2b(tpm2b),
              StatusIs(Code::kInvalidArgument, HasSubstr("TPMT_PUBLIC: trailing 3 bytes")));
}

TEST(TpmPublicTest, RejectsSizeBeyondInput) {
  Bytes tpm2b = MarshalTpm2bPublic(SoftAk::Get(AkKind::kEcdsaP256).Template());
  size_t inner = tpm2b.size() - 2;
  tpm2b[0] = static_cast<uint8_t>((inner + 10) >> 8);
  tpm2b[1] = static_cast<uint8_t>(inner + 10);
  EXPECT_THAT(
      TpmPublic::DecodeTpm2b(tpm2b),
      StatusIs(Code::kInvalidArgument, HasSubstr("size " + std::to_string(inner + 10) +
                                                 " exceeds input " + std::to_string(inner))));
}

TEST(TpmPublicTest, RejectsUnsupportedTypeAndCurve) {
  TPMT_PUBLIC keyed{};
  keyed.type = TPM2_ALG_KEYEDHASH;
  keyed.nameAlg = TPM2_ALG_SHA256;
  keyed.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
  EXPECT_THAT(TpmPublic::DecodeTpm2b(MarshalTpm2bPublic(keyed)),
              StatusIs(Code::kInvalidArgument, HasSubstr("type")));

  TPMT_PUBLIC bn = SoftAk::Get(AkKind::kEcdsaP256).Template();
  bn.parameters.eccDetail.curveID = TPM2_ECC_BN_P256;
  EXPECT_THAT(TpmPublic::DecodeTpm2b(MarshalTpm2bPublic(bn)),
              StatusIs(Code::kInvalidArgument, HasSubstr("curveID")));
}

TEST(TpmPublicTest, RejectsInconsistentSizes) {
  TPMT_PUBLIC rsa = SoftAk::Get(AkKind::kRsaSsa).Template();
  rsa.parameters.rsaDetail.keyBits = 3072;
  EXPECT_THAT(TpmPublic::DecodeTpm2b(MarshalTpm2bPublic(rsa)),
              StatusIs(Code::kInvalidArgument, HasSubstr("unique.rsa")));

  TPMT_PUBLIC policy = SoftAk::Get(AkKind::kRsaSsa).Template();
  policy.authPolicy.size = 20;  // nameAlg is sha256
  EXPECT_THAT(TpmPublic::DecodeTpm2b(MarshalTpm2bPublic(policy)),
              StatusIs(Code::kInvalidArgument, HasSubstr("authPolicy")));

  TPMT_PUBLIC name_alg = SoftAk::Get(AkKind::kRsaSsa).Template();
  name_alg.nameAlg = TPM2_ALG_NULL;
  EXPECT_THAT(TpmPublic::DecodeTpm2b(MarshalTpm2bPublic(name_alg)),
              StatusIs(Code::kInvalidArgument, HasSubstr("nameAlg")));

  TPMT_PUBLIC ecc = SoftAk::Get(AkKind::kEcdsaP256).Template();
  ecc.unique.ecc.x.buffer[0] ^= 1;  // point off the curve
  EXPECT_THAT(TpmPublic::DecodeTpm2b(MarshalTpm2bPublic(ecc)), StatusIs(Code::kInvalidArgument));
}

TEST(TpmPublicTest, RejectsTpm2bSizeBeyondStructureCapacity) {
  Bytes tpmt = MarshalTpmtPublic(SoftAk::Get(AkKind::kRsaSsa).Template());
  // authPolicy size at offset 8 (type, nameAlg, objectAttributes): claim 0xffff.
  tpmt[8] = 0xff;
  tpmt[9] = 0xff;
  EXPECT_THAT(TpmPublic::DecodeTpmt(tpmt),
              StatusIs(Code::kInvalidArgument, HasSubstr("authPolicy at offset 8: size 65535")));
}

}  // namespace
}  // namespace vouch::tpm
