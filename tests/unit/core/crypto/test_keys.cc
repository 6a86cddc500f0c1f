#include "tests/unit/core/crypto/test_keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "core/base/check.h"

namespace vouch::crypto::testing {
namespace {

const EVP_MD* Md(HashAlg hash) {
  switch (hash) {
    case HashAlg::kSha1: return EVP_sha1();
    case HashAlg::kSha256: return EVP_sha256();
    case HashAlg::kSha384: return EVP_sha384();
    case HashAlg::kSha512: return EVP_sha512();
    default: return nullptr;
  }
}

}  // namespace

EVP_PKEY* Rsa2048() {
  static EVP_PKEY* key = EVP_RSA_gen(2048);
  VOUCH_CHECK(key != nullptr);
  return key;
}

EVP_PKEY* EcKey(const char* curve) {
  static std::mutex mu;
  static std::map<std::string, EVP_PKEY*> keys;
  std::lock_guard<std::mutex> lock(mu);
  EVP_PKEY*& key = keys[curve];
  if (key == nullptr) key = EVP_EC_gen(curve);
  VOUCH_CHECK(key != nullptr);
  return key;
}

PublicKey PublicOf(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  VOUCH_CHECK(len > 0);
  Bytes bytes(der, der + len);
  OPENSSL_free(der);
  Result<PublicKey> pub = PublicKey::FromSpkiDer(bytes);
  VOUCH_CHECK(pub.has_value());
  return *pub;
}

Bytes Sign(EVP_PKEY* key, HashAlg hash, ByteView message, bool pss, int pss_salt) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  VOUCH_CHECK(EVP_DigestSignInit(ctx, &pctx, Md(hash), nullptr, key) == 1);
  if (pss) {
    VOUCH_CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
    VOUCH_CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt) == 1);
  }
  size_t len = 0;
  VOUCH_CHECK(EVP_DigestSign(ctx, nullptr, &len, message.data(), message.size()) == 1);
  Bytes sig(len);
  VOUCH_CHECK(EVP_DigestSign(ctx, sig.data(), &len, message.data(), message.size()) == 1);
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  return sig;
}

Bytes BnParam(EVP_PKEY* key, const char* name, size_t size) {
  BIGNUM* bn = nullptr;
  VOUCH_CHECK(EVP_PKEY_get_bn_param(key, name, &bn) == 1);
  size_t n = size > 0 ? size : static_cast<size_t>(BN_num_bytes(bn));
  Bytes out(n);
  VOUCH_CHECK(BN_bn2binpad(bn, out.data(), static_cast<int>(n)) == static_cast<int>(n));
  BN_free(bn);
  return out;
}

}  // namespace vouch::crypto::testing
