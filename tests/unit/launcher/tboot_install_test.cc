// tboot install against a scratch root: the files, their modes and
// contents, the GRUB entry, the tpm2-tools commands (recorded, not run),
// paths outside the root refused (also through a symlink), and through the
// CLI: --dry-run writes nothing, the running system needs --yes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "core/base/logger.h"
#include "launcher/tboot/install.h"
#include "launcher/tboot/plan.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/launcher/tboot_test_util.h"

namespace vouch::launcher::tboot {
namespace {

namespace fs = std::filesystem;
using test::ReadFile;
using test::RecordingToolRunner;
using test::ScratchDir;
using test::WriteFile;
using ::testing::HasSubstr;
using testing::StatusIs;

class NullLogger final : public Logger {
 public:
  void Log(LogLevel, std::string_view m) override { lines.emplace_back(m); }
  bool Enabled(LogLevel) const override { return true; }
  std::vector<std::string> lines;
};

// A plan over files under `root`/boot, without running the tools.
TbootPlan ScratchPlan(const ScratchDir& root) {
  WriteFile(root / "boot/tboot.gz", "tboot");
  WriteFile(root / "boot/xen.gz", "xen");
  WriteFile(root / "boot/vmlinuz", "kernel");
  WriteFile(root / "boot/initrd.img", "initrd");
  TbootPlan plan;
  plan.inputs.tboot_path = root / "boot/tboot.gz";
  plan.inputs.tboot_cmdline = "logging=serial,memory";
  plan.vlp = ToBytes("VLP bytes");
  for (HashAlg b : {HashAlg::kSha1, HashAlg::kSha256}) {
    plan.mle_hash[b] = Bytes(DigestSize(b), 1);
    plan.policy_digest[b] = Bytes(DigestSize(b), 2);
  }
  const std::vector<std::pair<std::string, std::string>> modules = {
      {root / "boot/xen.gz", "dom0_mem=2048M"},
      {root / "boot/vmlinuz", "root=/dev/sda1 ro"},
      {root / "boot/initrd.img", ""}};
  for (size_t i = 0; i < modules.size(); ++i) {
    PlannedModule m;
    m.index = i;
    m.kind = ModuleKind(HypervisorKind::kXen, i);
    m.path = modules[i].first;
    m.cmdline = modules[i].second;
    for (HashAlg b : {HashAlg::kSha1, HashAlg::kSha256}) m.measurement[b] = Bytes(DigestSize(b), 3);
    plan.modules.push_back(m);
    plan.inputs.modules.push_back({m.path, m.cmdline});
  }
  return plan;
}

TEST(GrubEntry, NamesBootPathsAndCommandLines) {
  ScratchDir root;
  const TbootPlan plan = ScratchPlan(root);
  InstallOptions options;
  options.root = root.path();
  WriteFile(root / "boot/sinit.bin", "acm");
  options.sinit = root / "boot/sinit.bin";
  ASSERT_OK_AND_ASSIGN(std::string script, GrubEntryScript(plan, options));
  EXPECT_THAT(script, HasSubstr("#!/bin/sh\nexec tail -n +3 $0\n"));
  EXPECT_THAT(script, HasSubstr("\tmultiboot2 /boot/tboot.gz logging=serial,memory\n"
                                "\tmodule2 /boot/xen.gz dom0_mem=2048M\n"
                                "\tmodule2 /boot/vmlinuz root=/dev/sda1 ro\n"
                                "\tmodule2 /boot/initrd.img\n"
                                "\tmodule2 /boot/sinit.bin\n}\n"));
  EXPECT_THAT(script, Not(HasSubstr(root.path())));
}

TEST(GrubEntry, RefusesWhatGrubWouldInterpret) {
  ScratchDir root;
  TbootPlan plan = ScratchPlan(root);
  InstallOptions options;
  options.root = root.path();
  plan.modules[1].cmdline = "root=/dev/sda1; reboot";
  EXPECT_THAT(GrubEntryScript(plan, options),
              StatusIs(Code::kInvalidArgument, HasSubstr("module 1 command line")));
  plan = ScratchPlan(root);
  plan.modules[0].path = "/elsewhere/xen.gz";
  EXPECT_THAT(GrubEntryScript(plan, options),
              StatusIs(Code::kInvalidArgument, HasSubstr("not under --root")));
}

TEST(Install, WritesFilesUnderRootAndRecordsNvCommands) {
  ScratchDir root;
  const TbootPlan plan = ScratchPlan(root);
  InstallOptions options;
  options.root = root.path();
  options.tcti = "swtpm:host=127.0.0.1,port=1";
  ASSERT_OK_AND_ASSIGN(std::vector<InstallAction> actions, PlanInstall(plan, options));
  RecordingToolRunner runner;
  runner.answer = [](const std::vector<std::string>& argv) -> Result<ToolOutput> {
    // No earlier index: undefine fails, as on a fresh TPM.
    if (argv[0] == "tpm2_nvundefine") return ToolOutput{1, "", "ERROR: handle"};
    return ToolOutput{};
  };
  NullLogger logger;
  ASSERT_OK(ApplyInstall(actions, root.path(), runner, logger));
  EXPECT_EQ(ReadFile(root / "var/lib/vouch/tboot/vl.pol"), "VLP bytes");
  ASSERT_OK_AND_ASSIGN(TbootPlan back,
                       DecodePlanJson(ReadFile(root / "var/lib/vouch/tboot/plan.json")));
  EXPECT_EQ(back.vlp, plan.vlp);
  ASSERT_OK(
      policy::DecodeReferenceSet(ReadFile(root / "var/lib/vouch/tboot/references.json")).status());
  const std::string grub = root / "etc/grub.d/20_vouch_tboot";
  struct stat st {};
  ASSERT_EQ(::stat(grub.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  EXPECT_THAT(ReadFile(grub), HasSubstr("module2 /boot/xen.gz"));
  ASSERT_EQ(runner.calls.size(), 3u);
  EXPECT_EQ(JoinCommand(runner.calls[0]),
            "tpm2_nvundefine -T swtpm:host=127.0.0.1,port=1 -C o 0x01c10131");
  EXPECT_EQ(JoinCommand(runner.calls[1]),
            "tpm2_nvdefine -T swtpm:host=127.0.0.1,port=1 -C o -s 9 -a "
            "'ownerwrite|policywrite|authread|no_da' 0x01c10131");
  EXPECT_EQ(JoinCommand(runner.calls[2]), "tpm2_nvwrite -T swtpm:host=127.0.0.1,port=1 -C o -i " +
                                              (root / "var/lib/vouch/tboot/vl.pol") +
                                              " 0x01c10131");
  // A failing define stops the install with the tool's message.
  runner.answer = [](const std::vector<std::string>& argv) -> Result<ToolOutput> {
    if (argv[0] == "tpm2_nvdefine") return ToolOutput{1, "", "ERROR: NV space full"};
    return ToolOutput{};
  };
  EXPECT_THAT(ApplyInstall(actions, root.path(), runner, logger),
              StatusIs(Code::kFailedPrecondition, HasSubstr("NV space full")));
}

TEST(Install, WithoutTctiNoTpmCommand) {
  ScratchDir root;
  const TbootPlan plan = ScratchPlan(root);
  InstallOptions options;
  options.root = root.path();
  ASSERT_OK_AND_ASSIGN(std::vector<InstallAction> actions, PlanInstall(plan, options));
  for (const InstallAction& a : actions) EXPECT_NE(a.kind, InstallAction::Kind::kRunCommand);
  bool noted = false;
  for (const InstallAction& a : actions) {
    if (DescribeAction(a).find("not written: no --tcti") != std::string::npos) noted = true;
  }
  EXPECT_TRUE(noted);
}

// The files follow the launcher's state_dir, inside ROOT.
TEST(Install, FilesGoUnderTheConfiguredStateDir) {
  ScratchDir root;
  const TbootPlan plan = ScratchPlan(root);
  InstallOptions options;
  options.root = root.path();
  options.state_dir = "/srv/vouch";
  ASSERT_OK_AND_ASSIGN(std::vector<InstallAction> actions, PlanInstall(plan, options));
  std::vector<std::string> written;
  for (const InstallAction& a : actions) {
    if (a.kind == InstallAction::Kind::kWriteFile) written.push_back(a.path);
  }
  EXPECT_THAT(written, ::testing::Contains(root / "srv/vouch/tboot/vl.pol"));
  EXPECT_THAT(written, ::testing::Contains(root / "srv/vouch/tboot/plan.json"));
}

TEST(Install, SymlinkOutOfRootIsRefused) {
  ScratchDir root;
  ScratchDir outside;
  const TbootPlan plan = ScratchPlan(root);
  fs::create_directories(root / "var/lib/vouch");
  fs::create_directory_symlink(outside.path(), root / "var/lib/vouch/tboot");
  InstallOptions options;
  options.root = root.path();
  ASSERT_OK_AND_ASSIGN(std::vector<InstallAction> actions, PlanInstall(plan, options));
  RecordingToolRunner runner;
  NullLogger logger;
  EXPECT_THAT(ApplyInstall(actions, root.path(), runner, logger),
              StatusIs(Code::kPermissionDenied, HasSubstr("outside --root")));
  EXPECT_TRUE(fs::is_empty(outside.path()));
  EXPECT_THAT(PlanInstall(plan, InstallOptions{"relative/root", "", ""}),
              StatusIs(Code::kInvalidArgument, HasSubstr("absolute")));
}

// Through the binary (real lcp2_mlehash/tb_polgen): --dry-run writes
// nothing; a real install writes; / needs --yes.
TEST(InstallCli, DryRunWritesNothingAndRootNeedsYes) {
  if (!test::HaveTool("lcp2_mlehash") || !test::HaveTool("tb_polgen") ||
      !fs::is_regular_file("/boot/tboot.gz")) {
    GTEST_SKIP() << "Debian's tboot package not installed";
  }
  ScratchDir root;
  fs::create_directories(root / "boot");
  fs::copy_file("/boot/tboot.gz", root / "boot/tboot.gz");
  WriteFile(root / "boot/vmlinuz", "kernel image");
  WriteFile(root / "boot/initrd.img", "initrd image");
  const std::vector<std::string> inputs = {"--kind",
                                           "kvm",
                                           "--tboot",
                                           root / "boot/tboot.gz",
                                           "--hypervisor",
                                           root / "boot/vmlinuz",
                                           "--hypervisor-cmdline",
                                           "root=/dev/sda1 ro",
                                           "--module",
                                           root / "boot/initrd.img",
                                           "--bank",
                                           "sha256"};
  auto count_files = [&] {
    size_t n = 0;
    for (auto it = fs::recursive_directory_iterator(root.path());
         it != fs::recursive_directory_iterator(); ++it) {
      ++n;
    }
    return n;
  };
  const size_t before = count_files();
  std::vector<std::string> argv = {
      VOUCH_LAUNCHER_BIN, "tboot",     "install", "--root",
      root.path(),        "--dry-run", "--tcti",  "swtpm:host=127.0.0.1,port=9"};
  argv.insert(argv.end(), inputs.begin(), inputs.end());
  ASSERT_OK_AND_ASSIGN(testing::ProcessResult dry, testing::RunProcess(argv));
  EXPECT_EQ(dry.exit_code, 0) << dry.Describe();
  EXPECT_EQ(count_files(), before);
  EXPECT_THAT(dry.stdout_text, HasSubstr("write " + (root / "etc/grub.d/20_vouch_tboot")));
  EXPECT_THAT(dry.stdout_text, HasSubstr("run tpm2_nvdefine"));
  EXPECT_THAT(dry.stdout_text, HasSubstr("module2 /boot/vmlinuz root=/dev/sda1 ro"));

  argv = {VOUCH_LAUNCHER_BIN, "tboot", "install", "--root", root.path()};
  argv.insert(argv.end(), inputs.begin(), inputs.end());
  ASSERT_OK_AND_ASSIGN(testing::ProcessResult real, testing::RunProcess(argv));
  EXPECT_EQ(real.exit_code, 0) << real.Describe();
  EXPECT_TRUE(fs::is_regular_file(root / "var/lib/vouch/tboot/vl.pol"));
  EXPECT_TRUE(fs::is_regular_file(root / "etc/grub.d/20_vouch_tboot"));
  EXPECT_THAT(real.stderr_text, HasSubstr("not written: no --tcti"));

  argv = {VOUCH_LAUNCHER_BIN, "tboot", "install", "--root", "/"};
  argv.insert(argv.end(), inputs.begin(), inputs.end());
  ASSERT_OK_AND_ASSIGN(testing::ProcessResult refused, testing::RunProcess(argv));
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_THAT(refused.stderr_text, HasSubstr("--yes"));
}

}  // namespace
}  // namespace vouch::launcher::tboot
