// X.509 certificates and chain verification (for TPM EK certificates).
//
// A CaStore holds trust anchors loaded from a directory of PEM or DER files
// (*.pem, *.crt, *.cer, *.der), such as swtpm's local CA or TPM vendors'
// roots. VerifyChain checks the leaf against the anchors with the given
// untrusted intermediates at time `at`. TPM EK certificates carry unusual
// critical extensions (SAN with TPM manufacturer attributes) and the EK
// certificate EKU (2.23.133.8.1); both are accepted. Thread-safe for const use.
#ifndef VOUCH_CORE_CRYPTO_X509_H_
#define VOUCH_CORE_CRYPTO_X509_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/crypto/public_key.h"

typedef struct x509_st X509;

namespace vouch::crypto {

class Certificate {
 public:
  // InvalidArgument when the bytes are not one certificate.
  static Result<Certificate> FromDer(ByteView der);
  static Result<Certificate> FromPem(std::string_view pem);
  // One certificate or several concatenated (PEM bundle).
  static Result<std::vector<Certificate>> AllFromPem(std::string_view pem);

  std::string Subject() const;  // RFC 2253 one-line form
  std::string Issuer() const;
  std::string SerialHex() const;
  std::chrono::system_clock::time_point NotBefore() const;
  std::chrono::system_clock::time_point NotAfter() const;
  Result<PublicKey> Key() const;
  Bytes ToDer() const;
  // SHA-256 over the DER encoding.
  Bytes FingerprintSha256() const;

  X509* native() const { return cert_.get(); }

 private:
  explicit Certificate(std::shared_ptr<X509> cert) : cert_(std::move(cert)) {}
  std::shared_ptr<X509> cert_;
};

class CaStore {
 public:
  // Loads every certificate file in `dir` (not recursive). NotFound when the
  // directory does not exist; InvalidArgument naming the file that does not
  // parse; FailedPrecondition when it holds no certificate.
  static Result<CaStore> LoadDirectory(const std::filesystem::path& dir);
  static CaStore FromCertificates(std::vector<Certificate> anchors);

  const std::vector<Certificate>& anchors() const { return anchors_; }

 private:
  std::vector<Certificate> anchors_;
};

// Verifies `leaf` up to an anchor of `store`, using `intermediates` as
// untrusted helpers, at time `at`. Every anchor is trusted as such, also a
// non-self-signed intermediate CA (OpenSSL's partial-chain mode). On the
// leaf, unprocessed critical extensions are accepted only when they are TPM
// EK ones (subjectDirectoryAttributes). OK when the chain verifies;
// PermissionDenied with OpenSSL's reason and the failing depth/subject
// otherwise ("certificate has expired at depth 0: CN=...").
Status VerifyChain(const Certificate& leaf, const std::vector<Certificate>& intermediates,
                   const CaStore& store, std::chrono::system_clock::time_point at);

}  // namespace vouch::crypto

#endif  // VOUCH_CORE_CRYPTO_X509_H_
