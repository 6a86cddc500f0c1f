// HashAlg: the hash algorithms Vouch handles, numbered as TPM_ALG_ID
// (TPM 2.0 Part 2, section 6.3) so the same value works in TPM structures,
// event logs and crypto.
//
// It lives in base (not tpm) so that crypto can name algorithms without
// depending on TPM code.
#ifndef VOUCH_CORE_BASE_HASH_ALG_H_
#define VOUCH_CORE_BASE_HASH_ALG_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vouch {

enum class HashAlg : uint16_t {
  kSha1 = 0x0004,
  kSha256 = 0x000B,
  kSha384 = 0x000C,
  kSha512 = 0x000D,
  kSm3_256 = 0x0012,
};

// The algorithms in the order banks are listed everywhere (sha1 first).
inline constexpr HashAlg kAllHashAlgs[] = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384,
                                           HashAlg::kSha512, HashAlg::kSm3_256};

// Digest size in bytes.
constexpr size_t DigestSize(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1: return 20;
    case HashAlg::kSha256: return 32;
    case HashAlg::kSha384: return 48;
    case HashAlg::kSha512: return 64;
    case HashAlg::kSm3_256: return 32;
  }
  return 0;
}

// "sha1", "sha256", "sha384", "sha512", "sm3_256".
std::string_view HashAlgName(HashAlg alg);
// Inverse of HashAlgName (lower case); nullopt for unknown names.
std::optional<HashAlg> HashAlgFromName(std::string_view name);
// From a TPM_ALG_ID; nullopt for ids that are not a known hash.
std::optional<HashAlg> HashAlgFromTpmId(uint16_t id);

}  // namespace vouch

#endif  // VOUCH_CORE_BASE_HASH_ALG_H_
