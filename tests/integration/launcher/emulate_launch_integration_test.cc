// The emulated measured launch on a real swtpm (ESAPI TpmDevice plus the
// swtpm control channel): afterwards the D-RTM log replays with core's
// replay to the TPM's PCRs 17/18 in every bank, parses like the real TXT
// fixture and has its shape; evidence the agent's EvidenceCollector takes
// from that TPM is appraised by the verifier as a trusted (emulated, when
// allowed) launch of a known hypervisor; and the issue 4 tamper test "unknown
// hypervisor measured into PCR 17" on swtpm. Also the vouch-launcher
// emulate-launch command line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent/evidence_collector.h"
#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/logger.h"
#include "core/crypto/digest.h"
#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"
#include "core/protocol/evidence.h"
#include "core/tpm/pcr.h"
#include "core/tpm_device/esys_tpm_device.h"
#include "core/tpm_device/tpm_device.h"
#include "launcher/drtm/emulate_launch.h"
#include "launcher/drtm/swtpm_control.h"
#include "launcher/drtm/tboot_measure.h"
#include "launcher/firmware/emulate_firmware.h"
#include "launcher/vm/measure_vm.h"
#include "tests/testing/agent_fakes.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"
#include "verifier/core/appraisal.h"

namespace vouch::testing {
namespace {

namespace fs = std::filesystem;
using launcher::DrtmEmulation;
using launcher::LaunchInputs;
using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Not;
using verifier::AppraisalResult;
using verifier::ReferenceKind;
using verifier::ReferenceSet;
using verifier::ReferenceValue;
using verifier::Trust;
using verifier::Verdict;

constexpr char kTxtFixture[] = "isecl__txt_heap_info.eventlog.bin";
constexpr char kFirmwareFixture[] = "tpm2tss__binary_measurements_pc_client.bin";

const Bytes kHypervisor = ToBytes("xen-4.17 hypervisor image (test)");
const std::string kHypervisorCmdline = "dom0_mem=2048M,max:2048M loglvl=all";
const Bytes kKernel = ToBytes("linux dom0 kernel image (test)");
const std::string kKernelCmdline = "root=/dev/sda1 ro console=hvc0";

protocol::HostFacts EmulatedLaunchHostFacts() {
  protocol::HostFacts facts;
  facts.hostname = "emulated-launch-host";
  facts.agent_version = "0.1.0";
  facts.hypervisor = protocol::HypervisorKind::kXen;
  facts.measured_launch = protocol::MeasuredLaunch::kEmulated;
  return facts;
}

LaunchInputs Inputs(const Bytes& hypervisor) {
  LaunchInputs inputs;
  inputs.modules.push_back({"xen.gz", hypervisor, kHypervisorCmdline});
  inputs.modules.push_back({"vmlinuz", kKernel, kKernelCmdline});
  return inputs;
}

// (PCR, type) of every extended event, in log order.
std::vector<std::pair<uint32_t, uint32_t>> Shape(const eventlog::UnverifiedEventLog& log) {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (const eventlog::Event& ev : log.EventsUnverifiedForDebug()) {
    if (ev.type == eventlog::kEvNoAction) continue;
    out.emplace_back(ev.pcr, ev.type);
  }
  return out;
}

std::vector<std::string> Ids(const AppraisalResult& r) {
  std::vector<std::string> out;
  for (const Finding& f : r.findings) out.push_back(f.id);
  return out;
}

std::vector<std::string> Errors(const AppraisalResult& r) {
  std::vector<std::string> out;
  for (const Finding& f : r.findings) {
    if (f.severity == Severity::kError) out.push_back(f.id + ": " + f.message);
  }
  return out;
}

class EmulateLaunchIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(swtpm_, SwtpmInstance::Start());
    ASSERT_OK_AND_ASSIGN(device_, tpm_device::OpenEsysTpmDevice(swtpm_->Tcti()));
    control_ = launcher::MakeTcpSwtpmControl({"127.0.0.1", swtpm_->ctrl_port()});
    ASSERT_OK_AND_ASSIGN(banks_, device_->ActiveBanks());
  }
  void TearDown() override {
    ak_.Reset();
    device_.reset();
  }

  tpm::PcrValues ReadDrtmPcrs() {
    std::vector<tpm::PcrSelection> selection;
    for (HashAlg bank : banks_) selection.push_back({bank, {17, 18}});
    Result<tpm::PcrValues> v = device_->ReadPcrs(selection);
    EXPECT_OK(v.status());
    return v ? *v : tpm::PcrValues();
  }

  // An ECC AK under the RSA EK (after the launch: the hash sequence needs an
  // object slot of swtpm's three).
  void LoadAk() {
    ASSERT_OK_AND_ASSIGN(tpm_device::TpmObject ek, device_->LoadEk(tpm_device::EkKind::kRsa));
    ASSERT_OK_AND_ASSIGN(tpm_device::AkBlob blob,
                         device_->CreateAk(ek, tpm_device::AkKind::kEccP256));
    ASSERT_OK_AND_ASSIGN(ak_, device_->LoadAk(ek, blob));
  }

  // Emulated firmware (a real PC client log into PCRs 0-15) and an emulated
  // launch of `hypervisor`, then the agent's evidence over the wire.
  void BootLaunchAndCollect(const Bytes& hypervisor,
                            const std::function<void(const fs::path&)>& start_vms = {}) {
    VOUCH_REQUIRE_FIXTURES(root);
    ASSERT_OK_AND_ASSIGN(Bytes srtm, ReadFileBytes(root / "eventlogs" / kFirmwareFixture));
    ASSERT_OK(launcher::EmulateFirmwareBoot(*device_, srtm).status());
    ASSERT_OK_AND_ASSIGN(DrtmEmulation done,
                         launcher::EmulateDrtmLaunch(*device_, *control_, Inputs(hypervisor)));
    const fs::path srtm_path = swtpm_->WorkDir() / "binary_bios_measurements";
    const fs::path drtm_path = swtpm_->WorkDir() / "drtm.log";
    ASSERT_OK(WriteFileBytes(srtm_path, srtm));
    ASSERT_OK(WriteFileBytes(drtm_path, done.log));
    // VMs measured by the launcher after the launch (issue 5), into the VM
    // log the agent reads.
    const fs::path vm_log_path = swtpm_->WorkDir() / "vm.log";
    if (start_vms) ASSERT_NO_FATAL_FAILURE(start_vms(vm_log_path));
    ASSERT_NO_FATAL_FAILURE(LoadAk());
    agent::FileEventLogSource logs(srtm_path.string(), drtm_path.string(),
                                   start_vms ? vm_log_path.string() : "");
    FixedHostFacts facts(EmulatedLaunchHostFacts());
    agent::EvidenceCollector collector(*device_, ak_, logs, facts);
    ASSERT_OK_AND_ASSIGN(protocol::Evidence collected, collector.Collect(nonce_, {}));
    ASSERT_TRUE(collected.drtm_log.has_value());
    ASSERT_OK_AND_ASSIGN(std::string json, protocol::EncodeEvidence(collected));
    ASSERT_OK_AND_ASSIGN(evidence_, protocol::DecodeEvidence(json));
    host_.host_id = "emulated-launch-host";
    host_.ak_public = ak_.public_area();
  }

  // Reference values as the operator would publish them for the emulated
  // platform, computed from the inputs (not read from the log): the
  // stand-in SINIT and its signer, the stand-in tboot MLE and policy, the
  // good hypervisor and the dom0 kernel; plus the platform values imported
  // from this host's own firmware log.
  ReferenceSet References() {
    ReferenceSet refs;
    Result<std::vector<ReferenceValue>> platform =
        verifier::ImportPlatformReferences(evidence_, "golden");
    EXPECT_OK(platform.status());
    if (platform) {
      for (ReferenceValue& v : *platform) refs.Add(std::move(v));
    }
    auto add = [&](ReferenceKind kind, const std::string& name,
                   const std::function<Result<Bytes>(HashAlg)>& digest) {
      ReferenceValue v;
      v.kind = kind;
      v.name = name;
      for (HashAlg bank : banks_) {
        Result<Bytes> d = digest(bank);
        EXPECT_OK(d.status());
        if (d) v.digests[bank] = *d;
      }
      refs.Add(std::move(v));
    };
    add(ReferenceKind::kSinit, "emulated SINIT",
        [](HashAlg b) { return crypto::Digest(b, AsBytes(launcher::kEmulatedSinitName)); });
    add(ReferenceKind::kSinit, "emulated SINIT signer",
        [](HashAlg b) { return crypto::Digest(b, AsBytes(launcher::kEmulatedSinitSignerName)); });
    add(ReferenceKind::kTboot, "emulated tboot",
        [](HashAlg b) { return crypto::Digest(b, AsBytes(launcher::kEmulatedMleName)); });
    add(ReferenceKind::kTbootPolicy, "emulated tboot policy", [](HashAlg b) {
      return launcher::TbootPolicyDigest(b, launcher::kTbootPolicyControlExtendPcr17,
                                         AsBytes(launcher::kEmulatedVlpName));
    });
    add(ReferenceKind::kHypervisor, "xen 4.17 (test)",
        [](HashAlg b) { return launcher::TbootModuleDigest(b, kHypervisor, kHypervisorCmdline); });
    add(ReferenceKind::kKernel, "dom0 kernel (test)",
        [](HashAlg b) { return launcher::TbootModuleDigest(b, kKernel, kKernelCmdline); });
    return refs;
  }

  AppraisalResult Appraise(const ReferenceSet& refs, const verifier::HostPolicy& policy) {
    const auto now = std::chrono::system_clock::now();
    Result<AppraisalResult> r = verifier::AppraiseEvidence(
        evidence_, host_, verifier::IssuedNonce{nonce_, now + std::chrono::seconds(60), false},
        refs, policy, now);
    EXPECT_OK(r.status());
    return r ? *r : AppraisalResult();
  }

  static verifier::HostPolicy EmulatedPolicy() {
    verifier::HostPolicy policy;
    policy.require_measured_launch = true;
    policy.allow_emulated_launch = true;
    return policy;
  }

  std::unique_ptr<SwtpmInstance> swtpm_;
  std::unique_ptr<tpm_device::TpmDevice> device_;
  std::unique_ptr<launcher::SwtpmControl> control_;
  std::vector<HashAlg> banks_;
  tpm_device::TpmObject ak_;
  const Bytes nonce_ = Bytes(32, 0x17);
  protocol::Evidence evidence_;
  verifier::EnrolledHost host_;
};

TEST_F(EmulateLaunchIntegrationTest, LogReplaysWithCoreToTheTpmsPcr17And18InEveryBank) {
  const tpm::PcrValues before = ReadDrtmPcrs();
  ASSERT_NE(before.Get(HashAlg::kSha256, 17), nullptr);
  EXPECT_EQ(*before.Get(HashAlg::kSha256, 17), Bytes(32, 0xff));  // no launch since reset

  ASSERT_OK_AND_ASSIGN(DrtmEmulation done,
                       launcher::EmulateDrtmLaunch(*device_, *control_, Inputs(kHypervisor)));
  EXPECT_EQ(done.banks, banks_);
  const tpm::PcrValues after = ReadDrtmPcrs();
  EXPECT_EQ(done.pcrs, after);

  ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog log, eventlog::ParseEventLog(done.log));
  EXPECT_EQ(log.banks(), banks_);
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues replayed, eventlog::ComputePcrs(log));
  for (HashAlg bank : banks_) {
    for (uint32_t pcr : {17u, 18u}) {
      SCOPED_TRACE(std::string(HashAlgName(bank)) + " PCR " + std::to_string(pcr));
      ASSERT_NE(replayed.Get(bank, pcr), nullptr);
      ASSERT_NE(after.Get(bank, pcr), nullptr);
      EXPECT_EQ(HexEncode(*replayed.Get(bank, pcr)), HexEncode(*after.Get(bank, pcr)));
    }
  }
  ASSERT_OK_AND_ASSIGN(eventlog::ReplayResult replay,
                       eventlog::Replay(log, tpm::VerifiedPcrs::CreateForTest(after)));
  EXPECT_THAT(replay.findings, IsEmpty());
  EXPECT_EQ(replay.verified.verified_pcrs(), (std::set<uint32_t>{17, 18}));
  EXPECT_EQ(replay.verified.events().size(), done.events);

  // The hash sequence's data, named as the stand-in it is.
  const eventlog::Event& hash_start = log.EventsUnverifiedForDebug()[1];
  EXPECT_EQ(ToString(hash_start.data), launcher::kEmulatedSinitName);

  // The launch ends at locality 0, where swtpm refuses PCR 17/18 extends
  // (the locality rules the emulation had to follow are real).
  EXPECT_THAT(device_->ExtendPcr(17, {{HashAlg::kSha256, Bytes(32, 1)}}),
              StatusIs(Code::kFailedPrecondition));
  EXPECT_EQ(ReadDrtmPcrs(), after);
}

TEST_F(EmulateLaunchIntegrationTest, SecondLaunchStartsOverFromTheHashSequence) {
  ASSERT_OK_AND_ASSIGN(DrtmEmulation first,
                       launcher::EmulateDrtmLaunch(*device_, *control_, Inputs(kHypervisor)));
  ASSERT_OK_AND_ASSIGN(DrtmEmulation second,
                       launcher::EmulateDrtmLaunch(*device_, *control_, Inputs(kHypervisor)));
  // The hash sequence reset PCRs 17/18: same inputs, same values.
  EXPECT_EQ(first.pcrs, second.pcrs);
  EXPECT_EQ(first.log, second.log);
}

TEST_F(EmulateLaunchIntegrationTest, LogParsesLikeTheRealTxtFixtureWithItsShape) {
  VOUCH_REQUIRE_FIXTURES(root);
  ASSERT_OK_AND_ASSIGN(Bytes real_bytes, ReadFileBytes(root / "eventlogs" / kTxtFixture));
  ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog real, eventlog::ParseEventLog(real_bytes));
  // The fixture's launch had two modules, like Inputs().
  ASSERT_OK_AND_ASSIGN(DrtmEmulation done,
                       launcher::EmulateDrtmLaunch(*device_, *control_, Inputs(kHypervisor)));
  ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog emulated, eventlog::ParseEventLog(done.log));
  EXPECT_EQ(emulated.format(), real.format());
  ASSERT_TRUE(emulated.spec_id().has_value());
  EXPECT_EQ(emulated.spec_id()->signature, real.spec_id()->signature);
  EXPECT_EQ(Shape(emulated), Shape(real));
  EXPECT_THAT(emulated.warnings(), IsEmpty());

  // With one module more, one EV_TBOOT_HASH on PCR 17 more.
  LaunchInputs three = Inputs(kHypervisor);
  three.modules.push_back({"initrd", ToBytes("initrd (test)"), ""});
  ASSERT_OK_AND_ASSIGN(DrtmEmulation longer,
                       launcher::EmulateDrtmLaunch(*device_, *control_, three));
  ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog longer_log,
                       eventlog::ParseEventLog(longer.log));
  std::vector<std::pair<uint32_t, uint32_t>> expected = Shape(real);
  expected.emplace_back(17, launcher::kEvTbootHash);
  EXPECT_EQ(Shape(longer_log), expected);
}

TEST_F(EmulateLaunchIntegrationTest,
       VerifierTrustsEmulatedLaunchAndKnownHypervisorOnlyWhenAllowed) {
  ASSERT_NO_FATAL_FAILURE(BootLaunchAndCollect(kHypervisor));
  const ReferenceSet refs = References();
  verifier::HostPolicy policy;
  policy.require_measured_launch = true;
  policy.allow_emulated_launch = true;
  AppraisalResult allowed = Appraise(refs, policy);
  EXPECT_THAT(Errors(allowed), IsEmpty());
  EXPECT_EQ(allowed.verdict, Verdict::kTrusted);
  EXPECT_EQ(allowed.trust.platform, Trust::kTrusted);
  EXPECT_EQ(allowed.trust.measured_launch, Trust::kTrusted);
  EXPECT_EQ(allowed.trust.hypervisor, Trust::kTrusted);
  EXPECT_THAT(Ids(allowed), Contains("launch.emulated"));
  EXPECT_THAT(allowed.matched_references, Contains("xen 4.17 (test)"));
  EXPECT_THAT(allowed.matched_references, Contains("emulated SINIT"));
  EXPECT_THAT(allowed.matched_references, Contains("emulated tboot policy"));

  // The default policy refuses the emulated launch.
  policy.allow_emulated_launch = false;
  AppraisalResult refused = Appraise(refs, policy);
  EXPECT_EQ(refused.verdict, Verdict::kUntrusted);
  EXPECT_EQ(refused.trust.measured_launch, Trust::kUntrusted);
  EXPECT_THAT(Ids(refused), Contains("launch.emulated_refused"));
}

// Issue 4's tamper test on swtpm: a hypervisor the reference values do not
// know is launched (measured into PCR 17 as module 0).
TEST_F(EmulateLaunchIntegrationTest, TamperUnknownHypervisorMeasuredIntoPcr17IsUntrusted) {
  ASSERT_NO_FATAL_FAILURE(BootLaunchAndCollect(ToBytes("xen-4.17 patched by an attacker")));
  const ReferenceSet refs = References();
  verifier::HostPolicy policy;
  policy.require_measured_launch = true;
  policy.allow_emulated_launch = true;
  AppraisalResult r = Appraise(refs, policy);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_EQ(r.trust.hypervisor, Trust::kUntrusted);
  // The launch itself is fine (replays; SINIT, tboot and policy known).
  EXPECT_EQ(r.trust.measured_launch, Trust::kTrusted);
  EXPECT_EQ(r.trust.platform, Trust::kTrusted);
  ASSERT_THAT(Ids(r), Contains("ref.unknown_hypervisor"));
  EXPECT_THAT(Ids(r), Not(Contains("ref.unknown_sinit")));
  EXPECT_THAT(Ids(r), Not(Contains("log.replay_mismatch")));
  for (const Finding& f : r.findings) {
    if (f.id != "ref.unknown_hypervisor") continue;
    EXPECT_EQ(f.pcr, 17u);
    ASSERT_TRUE(f.bank.has_value());
    ASSERT_OK_AND_ASSIGN(Bytes measured, launcher::TbootModuleDigest(
                                             *f.bank, ToBytes("xen-4.17 patched by an attacker"),
                                             kHypervisorCmdline));
    EXPECT_EQ(f.actual, HexEncode(measured));
  }
}

// The whole host story on one swtpm: emulated firmware, emulated measured
// launch, two VMs measured by the launcher (PCR 15 + VM log), the agent's
// evidence, the verifier's appraisal: every log replays to the quoted PCRs
// and the VM components are matched to vm-* reference values.
TEST_F(EmulateLaunchIntegrationTest, MeasuredVmsReplayToTheQuotedPcr15AndMatchReferences) {
  const fs::path disk = swtpm_->WorkDir() / "web-1.img";
  const fs::path kernel = swtpm_->WorkDir() / "web-1.vmlinuz";
  ASSERT_OK(WriteFileBytes(disk, ToBytes("guest disk image (test)")));
  ASSERT_OK(WriteFileBytes(kernel, ToBytes("guest kernel (test)")));
  StderrLogger logger(LogLevel::kWarning);
  ASSERT_NO_FATAL_FAILURE(BootLaunchAndCollect(kHypervisor, [&](const fs::path& log) {
    for (const char* name : {"web-1", "web-2"}) {
      launcher::MeasureVmRequest request;
      request.name = name;
      request.disks = {disk.string()};
      request.kernel = kernel.string();
      request.log_path = log.string();
      request.time = std::chrono::system_clock::now();
      ASSERT_OK(launcher::MeasureVm(*device_, request, logger).status());
    }
  }));
  ASSERT_TRUE(evidence_.vm_log.has_value());
  ReferenceSet refs = References();
  AppraisalResult unknown_vms = Appraise(refs, EmulatedPolicy());
  EXPECT_THAT(Errors(unknown_vms), IsEmpty());
  EXPECT_EQ(unknown_vms.verdict, Verdict::kTrusted);  // VMs never change the host verdict
  EXPECT_EQ(unknown_vms.trust.vms, Trust::kUnknown);  // no vm-* values yet
  EXPECT_EQ(unknown_vms.vms.size(), 4u);

  for (auto [kind, file] :
       {std::pair{ReferenceKind::kVmImage, disk}, std::pair{ReferenceKind::kVmKernel, kernel}}) {
    ASSERT_OK_AND_ASSIGN(Bytes content, ReadFileBytes(file));
    ReferenceValue v;
    v.kind = kind;
    v.name = file.filename().string();
    for (HashAlg bank : banks_) {
      ASSERT_OK_AND_ASSIGN(v.digests[bank], crypto::Digest(bank, content));
    }
    refs.Add(std::move(v));
  }
  AppraisalResult r = Appraise(refs, EmulatedPolicy());
  EXPECT_THAT(Errors(r), IsEmpty());
  EXPECT_THAT(Ids(r), Not(Contains("log.replay_mismatch")));
  EXPECT_EQ(r.trust.vms, Trust::kTrusted);
  ASSERT_EQ(r.vms.size(), 4u);
  EXPECT_EQ(r.vms[0].record.vm_name, "web-1");
  EXPECT_EQ(r.vms[3].record.vm_name, "web-2");
  EXPECT_EQ(r.vms[3].record.component, protocol::VmComponent::kDisk);
  EXPECT_EQ(r.vms[3].reference, std::optional<std::string>("web-1.img"));
}

// A crash between the fsync of a record and its extend (the launcher's test
// hook stops there, as SIGKILL would): the verifier reports exactly that
// record as not extended and leaves it out; the host is not untrusted for it.
TEST_F(EmulateLaunchIntegrationTest, RecordAppendedButNotExtendedIsReportedPrecisely) {
  const fs::path disk = swtpm_->WorkDir() / "web-1.img";
  ASSERT_OK(WriteFileBytes(disk, ToBytes("guest disk image (test)")));
  StderrLogger logger(LogLevel::kError);
  ASSERT_NO_FATAL_FAILURE(BootLaunchAndCollect(kHypervisor, [&](const fs::path& log) {
    launcher::MeasureVmRequest request;
    request.name = "web-1";
    request.disks = {disk.string()};
    request.log_path = log.string();
    request.time = std::chrono::system_clock::now();
    ASSERT_OK(launcher::MeasureVm(*device_, request, logger).status());
    request.name = "web-2";
    request.after_append_for_test = [](const protocol::VmLogRecord&) {
      return UnavailableError("simulated crash after append");
    };
    EXPECT_FALSE(launcher::MeasureVm(*device_, request, logger).has_value());
  }));
  AppraisalResult r = Appraise(References(), EmulatedPolicy());
  EXPECT_THAT(Errors(r), IsEmpty());
  EXPECT_NE(r.verdict, Verdict::kUntrusted);
  ASSERT_EQ(r.vms.size(), 1u);
  EXPECT_EQ(r.vms[0].record.vm_name, "web-1");
  bool reported = false;
  for (const Finding& f : r.findings) {
    if (f.id != "log.vm_record_not_extended") continue;
    reported = true;
    EXPECT_EQ(f.severity, Severity::kWarning);
    EXPECT_NE(f.message.find("web-2"), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("seq 1"), std::string::npos) << f.message;
  }
  EXPECT_TRUE(reported) << ::testing::PrintToString(Ids(r));
}

TEST_F(EmulateLaunchIntegrationTest, CommandLineWritesALogThatReplaysToTheTpm) {
  const fs::path dir = swtpm_->WorkDir();
  ASSERT_OK(WriteFileBytes(dir / "xen.gz", kHypervisor));
  ASSERT_OK(WriteFileBytes(dir / "vmlinuz", kKernel));
  // The command line opens its own TPM connection: release ours meanwhile.
  device_.reset();
  ASSERT_OK_AND_ASSIGN(
      ProcessResult run,
      RunProcess(
          {VOUCH_LAUNCHER_BIN, "emulate-launch", "--tcti", swtpm_->Tcti(), "--hypervisor",
           (dir / "xen.gz").string(), "--hypervisor-cmdline", kHypervisorCmdline, "--module",
           (dir / "vmlinuz").string() + ":" + kKernelCmdline, "--out", (dir / "drtm.log").string()},
          {.env = {{"TSS2_LOG", "all+none"}}}));
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_THAT(run.stderr_text, ::testing::HasSubstr("emulated SINIT"));
  ASSERT_OK_AND_ASSIGN(device_, tpm_device::OpenEsysTpmDevice(swtpm_->Tcti()));
  ASSERT_OK_AND_ASSIGN(Bytes log_bytes, ReadFileBytes(dir / "drtm.log"));
  ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog log, eventlog::ParseEventLog(log_bytes));
  ASSERT_OK_AND_ASSIGN(eventlog::ReplayResult replay,
                       eventlog::Replay(log, tpm::VerifiedPcrs::CreateForTest(ReadDrtmPcrs())));
  EXPECT_THAT(replay.findings, IsEmpty());
  EXPECT_EQ(replay.verified.verified_pcrs(), (std::set<uint32_t>{17, 18}));
  // The same inputs through the library give the same log.
  ASSERT_OK_AND_ASSIGN(DrtmEmulation lib,
                       launcher::EmulateDrtmLaunch(*device_, *control_, Inputs(kHypervisor)));
  EXPECT_EQ(lib.log, log_bytes);
}

TEST_F(EmulateLaunchIntegrationTest, CommandLineRefusesNonSwtpmTctiAndMissingFiles) {
  const fs::path dir = swtpm_->WorkDir();
  ASSERT_OK(WriteFileBytes(dir / "xen.gz", kHypervisor));
  ASSERT_OK_AND_ASSIGN(ProcessResult device_tcti,
                       RunProcess({VOUCH_LAUNCHER_BIN, "emulate-launch", "--tcti",
                                   "device:/dev/tpmrm0", "--hypervisor", (dir / "xen.gz").string(),
                                   "--out", (dir / "drtm.log").string()}));
  EXPECT_EQ(device_tcti.exit_code, 1) << device_tcti.Describe();
  ASSERT_OK_AND_ASSIGN(
      ProcessResult missing,
      RunProcess({VOUCH_LAUNCHER_BIN, "emulate-launch", "--tcti", swtpm_->Tcti(), "--hypervisor",
                  (dir / "absent.gz").string(), "--out", (dir / "drtm.log").string()}));
  EXPECT_EQ(missing.exit_code, 3) << missing.Describe();
  ASSERT_OK_AND_ASSIGN(ProcessResult usage, RunProcess({VOUCH_LAUNCHER_BIN, "emulate-launch",
                                                        "--tcti", swtpm_->Tcti()}));
  EXPECT_EQ(usage.exit_code, 2) << usage.Describe();
  EXPECT_FALSE(fs::exists(dir / "drtm.log"));
}

}  // namespace
}  // namespace vouch::testing
