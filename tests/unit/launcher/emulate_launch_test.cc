// The emulated measured launch on a FakeTpmDevice (which enforces the PC
// Client locality rules for PCRs 17-22) with a fake control channel that
// performs the _TPM_Hash_Start/Data/End math: the log parses, has the shape
// of the real TXT/tboot fixture, names its stand-in SINIT, and replays to
// the TPM's PCRs 17/18 in every bank. Also the swtpm TCTI parsing.
#include "launcher/drtm/emulate_launch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/crypto/digest.h"
#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"
#include "tests/testing/fake_tpm_device.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"

namespace vouch::launcher {
namespace {

using testing::FakeTpmDevice;
using testing::StatusIs;

// What swtpm does for the hash sequence (TPM 2.0 Part 3, 6.3-6.5, with the
// TPM started): PCRs 17-22 := 0, PCR 17 := H(0 || H(data)) in every bank.
class FakeSwtpmControl final : public SwtpmControl {
 public:
  explicit FakeSwtpmControl(FakeTpmDevice& tpm, std::vector<HashAlg> banks)
      : tpm_(tpm), banks_(std::move(banks)) {}

  Status HashStart() override {
    ++starts;
    if (fail_start.has_value()) return *fail_start;
    data_.clear();
    started_ = true;
    return Status::Ok();
  }
  Status HashData(ByteView data) override {
    if (!started_) return FailedPreconditionError("no sequence");
    data_.insert(data_.end(), data.begin(), data.end());
    return Status::Ok();
  }
  Status HashEnd() override {
    if (!started_) return FailedPreconditionError("no sequence");
    started_ = false;
    if (ignore_end) return Status::Ok();
    for (HashAlg bank : banks_) {
      for (uint32_t pcr = 17; pcr <= 22; ++pcr)
        tpm_.SetPcrForTest(bank, pcr, Bytes(DigestSize(bank), 0));
      VOUCH_ASSIGN_OR_RETURN(Bytes h, crypto::Digest(bank, data_));
      Bytes pcr17(DigestSize(bank), 0);
      VOUCH_RETURN_IF_ERROR(crypto::ExtendPcr(bank, pcr17, h));
      tpm_.SetPcrForTest(bank, 17, pcr17);
    }
    return Status::Ok();
  }
  Status SetLocality(uint8_t) override { return Status::Ok(); }

  int starts = 0;
  std::optional<Status> fail_start;
  bool ignore_end = false;

 private:
  FakeTpmDevice& tpm_;
  std::vector<HashAlg> banks_;
  Bytes data_;
  bool started_ = false;
};

LaunchInputs SampleInputs(size_t extra_modules = 1) {
  LaunchInputs inputs;
  inputs.modules.push_back({"xen.gz", ToBytes("xen hypervisor image"), "dom0_mem=2048M"});
  for (size_t i = 0; i < extra_modules; ++i) {
    inputs.modules.push_back(
        {"vmlinuz", ToBytes("kernel image " + std::to_string(i)), "console=hvc0"});
  }
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

TEST(EmulateDrtmLaunch, LogReplaysToTheTpmsPcr17And18InEveryBank) {
  FakeTpmDevice tpm;  // sha1 + sha256; PCRs 17-22 all ones
  FakeSwtpmControl control(tpm, {HashAlg::kSha1, HashAlg::kSha256});
  ASSERT_OK_AND_ASSIGN(DrtmEmulation done, EmulateDrtmLaunch(tpm, control, SampleInputs()));
  EXPECT_EQ(control.starts, 1);
  EXPECT_EQ(done.events, 1u + 8u + 6u + 2u + 2u);
  ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog parsed, eventlog::ParseEventLog(done.log));
  EXPECT_EQ(parsed.format(), eventlog::LogFormat::kCryptoAgile);
  EXPECT_THAT(parsed.banks(), ::testing::ElementsAre(HashAlg::kSha1, HashAlg::kSha256));
  EXPECT_THAT(parsed.warnings(), ::testing::IsEmpty());
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues replayed, eventlog::ComputePcrs(parsed));
  for (HashAlg bank : {HashAlg::kSha1, HashAlg::kSha256}) {
    for (uint32_t pcr : {17u, 18u}) {
      SCOPED_TRACE(std::string(HashAlgName(bank)) + " PCR " + std::to_string(pcr));
      ASSERT_NE(replayed.Get(bank, pcr), nullptr);
      EXPECT_EQ(*replayed.Get(bank, pcr), tpm.Pcr(bank, pcr));
      ASSERT_NE(done.pcrs.Get(bank, pcr), nullptr);
      EXPECT_EQ(*done.pcrs.Get(bank, pcr), tpm.Pcr(bank, pcr));
    }
  }
  // Core's Replay against those PCRs verifies every event.
  tpm::PcrValues quoted;
  for (HashAlg bank : {HashAlg::kSha1, HashAlg::kSha256}) {
    for (uint32_t pcr : {17u, 18u}) ASSERT_OK(quoted.Set(bank, pcr, tpm.Pcr(bank, pcr)));
  }
  ASSERT_OK_AND_ASSIGN(eventlog::ReplayResult replay,
                       eventlog::Replay(parsed, tpm::VerifiedPcrs::CreateForTest(quoted)));
  EXPECT_THAT(replay.findings, ::testing::IsEmpty());
  EXPECT_EQ(replay.verified.events().size(), done.events);
}

TEST(EmulateDrtmLaunch, LogHasTheShapeOfTheRealTxtFixtureAndNamesTheStandIn) {
  VOUCH_REQUIRE_FIXTURES(root);
  ASSERT_OK_AND_ASSIGN(
      Bytes real_bytes,
      testing::ReadFileBytes(root / "eventlogs" / "isecl__txt_heap_info.eventlog.bin"));
  ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog real, eventlog::ParseEventLog(real_bytes));
  FakeTpmDevice tpm;
  FakeSwtpmControl control(tpm, {HashAlg::kSha1, HashAlg::kSha256});
  // The fixture launched two modules.
  ASSERT_OK_AND_ASSIGN(DrtmEmulation done, EmulateDrtmLaunch(tpm, control, SampleInputs(1)));
  ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog emulated, eventlog::ParseEventLog(done.log));
  EXPECT_EQ(Shape(emulated), Shape(real));
  const std::vector<eventlog::Event>& events = emulated.EventsUnverifiedForDebug();
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0].type, eventlog::kEvNoAction);
  EXPECT_EQ(ToString(events[1].data), kEmulatedSinitName);
  bool signer_named = false;
  for (const eventlog::Event& ev : events) {
    if (ev.type == kEvTxtSinitPubkeyHash)
      signer_named = ToString(ev.data) == kEmulatedSinitSignerName;
  }
  EXPECT_TRUE(signer_named);
}

TEST(EmulateDrtmLaunch, ModuleEventsCarryTbootMeasurementsInOrder) {
  FakeTpmDevice tpm;
  FakeSwtpmControl control(tpm, {HashAlg::kSha1, HashAlg::kSha256});
  const LaunchInputs inputs = SampleInputs(2);
  ASSERT_OK_AND_ASSIGN(DrtmEmulation done, EmulateDrtmLaunch(tpm, control, inputs));
  ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog parsed, eventlog::ParseEventLog(done.log));
  std::vector<eventlog::Event> tboot;
  for (const eventlog::Event& ev : parsed.EventsUnverifiedForDebug()) {
    if (ev.type == kEvTbootHash) tboot.push_back(ev);
  }
  ASSERT_EQ(tboot.size(), 2u + 3u);
  EXPECT_EQ(tboot[0].pcr, 17u);
  EXPECT_EQ(tboot[1].pcr, 18u);
  ASSERT_OK_AND_ASSIGN(Bytes policy,
                       TbootPolicyDigest(HashAlg::kSha256, kTbootPolicyControlExtendPcr17,
                                         ToBytes(kEmulatedVlpName)));
  EXPECT_EQ(ToBytes(*tboot[0].DigestFor(HashAlg::kSha256)), policy);
  EXPECT_EQ(ToBytes(*tboot[1].DigestFor(HashAlg::kSha256)), policy);
  for (size_t i = 0; i < inputs.modules.size(); ++i) {
    const eventlog::Event& ev = tboot[2 + i];
    EXPECT_EQ(ev.pcr, 17u);
    EXPECT_TRUE(ev.data.empty());
    ASSERT_OK_AND_ASSIGN(Bytes want, TbootModuleDigest(HashAlg::kSha1, inputs.modules[i].image,
                                                       inputs.modules[i].cmdline));
    EXPECT_EQ(ToBytes(*ev.DigestFor(HashAlg::kSha1)), want);
  }
}

TEST(EmulateDrtmLaunch, ExtendsAtLocalities3And2AndEndsAtLocality0) {
  FakeTpmDevice tpm;
  FakeSwtpmControl control(tpm, {HashAlg::kSha1, HashAlg::kSha256});
  ASSERT_OK(EmulateDrtmLaunch(tpm, control, SampleInputs()).status());
  // The fake refuses PCR 17/18 extends at locality 0: back at 0 now.
  EXPECT_THAT(tpm.ExtendPcr(17, {{HashAlg::kSha256, Bytes(32, 1)}}),
              StatusIs(Code::kFailedPrecondition));
  // 4 (hash sequence), 3 (SINIT), 2 (tboot), 0.
  EXPECT_EQ(tpm.calls(FakeTpmDevice::Method::kSetLocality), 4);
}

TEST(EmulateDrtmLaunch, UsesEveryActiveBank) {
  const std::vector<HashAlg> banks = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384};
  FakeTpmDevice tpm(banks);
  FakeSwtpmControl control(tpm, banks);
  ASSERT_OK_AND_ASSIGN(DrtmEmulation done, EmulateDrtmLaunch(tpm, control, SampleInputs()));
  EXPECT_EQ(done.banks, banks);
  ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog parsed, eventlog::ParseEventLog(done.log));
  EXPECT_EQ(parsed.banks(), banks);
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues replayed, eventlog::ComputePcrs(parsed));
  EXPECT_EQ(*replayed.Get(HashAlg::kSha384, 17), tpm.Pcr(HashAlg::kSha384, 17));
  EXPECT_EQ(*replayed.Get(HashAlg::kSha384, 18), tpm.Pcr(HashAlg::kSha384, 18));
}

TEST(EmulateDrtmLaunch, ReportsInternalWhenTheHashSequenceDidNotReachThisTpm) {
  FakeTpmDevice tpm;
  FakeSwtpmControl control(tpm, {HashAlg::kSha1, HashAlg::kSha256});
  control.ignore_end = true;  // another TPM's control channel
  EXPECT_THAT(EmulateDrtmLaunch(tpm, control, SampleInputs()), StatusIs(Code::kInternal));
}

TEST(EmulateDrtmLaunch, ControlFailureIsReturnedAndLocalityGoesBackTo0) {
  FakeTpmDevice tpm;
  FakeSwtpmControl control(tpm, {HashAlg::kSha1, HashAlg::kSha256});
  control.fail_start = UnavailableError("swtpm control channel: connect: refused");
  EXPECT_THAT(EmulateDrtmLaunch(tpm, control, SampleInputs()), StatusIs(Code::kUnavailable));
  EXPECT_EQ(tpm.calls(FakeTpmDevice::Method::kSetLocality), 2);  // 4, then back to 0
  EXPECT_EQ(tpm.Pcr(HashAlg::kSha256, 17), Bytes(32, 0xff));
}

TEST(EmulateDrtmLaunch, RefusesALaunchWithoutModules) {
  FakeTpmDevice tpm;
  FakeSwtpmControl control(tpm, {HashAlg::kSha1, HashAlg::kSha256});
  EXPECT_THAT(EmulateDrtmLaunch(tpm, control, LaunchInputs{}), StatusIs(Code::kInvalidArgument));
  EXPECT_EQ(control.starts, 0);
}

TEST(PlanDrtmLaunch, MleAndVlpInputsReplaceTheStandIns) {
  LaunchInputs inputs = SampleInputs();
  ASSERT_OK_AND_ASSIGN(std::vector<DrtmEvent> standin, PlanDrtmLaunch({HashAlg::kSha256}, inputs));
  inputs.mle = ToBytes("real tboot MLE");
  inputs.vlp = ToBytes("real VLP");
  ASSERT_OK_AND_ASSIGN(std::vector<DrtmEvent> real, PlanDrtmLaunch({HashAlg::kSha256}, inputs));
  ASSERT_EQ(standin.size(), real.size());
  ASSERT_OK_AND_ASSIGN(Bytes mle, crypto::Digest(HashAlg::kSha256, ToBytes("real tboot MLE")));
  for (size_t i = 0; i < real.size(); ++i) {
    if (real[i].type == kEvTxtMleHash) {
      EXPECT_EQ(real[i].digests[0].digest, mle);
      EXPECT_NE(standin[i].digests[0].digest, mle);
    }
  }
}

TEST(EncodeDrtmLog, RefusesDigestsThatDoNotMatchTheBanks) {
  DrtmEvent ev;
  ev.pcr = 17;
  ev.type = kEvTbootHash;
  ev.digests = {{HashAlg::kSha1, Bytes(20, 0)}};
  EXPECT_THAT(EncodeDrtmLog({HashAlg::kSha256}, {ev}), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(EncodeDrtmLog({HashAlg::kSha1, HashAlg::kSha256}, {ev}),
              StatusIs(Code::kInvalidArgument));
  ev.digests = {{HashAlg::kSha1, Bytes(19, 0)}};
  EXPECT_THAT(EncodeDrtmLog({HashAlg::kSha1}, {ev}), StatusIs(Code::kInvalidArgument));
}

TEST(SwtpmControlEndpointFromTcti, ControlPortIsCommandPortPlusOne) {
  ASSERT_OK_AND_ASSIGN(SwtpmControlEndpoint e,
                       SwtpmControlEndpointFromTcti("swtpm:host=127.0.0.1,port=2400"));
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.port, 2401);
  ASSERT_OK_AND_ASSIGN(e, SwtpmControlEndpointFromTcti("swtpm:port=5000"));
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.port, 5001);
  ASSERT_OK_AND_ASSIGN(e, SwtpmControlEndpointFromTcti("swtpm"));
  EXPECT_EQ(e.port, 2322);
}

TEST(SwtpmControlEndpointFromTcti, RefusesOtherTctisAndBadPorts) {
  for (const char* tcti :
       {"device:/dev/tpmrm0", "mssim:port=2321", "swtpmx", "swtpm:port=abc", "swtpm:port=65535",
        "swtpm:port=0", "swtpm:port=999999", "swtpm:foo=1", "swtpm:host="}) {
    SCOPED_TRACE(tcti);
    EXPECT_THAT(SwtpmControlEndpointFromTcti(tcti), StatusIs(Code::kInvalidArgument));
  }
}

TEST(TcpSwtpmControl, UnreachableChannelIsUnavailable) {
  // Port 1 on loopback: nothing listens there in a test environment.
  std::unique_ptr<SwtpmControl> control =
      MakeTcpSwtpmControl({"127.0.0.1", 1}, std::chrono::milliseconds(500));
  EXPECT_THAT(control->HashStart(), StatusIs(Code::kUnavailable));
  EXPECT_THAT(control->SetLocality(5), StatusIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace vouch::launcher
