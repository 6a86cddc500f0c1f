// Test-only stand-ins for a TPM: OpenSSL key pairs that play attestation keys,
// and builders that marshal TPMT_PUBLIC / TPMS_ATTEST / TPMT_SIGNATURE with
// libtss2-mu from C structs, so unit tests feed core/tpm the exact bytes a TPM
// would return without needing one.
#ifndef VOUCH_TESTS_UNIT_CORE_TPM_SOFT_AK_H_
#define VOUCH_TESTS_UNIT_CORE_TPM_SOFT_AK_H_

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include <memory>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/tpm/attest.h"
#include "core/tpm/pcr.h"

namespace vouch::tpm::testing {

enum class AkKind { kRsaSsa, kRsaPss, kEcdsaP256, kEcdsaP384 };

class SoftAk {
 public:
  // One key per kind per process (RSA key generation is slow).
  static const SoftAk& Get(AkKind kind);
  // A fresh key of `kind` (for "another AK" tests).
  static SoftAk Generate(AkKind kind);

  AkKind kind() const { return kind_; }
  HashAlg hash() const { return hash_; }
  EVP_PKEY* pkey() const { return pkey_.get(); }

  // A restricted signing key template (what tpm2_createak makes) with this
  // key's public part and scheme.
  TPMT_PUBLIC Template() const;

  // Marshaled TPMT_SIGNATURE over `message` with the AK's scheme and hash.
  Bytes Sign(ByteView message) const { return SignWith(DefaultAlg(), hash_, message); }
  // Same with any scheme the key type allows (to fake mismatching quotes).
  Bytes SignWith(SigAlg alg, HashAlg hash, ByteView message) const;

 private:
  SoftAk(AkKind kind, std::shared_ptr<EVP_PKEY> pkey, HashAlg hash)
      : kind_(kind), pkey_(std::move(pkey)), hash_(hash) {}
  SigAlg DefaultAlg() const;
  AkKind kind_;
  std::shared_ptr<EVP_PKEY> pkey_;
  HashAlg hash_;
};

// libtss2-mu marshaling; aborts the test binary on failure (test bug).
Bytes MarshalTpm2bPublic(const TPMT_PUBLIC& area);
Bytes MarshalTpmtPublic(const TPMT_PUBLIC& area);
Bytes MarshalAttest(const TPMS_ATTEST& attest);
Bytes MarshalSignature(const TPMT_SIGNATURE& signature);

TPML_PCR_SELECTION ToTpml(const std::vector<PcrSelection>& selection);

// A TPM_ST_ATTEST_QUOTE TPMS_ATTEST with plausible clock values.
TPMS_ATTEST QuoteAttest(ByteView nonce, const std::vector<PcrSelection>& selection,
                        ByteView pcr_digest);

// Deterministic, distinct values for every selected PCR (`seed` varies them).
PcrValues MakePcrValues(const std::vector<PcrSelection>& selection, uint8_t seed = 1);

// H_hash(selected values in selection order), computed here with OpenSSL
// directly (independent of core/tpm).
Bytes ReferencePcrDigest(HashAlg hash, const std::vector<PcrSelection>& selection,
                         const PcrValues& values);

// OpenSSL one-shot digest (independent of core/crypto).
Bytes OpenSslDigest(HashAlg hash, ByteView data);

// sha1 and sha256 banks, PCRs 0-23 each.
std::vector<PcrSelection> AllPcrsSha1Sha256();

}  // namespace vouch::tpm::testing

#endif  // VOUCH_TESTS_UNIT_CORE_TPM_SOFT_AK_H_
