// EK certificates issued by swtpm's local CA (swtpm_setup --create-ek-cert)
// verified with crypto::VerifyChain against the instance's own CA, and
// rejected against another instance's CA.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/crypto/public_key.h"
#include "core/crypto/x509.h"
#include "core/tpm/public.h"
#include "tests/integration/tpm2_tools_helpers.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"

namespace vouch::testing {
namespace {

using ::testing::HasSubstr;

Result<crypto::Certificate> LoadDer(const std::filesystem::path& path) {
  VOUCH_ASSIGN_OR_RETURN(Bytes der, ReadFileBytes(path));
  return crypto::Certificate::FromDer(der);
}

TEST(EkCertIntegrationTest, RsaAndEccEkCertificatesVerifyAgainstOwnCa) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(CaFiles ca, LoadCa(*tpm));
  const auto now = std::chrono::system_clock::now();
  for (const auto& path : {tpm->RsaEkCertPath(), tpm->EcEkCertPath()}) {
    ASSERT_OK_AND_ASSIGN(crypto::Certificate leaf, LoadDer(path));
    EXPECT_OK(crypto::VerifyChain(leaf, ca.intermediates, ca.store, now)) << path;
    EXPECT_THAT(leaf.Issuer(), HasSubstr("swtpm-localca"));
  }
}

TEST(EkCertIntegrationTest, EkCertificateInNvMatchesFileAndTpmEk) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  // RSA EK certificate NV index (TCG EK Credential Profile, section 2.2.1.4).
  ASSERT_OK(tpm->RunTool({"tpm2_nvread", "0x01c00002", "-C", "o", "-o", "ek_nv.der"}).status());
  ASSERT_OK_AND_ASSIGN(Bytes nv, ReadWorkFile(*tpm, "ek_nv.der"));
  ASSERT_OK_AND_ASSIGN(Bytes file, ReadFileBytes(tpm->RsaEkCertPath()));
  EXPECT_EQ(nv, file);

  // The certified key is the TPM's persistent EK.
  ASSERT_OK(tpm->RunTool({"tpm2_readpublic", "-c", "0x81010001", "-o", "ek.pub"}).status());
  ASSERT_OK_AND_ASSIGN(Bytes ek_pub, ReadWorkFile(*tpm, "ek.pub"));
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic ek, tpm::TpmPublic::DecodeTpm2b(ek_pub));
  ASSERT_OK_AND_ASSIGN(crypto::Certificate cert, crypto::Certificate::FromDer(nv));
  ASSERT_OK_AND_ASSIGN(crypto::PublicKey cert_key, cert.Key());
  EXPECT_EQ(cert_key.ToSpkiDer(), ek.key().ToSpkiDer());

  ASSERT_OK_AND_ASSIGN(CaFiles ca, LoadCa(*tpm));
  EXPECT_OK(
      crypto::VerifyChain(cert, ca.intermediates, ca.store, std::chrono::system_clock::now()));
}

TEST(EkCertIntegrationTest, EkCertificateFailsAgainstAnotherInstancesCa) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(auto other, SwtpmInstance::Start({.fresh = true}));
  ASSERT_OK_AND_ASSIGN(CaFiles own_ca, LoadCa(*tpm));
  ASSERT_OK_AND_ASSIGN(CaFiles other_ca, LoadCa(*other));
  ASSERT_OK_AND_ASSIGN(crypto::Certificate leaf, LoadDer(tpm->RsaEkCertPath()));
  const auto now = std::chrono::system_clock::now();

  // The other instance's root and intermediate.
  EXPECT_THAT(crypto::VerifyChain(leaf, other_ca.intermediates, other_ca.store, now),
              StatusIs(Code::kPermissionDenied));
  // Our intermediate, but the other root as anchor.
  EXPECT_THAT(crypto::VerifyChain(leaf, own_ca.intermediates, other_ca.store, now),
              StatusIs(Code::kPermissionDenied));
  // And the other way round: the other TPM's EK under our CA.
  ASSERT_OK_AND_ASSIGN(crypto::Certificate other_leaf, LoadDer(other->RsaEkCertPath()));
  EXPECT_OK(crypto::VerifyChain(other_leaf, other_ca.intermediates, other_ca.store, now));
  EXPECT_THAT(crypto::VerifyChain(other_leaf, own_ca.intermediates, own_ca.store, now),
              StatusIs(Code::kPermissionDenied));
}

TEST(EkCertIntegrationTest, EkCertificateFailsWithoutIntermediate) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(CaFiles ca, LoadCa(*tpm));
  ASSERT_OK_AND_ASSIGN(crypto::Certificate leaf, LoadDer(tpm->RsaEkCertPath()));
  EXPECT_THAT(crypto::VerifyChain(leaf, {}, ca.store, std::chrono::system_clock::now()),
              StatusIs(Code::kPermissionDenied));
}

}  // namespace
}  // namespace vouch::testing
