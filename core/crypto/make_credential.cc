#include "core/crypto/make_credential.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <initializer_list>
#include <optional>
#include <string>

#include "core/base/check.h"
#include "core/crypto/internal/openssl_util.h"

namespace vouch::crypto {
namespace {

using internal::EvpPkeyCtxPtr;

struct MacDeleter {
  void operator()(EVP_MAC* p) const { EVP_MAC_free(p); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
};
struct CipherDeleter {
  void operator()(EVP_CIPHER* p) const { EVP_CIPHER_free(p); }
};
struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};

// Largest KDFa output we produce: a TPM2B holds at most 65535 bytes.
constexpr uint32_t kMaxKdfBits = 0xFFFF * 8;
// Label strings include their terminating NUL (TPM 2.0 Part 1, section 11.4.10.2).
constexpr std::string_view kIdentityLabel("IDENTITY\0", 9);
constexpr std::string_view kStorageLabel("STORAGE\0", 8);
constexpr std::string_view kIntegrityLabel("INTEGRITY\0", 10);
constexpr uint32_t kAes128Bits = 128;

void PutU16(Bytes& out, size_t v) {
  VOUCH_CHECK(v <= 0xFFFF);
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void PutU32(uint8_t* out, uint32_t v) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

// HMAC_alg(key, concatenation of parts). `alg` must be supported.
Result<Bytes> Hmac(HashAlg alg, ByteView key, std::initializer_list<ByteView> parts) {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);  // never freed
  if (mac == nullptr) return internal::OpenSslError(Code::kInternal, "EVP_MAC_fetch(HMAC)");
  std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx(EVP_MAC_CTX_new(mac));
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
                             OSSL_MAC_PARAM_DIGEST, const_cast<char*>(internal::EvpMdName(alg)), 0),
                         OSSL_PARAM_construct_end()};
  // A null key pointer means "keep the previous key" to EVP_MAC_init, so an
  // empty key still needs a valid pointer.
  static const uint8_t kEmpty = 0;
  const uint8_t* key_data = key.empty() ? &kEmpty : key.data();
  if (!ctx || EVP_MAC_init(ctx.get(), key_data, key.size(), params) != 1) {
    return internal::OpenSslError(Code::kInternal, "HMAC init");
  }
  for (ByteView part : parts) {
    if (EVP_MAC_update(ctx.get(), part.data(), part.size()) != 1) {
      return internal::OpenSslError(Code::kInternal, "HMAC update");
    }
  }
  Bytes out(DigestSize(alg));
  size_t len = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size()) {
    return internal::OpenSslError(Code::kInternal, "HMAC final");
  }
  return out;
}

// AES-128-CFB (full-block feedback) with a zero IV: the TPM's parameter and
// credential encryption (TPM 2.0 Part 1, section 24.4 and 11.4.6 "CFB mode").
Result<Bytes> Aes128CfbEncrypt(ByteView key, ByteView plain) {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-128-CFB", nullptr);
  if (cipher == nullptr) return internal::OpenSslError(Code::kInternal, "EVP_CIPHER_fetch");
  VOUCH_CHECK(key.size() == 16);
  const uint8_t iv[16] = {};
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  Bytes out(plain.size() + 16);
  int len = 0, tail = 0;
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), cipher, key.data(), iv, nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, plain.data(),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &tail) != 1) {
    return internal::OpenSslError(Code::kInternal, "AES-128-CFB");
  }
  out.resize(static_cast<size_t>(len) + static_cast<size_t>(tail));
  VOUCH_CHECK(out.size() == plain.size());  // CFB is a stream mode
  return out;
}

// RSAES-OAEP with `alg` for both the OAEP hash and MGF1, and the TPM's
// "IDENTITY" label (TPM 2.0 Part 1, section 24.4 and Annex B.10.3).
Result<Bytes> OaepEncrypt(const PublicKey& ek, HashAlg alg, ByteView plain) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, ek.native(), nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), internal::EvpMd(alg)) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), internal::EvpMd(alg)) != 1) {
    return internal::OpenSslError(Code::kInternal, "OAEP init");
  }
  // The context takes ownership of the label copy.
  void* label = OPENSSL_memdup(kIdentityLabel.data(), kIdentityLabel.size());
  if (label == nullptr || EVP_PKEY_CTX_set0_rsa_oaep_label(
                              ctx.get(), label, static_cast<int>(kIdentityLabel.size())) != 1) {
    OPENSSL_free(label);
    return internal::OpenSslError(Code::kInternal, "OAEP label");
  }
  size_t len = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &len, plain.data(), plain.size()) != 1) {
    return internal::OpenSslError(Code::kInvalidArgument, "OAEP encrypt");
  }
  Bytes out(len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, plain.data(), plain.size()) != 1) {
    // Too small a modulus for the seed plus OAEP overhead.
    return internal::OpenSslError(Code::kInvalidArgument, "OAEP encrypt");
  }
  out.resize(len);
  return out;
}

// A TPM name: nameAlg (TPM_ALG_ID, big-endian) || digest (Part 1, section 16).
Status CheckObjectName(ByteView name) {
  if (name.size() < 2) return InvalidArgumentError("object name shorter than an algorithm id");
  const uint16_t id = static_cast<uint16_t>(name[0] << 8 | name[1]);
  std::optional<HashAlg> alg = HashAlgFromTpmId(id);
  if (!alg.has_value()) {
    return InvalidArgumentError("object name has unknown hash algorithm 0x" +
                                HexEncode(name.first(2)));
  }
  if (name.size() != 2 + DigestSize(*alg)) {
    return InvalidArgumentError("object name is " + std::to_string(name.size()) + " bytes, " +
                                std::string(HashAlgName(*alg)) + " name needs " +
                                std::to_string(2 + DigestSize(*alg)));
  }
  return Status::Ok();
}

}  // namespace

// TPM 2.0 Part 1, section 11.4.10.2: SP 800-108 KDF in counter mode with
// HMAC as the PRF. K(i) = HMAC(key, [i]_32 || label || contextU || contextV
// || [bits]_32); the result is the first ceil(bits/8) bytes of K(1) || K(2)
// || ..., with the excess high bits of the first byte cleared when `bits` is
// not a multiple of 8.
Result<Bytes> KdfA(HashAlg alg, ByteView key, ByteView label, ByteView context_u,
                   ByteView context_v, uint32_t bits) {
  VOUCH_RETURN_IF_ERROR(internal::CheckDigestSupported(alg));
  if (bits == 0 || bits > kMaxKdfBits) {
    return InvalidArgumentError("KDFa output of " + std::to_string(bits) + " bits");
  }
  const size_t size = (bits + 7) / 8;
  uint8_t bits_be[4];
  PutU32(bits_be, bits);
  Bytes out;
  out.reserve(size + DigestSize(alg));
  for (uint32_t counter = 1; out.size() < size; ++counter) {
    uint8_t counter_be[4];
    PutU32(counter_be, counter);
    VOUCH_ASSIGN_OR_RETURN(Bytes block,
                           Hmac(alg, key, {counter_be, label, context_u, context_v, bits_be}));
    out.insert(out.end(), block.begin(), block.end());
  }
  out.resize(size);
  if (bits % 8 != 0) out[0] &= static_cast<uint8_t>((1u << (bits % 8)) - 1);
  return out;
}

// TPM 2.0 Part 1, section 24 (credential protection) and Part 3,
// TPM2_MakeCredential; the construction is spelled out in the header.
Result<MadeCredential> MakeCredential(const PublicKey& ek, HashAlg name_alg, ByteView object_name,
                                      ByteView secret, RandomSource& random) {
  if (ek.type() != KeyType::kRsa) {
    return FailedPreconditionError("MakeCredential supports RSA EKs only");
  }
  VOUCH_RETURN_IF_ERROR(internal::CheckDigestSupported(name_alg));
  VOUCH_RETURN_IF_ERROR_CTX(CheckObjectName(object_name), "MakeCredential");
  const size_t digest_size = DigestSize(name_alg);
  if (secret.empty() || secret.size() > digest_size) {
    return InvalidArgumentError("credential secret is " + std::to_string(secret.size()) +
                                " bytes, must be 1.." + std::to_string(digest_size));
  }

  Bytes seed(digest_size);
  VOUCH_RETURN_IF_ERROR_CTX(random.Fill(seed), "MakeCredential seed");
  VOUCH_ASSIGN_OR_RETURN(Bytes enc_seed, OaepEncrypt(ek, name_alg, seed));

  // Section 24.4: the symmetric key binds the credential to the object name.
  VOUCH_ASSIGN_OR_RETURN(
      Bytes sym_key, KdfA(name_alg, seed, AsBytes(kStorageLabel), object_name, {}, kAes128Bits));
  Bytes plain;  // TPM2B_DIGEST of the secret
  PutU16(plain, secret.size());
  plain.insert(plain.end(), secret.begin(), secret.end());
  VOUCH_ASSIGN_OR_RETURN(Bytes enc_identity, Aes128CfbEncrypt(sym_key, plain));

  // Section 24.5: outer HMAC over encIdentity || name.
  VOUCH_ASSIGN_OR_RETURN(Bytes hmac_key, KdfA(name_alg, seed, AsBytes(kIntegrityLabel), {}, {},
                                              static_cast<uint32_t>(digest_size * 8)));
  VOUCH_ASSIGN_OR_RETURN(Bytes outer_hmac, Hmac(name_alg, hmac_key, {enc_identity, object_name}));

  MadeCredential made;
  // TPM2B_ID_OBJECT { size, credential = TPM2B_DIGEST(outer HMAC) || encIdentity }.
  PutU16(made.credential_blob, 2 + outer_hmac.size() + enc_identity.size());
  PutU16(made.credential_blob, outer_hmac.size());
  made.credential_blob.insert(made.credential_blob.end(), outer_hmac.begin(), outer_hmac.end());
  made.credential_blob.insert(made.credential_blob.end(), enc_identity.begin(), enc_identity.end());
  // TPM2B_ENCRYPTED_SECRET { size, secret }.
  PutU16(made.encrypted_secret, enc_seed.size());
  made.encrypted_secret.insert(made.encrypted_secret.end(), enc_seed.begin(), enc_seed.end());
  return made;
}

}  // namespace vouch::crypto
