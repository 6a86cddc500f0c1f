#include "core/crypto/public_key.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "core/crypto/digest.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/core/crypto/test_keys.h"

namespace vouch::crypto {
namespace {

using testing::BnParam;
using testing::EcKey;
using ::testing::HasSubstr;
using testing::PublicOf;
using testing::Rsa2048;
using testing::Sign;
using ::testing::StartsWith;
using ::vouch::testing::StatusIs;

const Bytes kMessage = ToBytes("quote attestation data");

Bytes Altered(Bytes b, size_t i = 5) {
  b[i] ^= 0x01;
  return b;
}

TEST(PublicKeyTest, BuildsRsaFromComponents) {
  Bytes n = BnParam(Rsa2048(), OSSL_PKEY_PARAM_RSA_N);
  ASSERT_OK_AND_ASSIGN(PublicKey key, PublicKey::FromRsa(n, 65537));
  EXPECT_EQ(key.type(), KeyType::kRsa);
  EXPECT_EQ(key.bits(), 2048);
  EXPECT_EQ(key.ToSpkiDer(), PublicOf(Rsa2048()).ToSpkiDer());
}

TEST(PublicKeyTest, TreatsRsaExponentZeroAs65537) {
  Bytes n = BnParam(Rsa2048(), OSSL_PKEY_PARAM_RSA_N);
  ASSERT_OK_AND_ASSIGN(PublicKey key, PublicKey::FromRsa(n, 0));
  EXPECT_EQ(BnParam(key.native(), OSSL_PKEY_PARAM_RSA_E), (Bytes{0x01, 0x00, 0x01}));
  EXPECT_EQ(key.ToSpkiDer(), PublicOf(Rsa2048()).ToSpkiDer());
}

TEST(PublicKeyTest, RejectsEmptyOrOversizedModulus) {
  EXPECT_THAT(PublicKey::FromRsa(Bytes{}, 0), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(PublicKey::FromRsa(Bytes(8, 0), 0), StatusIs(Code::kInvalidArgument));
  Bytes huge(16384 / 8 + 1, 0xff);
  EXPECT_THAT(PublicKey::FromRsa(huge, 0), StatusIs(Code::kInvalidArgument, HasSubstr("16384")));
}

TEST(PublicKeyTest, BuildsEcFromCoordinates) {
  struct Case {
    const char* name;
    EcCurve curve;
    size_t field;
  };
  for (const Case& c : {Case{"P-256", EcCurve::kP256, 32}, Case{"P-384", EcCurve::kP384, 48}}) {
    EVP_PKEY* priv = EcKey(c.name);
    Bytes x = BnParam(priv, OSSL_PKEY_PARAM_EC_PUB_X, c.field);
    Bytes y = BnParam(priv, OSSL_PKEY_PARAM_EC_PUB_Y, c.field);
    ASSERT_OK_AND_ASSIGN(PublicKey key, PublicKey::FromEc(c.curve, x, y));
    EXPECT_EQ(key.type(), KeyType::kEc);
    EXPECT_EQ(key.curve(), c.curve);
    EXPECT_EQ(key.bits(), static_cast<int>(c.field * 8));
    EXPECT_EQ(key.ToSpkiDer(), PublicOf(priv).ToSpkiDer());
  }
}

TEST(PublicKeyTest, RejectsOffCurvePoint) {
  Bytes x = BnParam(EcKey("P-256"), OSSL_PKEY_PARAM_EC_PUB_X, 32);
  Bytes y = BnParam(EcKey("P-256"), OSSL_PKEY_PARAM_EC_PUB_Y, 32);
  EXPECT_THAT(PublicKey::FromEc(EcCurve::kP256, x, Altered(y, 31)),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(PublicKey::FromEc(EcCurve::kP256, Bytes(32, 0), Bytes(32, 0)),
              StatusIs(Code::kInvalidArgument));
  EXPECT_EQ(ERR_peek_error(), 0u);  // error queue left clean
}

TEST(PublicKeyTest, RejectsCoordinatesLongerThanField) {
  Bytes x = BnParam(EcKey("P-256"), OSSL_PKEY_PARAM_EC_PUB_X, 33);
  Bytes y = BnParam(EcKey("P-256"), OSSL_PKEY_PARAM_EC_PUB_Y, 32);
  EXPECT_THAT(PublicKey::FromEc(EcCurve::kP256, x, y), StatusIs(Code::kInvalidArgument));
}

TEST(PublicKeyTest, RoundTripsSpkiDerAndPem) {
  for (EVP_PKEY* priv : {Rsa2048(), EcKey("P-256"), EcKey("P-384")}) {
    PublicKey key = PublicOf(priv);
    ASSERT_OK_AND_ASSIGN(PublicKey from_der, PublicKey::FromSpkiDer(key.ToSpkiDer()));
    EXPECT_EQ(from_der.ToSpkiDer(), key.ToSpkiDer());
    std::string pem = key.ToPem();
    EXPECT_THAT(pem, StartsWith("-----BEGIN PUBLIC KEY-----"));
    ASSERT_OK_AND_ASSIGN(PublicKey from_pem, PublicKey::FromPem(pem));
    EXPECT_EQ(from_pem.ToSpkiDer(), key.ToSpkiDer());
  }
}

TEST(PublicKeyTest, RejectsMalformedSpkiAndPem) {
  Bytes der = PublicOf(EcKey("P-256")).ToSpkiDer();
  Bytes truncated(der.begin(), der.end() - 1);
  EXPECT_THAT(PublicKey::FromSpkiDer(truncated), StatusIs(Code::kInvalidArgument));
  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_THAT(PublicKey::FromSpkiDer(trailing), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(PublicKey::FromSpkiDer(Bytes{}), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(PublicKey::FromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(PublicKey::FromPem("hello"), StatusIs(Code::kInvalidArgument));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(PublicKeyTest, RejectsUnsupportedKeyTypes) {
  EVP_PKEY* ed = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  ASSERT_NE(ed, nullptr);
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(ed, &der);
  Bytes bytes(der, der + len);
  OPENSSL_free(der);
  EVP_PKEY_free(ed);
  EXPECT_THAT(PublicKey::FromSpkiDer(bytes), StatusIs(Code::kInvalidArgument));
}

TEST(PublicKeyVerifyTest, VerifiesRsaPkcs1v15) {
  PublicKey key = PublicOf(Rsa2048());
  for (HashAlg hash : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512}) {
    Bytes sig = Sign(Rsa2048(), hash, kMessage);
    EXPECT_THAT(key.Verify(SignatureScheme::kRsaPkcs1v15, hash, kMessage, sig),
                ::testing::Optional(true))
        << HashAlgName(hash);
    EXPECT_EQ(*key.Verify(SignatureScheme::kRsaPkcs1v15, hash, Altered(kMessage), sig), false);
    EXPECT_EQ(*key.Verify(SignatureScheme::kRsaPkcs1v15, hash, kMessage, Altered(sig)), false);
  }
}

TEST(PublicKeyVerifyTest, VerifiesRsaPssWithDigestLengthAndMaximumSalt) {
  PublicKey key = PublicOf(Rsa2048());
  for (int salt : {RSA_PSS_SALTLEN_DIGEST, RSA_PSS_SALTLEN_MAX}) {
    Bytes sig = Sign(Rsa2048(), HashAlg::kSha256, kMessage, /*pss=*/true, salt);
    EXPECT_TRUE(*key.Verify(SignatureScheme::kRsaPss, HashAlg::kSha256, kMessage, sig));
    EXPECT_FALSE(*key.Verify(SignatureScheme::kRsaPss, HashAlg::kSha256, Altered(kMessage), sig));
    // A PSS signature is not a PKCS#1 v1.5 one.
    EXPECT_FALSE(*key.Verify(SignatureScheme::kRsaPkcs1v15, HashAlg::kSha256, kMessage, sig));
  }
}

TEST(PublicKeyVerifyTest, VerifiesEcdsaP256AndP384) {
  for (const char* curve : {"P-256", "P-384"}) {
    PublicKey key = PublicOf(EcKey(curve));
    for (HashAlg hash : {HashAlg::kSha256, HashAlg::kSha384}) {
      Bytes sig = Sign(EcKey(curve), hash, kMessage);
      EXPECT_TRUE(*key.Verify(SignatureScheme::kEcdsa, hash, kMessage, sig)) << curve;
      EXPECT_FALSE(*key.Verify(SignatureScheme::kEcdsa, hash, Altered(kMessage), sig));
      EXPECT_FALSE(*key.Verify(SignatureScheme::kEcdsa, hash, kMessage, Altered(sig, 10)));
    }
  }
}

TEST(PublicKeyVerifyTest, ReturnsFalseForMalformedSignatureBytes) {
  PublicKey ec = PublicOf(EcKey("P-256"));
  EXPECT_THAT(ec.Verify(SignatureScheme::kEcdsa, HashAlg::kSha256, kMessage, Bytes{0x30, 0x99}),
              ::testing::Optional(false));
  EXPECT_THAT(ec.Verify(SignatureScheme::kEcdsa, HashAlg::kSha256, kMessage, Bytes{}),
              ::testing::Optional(false));
  Bytes sig = Sign(EcKey("P-256"), HashAlg::kSha256, kMessage);
  sig.push_back(0);  // trailing garbage after the DER
  EXPECT_THAT(ec.Verify(SignatureScheme::kEcdsa, HashAlg::kSha256, kMessage, sig),
              ::testing::Optional(false));
  PublicKey rsa = PublicOf(Rsa2048());
  EXPECT_THAT(rsa.Verify(SignatureScheme::kRsaPkcs1v15, HashAlg::kSha256, kMessage, Bytes(10, 1)),
              ::testing::Optional(false));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(PublicKeyVerifyTest, RejectsSchemeKeyMismatchAndUnsupportedHash) {
  PublicKey rsa = PublicOf(Rsa2048());
  PublicKey ec = PublicOf(EcKey("P-256"));
  Bytes sig(256, 0);
  EXPECT_THAT(rsa.Verify(SignatureScheme::kEcdsa, HashAlg::kSha256, kMessage, sig),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(ec.Verify(SignatureScheme::kRsaPkcs1v15, HashAlg::kSha256, kMessage, sig),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(ec.Verify(SignatureScheme::kRsaPss, HashAlg::kSha256, kMessage, sig),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(rsa.Verify(SignatureScheme::kRsaPkcs1v15, HashAlg::kSm3_256, kMessage, sig),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(ec.VerifyDigest(SignatureScheme::kRsaPss, HashAlg::kSha256, Bytes(32), sig),
              StatusIs(Code::kInvalidArgument));
}

TEST(PublicKeyVerifyTest, VerifiesPrecomputedDigests) {
  ASSERT_OK_AND_ASSIGN(Bytes digest, Digest(HashAlg::kSha256, kMessage));
  PublicKey rsa = PublicOf(Rsa2048());
  Bytes pkcs1 = Sign(Rsa2048(), HashAlg::kSha256, kMessage);
  Bytes pss = Sign(Rsa2048(), HashAlg::kSha256, kMessage, true, RSA_PSS_SALTLEN_DIGEST);
  EXPECT_TRUE(*rsa.VerifyDigest(SignatureScheme::kRsaPkcs1v15, HashAlg::kSha256, digest, pkcs1));
  EXPECT_TRUE(*rsa.VerifyDigest(SignatureScheme::kRsaPss, HashAlg::kSha256, digest, pss));
  EXPECT_FALSE(
      *rsa.VerifyDigest(SignatureScheme::kRsaPkcs1v15, HashAlg::kSha256, Altered(digest), pkcs1));

  PublicKey ec = PublicOf(EcKey("P-384"));
  Bytes ecdsa = Sign(EcKey("P-384"), HashAlg::kSha256, kMessage);
  EXPECT_TRUE(*ec.VerifyDigest(SignatureScheme::kEcdsa, HashAlg::kSha256, digest, ecdsa));
  EXPECT_FALSE(*ec.VerifyDigest(SignatureScheme::kEcdsa, HashAlg::kSha256, Altered(digest), ecdsa));

  EXPECT_THAT(rsa.VerifyDigest(SignatureScheme::kRsaPkcs1v15, HashAlg::kSha384, digest, pkcs1),
              StatusIs(Code::kInvalidArgument, HasSubstr("digest")));
}

// Splits a DER ECDSA-Sig-Value into fixed-size r and s with OpenSSL.
std::pair<Bytes, Bytes> RawRs(const Bytes& der, size_t size) {
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  VOUCH_CHECK(sig != nullptr);
  Bytes r(size), s(size);
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), r.data(), static_cast<int>(size));
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), s.data(), static_cast<int>(size));
  ECDSA_SIG_free(sig);
  return {r, s};
}

TEST(EcdsaRawToDerTest, RoundTripsTpmStyleSignature) {
  PublicKey key = PublicOf(EcKey("P-256"));
  for (int i = 0; i < 8; ++i) {  // some r/s have the high bit set, some not
    Bytes der = Sign(EcKey("P-256"), HashAlg::kSha256, kMessage);
    auto [r, s] = RawRs(der, 32);
    ASSERT_OK_AND_ASSIGN(Bytes rebuilt, EcdsaRawToDer(r, s));
    EXPECT_EQ(rebuilt, der);
    EXPECT_TRUE(*key.Verify(SignatureScheme::kEcdsa, HashAlg::kSha256, kMessage, rebuilt));
  }
}

TEST(EcdsaRawToDerTest, EncodesIntegersMinimally) {
  ASSERT_OK_AND_ASSIGN(Bytes der, EcdsaRawToDer(Bytes{0x00, 0x00, 0x80}, Bytes{0x01}));
  EXPECT_EQ(der, (Bytes{0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x01}));
}

TEST(EcdsaRawToDerTest, RejectsEmptyOrOversizedComponents) {
  EXPECT_THAT(EcdsaRawToDer(Bytes{}, Bytes{1}), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(EcdsaRawToDer(Bytes{1}, Bytes{}), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(EcdsaRawToDer(Bytes(67, 1), Bytes{1}), StatusIs(Code::kInvalidArgument));
}

TEST(PublicKeyTest, CopiesShareTheKey) {
  PublicKey a = PublicOf(EcKey("P-256"));
  PublicKey b = a;
  EXPECT_EQ(a.native(), b.native());
}

}  // namespace
}  // namespace vouch::crypto
