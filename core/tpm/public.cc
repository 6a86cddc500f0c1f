// TPMT_PUBLIC / TPM2B_PUBLIC adapter (TPM 2.0 Part 2, section 12.2).
#include "core/tpm/public.h"

#include <tss2/tss2_mu.h>
#include <tss2/tss2_tpm2_types.h>

#include <string>

#include "core/crypto/digest.h"
#include "core/tpm/internal/mu.h"

namespace vouch::tpm {
namespace {

using internal::Hex16;
using internal::MuDecoder;

constexpr uint32_t kRestrictedSigningAttrs = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT |
                                             TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                             TPMA_OBJECT_SENSITIVEDATAORIGIN;

Result<HashAlg> SchemeHash(const MuDecoder& d, uint16_t id, std::string_view field) {
  std::optional<HashAlg> hash = HashAlgFromTpmId(id);
  if (!hash) return d.Error(field, "hash " + Hex16(id) + " unknown");
  return *hash;
}

// Section 11.2.4.2 TPMT_RSA_SCHEME: only the signing schemes Vouch verifies
// yield a SigningScheme; NULL and encryption schemes yield none.
Result<std::optional<SigningScheme>> RsaScheme(const MuDecoder& d, const TPMT_RSA_SCHEME& s) {
  crypto::SignatureScheme scheme;
  switch (s.scheme) {
    case TPM2_ALG_RSASSA: scheme = crypto::SignatureScheme::kRsaPkcs1v15; break;
    case TPM2_ALG_RSAPSS: scheme = crypto::SignatureScheme::kRsaPss; break;
    default: return std::optional<SigningScheme>();
  }
  // All RSA signing schemes share TPMS_SCHEME_HASH, so any member reads hashAlg.
  VOUCH_ASSIGN_OR_RETURN(HashAlg hash,
                         SchemeHash(d, s.details.rsassa.hashAlg, "parameters.scheme.hashAlg"));
  return std::optional<SigningScheme>(SigningScheme{scheme, hash});
}

Result<std::optional<SigningScheme>> EccScheme(const MuDecoder& d, const TPMT_ECC_SCHEME& s) {
  if (s.scheme != TPM2_ALG_ECDSA) return std::optional<SigningScheme>();
  VOUCH_ASSIGN_OR_RETURN(HashAlg hash,
                         SchemeHash(d, s.details.ecdsa.hashAlg, "parameters.scheme.hashAlg"));
  return std::optional<SigningScheme>(SigningScheme{crypto::SignatureScheme::kEcdsa, hash});
}

}  // namespace

bool TpmPublic::IsRestrictedSigningKey() const {
  return (attributes_ & kRestrictedSigningAttrs) == kRestrictedSigningAttrs &&
         (attributes_ & TPMA_OBJECT_DECRYPT) == 0;
}

Result<TpmPublic> TpmPublic::DecodeTpm2b(ByteView data) {
  // Section 12.2.5 TPM2B_PUBLIC: size, then exactly `size` bytes of TPMT_PUBLIC.
  if (data.size() < 2) {
    return InvalidArgumentError("decode TPM2B_PUBLIC: need 2 bytes for size, " +
                                std::to_string(data.size()) + " left");
  }
  size_t size = (size_t{data[0]} << 8) | data[1];
  size_t rest = data.size() - 2;
  if (size > rest) {
    return InvalidArgumentError("decode TPM2B_PUBLIC: size " + std::to_string(size) +
                                " exceeds input " + std::to_string(rest));
  }
  if (size < rest) {
    return InvalidArgumentError("decode TPM2B_PUBLIC: trailing " + std::to_string(rest - size) +
                                " bytes after offset " + std::to_string(2 + size));
  }
  return DecodeTpmt(data.subspan(2));
}

Result<TpmPublic> TpmPublic::DecodeTpmt(ByteView data) {
  // Section 12.2.4 TPMT_PUBLIC: type, nameAlg, objectAttributes, authPolicy,
  // parameters (selected by type), unique (selected by type).
  MuDecoder d(data, "TPMT_PUBLIC");
  TpmPublic out;

  // Only asymmetric keys: rejecting other types before libtss2-mu sees them
  // gives a clear message (tss2 reports an unknown selector as a short buffer).
  VOUCH_ASSIGN_OR_RETURN(uint16_t peek_type, d.PeekU16(0, "type"));
  if (peek_type != TPM2_ALG_RSA && peek_type != TPM2_ALG_ECC) {
    return d.Error("type", Hex16(peek_type) + " unsupported (RSA and ECC keys only)");
  }
  TPMI_ALG_PUBLIC type = 0;
  VOUCH_RETURN_IF_ERROR(d.Read(Tss2_MU_UINT16_Unmarshal, &type, "type"));
  out.alg_ = type == TPM2_ALG_RSA ? KeyAlg::kRsa : KeyAlg::kEcc;

  TPMI_ALG_HASH name_alg = 0;
  VOUCH_RETURN_IF_ERROR(d.Read(Tss2_MU_UINT16_Unmarshal, &name_alg, "nameAlg"));
  std::optional<HashAlg> name_hash = HashAlgFromTpmId(name_alg);
  if (!name_hash || !crypto::IsDigestSupported(*name_hash)) {
    return d.ErrorAt(2, "nameAlg", Hex16(name_alg) + " unsupported");
  }
  out.name_alg_ = *name_hash;

  TPMA_OBJECT attrs = 0;
  VOUCH_RETURN_IF_ERROR(d.Read(Tss2_MU_TPMA_OBJECT_Unmarshal, &attrs, "objectAttributes"));
  out.attributes_ = attrs;

  size_t policy_at = d.offset();
  TPM2B_DIGEST policy{};
  VOUCH_RETURN_IF_ERROR(
      d.ReadTpm2b(Tss2_MU_TPM2B_DIGEST_Unmarshal, &policy, sizeof(policy.buffer), "authPolicy"));
  if (policy.size != 0 && policy.size != DigestSize(out.name_alg_)) {
    return d.ErrorAt(policy_at, "authPolicy",
                     "size " + std::to_string(policy.size) + " is neither 0 nor the " +
                         std::string(HashAlgName(out.name_alg_)) + " digest size");
  }

  TPMU_PUBLIC_PARMS params{};
  VOUCH_RETURN_IF_ERROR(
      d.ReadUnion(Tss2_MU_TPMU_PUBLIC_PARMS_Unmarshal, type, &params, "parameters"));

  size_t unique_at = d.offset();
  if (type == TPM2_ALG_RSA) {
    const TPMS_RSA_PARMS& rsa = params.rsaDetail;
    VOUCH_ASSIGN_OR_RETURN(out.scheme_, RsaScheme(d, rsa.scheme));
    TPM2B_PUBLIC_KEY_RSA modulus{};
    VOUCH_RETURN_IF_ERROR(d.ReadTpm2b(Tss2_MU_TPM2B_PUBLIC_KEY_RSA_Unmarshal, &modulus,
                                      sizeof(modulus.buffer), "unique.rsa"));
    if (size_t{modulus.size} * 8 != rsa.keyBits) {
      return d.ErrorAt(unique_at, "unique.rsa",
                       "modulus of " + std::to_string(modulus.size) + " bytes for keyBits " +
                           std::to_string(rsa.keyBits));
    }
    VOUCH_ASSIGN_OR_RETURN_CTX(
        out.key_, crypto::PublicKey::FromRsa(ByteView(modulus.buffer, modulus.size), rsa.exponent),
        "decode TPMT_PUBLIC: RSA key");
  } else {
    const TPMS_ECC_PARMS& ecc = params.eccDetail;
    VOUCH_ASSIGN_OR_RETURN(out.scheme_, EccScheme(d, ecc.scheme));
    crypto::EcCurve curve;
    switch (ecc.curveID) {
      case TPM2_ECC_NIST_P256: curve = crypto::EcCurve::kP256; break;
      case TPM2_ECC_NIST_P384: curve = crypto::EcCurve::kP384; break;
      case TPM2_ECC_NIST_P521: curve = crypto::EcCurve::kP521; break;
      default:
        return d.ErrorAt(unique_at, "parameters.curveID",
                         Hex16(ecc.curveID) + " unsupported (NIST P-256/384/521 only)");
    }
    // Section 11.2.5.2 TPMS_ECC_POINT: x then y, each a TPM2B_ECC_PARAMETER.
    TPMS_ECC_POINT point{};
    VOUCH_RETURN_IF_ERROR(d.ReadTpm2b(Tss2_MU_TPM2B_ECC_PARAMETER_Unmarshal, &point.x,
                                      sizeof(point.x.buffer), "unique.ecc.x"));
    VOUCH_RETURN_IF_ERROR(d.ReadTpm2b(Tss2_MU_TPM2B_ECC_PARAMETER_Unmarshal, &point.y,
                                      sizeof(point.y.buffer), "unique.ecc.y"));
    VOUCH_ASSIGN_OR_RETURN_CTX(
        out.key_,
        crypto::PublicKey::FromEc(curve, ByteView(point.x.buffer, point.x.size),
                                  ByteView(point.y.buffer, point.y.size)),
        "decode TPMT_PUBLIC: ECC key");
  }
  VOUCH_RETURN_IF_ERROR(d.Finish());

  // TPM 2.0 Part 1, section 16 (Names): nameAlg || H_nameAlg(marshaled
  // TPMT_PUBLIC). The input bytes are hashed as given, never re-marshaled, so
  // bits libtss2-mu might not round-trip (reserved attributes) still count.
  VOUCH_ASSIGN_OR_RETURN(Bytes digest, crypto::Digest(out.name_alg_, data));
  out.name_.reserve(2 + digest.size());
  out.name_.push_back(static_cast<uint8_t>(name_alg >> 8));
  out.name_.push_back(static_cast<uint8_t>(name_alg & 0xff));
  out.name_.insert(out.name_.end(), digest.begin(), digest.end());
  out.tpmt_.assign(data.begin(), data.end());
  return out;
}

}  // namespace vouch::tpm
