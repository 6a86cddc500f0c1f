// TPMS_ATTEST and TPMT_SIGNATURE adapter (TPM 2.0 Part 2, sections 10.12.12
// and 11.3.4), decoded field by field with libtss2-mu.
#include "core/tpm/attest.h"

#include <tss2/tss2_mu.h>
#include <tss2/tss2_tpm2_types.h>

#include <bit>
#include <string>

#include "core/tpm/internal/mu.h"

namespace vouch::tpm {
namespace {

using internal::Hex16;
using internal::MuDecoder;

Bytes Tpm2bBytes(const uint8_t* buffer, uint16_t size) { return Bytes(buffer, buffer + size); }

std::string SelectionField(uint32_t i) {
  return "pcrSelect.pcrSelections[" + std::to_string(i) + "]";
}

bool IsKnownDigestSize(size_t size) {
  for (HashAlg alg : kAllHashAlgs) {
    if (DigestSize(alg) == size) return true;
  }
  return false;
}

// Section 10.9.7 TPML_PCR_SELECTION: count (<= TPM2_NUM_PCR_BANKS), then per
// bank hash, sizeofSelect (<= TPM2_PCR_SELECT_MAX) and the bitmap. Walked
// here first so bad counts get a precise message before libtss2-mu decodes.
Status PrecheckPcrSelection(const MuDecoder& d, ByteView data) {
  size_t at = d.offset();
  auto need = [&](size_t n, auto field) -> Status {
    // `field` is a callable so the name is only built on failure.
    if (data.size() - at < n) {
      return d.ErrorAt(
          at, field(),
          "need " + std::to_string(n) + " bytes, " + std::to_string(data.size() - at) + " left");
    }
    return Status();
  };
  VOUCH_RETURN_IF_ERROR(need(4, [] { return std::string("pcrSelect.count"); }));
  uint32_t count = (uint32_t{data[at]} << 24) | (uint32_t{data[at + 1]} << 16) |
                   (uint32_t{data[at + 2]} << 8) | data[at + 3];
  if (count > TPM2_NUM_PCR_BANKS) {
    return d.ErrorAt(at, "pcrSelect.count",
                     std::to_string(count) + " exceeds " + std::to_string(TPM2_NUM_PCR_BANKS));
  }
  at += 4;
  for (uint32_t i = 0; i < count; ++i) {
    VOUCH_RETURN_IF_ERROR(need(3, [i] { return SelectionField(i); }));
    size_t size_of_select = data[at + 2];
    if (size_of_select > TPM2_PCR_SELECT_MAX) {
      return d.ErrorAt(
          at + 2, SelectionField(i) + ".sizeofSelect",
          std::to_string(size_of_select) + " exceeds " + std::to_string(TPM2_PCR_SELECT_MAX));
    }
    at += 3;
    VOUCH_RETURN_IF_ERROR(need(size_of_select, [i] { return SelectionField(i) + ".pcrSelect"; }));
    at += size_of_select;
  }
  return Status();
}

Result<std::vector<PcrSelection>> ToSelections(const MuDecoder& d, size_t at,
                                               const TPML_PCR_SELECTION& list) {
  std::vector<PcrSelection> out;
  out.reserve(list.count);
  for (uint32_t i = 0; i < list.count; ++i) {
    const TPMS_PCR_SELECTION& s = list.pcrSelections[i];
    std::optional<HashAlg> bank = HashAlgFromTpmId(s.hash);
    if (!bank) return d.ErrorAt(at, SelectionField(i) + ".hash", Hex16(s.hash) + " unknown");
    PcrSelection sel{*bank, {}};
    size_t selected = 0;
    for (uint32_t byte = 0; byte < s.sizeofSelect; ++byte) {
      selected += static_cast<size_t>(std::popcount(s.pcrSelect[byte]));
    }
    sel.pcrs.reserve(selected);
    for (uint32_t byte = 0; byte < s.sizeofSelect; ++byte) {
      for (uint32_t bit = 0; bit < 8; ++bit) {
        if ((s.pcrSelect[byte] & (1u << bit)) == 0) continue;
        uint32_t pcr = byte * 8 + bit;
        if (pcr >= kNumPcrs) {
          return d.ErrorAt(
              at, SelectionField(i) + ".pcrSelect",
              "PCR " + std::to_string(pcr) + " beyond the " + std::to_string(kNumPcrs) + " PCRs");
        }
        sel.pcrs.push_back(pcr);
      }
    }
    out.push_back(std::move(sel));
  }
  return out;
}

// Section 10.12.1 TPMS_QUOTE_INFO: pcrSelect, pcrDigest.
Result<QuoteInfo> DecodeQuoteInfo(MuDecoder& d, ByteView data) {
  VOUCH_RETURN_IF_ERROR(PrecheckPcrSelection(d, data));
  size_t select_at = d.offset();
  TPML_PCR_SELECTION select{};
  VOUCH_RETURN_IF_ERROR(d.Read(Tss2_MU_TPML_PCR_SELECTION_Unmarshal, &select, "pcrSelect"));
  QuoteInfo info;
  VOUCH_ASSIGN_OR_RETURN(info.selection, ToSelections(d, select_at, select));

  size_t digest_at = d.offset();
  TPM2B_DIGEST digest{};
  VOUCH_RETURN_IF_ERROR(
      d.ReadTpm2b(Tss2_MU_TPM2B_DIGEST_Unmarshal, &digest, sizeof(digest.buffer), "pcrDigest"));
  if (!IsKnownDigestSize(digest.size)) {
    return d.ErrorAt(digest_at, "pcrDigest",
                     "size " + std::to_string(digest.size) + " is no known digest size");
  }
  info.pcr_digest = Tpm2bBytes(digest.buffer, digest.size);
  return info;
}

bool IsKnownAttestType(uint16_t type) {
  switch (type) {
    case TPM2_ST_ATTEST_NV:
    case TPM2_ST_ATTEST_COMMAND_AUDIT:
    case TPM2_ST_ATTEST_SESSION_AUDIT:
    case TPM2_ST_ATTEST_CERTIFY:
    case TPM2_ST_ATTEST_QUOTE:
    case TPM2_ST_ATTEST_TIME:
    case TPM2_ST_ATTEST_CREATION: return true;
    default: return false;
  }
}

}  // namespace

Result<Attest> DecodeAttest(ByteView data) {
  // Section 10.12.12 TPMS_ATTEST: magic, type, qualifiedSigner, extraData,
  // clockInfo, firmwareVersion, attested (selected by type).
  MuDecoder d(data, "TPMS_ATTEST");
  Attest out;
  VOUCH_RETURN_IF_ERROR(d.Read(Tss2_MU_UINT32_Unmarshal, &out.magic, "magic"));
  size_t type_at = d.offset();
  VOUCH_RETURN_IF_ERROR(d.Read(Tss2_MU_UINT16_Unmarshal, &out.type, "type"));
  if (!IsKnownAttestType(out.type)) return d.ErrorAt(type_at, "type", Hex16(out.type) + " unknown");

  TPM2B_NAME signer{};
  VOUCH_RETURN_IF_ERROR(
      d.ReadTpm2b(Tss2_MU_TPM2B_NAME_Unmarshal, &signer, sizeof(signer.name), "qualifiedSigner"));
  out.qualified_signer = Tpm2bBytes(signer.name, signer.size);

  TPM2B_DATA extra{};
  VOUCH_RETURN_IF_ERROR(
      d.ReadTpm2b(Tss2_MU_TPM2B_DATA_Unmarshal, &extra, sizeof(extra.buffer), "extraData"));
  out.extra_data = Tpm2bBytes(extra.buffer, extra.size);

  // Section 10.11.1 TPMS_CLOCK_INFO: clock, resetCount, restartCount, safe.
  size_t clock_at = d.offset();
  TPMS_CLOCK_INFO clock{};
  VOUCH_RETURN_IF_ERROR(d.Read(Tss2_MU_TPMS_CLOCK_INFO_Unmarshal, &clock, "clockInfo"));
  if (clock.safe > 1) {
    return d.ErrorAt(clock_at + 16, "clockInfo.safe",
                     std::to_string(clock.safe) + " is not a TPMI_YES_NO");
  }
  out.clock_info = ClockInfo{clock.clock, clock.resetCount, clock.restartCount, clock.safe == 1};

  VOUCH_RETURN_IF_ERROR(d.Read(Tss2_MU_UINT64_Unmarshal, &out.firmware_version, "firmwareVersion"));

  if (out.type == TPM2_ST_ATTEST_QUOTE) {
    VOUCH_ASSIGN_OR_RETURN(out.quote, DecodeQuoteInfo(d, data));
  } else {
    // Not a quote: decoded only to check the structure is well formed.
    TPMU_ATTEST other{};
    VOUCH_RETURN_IF_ERROR(d.ReadUnion(Tss2_MU_TPMU_ATTEST_Unmarshal, out.type, &other, "attested"));
  }
  VOUCH_RETURN_IF_ERROR(d.Finish());
  return out;
}

Result<TpmSignature> DecodeSignature(ByteView data) {
  // Section 11.3.4 TPMT_SIGNATURE: sigAlg, then the TPMU_SIGNATURE member it
  // selects. RSA members (11.3.1 TPMS_SIGNATURE_RSA): hash, sig. ECC members
  // (11.3.2 TPMS_SIGNATURE_ECC): hash, signatureR, signatureS.
  MuDecoder d(data, "TPMT_SIGNATURE");
  TpmSignature out;
  TPMI_ALG_SIG_SCHEME sig_alg = 0;
  VOUCH_RETURN_IF_ERROR(d.Read(Tss2_MU_UINT16_Unmarshal, &sig_alg, "sigAlg"));
  switch (sig_alg) {
    case TPM2_ALG_RSASSA: out.alg = SigAlg::kRsaSsa; break;
    case TPM2_ALG_RSAPSS: out.alg = SigAlg::kRsaPss; break;
    case TPM2_ALG_ECDSA: out.alg = SigAlg::kEcdsa; break;
    default:
      return d.ErrorAt(0, "sigAlg", Hex16(sig_alg) + " unsupported (RSASSA, RSAPSS, ECDSA only)");
  }
  size_t hash_at = d.offset();
  TPMI_ALG_HASH hash = 0;
  VOUCH_RETURN_IF_ERROR(d.Read(Tss2_MU_UINT16_Unmarshal, &hash, "hash"));
  std::optional<HashAlg> hash_alg = HashAlgFromTpmId(hash);
  if (!hash_alg) return d.ErrorAt(hash_at, "hash", Hex16(hash) + " unknown");
  out.hash = *hash_alg;

  if (out.alg == SigAlg::kEcdsa) {
    TPM2B_ECC_PARAMETER r{};
    TPM2B_ECC_PARAMETER s{};
    VOUCH_RETURN_IF_ERROR(
        d.ReadTpm2b(Tss2_MU_TPM2B_ECC_PARAMETER_Unmarshal, &r, sizeof(r.buffer), "signatureR"));
    VOUCH_RETURN_IF_ERROR(
        d.ReadTpm2b(Tss2_MU_TPM2B_ECC_PARAMETER_Unmarshal, &s, sizeof(s.buffer), "signatureS"));
    out.ecc_r = Tpm2bBytes(r.buffer, r.size);
    out.ecc_s = Tpm2bBytes(s.buffer, s.size);
  } else {
    TPM2B_PUBLIC_KEY_RSA sig{};
    VOUCH_RETURN_IF_ERROR(
        d.ReadTpm2b(Tss2_MU_TPM2B_PUBLIC_KEY_RSA_Unmarshal, &sig, sizeof(sig.buffer), "sig"));
    out.rsa_signature = Tpm2bBytes(sig.buffer, sig.size);
  }
  VOUCH_RETURN_IF_ERROR(d.Finish());
  return out;
}

}  // namespace vouch::tpm
