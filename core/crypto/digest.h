// Message digests over OpenSSL 3 (SHA-1/256/384/512).
//
// The EVP_MD objects are fetched once per process and shared, so hashing many
// small inputs (event-log replay) costs no more than OpenSSL's own digest calls.
// All functions are thread-safe; a Hasher object is not (one per thread).
// SM3 is not supported (InvalidArgument).
#ifndef VOUCH_CORE_CRYPTO_DIGEST_H_
#define VOUCH_CORE_CRYPTO_DIGEST_H_

#include <memory>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"

namespace vouch::crypto {

// Whether this build can compute `alg`.
bool IsDigestSupported(HashAlg alg);

// H(data). InvalidArgument for unsupported algorithms.
Result<Bytes> Digest(HashAlg alg, ByteView data);

// Incremental hashing: Create, Update any number of times, Final once.
// After Final the hasher may be Reset and reused.
class Hasher {
 public:
  static Result<Hasher> Create(HashAlg alg);
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  ~Hasher();

  HashAlg alg() const { return alg_; }
  void Update(ByteView data);
  Bytes Final();
  // Writes the digest into `out`, which must be exactly DigestSize(alg()) long
  // (VOUCH_CHECK). Avoids an allocation on hot paths.
  void FinalInto(std::span<uint8_t> out);
  void Reset();

 private:
  struct Impl;
  Hasher(HashAlg alg, std::unique_ptr<Impl> impl);
  HashAlg alg_;
  std::unique_ptr<Impl> impl_;
};

// TPM PCR extend: pcr := H(pcr || digest). `pcr` must be DigestSize(alg) long;
// `digest` is the event digest of the same bank. InvalidArgument on size
// mismatch.
Status ExtendPcr(HashAlg alg, std::span<uint8_t> pcr, ByteView digest);

}  // namespace vouch::crypto

#endif  // VOUCH_CORE_CRYPTO_DIGEST_H_
