#include "core/base/hash_alg.h"

namespace vouch {

std::string_view HashAlgName(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1: return "sha1";
    case HashAlg::kSha256: return "sha256";
    case HashAlg::kSha384: return "sha384";
    case HashAlg::kSha512: return "sha512";
    case HashAlg::kSm3_256: return "sm3_256";
  }
  return "unknown";
}

std::optional<HashAlg> HashAlgFromName(std::string_view name) {
  for (HashAlg alg : kAllHashAlgs) {
    if (HashAlgName(alg) == name) return alg;
  }
  return std::nullopt;
}

std::optional<HashAlg> HashAlgFromTpmId(uint16_t id) {
  for (HashAlg alg : kAllHashAlgs) {
    if (static_cast<uint16_t>(alg) == id) return alg;
  }
  return std::nullopt;
}

}  // namespace vouch
