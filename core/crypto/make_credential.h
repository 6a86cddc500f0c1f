// Software TPM2_MakeCredential (TPM 2.0 Part 1, section 24, "Credential
// Protection"; Part 3 TPM2_MakeCredential), so the verifier can challenge an
// enrolling host without a TPM: only a TPM holding the EK private key, with
// the AK whose name is `object_name` loaded, can recover `secret` with
// TPM2_ActivateCredential.
//
// RSA EKs (2048-bit, the TCG default template: OAEP with SHA-256, AES-128-CFB
// symmetric, name alg SHA-256) are supported; ECC EKs (ECDH seed) return
// FailedPrecondition for now.
//
// Construction, for reference:
//   seed      = random(DigestSize(name_alg))
//   encSecret = RSA-OAEP(ek, seed, hash=name_alg, label="IDENTITY\0")
//   symKey    = KDFa(name_alg, seed, "STORAGE\0", object_name, "", 128 bits)
//   encIdentity = AES-128-CFB(symKey, iv=0, TPM2B(secret))
//   hmacKey   = KDFa(name_alg, seed, "INTEGRITY\0", "", "", digest bits)
//   outerHMAC = HMAC(hmacKey, encIdentity || object_name)
//   credentialBlob = TPM2B_ID_OBJECT{ TPM2B(outerHMAC) || encIdentity }
#ifndef VOUCH_CORE_CRYPTO_MAKE_CREDENTIAL_H_
#define VOUCH_CORE_CRYPTO_MAKE_CREDENTIAL_H_

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/crypto/public_key.h"
#include "core/crypto/random.h"

namespace vouch::crypto {

struct MadeCredential {
  // Marshaled TPM2B_ID_OBJECT (2-byte big-endian size, then the blob), ready
  // for TPM2_ActivateCredential's credentialBlob.
  Bytes credential_blob;
  // Marshaled TPM2B_ENCRYPTED_SECRET (2-byte size, then the RSA ciphertext).
  Bytes encrypted_secret;
};

// `ek`: the EK public key; `name_alg`: the EK's name algorithm (sha256 for
// the default templates); `object_name`: the AK's TPM name (alg id || digest
// of a known hash, sizes checked); `secret`: 1..DigestSize(name_alg) bytes.
// InvalidArgument on bad sizes or an unsupported name_alg; FailedPrecondition
// for non-RSA EKs; `random`'s error if it fails. `random` supplies the seed;
// the OAEP padding itself draws from OpenSSL's DRBG, so encrypted_secret is
// never deterministic (credential_blob is, for a fixed seed).
Result<MadeCredential> MakeCredential(const PublicKey& ek, HashAlg name_alg, ByteView object_name,
                                      ByteView secret, RandomSource& random);

// KDFa (TPM 2.0 Part 1, section 11.4.10.2, SP800-108 counter mode with HMAC).
// `label` is used as given (callers include the terminating NUL the TPM uses).
Result<Bytes> KdfA(HashAlg alg, ByteView key, ByteView label, ByteView context_u,
                   ByteView context_v, uint32_t bits);

}  // namespace vouch::crypto

#endif  // VOUCH_CORE_CRYPTO_MAKE_CREDENTIAL_H_
