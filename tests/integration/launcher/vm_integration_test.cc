// vouch-launcher measure-vm and vm-log on a real swtpm, through the real
// binary: a multi-GB sparse disk image measures to the sha256 `openssl dgst`
// prints and PCR 15 equals the VM log's replay in every bank; a process
// killed between a record's fsync and its extend
// (VOUCH_LAUNCHER_FAULT=kill-after-append, test only) leaves a log whose
// last record is not in PCR 15, which vm-log check reports and the next
// measure-vm rolls forward; a missing file exits 3 and appends nothing;
// vm-log rotate --force archives and truncates.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/protocol/vm_log.h"
#include "core/tpm/pcr.h"
#include "core/tpm_device/esys_tpm_device.h"
#include "core/tpm_device/tpm_device.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"

namespace vouch::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class VmIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(swtpm_, SwtpmInstance::Start());
    state_dir_ = swtpm_->WorkDir() / "state";
    config_ = swtpm_->WorkDir() / "launcher.conf";
    std::ofstream(config_) << "vm_pcr = 15\n";
  }

  // The launcher with the common options; `extra_env` for the fault.
  ProcessResult Launcher(std::vector<std::string> args,
                         std::vector<std::pair<std::string, std::string>> extra_env = {}) {
    std::vector<std::string> argv = {VOUCH_LAUNCHER_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--config", config_.string(), "--tcti", swtpm_->Tcti(), "--state-dir",
                             state_dir_.string()});
    ProcessOptions options;
    options.env = std::move(extra_env);
    options.env.emplace_back("TSS2_LOG", "all+none");
    options.timeout = std::chrono::seconds(50);
    auto r = RunProcess(argv, options);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r.value_or(ProcessResult{});
  }

  // PCR 15 in every active bank, read while no launcher runs (swtpm serves
  // one connection at a time).
  std::pair<std::vector<HashAlg>, tpm::PcrValues> ReadPcr15() {
    auto device = tpm_device::OpenEsysTpmDevice(swtpm_->Tcti());
    EXPECT_TRUE(device.has_value());
    if (!device.has_value()) return {};
    auto banks = (*device)->ActiveBanks();
    EXPECT_TRUE(banks.has_value());
    std::vector<tpm::PcrSelection> sel;
    for (HashAlg b : banks.value_or(std::vector<HashAlg>{})) sel.push_back({b, {15}});
    auto values = (*device)->ReadPcrs(sel);
    EXPECT_TRUE(values.has_value());
    return {banks.value_or(std::vector<HashAlg>{}), values.value_or(tpm::PcrValues())};
  }

  protocol::ParsedVmLog ParseLog() {
    const std::string text = ReadText(state_dir_ / "vm.log");
    auto parsed = protocol::ParseVmLog(AsBytes(text));
    EXPECT_TRUE(parsed.has_value());
    return parsed.value_or(protocol::ParsedVmLog{});
  }

  // Whether the replay of `records` equals PCR 15 in every active bank.
  void ExpectReplayEqualsPcr(const std::vector<protocol::VmLogRecord>& records, bool want_equal) {
    auto [banks, values] = ReadPcr15();
    ASSERT_FALSE(banks.empty());
    const tpm::PcrValues replay = protocol::ReplayVmLog(records, banks);
    for (HashAlg b : banks) {
      const Bytes* tpm_value = values.Get(b, 15);
      ASSERT_NE(tpm_value, nullptr);
      const Bytes* r = replay.Get(b, 15);
      const Bytes zero(DigestSize(b), 0);
      const Bytes& replayed = r != nullptr ? *r : zero;
      if (want_equal) {
        EXPECT_EQ(HexEncode(replayed), HexEncode(*tpm_value)) << HashAlgName(b);
      } else {
        EXPECT_NE(HexEncode(replayed), HexEncode(*tpm_value)) << HashAlgName(b);
      }
    }
  }

  std::unique_ptr<SwtpmInstance> swtpm_;
  fs::path state_dir_;
  fs::path config_;
};

TEST_F(VmIntegrationTest, SparseMultiGigabyteImageMeasuresToOpensslsDigest) {
  const fs::path disk = swtpm_->WorkDir() / "big.img";
  std::ofstream(disk).close();
  fs::resize_file(disk, uint64_t{4} << 30);  // 4 GiB, sparse

  ProcessResult r = Launcher({"measure-vm", "--name", "big-vm", "--disk", disk.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const nlohmann::json j = nlohmann::json::parse(r.stdout_text, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.stdout_text;
  ASSERT_EQ(j["records"].size(), 1u);
  EXPECT_EQ(j["records"][0]["size"], uint64_t{4} << 30);
  EXPECT_EQ(j["records"][0]["path"], disk.string());
  EXPECT_THAT(r.stderr_text, HasSubstr("measured disk " + disk.string()));

  // openssl reads the holes through the page cache (the launcher skips
  // them), so it is the slow half of this test on a loaded machine.
  ProcessOptions slow;
  slow.timeout = std::chrono::seconds(100);
  ASSERT_OK_AND_ASSIGN(ProcessResult openssl,
                       RunProcessOk({"openssl", "dgst", "-sha256", "-r", disk.string()}, slow));
  const std::string want = openssl.stdout_text.substr(0, 64);
  EXPECT_EQ(j["records"][0]["digests"]["sha256"], want);

  const protocol::ParsedVmLog log = ParseLog();
  ASSERT_EQ(log.records.size(), 1u);
  EXPECT_TRUE(log.defects.empty());
  EXPECT_EQ(HexEncode(log.records[0].digests.at(HashAlg::kSha256)), want);
  ExpectReplayEqualsPcr(log.records, true);

  ProcessResult check = Launcher({"vm-log", "check"});
  EXPECT_EQ(check.exit_code, 0) << check.Describe();
  EXPECT_THAT(check.stdout_text, HasSubstr("consistent"));
}

TEST_F(VmIntegrationTest, KillAfterAppendLeavesTheLastRecordUnextendedUntilRollForward) {
  const fs::path disk = swtpm_->WorkDir() / "disk.img";
  const fs::path kernel = swtpm_->WorkDir() / "vmlinuz";
  std::ofstream(disk) << std::string(size_t{3} << 20, 'd');
  std::ofstream(kernel) << "kernel image";
  ASSERT_EQ(Launcher({"measure-vm", "--name", "first", "--disk", disk.string()}).exit_code, 0);

  ProcessResult killed = Launcher(
      {"measure-vm", "--name", "crashy", "--kernel", kernel.string(), "--disk", disk.string()},
      {{"VOUCH_LAUNCHER_FAULT", "kill-after-append"}});
  EXPECT_EQ(killed.exit_code, 128 + 9) << killed.Describe();

  protocol::ParsedVmLog log = ParseLog();
  ASSERT_EQ(log.records.size(), 2u);  // first's disk, crashy's kernel
  EXPECT_TRUE(log.defects.empty());
  EXPECT_EQ(log.records[1].vm_name, "crashy");
  EXPECT_EQ(log.records[1].component, protocol::VmComponent::kKernel);
  ExpectReplayEqualsPcr({log.records[0]}, true);
  ExpectReplayEqualsPcr(log.records, false);

  ProcessResult check = Launcher({"vm-log", "check"});
  EXPECT_EQ(check.exit_code, 1) << check.Describe();
  EXPECT_THAT(check.stdout_text, HasSubstr("record seq 1 (vm crashy, kernel"));
  EXPECT_THAT(check.stdout_text, HasSubstr("not extended into PCR 15"));
  ProcessResult show = Launcher({"vm-log", "show", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.Describe();
  const nlohmann::json shown = nlohmann::json::parse(show.stdout_text, nullptr, false);
  ASSERT_TRUE(shown.is_object()) << show.stdout_text;
  EXPECT_EQ(shown["state"], "trailing_unextended");

  ProcessResult next =
      Launcher({"measure-vm", "--name", "after", "--disk", disk.string(), "--json"});
  ASSERT_EQ(next.exit_code, 0) << next.Describe();
  const nlohmann::json j = nlohmann::json::parse(next.stdout_text, nullptr, false);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["rolled_forward"]["seq"], 1);
  EXPECT_THAT(next.stderr_text, HasSubstr("rolled forward"));
  log = ParseLog();
  ASSERT_EQ(log.records.size(), 3u);
  EXPECT_EQ(log.records[2].seq, 2u);
  ExpectReplayEqualsPcr(log.records, true);
  EXPECT_EQ(Launcher({"vm-log", "check"}).exit_code, 0);
}

TEST_F(VmIntegrationTest, MissingFileExitsThreeAndAppendsNothing) {
  const fs::path disk = swtpm_->WorkDir() / "disk.img";
  std::ofstream(disk) << "disk";
  ASSERT_EQ(Launcher({"measure-vm", "--name", "a", "--disk", disk.string()}).exit_code, 0);
  const std::string before = ReadText(state_dir_ / "vm.log");
  const fs::path missing = swtpm_->WorkDir() / "no-such-initrd.img";
  ProcessResult r = Launcher(
      {"measure-vm", "--name", "b", "--disk", disk.string(), "--initrd", missing.string()});
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
  EXPECT_THAT(r.stderr_text, HasSubstr(missing.string()));
  EXPECT_EQ(ReadText(state_dir_ / "vm.log"), before);
  ExpectReplayEqualsPcr(ParseLog().records, true);
}

TEST_F(VmIntegrationTest, ForcedRotationArchivesAndTruncatesInPlace) {
  const fs::path disk = swtpm_->WorkDir() / "disk.img";
  std::ofstream(disk) << "disk";
  ASSERT_EQ(Launcher({"measure-vm", "--name", "a", "--disk", disk.string()}).exit_code, 0);
  const std::string before = ReadText(state_dir_ / "vm.log");
  ProcessResult same = Launcher({"vm-log", "rotate"});
  EXPECT_EQ(same.exit_code, 0) << same.Describe();
  EXPECT_EQ(ReadText(state_dir_ / "vm.log"), before);  // same boot: not rotated
  ProcessResult forced = Launcher({"vm-log", "rotate", "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.Describe();
  EXPECT_THAT(forced.stderr_text, HasSubstr("archived to"));
  EXPECT_EQ(ReadText(state_dir_ / "vm.log"), "");
  int archives = 0;
  for (const auto& e : fs::directory_iterator(state_dir_)) {
    if (e.path().filename().string().rfind("vm.log.", 0) == 0) {
      ++archives;
      EXPECT_EQ(ReadText(e.path()), before);
    }
  }
  EXPECT_EQ(archives, 1);
  // Within the same boot the PCR keeps the old extends: check says so.
  ProcessResult check = Launcher({"vm-log", "check"});
  EXPECT_EQ(check.exit_code, 1) << check.Describe();
  EXPECT_THAT(check.stdout_text, HasSubstr("mismatch"));
}

}  // namespace
}  // namespace vouch::testing
