#include "core/crypto/x509.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <ctime>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <system_error>

#include "core/base/check.h"
#include "core/crypto/digest.h"
#include "core/crypto/internal/openssl_util.h"

namespace vouch::crypto {
namespace {

using internal::BioPtr;
using internal::BnPtr;
using internal::X509Ptr;

struct StoreDeleter {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct StackDeleter {
  // The stack does not own its certificates (they belong to Certificate).
  void operator()(STACK_OF(X509) * p) const { sk_X509_free(p); }
};

std::string NameToString(const X509_NAME* name) {
  if (name == nullptr) return "";
  BioPtr bio(BIO_new(BIO_s_mem()));
  VOUCH_CHECK(bio != nullptr);
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    ERR_clear_error();
    return "";
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// ASN1_TIME to system_clock, clamped to the representable range (libstdc++'s
// system_clock counts nanoseconds, so it ends in 2262; EK certificates often
// say 9999-12-31).
std::chrono::system_clock::time_point ToTimePoint(const ASN1_TIME* t) {
  using std::chrono::system_clock;
  struct tm tm = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    ERR_clear_error();
    return system_clock::time_point::min();
  }
  const int64_t secs = static_cast<int64_t>(timegm(&tm));
  constexpr int64_t kMax =
      std::chrono::duration_cast<std::chrono::seconds>(system_clock::duration::max()).count();
  constexpr int64_t kMin =
      std::chrono::duration_cast<std::chrono::seconds>(system_clock::duration::min()).count();
  if (secs >= kMax) return system_clock::time_point::max();
  if (secs <= kMin) return system_clock::time_point::min();
  return system_clock::time_point(
      std::chrono::duration_cast<system_clock::duration>(std::chrono::seconds(secs)));
}

// Critical extensions TPM EK certificates carry that OpenSSL does not process
// itself (TCG EK Credential Profile 2.0, section 3.2): subject directory
// attributes with the TPM specification and security assertions. Subject
// alternative name (TPM manufacturer, model, version as a directoryName) is
// handled by OpenSSL, listed for clarity.
constexpr const char* kTpmCriticalExtensions[] = {
    "2.5.29.9",   // subjectDirectoryAttributes
    "2.5.29.17",  // subjectAltName
};

bool IsAllowedTpmExtension(X509_EXTENSION* ext) {
  char oid[80];
  if (OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), /*no_name=*/1) <= 0) {
    return false;
  }
  return std::any_of(std::begin(kTpmCriticalExtensions), std::end(kTpmCriticalExtensions),
                     [&](const char* allowed) { return std::string_view(oid) == allowed; });
}

// Accepts "unhandled critical extension" on the leaf when every unhandled
// critical extension is a known TPM one; everything else keeps OpenSSL's
// verdict.
int VerifyCallback(int ok, X509_STORE_CTX* ctx) {
  if (ok != 0) return ok;
  if (X509_STORE_CTX_get_error(ctx) != X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION ||
      X509_STORE_CTX_get_error_depth(ctx) != 0) {
    return ok;
  }
  X509* cert = X509_STORE_CTX_get_current_cert(ctx);
  if (cert == nullptr) return ok;
  for (int i = 0; i < X509_get_ext_count(cert); ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    if (X509_EXTENSION_get_critical(ext) && !X509_supported_extension(ext) &&
        !IsAllowedTpmExtension(ext)) {
      return 0;
    }
  }
  X509_STORE_CTX_set_error(ctx, X509_V_OK);
  return 1;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

Result<Certificate> Certificate::FromDer(ByteView der) {
  if (der.size() > static_cast<size_t>(LONG_MAX)) return InvalidArgumentError("DER too large");
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return internal::OpenSslError(Code::kInvalidArgument, "not a DER certificate");
  if (p != der.data() + der.size()) {
    return InvalidArgumentError("trailing bytes after DER certificate");
  }
  return Certificate(std::shared_ptr<X509>(cert.release(), X509_free));
}

Result<Certificate> Certificate::FromPem(std::string_view pem) {
  VOUCH_ASSIGN_OR_RETURN(std::vector<Certificate> certs, AllFromPem(pem));
  if (certs.size() != 1) {
    return InvalidArgumentError("expected one PEM certificate, found " +
                                std::to_string(certs.size()));
  }
  return std::move(certs.front());
}

Result<std::vector<Certificate>> Certificate::AllFromPem(std::string_view pem) {
  if (pem.size() > INT_MAX) return InvalidArgumentError("PEM input too large");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return internal::OpenSslError(Code::kInternal, "BIO_new_mem_buf");
  std::vector<Certificate> certs;
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      unsigned long err = ERR_peek_last_error();
      // Running out of input is the normal end of the bundle.
      if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        break;
      }
      return internal::OpenSslError(Code::kInvalidArgument,
                                    "PEM certificate " + std::to_string(certs.size() + 1));
    }
    certs.push_back(Certificate(std::shared_ptr<X509>(cert.release(), X509_free)));
  }
  if (certs.empty()) return InvalidArgumentError("no PEM certificate found");
  return certs;
}

std::string Certificate::Subject() const { return NameToString(X509_get_subject_name(native())); }

std::string Certificate::Issuer() const { return NameToString(X509_get_issuer_name(native())); }

std::string Certificate::SerialHex() const {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(native());
  BnPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  VOUCH_CHECK(bn != nullptr);
  Bytes bytes(static_cast<size_t>(BN_num_bytes(bn.get())));
  BN_bn2bin(bn.get(), bytes.data());
  std::string hex = bytes.empty() ? "00" : HexEncode(bytes);
  return BN_is_negative(bn.get()) ? "-" + hex : hex;
}

std::chrono::system_clock::time_point Certificate::NotBefore() const {
  return ToTimePoint(X509_get0_notBefore(native()));
}

std::chrono::system_clock::time_point Certificate::NotAfter() const {
  return ToTimePoint(X509_get0_notAfter(native()));
}

Result<PublicKey> Certificate::Key() const {
  X509_PUBKEY* spki = X509_get_X509_PUBKEY(native());
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(spki, &der);
  if (len <= 0) return internal::OpenSslError(Code::kInvalidArgument, "certificate public key");
  Bytes bytes(der, der + len);
  OPENSSL_free(der);
  return PublicKey::FromSpkiDer(bytes);
}

Bytes Certificate::ToDer() const {
  int len = i2d_X509(native(), nullptr);
  VOUCH_CHECK(len > 0);
  Bytes out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  VOUCH_CHECK(i2d_X509(native(), &p) == len);
  return out;
}

Bytes Certificate::FingerprintSha256() const {
  Result<Bytes> d = Digest(HashAlg::kSha256, ToDer());
  VOUCH_CHECK(d.has_value());
  return *std::move(d);
}

Result<CaStore> CaStore::LoadDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return NotFoundError("CA directory " + dir.string() + " does not exist");
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string ext = Lower(entry.path().extension().string());
    if (entry.is_regular_file(ec) &&
        (ext == ".pem" || ext == ".crt" || ext == ".cer" || ext == ".der")) {
      files.push_back(entry.path());
    }
  }
  if (ec) return UnavailableError("listing " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());  // deterministic order

  CaStore store;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad() || !in.is_open()) return UnavailableError("cannot read " + file.string());
    // .crt/.cer files come in either encoding; PEM is recognised by its armour.
    if (content.find("-----BEGIN") != std::string::npos) {
      VOUCH_ASSIGN_OR_RETURN_CTX(std::vector<Certificate> certs, Certificate::AllFromPem(content),
                                 file.string());
      for (auto& c : certs) store.anchors_.push_back(std::move(c));
    } else {
      VOUCH_ASSIGN_OR_RETURN_CTX(Certificate cert, Certificate::FromDer(AsBytes(content)),
                                 file.string());
      store.anchors_.push_back(std::move(cert));
    }
  }
  if (store.anchors_.empty()) {
    return FailedPreconditionError("no certificates in " + dir.string());
  }
  return store;
}

CaStore CaStore::FromCertificates(std::vector<Certificate> anchors) {
  CaStore store;
  store.anchors_ = std::move(anchors);
  return store;
}

Status VerifyChain(const Certificate& leaf, const std::vector<Certificate>& intermediates,
                   const CaStore& store, std::chrono::system_clock::time_point at) {
  std::unique_ptr<X509_STORE, StoreDeleter> x509_store(X509_STORE_new());
  std::unique_ptr<STACK_OF(X509), StackDeleter> untrusted(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  if (!x509_store || !untrusted || !ctx) {
    return internal::OpenSslError(Code::kInternal, "X509_STORE");
  }
  for (const Certificate& anchor : store.anchors()) {
    // Adding the same certificate twice is harmless (OpenSSL ignores it).
    if (X509_STORE_add_cert(x509_store.get(), anchor.native()) != 1) {
      return internal::OpenSslError(Code::kInternal, "X509_STORE_add_cert");
    }
  }
  for (const Certificate& cert : intermediates) {
    if (sk_X509_push(untrusted.get(), cert.native()) <= 0) {
      return internal::OpenSslError(Code::kInternal, "sk_X509_push");
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), x509_store.get(), leaf.native(), untrusted.get()) != 1) {
    return internal::OpenSslError(Code::kInternal, "X509_STORE_CTX_init");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  // Sets X509_V_FLAG_USE_CHECK_TIME: validity is judged at `at`, not "now".
  X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(at));
  // Every configured anchor is trusted as such, also an intermediate CA whose
  // root is not in the store (vendors publish both kinds).
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_STORE_CTX_set_verify_cb(ctx.get(), VerifyCallback);

  int rc = X509_verify_cert(ctx.get());
  if (rc == 1) {
    ERR_clear_error();
    return Status::Ok();
  }
  int err = X509_STORE_CTX_get_error(ctx.get());
  int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  X509* failing = X509_STORE_CTX_get_current_cert(ctx.get());
  std::string subject =
      failing != nullptr ? NameToString(X509_get_subject_name(failing)) : leaf.Subject();
  ERR_clear_error();
  if (err == X509_V_OK) {
    return PermissionDeniedError("certificate chain does not verify");
  }
  return PermissionDeniedError(std::string(X509_verify_cert_error_string(err)) + " at depth " +
                               std::to_string(depth) + ": " + subject);
}

}  // namespace vouch::crypto
