// EvidenceCollector on a real TPM (swtpm through the ESAPI TpmDevice), with
// RSA and ECC AKs created under the EK: evidence that survives the JSON
// encoding and verifies with core's VerifyQuote and with tpm2_checkquote, a
// reboot seen as resetCount + 1, a PCR 15 measurement between two
// collections, log files carried byte for byte, and no leaked TPM handles
// over 2,000 collections. Also: FakeTpmDevice quotes pass tpm2_checkquote, so
// the unit tests' fake produces real TPM structures.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/evidence_collector.h"
#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/crypto/digest.h"
#include "core/protocol/evidence.h"
#include "core/tpm/attest.h"
#include "core/tpm/pcr.h"
#include "core/tpm/public.h"
#include "core/tpm/quote.h"
#include "core/tpm_device/esys_tpm_device.h"
#include "core/tpm_device/tpm_device.h"
#include "tests/testing/agent_fakes.h"
#include "tests/testing/fake_tpm_device.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"

namespace vouch::testing {
namespace {

namespace fs = std::filesystem;
using agent::EvidenceCollector;
using agent::FileEventLogSource;
using tpm_device::AkBlob;
using tpm_device::AkKind;
using tpm_device::EkKind;
using tpm_device::TpmDevice;
using tpm_device::TpmObject;

// Collections in the handle-leak check (ECC AK, about 1 ms each on swtpm).
constexpr int kLeakTestCollections = 2000;

protocol::HostFacts SwtpmHostFacts() {
  protocol::HostFacts facts;
  facts.hostname = "swtpm-host";
  facts.machine_id = "00112233445566778899aabbccddeeff";
  facts.agent_version = "0.1.0";
  facts.hypervisor = protocol::HypervisorKind::kNone;
  facts.measured_launch = protocol::MeasuredLaunch::kEmulated;
  return facts;
}

Bytes Nonce(uint8_t fill) { return Bytes(32, fill); }

// The evidence after the wire: encoded by the agent, decoded by a verifier.
Result<protocol::Evidence> OverTheWire(const protocol::Evidence& evidence) {
  VOUCH_ASSIGN_OR_RETURN(std::string json, protocol::EncodeEvidence(evidence));
  return protocol::DecodeEvidence(json);
}

// core/tpm's verdict on `evidence` for `nonce`: the findings (empty when the
// quote verified).
std::vector<std::string> CoreFindings(const protocol::Evidence& evidence, ByteView nonce) {
  Result<tpm::TpmPublic> ak = tpm::TpmPublic::DecodeTpm2b(evidence.ak_public);
  if (!ak) return {"ak: " + ak.error().message()};
  std::vector<uint32_t> all = agent::AllPcrs();
  Result<tpm::QuoteVerification> v =
      tpm::VerifyQuote(*ak, {evidence.quote_attest, evidence.quote_signature, evidence.pcrs}, nonce,
                       {{HashAlg::kSha1, all}, {HashAlg::kSha256, all}});
  if (!v) return {"verify: " + v.error().message()};
  std::vector<std::string> out;
  for (const Finding& f : v->findings) out.push_back(f.id + ": " + f.message);
  if (out.empty() && !v->verified.has_value()) out.push_back("not verified");
  return out;
}

void PutLe(Bytes& out, uint64_t value, size_t size) {
  for (size_t i = 0; i < size; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

// The PCR values of `selection` in tpm2-tools' "serialized" PCR file format
// (what tpm2_quote -o writes; policy/cli/tpm2_tools_format.h describes it):
// the in-memory TPML_PCR_SELECTION, then the number of TPML_DIGEST lists and
// the lists, 8 digests each, values in selection order.
Result<Bytes> SerializedPcrFile(const std::vector<tpm::PcrSelection>& selection,
                                const tpm::PcrValues& values) {
  Bytes out;
  PutLe(out, selection.size(), 4);
  std::vector<const Bytes*> digests;
  for (size_t i = 0; i < 16; ++i) {
    if (i >= selection.size()) {
      out.insert(out.end(), 8, 0);
      continue;
    }
    const tpm::PcrSelection& s = selection[i];
    PutLe(out, static_cast<uint16_t>(s.bank), 2);
    out.push_back(3);  // sizeofSelect
    uint8_t select[4] = {0, 0, 0, 0};
    for (uint32_t pcr : s.pcrs) {
      select[pcr / 8] |= static_cast<uint8_t>(1u << (pcr % 8));
      const Bytes* v = values.Get(s.bank, pcr);
      if (v == nullptr) return InvalidArgumentError("evidence lacks a quoted PCR");
      digests.push_back(v);
    }
    out.insert(out.end(), select, select + 4);
    out.push_back(0);  // padding
  }
  const size_t lists = (digests.size() + 7) / 8;
  PutLe(out, lists, 4);
  for (size_t l = 0; l < lists; ++l) {
    const size_t count = std::min<size_t>(8, digests.size() - l * 8);
    PutLe(out, count, 4);
    for (size_t d = 0; d < 8; ++d) {
      Bytes buffer(64, 0);
      size_t size = 0;
      if (d < count) {
        const Bytes& v = *digests[l * 8 + d];
        size = v.size();
        std::copy(v.begin(), v.end(), buffer.begin());
      }
      PutLe(out, size, 2);
      out.insert(out.end(), buffer.begin(), buffer.end());
    }
  }
  return out;
}

// Runs tpm2_checkquote on `evidence` (files written to `dir`): the attest as
// the message, the TPMT_SIGNATURE, the AK's TPM2B_PUBLIC ("tss" format) and
// the PCR values of the quote's selection as a serialized PCR file.
Result<ProcessResult> CheckQuoteWithTool(const protocol::Evidence& evidence, ByteView nonce,
                                         const fs::path& dir) {
  VOUCH_ASSIGN_OR_RETURN(tpm::Attest attest, tpm::DecodeAttest(evidence.quote_attest));
  if (!attest.quote) return InvalidArgumentError("not a quote");
  VOUCH_ASSIGN_OR_RETURN(Bytes pcrs, SerializedPcrFile(attest.quote->selection, evidence.pcrs));
  VOUCH_RETURN_IF_ERROR(WriteFileBytes(dir / "ev.msg", evidence.quote_attest));
  VOUCH_RETURN_IF_ERROR(WriteFileBytes(dir / "ev.sig", evidence.quote_signature));
  VOUCH_RETURN_IF_ERROR(WriteFileBytes(dir / "ev.pub", evidence.ak_public));
  VOUCH_RETURN_IF_ERROR(WriteFileBytes(dir / "ev.pcrs", pcrs));
  ProcessOptions options;
  options.cwd = dir;
  options.env = {{"TSS2_LOG", "all+none"}};
  return RunProcess({"tpm2_checkquote", "-u", "ev.pub", "-m", "ev.msg", "-s", "ev.sig", "-f",
                     "ev.pcrs", "-g", "sha256", "-q", HexEncode(nonce)},
                    options);
}

class EvidenceIntegrationTest : public ::testing::TestWithParam<AkKind> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tpm_, SwtpmInstance::Start());
    ASSERT_OK_AND_ASSIGN(device_, tpm_device::OpenEsysTpmDevice(tpm_->Tcti()));
    ASSERT_OK_AND_ASSIGN(ek_, device_->LoadEk(EkKind::kRsa));
    ASSERT_OK_AND_ASSIGN(blob_, device_->CreateAk(ek_, GetParam()));
    ASSERT_OK_AND_ASSIGN(ak_, device_->LoadAk(ek_, blob_));
    srtm_path_ = tpm_->WorkDir() / "srtm.log";
    vm_path_ = tpm_->WorkDir() / "vm.log";
    logs_ = std::make_unique<FileEventLogSource>(srtm_path_.string(), "", vm_path_.string());
    collector_ = std::make_unique<EvidenceCollector>(*device_, ak_, *logs_, facts_);
  }
  void TearDown() override {
    // The collector and the keys go before the device, the device before
    // the TPM.
    collector_.reset();
    ak_.Reset();
    ek_.Reset();
    device_.reset();
  }

  std::unique_ptr<SwtpmInstance> tpm_;
  std::unique_ptr<TpmDevice> device_;
  TpmObject ek_;
  AkBlob blob_;
  TpmObject ak_;
  fs::path srtm_path_, vm_path_;
  std::unique_ptr<FileEventLogSource> logs_;
  FixedHostFacts facts_{SwtpmHostFacts()};
  std::unique_ptr<EvidenceCollector> collector_;
};

TEST_P(EvidenceIntegrationTest, EvidenceVerifiesAfterTheWireWithCoreAndTpm2Checkquote) {
  const Bytes nonce = Nonce(0x42);
  ASSERT_OK_AND_ASSIGN(protocol::Evidence collected, collector_->Collect(nonce, {}));
  ASSERT_OK_AND_ASSIGN(protocol::Evidence ev, OverTheWire(collected));
  EXPECT_EQ(ev.quote_attest, collected.quote_attest);
  EXPECT_EQ(ev.pcrs, collected.pcrs);
  EXPECT_EQ(ev.ak_public, blob_.public_area);
  EXPECT_THAT(CoreFindings(ev, nonce), ::testing::IsEmpty());
  EXPECT_EQ(ev.pcrs.banks().at(HashAlg::kSha1).size(), 24u);
  EXPECT_EQ(ev.pcrs.banks().at(HashAlg::kSha256).size(), 24u);

  ASSERT_OK_AND_ASSIGN(ProcessResult accepted, CheckQuoteWithTool(ev, nonce, tpm_->WorkDir()));
  EXPECT_EQ(accepted.exit_code, 0) << accepted.Describe();
  // Both refuse another nonce.
  const Bytes other = Nonce(0x43);
  EXPECT_THAT(CoreFindings(ev, other), ::testing::Contains(::testing::HasSubstr("nonce")));
  ASSERT_OK_AND_ASSIGN(ProcessResult rejected, CheckQuoteWithTool(ev, other, tpm_->WorkDir()));
  EXPECT_NE(rejected.exit_code, 0);
}

TEST_P(EvidenceIntegrationTest, RebootShowsAsResetCountPlusOneAfterAkReload) {
  ASSERT_OK_AND_ASSIGN(protocol::Evidence first, collector_->Collect(Nonce(1), {}));
  ASSERT_TRUE(first.reset_count.has_value());

  ASSERT_OK(tpm_->Reboot());
  ASSERT_OK(device_->Startup());
  ak_.Reset();  // flushed by the reset; releasing it must still work
  ASSERT_OK_AND_ASSIGN(ak_, device_->LoadAk(ek_, blob_));
  ASSERT_OK_AND_ASSIGN(protocol::Evidence collected, collector_->Collect(Nonce(2), {}));
  ASSERT_OK_AND_ASSIGN(protocol::Evidence second, OverTheWire(collected));
  EXPECT_EQ(second.reset_count, *first.reset_count + 1);
  EXPECT_EQ(second.restart_count, 0u);
  EXPECT_EQ(*second.pcrs.Get(HashAlg::kSha256, 17), Bytes(32, 0xff));
  EXPECT_THAT(CoreFindings(second, Nonce(2)), ::testing::IsEmpty());
}

TEST_P(EvidenceIntegrationTest, Pcr15MeasurementBetweenCollectionsShowsInTheSecond) {
  ASSERT_OK_AND_ASSIGN(protocol::Evidence before, collector_->Collect(Nonce(1), {}));
  // What the launcher does for a VM start (and the emulated D-RTM for its
  // measurements): append to the VM log and extend PCR 15 with its digest,
  // under the log's exclusive lock.
  ASSERT_OK(WriteFileBytes(vm_path_, ToBytes("vm-1 image sha256\n")));
  std::vector<tpm_device::BankDigest> digests;
  for (HashAlg bank : {HashAlg::kSha1, HashAlg::kSha256}) {
    ASSERT_OK_AND_ASSIGN(Bytes d, crypto::Digest(bank, ToBytes("vm-1 image")));
    digests.push_back({bank, d});
  }
  ASSERT_OK(device_->ExtendPcr(15, digests));

  ASSERT_OK_AND_ASSIGN(protocol::Evidence collected, collector_->Collect(Nonce(2), {}));
  ASSERT_OK_AND_ASSIGN(protocol::Evidence after, OverTheWire(collected));
  EXPECT_THAT(CoreFindings(after, Nonce(2)), ::testing::IsEmpty());
  for (const tpm_device::BankDigest& d : digests) {
    Bytes input = *before.pcrs.Get(d.bank, 15);
    input.insert(input.end(), d.digest.begin(), d.digest.end());
    ASSERT_OK_AND_ASSIGN(Bytes expected, crypto::Digest(d.bank, input));
    EXPECT_EQ(*after.pcrs.Get(d.bank, 15), expected) << HashAlgName(d.bank);
    for (uint32_t pcr : agent::AllPcrs()) {
      if (pcr == 15) continue;
      EXPECT_EQ(*after.pcrs.Get(d.bank, pcr), *before.pcrs.Get(d.bank, pcr)) << pcr;
    }
  }
  EXPECT_EQ(before.vm_log, std::nullopt);
  EXPECT_EQ(after.vm_log, ToBytes("vm-1 image sha256\n"));
}

TEST_P(EvidenceIntegrationTest, LogFilesAreCarriedByteIdentical) {
  Bytes srtm;
  if (std::optional<fs::path> root = FixturesDir()) {
    std::vector<fs::path> logs = EventLogFixtures(*root);
    if (!logs.empty()) {
      ASSERT_OK_AND_ASSIGN(srtm, ReadFileBytes(logs.front()));
    }
  }
  if (srtm.empty()) {
    for (int i = 0; i < 100000; ++i) srtm.push_back(static_cast<uint8_t>(i * 7 + i / 256));
  }
  const Bytes vm = ToBytes(std::string("vm record\0with a NUL\n", 21));
  ASSERT_OK(WriteFileBytes(srtm_path_, srtm));
  ASSERT_OK(WriteFileBytes(vm_path_, vm));
  ASSERT_OK_AND_ASSIGN(protocol::Evidence collected, collector_->Collect(Nonce(3), {}));
  ASSERT_OK_AND_ASSIGN(protocol::Evidence ev, OverTheWire(collected));
  EXPECT_EQ(ev.srtm_log, srtm);
  EXPECT_EQ(ev.drtm_log, std::nullopt);
  EXPECT_EQ(ev.vm_log, vm);
}

INSTANTIATE_TEST_SUITE_P(Aks, EvidenceIntegrationTest,
                         ::testing::Values(AkKind::kRsa2048, AkKind::kEccP256),
                         [](const auto& info) {
                           return std::string(info.param == AkKind::kRsa2048 ? "RsaAk" : "EccAk");
                         });

TEST(EvidenceLeakTest, ManyCollectionsLeaveNoObjectsOrSessions) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TpmDevice> device,
                       tpm_device::OpenEsysTpmDevice(tpm->Tcti()));
  ASSERT_OK_AND_ASSIGN(TpmObject ek, device->LoadEk(EkKind::kRsa));
  ASSERT_OK_AND_ASSIGN(AkBlob blob, device->CreateAk(ek, AkKind::kEccP256));
  ASSERT_OK_AND_ASSIGN(TpmObject ak, device->LoadAk(ek, blob));
  const fs::path vm_log = tpm->WorkDir() / "vm.log";
  ASSERT_OK(WriteFileBytes(vm_log, ToBytes("record\n")));
  FileEventLogSource logs("", "", vm_log.string());
  FixedHostFacts facts(SwtpmHostFacts());
  EvidenceCollector collector(*device, ak, logs, facts);
  ASSERT_OK_AND_ASSIGN(tpm_device::LoadedHandleCounts loaded, device->CountLoadedHandles());
  EXPECT_EQ(loaded, (tpm_device::LoadedHandleCounts{1, 0}));  // the AK

  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kLeakTestCollections; ++i) {
    Bytes nonce = Nonce(static_cast<uint8_t>(i));
    nonce[0] = static_cast<uint8_t>(i >> 8);
    ASSERT_OK(collector.Collect(nonce, {}).status()) << "collection " << i;
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("%d collections (P-256 AK, sha1+sha256, PCRs 0-23, one log): %.3f ms each\n",
              kLeakTestCollections, ms / kLeakTestCollections);
  ASSERT_OK_AND_ASSIGN(tpm_device::LoadedHandleCounts after, device->CountLoadedHandles());
  EXPECT_EQ(after, loaded);
  EXPECT_EQ(collector.retries(), 0u);
}

TEST(FakeTpmDeviceInteropTest, FakeQuotesPassTpm2Checkquote) {
  FakeTpmDevice fake;
  ASSERT_OK_AND_ASSIGN(TpmObject ak, fake.CreateLoadedAk());
  ASSERT_OK_AND_ASSIGN(Bytes d, crypto::Digest(HashAlg::kSha256, ToBytes("x")));
  ASSERT_OK(fake.ExtendPcr(15, {{HashAlg::kSha256, d}}));
  FileEventLogSource logs("", "", "");
  FixedHostFacts facts(SwtpmHostFacts());
  EvidenceCollector collector(fake, ak, logs, facts);
  const Bytes nonce = Nonce(9);
  ASSERT_OK_AND_ASSIGN(protocol::Evidence ev, collector.Collect(nonce, {}));
  EXPECT_THAT(CoreFindings(ev, nonce), ::testing::IsEmpty());

  std::string tmpl = (fs::temp_directory_path() / "vouch-fake-quote-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const fs::path dir = tmpl;
  Result<ProcessResult> accepted = CheckQuoteWithTool(ev, nonce, dir);
  Result<ProcessResult> rejected = CheckQuoteWithTool(ev, Nonce(8), dir);
  std::error_code ec;
  fs::remove_all(dir, ec);
  ASSERT_OK(accepted.status());
  EXPECT_EQ(accepted->exit_code, 0) << accepted->Describe();
  ASSERT_OK(rejected.status());
  EXPECT_NE(rejected->exit_code, 0);
}

}  // namespace
}  // namespace vouch::testing
