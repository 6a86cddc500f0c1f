#include "core/crypto/public_key.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <climits>
#include <cstring>
#include <string>

#include "core/base/check.h"
#include "core/crypto/internal/openssl_util.h"

namespace vouch::crypto {
namespace {

using internal::BioPtr;
using internal::BnPtr;
using internal::EvpMdCtxPtr;
using internal::EvpPkeyCtxPtr;
using internal::EvpPkeyPtr;

constexpr size_t kMaxRsaModulusBytes = 16384 / 8;

struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};

struct CurveInfo {
  EcCurve curve;
  const char* group;  // OpenSSL group name
  size_t field_bytes;
};
constexpr CurveInfo kCurves[] = {
    {EcCurve::kP256, "prime256v1", 32},
    {EcCurve::kP384, "secp384r1", 48},
    {EcCurve::kP521, "secp521r1", 66},
};

const CurveInfo& InfoFor(EcCurve curve) {
  for (const CurveInfo& c : kCurves) {
    if (c.curve == curve) return c;
  }
  VOUCH_CHECK(false && "unknown EcCurve");
  return kCurves[0];
}

const CurveInfo* InfoForGroup(std::string_view group) {
  for (const CurveInfo& c : kCurves) {
    if (group == c.group) return &c;
  }
  // OpenSSL may also report NIST names.
  if (group == "P-256") return &kCurves[0];
  if (group == "P-384") return &kCurves[1];
  if (group == "P-521") return &kCurves[2];
  return nullptr;
}

std::string GroupName(EVP_PKEY* pkey) {
  char name[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &len) !=
      1) {
    ERR_clear_error();
    return "";
  }
  return std::string(name, len);
}

// Builds a public key of `type` ("RSA", "EC") from an OSSL_PARAM array. EC
// points are checked (EVP_PKEY_public_check_quick: on the curve, not at
// infinity). RSA keys are not: OpenSSL's RSA check insists on SP 800-56B
// exponents (>= 65537) and runs a primality test on n, while TPM structures
// may carry any odd exponent; a bogus modulus simply fails to verify.
Result<EvpPkeyPtr> FromParams(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld));
  if (!params) return internal::OpenSslError(Code::kInternal, "OSSL_PARAM_BLD_to_param");
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return internal::OpenSslError(Code::kInternal, "EVP_PKEY_fromdata_init");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return internal::OpenSslError(Code::kInvalidArgument, std::string(type) + " key rejected");
  }
  EvpPkeyPtr pkey(raw);
  if (std::string_view(type) != "EC") return pkey;
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) {
    return internal::OpenSslError(Code::kInvalidArgument,
                                  std::string(type) + " public key check failed");
  }
  return pkey;
}

// Accepts only the key types and curves the rest of the API can describe.
Status CheckSupportedKey(EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "RSA")) return Status::Ok();
  if (EVP_PKEY_is_a(pkey, "EC")) {
    std::string group = GroupName(pkey);
    if (InfoForGroup(group) == nullptr) {
      return InvalidArgumentError("unsupported EC curve '" + group + "'");
    }
    return Status::Ok();
  }
  return InvalidArgumentError(std::string("unsupported key type ") + EVP_PKEY_get0_type_name(pkey));
}

Status CheckScheme(const PublicKey& key, SignatureScheme scheme, HashAlg hash) {
  const bool rsa_scheme = scheme != SignatureScheme::kEcdsa;
  if (rsa_scheme != (key.type() == KeyType::kRsa)) {
    return InvalidArgumentError(std::string("signature scheme does not match the ") +
                                (key.type() == KeyType::kRsa ? "RSA" : "EC") + " key");
  }
  return internal::CheckDigestSupported(hash);
}

// Padding settings for RSA schemes on a verify context (ECDSA needs none).
bool ConfigurePadding(EVP_PKEY_CTX* pctx, SignatureScheme scheme, const EVP_MD* md) {
  switch (scheme) {
    case SignatureScheme::kRsaPkcs1v15:
      return true;  // OpenSSL's default RSA padding is PKCS#1 v1.5
    case SignatureScheme::kRsaPss:
      // Salt length is recovered from the signature: TPMs use the digest
      // length, other signers the maximum.
      return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1;
    case SignatureScheme::kEcdsa: return true;
  }
  return false;
}

}  // namespace

Result<PublicKey> PublicKey::FromRsa(ByteView modulus, uint32_t exponent) {
  // Leading zero bytes do not count towards the size.
  size_t skip = 0;
  while (skip < modulus.size() && modulus[skip] == 0) ++skip;
  modulus = modulus.subspan(skip);
  if (modulus.empty()) return InvalidArgumentError("RSA modulus is empty");
  if ((modulus.back() & 1) == 0) return InvalidArgumentError("RSA modulus is even");
  if (modulus.size() > kMaxRsaModulusBytes) {
    return InvalidArgumentError("RSA modulus is " + std::to_string(modulus.size() * 8) +
                                " bits, more than 16384");
  }
  if (exponent == 0) exponent = 65537;  // TPM 2.0 Part 2, TPMS_RSA_PARMS.exponent
  BnPtr n(BN_bin2bn(modulus.data(), static_cast<int>(modulus.size()), nullptr));
  BnPtr e(BN_new());
  if (!n || !e || BN_set_word(e.get(), exponent) != 1) {
    return internal::OpenSslError(Code::kInternal, "BN");
  }
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return internal::OpenSslError(Code::kInternal, "OSSL_PARAM_BLD");
  }
  VOUCH_ASSIGN_OR_RETURN(EvpPkeyPtr pkey, FromParams("RSA", bld.get()));
  return Adopt(pkey.release());
}

Result<PublicKey> PublicKey::FromEc(EcCurve curve, ByteView x, ByteView y) {
  const CurveInfo& info = InfoFor(curve);
  if (x.size() > info.field_bytes || y.size() > info.field_bytes) {
    return InvalidArgumentError("EC coordinate longer than the " + std::string(info.group) +
                                " field (" + std::to_string(info.field_bytes) + " bytes)");
  }
  // SEC 1 section 2.3.3 uncompressed point: 0x04 || X || Y, each left-padded
  // to the field size (TPMs may drop leading zeros).
  Bytes point(1 + 2 * info.field_bytes, 0);
  point[0] = 0x04;
  std::memcpy(point.data() + 1 + info.field_bytes - x.size(), x.data(), x.size());
  std::memcpy(point.data() + 1 + 2 * info.field_bytes - y.size(), y.data(), y.size());
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, info.group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return internal::OpenSslError(Code::kInternal, "OSSL_PARAM_BLD");
  }
  VOUCH_ASSIGN_OR_RETURN(EvpPkeyPtr pkey, FromParams("EC", bld.get()));
  return Adopt(pkey.release());
}

Result<PublicKey> PublicKey::FromSpkiDer(ByteView der) {
  const unsigned char* p = der.data();
  EvpPkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey) return internal::OpenSslError(Code::kInvalidArgument, "not a SubjectPublicKeyInfo");
  if (p != der.data() + der.size()) {
    ERR_clear_error();
    return InvalidArgumentError("trailing bytes after SubjectPublicKeyInfo");
  }
  VOUCH_RETURN_IF_ERROR(CheckSupportedKey(pkey.get()));
  return Adopt(pkey.release());
}

Result<PublicKey> PublicKey::FromPem(std::string_view pem) {
  if (pem.size() > INT_MAX) return InvalidArgumentError("PEM input too large");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return internal::OpenSslError(Code::kInternal, "BIO_new_mem_buf");
  EvpPkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) return internal::OpenSslError(Code::kInvalidArgument, "no PEM public key");
  VOUCH_RETURN_IF_ERROR(CheckSupportedKey(pkey.get()));
  return Adopt(pkey.release());
}

PublicKey PublicKey::Adopt(EVP_PKEY* pkey) {
  VOUCH_CHECK(pkey != nullptr);
  KeyType type = EVP_PKEY_is_a(pkey, "RSA") ? KeyType::kRsa : KeyType::kEc;
  return PublicKey(std::shared_ptr<EVP_PKEY>(pkey, EVP_PKEY_free), type);
}

KeyType PublicKey::type() const { return type_; }

int PublicKey::bits() const { return EVP_PKEY_get_bits(pkey_.get()); }

EcCurve PublicKey::curve() const {
  VOUCH_CHECK(type() == KeyType::kEc);
  const CurveInfo* info = InfoForGroup(GroupName(pkey_.get()));
  VOUCH_CHECK(info != nullptr);  // only supported curves get in (CheckSupportedKey)
  return info->curve;
}

Bytes PublicKey::ToSpkiDer() const {
  int len = i2d_PUBKEY(pkey_.get(), nullptr);
  VOUCH_CHECK(len > 0);
  Bytes out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  VOUCH_CHECK(i2d_PUBKEY(pkey_.get(), &p) == len);
  return out;
}

std::string PublicKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  VOUCH_CHECK(bio != nullptr);
  VOUCH_CHECK(PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<bool> PublicKey::Verify(SignatureScheme scheme, HashAlg hash, ByteView message,
                               ByteView signature) const {
  VOUCH_RETURN_IF_ERROR(CheckScheme(*this, scheme, hash));
  const EVP_MD* md = internal::EvpMd(hash);
  // One context per thread, reset between uses: allocating a fresh
  // EVP_MD_CTX per verification is a measurable share of an RSA verify.
  thread_local EvpMdCtxPtr tls_ctx(EVP_MD_CTX_new());
  EVP_MD_CTX* mctx = tls_ctx.get();
  if (mctx == nullptr || EVP_MD_CTX_reset(mctx) != 1) {
    return internal::OpenSslError(Code::kInternal, "verify context");
  }
  EVP_PKEY_CTX* pctx = nullptr;  // owned by mctx
  if (EVP_DigestVerifyInit(mctx, &pctx, md, nullptr, pkey_.get()) != 1 ||
      !ConfigurePadding(pctx, scheme, md)) {
    return internal::OpenSslError(Code::kInternal, "verify init");
  }
  int rc =
      EVP_DigestVerify(mctx, signature.data(), signature.size(), message.data(), message.size());
  // 0 is a bad signature; negative values are malformed signatures (bad DER,
  // wrong length), which are equally "does not verify".
  ERR_clear_error();
  return rc == 1;
}

Result<bool> PublicKey::VerifyDigest(SignatureScheme scheme, HashAlg hash, ByteView digest,
                                     ByteView signature) const {
  VOUCH_RETURN_IF_ERROR(CheckScheme(*this, scheme, hash));
  if (digest.size() != DigestSize(hash)) {
    return InvalidArgumentError("digest is " + std::to_string(digest.size()) + " bytes, " +
                                std::string(HashAlgName(hash)) + " needs " +
                                std::to_string(DigestSize(hash)));
  }
  const EVP_MD* md = internal::EvpMd(hash);
  EvpPkeyCtxPtr pctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_.get(), nullptr));
  if (!pctx || EVP_PKEY_verify_init(pctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(pctx.get(), md) != 1 ||
      !ConfigurePadding(pctx.get(), scheme, md)) {
    return internal::OpenSslError(Code::kInternal, "verify init");
  }
  int rc =
      EVP_PKEY_verify(pctx.get(), signature.data(), signature.size(), digest.data(), digest.size());
  ERR_clear_error();
  return rc == 1;
}

Result<Bytes> EcdsaRawToDer(ByteView r, ByteView s) {
  constexpr size_t kMax = 66;  // P-521
  if (r.empty() || s.empty() || r.size() > kMax || s.size() > kMax) {
    return InvalidArgumentError("ECDSA r/s must be 1.." + std::to_string(kMax) + " bytes, got " +
                                std::to_string(r.size()) + "/" + std::to_string(s.size()));
  }
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(ECDSA_SIG_new());
  BnPtr br(BN_bin2bn(r.data(), static_cast<int>(r.size()), nullptr));
  BnPtr bs(BN_bin2bn(s.data(), static_cast<int>(s.size()), nullptr));
  if (!sig || !br || !bs || ECDSA_SIG_set0(sig.get(), br.get(), bs.get()) != 1) {
    return internal::OpenSslError(Code::kInternal, "ECDSA_SIG");
  }
  (void)br.release();  // owned by sig now
  (void)bs.release();
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return internal::OpenSslError(Code::kInternal, "i2d_ECDSA_SIG");
  Bytes out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) {
    return internal::OpenSslError(Code::kInternal, "i2d_ECDSA_SIG");
  }
  return out;
}

}  // namespace vouch::crypto
