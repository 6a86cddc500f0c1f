#include "core/crypto/hmac.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>

#include "core/crypto/internal/openssl_util.h"

namespace vouch::crypto {
namespace {

using EvpMacCtxPtr = std::unique_ptr<EVP_MAC_CTX, internal::Deleter<EVP_MAC_CTX_free>>;

// EVP_MAC_fetch takes a provider lock, so the HMAC method is fetched once per
// process and intentionally never freed (as internal::EvpMd does for
// digests). nullptr only if the default provider lacks HMAC.
EVP_MAC* HmacMethod() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

}  // namespace

Result<Bytes> HmacSha256(ByteView key, ByteView data) {
  EVP_MAC* mac = HmacMethod();
  if (mac == nullptr) return internal::OpenSslError(Code::kInternal, "fetch HMAC");
  EvpMacCtxPtr ctx(EVP_MAC_CTX_new(mac));
  if (!ctx) return internal::OpenSslError(Code::kInternal, "HMAC context");

  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  // OpenSSL refuses a null key pointer even with length 0, while HMAC itself
  // is defined for the empty key (it is zero-padded to the block size), so an
  // empty key is passed as a valid pointer to no bytes.
  static const uint8_t kNoKey[1] = {0};
  const uint8_t* key_ptr = key.empty() ? kNoKey : key.data();
  if (EVP_MAC_init(ctx.get(), key_ptr, key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1) {
    return internal::OpenSslError(Code::kInternal, "HMAC-SHA256");
  }
  Bytes out(kHmacSha256Bytes);
  size_t len = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size()) {
    return internal::OpenSslError(Code::kInternal, "HMAC-SHA256 final");
  }
  return out;
}

}  // namespace vouch::crypto
