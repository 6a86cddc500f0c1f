// tboot status on a FakeTpmDevice: never launched (PCR 17 all ones), an
// emulated launch whose log and PCRs agree with the plan, a plan that
// differs (precise message), a log that does not replay; txt-stat's
// answers; the hypervisor host facts from a scratch /proc, /sys, /dev.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/crypto/digest.h"
#include "launcher/drtm/emulate_launch.h"
#include "launcher/drtm/tboot_measure.h"
#include "launcher/tboot/plan.h"
#include "launcher/tboot/status.h"
#include "tests/testing/fake_tpm_device.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/launcher/tboot_test_util.h"

namespace vouch::launcher::tboot {
namespace {

using testing::FakeTpmDevice;
using ::testing::HasSubstr;

const std::vector<HashAlg> kBanks = {HashAlg::kSha1, HashAlg::kSha256};

LaunchInputs SampleLaunch() {
  LaunchInputs li;
  li.modules.push_back({"xen.gz", ToBytes("xen image"), "dom0_mem=1G"});
  li.modules.push_back({"vmlinuz", ToBytes("dom0 kernel"), "root=/dev/sda1 ro"});
  li.modules.push_back({"initrd.img", ToBytes("initrd"), ""});
  li.vlp = ToBytes("the VLP");
  return li;
}

// The plan for SampleLaunch (MLE hash: a real tboot's, not the emulation's).
TbootPlan SamplePlan() {
  const LaunchInputs li = SampleLaunch();
  TbootPlan plan;
  plan.vlp = *li.vlp;
  for (HashAlg b : kBanks) {
    plan.mle_hash[b] = Bytes(DigestSize(b), 0x5A);
    plan.policy_digest[b] = *TbootPolicyDigest(b, 1, plan.vlp);
  }
  for (size_t i = 0; i < li.modules.size(); ++i) {
    PlannedModule m;
    m.index = i;
    m.path = li.modules[i].name;
    m.kind = ModuleKind(HypervisorKind::kXen, i);
    for (HashAlg b : kBanks) {
      m.measurement[b] = *TbootModuleDigest(b, li.modules[i].image, li.modules[i].cmdline);
    }
    plan.modules.push_back(m);
  }
  return plan;
}

// Puts the emulated launch's PCR 17/18 into `tpm` and returns its log.
Bytes Launch(FakeTpmDevice& tpm, const LaunchInputs& li) {
  auto events = PlanDrtmLaunch(kBanks, li);
  EXPECT_TRUE(events.has_value());
  auto log = EncodeDrtmLog(kBanks, *events);
  EXPECT_TRUE(log.has_value());
  for (HashAlg b : kBanks) {
    Bytes p17(DigestSize(b), 0);
    Bytes p18(DigestSize(b), 0);
    for (const DrtmEvent& ev : *events) {
      for (const auto& d : ev.digests) {
        if (d.bank != b) continue;
        EXPECT_OK(crypto::ExtendPcr(b, ev.pcr == 17 ? p17 : p18, d.digest));
      }
    }
    tpm.SetPcrForTest(b, 17, p17);
    tpm.SetPcrForTest(b, 18, p18);
  }
  return *log;
}

tpm::PcrValues ReadDrtmPcrs(FakeTpmDevice& tpm) {
  std::vector<tpm::PcrSelection> sel;
  sel.reserve(kBanks.size());
  for (HashAlg b : kBanks) sel.push_back({b, {17, 18}});
  auto pcrs = tpm.ReadPcrs(sel);
  EXPECT_TRUE(pcrs.has_value());
  return *pcrs;
}

TEST(Status, NotLaunched) {
  FakeTpmDevice tpm;
  ASSERT_OK_AND_ASSIGN(LaunchCheck c, CheckLaunch(ReadDrtmPcrs(tpm), std::nullopt, SamplePlan()));
  EXPECT_FALSE(c.launched);
  EXPECT_FALSE(c.consistent);
  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_THAT(c.problems[0], HasSubstr("all ones"));
}

TEST(Status, EmulatedLaunchConsistentWithThePlan) {
  FakeTpmDevice tpm;
  const Bytes log = Launch(tpm, SampleLaunch());
  ASSERT_OK_AND_ASSIGN(LaunchCheck c, CheckLaunch(ReadDrtmPcrs(tpm), log, SamplePlan()));
  EXPECT_TRUE(c.launched);
  EXPECT_TRUE(c.log_replays);
  EXPECT_TRUE(c.emulated);
  EXPECT_TRUE(c.consistent) << ::testing::PrintToString(c.problems);
  // Without a plan: launched and replaying is enough.
  ASSERT_OK_AND_ASSIGN(LaunchCheck no_plan, CheckLaunch(ReadDrtmPcrs(tpm), log, std::nullopt));
  EXPECT_TRUE(no_plan.consistent);
}

TEST(Status, OtherModuleOrPolicyIsNamed) {
  FakeTpmDevice tpm;
  LaunchInputs li = SampleLaunch();
  li.modules[1].cmdline = "root=/dev/sda2 ro init=/bin/sh";
  const Bytes log = Launch(tpm, li);
  ASSERT_OK_AND_ASSIGN(LaunchCheck c, CheckLaunch(ReadDrtmPcrs(tpm), log, SamplePlan()));
  EXPECT_TRUE(c.launched);
  EXPECT_TRUE(c.log_replays);
  EXPECT_FALSE(c.consistent);
  ASSERT_EQ(c.problems.size(), 2u);  // sha1 and sha256
  EXPECT_THAT(c.problems[0], HasSubstr("module 1 (kernel) vmlinuz (PCR 17, sha1)"));

  TbootPlan plan = SamplePlan();
  plan.policy_digest[HashAlg::kSha256][0] ^= 1;
  ASSERT_OK_AND_ASSIGN(LaunchCheck p,
                       CheckLaunch(ReadDrtmPcrs(tpm), Launch(tpm, SampleLaunch()), plan));
  EXPECT_FALSE(p.consistent);
  EXPECT_THAT(::testing::PrintToString(p.problems), HasSubstr("tboot policy control (PCR 18"));

  plan = SamplePlan();
  plan.modules.pop_back();
  ASSERT_OK_AND_ASSIGN(LaunchCheck n,
                       CheckLaunch(ReadDrtmPcrs(tpm), Launch(tpm, SampleLaunch()), plan));
  EXPECT_THAT(::testing::PrintToString(n.problems), HasSubstr("5 tboot events"));
}

TEST(Status, LogThatDoesNotReplay) {
  FakeTpmDevice tpm;
  const Bytes log = Launch(tpm, SampleLaunch());
  tpm.SetPcrForTest(HashAlg::kSha256, 18, Bytes(32, 0x42));
  ASSERT_OK_AND_ASSIGN(LaunchCheck c, CheckLaunch(ReadDrtmPcrs(tpm), log, SamplePlan()));
  EXPECT_TRUE(c.launched);
  EXPECT_FALSE(c.log_replays);
  EXPECT_FALSE(c.consistent);
  EXPECT_THAT(c.problems[0], HasSubstr("does not replay to PCR 18 sha256"));
  ASSERT_OK_AND_ASSIGN(LaunchCheck bad,
                       CheckLaunch(ReadDrtmPcrs(tpm), ToBytes("not a log"), std::nullopt));
  EXPECT_THAT(bad.problems[0], HasSubstr("does not parse"));
  ASSERT_OK_AND_ASSIGN(LaunchCheck none,
                       CheckLaunch(ReadDrtmPcrs(tpm), std::nullopt, std::nullopt));
  EXPECT_THAT(none.problems[0], HasSubstr("no D-RTM event log"));
}

TEST(TxtStat, Answers) {
  TxtStat none = InterpretTxtStat(ToolOutput{1, "", "ERROR: cannot open /dev/mem\n"});
  EXPECT_FALSE(none.txt_present);
  EXPECT_THAT(none.detail, HasSubstr("no TXT"));
  TxtStat yes = InterpretTxtStat(
      ToolOutput{0, "\t TXT measured launch: TRUE\n\t secrets flag set: TRUE\n", ""});
  EXPECT_TRUE(yes.txt_present);
  EXPECT_TRUE(yes.measured_launch);
  TxtStat no = InterpretTxtStat(ToolOutput{0, "\t TXT measured launch: FALSE\n", ""});
  EXPECT_TRUE(no.txt_present);
  EXPECT_FALSE(no.measured_launch);
  TxtStat missing = InterpretTxtStat(Result<ToolOutput>(NotFoundError("txt-stat: not found")));
  EXPECT_FALSE(missing.txt_present);
  EXPECT_THAT(missing.detail, HasSubstr("not found"));
  // The real tool on this machine (no TXT): it fails on /dev/mem.
  if (test::HaveTool("txt-stat")) {
    auto runner = MakeProcessToolRunner();
    TxtStat real = InterpretTxtStat(runner->Run({"txt-stat"}));
    if (!real.txt_present) EXPECT_THAT(real.detail, HasSubstr("no TXT"));
  }
}

TEST(HostFacts, XenKvmNone) {
  test::ScratchDir xen;
  test::WriteFile(xen / "sys/hypervisor/type", "xen\n");
  test::WriteFile(xen / "sys/hypervisor/version/major", "4\n");
  test::WriteFile(xen / "sys/hypervisor/version/minor", "17\n");
  test::WriteFile(xen / "sys/hypervisor/version/extra", ".3\n");
  HypervisorFacts x = DetectHypervisor(xen.path());
  EXPECT_EQ(x.kind, "xen");
  EXPECT_EQ(x.version, "4.17.3");
  test::ScratchDir kvm;
  test::WriteFile(kvm / "dev/kvm", "");
  test::WriteFile(kvm / "proc/sys/kernel/osrelease", "6.1.0-13-amd64\n");
  HypervisorFacts k = DetectHypervisor(kvm.path());
  EXPECT_EQ(k.kind, "kvm");
  EXPECT_EQ(k.version, "6.1.0-13-amd64");
  test::ScratchDir none;
  EXPECT_EQ(DetectHypervisor(none.path()).kind, "none");
}

}  // namespace
}  // namespace vouch::launcher::tboot
