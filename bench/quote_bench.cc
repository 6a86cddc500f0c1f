// Quote verification rate vs. raw OpenSSL signature verification.
//
// For an RSA-2048 (RSASSA-SHA256) and an ECC P-256 (ECDSA-SHA256) attestation
// key, builds a TPM-format quote over 48 PCRs (sha1 + sha256 banks, PCRs
// 0-23) in process — TPMT_PUBLIC, TPMS_ATTEST and TPMT_SIGNATURE marshaled
// with libtss2-mu, signed with OpenSSL — then measures:
//   subject:  vouch::tpm::VerifyQuote (decode attest + signature, magic,
//             type, scheme, signature, nonce, selection, PCR digest)
//   baseline: EVP_DigestVerify of the same signature over the same bytes
//             with the same key (the floor any verifier pays)
// and prints rate ratios (baseline time / subject time; target >= 0.80).
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/ratio.h"
#include "core/tpm/quote.h"

namespace {

using vouch::Bytes;

void Die(const char* what) {
  std::fprintf(stderr, "quote_bench: %s\n", what);
  std::exit(2);
}

Bytes BnParam(EVP_PKEY* pkey, const char* name, size_t pad) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) Die("get bn param");
  Bytes out(pad);
  BN_bn2binpad(bn, out.data(), static_cast<int>(pad));
  BN_free(bn);
  return out;
}

struct Setup {
  EVP_PKEY* pkey = nullptr;
  Bytes ak_public;  // TPM2B_PUBLIC
  Bytes attest;
  Bytes tpm_signature;  // TPMT_SIGNATURE
  Bytes der_signature;  // what OpenSSL verifies
  Bytes nonce;
  vouch::tpm::PcrValues pcrs;
};

Setup Make(bool ecc) {
  Setup s;
  EVP_PKEY_CTX* kctx = EVP_PKEY_CTX_new_from_name(nullptr, ecc ? "EC" : "RSA", nullptr);
  if (EVP_PKEY_keygen_init(kctx) != 1) Die("keygen init");
  if (ecc) {
    EVP_PKEY_CTX_set_group_name(kctx, "P-256");
  } else {
    EVP_PKEY_CTX_set_rsa_keygen_bits(kctx, 2048);
  }
  if (EVP_PKEY_generate(kctx, &s.pkey) != 1) Die("keygen");
  EVP_PKEY_CTX_free(kctx);

  TPM2B_PUBLIC pub{};
  TPMT_PUBLIC& area = pub.publicArea;
  area.nameAlg = TPM2_ALG_SHA256;
  area.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
                          TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                          TPMA_OBJECT_USERWITHAUTH;
  if (ecc) {
    area.type = TPM2_ALG_ECC;
    area.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    area.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    area.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    area.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    area.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    Bytes x = BnParam(s.pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32);
    Bytes y = BnParam(s.pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
    area.unique.ecc.x.size = 32;
    std::memcpy(area.unique.ecc.x.buffer, x.data(), 32);
    area.unique.ecc.y.size = 32;
    std::memcpy(area.unique.ecc.y.buffer, y.data(), 32);
  } else {
    area.type = TPM2_ALG_RSA;
    area.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
    area.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
    area.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
    area.parameters.rsaDetail.keyBits = 2048;
    area.parameters.rsaDetail.exponent = 0;
    Bytes n = BnParam(s.pkey, OSSL_PKEY_PARAM_RSA_N, 256);
    area.unique.rsa.size = 256;
    std::memcpy(area.unique.rsa.buffer, n.data(), 256);
  }
  uint8_t buf[4096];
  size_t off = 0;
  if (Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, buf, sizeof(buf), &off) != 0) Die("marshal public");
  s.ak_public.assign(buf, buf + off);

  // Claimed PCR values and their digest (sha256 over sha1 bank then sha256).
  Bytes concat;
  for (vouch::HashAlg bank : {vouch::HashAlg::kSha1, vouch::HashAlg::kSha256}) {
    for (uint32_t i = 0; i < 24; ++i) {
      Bytes v(vouch::DigestSize(bank));
      RAND_bytes(v.data(), static_cast<int>(v.size()));
      concat.insert(concat.end(), v.begin(), v.end());
      (void)s.pcrs.Set(bank, i, v);
    }
  }
  unsigned char pcr_digest[32];
  unsigned int len = 0;
  EVP_Digest(concat.data(), concat.size(), pcr_digest, &len, EVP_sha256(), nullptr);

  s.nonce.resize(32);
  RAND_bytes(s.nonce.data(), 32);
  TPMS_ATTEST at{};
  at.magic = TPM2_GENERATED_VALUE;
  at.type = TPM2_ST_ATTEST_QUOTE;
  at.extraData.size = 32;
  std::memcpy(at.extraData.buffer, s.nonce.data(), 32);
  at.clockInfo.clock = 123456;
  at.clockInfo.resetCount = 2;
  at.clockInfo.restartCount = 1;
  at.clockInfo.safe = 1;
  at.firmwareVersion = 0x2019102300000000ull;
  TPML_PCR_SELECTION& sel = at.attested.quote.pcrSelect;
  sel.count = 2;
  sel.pcrSelections[0].hash = TPM2_ALG_SHA1;
  sel.pcrSelections[1].hash = TPM2_ALG_SHA256;
  for (int b = 0; b < 2; ++b) {
    sel.pcrSelections[b].sizeofSelect = 3;
    std::memset(sel.pcrSelections[b].pcrSelect, 0xff, 3);
  }
  at.attested.quote.pcrDigest.size = 32;
  std::memcpy(at.attested.quote.pcrDigest.buffer, pcr_digest, 32);
  off = 0;
  if (Tss2_MU_TPMS_ATTEST_Marshal(&at, buf, sizeof(buf), &off) != 0) Die("marshal attest");
  s.attest.assign(buf, buf + off);

  EVP_MD_CTX* mctx = EVP_MD_CTX_new();
  size_t siglen = 0;
  EVP_DigestSignInit(mctx, nullptr, EVP_sha256(), nullptr, s.pkey);
  EVP_DigestSign(mctx, nullptr, &siglen, s.attest.data(), s.attest.size());
  s.der_signature.resize(siglen);
  if (EVP_DigestSign(mctx, s.der_signature.data(), &siglen, s.attest.data(), s.attest.size()) !=
      1) {
    Die("sign");
  }
  s.der_signature.resize(siglen);
  EVP_MD_CTX_free(mctx);

  TPMT_SIGNATURE sig{};
  if (ecc) {
    sig.sigAlg = TPM2_ALG_ECDSA;
    sig.signature.ecdsa.hash = TPM2_ALG_SHA256;
    const unsigned char* p = s.der_signature.data();
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(s.der_signature.size()));
    const BIGNUM* r = nullptr;
    const BIGNUM* ss = nullptr;
    ECDSA_SIG_get0(es, &r, &ss);
    sig.signature.ecdsa.signatureR.size = 32;
    BN_bn2binpad(r, sig.signature.ecdsa.signatureR.buffer, 32);
    sig.signature.ecdsa.signatureS.size = 32;
    BN_bn2binpad(ss, sig.signature.ecdsa.signatureS.buffer, 32);
    ECDSA_SIG_free(es);
  } else {
    sig.sigAlg = TPM2_ALG_RSASSA;
    sig.signature.rsassa.hash = TPM2_ALG_SHA256;
    sig.signature.rsassa.sig.size = static_cast<UINT16>(s.der_signature.size());
    std::memcpy(sig.signature.rsassa.sig.buffer, s.der_signature.data(), s.der_signature.size());
  }
  off = 0;
  if (Tss2_MU_TPMT_SIGNATURE_Marshal(&sig, buf, sizeof(buf), &off) != 0) Die("marshal sig");
  s.tpm_signature.assign(buf, buf + off);
  return s;
}

}  // namespace

int main() {
  std::printf("Quote verification rate vs raw OpenSSL EVP_DigestVerify (same key, same bytes)\n");
  std::printf("%-28s %14s %14s %12s\n", "AK", "openssl_us", "vouch_us", "rate_ratio");
  bool all_met = true;
  for (bool ecc : {false, true}) {
    Setup s = Make(ecc);
    auto ak = vouch::tpm::TpmPublic::DecodeTpm2b(s.ak_public);
    if (!ak.has_value()) Die(ak.error().ToString().c_str());
    vouch::tpm::QuoteEvidence ev{s.attest, s.tpm_signature, s.pcrs};
    auto check = vouch::tpm::VerifyQuote(*ak, ev, s.nonce);
    if (!check.has_value() || !check->verified.has_value()) Die("quote does not verify");

    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    auto baseline = [&] {
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, s.pkey);
      if (EVP_DigestVerify(ctx, s.der_signature.data(), s.der_signature.size(), s.attest.data(),
                           s.attest.size()) != 1) {
        Die("baseline verify");
      }
    };
    auto subject = [&] {
      auto r = vouch::tpm::VerifyQuote(*ak, ev, s.nonce);
      if (!r.has_value() || !r->verified.has_value()) Die("subject verify");
    };
    vouch::bench::RatioResult r = vouch::bench::MeasureRatio(baseline, subject, 15, 60);
    double rate_ratio = 1.0 / r.ratio;
    all_met = all_met && rate_ratio >= 0.8;
    std::printf("%-28s %14.2f %14.2f %12.2f\n",
                ecc ? "ECC P-256 ECDSA-SHA256" : "RSA-2048 RSASSA-SHA256", r.baseline_ns / 1000,
                r.subject_ns / 1000, rate_ratio);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(s.pkey);
  }
  std::printf("target rate ratio >= 0.80: %s\n", all_met ? "met" : "NOT met");
  return 0;
}
