#include "core/crypto/digest.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <array>
#include <initializer_list>
#include <string>

#include "core/base/check.h"
#include "core/crypto/internal/openssl_util.h"

namespace vouch::crypto {
namespace {

using internal::EvpMdCtxPtr;

// One EVP_MD_CTX per algorithm per thread, reused by Digest and ExtendPcr:
// replay hashes every event, and allocating a context per call would cost as
// much as hashing a small event. Re-initialising with the same EVP_MD keeps
// the provider context cheap.
EVP_MD_CTX* ThreadCtx(HashAlg alg) {
  thread_local std::array<EvpMdCtxPtr, 4> ctxs;
  size_t i = 0;
  switch (alg) {
    case HashAlg::kSha1: i = 0; break;
    case HashAlg::kSha256: i = 1; break;
    case HashAlg::kSha384: i = 2; break;
    case HashAlg::kSha512: i = 3; break;
    case HashAlg::kSm3_256: return nullptr;
  }
  if (!ctxs[i]) {
    ctxs[i].reset(EVP_MD_CTX_new());
    VOUCH_CHECK(ctxs[i] != nullptr);
  }
  return ctxs[i].get();
}

// Digest of the concatenation of `parts` into `out` (DigestSize(alg) bytes).
// `alg` must be supported. Failures here mean OpenSSL itself is broken (out of
// memory, provider unloaded), which no input can cause.
void DigestPartsInto(HashAlg alg, std::initializer_list<ByteView> parts, uint8_t* out) {
  EVP_MD_CTX* ctx = ThreadCtx(alg);
  VOUCH_CHECK(EVP_DigestInit_ex2(ctx, internal::EvpMd(alg), nullptr) == 1);
  for (ByteView part : parts) {
    VOUCH_CHECK(EVP_DigestUpdate(ctx, part.data(), part.size()) == 1);
  }
  unsigned int len = 0;
  VOUCH_CHECK(EVP_DigestFinal_ex(ctx, out, &len) == 1);
  VOUCH_CHECK(len == DigestSize(alg));
}

}  // namespace

bool IsDigestSupported(HashAlg alg) { return internal::EvpMd(alg) != nullptr; }

Result<Bytes> Digest(HashAlg alg, ByteView data) {
  VOUCH_RETURN_IF_ERROR(internal::CheckDigestSupported(alg));
  Bytes out(DigestSize(alg));
  DigestPartsInto(alg, {data}, out.data());
  return out;
}

struct Hasher::Impl {
  EvpMdCtxPtr ctx;
};

Hasher::Hasher(HashAlg alg, std::unique_ptr<Impl> impl) : alg_(alg), impl_(std::move(impl)) {}
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;
Hasher::~Hasher() = default;

Result<Hasher> Hasher::Create(HashAlg alg) {
  VOUCH_RETURN_IF_ERROR(internal::CheckDigestSupported(alg));
  auto impl = std::make_unique<Impl>();
  impl->ctx.reset(EVP_MD_CTX_new());
  if (!impl->ctx || EVP_DigestInit_ex2(impl->ctx.get(), internal::EvpMd(alg), nullptr) != 1) {
    return internal::OpenSslError(Code::kInternal, "digest init");
  }
  return Hasher(alg, std::move(impl));
}

void Hasher::Update(ByteView data) {
  VOUCH_CHECK(impl_ != nullptr);  // not moved-from
  VOUCH_CHECK(EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size()) == 1);
}

Bytes Hasher::Final() {
  Bytes out(DigestSize(alg_));
  FinalInto(out);
  return out;
}

void Hasher::FinalInto(std::span<uint8_t> out) {
  VOUCH_CHECK(impl_ != nullptr);
  VOUCH_CHECK(out.size() == DigestSize(alg_));
  unsigned int len = 0;
  // Fails (and we abort) when called twice without Reset: a caller bug.
  VOUCH_CHECK(EVP_DigestFinal_ex(impl_->ctx.get(), out.data(), &len) == 1);
  VOUCH_CHECK(len == out.size());
}

void Hasher::Reset() {
  VOUCH_CHECK(impl_ != nullptr);
  VOUCH_CHECK(EVP_DigestInit_ex2(impl_->ctx.get(), internal::EvpMd(alg_), nullptr) == 1);
}

// TPM 2.0 Part 1, section 17.2 (PCR extend): PCR_new := H_alg(PCR_old || digest).
Status ExtendPcr(HashAlg alg, std::span<uint8_t> pcr, ByteView digest) {
  VOUCH_RETURN_IF_ERROR(internal::CheckDigestSupported(alg));
  const size_t size = DigestSize(alg);
  if (pcr.size() != size || digest.size() != size) {
    return InvalidArgumentError("extend " + std::string(HashAlgName(alg)) + ": PCR is " +
                                std::to_string(pcr.size()) + " bytes, digest " +
                                std::to_string(digest.size()) + ", want " + std::to_string(size));
  }
  // The old value is consumed by the first Update before Final overwrites it.
  DigestPartsInto(alg, {ByteView(pcr), digest}, pcr.data());
  return Status::Ok();
}

}  // namespace vouch::crypto
