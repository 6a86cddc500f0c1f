#include "tests/unit/core/crypto/test_keys.h"

#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

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
  static auto* keys = new std::map<std::string, EVP_PKEY*>();  // lives until exit
  std::lock_guard<std::mutex> lock(mu);
  EVP_PKEY*& key = (*keys)[curve];
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

Certificate MakeCert(const CertSpec& spec, EVP_PKEY* subject_key, const Certificate* issuer,
                     EVP_PKEY* issuer_key) {
  X509* x = X509_new();
  VOUCH_CHECK(x != nullptr);
  VOUCH_CHECK(X509_set_version(x, X509_VERSION_3) == 1);
  VOUCH_CHECK(ASN1_INTEGER_set(X509_get_serialNumber(x), spec.serial) == 1);
  VOUCH_CHECK(ASN1_TIME_set(X509_getm_notBefore(x), spec.not_before) != nullptr);
  VOUCH_CHECK(ASN1_TIME_set(X509_getm_notAfter(x), spec.not_after) != nullptr);
  X509_NAME* name = X509_get_subject_name(x);
  if (!spec.cn.empty()) {
    VOUCH_CHECK(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                           reinterpret_cast<const unsigned char*>(spec.cn.c_str()),
                                           -1, -1, 0) == 1);
  }
  VOUCH_CHECK(X509_set_issuer_name(
                  x, issuer != nullptr ? X509_get_subject_name(issuer->native()) : name) == 1);
  VOUCH_CHECK(X509_set_pubkey(x, subject_key) == 1);

  CONF* conf = NCONF_new(nullptr);
  if (!spec.config.empty()) {
    BIO* bio = BIO_new_mem_buf(spec.config.data(), static_cast<int>(spec.config.size()));
    long line = 0;
    VOUCH_CHECK(NCONF_load_bio(conf, bio, &line) == 1);
    BIO_free(bio);
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer->native() : x, x, nullptr, nullptr, 0);
  X509V3_set_nconf(&ctx, conf);
  for (const auto& [ext_name, value] : spec.extensions) {
    X509_EXTENSION* ext = X509V3_EXT_nconf(conf, &ctx, ext_name.c_str(), value.c_str());
    if (ext == nullptr) ERR_print_errors_fp(stderr);
    VOUCH_CHECK(ext != nullptr);
    VOUCH_CHECK(X509_add_ext(x, ext, -1) == 1);
    X509_EXTENSION_free(ext);
  }
  NCONF_free(conf);
  VOUCH_CHECK(X509_sign(x, issuer_key, EVP_sha256()) > 0);

  unsigned char* der = nullptr;
  int len = i2d_X509(x, &der);
  VOUCH_CHECK(len > 0);
  Bytes bytes(der, der + len);
  OPENSSL_free(der);
  X509_free(x);
  Result<Certificate> cert = Certificate::FromDer(bytes);
  VOUCH_CHECK(cert.has_value());
  return *cert;
}

std::vector<std::pair<std::string, std::string>> CaExtensions() {
  return {{"basicConstraints", "critical,CA:TRUE"},
          {"keyUsage", "critical,keyCertSign,cRLSign"},
          {"subjectKeyIdentifier", "hash"}};
}

std::vector<std::pair<std::string, std::string>> EkExtensions() {
  return {{"extendedKeyUsage", "2.23.133.8.1"},
          {"subjectAltName", "critical,dirName:tpm_attrs"},
          {"basicConstraints", "critical,CA:FALSE"},
          {"authorityKeyIdentifier", "keyid"},
          {"keyUsage", "critical,keyEncipherment"}};
}

std::string EkConfig() {
  // TCG EK Credential Profile: tcg-at-tpmManufacturer/Model/Version. OpenSSL
  // drops everything up to the first '.' of a dirName field name (its
  // "1.CN" repeat syntax), hence the "x." prefix.
  return "[tpm_attrs]\n"
         "x.2.23.133.2.1 = id:00001014\n"
         "x.2.23.133.2.2 = swtpm\n"
         "x.2.23.133.2.3 = id:20191023\n";
}

}  // namespace vouch::crypto::testing
