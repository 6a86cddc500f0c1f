// Tests of core/base/key_value_file.cc: line syntax, comments, trimming,
// duplicate keys, line numbers in errors, bounded file reading, and the
// value rules and table helpers shared by the agent's and verifier's configs.
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
using ::vouch::testing::IsOkAndHolds;
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
    std::string path = (dir_ / name).string();
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

TEST(KeyValueValueTest, ExpectedValueQuotesAndCuts) {
  EXPECT_THAT(ExpectedValue("a thing", "x"),
              StatusIs(Code::kInvalidArgument, "expected a thing, got 'x'"));
  Status s = ExpectedValue("a thing", std::string(500, 'y'));
  EXPECT_THAT(s, StatusIs(Code::kInvalidArgument, HasSubstr("...'")));
  EXPECT_LT(s.message().size(), 100u);
}

TEST(KeyValueValueTest, ParseUnsignedValueAcceptsTheInclusiveRange) {
  EXPECT_THAT(ParseUnsignedValue("1", 1, 10, "n"), IsOkAndHolds(1u));
  EXPECT_THAT(ParseUnsignedValue("10", 1, 10, "n"), IsOkAndHolds(10u));
  EXPECT_THAT(ParseUnsignedValue("007", 1, 10, "n"), IsOkAndHolds(7u));
  EXPECT_THAT(ParseUnsignedValue("18446744073709551615", 0, UINT64_MAX, "n"),
              IsOkAndHolds(UINT64_MAX));
}

TEST(KeyValueValueTest, ParseUnsignedValueRefusesWithTheCallersWording) {
  for (const char* bad : {"", "0", "11", "-1", "+1", " 1", "1 ", "1s", "0x5", "1.0",
                          "18446744073709551616", "99999999999999999999999"}) {
    EXPECT_THAT(ParseUnsignedValue(bad, 1, 10, "an integer 1-10"),
                StatusIs(Code::kInvalidArgument,
                         "expected an integer 1-10, got '" + std::string(bad) + "'"))
        << bad;
  }
}

TEST(KeyValueValueTest, CheckPrintableValue) {
  EXPECT_THAT(CheckPrintableValue(""), IsOk());
  EXPECT_THAT(CheckPrintableValue("any text, even # and ' and \xc3\xa9"), IsOk());
  for (std::string_view bad : {std::string_view("a\nb"), std::string_view("\t"),
                               std::string_view("x\x7f"), std::string_view("a\0b", 3)}) {
    EXPECT_THAT(CheckPrintableValue(bad),
                StatusIs(Code::kInvalidArgument, "control character in value"));
  }
}

TEST(KeyValueValueTest, CheckAbsolutePath) {
  EXPECT_THAT(CheckAbsolutePath("/var/lib/vouch", false), IsOk());
  EXPECT_THAT(CheckAbsolutePath("/", false), IsOk());
  EXPECT_THAT(CheckAbsolutePath("", true), IsOk());
  EXPECT_THAT(CheckAbsolutePath("", false),
              StatusIs(Code::kInvalidArgument, "expected an absolute path, got ''"));
  EXPECT_THAT(CheckAbsolutePath("var/lib", true),
              StatusIs(Code::kInvalidArgument, "expected an absolute path, got 'var/lib'"));
  EXPECT_THAT(CheckAbsolutePath("./x", false), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(CheckAbsolutePath("/" + std::string(4095, 'a'), false), IsOk());
  EXPECT_THAT(CheckAbsolutePath("/" + std::string(4096, 'a'), false),
              StatusIs(Code::kInvalidArgument, "path longer than 4096 characters"));
  EXPECT_THAT(CheckAbsolutePath("/a\nb", false),
              StatusIs(Code::kInvalidArgument, "control character in value"));
}

TEST(KeyValueValueTest, CheckIpLiteral) {
  for (const char* good : {"127.0.0.1", "0.0.0.0", "::1", "::", "fe80::1", "192.0.2.10"}) {
    EXPECT_THAT(CheckIpLiteral(good), IsOk()) << good;
  }
  for (std::string_view bad :
       {std::string_view(""), std::string_view("localhost"), std::string_view("127.0.0.1 "),
        std::string_view("256.0.0.1"), std::string_view("[::1]"), std::string_view("127.1"),
        std::string_view("127.0.0.1\0x", 11)}) {
    EXPECT_THAT(CheckIpLiteral(bad),
                StatusIs(Code::kInvalidArgument, HasSubstr("expected an IPv4 or IPv6 address")))
        << bad;
  }
  EXPECT_THAT(
      CheckIpLiteral("localhost"),
      StatusIs(Code::kInvalidArgument, "expected an IPv4 or IPv6 address, got 'localhost'"));
}

TEST(KeyValueValueTest, CheckHttpUrlValue) {
  EXPECT_THAT(CheckHttpUrlValue("https://verifier.example:8443/x"), IsOk());
  EXPECT_THAT(CheckHttpUrlValue("http://127.0.0.1"), IsOk());
  EXPECT_THAT(CheckHttpUrlValue("https://" + std::string(2040, 'a')), IsOk());
  for (const std::string& bad :
       {std::string("ftp://x"), std::string("https://"), std::string("http://"),
        std::string("https://a b"), std::string("verifier.example"), std::string(""),
        "https://" + std::string(2041, 'a')}) {
    EXPECT_THAT(CheckHttpUrlValue(bad),
                StatusIs(Code::kInvalidArgument, HasSubstr("expected an http:// or https:// URL")))
        << bad;
  }
  EXPECT_THAT(CheckHttpUrlValue("https://a\tb"),
              StatusIs(Code::kInvalidArgument, "control character in value"));
}

TEST(KeyValueValueTest, ParseLogLevelValue) {
  EXPECT_THAT(ParseLogLevelValue("debug"), IsOkAndHolds(LogLevel::kDebug));
  EXPECT_THAT(ParseLogLevelValue("error"), IsOkAndHolds(LogLevel::kError));
  EXPECT_THAT(
      ParseLogLevelValue("loud"),
      StatusIs(Code::kInvalidArgument, "expected debug, info, warning or error, got 'loud'"));
}

// A small config type to exercise the table helpers the way the agent and the
// verifier use them.
struct TinyConfig {
  uint16_t port = 1;
  std::string path = "/default";
};

Status SetTiny(TinyConfig& c, std::string_view key, std::string_view value) {
  if (key == "port") {
    return UnsignedValueSetter(&TinyConfig::port, 1, 65535, "a port")(c, value).WithContext(key);
  }
  if (key == "path") {
    return PathValueSetter(&TinyConfig::path, /*allow_empty=*/true)(c, value).WithContext(key);
  }
  return InvalidArgumentError(std::string(key) + ": unknown key");
}

Result<TinyConfig> ParseTiny(std::string_view text) {
  return ParseKeyValueConfig<TinyConfig>(text, SetTiny);
}

TEST(KeyValueConfigTest, ParsesWithSettersAndKeepsDefaults) {
  ASSERT_OK_AND_ASSIGN(TinyConfig c, ParseTiny("port = 8443\n"));
  EXPECT_EQ(c.port, 8443);
  EXPECT_EQ(c.path, "/default");
  ASSERT_OK_AND_ASSIGN(TinyConfig cleared, ParseTiny("path =\n"));
  EXPECT_EQ(cleared.path, "");
}

TEST(KeyValueConfigTest, ErrorsNameLineAndKey) {
  EXPECT_THAT(ParseTiny("# c\nport = 0\n"),
              StatusIs(Code::kInvalidArgument, "line 2: port: expected a port, got '0'"));
  EXPECT_THAT(
      ParseTiny("path = rel\n"),
      StatusIs(Code::kInvalidArgument, "line 1: path: expected an absolute path, got 'rel'"));
  EXPECT_THAT(ParseTiny("nope = 1\n"),
              StatusIs(Code::kInvalidArgument, "line 1: nope: unknown key"));
}

}  // namespace
}  // namespace vouch
