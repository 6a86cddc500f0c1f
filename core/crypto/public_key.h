// PublicKey: an RSA or EC public key (OpenSSL EVP_PKEY under RAII), built from
// raw components (as TPM structures carry them), SubjectPublicKeyInfo DER or
// PEM, and signature verification with it.
//
// Verification answers "valid or not" as a value; a Status error means the
// inputs could not be evaluated (wrong key type for the scheme, unsupported
// hash). Thread-safe for concurrent const use. Copying shares the key.
#ifndef VOUCH_CORE_CRYPTO_PUBLIC_KEY_H_
#define VOUCH_CORE_CRYPTO_PUBLIC_KEY_H_

#include <memory>
#include <string>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace vouch::crypto {

enum class KeyType { kRsa, kEc };
enum class EcCurve { kP256, kP384, kP521 };

// Signature schemes Vouch verifies.
//   kRsaPkcs1v15: RSASSA-PKCS1-v1_5.
//   kRsaPss:      RSASSA-PSS, MGF1 with the same hash, salt length = digest
//                 length (what TPMs produce), or any salt length when
//                 verifying (OpenSSL's auto recovery) for interoperability.
//   kEcdsa:       ECDSA; the signature is DER (use EcdsaRawToDer for TPM r,s).
enum class SignatureScheme { kRsaPkcs1v15, kRsaPss, kEcdsa };

class PublicKey {
 public:
  // RSA from big-endian modulus and exponent (exponent 0 means 65537, as in
  // TPM structures). InvalidArgument for an empty, even or oversized
  // (>16384-bit) modulus; leading zero bytes are ignored.
  static Result<PublicKey> FromRsa(ByteView modulus, uint32_t exponent);
  // EC from big-endian affine coordinates (shorter ones are left-padded);
  // InvalidArgument if the point is not on the curve or the coordinates are
  // longer than the field.
  static Result<PublicKey> FromEc(EcCurve curve, ByteView x, ByteView y);
  // X.509 SubjectPublicKeyInfo, DER or PEM ("-----BEGIN PUBLIC KEY-----").
  // InvalidArgument for malformed input, trailing bytes, key types other than
  // RSA/EC, or curves other than P-256/P-384/P-521.
  static Result<PublicKey> FromSpkiDer(ByteView der);
  static Result<PublicKey> FromPem(std::string_view pem);

  KeyType type() const;
  // Modulus bits for RSA, field bits for EC.
  int bits() const;
  // Only for EC keys; VOUCH_CHECK otherwise.
  EcCurve curve() const;

  Bytes ToSpkiDer() const;
  std::string ToPem() const;

  // Verifies `signature` over `message` (hashed here with `hash`).
  // Returns true/false; InvalidArgument when scheme and key type disagree or
  // `hash` is unsupported.
  Result<bool> Verify(SignatureScheme scheme, HashAlg hash, ByteView message,
                      ByteView signature) const;
  // Same over a precomputed digest of `hash` (its length must match).
  Result<bool> VerifyDigest(SignatureScheme scheme, HashAlg hash, ByteView digest,
                            ByteView signature) const;

  // The raw OpenSSL handle for code inside core/crypto (not owned by caller).
  EVP_PKEY* native() const { return pkey_.get(); }
  // Takes ownership of an EVP_PKEY (for code inside core/crypto).
  static PublicKey Adopt(EVP_PKEY* pkey);

 private:
  PublicKey(std::shared_ptr<EVP_PKEY> pkey, KeyType type) : pkey_(std::move(pkey)), type_(type) {}
  std::shared_ptr<EVP_PKEY> pkey_;
  KeyType type_;  // cached: EVP_PKEY_is_a is a name lookup, too slow per verify
};

// Converts raw big-endian r and s (as TPMs return them) to a DER ECDSA-Sig-Value.
// InvalidArgument when r or s is empty or longer than 66 bytes.
Result<Bytes> EcdsaRawToDer(ByteView r, ByteView s);

}  // namespace vouch::crypto

#endif  // VOUCH_CORE_CRYPTO_PUBLIC_KEY_H_
