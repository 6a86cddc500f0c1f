// HMAC-SHA256 (RFC 2104, FIPS 198-1) over OpenSSL 3's EVP_MAC.
//
// Used for proofs of possession (core/protocol's activation proof), not for
// passwords or key derivation. Comparing MACs is the caller's job and must be
// constant time (ConstantTimeEqual in core/base/bytes.h). Thread-safe.
#ifndef VOUCH_CORE_CRYPTO_HMAC_H_
#define VOUCH_CORE_CRYPTO_HMAC_H_

#include <cstddef>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace vouch::crypto {

inline constexpr size_t kHmacSha256Bytes = 32;

// HMAC-SHA256(key, data): kHmacSha256Bytes bytes. Any key length is allowed,
// including empty (keys longer than the 64-byte block are hashed first, as
// RFC 2104 says); rejecting weak keys is the caller's policy. Internal only
// if OpenSSL itself fails (no input can cause that).
Result<Bytes> HmacSha256(ByteView key, ByteView data);

}  // namespace vouch::crypto

#endif  // VOUCH_CORE_CRYPTO_HMAC_H_
