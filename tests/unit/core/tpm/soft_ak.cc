#include "tests/unit/core/tpm/soft_ak.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace vouch::tpm::testing {
namespace {

void Die(const char* what) {
  std::fprintf(stderr, "soft_ak: %s\n", what);
  std::abort();
}

const EVP_MD* Md(HashAlg hash) {
  switch (hash) {
    case HashAlg::kSha1: return EVP_sha1();
    case HashAlg::kSha256: return EVP_sha256();
    case HashAlg::kSha384: return EVP_sha384();
    case HashAlg::kSha512: return EVP_sha512();
    default: Die("unsupported hash");
  }
  return nullptr;
}

Bytes BnParam(EVP_PKEY* pkey, const char* name, size_t pad) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) Die("get bn param");
  Bytes out(pad);
  if (BN_bn2binpad(bn, out.data(), static_cast<int>(pad)) < 0) Die("bn2binpad");
  BN_free(bn);
  return out;
}

size_t FieldBytes(AkKind kind) { return kind == AkKind::kEcdsaP384 ? 48 : 32; }

template <typename T>
void CopyTo(T& tpm2b, ByteView data) {
  if (data.size() > sizeof(tpm2b.buffer)) Die("tpm2b overflow");
  tpm2b.size = static_cast<UINT16>(data.size());
  std::memcpy(tpm2b.buffer, data.data(), data.size());
}

void CopyTo(TPM2B_NAME& name, ByteView data) {
  if (data.size() > sizeof(name.name)) Die("name overflow");
  name.size = static_cast<UINT16>(data.size());
  std::memcpy(name.name, data.data(), data.size());
}

}  // namespace

SoftAk SoftAk::Generate(AkKind kind) {
  bool ecc = kind == AkKind::kEcdsaP256 || kind == AkKind::kEcdsaP384;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, ecc ? "EC" : "RSA", nullptr);
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) != 1) Die("keygen init");
  if (ecc) {
    EVP_PKEY_CTX_set_group_name(ctx, kind == AkKind::kEcdsaP384 ? "P-384" : "P-256");
  } else {
    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048);
  }
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_generate(ctx, &pkey) != 1) Die("keygen");
  EVP_PKEY_CTX_free(ctx);
  HashAlg hash = kind == AkKind::kEcdsaP384 ? HashAlg::kSha384 : HashAlg::kSha256;
  return SoftAk(kind, std::shared_ptr<EVP_PKEY>(pkey, EVP_PKEY_free), hash);
}

const SoftAk& SoftAk::Get(AkKind kind) {
  static std::mutex mu;
  static std::map<AkKind, SoftAk>* keys = new std::map<AkKind, SoftAk>();
  std::lock_guard<std::mutex> lock(mu);
  auto it = keys->find(kind);
  if (it == keys->end()) it = keys->emplace(kind, Generate(kind)).first;
  return it->second;
}

SigAlg SoftAk::DefaultAlg() const {
  switch (kind_) {
    case AkKind::kRsaSsa: return SigAlg::kRsaSsa;
    case AkKind::kRsaPss: return SigAlg::kRsaPss;
    default: return SigAlg::kEcdsa;
  }
}

TPMT_PUBLIC SoftAk::Template() const {
  TPMT_PUBLIC area{};
  area.nameAlg = TPM2_ALG_SHA256;
  area.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
                          TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                          TPMA_OBJECT_USERWITHAUTH;
  auto hash_id = static_cast<TPMI_ALG_HASH>(hash_);
  if (kind_ == AkKind::kEcdsaP256 || kind_ == AkKind::kEcdsaP384) {
    size_t n = FieldBytes(kind_);
    area.type = TPM2_ALG_ECC;
    TPMS_ECC_PARMS& p = area.parameters.eccDetail;
    p.symmetric.algorithm = TPM2_ALG_NULL;
    p.scheme.scheme = TPM2_ALG_ECDSA;
    p.scheme.details.ecdsa.hashAlg = hash_id;
    p.curveID = kind_ == AkKind::kEcdsaP384 ? TPM2_ECC_NIST_P384 : TPM2_ECC_NIST_P256;
    p.kdf.scheme = TPM2_ALG_NULL;
    CopyTo(area.unique.ecc.x, BnParam(pkey(), OSSL_PKEY_PARAM_EC_PUB_X, n));
    CopyTo(area.unique.ecc.y, BnParam(pkey(), OSSL_PKEY_PARAM_EC_PUB_Y, n));
  } else {
    area.type = TPM2_ALG_RSA;
    TPMS_RSA_PARMS& p = area.parameters.rsaDetail;
    p.symmetric.algorithm = TPM2_ALG_NULL;
    p.scheme.scheme = kind_ == AkKind::kRsaPss ? TPM2_ALG_RSAPSS : TPM2_ALG_RSASSA;
    p.scheme.details.rsassa.hashAlg = hash_id;
    p.keyBits = 2048;
    p.exponent = 0;
    CopyTo(area.unique.rsa, BnParam(pkey(), OSSL_PKEY_PARAM_RSA_N, 256));
  }
  return area;
}

Bytes SoftAk::SignWith(SigAlg alg, HashAlg hash, ByteView message) const {
  EVP_MD_CTX* mctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(mctx, &pctx, Md(hash), nullptr, pkey()) != 1) Die("sign init");
  if (alg == SigAlg::kRsaPss) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t len = 0;
  if (EVP_DigestSign(mctx, nullptr, &len, message.data(), message.size()) != 1) Die("sign len");
  Bytes der(len);
  if (EVP_DigestSign(mctx, der.data(), &len, message.data(), message.size()) != 1) Die("sign");
  der.resize(len);
  EVP_MD_CTX_free(mctx);

  TPMT_SIGNATURE sig{};
  auto hash_id = static_cast<TPMI_ALG_HASH>(hash);
  switch (alg) {
    case SigAlg::kRsaSsa:
    case SigAlg::kRsaPss:
      sig.sigAlg = alg == SigAlg::kRsaSsa ? TPM2_ALG_RSASSA : TPM2_ALG_RSAPSS;
      sig.signature.rsassa.hash = hash_id;
      CopyTo(sig.signature.rsassa.sig, der);
      break;
    case SigAlg::kEcdsa: {
      sig.sigAlg = TPM2_ALG_ECDSA;
      sig.signature.ecdsa.hash = hash_id;
      const unsigned char* p = der.data();
      ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
      if (es == nullptr) Die("d2i_ECDSA_SIG");
      size_t n = FieldBytes(kind_);
      Bytes r(n), s(n);
      BN_bn2binpad(ECDSA_SIG_get0_r(es), r.data(), static_cast<int>(n));
      BN_bn2binpad(ECDSA_SIG_get0_s(es), s.data(), static_cast<int>(n));
      ECDSA_SIG_free(es);
      CopyTo(sig.signature.ecdsa.signatureR, r);
      CopyTo(sig.signature.ecdsa.signatureS, s);
      break;
    }
  }
  return MarshalSignature(sig);
}

Bytes MarshalTpm2bPublic(const TPMT_PUBLIC& area) {
  TPM2B_PUBLIC pub{};
  pub.publicArea = area;
  uint8_t buf[sizeof(TPM2B_PUBLIC)];
  size_t off = 0;
  if (Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, buf, sizeof(buf), &off) != 0) Die("marshal public");
  return Bytes(buf, buf + off);
}

Bytes MarshalTpmtPublic(const TPMT_PUBLIC& area) {
  uint8_t buf[sizeof(TPMT_PUBLIC)];
  size_t off = 0;
  if (Tss2_MU_TPMT_PUBLIC_Marshal(&area, buf, sizeof(buf), &off) != 0) Die("marshal tpmt");
  return Bytes(buf, buf + off);
}

Bytes MarshalAttest(const TPMS_ATTEST& attest) {
  uint8_t buf[sizeof(TPMS_ATTEST)];
  size_t off = 0;
  if (Tss2_MU_TPMS_ATTEST_Marshal(&attest, buf, sizeof(buf), &off) != 0) Die("marshal attest");
  return Bytes(buf, buf + off);
}

Bytes MarshalSignature(const TPMT_SIGNATURE& signature) {
  uint8_t buf[sizeof(TPMT_SIGNATURE)];
  size_t off = 0;
  if (Tss2_MU_TPMT_SIGNATURE_Marshal(&signature, buf, sizeof(buf), &off) != 0) Die("marshal sig");
  return Bytes(buf, buf + off);
}

TPML_PCR_SELECTION ToTpml(const std::vector<PcrSelection>& selection) {
  TPML_PCR_SELECTION out{};
  if (selection.size() > TPM2_NUM_PCR_BANKS) Die("too many banks");
  out.count = static_cast<UINT32>(selection.size());
  for (size_t i = 0; i < selection.size(); ++i) {
    TPMS_PCR_SELECTION& s = out.pcrSelections[i];
    s.hash = static_cast<TPMI_ALG_HASH>(selection[i].bank);
    s.sizeofSelect = 3;
    for (uint32_t pcr : selection[i].pcrs) s.pcrSelect[pcr / 8] |= uint8_t(1u << (pcr % 8));
  }
  return out;
}

TPMS_ATTEST QuoteAttest(ByteView nonce, const std::vector<PcrSelection>& selection,
                        ByteView pcr_digest) {
  TPMS_ATTEST at{};
  at.magic = TPM2_GENERATED_VALUE;
  at.type = TPM2_ST_ATTEST_QUOTE;
  // An alg-prefixed name, as a TPM puts there.
  Bytes signer(34, 0x5a);
  signer[0] = 0x00;
  signer[1] = 0x0b;
  CopyTo(at.qualifiedSigner, signer);
  CopyTo(at.extraData, nonce);
  at.clockInfo.clock = 0x0000000123456789ull;
  at.clockInfo.resetCount = 7;
  at.clockInfo.restartCount = 3;
  at.clockInfo.safe = 1;
  at.firmwareVersion = 0x2019102300163636ull;
  at.attested.quote.pcrSelect = ToTpml(selection);
  CopyTo(at.attested.quote.pcrDigest, pcr_digest);
  return at;
}

PcrValues MakePcrValues(const std::vector<PcrSelection>& selection, uint8_t seed) {
  PcrValues values;
  for (const PcrSelection& s : selection) {
    for (uint32_t pcr : s.pcrs) {
      Bytes v(DigestSize(s.bank));
      for (size_t i = 0; i < v.size(); ++i) {
        v[i] = static_cast<uint8_t>(seed * 31 + pcr * 7 + i + static_cast<uint16_t>(s.bank));
      }
      if (!values.Set(s.bank, pcr, std::move(v)).ok()) Die("set pcr");
    }
  }
  return values;
}

Bytes OpenSslDigest(HashAlg hash, ByteView data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, Md(hash), nullptr) != 1) {
    Die("digest");
  }
  out.resize(len);
  return out;
}

Bytes ReferencePcrDigest(HashAlg hash, const std::vector<PcrSelection>& selection,
                         const PcrValues& values) {
  Bytes concat;
  for (const PcrSelection& s : selection) {
    for (uint32_t pcr : s.pcrs) {
      const Bytes* v = values.Get(s.bank, pcr);
      if (v == nullptr) Die("missing value");
      concat.insert(concat.end(), v->begin(), v->end());
    }
  }
  return OpenSslDigest(hash, concat);
}

std::vector<PcrSelection> AllPcrsSha1Sha256() {
  std::vector<uint32_t> all;
  for (uint32_t i = 0; i < kNumPcrs; ++i) all.push_back(i);
  return {PcrSelection{HashAlg::kSha1, all}, PcrSelection{HashAlg::kSha256, all}};
}

}  // namespace vouch::tpm::testing
