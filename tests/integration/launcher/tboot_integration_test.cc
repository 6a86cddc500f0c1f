// tboot plan/install/status end to end on swtpm with Debian's tboot tools:
// plan -> emulate-launch with the same files and the plan's VLP -> status
// says consistent (and names a different plan precisely); a fresh TPM says
// not launched; install --tcti defines and writes the VLP NV index, and
// reading it back gives the VLP file. Skipped without the tboot package.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/tpm_device/esys_tpm_device.h"
#include "launcher/tboot/plan.h"
#include "policy/model/reference.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"

namespace vouch::launcher::tboot {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::ReadFileBytes;
using testing::RunProcess;
using testing::SwtpmInstance;
using testing::WriteFileBytes;

bool HaveTbootTools() {
  for (const char* tool : {"/usr/sbin/lcp2_mlehash", "/usr/sbin/tb_polgen"}) {
    if (!fs::exists(tool)) return false;
  }
  return fs::is_regular_file("/boot/tboot.gz");
}

class TbootIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTbootTools()) GTEST_SKIP() << "Debian's tboot package not installed";
    ASSERT_OK_AND_ASSIGN(swtpm_, SwtpmInstance::Start());
    root_ = swtpm_->WorkDir() / "root";
    fs::create_directories(root_ / "boot");
    fs::copy_file("/boot/tboot.gz", root_ / "boot/tboot.gz");
    ASSERT_OK(WriteFileBytes(root_ / "boot/xen.gz", ToBytes("xen 4.17 image bytes")));
    ASSERT_OK(WriteFileBytes(root_ / "boot/vmlinuz", ToBytes(std::string(100000, 'k'))));
    ASSERT_OK(WriteFileBytes(root_ / "boot/initrd.img", ToBytes("initrd bytes")));
  }

  std::vector<std::string> Inputs(const std::string& dom0_cmdline = "root=/dev/sda1 ro") const {
    return {"--tboot",
            (root_ / "boot/tboot.gz").string(),
            "--tboot-cmdline",
            "logging=memory",
            "--hypervisor",
            (root_ / "boot/xen.gz").string(),
            "--hypervisor-cmdline",
            "dom0_mem=2048M",
            "--module",
            (root_ / "boot/vmlinuz").string() + ":" + dom0_cmdline,
            "--module",
            (root_ / "boot/initrd.img").string(),
            "--bank",
            "sha1",
            "--bank",
            "sha256"};
  }

  Result<ProcessResult> Launcher(std::vector<std::string> args) {
    args.insert(args.begin(), VOUCH_LAUNCHER_BIN);
    return RunProcess(args, {.env = {{"TSS2_LOG", "all+none"}}});
  }

  std::unique_ptr<SwtpmInstance> swtpm_;
  fs::path root_;
};

TEST_F(TbootIntegrationTest, PlanEmulatedLaunchStatus) {
  const fs::path work = swtpm_->WorkDir();
  const std::string state = (work / "state").string();
  fs::create_directories(state);
  // Before any launch: PCR 17 all ones.
  std::vector<std::string> status = {"tboot",       "status", "--tcti",        swtpm_->Tcti(),
                                     "--state-dir", state,    "--no-txt-stat", "--json"};
  ASSERT_OK_AND_ASSIGN(ProcessResult before, Launcher(status));
  EXPECT_EQ(before.exit_code, 1) << before.Describe();
  EXPECT_THAT(before.stdout_text, HasSubstr("all ones"));

  std::vector<std::string> plan = {"tboot",
                                   "plan",
                                   "--plan-out",
                                   (work / "plan.json").string(),
                                   "--vlp-out",
                                   (work / "vl.pol").string(),
                                   "--references-out",
                                   (work / "refs.json").string()};
  for (const std::string& a : Inputs()) plan.push_back(a);
  ASSERT_OK_AND_ASSIGN(ProcessResult planned, Launcher(plan));
  ASSERT_EQ(planned.exit_code, 0) << planned.Describe();
  EXPECT_THAT(planned.stdout_text, HasSubstr("EV_TBOOT_HASH (0x501): module 2"));
  ASSERT_OK_AND_ASSIGN(std::string refs, testing::ReadFileText(work / "refs.json"));
  ASSERT_OK_AND_ASSIGN(policy::ReferenceSetDocument set, policy::DecodeReferenceSet(refs));
  EXPECT_EQ(set.entries.size(), 5u);

  // The emulated launch of the same files with the plan's VLP.
  ASSERT_OK_AND_ASSIGN(
      ProcessResult launched,
      Launcher({"emulate-launch", "--tcti", swtpm_->Tcti(), "--hypervisor",
                (root_ / "boot/xen.gz").string(), "--hypervisor-cmdline", "dom0_mem=2048M",
                "--module", (root_ / "boot/vmlinuz").string() + ":root=/dev/sda1 ro", "--module",
                (root_ / "boot/initrd.img").string(), "--vlp", (work / "vl.pol").string(), "--out",
                state + "/drtm.log"}));
  ASSERT_EQ(launched.exit_code, 0) << launched.Describe();

  status.push_back("--plan");
  status.push_back((work / "plan.json").string());
  ASSERT_OK_AND_ASSIGN(ProcessResult ok, Launcher(status));
  EXPECT_EQ(ok.exit_code, 0) << ok.Describe();
  const nlohmann::json doc = nlohmann::json::parse(ok.stdout_text, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << ok.stdout_text;
  EXPECT_EQ(doc["measured_launch"], true);
  EXPECT_EQ(doc["consistent"], true);
  EXPECT_EQ(doc["emulated"], true);
  EXPECT_EQ(doc["txt"]["present"], false);
  EXPECT_TRUE(doc["host_facts"]["hypervisor"].is_string());

  // A plan with another dom0 command line: inconsistent, named.
  std::vector<std::string> other = {"tboot", "plan", "--plan-out", (work / "other.json").string()};
  for (const std::string& a : Inputs("root=/dev/sda1 ro single")) other.push_back(a);
  ASSERT_OK_AND_ASSIGN(ProcessResult planned2, Launcher(other));
  ASSERT_EQ(planned2.exit_code, 0) << planned2.Describe();
  status.back() = (work / "other.json").string();  // the --plan argument
  ASSERT_OK_AND_ASSIGN(ProcessResult bad, Launcher(status));
  EXPECT_EQ(bad.exit_code, 1) << bad.Describe();
  EXPECT_THAT(bad.stdout_text, HasSubstr("module 1 (kernel)"));
}

// --heap reads the D-RTM log from a TXT heap dump; --collect hands it to the
// agent (STATE_DIR/drtm.log) even though this TPM saw no launch (exit 1).
TEST_F(TbootIntegrationTest, StatusCollectsTheLogFromAHeapDump) {
  VOUCH_REQUIRE_FIXTURES(fixtures);
  const std::string state = (swtpm_->WorkDir() / "state").string();
  fs::create_directories(state);
  ASSERT_OK_AND_ASSIGN(ProcessResult r,
                       Launcher({"tboot", "status", "--tcti", swtpm_->Tcti(), "--state-dir", state,
                                 "--no-txt-stat", "--collect", "--heap",
                                 (fixtures / "eventlogs/isecl__txt_heap_info.bin").string()}));
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_THAT(r.stdout_text, HasSubstr("all ones"));
  ASSERT_OK_AND_ASSIGN(Bytes collected, ReadFileBytes(fs::path(state) / "drtm.log"));
  ASSERT_OK_AND_ASSIGN(Bytes want,
                       ReadFileBytes(fixtures / "eventlogs/isecl__txt_heap_info.eventlog.bin"));
  EXPECT_EQ(collected, want);
}

TEST_F(TbootIntegrationTest, InstallWritesTheVlpIndex) {
  std::vector<std::string> install = {"tboot",        "install", "--root",
                                      root_.string(), "--tcti",  swtpm_->Tcti()};
  for (const std::string& a : Inputs()) install.push_back(a);
  // Twice: the second run replaces the index the first defined.
  for (int run = 0; run < 2; ++run) {
    ASSERT_OK_AND_ASSIGN(ProcessResult r, Launcher(install));
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
  }
  ASSERT_OK_AND_ASSIGN(Bytes vlp, ReadFileBytes(root_ / "var/lib/vouch/tboot/vl.pol"));
  ASSERT_OK_AND_ASSIGN(auto tpm, tpm_device::OpenEsysTpmDevice(swtpm_->Tcti()));
  ASSERT_OK_AND_ASSIGN(Bytes nv, tpm->ReadNv(kVlpNvIndex));
  EXPECT_EQ(nv, vlp);
  ASSERT_OK_AND_ASSIGN(std::string plan_text,
                       testing::ReadFileText(root_ / "var/lib/vouch/tboot/plan.json"));
  ASSERT_OK_AND_ASSIGN(TbootPlan plan, DecodePlanJson(plan_text));
  EXPECT_EQ(plan.vlp, vlp);
  ASSERT_OK_AND_ASSIGN(std::string grub,
                       testing::ReadFileText(root_ / "etc/grub.d/20_vouch_tboot"));
  EXPECT_THAT(grub, HasSubstr("multiboot2 /boot/tboot.gz logging=memory"));
  EXPECT_THAT(grub, HasSubstr("module2 /boot/xen.gz dom0_mem=2048M"));
}

}  // namespace
}  // namespace vouch::launcher::tboot
