// Parse and replay of the real event logs in ../shared/fixtures/eventlogs,
// checked against what their sources say (see the README there):
//   *.expected_pcrs.json       PCR values from the source (TPM reads, tests)
//   *.tpm2_eventlog.yaml       tpm2_eventlog 5.4's parse (events, digests, PCRs)
//   *.upstream_{pretty,raw}.yaml  tpm2-tools' own expected output
//   *.guard_parsed_events.json  guard-oss' expected parsed events
//   *.laptop_default_setpcrs.sh  HIRS' list of SHA-256 extends
// Where a log cannot reproduce a value (IMA's PCR 10, a bank the firmware
// never used, tpm2_eventlog 5.4 mishandling StartupLocality) the difference is pinned
// exactly rather than the comparison loosened.
#include "tests/testing/fixtures.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/crypto/digest.h"
#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"
#include "tests/testing/status_matchers.h"

namespace vouch::eventlog {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::vouch::testing::EventLogFixtures;
using ::vouch::testing::ReadFileBytes;
using ::vouch::testing::ReadFileText;
using ::vouch::testing::StatusIs;

using BankValues = std::map<HashAlg, std::map<uint32_t, Bytes>>;

constexpr HashAlg kSha1 = HashAlg::kSha1;
constexpr HashAlg kSha256 = HashAlg::kSha256;
constexpr HashAlg kSha384 = HashAlg::kSha384;

// What the README says about each log (format, events, banks), plus what
// parsing found (StartupLocality). Every fixture must be listed.
struct Facts {
  LogFormat format;
  size_t events;
  std::vector<HashAlg> banks;
  std::optional<uint8_t> startup_locality;
};

const std::map<std::string, Facts>& AllFacts() {
  constexpr LogFormat kAgile = LogFormat::kCryptoAgile;
  constexpr LogFormat kLegacy = LogFormat::kSha1Legacy;
  static const auto* facts = new std::map<std::string, Facts>{
      {"goattest__coreos_36_shielded_vm_no_secure_boot_eventlog",
       {kAgile, 76, {kSha1, kSha256, kSha384}, {}}},
      {"goattest__crypto_agile_eventlog", {kAgile, 27, {kSha256}, {}}},
      {"goattest__sb_cert_eventlog", {kAgile, 15, {kSha1, kSha256, kSha384}, {}}},
      {"goattest__windows_gcp_shielded_vm.bin", {kLegacy, 21, {kSha1}, {}}},
      {"gotpmtools__arch-linux-workstation.bin", {kAgile, 25, {kSha1, kSha256}, {}}},
      {"gotpmtools__cos-101-amd-sev.bin", {kAgile, 49, {kSha1, kSha256, kSha384}, {}}},
      {"gotpmtools__cos-85-amd-sev.bin", {kAgile, 46, {kSha1, kSha256, kSha384}, {}}},
      {"gotpmtools__debian-10.bin", {kLegacy, 25, {kSha1}, {}}},
      {"gotpmtools__glinux-alex.bin", {kAgile, 29, {kSha1, kSha256}, 3}},
      {"gotpmtools__rhel8-uefi.bin", {kAgile, 83, {kSha1, kSha256, kSha384}, {}}},
      {"gotpmtools__ubuntu-1804-amd-sev.bin", {kAgile, 88, {kSha1, kSha256, kSha384}, {}}},
      {"gotpmtools__ubuntu-2104-no-dbx.bin", {kAgile, 112, {kSha1, kSha256, kSha384}, {}}},
      {"gotpmtools__ubuntu-2104-no-secure-boot.bin", {kAgile, 106, {kSha1, kSha256, kSha384}, {}}},
      {"tpm2tools__event-arch-linux.bin", {kAgile, 25, {kSha1, kSha256}, {}}},
      {"tpm2tools__event-bootorder.bin", {kAgile, 104, {kSha1, kSha256}, {}}},
      {"tpm2tools__event-moklisttrusted.bin", {kAgile, 97, {kSha256}, {}}},
      {"tpm2tools__event-sd-boot-fedora37.bin", {kAgile, 28, {kSha256}, {}}},
      {"tpm2tools__event-uefi-sha1-log.bin", {kLegacy, 17, {kSha1}, {}}},
      {"tpm2tss__binary_measurements_pc_client.bin", {kAgile, 33, {kSha1, kSha256}, {}}},
      {"hirs__TpmLog.bin", {kAgile, 56, {kSha256}, {}}},
      {"hirs__TpmLogSHA1.bin", {kLegacy, 28, {kSha1}, {}}},
      {"hirs__laptop_default_binary_bios_measurements", {kAgile, 30, {kSha1, kSha256}, {}}},
      {"keylime__binary_bios_measurements", {kAgile, 121, {kSha1, kSha256}, 3}},
      {"keylime__binary_bios_measurements-secureboot", {kAgile, 99, {kSha256}, {}}},
      {"tcglogparser__binary_bios_measurements", {kAgile, 115, {kSha1, kSha256}, {}}},
      {"isecl__txt_heap_info.eventlog.bin", {kAgile, 20, {kSha1, kSha256}, {}}},
      {"guard__binary_bios_measurements_15", {kLegacy, 39, {kSha1}, {}}},
      {"guard__linux_event_log", {kLegacy, 43, {kSha1}, {}}},
      {"guard__tpm2_windows_lenovo_yogax1v2", {kAgile, 54, {kSha1, kSha256}, {}}},
      {"guard__h12ssl.values.eventlog.bin", {kAgile, 114, {kSha1, kSha256}, {}}},
      {"guard__latitude-7520.evidence.eventlog.bin", {kAgile, 66, {kSha256}, 3}},
      {"guard__ludmilla.evidence.eventlog.bin", {kAgile, 121, {kSha1, kSha256}, {}}},
      {"guard__test-HP-EliteBook-830-G6-baseline.eventlog.bin",
       {kAgile, 120, {kSha1, kSha256}, {}}},
      {"guard__issue926-x1carbon-before.evidence.eventlog.bin", {kAgile, 53, {kSha1, kSha256}, 3}},
      {"guard__x1carbon.eventlog.bin", {kAgile, 65, {kSha1, kSha256}, 3}},
  };
  return *facts;
}

fs::path LogsDir(const fs::path& root) { return root / "eventlogs"; }

UnverifiedEventLog LoadLog(const fs::path& path) {
  auto bytes = ReadFileBytes(path);
  EXPECT_TRUE(bytes.has_value()) << path;
  auto log = ParseEventLog(bytes.value_or(Bytes{}));
  EXPECT_TRUE(log.has_value()) << path.filename() << ": " << log.status().ToString();
  return std::move(log).value();
}

BankValues Computed(const UnverifiedEventLog& log) {
  auto pcrs = ComputePcrs(log);
  EXPECT_TRUE(pcrs.has_value()) << pcrs.status().ToString();
  return pcrs.has_value() ? pcrs->banks() : BankValues{};
}

std::set<uint32_t> ExtendedPcrs(const BankValues& values, HashAlg bank) {
  std::set<uint32_t> out;
  auto it = values.find(bank);
  if (it == values.end()) return out;
  for (const auto& [pcr, unused] : it->second) out.insert(pcr);
  return out;
}

std::optional<HashAlg> BankFromName(const std::string& name) { return HashAlgFromName(name); }

Bytes Hex(const std::string& text) {
  auto b = HexDecode(text);
  EXPECT_TRUE(b.has_value()) << text;
  return b.value_or(Bytes{});
}

// ---- *.expected_pcrs.json: {"source": ..., "banks": {"sha256": {"0": "hex"}}}

BankValues ReadExpectedPcrs(const fs::path& path) {
  auto text = ReadFileText(path);
  EXPECT_TRUE(text.has_value()) << path;
  nlohmann::json j = nlohmann::json::parse(text.value_or("{}"));
  BankValues out;
  for (const auto& [bank, values] : j.at("banks").items()) {
    std::optional<HashAlg> alg = BankFromName(bank);
    EXPECT_TRUE(alg.has_value()) << bank;
    if (!alg) continue;
    for (const auto& [pcr, hex] : values.items()) {
      out[*alg][static_cast<uint32_t>(std::stoul(pcr))] = Hex(hex.get<std::string>());
    }
  }
  return out;
}

// ---- tpm2_eventlog YAML: a minimal line-based extractor. Top-level event
// keys are indented by two spaces; digests of TCG_PCR_EVENT2 records are
// "  - AlgorithmId: x" followed by "    Digest: "hex""; the SHA-1-layout
// first event has a bare "  Digest:". The final "pcrs:" section lists
// "  bank:" then "    N : 0xhex".

struct YamlEvent {
  std::optional<size_t> num;  // "- EventNum: N" (crypto-agile output only)
  uint32_t pcr = 0;
  std::string type;
  std::vector<std::pair<std::string, std::string>> digests;  // (alg, hex)
};

struct YamlLog {
  std::vector<YamlEvent> events;
  std::map<std::string, std::map<uint32_t, std::string>> pcrs;
};

std::string Unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

YamlLog ReadYaml(const fs::path& path) {
  auto text = ReadFileText(path);
  EXPECT_TRUE(text.has_value()) << path;
  YamlLog y;
  std::istringstream in(text.value_or(""));
  std::string line;
  bool in_pcrs = false;
  std::string bank;
  std::string pending_alg;
  std::optional<size_t> pending_num;
  static const std::regex kPcrLine(R"(^\s+(\d+)\s*:\s*0x([0-9a-fA-F]+)\s*$)");
  while (std::getline(in, line)) {
    if (line.rfind("pcrs:", 0) == 0) {
      in_pcrs = true;
      continue;
    }
    if (in_pcrs) {
      std::smatch m;
      if (std::regex_match(line, m, kPcrLine)) {
        y.pcrs[bank][static_cast<uint32_t>(std::stoul(m[1]))] = m[2];
      } else if (line.size() > 3 && line.rfind("  ", 0) == 0 && line[2] != ' ' &&
                 line.back() == ':') {
        bank = line.substr(2, line.size() - 3);
      }
      continue;
    }
    auto value_after = [&](std::string_view key) -> std::optional<std::string> {
      if (line.rfind(key, 0) != 0) return std::nullopt;
      return Unquote(line.substr(key.size()));
    };
    if (auto n = value_after("- EventNum: ")) {
      pending_num = std::stoul(*n);
    } else if (auto v = value_after("  PCRIndex: ")) {
      y.events.emplace_back();
      y.events.back().num = std::exchange(pending_num, std::nullopt);
      y.events.back().pcr = static_cast<uint32_t>(std::stoul(*v));
    } else if (y.events.empty()) {
      continue;
    } else if (auto t = value_after("  EventType: ")) {
      y.events.back().type = *t;
    } else if (auto d = value_after("  Digest: ")) {
      y.events.back().digests.emplace_back("sha1", *d);
    } else if (auto a = value_after("  - AlgorithmId: ")) {
      pending_alg = *a;
    } else if (auto d2 = value_after("    Digest: ")) {
      y.events.back().digests.emplace_back(pending_alg, *d2);
    }
  }
  return y;
}

// PCR values as tpm2_eventlog 5.4 computes them: PCR 0 starts at zero
// whatever the StartupLocality event says, and EV_NO_ACTION events after the
// Spec ID event (StartupLocality, SP800-155) are extended with their (zero)
// digests. Checked against its output for the StartupLocality logs.
BankValues ReplayLikeTpm2Tools54(const UnverifiedEventLog& log) {
  BankValues out;
  for (const Event& ev : log.EventsUnverifiedForDebug()) {
    if (ev.index == 0 || ev.pcr >= 24) continue;
    for (const EventDigest& d : ev.digests) {
      Bytes& pcr = out[d.alg][ev.pcr];
      if (pcr.empty()) pcr.assign(DigestSize(d.alg), 0);
      EXPECT_OK(crypto::ExtendPcr(d.alg, pcr, d.digest));
    }
  }
  return out;
}

std::vector<std::string> Names(const std::vector<fs::path>& paths) {
  std::vector<std::string> out;
  for (const fs::path& p : paths) out.push_back(p.filename().string());
  return out;
}

std::vector<fs::path> WithSuffix(const fs::path& root, const std::string& suffix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(LogsDir(root))) {
    std::string n = e.path().filename().string();
    if (n.size() > suffix.size() &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string LogNameFor(const fs::path& side, const std::string& suffix) {
  std::string n = side.filename().string();
  return n.substr(0, n.size() - suffix.size());
}

TEST(FixtureLogsTest, EveryLogParsesAsDocumented) {
  VOUCH_REQUIRE_FIXTURES(root);
  std::vector<fs::path> logs = EventLogFixtures(root);
  ASSERT_EQ(logs.size(), AllFacts().size()) << ::testing::PrintToString(Names(logs));
  for (const fs::path& path : logs) {
    SCOPED_TRACE(path.filename().string());
    auto facts = AllFacts().find(path.filename().string());
    ASSERT_NE(facts, AllFacts().end()) << "fixture not in the table";
    UnverifiedEventLog log = LoadLog(path);
    EXPECT_EQ(log.format(), facts->second.format);
    EXPECT_EQ(log.size(), facts->second.events);
    EXPECT_THAT(log.banks(), ElementsAreArray(facts->second.banks));
    EXPECT_EQ(log.startup_locality(), facts->second.startup_locality);
    EXPECT_EQ(log.trailing_padding(), 0u);  // every fixture log has its exact length
    EXPECT_OK(ComputePcrs(log).status());
  }
}

// Windows logs list only SHA-256 for the events after ExitBootServices (and
// the PCR 0xFFFFFFFF trailer); nothing else warns.
TEST(FixtureLogsTest, WarnsOnlyAboutShortDigestListsInWindowsLogs) {
  VOUCH_REQUIRE_FIXTURES(root);
  const std::map<std::string, size_t> kWarnings = {
      {"guard__tpm2_windows_lenovo_yogax1v2", 14},  // events 40-53
      {"guard__x1carbon.eventlog.bin", 17},         // events 48-64
  };
  for (const fs::path& path : EventLogFixtures(root)) {
    SCOPED_TRACE(path.filename().string());
    UnverifiedEventLog log = LoadLog(path);
    auto it = kWarnings.find(path.filename().string());
    EXPECT_EQ(log.warnings().size(), it == kWarnings.end() ? 0u : it->second);
    for (const std::string& w : log.warnings()) {
      EXPECT_THAT(w, ::testing::HasSubstr("1 digests, Spec ID event declares 2"));
    }
  }
}

TEST(FixtureLogsTest, KeepsWbclEventForPcrFfffffff) {
  VOUCH_REQUIRE_FIXTURES(root);
  UnverifiedEventLog log = LoadLog(LogsDir(root) / "guard__tpm2_windows_lenovo_yogax1v2");
  const Event& last = log.EventsUnverifiedForDebug().back();
  EXPECT_EQ(last.index, 53u);
  EXPECT_EQ(last.pcr, kPcrNotExtended);
  EXPECT_EQ(last.type, kEvNoAction);
}

TEST(FixtureLogsTest, NamesTxtAndTbootEvents) {
  VOUCH_REQUIRE_FIXTURES(root);
  UnverifiedEventLog log = LoadLog(LogsDir(root) / "isecl__txt_heap_info.eventlog.bin");
  std::map<std::string, int> names;
  for (const Event& ev : log.EventsUnverifiedForDebug()) {
    if (ev.index > 0) ++names[EventTypeName(ev.type)];
    if (ev.index > 0) EXPECT_TRUE(ev.pcr == 17 || ev.pcr == 18) << ev.index;
  }
  for (const auto& [name, count] : names) {
    EXPECT_TRUE(name.rfind("EVTYPE_", 0) == 0 || name == "EV_TBOOT_HASH") << name;
  }
  EXPECT_GT(names["EV_TBOOT_HASH"], 0);
  EXPECT_GT(names["EVTYPE_PCRMAPPING"] + names["EVTYPE_HASH_START"], 0);
}

// The source's PCR values (read from the TPM or given by its tests) equal our
// replay for every PCR the log extends, in every bank both have.
TEST(FixtureLogsTest, ReplayMatchesExpectedPcrs) {
  VOUCH_REQUIRE_FIXTURES(root);
  const std::string kSuffix = ".expected_pcrs.json";
  std::vector<fs::path> files = WithSuffix(root, kSuffix);
  EXPECT_EQ(files.size(), 18u);
  for (const fs::path& file : files) {
    const std::string name = LogNameFor(file, kSuffix);
    SCOPED_TRACE(name);
    UnverifiedEventLog log = LoadLog(LogsDir(root) / name);
    BankValues ours = Computed(log);
    BankValues expected = ReadExpectedPcrs(file);
    size_t compared = 0;
    std::string not_extended;
    for (const auto& [bank, values] : ours) {
      auto exp_bank = expected.find(bank);
      if (exp_bank == expected.end()) continue;  // the source gives no values for this bank
      for (const auto& [pcr, value] : values) {
        auto exp = exp_bank->second.find(pcr);
        if (exp == exp_bank->second.end()) continue;
        EXPECT_EQ(HexEncode(value), HexEncode(exp->second)) << HashAlgName(bank) << " PCR " << pcr;
        ++compared;
      }
    }
    for (const auto& [bank, values] : expected) {
      for (const auto& [pcr, value] : values) {
        if (ours.count(bank) == 0 || ours.at(bank).count(pcr) == 0) {
          not_extended += " " + std::string(HashAlgName(bank)) + ":" + std::to_string(pcr);
        }
      }
    }
    EXPECT_GT(compared, 0u);
    std::printf("[ expected ] %s: %zu PCR values equal; listed but not extended by the log:%s\n",
                name.c_str(), compared, not_extended.c_str());
  }
}

// Using the source's values as a quote: Replay reports no mismatch and
// verifies every PCR the log extends.
TEST(FixtureLogsTest, ReplayVerifiesAgainstExpectedPcrsAsQuote) {
  VOUCH_REQUIRE_FIXTURES(root);
  const std::string kSuffix = ".expected_pcrs.json";
  for (const fs::path& file : WithSuffix(root, kSuffix)) {
    const std::string name = LogNameFor(file, kSuffix);
    SCOPED_TRACE(name);
    UnverifiedEventLog log = LoadLog(LogsDir(root) / name);
    tpm::PcrValues quoted;
    for (const auto& [bank, values] : ReadExpectedPcrs(file)) {
      for (const auto& [pcr, value] : values) ASSERT_OK(quoted.Set(bank, pcr, value));
    }
    ASSERT_OK_AND_ASSIGN(ReplayResult r,
                         Replay(log, tpm::VerifiedPcrs::CreateForTest(std::move(quoted))));
    std::set<uint32_t> extended;
    for (const auto& [bank, values] : Computed(log)) {
      for (const auto& [pcr, unused] : values) extended.insert(pcr);
    }
    for (const Finding& f : r.findings) {
      EXPECT_EQ(f.id, "replay.bank_not_in_log") << f.message;
    }
    EXPECT_EQ(r.verified.verified_pcrs(), extended);
    size_t extended_events = 0;
    for (const Event& ev : log.EventsUnverifiedForDebug()) {
      if (ev.type != kEvNoAction && ev.pcr < 24) ++extended_events;
    }
    EXPECT_EQ(r.verified.events().size(), extended_events);
  }
}

// README "Notes per log": PCR 10 is IMA's (extended by the kernel after the
// firmware log); the source lists it but the log cannot produce it.
TEST(FixtureLogsTest, Pcr10IsListedButNotExtendedWhereImaRan) {
  VOUCH_REQUIRE_FIXTURES(root);
  for (const char* name : {"goattest__sb_cert_eventlog", "guard__h12ssl.values.eventlog.bin",
                           "guard__ludmilla.evidence.eventlog.bin",
                           "guard__test-HP-EliteBook-830-G6-baseline.eventlog.bin",
                           "guard__issue926-x1carbon-before.evidence.eventlog.bin"}) {
    SCOPED_TRACE(name);
    BankValues ours = Computed(LoadLog(LogsDir(root) / name));
    BankValues expected =
        ReadExpectedPcrs(LogsDir(root) / (std::string(name) + ".expected_pcrs.json"));
    ASSERT_TRUE(expected.count(kSha256));
    ASSERT_TRUE(expected[kSha256].count(10));
    EXPECT_NE(expected[kSha256][10], Bytes(32, 0));
    for (const auto& [bank, values] : ours) EXPECT_EQ(values.count(10), 0u);
  }
}

// README: ludmilla's TPM has a SHA-384 bank the firmware never extended
// (quoted PCR 0-9 all zero); the log records SHA-1 and SHA-256 only.
TEST(FixtureLogsTest, LudmillaSha384BankIsNotInLog) {
  VOUCH_REQUIRE_FIXTURES(root);
  const fs::path log_path = LogsDir(root) / "guard__ludmilla.evidence.eventlog.bin";
  UnverifiedEventLog log = LoadLog(log_path);
  BankValues expected = ReadExpectedPcrs(fs::path(log_path.string() + ".expected_pcrs.json"));
  for (uint32_t pcr = 0; pcr <= 9; ++pcr) EXPECT_EQ(expected[kSha384][pcr], Bytes(48, 0));
  EXPECT_EQ(Computed(log).count(kSha384), 0u);
  tpm::PcrValues quoted;
  for (const auto& [pcr, value] : expected[kSha384]) ASSERT_OK(quoted.Set(kSha384, pcr, value));
  ASSERT_OK_AND_ASSIGN(ReplayResult r, Replay(log, tpm::VerifiedPcrs::CreateForTest(quoted)));
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].id, "replay.bank_not_in_log");
  EXPECT_EQ(r.findings[0].bank, kSha384);
}

// README: the Windows GCP log reproduces SHA-1 PCRs 0, 4, 5, 7 and 11-14,
// which are exactly the PCRs it extends.
TEST(FixtureLogsTest, WindowsGcpReproducesItsPcrs) {
  VOUCH_REQUIRE_FIXTURES(root);
  BankValues ours = Computed(LoadLog(LogsDir(root) / "goattest__windows_gcp_shielded_vm.bin"));
  EXPECT_EQ(ExtendedPcrs(ours, kSha1), (std::set<uint32_t>{0, 4, 5, 7, 11, 12, 13, 14}));
  EXPECT_EQ(ours.size(), 1u);
}

// tpm2_eventlog 5.4: same events and digests; same final PCRs except PCR 0
// of logs with a StartupLocality event (pinned: its value is what
// ReplayLikeTpm2Tools54 gives, and differs from ours).
TEST(FixtureLogsTest, AgreesWithTpm2Eventlog) {
  VOUCH_REQUIRE_FIXTURES(root);
  const std::string kSuffix = ".tpm2_eventlog.yaml";
  std::vector<fs::path> files = WithSuffix(root, kSuffix);
  EXPECT_EQ(files.size(), AllFacts().size());
  for (const fs::path& file : files) {
    const std::string name = LogNameFor(file, kSuffix);
    SCOPED_TRACE(name);
    UnverifiedEventLog log = LoadLog(LogsDir(root) / name);
    YamlLog y = ReadYaml(file);
    const auto& events = log.EventsUnverifiedForDebug();
    const bool failed = fs::exists(LogsDir(root) / (name + ".tpm2_eventlog.stderr")) &&
                        name == "guard__tpm2_windows_lenovo_yogax1v2";
    if (failed) {
      // "PCR Index -1 is out of bounds": it stops before the last event.
      EXPECT_EQ(y.events.size() + 1, events.size());
      EXPECT_THAT(y.pcrs, IsEmpty());
    } else {
      EXPECT_EQ(y.events.size(), events.size());
    }
    for (size_t i = 0; i < std::min(y.events.size(), events.size()); ++i) {
      const YamlEvent& ye = y.events[i];
      const Event& ev = events[i];
      // EventNum counts from 0 with the Spec ID event, like Event::index;
      // SHA-1 logs are printed without it.
      EXPECT_EQ(ye.num.has_value(), log.format() == LogFormat::kCryptoAgile) << "event " << i;
      if (ye.num) EXPECT_EQ(*ye.num, ev.index);
      EXPECT_EQ(ye.pcr, ev.pcr) << "event " << i;
      if (ye.type == "Unknown event type") {
        EXPECT_TRUE(ev.type >= kEvTxtBase && ev.type <= kEvTboot) << "event " << i;
      } else {
        EXPECT_EQ(ye.type, EventTypeName(ev.type)) << "event " << i;
      }
      ASSERT_EQ(ye.digests.size(), ev.digests.size()) << "event " << i;
      for (size_t d = 0; d < ev.digests.size(); ++d) {
        EXPECT_EQ(ye.digests[d].first, HashAlgName(ev.digests[d].alg)) << "event " << i;
        EXPECT_EQ(ye.digests[d].second, HexEncode(ev.digests[d].digest)) << "event " << i;
      }
    }
    if (failed) continue;
    BankValues ours = Computed(log);
    BankValues like_tpm2_tools = ReplayLikeTpm2Tools54(log);
    std::set<std::pair<std::string, uint32_t>> theirs_keys;
    for (const auto& [bank_name, values] : y.pcrs) {
      std::optional<HashAlg> bank = BankFromName(bank_name);
      ASSERT_TRUE(bank.has_value()) << bank_name;
      for (const auto& [pcr, hex] : values) {
        theirs_keys.insert({bank_name, pcr});
        const bool pinned = pcr == 0 && log.startup_locality().value_or(0) != 0;
        ASSERT_TRUE(ours[*bank].count(pcr)) << bank_name << " PCR " << pcr;
        if (pinned) {
          EXPECT_NE(HexEncode(ours[*bank][pcr]), hex) << bank_name << " PCR 0";
          EXPECT_EQ(HexEncode(like_tpm2_tools[*bank][pcr]), hex) << bank_name << " PCR 0";
        } else {
          EXPECT_EQ(HexEncode(ours[*bank][pcr]), hex) << bank_name << " PCR " << pcr;
        }
      }
    }
    std::set<std::pair<std::string, uint32_t>> ours_keys;
    for (const auto& [bank, values] : ours) {
      for (const auto& [pcr, unused] : values)
        ours_keys.insert({std::string(HashAlgName(bank)), pcr});
    }
    EXPECT_EQ(theirs_keys, ours_keys);
  }
}

// tpm2-tools' own expected output for its test logs (and one go-tpm-tools
// log): events, digests and final PCRs all agree.
TEST(FixtureLogsTest, AgreesWithUpstreamTpm2ToolsOutput) {
  VOUCH_REQUIRE_FIXTURES(root);
  size_t checked = 0;
  for (const std::string suffix : {".upstream_pretty.yaml", ".upstream_raw.yaml"}) {
    for (const fs::path& file : WithSuffix(root, suffix)) {
      const std::string name = LogNameFor(file, suffix);
      SCOPED_TRACE(file.filename().string());
      UnverifiedEventLog log = LoadLog(LogsDir(root) / name);
      YamlLog y = ReadYaml(file);
      const auto& events = log.EventsUnverifiedForDebug();
      ASSERT_EQ(y.events.size(), events.size());
      for (size_t i = 0; i < events.size(); ++i) {
        ASSERT_EQ(y.events[i].digests.size(), events[i].digests.size()) << "event " << i;
        for (size_t d = 0; d < events[i].digests.size(); ++d) {
          EXPECT_EQ(y.events[i].digests[d].second, HexEncode(events[i].digests[d].digest));
        }
      }
      BankValues ours = Computed(log);
      size_t pcrs = 0;
      for (const auto& [bank_name, values] : y.pcrs) {
        std::optional<HashAlg> bank = BankFromName(bank_name);
        ASSERT_TRUE(bank.has_value());
        EXPECT_EQ(values.size(), ours[*bank].size()) << bank_name;
        for (const auto& [pcr, hex] : values) {
          EXPECT_EQ(HexEncode(ours[*bank][pcr]), hex) << bank_name << " PCR " << pcr;
          ++pcrs;
        }
      }
      EXPECT_GT(pcrs, 0u);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 12u);
}

// HIRS: the SHA-256 extends of laptop_default_setpcrs.sh, applied from zero,
// give our SHA-256 PCRs 0-7 and 14 (all the PCRs the log extends).
TEST(FixtureLogsTest, HirsLaptopMatchesSetPcrsScript) {
  VOUCH_REQUIRE_FIXTURES(root);
  const fs::path log_path = LogsDir(root) / "hirs__laptop_default_binary_bios_measurements";
  auto script = ReadFileText(fs::path(log_path.string() + ".laptop_default_setpcrs.sh"));
  ASSERT_TRUE(script.has_value());
  static const std::regex kExtend(R"(tpm2_pcrextend\s+(\d+):sha256=([0-9a-fA-F]{64}))");
  std::map<uint32_t, Bytes> replayed;
  size_t extends = 0;
  for (auto it = std::sregex_iterator(script->begin(), script->end(), kExtend);
       it != std::sregex_iterator(); ++it) {
    uint32_t pcr = static_cast<uint32_t>(std::stoul((*it)[1]));
    Bytes& value = replayed[pcr];
    if (value.empty()) value.assign(32, 0);
    ASSERT_OK(crypto::ExtendPcr(kSha256, value, Hex((*it)[2])));
    ++extends;
  }
  EXPECT_EQ(extends, 29u);
  BankValues ours = Computed(LoadLog(log_path));
  EXPECT_EQ(ExtendedPcrs(ours, kSha256), (std::set<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7, 14}));
  EXPECT_EQ(ours[kSha256].size(), replayed.size());
  for (const auto& [pcr, value] : replayed) {
    EXPECT_EQ(HexEncode(ours[kSha256][pcr]), HexEncode(value)) << "PCR " << pcr;
  }
}

// guard-oss' expected parse (go-attestation's ParseEvents): same events (the
// Spec ID event of crypto-agile logs is not listed), PCRs, types and data.
// Its Digest fields are all null, so digests are compared through the
// tpm2_eventlog YAML above instead.
TEST(FixtureLogsTest, AgreesWithGuardParsedEvents) {
  VOUCH_REQUIRE_FIXTURES(root);
  const std::string kSuffix = ".guard_parsed_events.json";
  std::vector<fs::path> files = WithSuffix(root, kSuffix);
  EXPECT_EQ(files.size(), 4u);
  for (const fs::path& file : files) {
    const std::string name = LogNameFor(file, kSuffix);
    SCOPED_TRACE(name);
    UnverifiedEventLog log = LoadLog(LogsDir(root) / name);
    const auto& events = log.EventsUnverifiedForDebug();
    auto text = ReadFileText(file);
    ASSERT_TRUE(text.has_value());
    nlohmann::json j = nlohmann::json::parse(*text);
    const size_t first = log.format() == LogFormat::kCryptoAgile ? 1 : 0;
    ASSERT_EQ(j.size() + first, events.size());
    for (size_t i = 0; i < j.size(); ++i) {
      const nlohmann::json& e = j[i];
      const Event& ev = events[i + first];
      EXPECT_EQ(e.at("Sequence").get<size_t>(), ev.index);
      EXPECT_EQ(e.at("Index").get<uint32_t>(), ev.pcr) << "event " << ev.index;
      EXPECT_EQ(e.at("Type").get<uint32_t>(), ev.type) << "event " << ev.index;
      auto data = Base64Decode(e.at("Data").get<std::string>());
      ASSERT_TRUE(data.has_value()) << "event " << ev.index;
      EXPECT_EQ(*data, ToBytes(ev.data)) << "event " << ev.index;
      EXPECT_TRUE(e.at("Digest").is_null());
    }
  }
}

// Cutting a real log at every byte gives a clean prefix at event boundaries
// and InvalidArgument elsewhere; corrupting any single byte never crashes.
TEST(FixtureLogsTest, HandlesTruncationAndCorruptionOfSmallLogs) {
  VOUCH_REQUIRE_FIXTURES(root);
  for (const char* name :
       {"isecl__txt_heap_info.eventlog.bin", "tpm2tools__event-sd-boot-fedora37.bin",
        "tpm2tools__event-uefi-sha1-log.bin"}) {
    SCOPED_TRACE(name);
    auto bytes = ReadFileBytes(LogsDir(root) / name);
    ASSERT_TRUE(bytes.has_value());
    const Bytes& full = *bytes;
    UnverifiedEventLog log = LoadLog(LogsDir(root) / name);
    std::vector<size_t> ends;
    for (const Event& ev : log.EventsUnverifiedForDebug()) {
      if (ev.index > 0) ends.push_back(ev.offset);
    }
    ends.push_back(full.size());
    for (size_t n = 1; n < full.size(); ++n) {
      auto r = ParseEventLog(ByteView(full.data(), n));
      size_t complete = 0;
      size_t boundary = 0;
      for (size_t i = 0; i < ends.size() && ends[i] <= n; ++i) {
        complete = i + 1;
        boundary = ends[i];
      }
      bool padding = complete > 0;
      for (size_t i = boundary; i < n && padding; ++i) {
        padding = full[i] == full[boundary] && (full[i] == 0x00 || full[i] == 0xFF);
      }
      if (padding) {
        ASSERT_TRUE(r.has_value()) << "cut at " << n << ": " << r.status().ToString();
        EXPECT_EQ(r->size(), complete);
      } else {
        ASSERT_THAT(r, StatusIs(Code::kInvalidArgument)) << "cut at " << n;
      }
    }
    for (size_t i = 0; i < full.size(); ++i) {
      for (uint8_t v : {uint8_t{0x00}, uint8_t{0xFF}, static_cast<uint8_t>(full[i] ^ 0x80)}) {
        Bytes mutated = full;
        mutated[i] = v;
        auto r = ParseEventLog(mutated);
        if (r.has_value()) {
          EXPECT_TRUE(ComputePcrs(*r).has_value());
        } else {
          EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
        }
      }
    }
  }
}

}  // namespace
}  // namespace vouch::eventlog
