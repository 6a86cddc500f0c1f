// Quote verification: the step that turns claimed PCR values into
// VerifiedPcrs.
//
// Checks, each adding a Finding with a stable id when it fails:
//   quote.attest_malformed     TPMS_ATTEST does not decode (bad evidence is
//                              a finding, not an error)
//   quote.signature_malformed  TPMT_SIGNATURE does not decode
//   quote.magic_invalid        magic != TPM_GENERATED_VALUE
//   quote.type_invalid         type != TPM_ST_ATTEST_QUOTE
//   quote.scheme_mismatch      signature scheme/hash differs from the AK's
//   quote.signature_invalid    signature does not verify with the AK
//   quote.nonce_mismatch       extraData != expected nonce
//   quote.pcr_selection_mismatch  the quote does not cover the requested
//                              selection, or claimed values are missing
//   quote.pcr_digest_mismatch  H(claimed values in selection order) differs
//                              from the quoted pcrDigest
// VerifiedPcrs are produced only when there is no finding of severity error;
// they hold exactly the selected PCRs of the claimed values.
// Thread-safe (pure function).
#ifndef VOUCH_CORE_TPM_QUOTE_H_
#define VOUCH_CORE_TPM_QUOTE_H_

#include <optional>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/finding.h"
#include "core/base/status.h"
#include "core/tpm/attest.h"
#include "core/tpm/pcr.h"
#include "core/tpm/public.h"

namespace vouch::tpm {

struct QuoteEvidence {
  Bytes attest;     // marshaled TPMS_ATTEST
  Bytes signature;  // marshaled TPMT_SIGNATURE
  PcrValues pcrs;   // the values the host claims the quote covers
};

struct QuoteVerification {
  std::vector<Finding> findings;
  // Decoded attest, when it decoded (even if checks failed), for clockInfo.
  std::optional<Attest> attest;
  // Set only when no error finding was raised.
  std::optional<VerifiedPcrs> verified;
};

// `required` lists the PCRs the verifier asked for; an empty list means
// "whatever the quote selects". Returns an error Status only for arguments
// that make evaluation impossible (AK without a signing scheme).
Result<QuoteVerification> VerifyQuote(const TpmPublic& ak, const QuoteEvidence& evidence,
                                      ByteView expected_nonce,
                                      const std::vector<PcrSelection>& required = {});

// pcrDigest as the TPM computes it: H_hash(concatenation of the selected
// values in selection order, PCR index ascending within a bank).
// InvalidArgument when a selected value is missing from `values`.
Result<Bytes> ComputePcrDigest(HashAlg hash, const std::vector<PcrSelection>& selection,
                               const PcrValues& values);

}  // namespace vouch::tpm

#endif  // VOUCH_CORE_TPM_QUOTE_H_
