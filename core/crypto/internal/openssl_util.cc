#include "core/crypto/internal/openssl_util.h"

#include <openssl/err.h>

#include <array>
#include <string>

namespace vouch::crypto::internal {
namespace {

// Index into the fetched table; -1 for unsupported algorithms.
int MdIndex(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1: return 0;
    case HashAlg::kSha256: return 1;
    case HashAlg::kSha384: return 2;
    case HashAlg::kSha512: return 3;
    case HashAlg::kSm3_256: return -1;
  }
  return -1;
}

constexpr std::array<const char*, 4> kMdNames = {"SHA1", "SHA256", "SHA384", "SHA512"};

struct MdTable {
  // EVP_MD_fetch is expensive in OpenSSL 3 (a provider lookup under a lock),
  // so each method is fetched once. The references are intentionally never
  // released: they live until process exit.
  MdTable() {
    for (size_t i = 0; i < kMdNames.size(); ++i) {
      mds[i] = EVP_MD_fetch(nullptr, kMdNames[i], nullptr);
    }
    ERR_clear_error();
  }
  std::array<EVP_MD*, 4> mds{};
};

}  // namespace

const EVP_MD* EvpMd(HashAlg alg) {
  static const MdTable* const table = new MdTable();  // thread-safe init
  int i = MdIndex(alg);
  return i < 0 ? nullptr : table->mds[static_cast<size_t>(i)];
}

const char* EvpMdName(HashAlg alg) {
  int i = MdIndex(alg);
  return i < 0 ? nullptr : kMdNames[static_cast<size_t>(i)];
}

Status CheckDigestSupported(HashAlg alg) {
  if (EvpMd(alg) == nullptr) {
    return InvalidArgumentError("unsupported hash algorithm " + std::string(HashAlgName(alg)));
  }
  return Status::Ok();
}

std::string DrainErrors() {
  std::string out;
  unsigned long err;
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

Status OpenSslError(Code code, std::string_view what) {
  std::string errors = DrainErrors();
  std::string message(what);
  if (!errors.empty()) message += ": " + errors;
  return Status(code, std::move(message));
}

}  // namespace vouch::crypto::internal
