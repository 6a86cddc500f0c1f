#include "core/protocol/evidence.h"

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "core/protocol/json_util.h"
#include "core/tpm/public.h"
#include "core/tpm/quote.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/core/protocol/test_documents.h"

namespace vouch::protocol {
namespace {

using testing::Edit;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::vouch::testing::StatusIs;
using Json = nlohmann::json;

std::string EncodeOrDie(const Evidence& e) {
  Result<std::string> r = EncodeEvidence(e);
  EXPECT_TRUE(r.has_value()) << r.status().ToString();
  return r.value_or("");
}

TEST(EvidenceTest, RoundTripsEveryMember) {
  Evidence e = testing::FullEvidence();
  std::string json = EncodeOrDie(e);
  ASSERT_OK_AND_ASSIGN(Evidence back, DecodeEvidence(json));
  EXPECT_TRUE(testing::SameEvidence(e, back));
  // Encoding is deterministic, so decoding and encoding again is the identity.
  EXPECT_EQ(EncodeOrDie(back), json);
}

TEST(EvidenceTest, RoundTripsMinimalDocument) {
  Evidence e = testing::MinimalEvidence();
  std::string json = EncodeOrDie(e);
  ASSERT_OK_AND_ASSIGN(Evidence back, DecodeEvidence(json));
  EXPECT_TRUE(testing::SameEvidence(e, back));
  EXPECT_FALSE(back.srtm_log.has_value());
  EXPECT_FALSE(back.reset_count.has_value());
  EXPECT_EQ(back.host.hypervisor, HypervisorKind::kUnknown);
  EXPECT_EQ(back.host.measured_launch, MeasuredLaunch::kUnknown);
}

TEST(EvidenceTest, EncodesKeysInSchemaOrderCompactly) {
  std::string json = EncodeOrDie(testing::MinimalEvidence());
  EXPECT_THAT(json, StartsWith("{\"version\":1,\"nonce\":\"0108"));
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_EQ(json.find(": "), std::string::npos);
  size_t nonce = json.find("\"nonce\"");
  size_t quote = json.find("\"quote\"");
  size_t ak = json.find("\"ak\"");
  size_t pcrs = json.find("\"pcrs\"");
  size_t logs = json.find("\"logs\"");
  size_t host = json.find("\"host\"");
  EXPECT_LT(nonce, quote);
  EXPECT_LT(quote, ak);
  EXPECT_LT(ak, pcrs);
  EXPECT_LT(pcrs, logs);
  EXPECT_LT(logs, host);
}

TEST(EvidenceTest, WritesBanksInSchemaOrderAndIndicesAsDecimal) {
  std::string json = EncodeOrDie(testing::FullEvidence());
  Json doc = Json::parse(json, nullptr, false);
  ASSERT_TRUE(doc.is_object());
  EXPECT_TRUE(doc["pcrs"]["sha1"].contains("17"));
  EXPECT_LT(json.find("\"sha1\""), json.find("\"sha256\""));
  EXPECT_LT(json.find("\"sha256\""), json.find("\"sha384\""));
  EXPECT_LT(json.find("\"sha384\""), json.find("\"sha512\""));
}

TEST(EvidenceTest, AcceptsOptionalMembersOmitted) {
  std::string json = Edit(EncodeOrDie(testing::FullEvidence()), [](Json& d) {
    d.erase("tpm");
    d["logs"] = Json::object();
    d["host"].erase("hypervisor");
    d["host"].erase("labels");
    d["host"].erase("machine_id");
    d["host"].erase("measured_launch");
  });
  ASSERT_OK_AND_ASSIGN(Evidence e, DecodeEvidence(json));
  EXPECT_FALSE(e.vm_log.has_value());
  EXPECT_TRUE(e.host.labels.empty());
}

struct BadCase {
  const char* name;
  std::function<void(Json&)> edit;
  const char* message;  // expected substring, naming the member
};

std::vector<BadCase> BadCases() {
  auto remove = [](const std::vector<std::string>& path) {
    return [path](Json& d) {
      Json* at = &d;
      for (size_t i = 0; i + 1 < path.size(); ++i) at = &(*at)[path[i]];
      at->erase(path.back());
    };
  };
  return {
      // Missing required members.
      {"no version", remove({"version"}), "evidence.version: missing"},
      {"no nonce", remove({"nonce"}), "evidence.nonce: missing"},
      {"no quote", remove({"quote"}), "evidence.quote: missing"},
      {"no attest", remove({"quote", "attest"}), "evidence.quote.attest: missing"},
      {"no signature", remove({"quote", "signature"}), "evidence.quote.signature: missing"},
      {"no ak", remove({"ak"}), "evidence.ak: missing"},
      {"no ak public", remove({"ak", "public"}), "evidence.ak.public: missing"},
      {"no pcrs", remove({"pcrs"}), "evidence.pcrs: missing"},
      {"no logs", remove({"logs"}), "evidence.logs: missing"},
      {"no host", remove({"host"}), "evidence.host: missing"},
      {"no hostname", remove({"host", "hostname"}), "evidence.host.hostname: missing"},
      {"no agent version", remove({"host", "agent_version"}),
       "evidence.host.agent_version: missing"},
      // Unknown members, at every level.
      {"unknown top", [](Json& d) { d["extra"] = 1; }, "evidence.extra: unknown member"},
      {"unknown quote", [](Json& d) { d["quote"]["x"] = ""; }, "evidence.quote.x: unknown"},
      {"unknown ak", [](Json& d) { d["ak"]["name"] = ""; }, "evidence.ak.name: unknown"},
      {"unknown bank", [](Json& d) { d["pcrs"]["sm3_256"] = Json::object(); },
       "evidence.pcrs.sm3_256: unknown"},
      {"unknown log", [](Json& d) { d["logs"]["ima"] = ""; }, "evidence.logs.ima: unknown"},
      {"unknown tpm", [](Json& d) { d["tpm"]["clock"] = 1; }, "evidence.tpm.clock: unknown"},
      {"unknown host", [](Json& d) { d["host"]["os"] = "x"; }, "evidence.host.os: unknown"},
      {"unknown hypervisor", [](Json& d) { d["host"]["hypervisor"]["x"] = 1; },
       "evidence.host.hypervisor.x: unknown"},
      // Wrong types.
      {"version string", [](Json& d) { d["version"] = "1"; },
       "evidence.version: expected an integer"},
      {"version float", [](Json& d) { d["version"] = 1.5; },
       "evidence.version: expected an integer"},
      {"version 2", [](Json& d) { d["version"] = 2; }, "evidence.version: unsupported version 2"},
      {"nonce number", [](Json& d) { d["nonce"] = 5; }, "evidence.nonce: expected a hex string"},
      {"quote array", [](Json& d) { d["quote"] = Json::array(); },
       "evidence.quote: expected an object"},
      {"pcrs string", [](Json& d) { d["pcrs"] = "x"; }, "evidence.pcrs: expected an object"},
      {"bank array", [](Json& d) { d["pcrs"]["sha256"] = Json::array(); },
       "evidence.pcrs.sha256: expected an object"},
      {"pcr number", [](Json& d) { d["pcrs"]["sha256"]["7"] = 7; },
       "evidence.pcrs.sha256.7: expected a hex string"},
      {"log number", [](Json& d) { d["logs"]["srtm"] = 5; },
       "evidence.logs.srtm: expected a base64"},
      {"log null", [](Json& d) { d["logs"]["drtm"] = nullptr; }, "evidence.logs.drtm: expected"},
      {"counter string", [](Json& d) { d["tpm"]["reset_count"] = "3"; },
       "evidence.tpm.reset_count: expected an integer"},
      {"counter negative", [](Json& d) { d["tpm"]["restart_count"] = -1; },
       "evidence.tpm.restart_count: must not be negative"},
      {"counter too big", [](Json& d) { d["tpm"]["reset_count"] = 4294967296u; },
       "evidence.tpm.reset_count: must be at most 4294967295"},
      {"hostname number", [](Json& d) { d["host"]["hostname"] = 1; },
       "evidence.host.hostname: expected a string"},
      {"label number", [](Json& d) { d["host"]["labels"]["rack"] = 3; },
       "evidence.host.labels.rack: expected a string"},
      {"hypervisor kind", [](Json& d) { d["host"]["hypervisor"]["kind"] = "hyperv"; },
       "evidence.host.hypervisor.kind: expected one of"},
      {"launch", [](Json& d) { d["host"]["measured_launch"] = "skinit"; },
       "evidence.host.measured_launch: expected one of"},
      // Hex and base64 syntax.
      {"nonce upper case", [](Json& d) { d["nonce"] = "0123456789ABCDEF"; },
       "evidence.nonce: expected 16 to 128 lower-case hex digits"},
      {"nonce odd", [](Json& d) { d["nonce"] = "0123456789abcdef0"; }, "evidence.nonce: expected"},
      {"nonce 0x", [](Json& d) { d["nonce"] = "0x0123456789abcdef"; }, "evidence.nonce: expected"},
      {"nonce short", [](Json& d) { d["nonce"] = std::string(14, 'a'); },
       "evidence.nonce: expected"},
      {"nonce long", [](Json& d) { d["nonce"] = std::string(130, 'a'); },
       "evidence.nonce: expected"},
      {"pcr bad hex", [](Json& d) { d["pcrs"]["sha256"]["0"] = std::string(64, 'g'); },
       "evidence.pcrs.sha256.0: expected 64 lower-case hex digits"},
      {"pcr upper", [](Json& d) { d["pcrs"]["sha256"]["0"] = std::string(64, 'A'); },
       "evidence.pcrs.sha256.0: expected 64"},
      {"attest bad base64", [](Json& d) { d["quote"]["attest"] = "abc"; },
       "evidence.quote.attest: base64"},
      {"attest bad padding", [](Json& d) { d["quote"]["attest"] = "ab=c"; },
       "evidence.quote.attest: base64"},
      {"attest url-safe", [](Json& d) { d["quote"]["attest"] = "ab-_"; },
       "evidence.quote.attest: base64"},
      {"attest whitespace", [](Json& d) { d["quote"]["attest"] = "AAAA AAAA"; },
       "evidence.quote.attest: base64"},
      {"attest empty", [](Json& d) { d["quote"]["attest"] = ""; },
       "evidence.quote.attest: 0 bytes, fewer than 1"},
      {"attest too big", [](Json& d) { d["quote"]["attest"] = std::string(2052, 'A'); },
       "evidence.quote.attest: more than 1536 bytes"},
      {"ak too big", [](Json& d) { d["ak"]["public"] = std::string(2052, 'A'); },
       "evidence.ak.public: more than 1536 bytes"},
      // PCR banks and indices.
      {"wrong digest size", [](Json& d) { d["pcrs"]["sha1"]["0"] = std::string(64, 'a'); },
       "evidence.pcrs.sha1.0: expected 40 lower-case hex digits"},
      {"sha384 size", [](Json& d) { d["pcrs"]["sha384"]["10"] = std::string(64, 'a'); },
       "evidence.pcrs.sha384.10: expected 96"},
      {"pcr 24", [](Json& d) { d["pcrs"]["sha256"]["24"] = std::string(64, 'a'); },
       "evidence.pcrs.sha256.24: PCR index must be 0 to 23"},
      {"pcr 07", [](Json& d) { d["pcrs"]["sha256"]["07"] = std::string(64, 'a'); },
       "evidence.pcrs.sha256.07: PCR index"},
      {"pcr -1", [](Json& d) { d["pcrs"]["sha256"]["-1"] = std::string(64, 'a'); },
       "evidence.pcrs.sha256.-1: PCR index"},
      {"pcr empty name", [](Json& d) { d["pcrs"]["sha256"][""] = std::string(64, 'a'); },
       "evidence.pcrs.sha256.: PCR index"},
      {"pcr 100", [](Json& d) { d["pcrs"]["sha256"]["100"] = std::string(64, 'a'); },
       "evidence.pcrs.sha256.100: PCR index"},
      {"no bank", [](Json& d) { d["pcrs"] = Json::object(); }, "evidence.pcrs: no PCR bank"},
      {"empty bank", [](Json& d) { d["pcrs"]["sha384"] = Json::object(); },
       "evidence.pcrs.sha384: no PCR value"},
      // Host facts.
      {"empty hostname", [](Json& d) { d["host"]["hostname"] = ""; },
       "evidence.host.hostname: shorter than 1"},
      {"long hostname", [](Json& d) { d["host"]["hostname"] = std::string(254, 'a'); },
       "evidence.host.hostname: longer than 253"},
      {"machine id", [](Json& d) { d["host"]["machine_id"] = "ABC"; },
       "evidence.host.machine_id: expected 32 lower-case hex digits"},
      {"empty machine id", [](Json& d) { d["host"]["machine_id"] = ""; },
       "evidence.host.machine_id: expected 32"},
      {"label name", [](Json& d) { d["host"]["labels"]["Rack"] = "x"; },
       "evidence.host.labels.Rack: label names"},
      {"label value", [](Json& d) { d["host"]["labels"]["rack"] = std::string(257, 'x'); },
       "evidence.host.labels.rack: longer than 256"},
      {"too many labels",
       [](Json& d) {
         for (int i = 0; i < 65; ++i) d["host"]["labels"]["l" + std::to_string(i)] = "";
       },
       "evidence.host.labels: more than 64 labels"},
      {"deep inside", [](Json& d) { d["host"]["labels"]["x"] = Json::parse("[[[[[[[[1]]]]]]]]"); },
       "evidence.host.labels.x[0][0][0][0][0]: nested deeper than 8 levels"},
  };
}

TEST(EvidenceTest, RefusesBadDocumentsNamingTheMember) {
  const std::string valid = EncodeOrDie(testing::FullEvidence());
  for (const BadCase& c : BadCases()) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(DecodeEvidence(Edit(valid, c.edit)),
                StatusIs(Code::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(EvidenceTest, MultibyteCharactersCountOnceTowardsLengthLimits) {
  // 253 two-byte characters: 506 bytes but within the 253-character limit.
  std::string name;
  for (int i = 0; i < 253; ++i) name += "\u00e9";
  Evidence e = testing::MinimalEvidence();
  e.host.hostname = name;
  ASSERT_OK_AND_ASSIGN(Evidence back, DecodeEvidence(EncodeOrDie(e)));
  EXPECT_EQ(back.host.hostname, name);
}

TEST(EvidenceTest, RefusesNonUtf8StringsNamingTheMember) {
  std::string json = EncodeOrDie(testing::MinimalEvidence());
  size_t at = json.find("\"h\"");
  ASSERT_NE(at, std::string::npos);
  std::string bad = json;
  bad.replace(at, 3, "\"h\xff\"");
  EXPECT_THAT(DecodeEvidence(bad),
              StatusIs(Code::kInvalidArgument, HasSubstr("evidence.host.hostname: string is not "
                                                         "valid UTF-8")));
  // An overlong encoding of '/' and a lone surrogate (CESU) are not UTF-8 either.
  for (const char* seq : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    bad = json;
    bad.replace(at, 3, std::string("\"h") + seq + "\"");
    EXPECT_THAT(DecodeEvidence(bad), StatusIs(Code::kInvalidArgument, HasSubstr("UTF-8")));
  }
  // A bad member name is named by its position.
  bad = json;
  bad.replace(json.find("\"agent_version\""), 15, "\"agent_versio\xfe\"");
  EXPECT_THAT(DecodeEvidence(bad), StatusIs(Code::kInvalidArgument,
                                            HasSubstr("evidence.host: member name is not valid")));
}

TEST(EvidenceTest, RefusesEscapedLoneSurrogate) {
  std::string json = EncodeOrDie(testing::MinimalEvidence());
  size_t at = json.find("\"h\"");
  json.replace(at, 3, "\"\\ud800\"");
  EXPECT_THAT(DecodeEvidence(json), StatusIs(Code::kInvalidArgument, HasSubstr("evidence")));
}

TEST(EvidenceTest, RefusesDuplicateMembers) {
  std::string json = EncodeOrDie(testing::MinimalEvidence());
  // A second "nonce" after the first: most parsers keep one of them silently.
  std::string dup = json;
  dup.insert(1, "\"nonce\":\"ffffffffffffffff\",");
  EXPECT_THAT(DecodeEvidence(dup),
              StatusIs(Code::kInvalidArgument, HasSubstr("evidence.nonce: duplicate member")));
  dup = json;
  size_t host = dup.find("\"hostname\"");
  dup.insert(host, "\"hostname\":\"other\",");
  EXPECT_THAT(DecodeEvidence(dup),
              StatusIs(Code::kInvalidArgument, HasSubstr("evidence.host.hostname: duplicate")));
}

TEST(EvidenceTest, RefusesDeepNestingWithoutRecursing) {
  // nlohmann's parser recurses per level; 100000 levels would overflow the
  // stack if they reached it.
  std::string deep(100000, '[');
  EXPECT_THAT(DecodeEvidence(deep),
              StatusIs(Code::kInvalidArgument, HasSubstr("evidence[0][0][0][0][0][0][0][0]: "
                                                         "nested deeper than 8 levels")));
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_THAT(DecodeEvidence(objects),
              StatusIs(Code::kInvalidArgument, HasSubstr("evidence.a.a.a.a.a.a.a.a: nested")));
}

TEST(EvidenceTest, RefusesOversizeDocumentBeforeParsing) {
  // Not JSON at all: the size check must come first.
  std::string huge(kMaxEvidenceDocumentBytes + 1, '[');
  EXPECT_THAT(DecodeEvidence(huge),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("evidence: document is 50331649 bytes, more than the limit")));
}

TEST(EvidenceTest, AcceptsLogsAtTheirLimits) {
  Evidence e = testing::MinimalEvidence();
  e.srtm_log = Bytes(kMaxSrtmLogBytes, 0xAB);
  e.drtm_log = Bytes(kMaxDrtmLogBytes, 0xCD);
  std::string json = EncodeOrDie(e);
  ASSERT_OK_AND_ASSIGN(Evidence back, DecodeEvidence(json));
  EXPECT_EQ(back.srtm_log->size(), kMaxSrtmLogBytes);
  // One byte more is refused (same base64 length: the decoded size decides).
  std::string over =
      Edit(json, [](Json& d) { d["logs"]["drtm"] = Base64Encode(Bytes(kMaxDrtmLogBytes + 1, 0)); });
  EXPECT_THAT(DecodeEvidence(over),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("evidence.logs.drtm: 1048577 bytes, more than 1048576")));
}

TEST(EvidenceTest, RefusesNonObjectsAndNonJson) {
  for (const char* text : {"", "[]", "1", "\"x\"", "null", "{", "{\"version\":1,}", "{} {}",
                           "{\"version\":1 // comment\n}"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(DecodeEvidence(text), StatusIs(Code::kInvalidArgument, StartsWith("evidence")));
  }
}

TEST(EvidenceTest, EncoderRefusesDataOutsideTheSchema) {
  struct Case {
    const char* name;
    std::function<void(Evidence&)> edit;
    const char* message;
  };
  const Case cases[] = {
      {"short nonce", [](Evidence& e) { e.nonce.resize(7); }, "evidence.nonce"},
      {"long nonce", [](Evidence& e) { e.nonce.resize(65); }, "evidence.nonce"},
      {"empty attest", [](Evidence& e) { e.quote_attest.clear(); }, "evidence.quote.attest"},
      {"big signature", [](Evidence& e) { e.quote_signature.resize(1537); },
       "evidence.quote.signature"},
      {"no pcrs", [](Evidence& e) { e.pcrs = tpm::PcrValues(); }, "evidence.pcrs"},
      {"sm3", [](Evidence& e) { ASSERT_OK(e.pcrs.Set(HashAlg::kSm3_256, 0, Bytes(32))); },
       "evidence.pcrs.sm3_256"},
      {"big log", [](Evidence& e) { e.drtm_log = Bytes(kMaxDrtmLogBytes + 1); },
       "evidence.logs.drtm"},
      {"bad utf8", [](Evidence& e) { e.host.hostname = "a\xff"; }, "evidence.host.hostname"},
      {"bad label", [](Evidence& e) { e.host.labels["A B"] = ""; }, "evidence.host.labels"},
      {"machine id", [](Evidence& e) { e.host.machine_id = "x"; }, "evidence.host.machine_id"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Evidence e = testing::FullEvidence();
    c.edit(e);
    EXPECT_THAT(EncodeEvidence(e), StatusIs(Code::kInternal, HasSubstr(c.message)));
  }
}

// A document built from the real swtpm quote of tests/data/quotes/swtpm-rsa
// (testdata/README.md): decoding it gives exactly what VerifyQuote needs.
TEST(EvidenceTest, DecodesRealSwtpmEvidenceThatVerifies) {
  std::ifstream in(std::string(VOUCH_PROTOCOL_TESTDATA_DIR) + "/swtpm-rsa-evidence.json");
  std::stringstream text;
  text << in.rdbuf();
  ASSERT_OK_AND_ASSIGN(Evidence e, DecodeEvidence(text.str()));
  EXPECT_EQ(e.pcrs.banks().size(), 2u);
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic ak, tpm::TpmPublic::DecodeTpm2b(e.ak_public));
  tpm::QuoteEvidence quote{e.quote_attest, e.quote_signature, e.pcrs};
  ASSERT_OK_AND_ASSIGN(tpm::QuoteVerification v, tpm::VerifyQuote(ak, quote, e.nonce));
  EXPECT_TRUE(v.findings.empty()) << v.findings.front().id;
  EXPECT_TRUE(v.verified.has_value());
  // The encoder writes the same document back (the file is in encoder form).
  ASSERT_OK_AND_ASSIGN(std::string again, EncodeEvidence(e));
  EXPECT_EQ(again + "\n", text.str());
}

TEST(EvidenceTest, NamesEnums) {
  EXPECT_EQ(HypervisorKindName(HypervisorKind::kXen), "xen");
  EXPECT_EQ(HypervisorKindName(HypervisorKind::kKvm), "kvm");
  EXPECT_EQ(HypervisorKindName(HypervisorKind::kNone), "none");
  EXPECT_EQ(HypervisorKindName(HypervisorKind::kUnknown), "unknown");
  EXPECT_EQ(MeasuredLaunchName(MeasuredLaunch::kTxt), "txt");
  EXPECT_EQ(MeasuredLaunchName(MeasuredLaunch::kEmulated), "emulated");
  EXPECT_EQ(MeasuredLaunchName(MeasuredLaunch::kNone), "none");
  EXPECT_EQ(MeasuredLaunchName(MeasuredLaunch::kUnknown), "unknown");
}

// ParseDocument (core/protocol/json_util.h) directly: the checks every
// decoder above relies on, with the paths they name.
Status ParseError(std::string_view text) {
  Result<Json> r = internal::ParseDocument(text, 1 << 20, "doc");
  return r.has_value() ? Status::Ok() : r.status();
}

TEST(ParseDocumentTest, RefusesDuplicatesAtDepthNamingTheMember) {
  EXPECT_THAT(ParseError(R"({"a":{"b":{"c":1,"c":2}}})"),
              StatusIs(Code::kInvalidArgument, HasSubstr("doc.a.b.c: duplicate member")));
  // A repeat after a nested object has closed is still in the outer object.
  EXPECT_THAT(ParseError(R"({"a":{"b":{"c":1}},"a":2})"),
              StatusIs(Code::kInvalidArgument, HasSubstr("doc.a: duplicate member")));
  EXPECT_THAT(ParseError(R"({"a":{"b":{"c":1},"d":[],"b":true}})"),
              StatusIs(Code::kInvalidArgument, HasSubstr("doc.a.b: duplicate member")));
  // The same name in an enclosing and an enclosed object is no duplicate.
  EXPECT_OK(ParseError(R"({"a":{"a":{"a":1}},"b":{"a":2}})"));
  // Nor is a name used in one object and then in the next after it closed.
  EXPECT_OK(ParseError(R"({"a":{"b":{"c":1}},"b":{"c":2}})"));
}

TEST(ParseDocumentTest, RefusesDuplicatesInObjectsInsideArrays) {
  // Array positions are not part of the duplicate's path: the open objects'
  // member names are.
  EXPECT_THAT(ParseError(R"({"list":[{"x":1},{"y":2,"x":3,"y":4}]})"),
              StatusIs(Code::kInvalidArgument, HasSubstr("doc.list.y: duplicate member")));
  EXPECT_THAT(ParseError(R"({"list":[[{"k":{"x":1,"x":1}}]]})"),
              StatusIs(Code::kInvalidArgument, HasSubstr("doc.list.k.x: duplicate member")));
  // The same member in sibling objects of an array is how arrays of objects
  // look: accepted.
  EXPECT_OK(ParseError(R"({"list":[{"x":1,"y":2},{"x":1,"y":2},{"x":{"x":[]}}]})"));
  // Only the first duplicate is named.
  EXPECT_THAT(ParseError(R"({"list":[{"a":1,"a":2},{"b":1,"b":2}]})"),
              StatusIs(Code::kInvalidArgument, HasSubstr("doc.list.a: duplicate member")));
}

TEST(ParseDocumentTest, MalformedJsonWinsOverADuplicate) {
  // The whole document is parsed before a duplicate is reported.
  EXPECT_THAT(ParseError(R"({"a":1,"a":2)"),
              StatusIs(Code::kInvalidArgument, HasSubstr("doc: not a valid JSON document")));
  EXPECT_THAT(ParseError(R"({"a":1,"a":2} x)"),
              StatusIs(Code::kInvalidArgument, HasSubstr("doc: not a valid JSON document")));
  // A duplicate wins over a non-object top level.
  EXPECT_THAT(ParseError(R"([{"a":1,"a":2}])"),
              StatusIs(Code::kInvalidArgument, HasSubstr("doc.a: duplicate member")));
  EXPECT_THAT(ParseError(R"("text")"),
              StatusIs(Code::kInvalidArgument, HasSubstr("doc: expected a JSON object")));
  EXPECT_THAT(ParseError(""),
              StatusIs(Code::kInvalidArgument, HasSubstr("doc: not a valid JSON document")));
  EXPECT_THAT(ParseError("{} {}"),
              StatusIs(Code::kInvalidArgument, HasSubstr("doc: not a valid JSON document")));
  EXPECT_THAT(ParseError(R"({"n":1e999})"),
              StatusIs(Code::kInvalidArgument, HasSubstr("doc: not a valid JSON document")));
}

TEST(ParseDocumentTest, BuildsTheSameTreeAsNlohmann) {
  const std::string text =
      R"({"null":null,"t":true,"f":false,"i":-7,"u":18446744073709551615,"d":1.5e3,)"
      R"("s":"caf\u00e9 \"q\"","e":{},"a":[],"n":[[1,[2,{"x":[3]}]],{"y":{"z":null}}],)"
      R"("":"empty name"})";
  ASSERT_OK_AND_ASSIGN(Json doc, internal::ParseDocument(text, 1 << 20, "doc"));
  EXPECT_EQ(doc, Json::parse(text));
  EXPECT_TRUE(doc["u"].is_number_unsigned());
  EXPECT_TRUE(doc["i"].is_number_integer());
  EXPECT_TRUE(doc["d"].is_number_float());
}

TEST(ParseDocumentTest, ParsesALongArrayOfObjects) {
  // The shape of a large reference set (its parse rate is in
  // bench/json_parse_bench.cc; this only checks the result).
  std::string text = R"({"entries":[)";
  for (int i = 0; i < 20000; ++i) {
    if (i > 0) text += ',';
    text += R"({"kind":"kernel","name":"k)" + std::to_string(i) + R"(","digests":{"sha256":"00"}})";
  }
  text += "]}";
  ASSERT_OK_AND_ASSIGN(Json doc, internal::ParseDocument(text, text.size(), "doc"));
  ASSERT_EQ(doc["entries"].size(), 20000U);
  EXPECT_EQ(doc["entries"][19999]["name"], "k19999");
  EXPECT_EQ(doc, Json::parse(text));
}

}  // namespace
}  // namespace vouch::protocol
