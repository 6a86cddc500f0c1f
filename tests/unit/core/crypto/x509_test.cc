#include "core/crypto/x509.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/crypto/digest.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/core/crypto/test_keys.h"

namespace vouch::crypto {
namespace {

using testing::CaExtensions;
using testing::CertSpec;
using testing::EcKey;
using testing::EkConfig;
using testing::EkExtensions;
using ::testing::HasSubstr;
using testing::MakeCert;
using testing::Rsa2048;
using ::testing::SizeIs;
using ::vouch::testing::StatusIs;
using Clock = std::chrono::system_clock;

constexpr time_t k2024 = 1704067200;     // 2024-01-01T00:00:00Z
constexpr time_t k2025 = 1735689600;     // 2025-01-01T00:00:00Z
constexpr time_t k2034 = 2019686400;     // 2034-01-01T00:00:00Z
constexpr time_t kMid2025 = 1748736000;  // 2025-06-01T00:00:00Z
const Clock::time_point kAt = Clock::from_time_t(kMid2025);

std::string ToPem(const Certificate& cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert.native());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  return pem;
}

// A root CA, an intermediate CA under it, and EK-like leaves, all generated
// in-process (EC P-256 CA keys, RSA-2048 EK key as in the TCG default).
class X509Test : public ::testing::Test {
 protected:
  X509Test()
      : root_(MakeCert({"Vouch Test Root", 1, k2024, k2034, CaExtensions(), ""}, EcKey("P-256"),
                       nullptr, EcKey("P-256"))),
        inter_(MakeCert({"Vouch Test Issuer", 2, k2024, k2034, CaExtensions(), ""}, EcKey("P-384"),
                        &root_, EcKey("P-256"))) {}

  Certificate Leaf(time_t not_before, time_t not_after,
                   std::vector<std::pair<std::string, std::string>> extra = {}) {
    auto ext = EkExtensions();
    ext.insert(ext.end(), extra.begin(), extra.end());
    return MakeCert({"", 0x1234, not_before, not_after, ext, EkConfig()}, Rsa2048(), &inter_,
                    EcKey("P-384"));
  }

  Certificate root_;
  Certificate inter_;
};

TEST_F(X509Test, ExposesSubjectIssuerSerialAndValidity) {
  EXPECT_EQ(inter_.Subject(), "CN=Vouch Test Issuer");
  EXPECT_EQ(inter_.Issuer(), "CN=Vouch Test Root");
  EXPECT_EQ(inter_.SerialHex(), "02");
  EXPECT_EQ(inter_.NotBefore(), Clock::from_time_t(k2024));
  EXPECT_EQ(inter_.NotAfter(), Clock::from_time_t(k2034));
  Certificate leaf = Leaf(k2024, k2034);
  EXPECT_EQ(leaf.Subject(), "");
  EXPECT_EQ(leaf.SerialHex(), "1234");
}

TEST_F(X509Test, EscapesSubjectPerRfc2253) {
  Certificate c =
      MakeCert({"a,b+c", 3, k2024, k2034, {}, ""}, EcKey("P-256"), nullptr, EcKey("P-256"));
  EXPECT_EQ(c.Subject(), "CN=a\\,b\\+c");
}

TEST_F(X509Test, ClampsFarFutureNotAfter) {
  constexpr time_t k9999 = 253402300799;  // 9999-12-31T23:59:59Z, as swtpm writes
  Certificate c =
      MakeCert({"far", 4, k2024, k9999, {}, ""}, EcKey("P-256"), nullptr, EcKey("P-256"));
  EXPECT_EQ(c.NotAfter(), Clock::time_point::max());
}

TEST_F(X509Test, ReturnsSubjectPublicKey) {
  ASSERT_OK_AND_ASSIGN(PublicKey key, Leaf(k2024, k2034).Key());
  EXPECT_EQ(key.type(), KeyType::kRsa);
  EXPECT_EQ(key.ToSpkiDer(), testing::PublicOf(Rsa2048()).ToSpkiDer());
  ASSERT_OK_AND_ASSIGN(PublicKey ca_key, inter_.Key());
  EXPECT_EQ(ca_key.curve(), EcCurve::kP384);
}

TEST_F(X509Test, RoundTripsDerAndPem) {
  Bytes der = inter_.ToDer();
  ASSERT_OK_AND_ASSIGN(Certificate from_der, Certificate::FromDer(der));
  EXPECT_EQ(from_der.ToDer(), der);
  ASSERT_OK_AND_ASSIGN(Certificate from_pem, Certificate::FromPem(ToPem(inter_)));
  EXPECT_EQ(from_pem.ToDer(), der);
  ASSERT_OK_AND_ASSIGN(Bytes fp, Digest(HashAlg::kSha256, der));
  EXPECT_EQ(inter_.FingerprintSha256(), fp);
}

TEST_F(X509Test, ReadsPemBundles) {
  std::string bundle = "intermediate:\n" + ToPem(inter_) + "\nroot:\n" + ToPem(root_);
  ASSERT_OK_AND_ASSIGN(std::vector<Certificate> certs, Certificate::AllFromPem(bundle));
  ASSERT_THAT(certs, SizeIs(2));
  EXPECT_EQ(certs[0].ToDer(), inter_.ToDer());
  EXPECT_EQ(certs[1].ToDer(), root_.ToDer());
  EXPECT_THAT(Certificate::FromPem(bundle), StatusIs(Code::kInvalidArgument, HasSubstr("found 2")));
}

TEST_F(X509Test, RejectsMalformedCertificates) {
  Bytes der = root_.ToDer();
  EXPECT_THAT(Certificate::FromDer(Bytes(der.begin(), der.end() - 1)),
              StatusIs(Code::kInvalidArgument));
  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_THAT(Certificate::FromDer(trailing), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(Certificate::FromDer(Bytes{}), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(Certificate::FromPem("no certificate here"), StatusIs(Code::kInvalidArgument));
  std::string pem = ToPem(root_);
  pem[40] = pem[40] == 'A' ? 'B' : 'A';  // corrupt the base64 body
  EXPECT_THAT(Certificate::AllFromPem(pem), StatusIs(Code::kInvalidArgument));
  std::string good_then_bad = ToPem(root_) +
                              "-----BEGIN CERTIFICATE-----\nAAAA\n"
                              "-----END CERTIFICATE-----\n";
  EXPECT_THAT(Certificate::AllFromPem(good_then_bad), StatusIs(Code::kInvalidArgument));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(X509Test, VerifiesEkChainThroughIntermediate) {
  CaStore store = CaStore::FromCertificates({root_});
  EXPECT_OK(VerifyChain(Leaf(k2024, k2034), {inter_}, store, kAt));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(X509Test, AcceptsIntermediateAsAnchor) {
  EXPECT_OK(VerifyChain(Leaf(k2024, k2034), {}, CaStore::FromCertificates({inter_}), kAt));
}

TEST_F(X509Test, RejectsExpiredLeaf) {
  Certificate leaf = Leaf(k2024, k2025);
  EXPECT_THAT(VerifyChain(leaf, {inter_}, CaStore::FromCertificates({root_}), kAt),
              StatusIs(Code::kPermissionDenied, HasSubstr("certificate has expired at depth 0")));
  // The same certificate was fine in its validity period.
  EXPECT_OK(VerifyChain(leaf, {inter_}, CaStore::FromCertificates({root_}),
                        Clock::from_time_t(k2024 + 86400)));
}

TEST_F(X509Test, RejectsNotYetValidLeaf) {
  EXPECT_THAT(VerifyChain(Leaf(k2025 + 86400 * 365, k2034), {inter_},
                          CaStore::FromCertificates({root_}), kAt),
              StatusIs(Code::kPermissionDenied, HasSubstr("not yet valid")));
}

TEST_F(X509Test, RejectsExpiredIntermediateNamingIt) {
  Certificate old_inter = MakeCert({"Old Issuer", 5, k2024, k2025, CaExtensions(), ""},
                                   EcKey("P-384"), &root_, EcKey("P-256"));
  Certificate leaf = MakeCert({"", 6, k2024, k2034, EkExtensions(), EkConfig()}, Rsa2048(),
                              &old_inter, EcKey("P-384"));
  EXPECT_THAT(VerifyChain(leaf, {old_inter}, CaStore::FromCertificates({root_}), kAt),
              StatusIs(Code::kPermissionDenied, HasSubstr("at depth 1: CN=Old Issuer")));
}

TEST_F(X509Test, RejectsChainToWrongCa) {
  // Same names, different key: only the signature tells them apart.
  Certificate other_root = MakeCert({"Vouch Test Root", 1, k2024, k2034, CaExtensions(), ""},
                                    EcKey("P-384"), nullptr, EcKey("P-384"));
  EXPECT_THAT(
      VerifyChain(Leaf(k2024, k2034), {inter_}, CaStore::FromCertificates({other_root}), kAt),
      StatusIs(Code::kPermissionDenied, HasSubstr("depth 1: CN=Vouch Test Issuer")));
  Certificate unrelated = MakeCert({"Someone Else", 7, k2024, k2034, CaExtensions(), ""},
                                   EcKey("P-256"), nullptr, EcKey("P-256"));
  EXPECT_THAT(
      VerifyChain(Leaf(k2024, k2034), {inter_}, CaStore::FromCertificates({unrelated}), kAt),
      StatusIs(Code::kPermissionDenied, HasSubstr("unable to get local issuer certificate")));
}

TEST_F(X509Test, RejectsChainWithMissingIntermediate) {
  EXPECT_THAT(VerifyChain(Leaf(k2024, k2034), {}, CaStore::FromCertificates({root_}), kAt),
              StatusIs(Code::kPermissionDenied,
                       HasSubstr("unable to get local issuer certificate at depth 0")));
}

TEST_F(X509Test, AcceptsCriticalTpmSubjectDirectoryAttributes) {
  // TCG EK Credential Profile subjectDirectoryAttributes (TPM spec version),
  // marked critical as some vendors do; OpenSSL does not process it itself.
  Certificate leaf = Leaf(k2024, k2034, {{"2.5.29.9", "critical,DER:3000"}});
  EXPECT_OK(VerifyChain(leaf, {inter_}, CaStore::FromCertificates({root_}), kAt));
}

TEST_F(X509Test, RejectsUnknownCriticalExtension) {
  Certificate leaf = Leaf(k2024, k2034, {{"1.3.6.1.4.1.99999.1", "critical,DER:0500"}});
  EXPECT_THAT(VerifyChain(leaf, {inter_}, CaStore::FromCertificates({root_}), kAt),
              StatusIs(Code::kPermissionDenied, HasSubstr("unhandled critical extension")));
}

// A fresh directory under the test temp dir, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string templ = ::testing::TempDir() + "vouch_x509_XXXXXX";
    VOUCH_CHECK(mkdtemp(templ.data()) != nullptr);
    path_ = templ;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  void Write(const std::string& name, std::string_view content) const {
    std::ofstream(path_ / name, std::ios::binary) << content;
  }

 private:
  std::filesystem::path path_;
};

TEST_F(X509Test, LoadsCaDirectoryInPemAndDer) {
  TempDir dir;
  dir.Write("bundle.pem", ToPem(root_) + ToPem(inter_));
  Bytes der = root_.ToDer();
  dir.Write("root.CER", ToString(der));
  dir.Write("README.txt", "not a certificate");
  ASSERT_OK_AND_ASSIGN(CaStore store, CaStore::LoadDirectory(dir.path()));
  ASSERT_THAT(store.anchors(), SizeIs(3));
  EXPECT_EQ(store.anchors()[0].ToDer(), root_.ToDer());
  EXPECT_EQ(store.anchors()[1].ToDer(), inter_.ToDer());
  EXPECT_EQ(store.anchors()[2].ToDer(), root_.ToDer());
  EXPECT_OK(VerifyChain(Leaf(k2024, k2034), {}, store, kAt));
}

TEST_F(X509Test, ReportsMissingDirectoryAsNotFound) {
  EXPECT_THAT(CaStore::LoadDirectory("/nonexistent/vouch/ca"), StatusIs(Code::kNotFound));
}

TEST_F(X509Test, ReportsEmptyDirectoryAsFailedPrecondition) {
  TempDir dir;
  dir.Write("notes.txt", "nothing here");
  EXPECT_THAT(CaStore::LoadDirectory(dir.path()), StatusIs(Code::kFailedPrecondition));
}

TEST_F(X509Test, NamesTheFileThatDoesNotParse) {
  TempDir dir;
  dir.Write("good.pem", ToPem(root_));
  dir.Write("broken.der", "garbage");
  EXPECT_THAT(CaStore::LoadDirectory(dir.path()),
              StatusIs(Code::kInvalidArgument, HasSubstr("broken.der")));
}

}  // namespace
}  // namespace vouch::crypto
