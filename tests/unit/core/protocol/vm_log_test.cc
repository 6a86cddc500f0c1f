#include "core/protocol/vm_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/crypto/digest.h"
#include "core/protocol/evidence.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/policy/schema_check.h"

namespace vouch::protocol {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using ::vouch::testing::StatusIs;
using Json = nlohmann::json;

Bytes Sha(HashAlg alg, std::string_view data) { return crypto::Digest(alg, AsBytes(data)).value(); }

// A record as the launcher writes it for a disk of `content`, in the sha1
// and sha256 banks.
VmLogRecord SampleRecord(uint64_t seq = 0, std::string_view content = "disk image bytes") {
  VmLogRecord r;
  r.seq = seq;
  r.time = "2026-11-28T14:00:00Z";
  r.boot_id = "0b6a7e4c-3b1d-4f6e-9a55-1c2d3e4f5a6b";
  r.pcr = 15;
  r.vm_id = "3f2c9a4e-7d51-4b8e-a0c2-5e6f7a8b9c0d";
  r.vm_name = "web-01";
  r.component = VmComponent::kDisk;
  r.path = "/var/lib/libvirt/images/web-01.qcow2";
  r.size = content.size();
  r.digests[HashAlg::kSha1] = Sha(HashAlg::kSha1, content);
  r.digests[HashAlg::kSha256] = Sha(HashAlg::kSha256, content);
  return r;
}

std::string Line(const VmLogRecord& r) {
  Result<std::string> line = EncodeVmLogRecord(r);
  EXPECT_TRUE(line.has_value()) << line.status().ToString();
  return line.has_value() ? *line : std::string();
}

// The sample line parsed, changed by `edit`, dumped again (compact, no "\n").
std::string EditLine(const std::function<void(Json&)>& edit) {
  Json doc = Json::parse(Line(SampleRecord()));
  edit(doc);
  return doc.dump();
}

Result<ParsedVmLog> Parse(std::string_view log) { return ParseVmLog(AsBytes(log)); }

// --- Encoding ---

TEST(VmLogRecordTest, EncodesOneCompactLineInFixedOrder) {
  VmLogRecord r = SampleRecord(7);
  r.digests[HashAlg::kSha384] = Sha(HashAlg::kSha384, "disk image bytes");
  r.digests[HashAlg::kSha512] = Sha(HashAlg::kSha512, "disk image bytes");
  const std::string line = Line(r);
  EXPECT_EQ(line,
            "{\"v\":1,\"seq\":7,\"time\":\"2026-11-28T14:00:00Z\","
            "\"boot_id\":\"0b6a7e4c-3b1d-4f6e-9a55-1c2d3e4f5a6b\",\"pcr\":15,"
            "\"vm\":{\"id\":\"3f2c9a4e-7d51-4b8e-a0c2-5e6f7a8b9c0d\",\"name\":\"web-01\"},"
            "\"component\":\"disk\",\"path\":\"/var/lib/libvirt/images/web-01.qcow2\","
            "\"size\":16,\"digests\":{"
            "\"sha1\":\"98a7d3389f65a1795048581f9c4de93268c48e25\","
            "\"sha256\":\"5f333e97f50fa03cfe35902ad05d1acae17c2f0cd2b134d67173728d7a2395d6\","
            "\"sha384\":\"" +
                HexEncode(Sha(HashAlg::kSha384, "disk image bytes")) + "\",\"sha512\":\"" +
                HexEncode(Sha(HashAlg::kSha512, "disk image bytes")) + "\"}}\n");
  // The sha256 digest is what `printf 'disk image bytes' | sha256sum` prints.
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(VmLogRecordTest, RoundTripsEveryComponentAndBank) {
  for (VmComponent c : {VmComponent::kDisk, VmComponent::kKernel, VmComponent::kInitrd,
                        VmComponent::kFirmware, VmComponent::kConfig}) {
    VmLogRecord r = SampleRecord(3);
    r.component = c;
    r.pcr = 8;
    r.boot_id.clear();         // allowed: no boot id known
    r.vm_name = "naïve VM ✓";  // UTF-8, not escaped
    r.size = kMaxVmLogInteger;
    r.seq = kMaxVmLogInteger;
    r.digests.clear();
    r.digests[HashAlg::kSha512] = Bytes(64, 0xab);
    ASSERT_OK_AND_ASSIGN(std::string line, EncodeVmLogRecord(r));
    EXPECT_THAT(line, HasSubstr("\"name\":\"naïve VM ✓\""));
    ASSERT_OK_AND_ASSIGN(VmLogRecord back, DecodeVmLogRecord(line));
    EXPECT_EQ(back, r);
    // Without its newline too, and re-encoding gives the same bytes.
    ASSERT_OK_AND_ASSIGN(VmLogRecord again,
                         DecodeVmLogRecord(std::string_view(line).substr(0, line.size() - 1)));
    EXPECT_EQ(again, r);
    EXPECT_EQ(Line(again), line);
  }
}

TEST(VmLogRecordTest, ComponentNamesRoundTrip) {
  EXPECT_EQ(VmComponentName(VmComponent::kInitrd), "initrd");
  EXPECT_EQ(ParseVmComponent("firmware"), VmComponent::kFirmware);
  EXPECT_EQ(ParseVmComponent("Disk"), std::nullopt);
  EXPECT_EQ(ParseVmComponent(""), std::nullopt);
}

TEST(VmLogRecordTest, BootIdRule) {
  EXPECT_TRUE(IsVmBootId("0b6a7e4c-3b1d-4f6e-9a55-1c2d3e4f5a6b"));
  EXPECT_FALSE(IsVmBootId(""));
  EXPECT_FALSE(IsVmBootId("0B6A7E4C-3B1D-4F6E-9A55-1C2D3E4F5A6B"));
  EXPECT_FALSE(IsVmBootId("0b6a7e4c-3b1d-4f6e-9a55-1c2d3e4f5a6b\n"));
  EXPECT_FALSE(IsVmBootId("0b6a7e4c3b1d-4f6e-9a55-1c2d3e4f5a6b-"));
  EXPECT_FALSE(IsVmBootId("../../../../../../../../../etc/passwd"));
}

TEST(VmLogRecordTest, VmPcrRule) {
  for (uint32_t pcr = 0; pcr < 30; ++pcr) {
    EXPECT_EQ(CheckVmPcr(pcr).ok(), pcr >= 8 && pcr <= 15) << pcr;
  }
  EXPECT_THAT(CheckVmPcr(16), StatusIs(Code::kInvalidArgument, HasSubstr("16 and 23")));
}

// Each broken record is refused by the encoder with the member named.
TEST(VmLogRecordTest, EncoderRefusesNamingTheMember) {
  struct Case {
    std::function<void(VmLogRecord&)> edit;
    std::string path;
  };
  const std::vector<Case> cases = {
      {[](VmLogRecord& r) { r.version = 2; }, "vm_log_record.v: "},
      {[](VmLogRecord& r) { r.seq = kMaxVmLogInteger + 1; }, "vm_log_record.seq: "},
      {[](VmLogRecord& r) { r.time = "2026-11-28 14:00:00"; }, "vm_log_record.time: "},
      {[](VmLogRecord& r) { r.boot_id = "../../etc/passwd"; }, "vm_log_record.boot_id: "},
      {[](VmLogRecord& r) { r.boot_id = "0B6A7E4C-3B1D-4F6E-9A55-1C2D3E4F5A6B"; },
       "vm_log_record.boot_id: "},
      {[](VmLogRecord& r) { r.pcr = 16; }, "vm_log_record.pcr: "},
      {[](VmLogRecord& r) { r.pcr = 7; }, "vm_log_record.pcr: "},
      {[](VmLogRecord& r) { r.vm_id.clear(); }, "vm_log_record.vm.id: "},
      {[](VmLogRecord& r) { r.vm_id = std::string(kMaxVmIdLength + 1, 'a'); },
       "vm_log_record.vm.id: "},
      {[](VmLogRecord& r) { r.vm_name = "a\nb"; }, "vm_log_record.vm.name: "},
      {[](VmLogRecord& r) { r.vm_name = "a\x1b[31mred"; }, "vm_log_record.vm.name: "},
      {[](VmLogRecord& r) { r.vm_name = "c1 \xc2\x9b"; }, "vm_log_record.vm.name: "},
      {[](VmLogRecord& r) { r.vm_name = "bad \xff utf8"; }, "vm_log_record.vm.name: "},
      {[](VmLogRecord& r) { r.vm_name = std::string(kMaxVmNameLength + 1, 'n'); },
       "vm_log_record.vm.name: "},
      {[](VmLogRecord& r) { r.path = "relative/disk.img"; }, "vm_log_record.path: "},
      {[](VmLogRecord& r) { r.path.clear(); }, "vm_log_record.path: "},
      {[](VmLogRecord& r) { r.path = "/" + std::string(kMaxVmPathBytes, 'p'); },
       "vm_log_record.path: "},
      {[](VmLogRecord& r) { r.path = std::string("/a\0b", 4); }, "vm_log_record.path: "},
      {[](VmLogRecord& r) { r.size = kMaxVmLogInteger + 1; }, "vm_log_record.size: "},
      {[](VmLogRecord& r) { r.digests.clear(); }, "vm_log_record.digests: "},
      {[](VmLogRecord& r) { r.digests[HashAlg::kSha256].pop_back(); },
       "vm_log_record.digests.sha256: "},
      {[](VmLogRecord& r) { r.digests[HashAlg::kSm3_256] = Bytes(32, 1); },
       "vm_log_record.digests.sm3_256: "},
  };
  for (const Case& c : cases) {
    VmLogRecord r = SampleRecord();
    c.edit(r);
    EXPECT_THAT(EncodeVmLogRecord(r), StatusIs(Code::kInvalidArgument, StartsWith(c.path)))
        << c.path;
    EXPECT_THAT(CheckVmLogRecord(r), StatusIs(Code::kInvalidArgument, StartsWith(c.path)));
  }
  EXPECT_OK(CheckVmLogRecord(SampleRecord()));
}

// Each broken line is refused by the decoder with the member named.
TEST(VmLogRecordTest, DecoderRefusesNamingTheMember) {
  struct Case {
    std::string line;
    std::string path;
  };
  const std::vector<Case> cases = {
      {EditLine([](Json& d) { d["extra"] = 1; }), "vm_log_record.extra: unknown member"},
      {EditLine([](Json& d) { d["vm"]["uuid"] = "x"; }), "vm_log_record.vm.uuid: unknown member"},
      {EditLine([](Json& d) { d["digests"]["md5"] = "00"; }),
       "vm_log_record.digests.md5: unknown member"},
      {EditLine([](Json& d) { d.erase("v"); }), "vm_log_record.v: missing"},
      {EditLine([](Json& d) { d.erase("boot_id"); }), "vm_log_record.boot_id: missing"},
      {EditLine([](Json& d) { d["vm"].erase("name"); }), "vm_log_record.vm.name: missing"},
      {EditLine([](Json& d) { d.erase("digests"); }), "vm_log_record.digests: missing"},
      {EditLine([](Json& d) { d["v"] = 2; }), "vm_log_record.v: unsupported version 2"},
      {EditLine([](Json& d) { d["v"] = "1"; }), "vm_log_record.v: expected an integer"},
      {EditLine([](Json& d) { d["seq"] = -1; }), "vm_log_record.seq: must not be negative"},
      {EditLine([](Json& d) { d["seq"] = 1.5; }), "vm_log_record.seq: expected an integer"},
      {EditLine([](Json& d) { d["seq"] = kMaxVmLogInteger + 1; }), "vm_log_record.seq: "},
      {EditLine([](Json& d) { d["time"] = 1; }), "vm_log_record.time: expected a string"},
      {EditLine([](Json& d) { d["time"] = "yesterday"; }), "vm_log_record.time: "},
      {EditLine([](Json& d) { d["boot_id"] = "boot-1"; }), "vm_log_record.boot_id: "},
      {EditLine([](Json& d) { d["pcr"] = 16; }), "vm_log_record.pcr: VM PCR 16 refused"},
      {EditLine([](Json& d) { d["pcr"] = 23; }), "vm_log_record.pcr: VM PCR 23 refused"},
      {EditLine([](Json& d) { d["pcr"] = 24; }), "vm_log_record.pcr: must be at most 23"},
      {EditLine([](Json& d) { d["pcr"] = "15"; }), "vm_log_record.pcr: expected an integer"},
      {EditLine([](Json& d) { d["vm"] = "web-01"; }), "vm_log_record.vm: expected an object"},
      {EditLine([](Json& d) { d["vm"]["id"] = ""; }), "vm_log_record.vm.id: "},
      {EditLine([](Json& d) { d["vm"]["name"] = "tab\there"; }),
       "vm_log_record.vm.name: control character"},
      {EditLine([](Json& d) { d["vm"]["name"] = "del\x7f"; }),
       "vm_log_record.vm.name: control character"},
      {EditLine([](Json& d) { d["component"] = "rootfs"; }),
       "vm_log_record.component: unknown component"},
      {EditLine([](Json& d) { d["path"] = "disk.img"; }),
       "vm_log_record.path: not an absolute path"},
      {EditLine([](Json& d) { d["path"] = "/" + std::string(kMaxVmPathBytes, 'p'); }),
       "vm_log_record.path: "},
      {EditLine([](Json& d) { d["size"] = -5; }), "vm_log_record.size: must not be negative"},
      {EditLine([](Json& d) { d["digests"] = Json::object(); }),
       "vm_log_record.digests: no digest"},
      {EditLine([](Json& d) { d["digests"] = Json::array(); }),
       "vm_log_record.digests: expected an object"},
      {EditLine([](Json& d) { d["digests"]["sha256"] = std::string(62, 'a'); }),
       "vm_log_record.digests.sha256: expected 64 lower-case hex digits"},
      {EditLine([](Json& d) { d["digests"]["sha1"] = std::string(40, 'A'); }),
       "vm_log_record.digests.sha1: expected 40 lower-case hex digits"},
      {EditLine([](Json& d) { d["digests"]["sha384"] = std::string(64, 'a'); }),
       "vm_log_record.digests.sha384: expected 96"},
      {"{\"v\":1,\"v\":1}", "vm_log_record.v: duplicate member"},
      {"[1,2]", "vm_log_record: expected a JSON object"},
      {"{\"v\":1", "vm_log_record: not a valid JSON document"},
      {"{\"v\":\"\xff\"}", "vm_log_record.v: string is not valid UTF-8"},
      {"", "vm_log_record: not a valid JSON document"},
      {Line(SampleRecord()) + "\n", "vm_log_record: raw control character"},
      {EditLine([](Json&) {}) + "\r\n", "vm_log_record: raw control character at byte"},
      {"{\"v\":1,\n\"seq\":0}", "vm_log_record: raw control character"},
      {"{\t\"v\":1}", "vm_log_record: raw control character"},
      {"{\"pad\":\"" + std::string(kMaxVmLogRecordBytes, 'x') + "\"}", "vm_log_record: line of "},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(DecodeVmLogRecord(c.line), StatusIs(Code::kInvalidArgument, StartsWith(c.path)))
        << c.line.substr(0, 200);
  }
  // Escaped control characters are refused just as raw ones would be.
  EXPECT_THAT(DecodeVmLogRecord(EditLine([](Json& d) { d["path"] = "/a\x01b"; })),
              StatusIs(Code::kInvalidArgument, StartsWith("vm_log_record.path: control")));
  // Member order (EditLine sorts them) and spaces do not matter to the decoder.
  std::string reordered = EditLine([](Json&) {});
  ASSERT_OK_AND_ASSIGN(VmLogRecord back, DecodeVmLogRecord(reordered));
  EXPECT_EQ(back, SampleRecord());
  std::string spaced;
  bool in_string = false;  // the sample has no escaped quotes
  for (char c : reordered) {
    spaced += c;
    if (c == '"') in_string = !in_string;
    if (!in_string && (c == ',' || c == ':')) spaced += ' ';
  }
  ASSERT_OK_AND_ASSIGN(back, DecodeVmLogRecord(" " + spaced + " \n"));
  EXPECT_EQ(back, SampleRecord());
}

// --- ParseVmLog ---

TEST(ParseVmLogTest, EmptyLogHasNothing) {
  ASSERT_OK_AND_ASSIGN(ParsedVmLog parsed, Parse(""));
  EXPECT_THAT(parsed.records, IsEmpty());
  EXPECT_THAT(parsed.defects, IsEmpty());
  EXPECT_TRUE(parsed.ends_with_newline);
}

TEST(ParseVmLogTest, RecordsWithExactOffsets) {
  const std::string a = Line(SampleRecord(0));
  const std::string b = Line(SampleRecord(1, "kernel bytes"));
  const std::string c = Line(SampleRecord(2, "initrd bytes"));
  ASSERT_OK_AND_ASSIGN(ParsedVmLog parsed, Parse(a + b + c));
  ASSERT_EQ(parsed.records.size(), 3u);
  EXPECT_EQ(parsed.records[1], SampleRecord(1, "kernel bytes"));
  EXPECT_THAT(parsed.offsets, ElementsAre(0, a.size(), a.size() + b.size()));
  EXPECT_THAT(parsed.defects, IsEmpty());
  EXPECT_TRUE(parsed.ends_with_newline);
}

TEST(ParseVmLogTest, TornTailIsReportedEvenWhenItWouldDecode) {
  const std::string a = Line(SampleRecord(0));
  std::string b = Line(SampleRecord(1));
  b.pop_back();  // a complete record, but its "\n" never made it
  ASSERT_OK_AND_ASSIGN(ParsedVmLog parsed, Parse(a + b));
  ASSERT_EQ(parsed.records.size(), 1u);
  ASSERT_EQ(parsed.defects.size(), 1u);
  EXPECT_EQ(parsed.defects[0].kind, VmLogDefect::Kind::kTorn);
  EXPECT_EQ(parsed.defects[0].offset, a.size());
  EXPECT_EQ(parsed.defects[0].length, b.size());
  EXPECT_THAT(parsed.defects[0].message, HasSubstr("torn"));
  EXPECT_FALSE(parsed.ends_with_newline);

  // Half a record.
  ASSERT_OK_AND_ASSIGN(parsed, Parse(a + b.substr(0, 10)));
  ASSERT_EQ(parsed.defects.size(), 1u);
  EXPECT_EQ(parsed.defects[0].kind, VmLogDefect::Kind::kTorn);
  EXPECT_EQ(parsed.defects[0].length, 10u);
}

TEST(ParseVmLogTest, SealedTornLineStaysMalformedAndLaterRecordsCount) {
  // The launcher seals a torn tail with "\n" before appending its record.
  const std::string a = Line(SampleRecord(0));
  const std::string torn = Line(SampleRecord(1)).substr(0, 40);
  const std::string c = Line(SampleRecord(1, "kernel bytes"));
  ASSERT_OK_AND_ASSIGN(ParsedVmLog parsed, Parse(a + torn + "\n" + c));
  ASSERT_EQ(parsed.records.size(), 2u);
  EXPECT_THAT(parsed.offsets, ElementsAre(0, a.size() + torn.size() + 1));
  ASSERT_EQ(parsed.defects.size(), 1u);
  EXPECT_EQ(parsed.defects[0].kind, VmLogDefect::Kind::kMalformed);
  EXPECT_EQ(parsed.defects[0].offset, a.size());
  EXPECT_EQ(parsed.defects[0].length, torn.size());
  EXPECT_THAT(parsed.defects[0].message, StartsWith("vm_log_record: not a valid JSON"));
  EXPECT_TRUE(parsed.ends_with_newline);
}

TEST(ParseVmLogTest, MalformedMiddleLinesCarryTheDecodeError) {
  const std::string a = Line(SampleRecord(0));
  const std::string bad = EditLine([](Json& d) { d["pcr"] = 16; }) + "\n";
  const std::string junk = "not json\n";
  const std::string c = Line(SampleRecord(1));
  const std::string log = a + bad + "\n" + junk + c;
  ASSERT_OK_AND_ASSIGN(ParsedVmLog parsed, Parse(log));
  ASSERT_EQ(parsed.records.size(), 2u);
  EXPECT_THAT(parsed.offsets, ElementsAre(0, log.size() - c.size()));
  ASSERT_EQ(parsed.defects.size(), 3u);
  EXPECT_EQ(parsed.defects[0].offset, a.size());
  EXPECT_EQ(parsed.defects[0].length, bad.size() - 1);
  EXPECT_THAT(parsed.defects[0].message, StartsWith("vm_log_record.pcr: VM PCR 16 refused"));
  EXPECT_EQ(parsed.defects[1].offset, a.size() + bad.size());  // the empty line
  EXPECT_EQ(parsed.defects[1].length, 0u);
  EXPECT_EQ(parsed.defects[1].message, "empty line");
  EXPECT_EQ(parsed.defects[2].offset, a.size() + bad.size() + 1);
  EXPECT_EQ(parsed.defects[2].length, junk.size() - 1);
  for (const VmLogDefect& d : parsed.defects) {
    EXPECT_EQ(d.kind, VmLogDefect::Kind::kMalformed);
  }
}

TEST(ParseVmLogTest, CrlfLinesAreMalformed) {
  std::string a = Line(SampleRecord(0));
  a.insert(a.size() - 1, "\r");
  ASSERT_OK_AND_ASSIGN(ParsedVmLog parsed, Parse(a + a));
  EXPECT_THAT(parsed.records, IsEmpty());
  ASSERT_EQ(parsed.defects.size(), 2u);
  EXPECT_EQ(parsed.defects[1].offset, a.size());
  EXPECT_EQ(parsed.defects[1].length, a.size() - 1);
  EXPECT_THAT(parsed.defects[1].message, HasSubstr("CRLF"));
}

TEST(ParseVmLogTest, OverlongLinesAreMalformedWithoutDecoding) {
  const std::string a = Line(SampleRecord(0));
  // Exactly at the limit with its "\n" still decodes (and fails as JSON);
  // one byte more is refused by length.
  const std::string at_limit(kMaxVmLogRecordBytes - 1, 'x');
  const std::string over(kMaxVmLogRecordBytes, 'x');
  ASSERT_OK_AND_ASSIGN(ParsedVmLog parsed, Parse(a + at_limit + "\n" + over + "\n" + a));
  ASSERT_EQ(parsed.records.size(), 2u);
  ASSERT_EQ(parsed.defects.size(), 2u);
  EXPECT_THAT(parsed.defects[0].message, StartsWith("vm_log_record: not a valid JSON"));
  EXPECT_EQ(parsed.defects[1].offset, a.size() + at_limit.size() + 1);
  EXPECT_EQ(parsed.defects[1].length, over.size());
  EXPECT_THAT(parsed.defects[1].message, HasSubstr("more than the limit of 65536"));
  EXPECT_EQ(parsed.offsets[1], a.size() + at_limit.size() + over.size() + 2);
}

TEST(ParseVmLogTest, RefusesLogsOverTheLimit) {
  const std::string huge(kMaxVmLogBytes + 1, '\n');
  EXPECT_THAT(Parse(huge), StatusIs(Code::kInvalidArgument, HasSubstr("more than the limit")));
  // At the limit: parsed, every line an empty-line defect.
  ASSERT_OK_AND_ASSIGN(ParsedVmLog parsed, Parse(std::string_view(huge).substr(0, 1000)));
  EXPECT_EQ(parsed.defects.size(), 1000u);
}

TEST(ParseVmLogTest, FuzzSeedsParseAsIntended) {
  // The seeds were written by python's json.dumps(separators=(",", ":"),
  // ensure_ascii=False) with members in schema order: an independent
  // writer producing exactly the launcher's bytes.
  auto read = [](const std::string& name) {
    std::ifstream in(std::string(VOUCH_PROTOCOL_SEEDS_DIR) + "/" + name, std::ios::binary);
    EXPECT_TRUE(in.good()) << name;
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string valid = read("vm-log-valid.jsonl");
  ASSERT_OK_AND_ASSIGN(ParsedVmLog parsed, Parse(valid));
  EXPECT_EQ(parsed.records.size(), 5u);
  EXPECT_THAT(parsed.defects, IsEmpty());
  std::string again;
  for (const VmLogRecord& r : parsed.records) again += Line(r);
  EXPECT_EQ(again, valid);

  ASSERT_OK_AND_ASSIGN(parsed, Parse(read("vm-log-torn.jsonl")));
  EXPECT_EQ(parsed.records.size(), 2u);
  ASSERT_EQ(parsed.defects.size(), 1u);
  EXPECT_EQ(parsed.defects[0].kind, VmLogDefect::Kind::kTorn);

  ASSERT_OK_AND_ASSIGN(parsed, Parse(read("vm-log-malformed.jsonl")));
  EXPECT_EQ(parsed.records.size(), 2u);
  EXPECT_EQ(parsed.defects.size(), 4u);  // empty, CRLF, version 2, cut short
}

// --- ReplayVmLog ---

TEST(ReplayVmLogTest, MatchesAnIndependentComputation) {
  const std::vector<VmLogRecord> records = {SampleRecord(0, "disk image bytes"),
                                            SampleRecord(1, "kernel bytes")};
  tpm::PcrValues pcrs = ReplayVmLog(records, {HashAlg::kSha256, HashAlg::kSha1});
  // python3: p = bytes(32); for d in (sha256(b"disk image bytes"), sha256(b"kernel bytes")):
  //   p = sha256(p + d.digest()).digest()
  ASSERT_NE(pcrs.Get(HashAlg::kSha256, 15), nullptr);
  EXPECT_EQ(HexEncode(*pcrs.Get(HashAlg::kSha256, 15)),
            "5a2bddd1fe532d6e692c85ed5d73e0c6e3d36a1f1eee69a736c43260ea971665");
  ASSERT_NE(pcrs.Get(HashAlg::kSha1, 15), nullptr);
  EXPECT_EQ(HexEncode(*pcrs.Get(HashAlg::kSha1, 15)), "4e8635bdaf088ffd79dd2dcaf634a4e1b7fee9cb");

  // The same by hand with crypto::Digest: PCR := H(PCR || digest).
  Bytes pcr(32, 0);
  for (const VmLogRecord& r : records) {
    Bytes input = pcr;
    const Bytes& d = r.digests.at(HashAlg::kSha256);
    input.insert(input.end(), d.begin(), d.end());
    pcr = crypto::Digest(HashAlg::kSha256, input).value();
  }
  EXPECT_EQ(*pcrs.Get(HashAlg::kSha256, 15), pcr);
  EXPECT_EQ(pcrs.banks().size(), 2u);
  EXPECT_EQ(pcrs.banks().at(HashAlg::kSha256).size(), 1u);
}

TEST(ReplayVmLogTest, SeparatePcrsAndMissingBanks) {
  VmLogRecord a = SampleRecord(0);
  VmLogRecord b = SampleRecord(1, "kernel bytes");
  b.pcr = 14;
  VmLogRecord c = SampleRecord(2, "initrd bytes");
  c.digests.erase(HashAlg::kSha1);                    // PCR 15's sha1 value cannot be computed
  VmLogRecord d = SampleRecord(3, "firmware bytes");  // nor after this one
  tpm::PcrValues pcrs = ReplayVmLog(
      {a, b, c, d}, {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha256});
  EXPECT_EQ(*pcrs.Get(HashAlg::kSha256, 14),
            ReplayVmLog({b}, {HashAlg::kSha256}).Get(HashAlg::kSha256, 14)[0]);
  EXPECT_EQ(*pcrs.Get(HashAlg::kSha256, 15),
            *ReplayVmLog({a, c, d}, {HashAlg::kSha256}).Get(HashAlg::kSha256, 15));
  EXPECT_NE(pcrs.Get(HashAlg::kSha1, 14), nullptr);
  EXPECT_EQ(pcrs.Get(HashAlg::kSha1, 15), nullptr);
  EXPECT_EQ(pcrs.Get(HashAlg::kSha384, 15), nullptr);  // no record has sha384
  EXPECT_EQ(pcrs.banks().count(HashAlg::kSha384), 0u);
  EXPECT_TRUE(ReplayVmLog({}, {HashAlg::kSha256}).empty());
  EXPECT_TRUE(ReplayVmLog({a}, {}).empty());
}

TEST(ReplayVmLogTest, ReplaysParsedLogsInLogOrder) {
  const std::string log = Line(SampleRecord(0)) + "junk\n" + Line(SampleRecord(1, "kernel bytes"));
  ASSERT_OK_AND_ASSIGN(ParsedVmLog parsed, Parse(log));
  EXPECT_EQ(HexEncode(*ReplayVmLog(parsed.records, {HashAlg::kSha256}).Get(HashAlg::kSha256, 15)),
            "5a2bddd1fe532d6e692c85ed5d73e0c6e3d36a1f1eee69a736c43260ea971665");
}

// --- Schema ---

std::vector<std::string> CheckRecordSchema(const std::string& line) {
  Json doc = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return {"record does not parse"};
  return vouch::testing::CheckAgainstSchema(vouch::testing::LoadSchema("vm-log-record"), doc);
}

TEST(VmLogSchemaTest, RecordsValidate) {
  VmLogRecord r = SampleRecord();
  EXPECT_THAT(CheckRecordSchema(Line(r)), IsEmpty());
  r.boot_id.clear();
  r.pcr = 8;
  r.component = VmComponent::kInitrd;
  r.digests = {{HashAlg::kSha384, Bytes(48, 1)}, {HashAlg::kSha512, Bytes(64, 2)}};
  r.seq = kMaxVmLogInteger;
  r.size = kMaxVmLogInteger;
  r.vm_id = std::string(kMaxVmIdLength, 'i');
  r.vm_name = std::string(kMaxVmNameLength, 'n');
  EXPECT_THAT(CheckRecordSchema(Line(r)), IsEmpty());
}

// The schema refuses what the decoder refuses (a sample of the rules).
TEST(VmLogSchemaTest, SchemaRefusesWhatTheDecoderRefuses) {
  const std::vector<std::function<void(Json&)>> edits = {
      [](Json& d) { d["extra"] = 1; },
      [](Json& d) { d["v"] = 2; },
      [](Json& d) { d["pcr"] = 16; },
      [](Json& d) { d["pcr"] = 7; },
      [](Json& d) { d["seq"] = kMaxVmLogInteger + 1; },
      [](Json& d) { d["boot_id"] = "boot-1"; },
      [](Json& d) { d["time"] = "2026-11-28T14:00:00.5Z"; },
      [](Json& d) { d["vm"]["id"] = ""; },
      [](Json& d) { d["vm"]["name"] = std::string(kMaxVmNameLength + 1, 'n'); },
      [](Json& d) { d["vm"]["name"] = "a\x1b"; },
      [](Json& d) { d["path"] = "disk.img"; },
      [](Json& d) { d["component"] = "rootfs"; },
      [](Json& d) { d["digests"] = Json::object(); },
      [](Json& d) { d["digests"]["sha256"] = std::string(64, 'A'); },
      [](Json& d) { d["digests"]["sm3_256"] = std::string(64, 'a'); },
      [](Json& d) { d.erase("size"); },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    const std::string line = EditLine(edits[i]);
    EXPECT_FALSE(DecodeVmLogRecord(line).has_value()) << i;
    EXPECT_THAT(CheckRecordSchema(line), ::testing::Not(IsEmpty())) << i;
  }
}

}  // namespace
}  // namespace vouch::protocol
