// The registrar against real TPMs: swtpm's EK certificate chain, the agent's
// request and its ActivateCredential answer (agent/enroll.h), and every
// refusal an attacker could try.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "agent/ak.h"
#include "agent/enroll.h"
#include "agent/state_dir.h"
#include "core/base/clock.h"
#include "core/tpm_device/esys_tpm_device.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"
#include "verifier/registrar/registrar.h"

namespace vouch::verifier {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::vouch::testing::StatusIs;
using ::vouch::testing::SwtpmInstance;

// A host: a swtpm with an AK made by the agent's own code.
struct Host {
  std::unique_ptr<SwtpmInstance> swtpm;
  std::unique_ptr<tpm_device::TpmDevice> device;
  std::optional<agent::LoadedAk> ak;
  protocol::EnrollmentRequest request;
};

void MakeHost(bool fresh, Host& host) {
  ASSERT_OK_AND_ASSIGN(host.swtpm, SwtpmInstance::Start({.fresh = fresh}));
  ASSERT_OK_AND_ASSIGN(host.device, tpm_device::OpenEsysTpmDevice(host.swtpm->Tcti()));
  ASSERT_OK_AND_ASSIGN(agent::StateDir state,
                       agent::StateDir::Open((host.swtpm->dir() / "agent").string(), true));
  SystemClock clock;
  ASSERT_OK(agent::InitAk(*host.device, state, agent::AkOptions{}, clock).status());
  ASSERT_OK_AND_ASSIGN(agent::LoadedAk ak, agent::LoadAkFromState(*host.device, state));
  host.ak.emplace(std::move(ak));
  protocol::HostFacts facts;
  facts.hostname = "host-under-test";
  facts.agent_version = "0.1.0";
  ASSERT_OK_AND_ASSIGN(host.request, agent::BuildEnrollmentRequest(*host.device, *host.ak, facts));
}

std::vector<crypto::Certificate> Intermediates(const SwtpmInstance& tpm) {
  std::ifstream in(tpm.IntermediateCertPath());
  std::stringstream pem;
  pem << in.rdbuf();
  Result<std::vector<crypto::Certificate>> certs = crypto::Certificate::AllFromPem(pem.str());
  EXPECT_OK(certs.status());
  return certs.value_or(std::vector<crypto::Certificate>{});
}

class RegistrarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeHost(/*fresh=*/false, host_);
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(CaStoreHolder store,
                         crypto::CaStore::LoadDirectory(host_.swtpm->TrustDir()));
    cas_ = std::make_unique<crypto::CaStore>(std::move(store));
    options_.ek_cas = cas_.get();
    options_.intermediates = Intermediates(*host_.swtpm);
    // After the CA exists (the first test provisions it): not-before is now.
    now_ = std::chrono::system_clock::now() + std::chrono::seconds(1);
  }
  using CaStoreHolder = crypto::CaStore;

  Host host_;
  std::unique_ptr<crypto::CaStore> cas_;
  RegistrarOptions options_;
  crypto::OpenSslRandom random_;
  std::chrono::system_clock::time_point now_;
};

TEST_F(RegistrarTest, RoundTripWithTheAgentsAnswer) {
  ASSERT_OK_AND_ASSIGN(StartedEnrollment started,
                       StartEnrollment(host_.request, "e-1", options_, random_, now_));
  EXPECT_EQ(started.record.ak_name, host_.ak->record.name);
  EXPECT_THAT(started.record.host_facts_json, HasSubstr("host-under-test"));
  ASSERT_OK_AND_ASSIGN(protocol::ActivationRequest answer,
                       agent::AnswerChallenge(*host_.device, *host_.ak, started.challenge));
  EXPECT_OK(CompleteEnrollment(started.record, answer, now_));
  // The same answer after expiry, or on an activated record, is refused.
  EXPECT_THAT(CompleteEnrollment(started.record, answer, now_ + std::chrono::hours(1)),
              StatusIs(Code::kPermissionDenied, HasSubstr("expired")));
  EnrollmentRecord activated = started.record;
  activated.host_id = "h-1";
  EXPECT_THAT(CompleteEnrollment(activated, answer, now_),
              StatusIs(Code::kPermissionDenied, HasSubstr("already activated")));
}

TEST_F(RegistrarTest, WrongProofIsRefused) {
  ASSERT_OK_AND_ASSIGN(StartedEnrollment started,
                       StartEnrollment(host_.request, "e-2", options_, random_, now_));
  protocol::ActivationRequest guess;
  guess.proof = Bytes(32, 0xab);
  EXPECT_THAT(CompleteEnrollment(started.record, guess, now_),
              StatusIs(Code::kPermissionDenied, HasSubstr("proof of possession")));
}

TEST_F(RegistrarTest, AnswerFromAnotherEnrollmentIsRefused) {
  ASSERT_OK_AND_ASSIGN(StartedEnrollment a,
                       StartEnrollment(host_.request, "e-a", options_, random_, now_));
  ASSERT_OK_AND_ASSIGN(StartedEnrollment b,
                       StartEnrollment(host_.request, "e-b", options_, random_, now_));
  ASSERT_OK_AND_ASSIGN(protocol::ActivationRequest answer_a,
                       agent::AnswerChallenge(*host_.device, *host_.ak, a.challenge));
  EXPECT_THAT(CompleteEnrollment(b.record, answer_a, now_), StatusIs(Code::kPermissionDenied));
}

TEST_F(RegistrarTest, EkFromAnUntrustedCaIsRefused) {
  Host stranger;
  MakeHost(/*fresh=*/true, stranger);  // its own CA, not in our trust store
  if (HasFatalFailure()) return;
  EXPECT_THAT(StartEnrollment(stranger.request, "e-3", options_, random_, now_),
              StatusIs(Code::kPermissionDenied, HasSubstr("EK certificate")));
}

TEST_F(RegistrarTest, CertificateForAnotherKeyIsRefused) {
  // The TPM's ECC EK certificate: a valid chain, but not for the RSA EK sent.
  std::ifstream in(host_.swtpm->EcEkCertPath(), std::ios::binary);
  Bytes ecc_cert((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(ecc_cert.empty());
  protocol::EnrollmentRequest mixed = host_.request;
  mixed.ek_certificate = ecc_cert;
  EXPECT_THAT(StartEnrollment(mixed, "e-4", options_, random_, now_),
              StatusIs(Code::kPermissionDenied, HasSubstr("another key")));
}

TEST_F(RegistrarTest, NoCertificateNeedsAnAllowedEk) {
  protocol::EnrollmentRequest bare = host_.request;
  bare.ek_certificate.reset();
  EXPECT_THAT(StartEnrollment(bare, "e-5", options_, random_, now_),
              StatusIs(Code::kPermissionDenied, HasSubstr("allowed")));
  options_.allowed_ek_publics.push_back(host_.request.ek_public);
  ASSERT_OK_AND_ASSIGN(StartedEnrollment started,
                       StartEnrollment(bare, "e-5", options_, random_, now_));
  ASSERT_OK_AND_ASSIGN(protocol::ActivationRequest answer,
                       agent::AnswerChallenge(*host_.device, *host_.ak, started.challenge));
  EXPECT_OK(CompleteEnrollment(started.record, answer, now_));
}

TEST_F(RegistrarTest, AnEkAsAkIsRefused) {
  protocol::EnrollmentRequest swapped = host_.request;
  swapped.ak_public = host_.request.ek_public;  // a decryption key, not a signing AK
  EXPECT_THAT(StartEnrollment(swapped, "e-6", options_, random_, now_),
              StatusIs(Code::kInvalidArgument, HasSubstr("restricted signing")));
}

}  // namespace
}  // namespace vouch::verifier
