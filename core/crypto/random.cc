#include "core/crypto/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>

#include "core/crypto/internal/openssl_util.h"

namespace vouch::crypto {

Status OpenSslRandom::Fill(std::span<uint8_t> out) {
  // RAND_bytes takes an int length; fill large buffers in chunks.
  while (!out.empty()) {
    size_t n = std::min<size_t>(out.size(), INT_MAX);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
      return internal::OpenSslError(Code::kUnavailable, "RAND_bytes");
    }
    out = out.subspan(n);
  }
  return Status::Ok();
}

}  // namespace vouch::crypto
