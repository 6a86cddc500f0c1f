// TPMS_ATTEST and TPMT_SIGNATURE decoding (TPM 2.0 Part 2, sections 10.12 and
// 11.3.4) via libtss2-mu. Decoding only: nothing here is verified. Every
// length is checked against the remaining input; trailing bytes are an error.
#ifndef VOUCH_CORE_TPM_ATTEST_H_
#define VOUCH_CORE_TPM_ATTEST_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/tpm/pcr.h"

namespace vouch::tpm {

inline constexpr uint32_t kTpmGeneratedValue = 0xff544347;  // TPM_GENERATED_VALUE
inline constexpr uint16_t kStAttestQuote = 0x8018;          // TPM_ST_ATTEST_QUOTE

struct ClockInfo {
  uint64_t clock = 0;          // milliseconds the TPM has been powered
  uint32_t reset_count = 0;    // TPM resets (reboots)
  uint32_t restart_count = 0;  // TPM restarts/resumes since last reset
  bool safe = false;
};

struct QuoteInfo {
  std::vector<PcrSelection> selection;  // in the order the TPM listed them
  Bytes pcr_digest;
};

struct Attest {
  uint32_t magic = 0;
  uint16_t type = 0;
  Bytes qualified_signer;  // TPM2B_NAME contents
  Bytes extra_data;        // TPM2B_DATA contents: the nonce for quotes
  ClockInfo clock_info;
  uint64_t firmware_version = 0;
  std::optional<QuoteInfo> quote;  // set when type == kStAttestQuote
};

// Decodes a marshaled TPMS_ATTEST (the bytes inside TPM2B_ATTEST, as
// tpm2_quote -m writes them). InvalidArgument naming the field on bad input.
Result<Attest> DecodeAttest(ByteView data);

enum class SigAlg { kRsaSsa, kRsaPss, kEcdsa };

struct TpmSignature {
  SigAlg alg = SigAlg::kRsaSsa;
  HashAlg hash = HashAlg::kSha256;
  Bytes rsa_signature;  // RSA schemes
  Bytes ecc_r;          // ECDSA
  Bytes ecc_s;
};

// Decodes a marshaled TPMT_SIGNATURE (tpm2_quote -s default format).
// InvalidArgument for other schemes (HMAC, SM2, ECSCHNORR, NULL).
Result<TpmSignature> DecodeSignature(ByteView data);

}  // namespace vouch::tpm

#endif  // VOUCH_CORE_TPM_ATTEST_H_
