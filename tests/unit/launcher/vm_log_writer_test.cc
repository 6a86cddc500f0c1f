#include "launcher/vm/vm_log_writer.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto/digest.h"
#include "core/protocol/evidence.h"
#include "tests/testing/fake_tpm_device.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/launcher/vm_test_util.h"

namespace vouch::launcher {
namespace {

using protocol::VmComponent;
using protocol::VmLogRecord;
using ::testing::HasSubstr;
using testing::ReadFile;
using testing::TempDir;
using ::vouch::testing::FakeTpmDevice;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

constexpr char kBootA[] = "0b7c9e9e-1111-4a4a-8c8c-000000000001";
constexpr char kBootB[] = "0b7c9e9e-2222-4a4a-8c8c-000000000002";

VmMeasurement Measurement(VmComponent c, const std::string& content,
                          const std::vector<HashAlg>& banks) {
  VmMeasurement m;
  m.component = c;
  m.path = "/var/lib/images/" + content + ".img";
  m.size = content.size();
  for (HashAlg b : banks) m.digests[b] = *crypto::Digest(b, AsBytes(content));
  return m;
}

class VmLogWriterTest : public ::testing::Test {
 protected:
  VmLogAppendRequest Request(const std::vector<std::string>& contents,
                             const std::string& boot_id = kBootA) {
    VmLogAppendRequest r;
    r.log_path = log_path_;
    r.vm_id = "4e5f1bbb-7c16-5ef8-ade7-a3e32478886c";
    r.vm_name = "web-01";
    r.boot_id = boot_id;
    r.time = std::chrono::system_clock::from_time_t(1795000000);
    for (const std::string& c : contents) {
      r.components.push_back(Measurement(VmComponent::kDisk, c, banks_));
    }
    return r;
  }

  protocol::ParsedVmLog Parse() {
    const std::string text = ReadFile(log_path_);
    auto parsed = protocol::ParseVmLog(AsBytes(text));
    EXPECT_THAT(parsed, IsOk());
    return parsed.value_or(protocol::ParsedVmLog{});
  }

  // The TPM's PCR 15 equals the replay of the log's records, every bank.
  void ExpectConsistent() {
    ASSERT_OK_AND_ASSIGN(VmLogInspection in, InspectVmLog(tpm_, log_path_, 15));
    EXPECT_EQ(in.classification.state, VmPcrState::kConsistent) << in.classification.message;
    const tpm::PcrValues replay = protocol::ReplayVmLog(in.log.records, banks_);
    for (HashAlg b : banks_) {
      const Bytes* v = replay.Get(b, 15);
      ASSERT_NE(v, nullptr);
      EXPECT_EQ(HexEncode(*v), HexEncode(tpm_.Pcr(b, 15))) << HashAlgName(b);
    }
  }

  TempDir dir_;
  std::string log_path_ = dir_.File("state/vm.log");
  std::vector<HashAlg> banks_ = {HashAlg::kSha1, HashAlg::kSha256};
  FakeTpmDevice tpm_{banks_};
  NullLogger logger_;
};

TEST_F(VmLogWriterTest, AppendsOneRecordPerComponentAndExtendsThePcr) {
  ASSERT_OK_AND_ASSIGN(VmLogAppendResult r,
                       AppendVmMeasurements(tpm_, Request({"a", "b"}), logger_));
  ASSERT_EQ(r.appended.size(), 2u);
  EXPECT_EQ(r.offsets[0], 0u);
  EXPECT_FALSE(r.rolled_forward.has_value());
  EXPECT_FALSE(r.sealed_torn_offset.has_value());
  EXPECT_FALSE(r.rotated_to.has_value());
  EXPECT_TRUE(r.warnings.empty());
  const protocol::ParsedVmLog log = Parse();
  ASSERT_EQ(log.records.size(), 2u);
  EXPECT_TRUE(log.defects.empty());
  EXPECT_EQ(log.records[0].seq, 0u);
  EXPECT_EQ(log.records[1].seq, 1u);
  EXPECT_EQ(log.offsets[1], r.offsets[1]);
  EXPECT_EQ(log.records[0].boot_id, kBootA);
  EXPECT_EQ(log.records[0].time, "2026-11-18T11:06:40Z");
  EXPECT_EQ(log.records[1].digests.at(HashAlg::kSha256),
            *crypto::Digest(HashAlg::kSha256, AsBytes("b")));
  // PCR 15 := H(H(0 || d_a) || d_b) in each bank, computed here by hand.
  for (HashAlg b : banks_) {
    Bytes pcr(DigestSize(b), 0);
    ASSERT_THAT(crypto::ExtendPcr(b, pcr, *crypto::Digest(b, AsBytes("a"))), IsOk());
    ASSERT_THAT(crypto::ExtendPcr(b, pcr, *crypto::Digest(b, AsBytes("b"))), IsOk());
    EXPECT_EQ(HexEncode(tpm_.Pcr(b, 15)), HexEncode(pcr)) << HashAlgName(b);
  }
  ExpectConsistent();

  // A second measurement continues the sequence.
  ASSERT_OK_AND_ASSIGN(r, AppendVmMeasurements(tpm_, Request({"c"}), logger_));
  ASSERT_EQ(r.appended.size(), 1u);
  EXPECT_EQ(r.appended[0].seq, 2u);
  EXPECT_EQ(Parse().records.size(), 3u);
  ExpectConsistent();
}

TEST_F(VmLogWriterTest, OtherPcrIsUsedWhenAsked) {
  VmLogAppendRequest req = Request({"a"});
  req.pcr = 14;
  ASSERT_THAT(AppendVmMeasurements(tpm_, req, logger_), IsOk());
  EXPECT_EQ(Parse().records[0].pcr, 14u);
  EXPECT_EQ(tpm_.Pcr(HashAlg::kSha256, 15), Bytes(32, 0));
  EXPECT_NE(tpm_.Pcr(HashAlg::kSha256, 14), Bytes(32, 0));
  ASSERT_OK_AND_ASSIGN(VmLogInspection in, InspectVmLog(tpm_, log_path_, 15));
  EXPECT_EQ(in.classification.state, VmPcrState::kConsistent) << in.classification.message;
}

TEST_F(VmLogWriterTest, ResettablePcrsAreRefusedAndNothingIsWritten) {
  for (uint32_t pcr : {16u, 23u, 7u, 17u}) {
    VmLogAppendRequest req = Request({"a"});
    req.pcr = pcr;
    EXPECT_THAT(AppendVmMeasurements(tpm_, req, logger_), StatusIs(Code::kInvalidArgument));
  }
  EXPECT_FALSE(std::filesystem::exists(log_path_));
  EXPECT_EQ(tpm_.calls(FakeTpmDevice::Method::kExtendPcr), 0);
}

TEST_F(VmLogWriterTest, DigestsMustCoverExactlyTheActiveBanks) {
  VmLogAppendRequest req = Request({"a"});
  req.components[0].digests.erase(HashAlg::kSha1);
  EXPECT_THAT(AppendVmMeasurements(tpm_, req, logger_),
              StatusIs(Code::kFailedPrecondition, HasSubstr("sha1")));
  req = Request({"a"});
  req.components[0].digests[HashAlg::kSha384] = Bytes(48, 1);
  EXPECT_THAT(AppendVmMeasurements(tpm_, req, logger_), StatusIs(Code::kFailedPrecondition));
  EXPECT_FALSE(std::filesystem::exists(log_path_));
}

TEST_F(VmLogWriterTest, TornTailIsSealedReportedAndNeverExtended) {
  ASSERT_THAT(AppendVmMeasurements(tpm_, Request({"a"}), logger_), IsOk());
  const size_t torn_at = ReadFile(log_path_).size();
  {
    // A crash in the middle of an append: half a record, no newline.
    std::ofstream out(log_path_, std::ios::app | std::ios::binary);
    out << R"({"v":1,"seq":1,"time":"2026-11-18T11:06:40Z","boot_id":)";
  }
  ASSERT_OK_AND_ASSIGN(VmLogInspection before, InspectVmLog(tpm_, log_path_, 15));
  ASSERT_EQ(before.log.defects.size(), 1u);
  EXPECT_EQ(before.log.defects[0].kind, protocol::VmLogDefect::Kind::kTorn);
  EXPECT_EQ(before.log.defects[0].offset, torn_at);
  EXPECT_EQ(before.classification.state, VmPcrState::kConsistent);

  ASSERT_OK_AND_ASSIGN(VmLogAppendResult r, AppendVmMeasurements(tpm_, Request({"b"}), logger_));
  ASSERT_TRUE(r.sealed_torn_offset.has_value());
  EXPECT_EQ(*r.sealed_torn_offset, torn_at);
  EXPECT_EQ(r.appended[0].seq, 1u);
  const protocol::ParsedVmLog log = Parse();
  EXPECT_TRUE(log.ends_with_newline);
  ASSERT_EQ(log.records.size(), 2u);
  ASSERT_EQ(log.defects.size(), 1u);
  EXPECT_EQ(log.defects[0].kind, protocol::VmLogDefect::Kind::kMalformed);
  EXPECT_EQ(log.defects[0].offset, torn_at);
  EXPECT_GT(log.offsets[1], torn_at);
  ExpectConsistent();
}

TEST_F(VmLogWriterTest, RecordLeftUnextendedByACrashIsRolledForward) {
  // The crash: the second record is fsynced, then the process dies.
  VmLogAppendRequest req = Request({"a", "b"});
  int appended = 0;
  req.after_append_for_test = [&](const VmLogRecord&) -> Status {
    return ++appended == 2 ? UnavailableError("simulated crash") : Status::Ok();
  };
  EXPECT_THAT(AppendVmMeasurements(tpm_, req, logger_),
              StatusIs(Code::kUnavailable, HasSubstr("simulated crash")));
  ASSERT_OK_AND_ASSIGN(VmLogInspection in, InspectVmLog(tpm_, log_path_, 15));
  ASSERT_EQ(in.log.records.size(), 2u);
  EXPECT_EQ(in.classification.state, VmPcrState::kTrailingUnextended);
  EXPECT_THAT(in.classification.message, HasSubstr("seq 1"));
  EXPECT_THAT(in.classification.message, HasSubstr("web-01"));
  // Everything but the last record replays to the PCR.
  const tpm::PcrValues head = protocol::ReplayVmLog({in.log.records[0]}, banks_);
  for (HashAlg b : banks_) EXPECT_EQ(*head.Get(b, 15), tpm_.Pcr(b, 15));

  ASSERT_OK_AND_ASSIGN(VmLogAppendResult r, AppendVmMeasurements(tpm_, Request({"c"}), logger_));
  ASSERT_TRUE(r.rolled_forward.has_value());
  EXPECT_EQ(r.rolled_forward->seq, 1u);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(r.appended[0].seq, 2u);
  ExpectConsistent();
}

TEST_F(VmLogWriterTest, MismatchIsReportedButTheAppendGoesAhead) {
  ASSERT_THAT(AppendVmMeasurements(tpm_, Request({"a"}), logger_), IsOk());
  tpm_.SetPcrForTest(HashAlg::kSha256, 15, Bytes(32, 0xab));
  ASSERT_OK_AND_ASSIGN(VmLogInspection in, InspectVmLog(tpm_, log_path_, 15));
  EXPECT_EQ(in.classification.state, VmPcrState::kMismatch);
  EXPECT_THAT(in.classification.message, HasSubstr("PCR 15 sha256"));
  ASSERT_OK_AND_ASSIGN(VmLogAppendResult r, AppendVmMeasurements(tpm_, Request({"b"}), logger_));
  EXPECT_FALSE(r.rolled_forward.has_value());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], HasSubstr("mismatch"));
  EXPECT_EQ(Parse().records.size(), 2u);
}

TEST_F(VmLogWriterTest, LogOfAnotherBootIsArchivedAndTruncatedInPlace) {
  ASSERT_THAT(AppendVmMeasurements(tpm_, Request({"a", "b"}, kBootA), logger_), IsOk());
  const std::string old_content = ReadFile(log_path_);
  struct stat before {};
  ASSERT_EQ(::stat(log_path_.c_str(), &before), 0);
  tpm_.Reboot();
  ASSERT_THAT(tpm_.Startup(), IsOk());

  ASSERT_OK_AND_ASSIGN(VmLogAppendResult r,
                       AppendVmMeasurements(tpm_, Request({"c"}, kBootB), logger_));
  ASSERT_TRUE(r.rotated_to.has_value());
  EXPECT_EQ(*r.rotated_to, log_path_ + "." + kBootA);
  EXPECT_EQ(ReadFile(*r.rotated_to), old_content);
  EXPECT_TRUE(r.warnings.empty());  // the new boot's PCR matches the empty log
  const protocol::ParsedVmLog log = Parse();
  ASSERT_EQ(log.records.size(), 1u);
  EXPECT_EQ(log.records[0].seq, 0u);
  EXPECT_EQ(log.records[0].boot_id, kBootB);
  // Same inode: the agent's lock on the file still means this log.
  struct stat after {};
  ASSERT_EQ(::stat(log_path_.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  ExpectConsistent();
}

TEST_F(VmLogWriterTest, RotateOnlyWhenTheBootChangedOrForced) {
  ASSERT_OK_AND_ASSIGN(VmLogRotateResult none, RotateVmLog(log_path_, kBootA, false));
  EXPECT_FALSE(none.rotated);
  EXPECT_THAT(none.message, HasSubstr("no VM log"));
  ASSERT_THAT(AppendVmMeasurements(tpm_, Request({"a"}, kBootA), logger_), IsOk());
  const std::string content = ReadFile(log_path_);

  ASSERT_OK_AND_ASSIGN(VmLogRotateResult same, RotateVmLog(log_path_, kBootA, false));
  EXPECT_FALSE(same.rotated);
  EXPECT_THAT(same.message, HasSubstr("--force"));
  EXPECT_EQ(ReadFile(log_path_), content);

  ASSERT_OK_AND_ASSIGN(VmLogRotateResult other, RotateVmLog(log_path_, kBootB, false));
  EXPECT_TRUE(other.rotated);
  EXPECT_EQ(other.archive_path, log_path_ + "." + kBootA);
  EXPECT_EQ(ReadFile(other.archive_path), content);
  EXPECT_EQ(ReadFile(log_path_), "");

  ASSERT_OK_AND_ASSIGN(VmLogRotateResult empty, RotateVmLog(log_path_, kBootB, true));
  EXPECT_FALSE(empty.rotated);

  // Forced within the same boot, the archive name is taken: ".1".
  ASSERT_THAT(AppendVmMeasurements(tpm_, Request({"b"}, kBootA), logger_), IsOk());
  ASSERT_OK_AND_ASSIGN(VmLogRotateResult forced, RotateVmLog(log_path_, kBootA, true));
  EXPECT_TRUE(forced.rotated);
  EXPECT_EQ(forced.archive_path, log_path_ + "." + kBootA + ".1");
  EXPECT_EQ(ReadFile(log_path_), "");
  ASSERT_OK_AND_ASSIGN(VmLogInspection in, InspectVmLog(tpm_, log_path_, 15));
  EXPECT_EQ(in.classification.state, VmPcrState::kMismatch);
}

TEST_F(VmLogWriterTest, OversizedLogIsRefusedInItsBootAndRotatedAfterIt) {
  ASSERT_THAT(AppendVmMeasurements(tpm_, Request({"a"}, kBootA), logger_), IsOk());
  const std::string line = ReadFile(log_path_);
  std::string big;
  while (big.size() <= protocol::kMaxVmLogBytes) big += line;
  testing::WriteFile(log_path_, AsBytes(big));
  EXPECT_THAT(AppendVmMeasurements(tpm_, Request({"b"}, kBootA), logger_),
              StatusIs(Code::kFailedPrecondition, HasSubstr("rotate")));
  EXPECT_EQ(ReadFile(log_path_).size(), big.size());

  tpm_.Reboot();
  ASSERT_THAT(tpm_.Startup(), IsOk());
  ASSERT_OK_AND_ASSIGN(VmLogAppendResult r,
                       AppendVmMeasurements(tpm_, Request({"c"}, kBootB), logger_));
  ASSERT_TRUE(r.rotated_to.has_value());
  EXPECT_EQ(ReadFile(*r.rotated_to).size(), big.size());
  EXPECT_EQ(Parse().records.size(), 1u);
  ExpectConsistent();
}

TEST_F(VmLogWriterTest, MissingLogInspectsAsEmpty) {
  ASSERT_OK_AND_ASSIGN(VmLogInspection in, InspectVmLog(tpm_, log_path_, 15));
  EXPECT_FALSE(in.exists);
  EXPECT_EQ(in.classification.state, VmPcrState::kConsistent);
  EXPECT_EQ(in.classification.checks.size(), banks_.size());
  EXPECT_FALSE(std::filesystem::exists(log_path_));
}

TEST_F(VmLogWriterTest, ConcurrentWritersAreSerialised) {
  testing::LockedTpmDevice shared(tpm_);
  constexpr int kThreads = 4;
  constexpr int kEach = 6;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        VmLogAppendRequest req = Request({"t" + std::to_string(t) + "-" + std::to_string(i), "x"});
        if (!AppendVmMeasurements(shared, req, logger_).has_value()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  const protocol::ParsedVmLog log = Parse();
  EXPECT_TRUE(log.defects.empty());
  ASSERT_EQ(log.records.size(), size_t{kThreads} * kEach * 2);
  for (size_t i = 0; i < log.records.size(); ++i) {
    EXPECT_EQ(log.records[i].seq, i);
    // Each measurement's two records stay together.
    if (i % 2 == 1) EXPECT_EQ(log.records[i].path, "/var/lib/images/x.img");
  }
  ExpectConsistent();
}

TEST_F(VmLogWriterTest, ConcurrentProcessesAreSerialised) {
  // Forked writers share nothing but the file; each has its own TPM, so
  // only the log is checked: whole lines, one sequence.
  ASSERT_THAT(AppendVmMeasurements(tpm_, Request({"first"}), logger_), IsOk());
  std::vector<pid_t> children;
  for (int c = 0; c < 3; ++c) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      FakeTpmDevice own(banks_);
      int rc = 0;
      for (int i = 0; i < 5; ++i) {
        if (!AppendVmMeasurements(own, Request({"p" + std::to_string(c) + std::to_string(i)}),
                                  logger_)
                 .has_value()) {
          rc = 1;
        }
      }
      ::_exit(rc);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const protocol::ParsedVmLog log = Parse();
  EXPECT_TRUE(log.defects.empty());
  ASSERT_EQ(log.records.size(), 16u);
  std::set<std::string> paths;
  for (size_t i = 0; i < log.records.size(); ++i) {
    EXPECT_EQ(log.records[i].seq, i);
    paths.insert(log.records[i].path);
  }
  EXPECT_EQ(paths.size(), 16u);
}

TEST_F(VmLogWriterTest, ReadersSharedLockBlocksTheAppend) {
  ASSERT_THAT(AppendVmMeasurements(tpm_, Request({"a"}), logger_), IsOk());
  const std::string before = ReadFile(log_path_);
  // The agent's side: LOCK_SH on the log while it reads logs, PCRs, quote.
  const int fd = ::open(log_path_.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_SH), 0);
  std::atomic<bool> done{false};
  testing::LockedTpmDevice shared(tpm_);
  std::thread writer([&] {
    EXPECT_THAT(AppendVmMeasurements(shared, Request({"b"}), logger_), IsOk());
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(done.load());
  EXPECT_EQ(ReadFile(log_path_), before);
  EXPECT_EQ(tpm_.calls(FakeTpmDevice::Method::kExtendPcr), 1);
  ::close(fd);  // releases LOCK_SH
  writer.join();
  EXPECT_TRUE(done.load());
  EXPECT_EQ(Parse().records.size(), 2u);
  ExpectConsistent();
}

TEST(ClassifyVmLogTest, PartialExtendAcrossBanksIsAMismatch) {
  VmLogRecord r;
  r.pcr = 15;
  r.vm_name = "v";
  r.digests[HashAlg::kSha1] = Bytes(20, 1);
  r.digests[HashAlg::kSha256] = Bytes(32, 2);
  // sha1 holds the extend, sha256 does not: one TPM extend covers both, so
  // this is not an interrupted measurement.
  tpm::PcrValues values;
  Bytes sha1(20, 0);
  ASSERT_THAT(crypto::ExtendPcr(HashAlg::kSha1, sha1, Bytes(20, 1)), IsOk());
  ASSERT_THAT(values.Set(HashAlg::kSha1, 15, sha1), IsOk());
  ASSERT_THAT(values.Set(HashAlg::kSha256, 15, Bytes(32, 0)), IsOk());
  const VmLogClassification c =
      ClassifyVmLog({r}, values, {HashAlg::kSha1, HashAlg::kSha256}, {15});
  EXPECT_EQ(c.state, VmPcrState::kMismatch);
  EXPECT_THAT(c.message, HasSubstr("some banks only"));
}

TEST(ReadBootIdTest, ReadsTheFirstLineAndRefusesJunk) {
  TempDir dir;
  testing::WriteFile(dir.File("id"), AsBytes(std::string(kBootA) + "\n"));
  EXPECT_EQ(ReadBootId(dir.File("id")), kBootA);
  testing::WriteFile(dir.File("bad"), AsBytes("../../etc/passwd\n"));
  EXPECT_EQ(ReadBootId(dir.File("bad")), "");
  EXPECT_EQ(ReadBootId(dir.File("missing")), "");
}

}  // namespace
}  // namespace vouch::launcher
