// crypto::MakeCredential (software, verifier side) against a real TPM's
// TPM2_ActivateCredential: the swtpm recovers the secret only for the AK the
// credential names, through its EK.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/crypto/make_credential.h"
#include "core/crypto/public_key.h"
#include "core/crypto/random.h"
#include "core/tpm/public.h"
#include "tests/integration/tpm2_tools_helpers.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"

namespace vouch::testing {
namespace {

// tpm2-tools' credential file (tpm2_makecredential -o, tpm2_activatecredential
// -i): magic 0xBADCC0DE and version 1 (big-endian), then the marshaled
// TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET.
Bytes CredentialFile(const crypto::MadeCredential& made) {
  Bytes out = {0xba, 0xdc, 0xc0, 0xde, 0x00, 0x00, 0x00, 0x01};
  out.insert(out.end(), made.credential_blob.begin(), made.credential_blob.end());
  out.insert(out.end(), made.encrypted_secret.begin(), made.encrypted_secret.end());
  return out;
}

class MakeCredentialIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tpm_, SwtpmInstance::Start());
    ASSERT_OK(CreateRsaEk(*tpm_));
    ASSERT_OK_AND_ASSIGN(ak_, CreateAk(*tpm_, "ak", AkKind::kRsa));
    ASSERT_OK(tpm_->RunTool({"tpm2_readpublic", "-c", "0x81010001", "-o", "ek.pem", "-f", "pem"})
                  .status());
    ASSERT_OK_AND_ASSIGN(std::string ek_pem, ReadFileText(tpm_->WorkDir() / "ek.pem"));
    ASSERT_OK_AND_ASSIGN(ek_, crypto::PublicKey::FromPem(ek_pem));
    ASSERT_OK_AND_ASSIGN(ak_name_, ReadWorkFile(*tpm_, ak_.name));
  }

  // Runs TPM2_ActivateCredential with ak.ctx and the EK, authorising the EK
  // with PolicySecret(TPM_RH_ENDORSEMENT) as the default EK policy demands.
  // Wraps `secret` for the AK with our MakeCredential and checks that the
  // TPM's ActivateCredential (tpm2_activatecredential) gives exactly it back.
  void ExpectTpmRecovers(const Bytes& secret) {
    ASSERT_OK_AND_ASSIGN(crypto::MadeCredential made,
                         crypto::MakeCredential(*ek_, HashAlg::kSha256, ak_name_, secret, random_));
    ASSERT_OK(WriteWorkFile(*tpm_, "cred.in", CredentialFile(made)));
    ASSERT_OK_AND_ASSIGN(ProcessResult r, Activate("cred.in", "secret.out"));
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    ASSERT_OK_AND_ASSIGN(Bytes recovered, ReadWorkFile(*tpm_, "secret.out"));
    EXPECT_EQ(recovered, secret);
  }

  Result<ProcessResult> Activate(const std::string& cred_file, const std::string& out_file) {
    VOUCH_RETURN_IF_ERROR(
        tpm_->RunTool({"tpm2_startauthsession", "--policy-session", "-S", "session.ctx"}).status());
    Result<ProcessResult> r = tpm_->RunTool({"tpm2_policysecret", "-S", "session.ctx", "-c", "e"});
    if (r.has_value()) {
      r = tpm_->RunToolAllowFailure({"tpm2_activatecredential", "-c", ak_.ctx, "-C", "ek.ctx", "-i",
                                     cred_file, "-o", out_file, "-P", "session:session.ctx"});
    }
    (void)tpm_->RunToolAllowFailure({"tpm2_flushcontext", "session.ctx"});
    return r;
  }

  std::unique_ptr<SwtpmInstance> tpm_;
  AkFiles ak_;
  std::optional<crypto::PublicKey> ek_;
  Bytes ak_name_;
  crypto::OpenSslRandom random_;
};

TEST_F(MakeCredentialIntegrationTest, TpmRecoversSecretForNamedAk) {
  const Bytes secret = ToBytes("vouch-enrollment-challenge-0001");  // 31 bytes
  ExpectTpmRecovers(secret);
}

TEST_F(MakeCredentialIntegrationTest, TpmRecoversFullLengthSecret) {
  Bytes secret(DigestSize(HashAlg::kSha256));
  ASSERT_OK(random_.Fill(secret));
  ExpectTpmRecovers(secret);
}

TEST_F(MakeCredentialIntegrationTest, AkNameFromTpmPublicMatchesToolName) {
  ASSERT_OK_AND_ASSIGN(Bytes ak_pub, ReadWorkFile(*tpm_, ak_.pub));
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic ak, tpm::TpmPublic::DecodeTpm2b(ak_pub));
  EXPECT_EQ(ak.name(), ak_name_);
  // The EK public from TPM2B_PUBLIC equals the PEM tpm2_readpublic wrote.
  ASSERT_OK_AND_ASSIGN(Bytes ek_pub, ReadWorkFile(*tpm_, "ek.pub"));
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic ek, tpm::TpmPublic::DecodeTpm2b(ek_pub));
  EXPECT_EQ(ek.key().ToSpkiDer(), ek_->ToSpkiDer());
}

TEST_F(MakeCredentialIntegrationTest, CredentialFileHasSameLayoutAsTpm2Makecredential) {
  const Bytes secret = ToBytes("0123456789abcdef");
  ASSERT_OK(WriteWorkFile(*tpm_, "secret.bin", secret));
  ASSERT_OK(tpm_->RunTool({"tpm2_makecredential", "-T", "none", "-e", "ek.pem", "-G", "rsa", "-s",
                           "secret.bin", "-n", HexEncode(ak_name_), "-o", "tools_cred.in"})
                .status());
  ASSERT_OK_AND_ASSIGN(Bytes theirs, ReadWorkFile(*tpm_, "tools_cred.in"));
  ASSERT_OK_AND_ASSIGN(crypto::MadeCredential made,
                       crypto::MakeCredential(*ek_, HashAlg::kSha256, ak_name_, secret, random_));
  Bytes ours = CredentialFile(made);
  ASSERT_EQ(ours.size(), theirs.size());
  // Same header and the same structure sizes (the contents are randomised).
  EXPECT_EQ(Bytes(ours.begin(), ours.begin() + 10), Bytes(theirs.begin(), theirs.begin() + 10));
  // Both activate.
  ASSERT_OK_AND_ASSIGN(ProcessResult r, Activate("tools_cred.in", "theirs.out"));
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
}

TEST_F(MakeCredentialIntegrationTest, ActivationFailsForDifferentAkName) {
  ASSERT_OK_AND_ASSIGN(AkFiles other, CreateAk(*tpm_, "ak2", AkKind::kRsa));
  ASSERT_OK_AND_ASSIGN(Bytes other_name, ReadWorkFile(*tpm_, other.name));
  ASSERT_NE(other_name, ak_name_);
  const Bytes secret = ToBytes("not for this AK");
  // Credential for ak2, activated with ak.
  ASSERT_OK_AND_ASSIGN(crypto::MadeCredential made,
                       crypto::MakeCredential(*ek_, HashAlg::kSha256, other_name, secret, random_));
  ASSERT_OK(WriteWorkFile(*tpm_, "cred.in", CredentialFile(made)));
  ASSERT_OK_AND_ASSIGN(ProcessResult r, Activate("cred.in", "secret.out"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(tpm_->WorkDir() / "secret.out"));
}

TEST_F(MakeCredentialIntegrationTest, ActivationFailsForAlteredAkName) {
  Bytes name = ak_name_;
  name.back() ^= 0x01;
  ASSERT_OK_AND_ASSIGN(crypto::MadeCredential made,
                       crypto::MakeCredential(*ek_, HashAlg::kSha256, name, ToBytes("x"), random_));
  ASSERT_OK(WriteWorkFile(*tpm_, "cred.in", CredentialFile(made)));
  ASSERT_OK_AND_ASSIGN(ProcessResult r, Activate("cred.in", "secret.out"));
  EXPECT_NE(r.exit_code, 0);
}

TEST_F(MakeCredentialIntegrationTest, EccEkIsNotSupportedYet) {
  ASSERT_OK(tpm_->RunTool({"tpm2_readpublic", "-c", "0x81010016", "-o", "ek_ecc.pem", "-f", "pem"})
                .status());
  ASSERT_OK_AND_ASSIGN(std::string pem, ReadFileText(tpm_->WorkDir() / "ek_ecc.pem"));
  ASSERT_OK_AND_ASSIGN(crypto::PublicKey ecc_ek, crypto::PublicKey::FromPem(pem));
  EXPECT_EQ(ecc_ek.curve(), crypto::EcCurve::kP384);
  EXPECT_THAT(crypto::MakeCredential(ecc_ek, HashAlg::kSha384, ak_name_, ToBytes("x"), random_),
              StatusIs(Code::kFailedPrecondition));
}

}  // namespace
}  // namespace vouch::testing
