#include "core/tpm/quote.h"

#include <array>
#include <bit>
#include <string>
#include <utility>

#include "core/crypto/digest.h"
#include "core/crypto/public_key.h"

namespace vouch::tpm {

// The one place outside tests that may create VerifiedPcrs (friend of it).
class QuoteVerifierAccess {
 public:
  static VerifiedPcrs Make(const PcrValues& values) { return VerifiedPcrs(values); }
};

namespace {

constexpr std::string_view kAttestMalformed = "quote.attest_malformed";
constexpr std::string_view kSignatureMalformed = "quote.signature_malformed";
constexpr std::string_view kMagicInvalid = "quote.magic_invalid";
constexpr std::string_view kTypeInvalid = "quote.type_invalid";
constexpr std::string_view kSchemeMismatch = "quote.scheme_mismatch";
constexpr std::string_view kSignatureInvalid = "quote.signature_invalid";
constexpr std::string_view kNonceMismatch = "quote.nonce_mismatch";
constexpr std::string_view kSelectionMismatch = "quote.pcr_selection_mismatch";
constexpr std::string_view kDigestMismatch = "quote.pcr_digest_mismatch";

Finding MakeFinding(std::string_view id, std::string message, std::string expected = "",
                    std::string actual = "") {
  Finding f;
  f.id = std::string(id);
  f.severity = Severity::kError;
  f.message = std::move(message);
  f.expected = std::move(expected);
  f.actual = std::move(actual);
  return f;
}

Finding PcrFinding(std::string_view id, std::string message, HashAlg bank, uint32_t pcr) {
  Finding f = MakeFinding(id, std::move(message));
  f.bank = bank;
  f.pcr = pcr;
  return f;
}

crypto::SignatureScheme ToCryptoScheme(SigAlg alg) {
  switch (alg) {
    case SigAlg::kRsaSsa: return crypto::SignatureScheme::kRsaPkcs1v15;
    case SigAlg::kRsaPss: return crypto::SignatureScheme::kRsaPss;
    case SigAlg::kEcdsa: return crypto::SignatureScheme::kEcdsa;
  }
  return crypto::SignatureScheme::kRsaPkcs1v15;
}

std::string SchemeText(crypto::SignatureScheme scheme, HashAlg hash) {
  std::string name;
  switch (scheme) {
    case crypto::SignatureScheme::kRsaPkcs1v15: name = "rsassa"; break;
    case crypto::SignatureScheme::kRsaPss: name = "rsapss"; break;
    case crypto::SignatureScheme::kEcdsa: name = "ecdsa"; break;
  }
  return name + "-" + std::string(HashAlgName(hash));
}

std::string PcrText(HashAlg bank, uint32_t pcr) {
  return "PCR " + std::to_string(pcr) + " (" + std::string(HashAlgName(bank)) + ")";
}

// Selected PCRs as one bitmap per bank (banks in first-seen order); a quote
// selects at most TPM2_NUM_PCR_BANKS (16) banks, and duplicates merge.
class SelectionMask {
 public:
  explicit SelectionMask(const std::vector<PcrSelection>& selection) {
    for (const PcrSelection& s : selection) {
      uint32_t& mask = Slot(s.bank);
      for (uint32_t pcr : s.pcrs) mask |= uint32_t{1} << pcr;
    }
  }
  bool Has(HashAlg bank, uint32_t pcr) const {
    for (size_t i = 0; i < size_; ++i) {
      if (banks_[i].first == bank) return pcr < 32 && (banks_[i].second >> pcr) & 1;
    }
    return false;
  }
  size_t Count() const {
    size_t n = 0;
    for (size_t i = 0; i < size_; ++i) n += std::popcount(banks_[i].second);
    return n;
  }

 private:
  uint32_t& Slot(HashAlg bank) {
    for (size_t i = 0; i < size_; ++i) {
      if (banks_[i].first == bank) return banks_[i].second;
    }
    // Each distinct HashAlg gets one slot; there are fewer of them than slots.
    banks_[size_] = {bank, 0};
    return banks_[size_++].second;
  }
  std::array<std::pair<HashAlg, uint32_t>, std::size(kAllHashAlgs)> banks_{};
  size_t size_ = 0;
};

// The claimed values restricted to the selection. The common case (the host
// sent exactly the selected PCRs) is a plain copy.
PcrValues SelectedValues(const SelectionMask& mask, const PcrValues& claimed) {
  size_t claimed_count = 0;
  for (const auto& [bank, values] : claimed.banks()) claimed_count += values.size();
  // Every selected PCR is present (checked before), so equal counts mean
  // equal sets.
  if (claimed_count == mask.Count()) return claimed;
  PcrValues out;
  for (const auto& [bank, values] : claimed.banks()) {
    for (const auto& [pcr, value] : values) {
      if (!mask.Has(bank, pcr)) continue;
      // Values in a PcrValues already have the right size and index.
      Status set = out.Set(bank, pcr, value);
      VOUCH_CHECK(set.ok());
    }
  }
  return out;
}

// Calls fn(bank, pcr, value) for every selected PCR in selection order, with
// value nullptr when `values` lacks it. One ordered walk per bank instead of a
// lookup per PCR: this runs on every quote.
template <typename Fn>
void ForEachSelected(const std::vector<PcrSelection>& selection, const PcrValues& values, Fn&& fn) {
  const auto& banks = values.banks();
  for (const PcrSelection& s : selection) {
    auto bank = banks.find(s.bank);
    if (bank == banks.end()) {
      for (uint32_t pcr : s.pcrs) fn(s.bank, pcr, nullptr);
      continue;
    }
    const std::map<uint32_t, Bytes>& bank_values = bank->second;
    auto it = bank_values.begin();
    uint32_t previous = 0;
    for (uint32_t pcr : s.pcrs) {
      // Selections are ascending; restart the walk if a caller's is not.
      if (pcr < previous) it = bank_values.begin();
      previous = pcr;
      while (it != bank_values.end() && it->first < pcr) ++it;
      fn(s.bank, pcr, it != bank_values.end() && it->first == pcr ? &it->second : nullptr);
    }
  }
}

// A per-thread buffer for the concatenated PCR values, so hashing them costs
// no allocation after the first quote on a thread.
Bytes& ConcatBuffer() {
  thread_local Bytes buffer;
  buffer.clear();
  return buffer;
}

}  // namespace

Result<Bytes> ComputePcrDigest(HashAlg hash, const std::vector<PcrSelection>& selection,
                               const PcrValues& values) {
  // TPM 2.0 Part 3, section 18.4 (TPM2_Quote) and Part 1, section 17.6.4.3:
  // H(PCR values concatenated in selection order, ascending index per bank).
  Bytes& concat = ConcatBuffer();
  std::optional<std::pair<HashAlg, uint32_t>> missing;
  ForEachSelected(selection, values, [&](HashAlg bank, uint32_t pcr, const Bytes* v) {
    if (v == nullptr) {
      if (!missing) missing.emplace(bank, pcr);
      return;
    }
    concat.insert(concat.end(), v->begin(), v->end());
  });
  if (missing) {
    return InvalidArgumentError("PCR digest: no value for " +
                                PcrText(missing->first, missing->second));
  }
  return crypto::Digest(hash, concat);
}

Result<QuoteVerification> VerifyQuote(const TpmPublic& ak, const QuoteEvidence& evidence,
                                      ByteView expected_nonce,
                                      const std::vector<PcrSelection>& required) {
  const std::optional<SigningScheme>& ak_scheme = ak.signing_scheme();
  if (!ak_scheme) {
    return FailedPreconditionError("verify quote: the AK has no signing scheme in its template");
  }
  QuoteVerification out;
  std::vector<Finding>& findings = out.findings;

  Result<Attest> decoded = DecodeAttest(evidence.attest);
  if (!decoded) {
    findings.push_back(MakeFinding(kAttestMalformed, decoded.error().message()));
    return out;
  }
  out.attest = std::move(decoded).value();
  const Attest& attest = *out.attest;

  Result<TpmSignature> sig = DecodeSignature(evidence.signature);
  if (!sig) {
    findings.push_back(MakeFinding(kSignatureMalformed, sig.error().message()));
    return out;
  }

  if (attest.magic != kTpmGeneratedValue) {
    findings.push_back(MakeFinding(
        kMagicInvalid, "attest magic is not TPM_GENERATED_VALUE", "ff544347",
        HexEncode(Bytes{
            static_cast<uint8_t>(attest.magic >> 24), static_cast<uint8_t>(attest.magic >> 16),
            static_cast<uint8_t>(attest.magic >> 8), static_cast<uint8_t>(attest.magic)})));
  }
  if (attest.type != kStAttestQuote) {
    findings.push_back(MakeFinding(kTypeInvalid, "attest type is not TPM_ST_ATTEST_QUOTE", "8018",
                                   HexEncode(Bytes{static_cast<uint8_t>(attest.type >> 8),
                                                   static_cast<uint8_t>(attest.type)})));
  }

  // A restricted signing key signs only with its template's scheme, so a
  // quote claiming another scheme was not produced by this AK.
  crypto::SignatureScheme scheme = ToCryptoScheme(sig->alg);
  if (scheme != ak_scheme->scheme || sig->hash != ak_scheme->hash) {
    findings.push_back(
        MakeFinding(kSchemeMismatch, "signature scheme differs from the AK's template scheme",
                    SchemeText(ak_scheme->scheme, ak_scheme->hash), SchemeText(scheme, sig->hash)));
  } else {
    Result<bool> valid = false;
    if (scheme == crypto::SignatureScheme::kEcdsa) {
      Result<Bytes> der = crypto::EcdsaRawToDer(sig->ecc_r, sig->ecc_s);
      valid = der ? ak.key().Verify(scheme, sig->hash, evidence.attest, *der)
                  : Result<bool>(der.error());
    } else {
      valid = ak.key().Verify(scheme, sig->hash, evidence.attest, sig->rsa_signature);
    }
    if (!valid || !*valid) {
      findings.push_back(MakeFinding(
          kSignatureInvalid,
          valid ? "signature does not verify with the AK"
                : "signature cannot be verified with the AK: " + valid.error().message()));
    }
  }

  if (!ConstantTimeEqual(attest.extra_data, expected_nonce)) {
    findings.push_back(MakeFinding(kNonceMismatch, "extraData is not the expected nonce",
                                   HexEncode(expected_nonce), HexEncode(attest.extra_data)));
  }

  if (!attest.quote) return out;  // type_invalid already reported
  const QuoteInfo& quote = *attest.quote;
  SelectionMask quoted(quote.selection);
  for (const PcrSelection& want : required) {
    for (uint32_t pcr : want.pcrs) {
      if (!quoted.Has(want.bank, pcr)) {
        findings.push_back(PcrFinding(kSelectionMismatch,
                                      PcrText(want.bank, pcr) + " was requested but not quoted",
                                      want.bank, pcr));
      }
    }
  }
  // One walk over the claimed values: report missing ones, concatenate the
  // rest for the digest.
  Bytes& concat = ConcatBuffer();
  bool values_complete = true;
  ForEachSelected(quote.selection, evidence.pcrs, [&](HashAlg bank, uint32_t pcr, const Bytes* v) {
    if (v == nullptr) {
      values_complete = false;
      findings.push_back(PcrFinding(
          kSelectionMismatch, PcrText(bank, pcr) + " is quoted but no value was given", bank, pcr));
      return;
    }
    concat.insert(concat.end(), v->begin(), v->end());
  });

  if (values_complete) {
    // The TPM computes pcrDigest with the signing scheme's hash.
    Result<Bytes> computed = crypto::Digest(sig->hash, concat);
    if (!computed) {
      findings.push_back(MakeFinding(
          kDigestMismatch, "cannot compute the PCR digest: " + computed.error().message()));
    } else if (*computed != quote.pcr_digest) {
      findings.push_back(MakeFinding(
          kDigestMismatch,
          "digest of the given PCR values (actual) differs from the quoted pcrDigest (expected)",
          HexEncode(quote.pcr_digest), HexEncode(*computed)));
    }
  }

  if (!HasErrors(findings)) {
    out.verified = QuoteVerifierAccess::Make(SelectedValues(quoted, evidence.pcrs));
  }
  return out;
}

}  // namespace vouch::tpm
