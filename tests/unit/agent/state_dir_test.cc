// Tests of agent/state_dir.cc: creation and modes, refusal of loose
// permissions and symlinks, atomic replace, name checks.
#include "agent/state_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/testing/status_matchers.h"

namespace vouch::agent {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

class StateDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "vouch-statedir-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    root_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  static mode_t Mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  }
  // Names in `dir` (for checking that no temporary file stays behind).
  static std::vector<std::string> Entries(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }
  fs::path root_;
};

TEST_F(StateDirTest, CreatesDirectoryAndParentsWith0700WhateverTheUmask) {
  const fs::path dir = root_ / "a" / "b" / "state";
  const mode_t old = ::umask(0);  // would give 0777 without the explicit chmod
  Result<StateDir> state = StateDir::Open(dir.string(), /*create=*/true);
  ::umask(old);
  ASSERT_THAT(state, IsOk());
  EXPECT_EQ(state->path(), dir.string());
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_EQ(Mode(root_ / "a"), 0700u);
  EXPECT_EQ(Mode(root_ / "a" / "b"), 0700u);
  EXPECT_EQ(state->FilePath("ak.json"), (dir / "ak.json").string());

  // Opening again (with or without create) finds it.
  EXPECT_THAT(StateDir::Open(dir.string(), /*create=*/true), IsOk());
  EXPECT_THAT(StateDir::Open(dir.string() + "/", /*create=*/false), IsOk());
}

TEST_F(StateDirTest, MissingDirectoryIsNotFoundWithoutCreate) {
  EXPECT_THAT(StateDir::Open((root_ / "absent").string(), /*create=*/false),
              StatusIs(Code::kNotFound, HasSubstr("absent")));
  EXPECT_THAT(StateDir::Open("", /*create=*/true), StatusIs(Code::kInvalidArgument));
}

TEST_F(StateDirTest, RefusesGroupOrWorldAccessNamingTheMode) {
  const fs::path dir = root_ / "loose";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  EXPECT_THAT(StateDir::Open(dir.string(), /*create=*/false),
              StatusIs(Code::kPermissionDenied, HasSubstr(dir.string() + " has mode 0755")));
  // create does not quietly fix an existing directory's mode either.
  EXPECT_THAT(StateDir::Open(dir.string(), /*create=*/true), StatusIs(Code::kPermissionDenied));
  EXPECT_EQ(Mode(dir), 0755u);
  ASSERT_EQ(::chmod(dir.c_str(), 0710), 0);
  EXPECT_THAT(StateDir::Open(dir.string(), false),
              StatusIs(Code::kPermissionDenied, HasSubstr("mode 0710")));
  ASSERT_EQ(::chmod(dir.c_str(), 0701), 0);
  EXPECT_THAT(StateDir::Open(dir.string(), false),
              StatusIs(Code::kPermissionDenied, HasSubstr("mode 0701")));
  ASSERT_EQ(::chmod(dir.c_str(), 0700), 0);
  EXPECT_THAT(StateDir::Open(dir.string(), false), IsOk());
}

TEST_F(StateDirTest, RefusesDirectoryOwnedByAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  const fs::path dir = root_ / "other";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
  EXPECT_THAT(StateDir::Open(dir.string(), false),
              StatusIs(Code::kPermissionDenied, HasSubstr("owned by uid 65534")));
}

TEST_F(StateDirTest, RefusesSymlinkAndNonDirectory) {
  const fs::path real = root_ / "real";
  ASSERT_EQ(::mkdir(real.c_str(), 0700), 0);
  const fs::path link = root_ / "link";
  fs::create_directory_symlink(real, link);
  EXPECT_THAT(StateDir::Open(link.string(), false),
              StatusIs(Code::kPermissionDenied, HasSubstr("symlink")));
  EXPECT_THAT(StateDir::Open(link.string(), true),
              StatusIs(Code::kPermissionDenied, HasSubstr("symlink")));
  const fs::path file = root_ / "file";
  std::ofstream(file) << "x";
  EXPECT_THAT(StateDir::Open(file.string(), false),
              StatusIs(Code::kFailedPrecondition, HasSubstr("not a directory")));
}

TEST_F(StateDirTest, ReadWriteRemove) {
  ASSERT_OK_AND_ASSIGN(StateDir state, StateDir::Open((root_ / "s").string(), true));
  ASSERT_OK_AND_ASSIGN(std::optional<Bytes> absent, state.Read("ak.json"));
  EXPECT_FALSE(absent.has_value());

  const mode_t old = ::umask(0);
  Status written = state.WriteAtomic("ak.json", AsBytes("first"));
  ::umask(old);
  ASSERT_OK(written);
  EXPECT_EQ(Mode(root_ / "s" / "ak.json"), 0600u);
  ASSERT_OK_AND_ASSIGN(std::optional<Bytes> first, state.Read("ak.json"));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(ToString(*first), "first");

  ASSERT_OK(state.WriteAtomic("ak.json", AsBytes("second, longer")));
  ASSERT_OK_AND_ASSIGN(std::optional<Bytes> second, state.Read("ak.json"));
  EXPECT_EQ(ToString(*second), "second, longer");
  ASSERT_OK(state.WriteAtomic("ak.json", {}));
  ASSERT_OK_AND_ASSIGN(std::optional<Bytes> empty, state.Read("ak.json"));
  ASSERT_TRUE(empty.has_value());
  EXPECT_THAT(*empty, IsEmpty());
  EXPECT_EQ(Entries(root_ / "s"), std::vector<std::string>{"ak.json"});  // no temporaries

  ASSERT_OK(state.Remove("ak.json"));
  ASSERT_OK(state.Remove("ak.json"));  // absent is fine
  ASSERT_OK_AND_ASSIGN(std::optional<Bytes> gone, state.Read("ak.json"));
  EXPECT_FALSE(gone.has_value());
}

TEST_F(StateDirTest, AtomicReplaceKeepsOtherReadersOnCompleteFiles) {
  // A descriptor opened before the replace still sees the old, whole file;
  // the name points at the new one: rename, not rewrite in place.
  ASSERT_OK_AND_ASSIGN(StateDir state, StateDir::Open((root_ / "s").string(), true));
  ASSERT_OK(state.WriteAtomic("f", AsBytes("old contents")));
  std::ifstream before(root_ / "s" / "f");
  struct stat st_old {};
  ASSERT_EQ(::stat((root_ / "s" / "f").c_str(), &st_old), 0);
  ASSERT_OK(state.WriteAtomic("f", AsBytes("new")));
  struct stat st_new {};
  ASSERT_EQ(::stat((root_ / "s" / "f").c_str(), &st_new), 0);
  EXPECT_NE(st_old.st_ino, st_new.st_ino);
  std::string old_text;
  std::getline(before, old_text);
  EXPECT_EQ(old_text, "old contents");
}

TEST_F(StateDirTest, FailedWriteLeavesOldStateAndNoTemporaryFile) {
  ASSERT_OK_AND_ASSIGN(StateDir state, StateDir::Open((root_ / "s").string(), true));
  // A directory under the name makes the final rename fail (EISDIR).
  ASSERT_EQ(::mkdir((root_ / "s" / "blocked").c_str(), 0700), 0);
  ASSERT_OK(state.WriteAtomic("other", AsBytes("kept")));
  EXPECT_THAT(state.WriteAtomic("blocked", AsBytes("x")),
              StatusIs(Code::kUnavailable, HasSubstr("rename")));
  EXPECT_EQ(Entries(root_ / "s"), (std::vector<std::string>{"blocked", "other"}));
  EXPECT_THAT(state.Read("blocked"), StatusIs(Code::kDataLoss, HasSubstr("not a regular file")));
}

TEST_F(StateDirTest, RejectsBadNames) {
  ASSERT_OK_AND_ASSIGN(StateDir state, StateDir::Open((root_ / "s").string(), true));
  for (const std::string& name :
       {std::string(""), std::string("a/b"), std::string("../ak.json"), std::string("."),
        std::string(".."), std::string(".ak.json.tmp.00000000"), std::string("/etc/passwd"),
        std::string("a\0b", 3), std::string(201, 'n')}) {
    EXPECT_THAT(state.Read(name), StatusIs(Code::kInvalidArgument)) << name;
    EXPECT_THAT(state.WriteAtomic(name, AsBytes("x")), StatusIs(Code::kInvalidArgument)) << name;
    EXPECT_THAT(state.Remove(name), StatusIs(Code::kInvalidArgument)) << name;
  }
  EXPECT_OK(state.WriteAtomic(std::string(200, 'n'), AsBytes("x")));
}

TEST_F(StateDirTest, DoesNotFollowSymlinksInside) {
  ASSERT_OK_AND_ASSIGN(StateDir state, StateDir::Open((root_ / "s").string(), true));
  std::ofstream(root_ / "secret") << "not for the agent";
  fs::create_symlink(root_ / "secret", root_ / "s" / "ak.json");
  EXPECT_THAT(state.Read("ak.json"), StatusIs(Code::kDataLoss, HasSubstr("symlink")));
  // Writing replaces the link itself, never the file it points to.
  ASSERT_OK(state.WriteAtomic("ak.json", AsBytes("mine")));
  EXPECT_FALSE(fs::is_symlink(root_ / "s" / "ak.json"));
  std::string secret;
  std::getline(std::ifstream(root_ / "secret"), secret);
  EXPECT_EQ(secret, "not for the agent");
}

TEST_F(StateDirTest, KeepsUsingTheOpenedDirectoryAfterThePathIsSwapped) {
  ASSERT_OK_AND_ASSIGN(StateDir state, StateDir::Open((root_ / "s").string(), true));
  fs::rename(root_ / "s", root_ / "moved");
  ASSERT_EQ(::mkdir((root_ / "s").c_str(), 0700), 0);
  ASSERT_OK(state.WriteAtomic("f", AsBytes("x")));
  EXPECT_TRUE(fs::exists(root_ / "moved" / "f"));
  EXPECT_FALSE(fs::exists(root_ / "s" / "f"));
}

TEST_F(StateDirTest, RefusesOversizedFiles) {
  ASSERT_OK_AND_ASSIGN(StateDir state, StateDir::Open((root_ / "s").string(), true));
  Bytes big(kMaxStateFileBytes + 1, 'x');
  EXPECT_THAT(state.WriteAtomic("big", big), StatusIs(Code::kInvalidArgument));
  {
    std::ofstream out(root_ / "s" / "big", std::ios::binary);
    out.write(reinterpret_cast<const char*>(big.data()), static_cast<std::streamsize>(big.size()));
  }
  EXPECT_THAT(state.Read("big"), StatusIs(Code::kDataLoss, HasSubstr("bytes")));
  ASSERT_EQ(::mkfifo((root_ / "s" / "fifo").c_str(), 0600), 0);
  EXPECT_THAT(state.Read("fifo"), StatusIs(Code::kDataLoss, HasSubstr("not a regular file")));
}

TEST_F(StateDirTest, CopiesShareTheDirectory) {
  std::optional<StateDir> copy;
  {
    ASSERT_OK_AND_ASSIGN(StateDir state, StateDir::Open((root_ / "s").string(), true));
    copy = state;
  }
  ASSERT_OK(copy->WriteAtomic("f", AsBytes("x")));
  ASSERT_OK_AND_ASSIGN(std::optional<Bytes> data, copy->Read("f"));
  EXPECT_EQ(ToString(*data), "x");
}

}  // namespace
}  // namespace vouch::agent
