#include "core/protocol/enrollment.h"

#include <functional>
#include <string>
#include <vector>

#include "tests/testing/status_matchers.h"
#include "tests/unit/core/protocol/test_documents.h"

namespace vouch::protocol {
namespace {

using testing::Edit;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::vouch::testing::StatusIs;
using Json = nlohmann::json;

template <typename T>
std::string OrDie(Result<T> r) {
  EXPECT_TRUE(r.has_value()) << r.status().ToString();
  return r.has_value() ? std::move(r).value() : std::string();
}

// --- ComputeActivationProof ---

Bytes SampleAkName() {
  // nameAlg sha256 (0x000b) || SHA-256("ak"): any 34 bytes do.
  return HexDecode("000b7f093592aebbb47767b5655699cdab8c86c4b24f5c93e3b22a3c2538856e9bf1").value();
}

Bytes SampleSecret() {
  Bytes secret;
  for (uint8_t i = 1; i <= 32; ++i) secret.push_back(i);
  return secret;
}

TEST(ActivationProofTest, MatchesIndependentComputation) {
  // Python: hmac.new(bytes(range(1, 33)), b"vouch-enrollment-v1\0enr_0123-abc\0" + name,
  //                  hashlib.sha256).hexdigest()
  ASSERT_OK_AND_ASSIGN(Bytes proof,
                       ComputeActivationProof(SampleSecret(), "enr_0123-abc", SampleAkName()));
  EXPECT_EQ(HexEncode(proof), "05870823c3eaf23b7a090f0dd06658b9d2b9fb230ee0b64131cc51732fba4b66");
  EXPECT_EQ(proof.size(), kActivationProofBytes);
}

TEST(ActivationProofTest, BindsIdNameAndSecret) {
  ASSERT_OK_AND_ASSIGN(Bytes base, ComputeActivationProof(SampleSecret(), "enr_1", SampleAkName()));
  ASSERT_OK_AND_ASSIGN(Bytes other_id,
                       ComputeActivationProof(SampleSecret(), "enr_2", SampleAkName()));
  Bytes name = SampleAkName();
  name.back() ^= 1;
  ASSERT_OK_AND_ASSIGN(Bytes other_name, ComputeActivationProof(SampleSecret(), "enr_1", name));
  Bytes secret = SampleSecret();
  secret[0] ^= 1;
  ASSERT_OK_AND_ASSIGN(Bytes other_secret, ComputeActivationProof(secret, "enr_1", SampleAkName()));
  EXPECT_NE(base, other_id);
  EXPECT_NE(base, other_name);
  EXPECT_NE(base, other_secret);
}

TEST(ActivationProofTest, RefusesEmptyInputsAndBadIds) {
  EXPECT_THAT(ComputeActivationProof(ByteView(), "enr_1", SampleAkName()),
              StatusIs(Code::kInvalidArgument, HasSubstr("empty secret")));
  EXPECT_THAT(ComputeActivationProof(SampleSecret(), "enr_1", ByteView()),
              StatusIs(Code::kInvalidArgument, HasSubstr("empty AK name")));
  const std::string long_id(65, 'a');
  for (std::string_view id : {std::string_view(""), std::string_view("a\0b", 3),
                              std::string_view("a/b"), std::string_view(long_id)}) {
    EXPECT_THAT(ComputeActivationProof(SampleSecret(), id, SampleAkName()),
                StatusIs(Code::kInvalidArgument, HasSubstr("enrollment id")));
  }
}

// --- Round trips ---

TEST(EnrollmentRequestTest, RoundTripsEveryMember) {
  EnrollmentRequest r = testing::FullEnrollmentRequest();
  std::string json = OrDie(EncodeEnrollmentRequest(r));
  EXPECT_THAT(json, StartsWith("{\"version\":1,\"ek\":{\"public\":"));
  ASSERT_OK_AND_ASSIGN(EnrollmentRequest back, DecodeEnrollmentRequest(json));
  EXPECT_TRUE(testing::SameEnrollmentRequest(r, back));
  EXPECT_EQ(OrDie(EncodeEnrollmentRequest(back)), json);
}

TEST(EnrollmentRequestTest, RoundTripsWithoutCertificate) {
  EnrollmentRequest r = testing::FullEnrollmentRequest();
  r.ek_certificate.reset();
  r.ek_intermediates.clear();
  r.host = HostFacts();
  r.host.hostname = "h";
  std::string json = OrDie(EncodeEnrollmentRequest(r));
  EXPECT_EQ(json.find("certificate"), std::string::npos);
  EXPECT_EQ(json.find("intermediates"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(EnrollmentRequest back, DecodeEnrollmentRequest(json));
  EXPECT_TRUE(testing::SameEnrollmentRequest(r, back));
}

TEST(EnrollmentChallengeTest, RoundTrips) {
  EnrollmentChallenge c = testing::SampleEnrollmentChallenge();
  std::string json = OrDie(EncodeEnrollmentChallenge(c));
  EXPECT_THAT(json, StartsWith("{\"enrollment_id\":\"enr_0123-abc\",\"credential_blob\":"));
  ASSERT_OK_AND_ASSIGN(EnrollmentChallenge back, DecodeEnrollmentChallenge(json));
  EXPECT_EQ(back.enrollment_id, c.enrollment_id);
  EXPECT_EQ(back.credential_blob, c.credential_blob);
  EXPECT_EQ(back.encrypted_secret, c.encrypted_secret);
  EXPECT_EQ(back.expires_at, c.expires_at);
}

TEST(ActivationTest, RoundTripsRequestAndResult) {
  ActivationRequest req{Bytes(kActivationProofBytes, 0xA5)};
  std::string json = OrDie(EncodeActivationRequest(req));
  std::string a5;
  for (size_t i = 0; i < kActivationProofBytes; ++i) a5 += "a5";
  EXPECT_EQ(json, "{\"proof\":\"" + a5 + "\"}");
  ASSERT_OK_AND_ASSIGN(ActivationRequest back, DecodeActivationRequest(json));
  EXPECT_EQ(back.proof, req.proof);

  std::string result = OrDie(EncodeActivationResult(ActivationResult{"host_42"}));
  EXPECT_EQ(result, "{\"host_id\":\"host_42\"}");
  ASSERT_OK_AND_ASSIGN(ActivationResult r, DecodeActivationResult(result));
  EXPECT_EQ(r.host_id, "host_42");
}

TEST(ChallengeTest, RoundTrips) {
  Challenge c{Bytes(16, 0x3C), "2026-11-28T09:00:00Z"};
  std::string json = OrDie(EncodeChallenge(c));
  EXPECT_EQ(json,
            "{\"nonce\":\"" + HexEncode(c.nonce) + "\",\"expires_at\":\"2026-11-28T09:00:00Z\"}");
  ASSERT_OK_AND_ASSIGN(Challenge back, DecodeChallenge(json));
  EXPECT_EQ(back.nonce, c.nonce);
  EXPECT_EQ(back.expires_at, c.expires_at);
}

TEST(EvidenceRequestTest, RoundTripsWithAndWithoutPcrs) {
  EvidenceRequest r{Bytes(8, 0x11), {23, 0, 7}};
  std::string json = OrDie(EncodeEvidenceRequest(r));
  EXPECT_EQ(json, "{\"nonce\":\"1111111111111111\",\"pcrs\":[0,7,23]}");
  ASSERT_OK_AND_ASSIGN(EvidenceRequest back, DecodeEvidenceRequest(json));
  EXPECT_THAT(back.pcrs, ElementsAre(0u, 7u, 23u));

  r.pcrs.clear();
  json = OrDie(EncodeEvidenceRequest(r));
  EXPECT_EQ(json, "{\"nonce\":\"1111111111111111\"}");
  ASSERT_OK_AND_ASSIGN(back, DecodeEvidenceRequest(json));
  EXPECT_TRUE(back.pcrs.empty());
  EXPECT_EQ(back.nonce, r.nonce);
}

TEST(EvidenceRequestTest, SortsPcrsGivenInAnyOrder) {
  ASSERT_OK_AND_ASSIGN(
      EvidenceRequest r,
      DecodeEvidenceRequest("{\"pcrs\":[17,3,0],\"nonce\":\"00112233445566778899\"}"));
  EXPECT_THAT(r.pcrs, ElementsAre(0u, 3u, 17u));
}

// --- Refusals ---

using Decoder = std::function<Status(const std::string&)>;

template <typename F>
Decoder Wrap(F decode) {
  return [decode](const std::string& json) { return decode(json).status(); };
}

struct BadCase {
  const char* name;
  std::function<void(Json&)> edit;
  const char* message;
};

void ExpectRefused(const std::string& valid, const Decoder& decode,
                   const std::vector<BadCase>& cases) {
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(decode(Edit(valid, c.edit)),
                StatusIs(Code::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(EnrollmentRequestTest, RefusesBadDocumentsNamingTheMember) {
  std::string valid = OrDie(EncodeEnrollmentRequest(testing::FullEnrollmentRequest()));
  ExpectRefused(
      valid, Wrap(DecodeEnrollmentRequest),
      {
          {"no version", [](Json& d) { d.erase("version"); },
           "enrollment_request.version: missing"},
          {"version 0", [](Json& d) { d["version"] = 0; },
           "enrollment_request.version: unsupported"},
          {"no ek", [](Json& d) { d.erase("ek"); }, "enrollment_request.ek: missing"},
          {"no ek public", [](Json& d) { d["ek"].erase("public"); },
           "enrollment_request.ek.public: missing"},
          {"no ak", [](Json& d) { d.erase("ak"); }, "enrollment_request.ak: missing"},
          {"no host", [](Json& d) { d.erase("host"); }, "enrollment_request.host: missing"},
          {"unknown", [](Json& d) { d["secret"] = "x"; }, "enrollment_request.secret: unknown"},
          {"unknown ek", [](Json& d) { d["ek"]["name"] = "x"; },
           "enrollment_request.ek.name: unknown"},
          {"unknown ak", [](Json& d) { d["ak"]["name"] = "x"; },
           "enrollment_request.ak.name: unknown"},
          {"unknown host", [](Json& d) { d["host"]["x"] = "x"; },
           "enrollment_request.host.x: unknown"},
          {"ek string", [](Json& d) { d["ek"] = "x"; },
           "enrollment_request.ek: expected an object"},
          {"cert number", [](Json& d) { d["ek"]["certificate"] = 1; },
           "enrollment_request.ek.certificate: expected a base64"},
          {"cert base64", [](Json& d) { d["ek"]["certificate"] = "MII"; },
           "enrollment_request.ek.certificate: base64"},
          {"cert too big", [](Json& d) { d["ek"]["certificate"] = std::string(10928, 'A'); },
           "enrollment_request.ek.certificate: more than 8192 bytes"},
          {"chain string", [](Json& d) { d["ek"]["intermediates"] = "x"; },
           "enrollment_request.ek.intermediates: expected an array"},
          {"chain empty", [](Json& d) { d["ek"]["intermediates"] = Json::array(); },
           "enrollment_request.ek.intermediates: expected 1 to 4"},
          {"chain too long",
           [](Json& d) {
             for (int i = 0; i < 3; ++i) d["ek"]["intermediates"].push_back("AAAA");
           },
           "enrollment_request.ek.intermediates: expected 1 to 4"},
          {"chain bad entry", [](Json& d) { d["ek"]["intermediates"][1] = "A"; },
           "enrollment_request.ek.intermediates[1]: base64"},
          {"ak public bad", [](Json& d) { d["ak"]["public"] = "@@@@"; },
           "enrollment_request.ak.public: base64"},
          {"host bad", [](Json& d) { d["host"]["hostname"] = ""; },
           "enrollment_request.host.hostname: shorter"},
      });
}

TEST(EnrollmentChallengeTest, RefusesBadDocumentsNamingTheMember) {
  std::string valid = OrDie(EncodeEnrollmentChallenge(testing::SampleEnrollmentChallenge()));
  ExpectRefused(
      valid, Wrap(DecodeEnrollmentChallenge),
      {
          {"no id", [](Json& d) { d.erase("enrollment_id"); },
           "enrollment_challenge.enrollment_id: missing"},
          {"no blob", [](Json& d) { d.erase("credential_blob"); },
           "enrollment_challenge.credential_blob: missing"},
          {"no secret", [](Json& d) { d.erase("encrypted_secret"); },
           "enrollment_challenge.encrypted_secret: missing"},
          {"no expiry", [](Json& d) { d.erase("expires_at"); },
           "enrollment_challenge.expires_at: missing"},
          {"unknown", [](Json& d) { d["secret"] = "AAAA"; },
           "enrollment_challenge.secret: unknown"},
          {"id slash", [](Json& d) { d["enrollment_id"] = "../x"; },
           "enrollment_challenge.enrollment_id: expected 1 to 64"},
          {"id long", [](Json& d) { d["enrollment_id"] = std::string(65, 'a'); },
           "enrollment_challenge.enrollment_id: expected"},
          {"id number", [](Json& d) { d["enrollment_id"] = 7; },
           "enrollment_challenge.enrollment_id: expected a string"},
          {"blob base64", [](Json& d) { d["credential_blob"] = "AA="; },
           "enrollment_challenge.credential_blob: base64"},
          {"blob empty", [](Json& d) { d["credential_blob"] = ""; },
           "enrollment_challenge.credential_blob: 0 bytes"},
          {"expiry offset", [](Json& d) { d["expires_at"] = "2026-11-28T09:00:00+01:00"; },
           "enrollment_challenge.expires_at: expected an RFC 3339 UTC time"},
          {"expiry month 13", [](Json& d) { d["expires_at"] = "2026-13-28T09:00:00Z"; },
           "enrollment_challenge.expires_at: expected"},
          {"expiry fraction", [](Json& d) { d["expires_at"] = "2026-11-28T09:00:00.5Z"; },
           "enrollment_challenge.expires_at: expected"},
      });
}

TEST(ActivationTest, RefusesBadDocumentsNamingTheMember) {
  std::string request = OrDie(EncodeActivationRequest({Bytes(kActivationProofBytes, 1)}));
  ExpectRefused(
      request, Wrap(DecodeActivationRequest),
      {
          {"no proof", [](Json& d) { d.erase("proof"); }, "activation_request.proof: missing"},
          {"unknown", [](Json& d) { d["secret"] = "00"; }, "activation_request.secret: unknown"},
          {"short", [](Json& d) { d["proof"] = std::string(62, 'a'); },
           "activation_request.proof: expected 64 lower-case hex digits"},
          {"long", [](Json& d) { d["proof"] = std::string(66, 'a'); },
           "activation_request.proof: expected 64"},
          {"upper", [](Json& d) { d["proof"] = std::string(64, 'A'); },
           "activation_request.proof: expected 64"},
          {"base64", [](Json& d) { d["proof"] = Base64Encode(Bytes(32, 1)); },
           "activation_request.proof: expected 64"},
          {"number", [](Json& d) { d["proof"] = 5; },
           "activation_request.proof: expected a hex string"},
      });
  std::string result = OrDie(EncodeActivationResult({"host_1"}));
  ExpectRefused(
      result, Wrap(DecodeActivationResult),
      {
          {"no id", [](Json& d) { d.erase("host_id"); }, "activation_result.host_id: missing"},
          {"unknown", [](Json& d) { d["x"] = 1; }, "activation_result.x: unknown"},
          {"empty", [](Json& d) { d["host_id"] = ""; }, "activation_result.host_id: expected"},
          {"space", [](Json& d) { d["host_id"] = "a b"; }, "activation_result.host_id: expected"},
          {"array", [](Json& d) { d["host_id"] = Json::array(); },
           "activation_result.host_id: expected a string"},
      });
}

TEST(ChallengeTest, RefusesBadDocumentsNamingTheMember) {
  std::string valid = OrDie(EncodeChallenge({Bytes(16, 1), "2026-11-28T09:00:00Z"}));
  ExpectRefused(
      valid, Wrap(DecodeChallenge),
      {
          {"no nonce", [](Json& d) { d.erase("nonce"); }, "challenge.nonce: missing"},
          {"no expiry", [](Json& d) { d.erase("expires_at"); }, "challenge.expires_at: missing"},
          {"unknown", [](Json& d) { d["pcrs"] = Json::array(); }, "challenge.pcrs: unknown"},
          {"short nonce", [](Json& d) { d["nonce"] = std::string(14, 'a'); },
           "challenge.nonce: expected 16 to 128"},
          {"long nonce", [](Json& d) { d["nonce"] = std::string(130, 'a'); },
           "challenge.nonce: expected 16 to 128"},
          {"expiry date only", [](Json& d) { d["expires_at"] = "2026-11-28"; },
           "challenge.expires_at: expected"},
      });
}

TEST(EvidenceRequestTest, RefusesBadDocumentsNamingTheMember) {
  std::string valid = OrDie(EncodeEvidenceRequest({Bytes(8, 1), {0, 7}}));
  ExpectRefused(
      valid, Wrap(DecodeEvidenceRequest),
      {
          {"no nonce", [](Json& d) { d.erase("nonce"); }, "evidence_request.nonce: missing"},
          {"unknown", [](Json& d) { d["banks"] = 1; }, "evidence_request.banks: unknown"},
          {"short nonce", [](Json& d) { d["nonce"] = "00"; }, "evidence_request.nonce: expected"},
          {"long nonce", [](Json& d) { d["nonce"] = std::string(130, '0'); },
           "evidence_request.nonce: expected"},
          {"pcr 24", [](Json& d) { d["pcrs"][1] = 24; },
           "evidence_request.pcrs[1]: must be at most 23"},
          {"pcr -1", [](Json& d) { d["pcrs"][0] = -1; },
           "evidence_request.pcrs[0]: must not be negative"},
          {"pcr \"07\"", [](Json& d) { d["pcrs"][1] = "07"; },
           "evidence_request.pcrs[1]: expected an integer"},
          {"pcr 7.0", [](Json& d) { d["pcrs"][1] = 7.0; },
           "evidence_request.pcrs[1]: expected an integer"},
          {"duplicate", [](Json& d) { d["pcrs"].push_back(7); },
           "evidence_request.pcrs: PCR 7 listed twice"},
          {"empty", [](Json& d) { d["pcrs"] = Json::array(); },
           "evidence_request.pcrs: expected 1 to 24"},
          {"object", [](Json& d) { d["pcrs"] = Json::object(); },
           "evidence_request.pcrs: expected an array"},
          {"too many", [](Json& d) { d["pcrs"] = std::vector<int>(25, 1); },
           "evidence_request.pcrs: expected 1 to 24"},
      });
}

// Size, nesting, UTF-8 and duplicates, for every decoder.
struct NamedDecoder {
  const char* doc;  // document name in messages
  Decoder decode;
  size_t limit;
  std::string valid;
};

std::vector<NamedDecoder> AllDecoders() {
  return {
      {"enrollment_request", Wrap(DecodeEnrollmentRequest), kMaxEnrollmentDocumentBytes,
       OrDie(EncodeEnrollmentRequest(testing::FullEnrollmentRequest()))},
      {"enrollment_challenge", Wrap(DecodeEnrollmentChallenge), kMaxEnrollmentDocumentBytes,
       OrDie(EncodeEnrollmentChallenge(testing::SampleEnrollmentChallenge()))},
      {"activation_request", Wrap(DecodeActivationRequest), kMaxSmallDocumentBytes,
       OrDie(EncodeActivationRequest({Bytes(32, 7)}))},
      {"activation_result", Wrap(DecodeActivationResult), kMaxSmallDocumentBytes,
       OrDie(EncodeActivationResult({"h1"}))},
      {"challenge", Wrap(DecodeChallenge), kMaxSmallDocumentBytes,
       OrDie(EncodeChallenge({Bytes(8, 7), "2026-11-28T09:00:00Z"}))},
      {"evidence_request", Wrap(DecodeEvidenceRequest), kMaxSmallDocumentBytes,
       OrDie(EncodeEvidenceRequest({Bytes(8, 7), {1}}))},
  };
}

TEST(ProtocolDecodersTest, RefuseOversizeDocumentsBeforeParsing) {
  for (const NamedDecoder& d : AllDecoders()) {
    SCOPED_TRACE(d.doc);
    // Valid JSON padded with whitespace just over the limit: only the size
    // check can refuse it.
    std::string padded = d.valid + std::string(d.limit + 1 - d.valid.size(), ' ');
    EXPECT_THAT(d.decode(padded),
                StatusIs(Code::kInvalidArgument,
                         HasSubstr(std::string(d.doc) + ": document is " +
                                   std::to_string(d.limit + 1) + " bytes, more than the limit")));
    // At the limit it is accepted.
    padded.pop_back();
    EXPECT_OK(d.decode(padded));
  }
}

TEST(ProtocolDecodersTest, RefuseDeepNesting) {
  for (const NamedDecoder& d : AllDecoders()) {
    SCOPED_TRACE(d.doc);
    EXPECT_THAT(d.decode(std::string(std::min<size_t>(100000, d.limit), '[')),
                StatusIs(Code::kInvalidArgument, HasSubstr("nested deeper than 8 levels")));
  }
}

TEST(ProtocolDecodersTest, RefuseNonUtf8AndDuplicates) {
  for (const NamedDecoder& d : AllDecoders()) {
    SCOPED_TRACE(d.doc);
    // Insert a bad string member first, then a duplicate of the first member.
    std::string bad = d.valid;
    bad.insert(1, "\"x\":\"\xc3\x28\",");
    EXPECT_THAT(d.decode(bad), StatusIs(Code::kInvalidArgument,
                                        HasSubstr(std::string(d.doc) + ".x: string is not valid "
                                                                       "UTF-8")));
    size_t colon = d.valid.find(':');
    std::string first_member = d.valid.substr(1, colon - 1);  // with quotes
    std::string dup = d.valid;
    dup.insert(1, first_member + ":0,");
    EXPECT_THAT(d.decode(dup), StatusIs(Code::kInvalidArgument, HasSubstr("duplicate member")));
    EXPECT_THAT(d.decode("[]"),
                StatusIs(Code::kInvalidArgument, HasSubstr(std::string(d.doc) + ": expected a JSON "
                                                                                "object")));
    EXPECT_THAT(d.decode("{"), StatusIs(Code::kInvalidArgument,
                                        HasSubstr(std::string(d.doc) + ": not a valid JSON")));
  }
}

TEST(DecodeErrorFieldTest, NamesTheMemberWithoutTheDocument) {
  EXPECT_EQ(DecodeErrorField(
                DecodeEvidenceRequest(R"({"nonce":"0011223344556677","pcrs":[1,24]})").status()),
            "pcrs[1]");
  EXPECT_EQ(DecodeErrorField(DecodeChallenge(R"({"nonce":"00"})").status()), "nonce");
  std::string evidence = OrDie(EncodeEvidence(testing::MinimalEvidence()));
  std::string bad = Edit(evidence, [](Json& d) { d["pcrs"]["sha256"]["7"] = "00"; });
  EXPECT_EQ(DecodeErrorField(DecodeEvidence(bad).status()), "pcrs.sha256.7");
  // Whole-document problems and other codes name no member.
  EXPECT_EQ(DecodeErrorField(DecodeEvidence("[").status()), "");
  EXPECT_EQ(DecodeErrorField(DecodeEvidence(std::string(100, '[')).status()),
            "[0][0][0][0][0][0][0][0]");
  EXPECT_EQ(DecodeErrorField(NotFoundError("evidence.x: y")), "");
  EXPECT_EQ(DecodeErrorField(InvalidArgumentError("no colon")), "");
}

TEST(ProtocolEncodersTest, RefuseDataOutsideTheSchema) {
  EnrollmentRequest r = testing::FullEnrollmentRequest();
  r.ek_intermediates.resize(5, Bytes(10, 1));
  EXPECT_THAT(EncodeEnrollmentRequest(r),
              StatusIs(Code::kInternal, HasSubstr("enrollment_request.ek.intermediates")));
  r = testing::FullEnrollmentRequest();
  r.ek_certificate = Bytes(kMaxCertificateBytes + 1);
  EXPECT_THAT(EncodeEnrollmentRequest(r),
              StatusIs(Code::kInternal, HasSubstr("enrollment_request.ek.certificate")));
  EnrollmentChallenge c = testing::SampleEnrollmentChallenge();
  c.expires_at = "tomorrow";
  EXPECT_THAT(EncodeEnrollmentChallenge(c),
              StatusIs(Code::kInternal, HasSubstr("enrollment_challenge.expires_at")));
  EXPECT_THAT(EncodeActivationRequest({Bytes(31)}),
              StatusIs(Code::kInternal, HasSubstr("activation_request.proof")));
  EXPECT_THAT(EncodeActivationResult({"a/b"}),
              StatusIs(Code::kInternal, HasSubstr("activation_result.host_id")));
  EXPECT_THAT(EncodeChallenge({Bytes(7), "2026-11-28T09:00:00Z"}),
              StatusIs(Code::kInternal, HasSubstr("challenge.nonce")));
  EXPECT_THAT(EncodeEvidenceRequest({Bytes(8), {1, 1}}),
              StatusIs(Code::kInternal, HasSubstr("evidence_request.pcrs")));
  EXPECT_THAT(EncodeEvidenceRequest({Bytes(8), {24}}),
              StatusIs(Code::kInternal, HasSubstr("evidence_request.pcrs")));
}

}  // namespace
}  // namespace vouch::protocol

namespace vouch::protocol {
namespace {

TEST(IdTest, ValidIds) {
  EXPECT_TRUE(IsValidId("h-95eef513de14e7ada4916a72"));
  EXPECT_TRUE(IsValidId(std::string(64, 'a')));
  EXPECT_FALSE(IsValidId(""));
  EXPECT_FALSE(IsValidId(std::string(65, 'a')));
  EXPECT_FALSE(IsValidId("h/1"));
  EXPECT_FALSE(IsValidId("h 1"));
}

TEST(HostFactsJsonTest, EncodesTheHostObjectAndRefusesBadFacts) {
  HostFacts h;
  h.hostname = "host-a";
  h.agent_version = "0.1.0";
  h.labels["region"] = "eu-1";
  ASSERT_OK_AND_ASSIGN(std::string json, EncodeHostFactsJson(h));
  EXPECT_THAT(json, ::testing::HasSubstr(R"("hostname":"host-a")"));
  EXPECT_THAT(json, ::testing::HasSubstr(R"("region":"eu-1")"));
  h.labels["Bad Label"] = "x";
  EXPECT_THAT(EncodeHostFactsJson(h), ::vouch::testing::StatusIs(Code::kInternal));
}

}  // namespace
}  // namespace vouch::protocol
