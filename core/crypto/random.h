// RandomSource: where secrets, nonces and seeds come from. Passed in so tests
// can make deterministic runs; production uses OpenSslRandom.
#ifndef VOUCH_CORE_CRYPTO_RANDOM_H_
#define VOUCH_CORE_CRYPTO_RANDOM_H_

#include <span>

#include "core/base/status.h"

namespace vouch::crypto {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` with random bytes. Unavailable when the generator fails.
  virtual Status Fill(std::span<uint8_t> out) = 0;
};

// OpenSSL's RAND_bytes (DRBG seeded from the OS). Thread-safe.
class OpenSslRandom final : public RandomSource {
 public:
  Status Fill(std::span<uint8_t> out) override;
};

}  // namespace vouch::crypto

#endif  // VOUCH_CORE_CRYPTO_RANDOM_H_
