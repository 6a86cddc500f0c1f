#include "core/crypto/make_credential.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <cstring>

#include "core/crypto/digest.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/core/crypto/test_keys.h"

namespace vouch::crypto {
namespace {

using testing::EcKey;
using ::testing::HasSubstr;
using testing::PublicOf;
using testing::Rsa2048;
using ::testing::SizeIs;
using ::vouch::testing::StatusIs;

// Known-answer values below were computed independently with Python 3
// (hmac/hashlib, and the `cryptography` package for AES-CFB):
//   def kdfa(h, key, label, u, v, bits):
//     out, i = b'', 1
//     while len(out) < (bits + 7) // 8:
//       out += hmac.new(key, struct.pack('>I', i) + label + u + v +
//                       struct.pack('>I', bits), h).digest(); i += 1
//     out = bytearray(out[:(bits + 7) // 8])
//     if bits % 8: out[0] &= (1 << (bits % 8)) - 1
//     return bytes(out)
Bytes Range(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i);
  return b;
}
Bytes Label(std::string_view s) {  // with the TPM's terminating NUL
  Bytes b = ToBytes(s);
  b.push_back(0);
  return b;
}
Bytes Cat(Bytes a, ByteView b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(KdfATest, MatchesIndependentlyComputedValues) {
  // kdfa('sha256', bytes(range(32)), b'STORAGE\0', bytes.fromhex('000b') +
  //      bytes(range(0x40, 0x60)), b'', 128)
  Bytes name = {0x00, 0x0b};
  for (uint8_t i = 0x40; i < 0x60; ++i) name.push_back(i);
  ASSERT_OK_AND_ASSIGN(Bytes k1,
                       KdfA(HashAlg::kSha256, Range(32), Label("STORAGE"), name, {}, 128));
  EXPECT_EQ(HexEncode(k1), "7a58c2079bee13e00ed160d657aecaef");
  // kdfa('sha256', bytes(range(32)), b'INTEGRITY\0', b'', b'', 256)
  ASSERT_OK_AND_ASSIGN(Bytes k2,
                       KdfA(HashAlg::kSha256, Range(32), Label("INTEGRITY"), {}, {}, 256));
  EXPECT_EQ(HexEncode(k2), "bacf689f634ece301e1f1b15b072d9c87db6a69585db42b1a0cb8f73ebe2692e");
  // Several counter blocks: kdfa('sha1', bytes(range(20)), b'TEST\0', b'abc', b'defg', 400)
  ASSERT_OK_AND_ASSIGN(Bytes k3, KdfA(HashAlg::kSha1, Range(20), Label("TEST"), AsBytes("abc"),
                                      AsBytes("defg"), 400));
  EXPECT_EQ(HexEncode(k3),
            "c4a5bb1a8146f49c411370fe5af7261dee1c974099d708dc8026dbc9cf3d882496d6f25e32b11c4648"
            "189a238c0592244188");
  // Bit count not a multiple of 8: kdfa('sha384', bytes(48), b'X\0', b'', b'', 12)
  ASSERT_OK_AND_ASSIGN(Bytes k4, KdfA(HashAlg::kSha384, Bytes(48, 0), Label("X"), {}, {}, 12));
  EXPECT_EQ(HexEncode(k4), "0552");
  // Empty key: kdfa('sha256', b'', b'A\0', b'', b'', 64)
  ASSERT_OK_AND_ASSIGN(Bytes k5, KdfA(HashAlg::kSha256, {}, Label("A"), {}, {}, 64));
  EXPECT_EQ(HexEncode(k5), "e9321c22671b8b1c");
}

TEST(KdfATest, RejectsZeroBitsAndUnsupportedHash) {
  EXPECT_THAT(KdfA(HashAlg::kSha256, Range(32), Label("A"), {}, {}, 0),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(KdfA(HashAlg::kSm3_256, Range(32), Label("A"), {}, {}, 128),
              StatusIs(Code::kInvalidArgument));
}

// Deterministic randomness: returns the bytes it was given, then fails.
class FixedRandom : public RandomSource {
 public:
  explicit FixedRandom(Bytes bytes) : bytes_(std::move(bytes)) {}
  Status Fill(std::span<uint8_t> out) override {
    if (out.size() > bytes_.size()) return UnavailableError("fixed random exhausted");
    std::memcpy(out.data(), bytes_.data(), out.size());
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<long>(out.size()));
    return Status::Ok();
  }

 private:
  Bytes bytes_;
};

Bytes AkName() {  // sha256 name: 0x000b || SHA-256("vouch test AK")
  Bytes name = {0x00, 0x0b};
  return Cat(name, *Digest(HashAlg::kSha256, AsBytes("vouch test AK")));
}

uint16_t U16(ByteView b, size_t at) { return static_cast<uint16_t>(b[at] << 8 | b[at + 1]); }

// The TPM side (TPM2_ActivateCredential), for the test only: recovers the
// seed with the EK private key, checks the outer HMAC, decrypts the secret.
Result<Bytes> ActivateForTest(EVP_PKEY* ek_private, ByteView name, const MadeCredential& made) {
  ByteView enc_secret(made.encrypted_secret);
  if (U16(enc_secret, 0) != enc_secret.size() - 2) return InvalidArgumentError("secret size");
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, ek_private, nullptr);
  VOUCH_CHECK(EVP_PKEY_decrypt_init(ctx) == 1);
  VOUCH_CHECK(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1);
  VOUCH_CHECK(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) == 1);
  VOUCH_CHECK(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1);
  VOUCH_CHECK(EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, OPENSSL_memdup("IDENTITY\0", 9), 9) == 1);
  Bytes seed(512);
  size_t seed_len = seed.size();
  int rc =
      EVP_PKEY_decrypt(ctx, seed.data(), &seed_len, enc_secret.data() + 2, enc_secret.size() - 2);
  EVP_PKEY_CTX_free(ctx);
  if (rc != 1) return InvalidArgumentError("OAEP decrypt failed");
  seed.resize(seed_len);

  ByteView blob(made.credential_blob);
  if (U16(blob, 0) != blob.size() - 2) return InvalidArgumentError("blob size");
  const size_t hmac_size = U16(blob, 2);
  ByteView hmac = blob.subspan(4, hmac_size);
  ByteView enc_identity = blob.subspan(4 + hmac_size);

  VOUCH_ASSIGN_OR_RETURN(Bytes hmac_key,
                         KdfA(HashAlg::kSha256, seed, Label("INTEGRITY"), {}, {}, 256));
  unsigned int len = 0;
  uint8_t expected[32];
  Bytes mac_input = Cat(ToBytes(enc_identity), name);
  HMAC(EVP_sha256(), hmac_key.data(), static_cast<int>(hmac_key.size()), mac_input.data(),
       mac_input.size(), expected, &len);
  if (!ConstantTimeEqual(hmac, ByteView(expected, len))) return DataLossError("integrity");

  VOUCH_ASSIGN_OR_RETURN(Bytes sym_key,
                         KdfA(HashAlg::kSha256, seed, Label("STORAGE"), name, {}, 128));
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  uint8_t iv[16] = {};
  Bytes plain(enc_identity.size() + 16);
  int n = 0, tail = 0;
  VOUCH_CHECK(EVP_DecryptInit_ex(c, EVP_aes_128_cfb128(), nullptr, sym_key.data(), iv) == 1);
  VOUCH_CHECK(EVP_DecryptUpdate(c, plain.data(), &n, enc_identity.data(),
                                static_cast<int>(enc_identity.size())) == 1);
  VOUCH_CHECK(EVP_DecryptFinal_ex(c, plain.data() + n, &tail) == 1);
  EVP_CIPHER_CTX_free(c);
  plain.resize(static_cast<size_t>(n + tail));
  if (plain.size() < 2 || U16(plain, 0) != plain.size() - 2) return DataLossError("TPM2B");
  return Bytes(plain.begin() + 2, plain.end());
}

TEST(MakeCredentialTest, ProducesKnownBlobForFixedSeed) {
  // Python (see above), with seed = bytes(range(32)), name = AkName(),
  // secret = b'0123456789abcdef':
  //   sym = kdfa('sha256', seed, b'STORAGE\0', name, b'', 128)
  //   encid = AES-128-CFB(sym, iv=0).encrypt(struct.pack('>H', 16) + secret)
  //   hk = kdfa('sha256', seed, b'INTEGRITY\0', b'', b'', 256)
  //   mac = hmac.new(hk, encid + name, 'sha256').digest()
  //   blob = pack('>H', 2 + 32 + len(encid)) + pack('>H', 32) + mac + encid
  EXPECT_EQ(HexEncode(AkName()),
            "000b0685d3d8ea314bb5b1a7432d9192614d5ea15f82e32e866a9830d17cb612ea54");
  FixedRandom random(Range(32));
  ASSERT_OK_AND_ASSIGN(MadeCredential made,
                       MakeCredential(PublicOf(Rsa2048()), HashAlg::kSha256, AkName(),
                                      AsBytes("0123456789abcdef"), random));
  EXPECT_EQ(HexEncode(made.credential_blob),
            "00340020d29704bab89143979404a48c2def6e7e91371f7c3f09acf27c452d911b5f6d5534ba7b616f"
            "29edd8985771d3b8600c959a1e");
  // 2-byte size || 256-byte RSA-2048 ciphertext.
  ASSERT_THAT(made.encrypted_secret, SizeIs(2 + 256));
  EXPECT_EQ(U16(made.encrypted_secret, 0), 256);
}

TEST(MakeCredentialTest, RoundTripsThroughTestActivation) {
  OpenSslRandom random;
  for (size_t size : {1u, 16u, 32u}) {
    Bytes secret(size, 0xA5);
    ASSERT_OK_AND_ASSIGN(MadeCredential made, MakeCredential(PublicOf(Rsa2048()), HashAlg::kSha256,
                                                             AkName(), secret, random));
    EXPECT_THAT(made.credential_blob, SizeIs(2 + 2 + 32 + 2 + size));
    ASSERT_OK_AND_ASSIGN(Bytes recovered, ActivateForTest(Rsa2048(), AkName(), made));
    EXPECT_EQ(recovered, secret);
  }
}

TEST(MakeCredentialTest, BindsCredentialToObjectName) {
  OpenSslRandom random;
  ASSERT_OK_AND_ASSIGN(MadeCredential made, MakeCredential(PublicOf(Rsa2048()), HashAlg::kSha256,
                                                           AkName(), AsBytes("secret"), random));
  Bytes other_name = AkName();
  other_name.back() ^= 1;
  EXPECT_THAT(ActivateForTest(Rsa2048(), other_name, made), StatusIs(Code::kDataLoss));
}

TEST(MakeCredentialTest, RejectsBadSizes) {
  OpenSslRandom random;
  PublicKey ek = PublicOf(Rsa2048());
  EXPECT_THAT(MakeCredential(ek, HashAlg::kSha256, AkName(), Bytes(33, 1), random),
              StatusIs(Code::kInvalidArgument, HasSubstr("1..32")));
  EXPECT_THAT(MakeCredential(ek, HashAlg::kSha256, AkName(), Bytes{}, random),
              StatusIs(Code::kInvalidArgument));
  Bytes short_name = AkName();
  short_name.pop_back();
  EXPECT_THAT(MakeCredential(ek, HashAlg::kSha256, short_name, Bytes(16, 1), random),
              StatusIs(Code::kInvalidArgument, HasSubstr("object name")));
  EXPECT_THAT(MakeCredential(ek, HashAlg::kSha256, Bytes{0x00}, Bytes(16, 1), random),
              StatusIs(Code::kInvalidArgument));
  Bytes unknown_alg = AkName();
  unknown_alg[1] = 0x99;
  EXPECT_THAT(MakeCredential(ek, HashAlg::kSha256, unknown_alg, Bytes(16, 1), random),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(MakeCredential(ek, HashAlg::kSm3_256, AkName(), Bytes(16, 1), random),
              StatusIs(Code::kInvalidArgument));
}

TEST(MakeCredentialTest, RefusesEccEk) {
  OpenSslRandom random;
  EXPECT_THAT(
      MakeCredential(PublicOf(EcKey("P-256")), HashAlg::kSha256, AkName(), Bytes(16, 1), random),
      StatusIs(Code::kFailedPrecondition));
}

TEST(MakeCredentialTest, PropagatesRandomFailure) {
  FixedRandom empty({});
  EXPECT_THAT(MakeCredential(PublicOf(Rsa2048()), HashAlg::kSha256, AkName(), Bytes(16, 1), empty),
              StatusIs(Code::kUnavailable));
}

}  // namespace
}  // namespace vouch::crypto
