// Test-only helpers: private keys generated with OpenSSL inside the test, and
// signing with them, so signature and certificate tests need no key files.
#ifndef VOUCH_TESTS_UNIT_CORE_CRYPTO_TEST_KEYS_H_
#define VOUCH_TESTS_UNIT_CORE_CRYPTO_TEST_KEYS_H_

#include <openssl/evp.h>

#include <ctime>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/crypto/public_key.h"
#include "core/crypto/x509.h"

namespace vouch::crypto::testing {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PrivateKey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// Fresh keys (RSA-2048 and the generated ones are cached per process; keygen
// is slow). The returned pointers stay valid for the whole test run.
EVP_PKEY* Rsa2048();
EVP_PKEY* EcKey(const char* curve);  // "P-256", "P-384"

// The public half as a vouch PublicKey.
PublicKey PublicOf(EVP_PKEY* key);

// Signs `message` with `hash`; for RSA, `pss` picks RSASSA-PSS with salt
// length `pss_salt` (-1 = digest length, -2 = maximum); ECDSA gives DER.
Bytes Sign(EVP_PKEY* key, HashAlg hash, ByteView message, bool pss = false, int pss_salt = -1);

// Big-endian integer parameter of a key (OSSL_PKEY_PARAM_* name), padded
// to `size` bytes when size > 0.
Bytes BnParam(EVP_PKEY* key, const char* name, size_t size = 0);

// A certificate to build in a test.
struct CertSpec {
  std::string cn;  // subject CN; empty gives an empty subject (as many EK certs have)
  long serial = 1;
  time_t not_before = 0;
  time_t not_after = 0;
  // (name, value) pairs for X509V3_EXT_nconf, e.g.
  // {"basicConstraints", "critical,CA:TRUE"}. Values may reference
  // sections of `config` ("critical,dirName:tpm_attrs").
  std::vector<std::pair<std::string, std::string>> extensions;
  std::string config;  // OpenSSL config text with sections for `extensions`
};

// Signs `spec` for `subject_key` with `issuer_key` (SHA-256). `issuer` null
// means self-signed. Aborts on OpenSSL errors (test bug).
Certificate MakeCert(const CertSpec& spec, EVP_PKEY* subject_key, const Certificate* issuer,
                     EVP_PKEY* issuer_key);

// Extensions of a CA certificate / of a TPM EK certificate as swtpm issues
// them (critical SAN directoryName with TPM manufacturer/model/version, EK
// certificate EKU 2.23.133.8.1, critical keyUsage keyEncipherment).
std::vector<std::pair<std::string, std::string>> CaExtensions();
std::vector<std::pair<std::string, std::string>> EkExtensions();
// Config text defining the "tpm_attrs" section EkExtensions() refers to.
std::string EkConfig();

}  // namespace vouch::crypto::testing

#endif  // VOUCH_TESTS_UNIT_CORE_CRYPTO_TEST_KEYS_H_
