// Private helpers shared by the core/crypto sources: RAII owners for OpenSSL
// objects, the process-wide EVP_MD table and error-queue draining. Not part of
// the public API; nothing outside core/crypto includes this.
#ifndef VOUCH_CORE_CRYPTO_INTERNAL_OPENSSL_UTIL_H_
#define VOUCH_CORE_CRYPTO_INTERNAL_OPENSSL_UTIL_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/base/hash_alg.h"
#include "core/base/status.h"

namespace vouch::crypto::internal {

template <auto Fn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};

using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;

// The EVP_MD for `alg`, fetched once per process and never freed; nullptr for
// algorithms this build does not support (SM3). Thread-safe.
const EVP_MD* EvpMd(HashAlg alg);

// OpenSSL digest name ("SHA256") for the supported algorithms, nullptr
// otherwise.
const char* EvpMdName(HashAlg alg);

// InvalidArgument("unsupported hash algorithm ...") when EvpMd(alg) is null.
Status CheckDigestSupported(HashAlg alg);

// Drains OpenSSL's thread-local error queue into one line ("" when empty), so
// errors from one call never show up in the next.
std::string DrainErrors();

// Status `code` with "what: <openssl errors>"; drains the queue.
Status OpenSslError(Code code, std::string_view what);

}  // namespace vouch::crypto::internal

#endif  // VOUCH_CORE_CRYPTO_INTERNAL_OPENSSL_UTIL_H_
