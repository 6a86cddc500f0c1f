// Runs the built vouch-policy binary (VOUCH_POLICY_BIN) on the fixture event
// logs: `eventlog replay --json` equals ComputePcrs, `eventlog show --json`
// has one entry per event, both validate against schemas/, and bad input
// exits 3 with one line on stderr. Hermetic: files only, no TPM, no network.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/eventlog/describe.h"
#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/policy/schema_check.h"

namespace vouch::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::StartsWith;
using ::vouch::testing::CheckAgainstSchema;
using ::vouch::testing::ProcessResult;
using Json = nlohmann::json;

constexpr int kExitUsage = 2;
constexpr int kExitBadInput = 3;

ProcessResult RunCli(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {VOUCH_POLICY_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  Result<ProcessResult> r = testing::RunProcess(argv);
  EXPECT_TRUE(r.has_value()) << r.status().ToString();
  return r.has_value() ? *r : ProcessResult{-1, "", ""};
}

Json LoadSchema(const std::string& name) {
  Result<std::string> text = testing::ReadFileText(fs::path(VOUCH_SCHEMAS_DIR) / name);
  EXPECT_TRUE(text.has_value()) << text.status().ToString();
  return Json::parse(text.value_or("{}"));
}

// A private temporary directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "vouch-eventlog-cmd-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? fs::path(pattern) : fs::path();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void WriteFile(const fs::path& path, ByteView data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

TEST(EventlogReplayCmdTest, JsonEqualsComputePcrsForEveryFixture) {
  VOUCH_REQUIRE_FIXTURES(root);
  Json schema = LoadSchema("eventlog-replay.schema.json");
  size_t logs = 0;
  for (const fs::path& file : testing::EventLogFixtures(root)) {
    SCOPED_TRACE(file.filename().string());
    ASSERT_OK_AND_ASSIGN(Bytes bytes, testing::ReadFileBytes(file));
    ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog log, eventlog::ParseEventLog(bytes));
    ASSERT_OK_AND_ASSIGN(tpm::PcrValues pcrs, eventlog::ComputePcrs(log));

    ProcessResult r = RunCli({"eventlog", "replay", file.string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_THAT(r.stderr_text, IsEmpty());
    Json doc = Json::parse(r.stdout_text);  // exactly one document, or this throws
    EXPECT_THAT(CheckAgainstSchema(schema, doc), IsEmpty());

    Json expected_pcrs = Json::object();
    for (const auto& [alg, values] : pcrs.banks()) {
      Json bank = Json::object();
      for (const auto& [index, value] : values) bank[std::to_string(index)] = HexEncode(value);
      expected_pcrs[std::string(HashAlgName(alg))] = bank;
    }
    Json expected = {{"format", std::string(eventlog::LogFormatName(log.format()))},
                     {"events", log.size()},
                     {"pcrs", expected_pcrs},
                     {"warnings", log.warnings()}};
    EXPECT_EQ(doc, expected);
    ++logs;
  }
  EXPECT_GE(logs, 30u);
}

// The schema check has teeth: documents that break the contract fail it.
TEST(EventlogReplayCmdTest, SchemaRejectsDocumentsOutsideTheContract) {
  Json schema = LoadSchema("eventlog-replay.schema.json");
  Json good = {{"format", "sha1-legacy"},
               {"events", 3},
               {"pcrs", {{"sha1", {{"0", std::string(40, 'a')}}}}},
               {"warnings", Json::array()}};
  EXPECT_THAT(CheckAgainstSchema(schema, good), IsEmpty());
  Json bad = good;
  bad["pcrs"]["sha1"]["24"] = std::string(40, 'a');
  EXPECT_THAT(CheckAgainstSchema(schema, bad), ::testing::Not(IsEmpty()));
  bad = good;
  bad["pcrs"]["sha1"]["0"] = std::string(64, 'a');
  EXPECT_THAT(CheckAgainstSchema(schema, bad), ::testing::Not(IsEmpty()));
  bad = good;
  bad["extra"] = 1;
  EXPECT_THAT(CheckAgainstSchema(schema, bad), ::testing::Not(IsEmpty()));
  bad = good;
  bad["format"] = "tcg1.2";
  EXPECT_THAT(CheckAgainstSchema(schema, bad), ::testing::Not(IsEmpty()));
  bad = good;
  bad.erase("warnings");
  EXPECT_THAT(CheckAgainstSchema(schema, bad), ::testing::Not(IsEmpty()));
}

TEST(EventlogReplayCmdTest, TextAlignsBanksAndPcrs) {
  VOUCH_REQUIRE_FIXTURES(root);
  fs::path file = root / "eventlogs" / "gotpmtools__glinux-alex.bin";
  ProcessResult r = RunCli({"eventlog", "replay", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::vector<std::string> lines = Lines(r.stdout_text);
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines[0], "format:   crypto-agile");
  EXPECT_EQ(lines[1], "events:   29");
  EXPECT_THAT(r.stdout_text,
              HasSubstr("sha1    PCR  0  29d236609a5f9cc6912af44ba5f57b13a17c8a84\n"));
  EXPECT_THAT(r.stdout_text, HasSubstr("sha256  PCR  7  "));
  EXPECT_EQ(lines.back(), "warnings: none");
}

TEST(EventlogShowCmdTest, JsonHasOneEntryPerEventForEveryFixture) {
  VOUCH_REQUIRE_FIXTURES(root);
  Json schema = LoadSchema("eventlog-show.schema.json");
  for (const fs::path& file : testing::EventLogFixtures(root)) {
    SCOPED_TRACE(file.filename().string());
    ASSERT_OK_AND_ASSIGN(Bytes bytes, testing::ReadFileBytes(file));
    ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog log, eventlog::ParseEventLog(bytes));

    ProcessResult r = RunCli({"eventlog", "show", "--json", file.string()});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_THAT(r.stderr_text, IsEmpty());
    Json doc = Json::parse(r.stdout_text);
    EXPECT_THAT(CheckAgainstSchema(schema, doc), IsEmpty());
    EXPECT_EQ(doc["format"], std::string(eventlog::LogFormatName(log.format())));
    EXPECT_EQ(doc["event_count"], log.size());
    ASSERT_EQ(doc["events"].size(), log.size());
    const std::vector<eventlog::Event>& events = log.EventsUnverifiedForDebug();
    for (size_t i = 0; i < events.size(); ++i) {
      const Json& j = doc["events"][i];
      EXPECT_EQ(j["index"], i);
      EXPECT_EQ(j["offset"], events[i].offset);
      EXPECT_EQ(j["type_name"], eventlog::EventTypeName(events[i].type));
      EXPECT_EQ(j["size"], events[i].data.size());
      EXPECT_EQ(j["digests"].size(), events[i].digests.size());
      for (const eventlog::EventDigest& d : events[i].digests) {
        EXPECT_EQ(j["digests"][std::string(HashAlgName(d.alg))], HexEncode(d.digest));
      }
      EXPECT_EQ(j["description"]["summary"], eventlog::DescribeEvent(events[i]).summary);
    }
  }
}

TEST(EventlogShowCmdTest, TextListsEventsWithDecodedData) {
  VOUCH_REQUIRE_FIXTURES(root);
  fs::path file = root / "eventlogs" / "gotpmtools__arch-linux-workstation.bin";
  ProcessResult r = RunCli({"eventlog", "show", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::vector<std::string> lines = Lines(r.stdout_text);
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines[0], HasSubstr(": crypto-agile, 25 events, banks sha1, sha256"));
  EXPECT_THAT(
      r.stdout_text,
      HasSubstr("    3  PCR 7   EV_EFI_VARIABLE_DRIVER_CONFIG    52 bytes\n"
                "       sha1    2f20112a3f55398b208e0c42681389b4cb5b1823\n"
                "       sha256  ce9ce386b52e099f3019e512a0d6062d6b560efe4ff3e5661c7525e2f9c263df\n"
                "       SecureBoot: empty (0 bytes)\n"));
  EXPECT_THAT(r.stdout_text, HasSubstr("\\EFI\\SYSTEMD\\SYSTEMD-BOOTX64.EFI (96725 bytes"));
  // One header line per event.
  int headers = 0;
  for (const std::string& line : lines) {
    headers += std::regex_match(line, std::regex(R"( *\d+  PCR \S+ +\S+ +\d+ bytes)")) ? 1 : 0;
  }
  EXPECT_EQ(headers, 25);

  ProcessResult fields = RunCli({"eventlog", "show", "--fields", file.string()});
  ASSERT_EQ(fields.exit_code, 0) << fields.Describe();
  EXPECT_THAT(fields.stdout_text, HasSubstr("         vendor: EFI_GLOBAL_VARIABLE\n"));
}

// A fixture cut in the middle of an event: exit 3, nothing on stdout, one
// line on stderr naming the file and the byte offset.
TEST(EventlogCmdTest, TruncatedLogExitsThreeWithOneLineNamingTheOffset) {
  VOUCH_REQUIRE_FIXTURES(root);
  ASSERT_OK_AND_ASSIGN(
      Bytes bytes,
      testing::ReadFileBytes(root / "eventlogs" / "gotpmtools__arch-linux-workstation.bin"));
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  fs::path cut = dir.path() / "cut.bin";
  WriteFile(cut, ByteView(bytes).first(bytes.size() - 100));
  for (const char* command : {"replay", "show"}) {
    SCOPED_TRACE(command);
    for (bool json : {false, true}) {
      std::vector<std::string> args = {"eventlog", command, cut.string()};
      if (json) args.push_back("--json");
      ProcessResult r = RunCli(args);
      EXPECT_EQ(r.exit_code, kExitBadInput) << r.Describe();
      EXPECT_THAT(r.stdout_text, IsEmpty());
      std::vector<std::string> lines = Lines(r.stderr_text);
      ASSERT_EQ(lines.size(), 1u) << r.stderr_text;
      EXPECT_THAT(lines[0], StartsWith("vouch-policy: eventlog " + std::string(command) + ": " +
                                       cut.string() + ": at offset "));
      EXPECT_THAT(lines[0], MatchesRegex(".*: at offset [0-9]+: .*"));
      EXPECT_EQ(r.stderr_text.back(), '\n');
    }
  }
}

TEST(EventlogCmdTest, MissingFileExitsThree) {
  ProcessResult r = RunCli({"eventlog", "replay", "/nonexistent/vouch/log.bin", "--json"});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_THAT(r.stdout_text, IsEmpty());
  EXPECT_EQ(r.stderr_text,
            "vouch-policy: eventlog replay: /nonexistent/vouch/log.bin: cannot open: No such file "
            "or directory\n");
}

TEST(EventlogCmdTest, EmptyDirectoryAndOversizedInputsExitThree) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  fs::path empty = dir.path() / "empty.bin";
  WriteFile(empty, {});
  ProcessResult r = RunCli({"eventlog", "show", empty.string()});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_THAT(r.stderr_text, HasSubstr("event log is empty"));

  r = RunCli({"eventlog", "replay", dir.path().string()});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_THAT(r.stderr_text, HasSubstr(": is a directory\n"));

  // A sparse file above the 64 MiB cap is refused from its size alone.
  fs::path big = dir.path() / "big.bin";
  WriteFile(big, {});
  fs::resize_file(big, 64ull * 1024 * 1024 + 1);
  r = RunCli({"eventlog", "replay", big.string(), "--json"});
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_THAT(r.stdout_text, IsEmpty());
  EXPECT_THAT(r.stderr_text, HasSubstr("exceeds the 64 MiB limit"));
  EXPECT_EQ(Lines(r.stderr_text).size(), 1u);
}

TEST(EventlogCmdTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCli({}).exit_code, kExitUsage);
  EXPECT_EQ(RunCli({"eventlog"}).exit_code, kExitUsage);
  EXPECT_EQ(RunCli({"eventlog", "replay"}).exit_code, kExitUsage);
  EXPECT_EQ(RunCli({"eventlog", "show", "a", "b"}).exit_code, kExitUsage);
  EXPECT_EQ(RunCli({"eventlog", "replay", "x", "--bogus"}).exit_code, kExitUsage);
}

TEST(EventlogCmdTest, HelpDescribesCommandsAndExitCodes) {
  ProcessResult r = RunCli({"eventlog", "replay", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.stdout_text, HasSubstr("PCR values"));
  EXPECT_THAT(r.stdout_text, HasSubstr("Exit codes: 0 success, 2 usage error, 3"));
  r = RunCli({"eventlog", "show", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.stdout_text, HasSubstr("--json"));
  EXPECT_THAT(r.stdout_text, HasSubstr("Exit codes"));
}

}  // namespace
}  // namespace vouch::cli
