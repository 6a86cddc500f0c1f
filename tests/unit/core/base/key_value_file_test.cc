// Tests of core/base/key_value_file.cc: line syntax, comments, trimming,
// duplicate keys, line numbers in errors, and bounded file reading.
#include "core/base/key_value_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/testing/status_matchers.h"

namespace vouch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

struct Seen {
  std::string key;
  std::string value;
  size_t line;
  bool operator==(const Seen&) const = default;
};

// Collects every entry of `text`; the status is ParseKeyValueText's.
Status Collect(std::string_view text, std::vector<Seen>& seen) {
  return ParseKeyValueText(text, [&seen](const KeyValueEntry& e) {
    seen.push_back({std::string(e.key), std::string(e.value), e.line});
    return Status::Ok();
  });
}

TEST(KeyValueFileTest, ParsesEntriesInOrderWithLineNumbers) {
  std::vector<Seen> seen;
  ASSERT_THAT(Collect("# comment\n\n  a = 1\nb=two words \n\tc\t=\t\n   # indented comment\n"
                      "d = x = y # not a comment",
                      seen),
              IsOk());
  EXPECT_THAT(seen, ElementsAre(Seen{"a", "1", 3}, Seen{"b", "two words", 4}, Seen{"c", "", 5},
                                Seen{"d", "x = y # not a comment", 7}));
}

TEST(KeyValueFileTest, HandlesCrlfAndNoFinalNewline) {
  std::vector<Seen> seen;
  ASSERT_THAT(Collect("a = 1\r\nb = 2\r\n\r\nc = 3", seen), IsOk());
  EXPECT_THAT(seen, ElementsAre(Seen{"a", "1", 1}, Seen{"b", "2", 2}, Seen{"c", "3", 4}));
}

TEST(KeyValueFileTest, EmptyTextHasNoEntries) {
  std::vector<Seen> seen;
  EXPECT_THAT(Collect("", seen), IsOk());
  EXPECT_THAT(Collect("\n\n# only comments\n", seen), IsOk());
  EXPECT_TRUE(seen.empty());
}

TEST(KeyValueFileTest, LineWithoutEqualsIsAnError) {
  std::vector<Seen> seen;
  EXPECT_THAT(Collect("a = 1\nnonsense\n", seen),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("line 2: expected 'key = value', got 'nonsense'")));
}

TEST(KeyValueFileTest, LongBadLineIsCutInTheMessage) {
  std::vector<Seen> seen;
  Status s = Collect(std::string(1000, 'x'), seen);
  EXPECT_THAT(s, StatusIs(Code::kInvalidArgument, HasSubstr("...'")));
  EXPECT_LT(s.message().size(), 200u);
}

TEST(KeyValueFileTest, MissingKeyIsAnError) {
  std::vector<Seen> seen;
  EXPECT_THAT(Collect("  = 1", seen),
              StatusIs(Code::kInvalidArgument, HasSubstr("line 1: missing key before '='")));
}

TEST(KeyValueFileTest, DuplicateKeyNamesBothLines) {
  std::vector<Seen> seen;
  EXPECT_THAT(
      Collect("a = 1\nb = 2\n a=3\n", seen),
      StatusIs(Code::kInvalidArgument, HasSubstr("line 3: a: set again (first on line 1)")));
}

TEST(KeyValueFileTest, CallbackErrorGetsTheLineAndStopsParsing) {
  std::vector<std::string> keys;
  Status s = ParseKeyValueText("a = 1\nb = bad\nnonsense\n", [&keys](const KeyValueEntry& e) {
    keys.emplace_back(e.key);
    if (e.value == "bad") return InvalidArgumentError(std::string(e.key) + ": bad value");
    return Status::Ok();
  });
  // The value error on line 2 comes first, before the malformed line 3.
  EXPECT_THAT(s, StatusIs(Code::kInvalidArgument, HasSubstr("line 2: b: bad value")));
  EXPECT_THAT(keys, ElementsAre("a", "b"));
}

TEST(KeyValueFileTest, CallbackErrorKeepsItsCode) {
  Status s = ParseKeyValueText("a = 1", [](const KeyValueEntry&) { return NotFoundError("x"); });
  EXPECT_THAT(s, StatusIs(Code::kNotFound, HasSubstr("line 1: x")));
}

TEST(KeyValueFileTest, TrimAndQuote) {
  EXPECT_EQ(TrimKeyValueSpace(" \t a b \r"), "a b");
  EXPECT_EQ(TrimKeyValueSpace(" \t\r"), "");
  EXPECT_EQ(QuoteForError("abc"), "'abc'");
  EXPECT_EQ(QuoteForError(std::string(65, 'x')), "'" + std::string(64, 'x') + "...'");
}

class KeyValueFileReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vouch_key_value_file_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(KeyValueFileReadTest, ReadsTheWholeFile) {
  const std::string path = Write("a.conf", "a = 1\nb = 2\n");
  ASSERT_OK_AND_ASSIGN(std::string text, ReadKeyValueFile(path));
  EXPECT_EQ(text, "a = 1\nb = 2\n");
  ASSERT_OK_AND_ASSIGN(std::string empty, ReadKeyValueFile(Write("e.conf", "")));
  EXPECT_EQ(empty, "");
}

TEST_F(KeyValueFileReadTest, LimitIsInclusive) {
  const std::string path = Write("limit.conf", std::string(kMaxKeyValueFileBytes, '#'));
  ASSERT_OK_AND_ASSIGN(std::string text, ReadKeyValueFile(path));
  EXPECT_EQ(text.size(), kMaxKeyValueFileBytes);
  const std::string big = Write("big.conf", std::string(kMaxKeyValueFileBytes + 1, '#'));
  EXPECT_THAT(ReadKeyValueFile(big),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr(big + ": larger than 1 MiB, not a configuration file")));
  EXPECT_THAT(ReadKeyValueFile(path, 100),
              StatusIs(Code::kInvalidArgument, HasSubstr("larger than 100 bytes")));
}

TEST_F(KeyValueFileReadTest, EndlessDeviceIsRefusedNotExhausted) {
  if (!std::filesystem::exists("/dev/zero")) GTEST_SKIP() << "no /dev/zero";
  EXPECT_THAT(ReadKeyValueFile("/dev/zero"),
              StatusIs(Code::kInvalidArgument, HasSubstr("larger than 1 MiB")));
}

TEST_F(KeyValueFileReadTest, MissingFileIsNotFound) {
  const std::string path = (dir_ / "absent.conf").string();
  EXPECT_THAT(ReadKeyValueFile(path),
              StatusIs(Code::kNotFound, HasSubstr("config file " + path + " does not exist")));
  EXPECT_THAT(ReadKeyValueFile((dir_ / "no-dir" / "x.conf").string()), StatusIs(Code::kNotFound));
}

TEST_F(KeyValueFileReadTest, DirectoryIsPermissionDenied) {
  EXPECT_THAT(ReadKeyValueFile(dir_.string()),
              StatusIs(Code::kPermissionDenied, HasSubstr("cannot be read")));
}

TEST_F(KeyValueFileReadTest, UnreadableFileIsPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  const std::string path = Write("secret.conf", "a = 1\n");
  std::filesystem::permissions(path, std::filesystem::perms::none);
  EXPECT_THAT(
      ReadKeyValueFile(path),
      StatusIs(Code::kPermissionDenied, HasSubstr("config file " + path + " cannot be read")));
}

}  // namespace
}  // namespace vouch
