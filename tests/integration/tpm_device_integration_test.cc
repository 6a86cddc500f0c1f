// The ESAPI TpmDevice (core/tpm_device) against swtpm: PCR read and extend
// compared with tpm2-tools, EK certificates from NV, AK creation and reload,
// quotes verified with core/tpm, reboot visible in clockInfo, and no handle or
// session leaks over many quotes.
//
// swtpm serves one command connection at a time, so tpm2-tools runs only
// while no device is open.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/crypto/digest.h"
#include "core/crypto/make_credential.h"
#include "core/crypto/public_key.h"
#include "core/crypto/random.h"
#include "core/crypto/x509.h"
#include "core/tpm/attest.h"
#include "core/tpm/pcr.h"
#include "core/tpm/public.h"
#include "core/tpm/quote.h"
#include "core/tpm_device/esys_tpm_device.h"
#include "core/tpm_device/tpm_device.h"
#include "tests/integration/tpm2_tools_helpers.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"

namespace vouch::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using tpm_device::AkBlob;
using tpm_device::AkKind;
using tpm_device::EkKind;
using tpm_device::OpenEsysTpmDevice;
using tpm_device::TpmDevice;
using tpm_device::TpmObject;
using tpm_device::TpmQuote;

// Consecutive quotes in the leak test, as the issue asks: with the P-256 AK
// (about 0.5 ms per quote on swtpm, against 2-3 ms for RSA-2048) they take
// a few seconds. A single leaked object or session per quote would fill
// swtpm's 3 object slots within the first quotes.
constexpr int kLeakTestQuotes = 10000;
// RSA quotes after them: the RSA figure and the same leak check.
constexpr int kRsaQuotes = 200;

std::vector<tpm::PcrSelection> AllPcrs() {
  std::vector<uint32_t> pcrs;
  for (uint32_t i = 0; i < tpm::kNumPcrs; ++i) pcrs.push_back(i);
  return {{HashAlg::kSha1, pcrs}, {HashAlg::kSha256, pcrs}};
}

Bytes Nonce(uint8_t fill) { return Bytes(32, fill); }

// Quotes all PCRs with `ak`, reads them and verifies the quote with core/tpm.
// Returns the decoded attest; fails the test on any finding.
std::optional<tpm::Attest> QuoteAndVerify(TpmDevice& device, const TpmObject& ak, uint8_t fill) {
  const Bytes nonce = Nonce(fill);
  Result<TpmQuote> quote = device.Quote(ak, nonce, AllPcrs());
  EXPECT_OK(quote.status());
  Result<tpm::PcrValues> pcrs = device.ReadPcrs(AllPcrs());
  EXPECT_OK(pcrs.status());
  Result<tpm::TpmPublic> ak_public = tpm::TpmPublic::DecodeTpm2b(ak.public_area());
  EXPECT_OK(ak_public.status());
  if (!quote || !pcrs || !ak_public) return std::nullopt;
  Result<tpm::QuoteVerification> verification =
      tpm::VerifyQuote(*ak_public, {quote->attest, quote->signature, *pcrs}, nonce, AllPcrs());
  EXPECT_OK(verification.status());
  if (!verification) return std::nullopt;
  for (const Finding& f : verification->findings) ADD_FAILURE() << f.id << ": " << f.message;
  EXPECT_TRUE(verification->verified.has_value());
  if (verification->verified.has_value()) EXPECT_EQ(verification->verified->values(), *pcrs);
  return verification->attest;
}

TEST(TpmDeviceIntegrationTest, ReadPcrsEqualsTpm2Pcrread) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  ASSERT_OK(ExtendBothBanks(*tpm, 16, 0xab));
  ASSERT_OK(ExtendBothBanks(*tpm, 23, 0xcd));
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues expected, ReadPcrsWithTool(*tpm, AllPcrsSelection()));

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> device, OpenEsysTpmDevice(tpm->Tcti()));
  ASSERT_OK_AND_ASSIGN(std::vector<HashAlg> banks, device->ActiveBanks());
  EXPECT_THAT(banks, ElementsAre(HashAlg::kSha1, HashAlg::kSha256));
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues pcrs, device->ReadPcrs(AllPcrs()));
  EXPECT_EQ(pcrs, expected);
  EXPECT_EQ(pcrs.banks().at(HashAlg::kSha256).size(), 24u);

  ASSERT_OK_AND_ASSIGN(tpm::PcrValues one, device->ReadPcrs({{HashAlg::kSha256, {16}}}));
  EXPECT_EQ(*one.Get(HashAlg::kSha256, 16), *expected.Get(HashAlg::kSha256, 16));
  EXPECT_EQ(one.Get(HashAlg::kSha1, 16), nullptr);
}

TEST(TpmDeviceIntegrationTest, ReadPcrsRejectsBadIndexAndInactiveBank) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> device, OpenEsysTpmDevice(tpm->Tcti()));
  EXPECT_THAT(device->ReadPcrs({{HashAlg::kSha256, {24}}}).status(),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(device->ReadPcrs({{HashAlg::kSha384, {0}}}).status(),
              StatusIs(Code::kFailedPrecondition));
}

TEST(TpmDeviceIntegrationTest, ExtendPcrHashesOldValueWithDigest) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> device, OpenEsysTpmDevice(tpm->Tcti()));
  const std::vector<tpm::PcrSelection> pcr16 = {{HashAlg::kSha1, {16}}, {HashAlg::kSha256, {16}}};
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues before, device->ReadPcrs(pcr16));

  ASSERT_OK_AND_ASSIGN(Bytes d1, crypto::Digest(HashAlg::kSha1, ToBytes("event")));
  ASSERT_OK_AND_ASSIGN(Bytes d256, crypto::Digest(HashAlg::kSha256, ToBytes("event")));
  ASSERT_OK(device->ExtendPcr(16, {{HashAlg::kSha1, d1}, {HashAlg::kSha256, d256}}));

  ASSERT_OK_AND_ASSIGN(tpm::PcrValues after, device->ReadPcrs(pcr16));
  for (const auto& [bank, digest] : {std::pair{HashAlg::kSha1, d1}, {HashAlg::kSha256, d256}}) {
    Bytes input = *before.Get(bank, 16);
    input.insert(input.end(), digest.begin(), digest.end());
    ASSERT_OK_AND_ASSIGN(Bytes expected, crypto::Digest(bank, input));
    EXPECT_EQ(*after.Get(bank, 16), expected) << HashAlgName(bank);
  }

  EXPECT_THAT(device->ExtendPcr(24, {{HashAlg::kSha256, d256}}), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(device->ExtendPcr(16, {{HashAlg::kSha256, d1}}), StatusIs(Code::kInvalidArgument));
}

TEST(TpmDeviceIntegrationTest, LocalityControlsWhoMayExtendPcr17) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> device, OpenEsysTpmDevice(tpm->Tcti()));
  ASSERT_OK_AND_ASSIGN(Bytes d256, crypto::Digest(HashAlg::kSha256, ToBytes("launch")));
  EXPECT_THAT(device->ExtendPcr(17, {{HashAlg::kSha256, d256}}),
              StatusIs(Code::kFailedPrecondition, HasSubstr("Esys_PCR_Extend")));

  ASSERT_OK_AND_ASSIGN(tpm::PcrValues before, device->ReadPcrs({{HashAlg::kSha256, {17}}}));
  ASSERT_OK(device->SetLocality(2));
  ASSERT_OK(device->ExtendPcr(17, {{HashAlg::kSha256, d256}}));
  ASSERT_OK(device->SetLocality(0));
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues after, device->ReadPcrs({{HashAlg::kSha256, {17}}}));
  EXPECT_NE(*after.Get(HashAlg::kSha256, 17), *before.Get(HashAlg::kSha256, 17));
  EXPECT_THAT(device->SetLocality(5), StatusIs(Code::kInvalidArgument));
}

TEST(TpmDeviceIntegrationTest, EkCertificatesFromNvMatchFilesAndVerify) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(CaFiles ca, LoadCa(*tpm));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> device, OpenEsysTpmDevice(tpm->Tcti()));
  struct Case {
    uint32_t nv_index;
    uint32_t ek_handle;
    std::filesystem::path file;
  };
  for (const Case& c : {Case{tpm_device::kRsaEkCertNvIndex, tpm_device::kRsaEkPersistentHandle,
                             tpm->RsaEkCertPath()},
                        Case{tpm_device::kEccEkCertNvIndex, tpm_device::kEccEkPersistentHandle,
                             tpm->EcEkCertPath()}}) {
    ASSERT_OK_AND_ASSIGN(Bytes nv, device->ReadNv(c.nv_index));
    ASSERT_OK_AND_ASSIGN(Bytes file, ReadFileBytes(c.file));
    EXPECT_EQ(nv, file);
    ASSERT_OK_AND_ASSIGN(crypto::Certificate cert, crypto::Certificate::FromDer(nv));
    EXPECT_OK(
        crypto::VerifyChain(cert, ca.intermediates, ca.store, std::chrono::system_clock::now()));

    // The certificate certifies the persistent EK.
    ASSERT_OK_AND_ASSIGN(Bytes ek_public, device->ReadPublic(c.ek_handle));
    ASSERT_OK_AND_ASSIGN(tpm::TpmPublic ek, tpm::TpmPublic::DecodeTpm2b(ek_public));
    ASSERT_OK_AND_ASSIGN(crypto::PublicKey cert_key, cert.Key());
    EXPECT_EQ(cert_key.ToSpkiDer(), ek.key().ToSpkiDer());
  }
  EXPECT_THAT(device->ReadNv(0x01c0ff00).status(), StatusIs(Code::kNotFound));
  EXPECT_THAT(device->ReadPublic(0x81017777).status(), StatusIs(Code::kNotFound));
}

class TpmDeviceAkTest : public ::testing::TestWithParam<std::pair<EkKind, AkKind>> {};

TEST_P(TpmDeviceAkTest, QuoteVerifiesWithCoreVerifier) {
  const auto [ek_kind, ak_kind] = GetParam();
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> device, OpenEsysTpmDevice(tpm->Tcti()));
  ASSERT_OK_AND_ASSIGN(TpmObject ek, device->LoadEk(ek_kind));
  ASSERT_OK_AND_ASSIGN(AkBlob blob, device->CreateAk(ek, ak_kind));
  ASSERT_OK_AND_ASSIGN(TpmObject ak, device->LoadAk(ek, blob));
  EXPECT_EQ(ak.public_area(), blob.public_area);
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic ak_public, tpm::TpmPublic::DecodeTpm2b(blob.public_area));
  EXPECT_TRUE(ak_public.IsRestrictedSigningKey());
  EXPECT_EQ(ak_public.alg(), ak_kind == AkKind::kRsa2048 ? tpm::KeyAlg::kRsa : tpm::KeyAlg::kEcc);

  std::optional<tpm::Attest> attest = QuoteAndVerify(*device, ak, 0x5a);
  ASSERT_TRUE(attest.has_value());
  EXPECT_EQ(attest->extra_data, Nonce(0x5a));

  // A nonce longer than TPM2B_DATA allows is refused before the TPM.
  EXPECT_THAT(device->Quote(ak, Bytes(65, 1), AllPcrs()).status(),
              StatusIs(Code::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(Kinds, TpmDeviceAkTest,
                         ::testing::Values(std::pair{EkKind::kRsa, AkKind::kRsa2048},
                                           std::pair{EkKind::kRsa, AkKind::kEccP256},
                                           std::pair{EkKind::kEcc, AkKind::kEccP256}),
                         [](const auto& info) {
                           return std::string(info.param.first == EkKind::kRsa ? "RsaEk"
                                                                               : "EccEk") +
                                  (info.param.second == AkKind::kRsa2048 ? "RsaAk" : "EccAk");
                         });

TEST(TpmDeviceIntegrationTest, AkReloadsAfterDeviceIsReopened) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  AkBlob blob;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> device, OpenEsysTpmDevice(tpm->Tcti()));
    ASSERT_OK_AND_ASSIGN(TpmObject ek, device->LoadEk(EkKind::kRsa));
    ASSERT_OK_AND_ASSIGN(blob, device->CreateAk(ek, AkKind::kRsa2048));
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> device, OpenEsysTpmDevice(tpm->Tcti()));
  ASSERT_OK_AND_ASSIGN(TpmObject ek, device->LoadEk(EkKind::kRsa));
  ASSERT_OK_AND_ASSIGN(TpmObject ak, device->LoadAk(ek, blob));
  EXPECT_TRUE(QuoteAndVerify(*device, ak, 1).has_value());

  // Bad blobs and objects from another device are refused.
  AkBlob truncated = blob;
  truncated.private_area.pop_back();
  EXPECT_THAT(device->LoadAk(ek, truncated).status(), StatusIs(Code::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> other, OpenEsysTpmDevice(tpm->Tcti()));
  EXPECT_THAT(other->Quote(ak, Nonce(1), AllPcrs()).status(), StatusIs(Code::kInvalidArgument));
}

TEST(TpmDeviceIntegrationTest, RebootShowsAsResetCountInNextQuote) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> device, OpenEsysTpmDevice(tpm->Tcti()));
  ASSERT_OK_AND_ASSIGN(TpmObject ek, device->LoadEk(EkKind::kRsa));
  ASSERT_OK_AND_ASSIGN(AkBlob blob, device->CreateAk(ek, AkKind::kEccP256));
  ASSERT_OK_AND_ASSIGN(TpmObject ak, device->LoadAk(ek, blob));
  std::optional<tpm::Attest> first = QuoteAndVerify(*device, ak, 1);
  ASSERT_TRUE(first.has_value());

  ASSERT_OK(tpm->Reboot());
  ASSERT_OK(device->Startup());
  ak.Reset();  // the reset flushed it from the TPM; releasing must still work
  ASSERT_OK_AND_ASSIGN(ak, device->LoadAk(ek, blob));
  std::optional<tpm::Attest> second = QuoteAndVerify(*device, ak, 2);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->clock_info.reset_count, first->clock_info.reset_count + 1);
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues pcrs, device->ReadPcrs({{HashAlg::kSha256, {0, 17}}}));
  EXPECT_EQ(*pcrs.Get(HashAlg::kSha256, 0), Bytes(32, 0));
  EXPECT_EQ(*pcrs.Get(HashAlg::kSha256, 17), Bytes(32, 0xff));
}

TEST(TpmDeviceIntegrationTest, ManyQuotesLeaveNoObjectsOrSessions) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> device, OpenEsysTpmDevice(tpm->Tcti()));
  ASSERT_OK_AND_ASSIGN(tpm_device::LoadedHandleCounts empty, device->CountLoadedHandles());
  EXPECT_EQ(empty, (tpm_device::LoadedHandleCounts{0, 0}));
  struct Run {
    AkKind kind;
    int quotes;
    const char* name;
  };
  for (const Run& run : {Run{AkKind::kEccP256, kLeakTestQuotes, "P-256"},
                         Run{AkKind::kRsa2048, kRsaQuotes, "RSA-2048"}}) {
    ASSERT_OK_AND_ASSIGN(TpmObject ek, device->LoadEk(EkKind::kRsa));
    ASSERT_OK_AND_ASSIGN(AkBlob blob, device->CreateAk(ek, run.kind));
    ASSERT_OK_AND_ASSIGN(TpmObject ak, device->LoadAk(ek, blob));
    ASSERT_OK_AND_ASSIGN(tpm_device::LoadedHandleCounts loaded, device->CountLoadedHandles());
    EXPECT_EQ(loaded, (tpm_device::LoadedHandleCounts{1, 0}));  // the AK; the EK is persistent

    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < run.quotes; ++i) {
      Bytes nonce = Nonce(static_cast<uint8_t>(i));
      nonce[0] = static_cast<uint8_t>(i >> 8);
      ASSERT_OK(device->Quote(ak, nonce, AllPcrs()).status()) << run.name << " quote " << i;
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("%d %s quotes (sha1+sha256, PCRs 0-23): %.3f ms each\n", run.quotes, run.name,
                ms / run.quotes);
    ASSERT_OK_AND_ASSIGN(tpm_device::LoadedHandleCounts after, device->CountLoadedHandles());
    EXPECT_EQ(after, loaded) << run.name;
    // The last quote still verifies: the TPM did real work throughout.
    EXPECT_TRUE(QuoteAndVerify(*device, ak, 0x77).has_value()) << run.name;
  }
  ASSERT_OK_AND_ASSIGN(tpm_device::LoadedHandleCounts end, device->CountLoadedHandles());
  EXPECT_EQ(end, empty);
}

TEST(TpmDeviceIntegrationTest, EkIsCreatedFromTemplateWhenNotPersisted) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  ASSERT_OK(tpm->RunTool({"tpm2_evictcontrol", "-C", "o", "-c", "0x81010016"}).status());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> device, OpenEsysTpmDevice(tpm->Tcti()));
  {
    ASSERT_OK_AND_ASSIGN(TpmObject ek, device->LoadEk(EkKind::kEcc));
    ASSERT_OK_AND_ASSIGN(tpm::TpmPublic ek_public, tpm::TpmPublic::DecodeTpm2b(ek.public_area()));
    EXPECT_EQ(ek_public.alg(), tpm::KeyAlg::kEcc);
    ASSERT_OK_AND_ASSIGN(AkBlob blob, device->CreateAk(ek, AkKind::kEccP256));
    ASSERT_OK_AND_ASSIGN(TpmObject ak, device->LoadAk(ek, blob));
    ASSERT_OK_AND_ASSIGN(tpm_device::LoadedHandleCounts loaded, device->CountLoadedHandles());
    EXPECT_EQ(loaded, (tpm_device::LoadedHandleCounts{2, 0}));
    EXPECT_TRUE(QuoteAndVerify(*device, ak, 7).has_value());
  }
  ASSERT_OK_AND_ASSIGN(tpm_device::LoadedHandleCounts end, device->CountLoadedHandles());
  EXPECT_EQ(end, (tpm_device::LoadedHandleCounts{0, 0}));
}

TEST(TpmDeviceIntegrationTest, ActivateCredentialRecoversSoftwareMadeSecret) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> device, OpenEsysTpmDevice(tpm->Tcti()));
  ASSERT_OK_AND_ASSIGN(TpmObject ek, device->LoadEk(EkKind::kRsa));
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic ek_public, tpm::TpmPublic::DecodeTpm2b(ek.public_area()));
  ASSERT_OK_AND_ASSIGN(AkBlob blob, device->CreateAk(ek, AkKind::kRsa2048));
  ASSERT_OK_AND_ASSIGN(TpmObject ak, device->LoadAk(ek, blob));
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic ak_public, tpm::TpmPublic::DecodeTpm2b(blob.public_area));
  crypto::OpenSslRandom random;
  const Bytes secret = ToBytes("vouch-enrollment-challenge");
  ASSERT_OK_AND_ASSIGN(crypto::MadeCredential made,
                       crypto::MakeCredential(ek_public.key(), ek_public.name_alg(),
                                              ak_public.name(), secret, random));
  ASSERT_OK_AND_ASSIGN(Bytes recovered, device->ActivateCredential(ak, ek, made.credential_blob,
                                                                   made.encrypted_secret));
  EXPECT_EQ(recovered, secret);

  // A credential for another AK name does not activate.
  Bytes other_name = ak_public.name();
  other_name.back() ^= 1;
  ASSERT_OK_AND_ASSIGN(
      crypto::MadeCredential other,
      crypto::MakeCredential(ek_public.key(), ek_public.name_alg(), other_name, secret, random));
  EXPECT_THAT(
      device->ActivateCredential(ak, ek, other.credential_blob, other.encrypted_secret).status(),
      StatusIs(Code::kInvalidArgument, HasSubstr("Esys_ActivateCredential")));
  EXPECT_THAT(device->ActivateCredential(ak, ek, Bytes{0, 9}, made.encrypted_secret).status(),
              StatusIs(Code::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(tpm_device::LoadedHandleCounts counts, device->CountLoadedHandles());
  EXPECT_EQ(counts, (tpm_device::LoadedHandleCounts{1, 0}));
}

TEST(TpmDeviceIntegrationTest, PersistedAkSurvivesReopenUntilEvicted) {
  constexpr uint32_t kAkHandle = 0x81000100;
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  Bytes ak_public;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> device, OpenEsysTpmDevice(tpm->Tcti()));
    ASSERT_OK_AND_ASSIGN(TpmObject ek, device->LoadEk(EkKind::kRsa));
    ASSERT_OK_AND_ASSIGN(AkBlob blob, device->CreateAk(ek, AkKind::kEccP256));
    ASSERT_OK_AND_ASSIGN(TpmObject ak, device->LoadAk(ek, blob));
    ASSERT_OK(device->Persist(ak, kAkHandle));
    EXPECT_THAT(device->Persist(ak, kAkHandle), StatusIs(Code::kFailedPrecondition));
    EXPECT_THAT(device->Persist(ak, 0x80000001), StatusIs(Code::kInvalidArgument));
    ak_public = blob.public_area;
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> device, OpenEsysTpmDevice(tpm->Tcti()));
  {
    ASSERT_OK_AND_ASSIGN(TpmObject ak, device->LoadPersistent(kAkHandle));
    EXPECT_EQ(ak.public_area(), ak_public);
    EXPECT_TRUE(QuoteAndVerify(*device, ak, 3).has_value());
  }
  ASSERT_OK_AND_ASSIGN(tpm_device::LoadedHandleCounts counts, device->CountLoadedHandles());
  EXPECT_EQ(counts, (tpm_device::LoadedHandleCounts{0, 0}));
  ASSERT_OK(device->Evict(kAkHandle));
  EXPECT_THAT(device->LoadPersistent(kAkHandle).status(), StatusIs(Code::kNotFound));
  EXPECT_THAT(device->Evict(kAkHandle), StatusIs(Code::kNotFound));
}

TEST(TpmDeviceIntegrationTest, OpenFailsWhenNothingListens) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  const std::string tcti = tpm->Tcti();
  ASSERT_OK(tpm->Stop());
  EXPECT_THAT(OpenEsysTpmDevice(tcti).status(), StatusIs(Code::kUnavailable));
  EXPECT_THAT(OpenEsysTpmDevice("").status(), StatusIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace vouch::testing
