// FileEventLogSource: absent, present, oversized (sparse files, refused before
// reading), size-0 pseudo files read in chunks, and the VM log's flock
// protocol with the launcher.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "agent/evidence_collector.h"
#include "core/protocol/evidence.h"
#include "tests/testing/agent_fakes.h"
#include "tests/testing/fake_tpm_device.h"
#include "tests/testing/status_matchers.h"

namespace vouch::testing {
namespace {

namespace fs = std::filesystem;
using agent::FileEventLogSource;
using agent::LogKind;
using ::testing::AllOf;
using ::testing::HasSubstr;

class FileEventLogSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "vouch-evidence-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  void Write(const std::string& name, const std::string& data) const {
    std::ofstream(Path(name), std::ios::binary) << data;
  }
  // A sparse file of `size` bytes: no disk space used, and a reader that
  // does not check the size first would allocate all of it.
  void Sparse(const std::string& name, off_t size) const {
    Write(name, "");
    ASSERT_EQ(truncate(Path(name).c_str(), size), 0);
  }

  fs::path dir_;
};

TEST_F(FileEventLogSourceTest, AbsentFileOrEmptyPathIsNoLog) {
  FileEventLogSource source("", Path("missing-drtm"), Path("missing-vm"));
  for (LogKind kind : {LogKind::kSrtm, LogKind::kDrtm, LogKind::kVm}) {
    ASSERT_OK_AND_ASSIGN(std::optional<Bytes> log, source.Read(kind));
    EXPECT_EQ(log, std::nullopt) << agent::LogKindName(kind);
  }
}

TEST_F(FileEventLogSourceTest, ReadsWholeFiles) {
  Write("srtm", std::string("\x00\x01\x02srtm", 7));
  Write("drtm", "drtm");
  Write("vm", "");
  FileEventLogSource source(Path("srtm"), Path("drtm"), Path("vm"));
  EXPECT_THAT(source.Read(LogKind::kSrtm),
              ::testing::Optional(::testing::Optional(Bytes{0, 1, 2, 's', 'r', 't', 'm'})));
  EXPECT_THAT(source.Read(LogKind::kDrtm),
              ::testing::Optional(::testing::Optional(ToBytes("drtm"))));
  // An empty VM log (the launcher created it, no VM measured yet) is a log.
  EXPECT_THAT(source.Read(LogKind::kVm), ::testing::Optional(::testing::Optional(Bytes())));
}

TEST_F(FileEventLogSourceTest, ReadsFilesLargerThanOneChunk) {
  std::string big(300 * 1024 + 17, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31);
  Write("vm", big);
  FileEventLogSource source("", "", Path("vm"));
  ASSERT_OK_AND_ASSIGN(std::optional<Bytes> log, source.Read(LogKind::kVm));
  ASSERT_TRUE(log.has_value());
  EXPECT_EQ(*log, ToBytes(big));
}

TEST_F(FileEventLogSourceTest, RefusesOversizedLogsBeforeReading) {
  Sparse("srtm", off_t{17} * 1024 * 1024);
  Sparse("drtm", protocol::kMaxDrtmLogBytes + 1);
  Sparse("vm", protocol::kMaxVmLogBytes + 1);
  FileEventLogSource source(Path("srtm"), Path("drtm"), Path("vm"));
  EXPECT_THAT(source.Read(LogKind::kSrtm).status(),
              StatusIs(Code::kInvalidArgument,
                       AllOf(HasSubstr(Path("srtm")),
                             HasSubstr(std::to_string(protocol::kMaxSrtmLogBytes)))));
  EXPECT_THAT(source.Read(LogKind::kDrtm).status(),
              StatusIs(Code::kInvalidArgument,
                       AllOf(HasSubstr(Path("drtm")),
                             HasSubstr(std::to_string(protocol::kMaxDrtmLogBytes)))));
  EXPECT_THAT(source.Read(LogKind::kVm).status(), StatusIs(Code::kInvalidArgument));

  // Exactly at the limit is accepted.
  Sparse("drtm-max", protocol::kMaxDrtmLogBytes);
  FileEventLogSource at_limit("", Path("drtm-max"), "");
  ASSERT_OK_AND_ASSIGN(std::optional<Bytes> log, at_limit.Read(LogKind::kDrtm));
  ASSERT_TRUE(log.has_value());
  EXPECT_EQ(log->size(), protocol::kMaxDrtmLogBytes);
}

TEST_F(FileEventLogSourceTest, ReadsPseudoFilesThatReportSizeZero) {
  // procfs, like securityfs, reports st_size 0 for files that have content.
  struct stat st {};
  ASSERT_EQ(stat("/proc/self/status", &st), 0);
  ASSERT_EQ(st.st_size, 0);
  FileEventLogSource source("/proc/self/status", "", "");
  ASSERT_OK_AND_ASSIGN(std::optional<Bytes> log, source.Read(LogKind::kSrtm));
  ASSERT_TRUE(log.has_value());
  EXPECT_THAT(ToString(*log), HasSubstr("Name:"));
}

TEST_F(FileEventLogSourceTest, RefusesWhatIsNotARegularFile) {
  fs::create_directory(dir_ / "a-dir");
  ASSERT_EQ(mkfifo(Path("fifo").c_str(), 0600), 0);
  FileEventLogSource source(Path("a-dir"), Path("fifo"), "");
  EXPECT_THAT(source.Read(LogKind::kSrtm).status(),
              StatusIs(Code::kInvalidArgument, HasSubstr("not a regular file")));
  // A FIFO is refused without blocking on it.
  EXPECT_THAT(source.Read(LogKind::kDrtm).status(),
              StatusIs(Code::kInvalidArgument, HasSubstr("not a regular file")));
}

TEST_F(FileEventLogSourceTest, UnreadableFileIsPermissionDenied) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads files regardless of their mode";
  Write("srtm", "secret");
  ASSERT_EQ(chmod(Path("srtm").c_str(), 0), 0);
  FileEventLogSource source(Path("srtm"), "", "");
  EXPECT_THAT(source.Read(LogKind::kSrtm).status(),
              StatusIs(Code::kPermissionDenied, HasSubstr(Path("srtm"))));
}

TEST_F(FileEventLogSourceTest, GuardHoldsSharedLockOnVmLog) {
  Write("vm", "record");
  FileEventLogSource source("", "", Path("vm"));
  const int writer = open(Path("vm").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  {
    ASSERT_OK_AND_ASSIGN(auto guard, source.LockWriters());
    // The launcher cannot take its exclusive lock while the guard lives...
    EXPECT_NE(flock(writer, LOCK_EX | LOCK_NB), 0);
    // ...but another reader can.
    FileEventLogSource other("", "", Path("vm"));
    ASSERT_OK_AND_ASSIGN(auto second, other.LockWriters());
  }
  EXPECT_EQ(flock(writer, LOCK_EX | LOCK_NB), 0);
  close(writer);
}

TEST_F(FileEventLogSourceTest, LockWritersWaitsForLauncherToFinishAppendAndExtend) {
  Write("vm", "record-1\n");
  const int writer = open(Path("vm").c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  ASSERT_EQ(flock(writer, LOCK_EX), 0);  // the launcher, mid-append

  FileEventLogSource source("", "", Path("vm"));
  std::atomic<bool> locked{false};
  std::optional<Bytes> seen;
  std::thread agent([&] {
    Result<std::unique_ptr<agent::EventLogSource::Guard>> guard = source.LockWriters();
    locked = true;
    if (guard) seen = source.Read(LogKind::kVm).value_or(std::nullopt);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(locked.load());
  ASSERT_EQ(write(writer, "record-2\n", 9), 9);
  ASSERT_EQ(flock(writer, LOCK_UN), 0);
  agent.join();
  close(writer);
  EXPECT_TRUE(locked.load());
  EXPECT_EQ(seen, ToBytes("record-1\nrecord-2\n"));
}

TEST_F(FileEventLogSourceTest, NoVmLogMeansNothingToLock) {
  FileEventLogSource absent("", "", Path("vm-not-yet"));
  EXPECT_OK(absent.LockWriters().status());
  FileEventLogSource none("", "", "");
  EXPECT_OK(none.LockWriters().status());
}

TEST_F(FileEventLogSourceTest, CollectIncludesFilesAndRefusesOversizedOnes) {
  Write("srtm", "srtm-bytes");
  Write("vm", "vm-bytes");
  FakeTpmDevice tpm;
  ASSERT_OK_AND_ASSIGN(tpm_device::TpmObject ak, tpm.CreateLoadedAk());
  FixedHostFacts facts;  // empty facts
  FileEventLogSource source(Path("srtm"), Path("drtm"), Path("vm"));
  agent::EvidenceCollector collector(tpm, ak, source, facts);
  ASSERT_OK_AND_ASSIGN(protocol::Evidence ev, collector.Collect(Bytes(16, 1), {}));
  EXPECT_EQ(ev.srtm_log, ToBytes("srtm-bytes"));
  EXPECT_EQ(ev.drtm_log, std::nullopt);
  EXPECT_EQ(ev.vm_log, ToBytes("vm-bytes"));

  Sparse("srtm", off_t{17} * 1024 * 1024);
  EXPECT_THAT(
      collector.Collect(Bytes(16, 1), {}).status(),
      StatusIs(Code::kInvalidArgument, AllOf(HasSubstr("srtm log: "), HasSubstr(Path("srtm")))));
}

}  // namespace
}  // namespace vouch::testing
