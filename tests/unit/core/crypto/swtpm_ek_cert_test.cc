// Integration test (label "integration"): provisions a fresh swtpm state with
// swtpm_setup and its own local CA in a temp dir, then checks that the EK
// certificates it issues parse and verify with VerifyChain. Needs swtpm-tools.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/crypto/x509.h"
#include "tests/testing/status_matchers.h"

namespace vouch::crypto {
namespace {

using ::testing::HasSubstr;
using ::vouch::testing::StatusIs;
namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class SwtpmEkCertTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::system("command -v swtpm_setup >/dev/null && command -v swtpm_localca >/dev/null") !=
        0) {
      return;
    }
    std::string templ = ::testing::TempDir() + "vouch_swtpm_ek_XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) return;
    dir_ = new fs::path(templ);
    fs::create_directories(*dir_ / "ca");
    fs::create_directories(*dir_ / "tpm");
    // A private CA and setup config, so nothing under /etc or /var is used.
    std::ofstream(*dir_ / "swtpm-localca.conf")
        << "statedir = " << (*dir_ / "ca").string() << "\n"
        << "signingkey = " << (*dir_ / "ca" / "signkey.pem").string() << "\n"
        << "issuercert = " << (*dir_ / "ca" / "issuercert.pem").string() << "\n"
        << "certserial = " << (*dir_ / "ca" / "certserial").string() << "\n";
    std::ofstream(*dir_ / "swtpm-localca.options") << "--platform-manufacturer Vouch\n"
                                                   << "--platform-version 2.1\n"
                                                   << "--platform-model test\n";
    std::ofstream(*dir_ / "swtpm_setup.conf")
        << "create_certs_tool = swtpm_localca\n"
        << "create_certs_tool_config = " << (*dir_ / "swtpm-localca.conf").string() << "\n"
        << "create_certs_tool_options = " << (*dir_ / "swtpm-localca.options").string() << "\n"
        << "active_pcr_banks = sha256\n";
    std::string cmd = "swtpm_setup --tpm2 --tpmstate " + (*dir_ / "tpm").string() +
                      " --create-ek-cert --create-platform-cert --pcr-banks sha1,sha256"
                      " --write-ek-cert-files " +
                      (*dir_ / "tpm").string() + " --config " +
                      (*dir_ / "swtpm_setup.conf").string() + " >" +
                      (*dir_ / "setup.log").string() + " 2>&1";
    provisioned_ = std::system(cmd.c_str()) == 0;
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) fs::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (dir_ == nullptr) GTEST_SKIP() << "swtpm_setup not available";
    ASSERT_TRUE(provisioned_) << ReadFile(*dir_ / "setup.log");
  }

  static fs::path* dir_;
  static bool provisioned_;
};
fs::path* SwtpmEkCertTest::dir_ = nullptr;
bool SwtpmEkCertTest::provisioned_ = false;

TEST_F(SwtpmEkCertTest, EkCertificatesVerifyToLocalCaRoot) {
  ASSERT_OK_AND_ASSIGN(
      Certificate root,
      Certificate::FromPem(ReadFile(*dir_ / "ca" / "swtpm-localca-rootca-cert.pem")));
  ASSERT_OK_AND_ASSIGN(Certificate issuer,
                       Certificate::FromPem(ReadFile(*dir_ / "ca" / "issuercert.pem")));
  CaStore store = CaStore::FromCertificates({root});
  const auto now = std::chrono::system_clock::now();
  struct Case {
    const char* file;
    KeyType type;
  };
  for (const Case& c :
       {Case{"ek-rsa2048.crt", KeyType::kRsa}, Case{"ek-secp384r1.crt", KeyType::kEc}}) {
    std::string der = ReadFile(*dir_ / "tpm" / c.file);
    ASSERT_OK_AND_ASSIGN(Certificate ek, Certificate::FromDer(AsBytes(der)));
    EXPECT_EQ(ek.Issuer(), issuer.Subject());
    ASSERT_OK_AND_ASSIGN(PublicKey key, ek.Key());
    EXPECT_EQ(key.type(), c.type) << c.file;
    EXPECT_OK(VerifyChain(ek, {issuer}, store, now)) << c.file;
    EXPECT_THAT(VerifyChain(ek, {}, store, now),
                StatusIs(Code::kPermissionDenied, HasSubstr("unable to get local issuer")));
  }
}

}  // namespace
}  // namespace vouch::crypto
