// The reference value codec (policy/model/reference.h): round trips, every
// rule refused with the member named, and the encoders' documents checked
// against schemas/reference-value.schema.json and reference-set.schema.json.
#include "policy/model/reference.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/testing/status_matchers.h"
#include "tests/unit/policy/schema_check.h"

namespace vouch::policy {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;
using Json = nlohmann::json;
using std::chrono::system_clock;

Bytes Filled(size_t n, uint8_t b) { return Bytes(n, b); }

// 2026-11-28T09:00:00Z
system_clock::time_point SomeTime() {
  using namespace std::chrono;
  return system_clock::time_point{sys_days{year{2026} / November / 28}} + hours{9};
}

ReferenceValue FullValue() {
  ReferenceValue v;
  v.kind = ReferenceKind::kHypervisor;
  v.name = "xen 4.17.3";
  v.version = "4.17.3";
  v.vendor = "Xen Project";
  v.digests[HashAlg::kSha1] = Filled(20, 0x11);
  v.digests[HashAlg::kSha256] = Filled(32, 0x22);
  v.digests[HashAlg::kSha384] = Filled(48, 0x33);
  v.digests[HashAlg::kSha512] = Filled(64, 0x44);
  v.source = "file:/boot/xen.gz";
  v.added_by = "admin-token";
  v.valid_until = SomeTime();
  v.id = "xen-4.17.3";
  return v;
}

ReferenceValue MinimalValue() {
  ReferenceValue v;
  v.kind = ReferenceKind::kKernel;
  v.name = "k";
  v.digests[HashAlg::kSha256] = Filled(32, 0xab);
  return v;
}

ReferenceSetDocument FullSet() {
  ReferenceSetDocument s;
  s.name = "fleet:prod.v1";
  s.version = 3;
  s.description = "production hosts";
  s.updated_at = SomeTime();
  s.updated_by = "alice";
  s.entries.push_back(FullValue());
  ReferenceValue second = MinimalValue();
  second.id = "kernel-1";
  s.entries.push_back(second);
  s.entries.push_back(MinimalValue());  // no id: allowed
  return s;
}

bool SameValue(const ReferenceValue& a, const ReferenceValue& b) {
  return a.kind == b.kind && a.name == b.name && a.version == b.version && a.vendor == b.vendor &&
         a.digests == b.digests && a.source == b.source && a.added_by == b.added_by &&
         a.valid_until == b.valid_until && a.id == b.id;
}

// The checker does not know minProperties (schema_check.h); the decoder
// tests cover "at least one digest".
void DropUnsupported(Json& schema) {
  if (schema.is_object()) {
    schema.erase("minProperties");
    for (auto& [key, value] : schema.items()) DropUnsupported(value);
  } else if (schema.is_array()) {
    for (Json& value : schema) DropUnsupported(value);
  }
}

std::vector<std::string> Check(const std::string& schema_name, const std::string& document) {
  Json doc = Json::parse(document, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return {"document does not parse"};
  Json schema = testing::LoadSchema(schema_name);
  DropUnsupported(schema);
  return vouch::testing::CheckAgainstSchema(schema, doc);
}

// ---- round trips ----

TEST(ReferenceJsonTest, ValueRoundTrips) {
  for (const ReferenceValue& v : {FullValue(), MinimalValue()}) {
    ASSERT_OK_AND_ASSIGN(std::string json, EncodeReferenceValue(v));
    ASSERT_OK_AND_ASSIGN(ReferenceValue back, DecodeReferenceValue(json));
    EXPECT_TRUE(SameValue(v, back)) << json;
    ASSERT_OK_AND_ASSIGN(std::string again, EncodeReferenceValue(back));
    EXPECT_EQ(json, again);
  }
}

TEST(ReferenceJsonTest, SetRoundTrips) {
  ReferenceSetDocument s = FullSet();
  ASSERT_OK_AND_ASSIGN(std::string json, EncodeReferenceSet(s));
  ASSERT_OK_AND_ASSIGN(ReferenceSetDocument back, DecodeReferenceSet(json));
  EXPECT_EQ(back.name, s.name);
  EXPECT_EQ(back.version, s.version);
  EXPECT_EQ(back.description, s.description);
  EXPECT_EQ(back.updated_at, s.updated_at);
  EXPECT_EQ(back.updated_by, s.updated_by);
  ASSERT_EQ(back.entries.size(), s.entries.size());
  for (size_t i = 0; i < s.entries.size(); ++i)
    EXPECT_TRUE(SameValue(s.entries[i], back.entries[i]));
  ASSERT_OK_AND_ASSIGN(std::string again, EncodeReferenceSet(back));
  EXPECT_EQ(json, again);
}

TEST(ReferenceJsonTest, EncodingIsStableAndOmitsEmptyMembers) {
  std::string ab;
  for (int i = 0; i < 32; ++i) ab += "ab";
  ASSERT_OK_AND_ASSIGN(std::string json, EncodeReferenceValue(MinimalValue()));
  EXPECT_EQ(json, R"({"kind":"kernel","name":"k","digests":{"sha256":")" + ab + "\"}}");

  ASSERT_OK_AND_ASSIGN(std::string full, EncodeReferenceValue(FullValue()));
  // Members in the schema's order; banks in bank order.
  EXPECT_LT(full.find("\"kind\""), full.find("\"name\""));
  EXPECT_LT(full.find("\"digests\""), full.find("\"source\""));
  EXPECT_LT(full.find("\"sha1\""), full.find("\"sha512\""));
  EXPECT_LT(full.find("\"valid_until\""), full.find("\"id\""));
  EXPECT_THAT(full, HasSubstr(R"("valid_until":"2026-11-28T09:00:00Z")"));

  ReferenceSetDocument request;
  request.name = "s";
  ASSERT_OK_AND_ASSIGN(std::string set_json, EncodeReferenceSet(request));
  EXPECT_EQ(set_json, R"({"name":"s","version":0,"entries":[]})");
}

TEST(ReferenceJsonTest, EveryKindRoundTrips) {
  for (ReferenceKind k :
       {ReferenceKind::kPlatform, ReferenceKind::kSinit, ReferenceKind::kTboot,
        ReferenceKind::kTbootPolicy, ReferenceKind::kHypervisor, ReferenceKind::kKernel,
        ReferenceKind::kInitrd, ReferenceKind::kVmImage, ReferenceKind::kVmKernel,
        ReferenceKind::kVmFirmware, ReferenceKind::kVmConfig, ReferenceKind::kVmInitrd}) {
    ReferenceValue v = MinimalValue();
    v.kind = k;
    ASSERT_OK_AND_ASSIGN(std::string json, EncodeReferenceValue(v));
    ASSERT_OK_AND_ASSIGN(ReferenceValue back, DecodeReferenceValue(json));
    EXPECT_EQ(back.kind, k) << json;
    EXPECT_THAT(Check("reference-value", json), IsEmpty()) << json;
  }
}

TEST(ReferenceJsonTest, RequestWithoutVersionOrIdsDecodes) {
  std::string d(64, 'c');
  ASSERT_OK_AND_ASSIGN(
      ReferenceSetDocument s,
      DecodeReferenceSet(
          R"({"name":"a","entries":[{"kind":"initrd","name":"i","digests":{"sha256":")" + d +
          R"("}}]})"));
  EXPECT_EQ(s.version, 0);
  EXPECT_FALSE(s.updated_at.has_value());
  ASSERT_EQ(s.entries.size(), 1U);
  EXPECT_TRUE(s.entries[0].id.empty());
}

// ---- schemas ----

TEST(ReferenceJsonTest, EncodedDocumentsValidateAgainstSchemas) {
  ASSERT_OK_AND_ASSIGN(std::string full, EncodeReferenceValue(FullValue()));
  EXPECT_THAT(Check("reference-value", full), IsEmpty());
  ASSERT_OK_AND_ASSIGN(std::string minimal, EncodeReferenceValue(MinimalValue()));
  EXPECT_THAT(Check("reference-value", minimal), IsEmpty());
  ASSERT_OK_AND_ASSIGN(std::string set, EncodeReferenceSet(FullSet()));
  EXPECT_THAT(Check("reference-set", set), IsEmpty());
  ReferenceSetDocument empty;
  empty.name = "e";
  ASSERT_OK_AND_ASSIGN(std::string empty_json, EncodeReferenceSet(empty));
  EXPECT_THAT(Check("reference-set", empty_json), IsEmpty());
}

TEST(ReferenceJsonTest, SchemasRefuseWhatTheDecoderRefuses) {
  // The schema is the contract for other implementations: spot-check that
  // it refuses the same typos and shapes.
  std::string d(64, 'c');
  EXPECT_THAT(Check("reference-value", R"({"kind":"kernel","name":"k","digests":{"sha256":")" + d +
                                           R"("},"nmae":"x"})"),
              Not(IsEmpty()));
  EXPECT_THAT(
      Check("reference-value", R"({"kind":"kernel","name":"k","digests":{"sha256":"abcd"}})"),
      Not(IsEmpty()));
  EXPECT_THAT(
      Check("reference-value", R"({"kind":"bios","name":"k","digests":{"sha256":")" + d + "\"}}"),
      Not(IsEmpty()));
  EXPECT_THAT(Check("reference-set", R"({"name":"a b","entries":[]})"), Not(IsEmpty()));
}

// ---- refusals, each naming the member ----

struct BadValue {
  std::string json;
  std::string member;  // expected in the message
};

TEST(ReferenceJsonTest, ValueRulesAreRefusedNamingTheMember) {
  const std::string d256(64, 'c');
  const std::string ok_digests = R"("digests":{"sha256":")" + d256 + "\"}";
  const std::vector<BadValue> cases = {
      {R"({"name":"k",)" + ok_digests + "}", "kind: missing"},
      {R"({"kind":"bios","name":"k",)" + ok_digests + "}", "kind: expected one of"},
      {R"({"kind":7,"name":"k",)" + ok_digests + "}", "kind: expected a string"},
      {R"({"kind":"kernel",)" + ok_digests + "}", "name: missing"},
      {R"({"kind":"kernel","name":"",)" + ok_digests + "}", "name: must not be empty"},
      {R"({"kind":"kernel","name":")" + std::string(257, 'n') + "\"," + ok_digests + "}",
       "name: 257 bytes"},
      {R"({"kind":"kernel","name":"k","version":")" + std::string(257, 'v') + "\"," + ok_digests +
           "}",
       "version: 257 bytes"},
      {R"({"kind":"kernel","name":"k","vendor":1,)" + ok_digests + "}",
       "vendor: expected a string"},
      {R"({"kind":"kernel","name":"k","source":")" + std::string(300, 's') + "\"," + ok_digests +
           "}",
       "source:"},
      {R"({"kind":"kernel","name":"k","added_by":[],)" + ok_digests + "}", "added_by:"},
      {R"({"kind":"kernel","name":"k"})", "digests: missing"},
      {R"({"kind":"kernel","name":"k","digests":{}})", "digests: at least one digest"},
      {R"({"kind":"kernel","name":"k","digests":[]})", "digests: expected an object"},
      {R"({"kind":"kernel","name":"k","digests":{"md5":"00"}})", "digests.md5: unknown member"},
      {R"({"kind":"kernel","name":"k","digests":{"sm3_256":")" + d256 + "\"}}",
       "digests.sm3_256: unknown member"},
      {R"({"kind":"kernel","name":"k","digests":{"sha256":")" + std::string(64, 'C') + "\"}}",
       "digests.sha256: expected 64 lower-case hex digits"},
      {R"({"kind":"kernel","name":"k","digests":{"sha256":5}})", "digests.sha256: expected a hex"},
      {R"({"kind":"kernel","name":"k",)" + ok_digests + R"(,"valid_until":"tomorrow"})",
       "valid_until: expected an RFC 3339"},
      {R"({"kind":"kernel","name":"k",)" + ok_digests + R"(,"valid_until":"2026-02-30T00:00:00Z"})",
       "valid_until: not a calendar date"},
      {R"({"kind":"kernel","name":"k",)" + ok_digests + R"(,"id":""})", "id: expected 1 to 128"},
      {R"({"kind":"kernel","name":"k",)" + ok_digests + R"(,"id":"a/b"})", "id: expected 1 to 128"},
      {R"({"kind":"kernel","name":"k",)" + ok_digests + R"(,"id":")" + std::string(129, 'i') +
           "\"}",
       "id: expected 1 to 128"},
      {R"({"kind":"kernel","name":"k",)" + ok_digests + R"(,"nmae":"typo"})",
       "nmae: unknown member"},
      {R"({"kind":"kernel","kind":"initrd","name":"k",)" + ok_digests + "}", "duplicate member"},
      {R"(["kind"])", "expected a JSON object"},
      {R"({"kind":"kernel")", "not a valid JSON document"},
      {"{\"kind\":\"kernel\",\"name\":\"\xff\"," + ok_digests + "}", "not valid UTF-8"},
  };
  for (const BadValue& c : cases) {
    EXPECT_THAT(DecodeReferenceValue(c.json), StatusIs(Code::kInvalidArgument, HasSubstr(c.member)))
        << c.json;
  }
}

TEST(ReferenceJsonTest, WrongDigestLengthPerBankIsRefused) {
  const std::vector<std::pair<std::string, size_t>> banks = {
      {"sha1", 40}, {"sha256", 64}, {"sha384", 96}, {"sha512", 128}};
  for (const auto& [bank, digits] : banks) {
    for (size_t n : {digits - 2, digits + 2, size_t{0}, digits - 1}) {
      std::string json = R"({"kind":"platform","name":"p","digests":{")" + bank + R"(":")" +
                         std::string(n, 'a') + "\"}}";
      EXPECT_THAT(DecodeReferenceValue(json),
                  StatusIs(Code::kInvalidArgument,
                           HasSubstr("digests." + bank + ": expected " + std::to_string(digits))))
          << json;
    }
    std::string ok = R"({"kind":"platform","name":"p","digests":{")" + bank + R"(":")" +
                     std::string(digits, 'a') + "\"}}";
    EXPECT_THAT(DecodeReferenceValue(ok), IsOk()) << ok;
  }
}

TEST(ReferenceJsonTest, EncoderRefusesBrokenValues) {
  ReferenceValue no_digest = MinimalValue();
  no_digest.digests.clear();
  EXPECT_THAT(EncodeReferenceValue(no_digest),
              StatusIs(Code::kInvalidArgument, HasSubstr("digests: at least one")));
  ReferenceValue short_digest = MinimalValue();
  short_digest.digests[HashAlg::kSha384] = Filled(32, 1);
  EXPECT_THAT(EncodeReferenceValue(short_digest),
              StatusIs(Code::kInvalidArgument, HasSubstr("digests.sha384: expected 48 bytes")));
  ReferenceValue sm3 = MinimalValue();
  sm3.digests[HashAlg::kSm3_256] = Filled(32, 1);
  EXPECT_THAT(EncodeReferenceValue(sm3),
              StatusIs(Code::kInvalidArgument, HasSubstr("digests.sm3_256")));
  ReferenceValue no_name = MinimalValue();
  no_name.name.clear();
  EXPECT_THAT(EncodeReferenceValue(no_name), StatusIs(Code::kInvalidArgument, HasSubstr("name")));
  ReferenceValue bad_id = MinimalValue();
  bad_id.id = "has space";
  EXPECT_THAT(EncodeReferenceValue(bad_id), StatusIs(Code::kInvalidArgument, HasSubstr("id")));
  ReferenceValue bad_kind = MinimalValue();
  bad_kind.kind = static_cast<ReferenceKind>(99);
  EXPECT_THAT(EncodeReferenceValue(bad_kind), StatusIs(Code::kInvalidArgument, HasSubstr("kind")));
  ReferenceValue bad_utf8 = MinimalValue();
  bad_utf8.vendor = "\xc3";
  EXPECT_THAT(EncodeReferenceValue(bad_utf8),
              StatusIs(Code::kInvalidArgument, HasSubstr("vendor: not valid UTF-8")));
}

TEST(ReferenceJsonTest, SetRulesAreRefusedNamingTheMember) {
  const std::string entry =
      R"({"kind":"kernel","name":"k","digests":{"sha256":")" + std::string(64, 'c') + "\"}}";
  auto with_id = [&](const std::string& id) {
    return entry.substr(0, entry.size() - 1) + R"(,"id":")" + id + "\"}";
  };
  const std::vector<BadValue> cases = {
      {R"({"entries":[]})", "name: missing"},
      {R"({"name":"","entries":[]})", "name: expected 1 to 128"},
      {R"({"name":"a b","entries":[]})", "name: expected 1 to 128"},
      {R"({"name":")" + std::string(129, 'a') + R"(","entries":[]})", "name: expected 1 to 128"},
      {R"({"name":"a"})", "entries: missing"},
      {R"({"name":"a","entries":{}})", "entries: expected an array"},
      {R"({"name":"a","version":-1,"entries":[]})", "version: must not be negative"},
      {R"({"name":"a","version":1.5,"entries":[]})", "version: expected an integer"},
      {R"({"name":"a","version":"1","entries":[]})", "version: expected an integer"},
      {R"({"name":"a","description":")" + std::string(4097, 'd') + R"(","entries":[]})",
       "description: 4097 bytes"},
      {R"({"name":"a","updated_by":")" + std::string(257, 'u') + R"(","entries":[]})",
       "updated_by: 257 bytes"},
      {R"({"name":"a","updated_at":"2026-11-28 09:00:00","entries":[]})", "updated_at: expected"},
      {R"({"name":"a","entries":[],"extra":1})", "extra: unknown member"},
      {R"({"name":"a","entries":[)" + entry + "," + entry.substr(0, entry.size() - 1) +
           R"(,"kind2":1}]})",
       "entries[1].kind2: unknown member"},
      {R"({"name":"a","entries":[)" + entry +
           R"(,{"kind":"kernel","name":"k","digests":{"sha1":"ab"}}]})",
       "entries[1].digests.sha1: expected 40"},
      {R"({"name":"a","entries":[)" + entry + R"(,7]})", "entries[1]: expected an object"},
      {R"({"name":"a","entries":[)" + with_id("x") + "," + with_id("y") + "," + with_id("x") + "]}",
       "entries[2].id: duplicate entry id \"x\""},
      {R"({"name":"a","entries":[[[[[[[[[]]]]]]]]]})", "nested deeper than"},
  };
  for (const BadValue& c : cases) {
    EXPECT_THAT(DecodeReferenceSet(c.json), StatusIs(Code::kInvalidArgument, HasSubstr(c.member)))
        << c.json.substr(0, 200);
  }
}

TEST(ReferenceJsonTest, EncoderRefusesBrokenSets) {
  ReferenceSetDocument s = FullSet();
  s.entries[2].id = s.entries[0].id;
  EXPECT_THAT(EncodeReferenceSet(s),
              StatusIs(Code::kInvalidArgument, HasSubstr("entries[2].id: duplicate")));
  ReferenceSetDocument bad_name = FullSet();
  bad_name.name = "with/slash";
  EXPECT_THAT(EncodeReferenceSet(bad_name), StatusIs(Code::kInvalidArgument, HasSubstr("name")));
  ReferenceSetDocument negative = FullSet();
  negative.version = -2;
  EXPECT_THAT(EncodeReferenceSet(negative), StatusIs(Code::kInvalidArgument, HasSubstr("version")));
  ReferenceSetDocument bad_entry = FullSet();
  bad_entry.entries[1].digests.clear();
  EXPECT_THAT(EncodeReferenceSet(bad_entry),
              StatusIs(Code::kInvalidArgument, HasSubstr("entries[1].digests")));
}

TEST(ReferenceJsonTest, SetNames) {
  EXPECT_TRUE(IsValidReferenceSetName("a"));
  EXPECT_TRUE(IsValidReferenceSetName("Fleet_prod-1.2:x"));
  EXPECT_TRUE(IsValidReferenceSetName(std::string(128, 'a')));
  EXPECT_FALSE(IsValidReferenceSetName(""));
  EXPECT_FALSE(IsValidReferenceSetName(std::string(129, 'a')));
  EXPECT_FALSE(IsValidReferenceSetName("a/b"));
  EXPECT_FALSE(IsValidReferenceSetName("a b"));
  EXPECT_FALSE(IsValidReferenceSetName("é"));
}

// ---- limits ----

TEST(ReferenceJsonTest, DocumentSizeLimitIsCheckedBeforeParsing) {
  // Not JSON at all: refused for its size, not for its grammar.
  std::string huge(kMaxReferenceDocumentBytes + 1, ' ');
  EXPECT_THAT(DecodeReferenceSet(huge),
              StatusIs(Code::kInvalidArgument, HasSubstr("more than the limit")));
  EXPECT_THAT(DecodeReferenceValue(huge),
              StatusIs(Code::kInvalidArgument, HasSubstr("more than the limit")));
}

TEST(ReferenceJsonTest, EntryCountLimit) {
  // The count is checked before any entry is decoded, so the entries need
  // not be objects (and parsing 100,001 objects is slow, see below).
  std::string json = R"({"name":"a","entries":[)";
  for (size_t i = 0; i <= kMaxReferenceEntries; ++i) json += i == 0 ? "1" : ",1";
  json += "]}";
  ASSERT_LE(json.size(), kMaxReferenceDocumentBytes);
  EXPECT_THAT(DecodeReferenceSet(json),
              StatusIs(Code::kInvalidArgument, HasSubstr("entries: 100001 entries")));

  ReferenceSetDocument s;
  s.name = "a";
  s.entries.assign(kMaxReferenceEntries + 1, MinimalValue());
  EXPECT_THAT(EncodeReferenceSet(s),
              StatusIs(Code::kInvalidArgument, HasSubstr("entries: 100001 entries")));
}

// 10,000 entries, not the limit of 100,000: core/protocol's ParseDocument
// (nlohmann 3.11.2's callback parser) spends time quadratic in the number of
// objects in one array, about 30 s for 100,000 entries on the test machine.
TEST(ReferenceJsonTest, LargeSetRoundTrips) {
  ReferenceSetDocument s;
  s.name = "big";
  s.entries.assign(10000, MinimalValue());
  for (size_t i = 0; i < s.entries.size(); ++i) s.entries[i].id = "e" + std::to_string(i);
  ASSERT_OK_AND_ASSIGN(std::string json, EncodeReferenceSet(s));
  ASSERT_OK_AND_ASSIGN(ReferenceSetDocument back, DecodeReferenceSet(json));
  ASSERT_EQ(back.entries.size(), s.entries.size());
  EXPECT_EQ(back.entries.back().id, "e9999");
}

TEST(ReferenceJsonTest, EncoderRefusesOutputOverTheDocumentLimit) {
  // Every string at its limit makes an entry about 1,700 bytes: 12,000 of
  // them are over 16 MiB. The encoder must not write what the decoder would
  // refuse.
  ReferenceValue fat = FullValue();
  fat.name = std::string(256, 'n');
  fat.version = std::string(256, 'r');
  fat.vendor = std::string(256, 'v');
  fat.source = std::string(256, 's');
  fat.added_by = std::string(256, 'a');
  fat.id.clear();
  ReferenceSetDocument s;
  s.name = "fat";
  s.entries.assign(12000, fat);
  EXPECT_THAT(EncodeReferenceSet(s),
              StatusIs(Code::kInvalidArgument, HasSubstr("more than the limit")));
}

TEST(ReferenceJsonTest, MultiByteTextCountsBytes) {
  ReferenceValue v = MinimalValue();
  v.name = "";
  for (int i = 0; i < 128; ++i) v.name += "é";  // 256 bytes
  EXPECT_THAT(EncodeReferenceValue(v), IsOk());
  v.name += "é";  // 258 bytes, 129 characters
  EXPECT_THAT(EncodeReferenceValue(v), StatusIs(Code::kInvalidArgument, HasSubstr("name: 258")));
}

}  // namespace
}  // namespace vouch::policy
