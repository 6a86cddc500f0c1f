// vouch::agent_state against swtpm: AK init (RSA and ECC, state-file and
// persistent storage), idempotence, survival across an agent restart (quote
// verified with core/tpm), replacement rules, a record from another TPM, and
// the enrollment round trip against a software verifier (EK certificate
// chain, MakeCredential, ActivateCredential, proof) through the protocol's
// JSON encoders and decoders.
//
// swtpm has 3 object slots and no resource manager; its EKs are persistent,
// so only the AK takes a transient slot. Each test checks that nothing stays
// loaded that the agent does not hold.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/ak.h"
#include "agent/config.h"
#include "agent/enroll.h"
#include "agent/host_facts.h"
#include "agent/state_dir.h"
#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/crypto/make_credential.h"
#include "core/crypto/random.h"
#include "core/crypto/x509.h"
#include "core/protocol/enrollment.h"
#include "core/tpm/public.h"
#include "core/tpm/quote.h"
#include "core/tpm_device/esys_tpm_device.h"
#include "core/tpm_device/tpm_device.h"
#include "tests/integration/tpm2_tools_helpers.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"

namespace vouch::agent {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using tpm_device::AkKind;
using tpm_device::EkKind;
using tpm_device::LoadedHandleCounts;
using tpm_device::OpenEsysTpmDevice;
using tpm_device::TpmDevice;
using tpm_device::TpmObject;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;
using ::vouch::testing::SwtpmInstance;

constexpr uint32_t kAkHandle = 0x81000120;

std::vector<tpm::PcrSelection> QuotedPcrs() {
  return {{HashAlg::kSha256, {0, 1, 2, 3, 4, 5, 6, 7, 15}}};
}

LoadedHandleCounts Counts(TpmDevice& device) {
  Result<LoadedHandleCounts> counts = device.CountLoadedHandles();
  EXPECT_THAT(counts, IsOk());
  return counts.value_or(LoadedHandleCounts{99, 99});
}

// Quotes with the loaded AK and verifies the quote against `ak_public` (the
// recorded TPM2B_PUBLIC, as a verifier holding the enrolled AK would).
void ExpectQuoteVerifies(TpmDevice& device, const TpmObject& ak, const Bytes& ak_public) {
  const Bytes nonce(32, 0x42);
  ASSERT_OK_AND_ASSIGN(tpm_device::TpmQuote quote, device.Quote(ak, nonce, QuotedPcrs()));
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues pcrs, device.ReadPcrs(QuotedPcrs()));
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic pub, tpm::TpmPublic::DecodeTpm2b(ak_public));
  ASSERT_OK_AND_ASSIGN(
      tpm::QuoteVerification v,
      tpm::VerifyQuote(pub, {quote.attest, quote.signature, pcrs}, nonce, QuotedPcrs()));
  for (const Finding& f : v.findings) ADD_FAILURE() << f.id << ": " << f.message;
  EXPECT_TRUE(v.verified.has_value());
}

class StateIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tpm_, SwtpmInstance::Start());
    ASSERT_OK_AND_ASSIGN(device_, OpenEsysTpmDevice(tpm_->Tcti()));
    state_path_ = (tpm_->WorkDir() / "agent-state").string();
    ASSERT_OK_AND_ASSIGN(StateDir state, StateDir::Open(state_path_, /*create=*/true));
    state_.emplace(std::move(state));
  }

  // "Agent restart": drop the device and the state directory, open both again.
  void Restart() {
    state_.reset();
    device_.reset();
    ASSERT_OK_AND_ASSIGN(device_, OpenEsysTpmDevice(tpm_->Tcti()));
    ASSERT_OK_AND_ASSIGN(StateDir state, StateDir::Open(state_path_, /*create=*/false));
    state_.emplace(std::move(state));
  }

  std::unique_ptr<SwtpmInstance> tpm_;
  std::unique_ptr<TpmDevice> device_;
  std::string state_path_;
  std::optional<StateDir> state_;
  SystemClock clock_;
};

struct AkCase {
  AkKind kind;
  AkStorage storage;
};

class AkLifecycleTest : public StateIntegrationTest, public ::testing::WithParamInterface<AkCase> {
 protected:
  AkOptions Options() const {
    AkOptions options;
    options.kind = GetParam().kind;
    options.storage = GetParam().storage;
    options.persistent_handle = kAkHandle;
    return options;
  }
};

TEST_P(AkLifecycleTest, InitIsIdempotentAndAkSurvivesRestart) {
  ASSERT_OK_AND_ASSIGN(InitResult first, InitAk(*device_, *state_, Options(), clock_));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.record.kind, GetParam().kind);
  EXPECT_EQ(first.record.storage, GetParam().storage);
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic pub,
                       tpm::TpmPublic::DecodeTpm2b(first.record.blob.public_area));
  EXPECT_TRUE(pub.IsRestrictedSigningKey());
  EXPECT_EQ(pub.alg(), GetParam().kind == AkKind::kRsa2048 ? tpm::KeyAlg::kRsa : tpm::KeyAlg::kEcc);
  EXPECT_EQ(first.record.name, pub.name());
  if (GetParam().storage == AkStorage::kPersistentHandle) {
    EXPECT_THAT(first.record.blob.private_area, IsEmpty());
    EXPECT_EQ(first.record.persistent_handle, kAkHandle);
  } else {
    EXPECT_THAT(first.record.blob.private_area, Not(IsEmpty()));
  }
  EXPECT_EQ(Counts(*device_), (LoadedHandleCounts{0, 0}));

  ASSERT_OK_AND_ASSIGN(InitResult second, InitAk(*device_, *state_, Options(), clock_));
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.record.name, first.record.name);
  EXPECT_EQ(second.record.created_at, first.record.created_at);
  EXPECT_EQ(Counts(*device_), (LoadedHandleCounts{0, 0}));

  Restart();
  // Idempotent across restarts too.
  ASSERT_OK_AND_ASSIGN(InitResult third, InitAk(*device_, *state_, Options(), clock_));
  EXPECT_FALSE(third.created);
  EXPECT_EQ(third.record.name, first.record.name);
  {
    ASSERT_OK_AND_ASSIGN(LoadedAk loaded, LoadAkFromState(*device_, *state_));
    EXPECT_EQ(loaded.record.name, first.record.name);
    EXPECT_EQ(loaded.ak.public_area(), first.record.blob.public_area);
    const uint32_t transient = GetParam().storage == AkStorage::kStateFile ? 1 : 0;
    EXPECT_EQ(Counts(*device_), (LoadedHandleCounts{transient, 0}));
    ExpectQuoteVerifies(*device_, loaded.ak, first.record.blob.public_area);
  }
  EXPECT_EQ(Counts(*device_), (LoadedHandleCounts{0, 0}));
}

INSTANTIATE_TEST_SUITE_P(Kinds, AkLifecycleTest,
                         ::testing::Values(AkCase{AkKind::kRsa2048, AkStorage::kStateFile},
                                           AkCase{AkKind::kEccP256, AkStorage::kStateFile},
                                           AkCase{AkKind::kRsa2048, AkStorage::kPersistentHandle},
                                           AkCase{AkKind::kEccP256, AkStorage::kPersistentHandle}),
                         [](const auto& info) {
                           return std::string(info.param.kind == AkKind::kRsa2048 ? "Rsa" : "Ecc") +
                                  (info.param.storage == AkStorage::kStateFile ? "File"
                                                                               : "Persistent");
                         });

TEST_F(StateIntegrationTest, AkUnderEccEkLoadsAndQuotes) {
  AkOptions options;
  options.kind = AkKind::kEccP256;
  options.ek_kind = EkKind::kEcc;
  ASSERT_OK_AND_ASSIGN(InitResult init, InitAk(*device_, *state_, options, clock_));
  Restart();
  ASSERT_OK_AND_ASSIGN(LoadedAk loaded, LoadAkFromState(*device_, *state_));
  EXPECT_EQ(loaded.record.ek_kind, EkKind::kEcc);
  ExpectQuoteVerifies(*device_, loaded.ak, init.record.blob.public_area);
}

TEST_F(StateIntegrationTest, KindMismatchRefusedWithoutForceReplacedWithForce) {
  ASSERT_OK_AND_ASSIGN(InitResult rsa, InitAk(*device_, *state_, AkOptions{}, clock_));
  AkOptions ecc;
  ecc.kind = AkKind::kEccP256;
  EXPECT_THAT(InitAk(*device_, *state_, ecc, clock_),
              StatusIs(Code::kFailedPrecondition, HasSubstr("--force")));
  {
    ASSERT_OK_AND_ASSIGN(LoadedAk still, LoadAkFromState(*device_, *state_));
    EXPECT_EQ(still.record.name, rsa.record.name);
  }
  ecc.force = true;
  ASSERT_OK_AND_ASSIGN(InitResult replaced, InitAk(*device_, *state_, ecc, clock_));
  EXPECT_TRUE(replaced.created);
  EXPECT_NE(replaced.record.name, rsa.record.name);
  ASSERT_OK_AND_ASSIGN(LoadedAk loaded, LoadAkFromState(*device_, *state_));
  EXPECT_EQ(loaded.record.kind, AkKind::kEccP256);
  ExpectQuoteVerifies(*device_, loaded.ak, replaced.record.blob.public_area);
}

TEST_F(StateIntegrationTest, StorageChangeFromPersistentToFileEvictsOldAk) {
  AkOptions persistent;
  persistent.kind = AkKind::kEccP256;
  persistent.storage = AkStorage::kPersistentHandle;
  persistent.persistent_handle = kAkHandle;
  ASSERT_OK(InitAk(*device_, *state_, persistent, clock_).status());
  ASSERT_OK(device_->LoadPersistent(kAkHandle).status());

  AkOptions file;
  file.kind = AkKind::kEccP256;
  EXPECT_THAT(InitAk(*device_, *state_, file, clock_), StatusIs(Code::kFailedPrecondition));
  file.force = true;
  ASSERT_OK_AND_ASSIGN(InitResult r, InitAk(*device_, *state_, file, clock_));
  EXPECT_TRUE(r.created);
  EXPECT_THAT(device_->LoadPersistent(kAkHandle).status(), StatusIs(Code::kNotFound));
  ASSERT_OK(LoadAkFromState(*device_, *state_).status());
}

TEST_F(StateIntegrationTest, TakenPersistentHandleRefusedUnlessForceEvicts) {
  // Another key (not named by any record) at the handle.
  Bytes foreign_public;
  {
    ASSERT_OK_AND_ASSIGN(TpmObject ek, device_->LoadEk(EkKind::kRsa));
    ASSERT_OK_AND_ASSIGN(tpm_device::AkBlob blob, device_->CreateAk(ek, AkKind::kEccP256));
    ASSERT_OK_AND_ASSIGN(TpmObject key, device_->LoadAk(ek, blob));
    ASSERT_OK(device_->Persist(key, kAkHandle));
    foreign_public = blob.public_area;
  }
  AkOptions options;
  options.kind = AkKind::kEccP256;
  options.storage = AkStorage::kPersistentHandle;
  options.persistent_handle = kAkHandle;
  EXPECT_THAT(InitAk(*device_, *state_, options, clock_),
              StatusIs(Code::kFailedPrecondition, HasSubstr("0x81000120 already holds a key")));
  ASSERT_OK_AND_ASSIGN(std::optional<Bytes> no_record, state_->Read(kAkRecordFile));
  EXPECT_FALSE(no_record.has_value());

  options.force = true;
  ASSERT_OK_AND_ASSIGN(InitResult r, InitAk(*device_, *state_, options, clock_));
  EXPECT_TRUE(r.created);
  EXPECT_NE(r.record.blob.public_area, foreign_public);
  // A new device: tpm2-tss 3.2 keeps the ESYS_TR of an evicted persistent
  // object, and Esys_TR_FromTPMPublic of the same handle on the same context
  // then fails (0x70001) once a new key sits there. The agent runs init in
  // its own process, so only this test meets it; core/tpm_device's Evict
  // should Esys_TR_Close the handle after success.
  Restart();
  {
    ASSERT_OK_AND_ASSIGN(TpmObject at_handle, device_->LoadPersistent(kAkHandle));
    EXPECT_EQ(at_handle.public_area(), r.record.blob.public_area);
  }
  EXPECT_EQ(Counts(*device_), (LoadedHandleCounts{0, 0}));
}

TEST_F(StateIntegrationTest, RecordFromAnotherTpmFailsToLoadWithClearError) {
  ASSERT_OK(InitAk(*device_, *state_, AkOptions{}, clock_).status());
  ASSERT_OK_AND_ASSIGN(auto other_tpm, SwtpmInstance::Start({.fresh = true}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> other, OpenEsysTpmDevice(other_tpm->Tcti()));

  EXPECT_THAT(LoadAkFromState(*other, *state_),
              StatusIs(Code::kInvalidArgument, HasSubstr("load the AK of " + state_path_ +
                                                         "/ak.json (made by another TPM")));
  EXPECT_THAT(InitAk(*other, *state_, AkOptions{}, clock_),
              StatusIs(Code::kFailedPrecondition, HasSubstr("does not load in this TPM")));
  EXPECT_EQ(Counts(*other), (LoadedHandleCounts{0, 0}));

  AkOptions force;
  force.force = true;
  ASSERT_OK_AND_ASSIGN(InitResult r, InitAk(*other, *state_, force, clock_));
  EXPECT_TRUE(r.created);
  ASSERT_OK(LoadAkFromState(*other, *state_).status());
  // And now the first TPM cannot load it.
  EXPECT_THAT(LoadAkFromState(*device_, *state_), StatusIs(Code::kInvalidArgument));
}

TEST_F(StateIntegrationTest, PersistentRecordOnAnotherTpmIsNotFound) {
  AkOptions options;
  options.kind = AkKind::kEccP256;
  options.storage = AkStorage::kPersistentHandle;
  options.persistent_handle = kAkHandle;
  ASSERT_OK(InitAk(*device_, *state_, options, clock_).status());
  ASSERT_OK_AND_ASSIGN(auto other_tpm, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> other, OpenEsysTpmDevice(other_tpm->Tcti()));
  EXPECT_THAT(LoadAkFromState(*other, *state_),
              StatusIs(Code::kNotFound, HasSubstr("persistent handle 0x81000120")));
}

// The verifier's side of enrollment, in software: checks the request and
// makes the credential challenge (as verifier/ will).
struct SoftwareVerifier {
  crypto::OpenSslRandom random;
  Bytes secret;

  Result<protocol::EnrollmentChallenge> Challenge(const protocol::EnrollmentRequest& request,
                                                  ByteView ak_name, const std::string& id) {
    VOUCH_ASSIGN_OR_RETURN(tpm::TpmPublic ek, tpm::TpmPublic::DecodeTpm2b(request.ek_public));
    secret.assign(32, 0);
    VOUCH_RETURN_IF_ERROR(random.Fill(secret));
    VOUCH_ASSIGN_OR_RETURN(
        crypto::MadeCredential made,
        crypto::MakeCredential(ek.key(), ek.name_alg(), ak_name, secret, random));
    return protocol::EnrollmentChallenge{id, made.credential_blob, made.encrypted_secret,
                                         "2026-11-28T09:00:00Z"};
  }
};

// The EK certificate chains to the swtpm CA and certifies the EK public.
void ExpectCertificateMatchesEk(const SwtpmInstance& tpm, const protocol::EnrollmentRequest& r) {
  ASSERT_TRUE(r.ek_certificate.has_value());
  ASSERT_OK_AND_ASSIGN(::vouch::testing::CaFiles ca, ::vouch::testing::LoadCa(tpm));
  ASSERT_OK_AND_ASSIGN(crypto::Certificate cert, crypto::Certificate::FromDer(*r.ek_certificate));
  EXPECT_OK(
      crypto::VerifyChain(cert, ca.intermediates, ca.store, std::chrono::system_clock::now()));
  ASSERT_OK_AND_ASSIGN(crypto::PublicKey cert_key, cert.Key());
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic ek, tpm::TpmPublic::DecodeTpm2b(r.ek_public));
  EXPECT_EQ(cert_key.ToSpkiDer(), ek.key().ToSpkiDer());
}

class EnrollmentTest : public StateIntegrationTest, public ::testing::WithParamInterface<AkKind> {};

TEST_P(EnrollmentTest, RoundTripAgainstSoftwareVerifier) {
  AkOptions options;
  options.kind = GetParam();
  ASSERT_OK(InitAk(*device_, *state_, options, clock_).status());
  ASSERT_OK_AND_ASSIGN(LoadedAk ak, LoadAkFromState(*device_, *state_));

  // Host facts from a scratch root, as the agent would send them.
  const fs::path root = tpm_->WorkDir() / "root";
  fs::create_directories(root / "etc");
  { std::ofstream(root / "etc/machine-id") << "00112233445566778899aabbccddeeff\n"; }
  AgentConfig config;
  config.hostname = "enroll-test";
  config.labels = {{"rack", "r7"}};
  const protocol::HostFacts facts = SystemHostFacts(config, root.string()).Facts();

  // Agent → verifier: the request, through the wire encoding.
  ASSERT_OK_AND_ASSIGN(protocol::EnrollmentRequest built,
                       BuildEnrollmentRequest(*device_, ak, facts));
  ASSERT_OK_AND_ASSIGN(std::string request_json, protocol::EncodeEnrollmentRequest(built));
  ASSERT_OK_AND_ASSIGN(protocol::EnrollmentRequest request,
                       protocol::DecodeEnrollmentRequest(request_json));
  EXPECT_EQ(request.ek_public, built.ek_public);
  EXPECT_EQ(request.ak_public, ak.record.blob.public_area);
  EXPECT_EQ(request.host.hostname, "enroll-test");
  EXPECT_EQ(request.host.machine_id, "00112233445566778899aabbccddeeff");
  EXPECT_EQ(request.host.labels, config.labels);
  EXPECT_EQ(request.host.agent_version, AgentVersion());
  ExpectCertificateMatchesEk(*tpm_, request);

  // Verifier: AK name from the request, credential to the EK.
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic ak_pub, tpm::TpmPublic::DecodeTpm2b(request.ak_public));
  EXPECT_TRUE(ak_pub.IsRestrictedSigningKey());
  EXPECT_EQ(ak_pub.name(), ak.record.name);
  SoftwareVerifier verifier;
  ASSERT_OK_AND_ASSIGN(protocol::EnrollmentChallenge made,
                       verifier.Challenge(request, ak_pub.name(), "enr-0001"));
  ASSERT_OK_AND_ASSIGN(std::string challenge_json, protocol::EncodeEnrollmentChallenge(made));
  ASSERT_OK_AND_ASSIGN(protocol::EnrollmentChallenge challenge,
                       protocol::DecodeEnrollmentChallenge(challenge_json));

  // Agent: activate and prove.
  ASSERT_OK_AND_ASSIGN(protocol::ActivationRequest answer,
                       AnswerChallenge(*device_, ak, challenge));
  ASSERT_OK_AND_ASSIGN(std::string answer_json, protocol::EncodeActivationRequest(answer));
  EXPECT_THAT(answer_json, Not(HasSubstr(HexEncode(verifier.secret))));
  EXPECT_THAT(answer_json, Not(HasSubstr(Base64Encode(verifier.secret))));
  ASSERT_OK_AND_ASSIGN(protocol::ActivationRequest received,
                       protocol::DecodeActivationRequest(answer_json));

  // Verifier: the proof matches.
  ASSERT_OK_AND_ASSIGN(
      Bytes expected, protocol::ComputeActivationProof(verifier.secret, "enr-0001", ak_pub.name()));
  EXPECT_TRUE(ConstantTimeEqual(received.proof, expected));
  EXPECT_EQ(Counts(*device_), (LoadedHandleCounts{1, 0}));  // only the AK

  // A challenge made for another AK's name is refused by the TPM.
  Bytes other_name = ak_pub.name();
  other_name.back() ^= 1;
  ASSERT_OK_AND_ASSIGN(protocol::EnrollmentChallenge wrong,
                       verifier.Challenge(request, other_name, "enr-0002"));
  EXPECT_THAT(
      AnswerChallenge(*device_, ak, wrong),
      StatusIs(Code::kInvalidArgument, HasSubstr("not made for this TPM's EK and this AK")));
  EXPECT_EQ(Counts(*device_), (LoadedHandleCounts{1, 0}));

  // The agent remembers the result.
  ASSERT_OK(SaveEnrollment(*state_, {"host-0001", "https://verifier.example:8443",
                                     "2026-11-28T08:30:00Z", ak.record.name}));
  Restart();
  ASSERT_OK_AND_ASSIGN(std::optional<EnrollmentState> saved, LoadEnrollment(*state_));
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(saved->host_id, "host-0001");
  EXPECT_EQ(saved->ak_name, ak_pub.name());
}

INSTANTIATE_TEST_SUITE_P(Kinds, EnrollmentTest,
                         ::testing::Values(AkKind::kRsa2048, AkKind::kEccP256),
                         [](const auto& info) {
                           return info.param == AkKind::kRsa2048 ? "RsaAk" : "EccAk";
                         });

// Real TPMs often have no persistent EK: LoadEk then creates it from the TCG
// template, and it takes a transient slot beside the AK (2 of swtpm's 3).
TEST_F(StateIntegrationTest, WorksWithTransientEkWithinTwoObjectSlots) {
  device_.reset();  // tpm2-tools needs the connection
  ASSERT_OK(tpm_->RunTool({"tpm2_evictcontrol", "-C", "o", "-c", "0x81010001"}).status());
  ASSERT_OK_AND_ASSIGN(device_, OpenEsysTpmDevice(tpm_->Tcti()));
  ASSERT_OK_AND_ASSIGN(InitResult init, InitAk(*device_, *state_, AkOptions{}, clock_));
  EXPECT_EQ(Counts(*device_), (LoadedHandleCounts{0, 0}));
  ASSERT_OK_AND_ASSIGN(InitResult again, InitAk(*device_, *state_, AkOptions{}, clock_));
  EXPECT_FALSE(again.created);
  Restart();
  {
    ASSERT_OK_AND_ASSIGN(LoadedAk ak, LoadAkFromState(*device_, *state_));
    EXPECT_EQ(Counts(*device_), (LoadedHandleCounts{2, 0}));
    ExpectQuoteVerifies(*device_, ak.ak, init.record.blob.public_area);

    // The template EK is the certified one (same seed, same template).
    protocol::HostFacts facts;
    facts.hostname = "h";
    facts.agent_version = AgentVersion();
    ASSERT_OK_AND_ASSIGN(protocol::EnrollmentRequest request,
                         BuildEnrollmentRequest(*device_, ak, facts));
    ExpectCertificateMatchesEk(*tpm_, request);
    SoftwareVerifier verifier;
    ASSERT_OK_AND_ASSIGN(protocol::EnrollmentChallenge challenge,
                         verifier.Challenge(request, ak.record.name, "enr-transient"));
    ASSERT_OK_AND_ASSIGN(protocol::ActivationRequest answer,
                         AnswerChallenge(*device_, ak, challenge));
    ASSERT_OK_AND_ASSIGN(Bytes expected, protocol::ComputeActivationProof(
                                             verifier.secret, "enr-transient", ak.record.name));
    EXPECT_EQ(answer.proof, expected);
    EXPECT_EQ(Counts(*device_), (LoadedHandleCounts{2, 0}));
  }
  EXPECT_EQ(Counts(*device_), (LoadedHandleCounts{0, 0}));
}

TEST_F(StateIntegrationTest, EnrollmentRequestWithEccEkCarriesItsCertificate) {
  AkOptions options;
  options.kind = AkKind::kEccP256;
  options.ek_kind = EkKind::kEcc;
  ASSERT_OK(InitAk(*device_, *state_, options, clock_).status());
  ASSERT_OK_AND_ASSIGN(LoadedAk ak, LoadAkFromState(*device_, *state_));
  protocol::HostFacts facts;
  facts.hostname = "h";
  facts.agent_version = AgentVersion();
  ASSERT_OK_AND_ASSIGN(protocol::EnrollmentRequest request,
                       BuildEnrollmentRequest(*device_, ak, facts));
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic ek, tpm::TpmPublic::DecodeTpm2b(request.ek_public));
  EXPECT_EQ(ek.alg(), tpm::KeyAlg::kEcc);
  ExpectCertificateMatchesEk(*tpm_, request);
  ASSERT_OK(protocol::EncodeEnrollmentRequest(request).status());
}

TEST_F(StateIntegrationTest, EnrollmentRequestWithoutEkCertificate) {
  ASSERT_OK(InitAk(*device_, *state_, AkOptions{}, clock_).status());
  // A TPM without an EK certificate: undefine the NV index (tpm2-tools runs
  // only while no device holds the connection).
  device_.reset();
  ASSERT_OK(tpm_->RunTool({"tpm2_nvundefine", "-C", "p", "0x01c00002"}).status());
  ASSERT_OK_AND_ASSIGN(device_, OpenEsysTpmDevice(tpm_->Tcti()));
  ASSERT_OK_AND_ASSIGN(LoadedAk ak, LoadAkFromState(*device_, *state_));
  protocol::HostFacts facts;
  facts.hostname = "h";
  facts.agent_version = AgentVersion();
  ASSERT_OK_AND_ASSIGN(protocol::EnrollmentRequest request,
                       BuildEnrollmentRequest(*device_, ak, facts));
  EXPECT_FALSE(request.ek_certificate.has_value());
  ASSERT_OK_AND_ASSIGN(std::string json, protocol::EncodeEnrollmentRequest(request));
  ASSERT_OK_AND_ASSIGN(protocol::EnrollmentRequest decoded,
                       protocol::DecodeEnrollmentRequest(json));
  EXPECT_FALSE(decoded.ek_certificate.has_value());
}

}  // namespace
}  // namespace vouch::agent
