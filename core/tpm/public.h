// TPM2B_PUBLIC / TPMT_PUBLIC decoding (TPM 2.0 Part 2, section 12.2), for
// attestation keys and endorsement keys, via libtss2-mu.
//
// Decoding checks structure only; whether the key is a proper AK (restricted,
// sign, fixedTPM, fixedParent, sensitiveDataOrigin) is reported by
// IsRestrictedSigningKey() for the caller to decide.
#ifndef VOUCH_CORE_TPM_PUBLIC_H_
#define VOUCH_CORE_TPM_PUBLIC_H_

#include <cstdint>
#include <optional>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/crypto/public_key.h"

namespace vouch::tpm {

enum class KeyAlg { kRsa, kEcc };

// The signing scheme in the key's template. For a restricted signing key this
// is the only scheme the TPM will sign with.
struct SigningScheme {
  crypto::SignatureScheme scheme;
  HashAlg hash;
};

class TpmPublic {
 public:
  // TPM2B_PUBLIC: 2-byte big-endian size, then TPMT_PUBLIC. The size must
  // match exactly and nothing may follow. InvalidArgument otherwise.
  static Result<TpmPublic> DecodeTpm2b(ByteView data);
  // A bare TPMT_PUBLIC occupying all of `data`.
  static Result<TpmPublic> DecodeTpmt(ByteView data);

  KeyAlg alg() const { return alg_; }
  HashAlg name_alg() const { return name_alg_; }
  uint32_t object_attributes() const { return attributes_; }
  // nullopt when the template has no scheme (TPM_ALG_NULL).
  std::optional<SigningScheme> signing_scheme() const { return scheme_; }
  // restricted | sign | fixedTPM | fixedParent | sensitiveDataOrigin set,
  // decrypt clear.
  bool IsRestrictedSigningKey() const;

  // TPM name: name_alg (2 bytes, big-endian) || H_name_alg(TPMT_PUBLIC).
  const Bytes& name() const { return name_; }
  // The marshaled TPMT_PUBLIC this was decoded from.
  const Bytes& tpmt_bytes() const { return tpmt_; }
  // The key as an OpenSSL public key (RSA modulus/exponent or ECC point).
  const crypto::PublicKey& key() const { return *key_; }

 private:
  TpmPublic() = default;
  KeyAlg alg_ = KeyAlg::kRsa;
  HashAlg name_alg_ = HashAlg::kSha256;
  uint32_t attributes_ = 0;
  std::optional<SigningScheme> scheme_;
  Bytes name_;
  Bytes tpmt_;
  // Always set once decoding succeeds (PublicKey has no empty state).
  std::optional<crypto::PublicKey> key_;
};

}  // namespace vouch::tpm

#endif  // VOUCH_CORE_TPM_PUBLIC_H_
