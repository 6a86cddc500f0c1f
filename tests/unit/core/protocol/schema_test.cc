// The encoders' documents validate against the JSON Schemas in schemas/, so
// the schemas published for other implementations describe what Vouch sends.
// The documents were also validated once with a full draft 2020-12 validator
// (python3 jsonschema; see schemas/README.md).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/protocol/enrollment.h"
#include "core/protocol/evidence.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/core/protocol/test_documents.h"
#include "tests/unit/policy/schema_check.h"

namespace vouch::protocol {
namespace {

using ::testing::IsEmpty;
using ::testing::Not;
using Json = nlohmann::json;

std::vector<std::string> Check(const std::string& schema_name, const std::string& document) {
  Json doc = Json::parse(document, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return {"document does not parse"};
  return vouch::testing::CheckAgainstSchema(vouch::testing::LoadSchema(schema_name), doc);
}

template <typename T>
std::string OrDie(Result<T> r) {
  EXPECT_TRUE(r.has_value()) << r.status().ToString();
  return r.has_value() ? std::move(r).value() : std::string();
}

TEST(ProtocolSchemaTest, EvidenceValidates) {
  EXPECT_THAT(Check("evidence", OrDie(EncodeEvidence(testing::FullEvidence()))), IsEmpty());
  EXPECT_THAT(Check("evidence", OrDie(EncodeEvidence(testing::MinimalEvidence()))), IsEmpty());
}

TEST(ProtocolSchemaTest, EnrollmentDocumentsValidate) {
  EnrollmentRequest request = testing::FullEnrollmentRequest();
  EXPECT_THAT(Check("enrollment-request", OrDie(EncodeEnrollmentRequest(request))), IsEmpty());
  request.ek_certificate.reset();
  request.ek_intermediates.clear();
  EXPECT_THAT(Check("enrollment-request", OrDie(EncodeEnrollmentRequest(request))), IsEmpty());
  EXPECT_THAT(Check("enrollment-challenge",
                    OrDie(EncodeEnrollmentChallenge(testing::SampleEnrollmentChallenge()))),
              IsEmpty());
  EXPECT_THAT(Check("activation-request",
                    OrDie(EncodeActivationRequest({Bytes(kActivationProofBytes, 0x5a)}))),
              IsEmpty());
  EXPECT_THAT(Check("activation-result", OrDie(EncodeActivationResult({"host-1_A"}))), IsEmpty());
}

TEST(ProtocolSchemaTest, ChallengeAndEvidenceRequestValidate) {
  EXPECT_THAT(Check("challenge",
                    OrDie(EncodeChallenge({Bytes(kMaxNonceBytes, 0xee), "2026-12-31T23:59:60Z"}))),
              IsEmpty());
  EXPECT_THAT(Check("evidence-request", OrDie(EncodeEvidenceRequest({Bytes(8, 1), {0, 7, 23}}))),
              IsEmpty());
  EXPECT_THAT(Check("evidence-request", OrDie(EncodeEvidenceRequest({Bytes(8, 1), {}}))),
              IsEmpty());
}

TEST(ProtocolSchemaTest, ErrorDocumentValidates) {
  EXPECT_THAT(Check("error", R"({"error":{"code":"invalid_argument","message":"m",)"
                             R"("field":"pcrs.sha256.7"}})"),
              IsEmpty());
  EXPECT_THAT(Check("error", R"({"error":{"code":"rate_limited","message":""}})"), IsEmpty());
  EXPECT_THAT(Check("error", R"({"error":{"code":"teapot","message":""}})"), Not(IsEmpty()));
}

// The schemas are not vacuous: documents the decoders refuse fail them too.
TEST(ProtocolSchemaTest, RefusesWhatTheDecodersRefuse) {
  EXPECT_THAT(Check("evidence-request", R"({"nonce":"0011223344556677","pcrs":[24]})"),
              Not(IsEmpty()));
  EXPECT_THAT(Check("evidence-request", R"({"nonce":"001122334455667"})"), Not(IsEmpty()));
  EXPECT_THAT(Check("challenge", R"({"nonce":"0011223344556677","expires_at":"2026-11-28"})"),
              Not(IsEmpty()));
  EXPECT_THAT(Check("activation-request", R"({"proof":"AB"})"), Not(IsEmpty()));
  EXPECT_THAT(Check("activation-result", R"({"host_id":"a/b"})"), Not(IsEmpty()));
  EXPECT_THAT(Check("enrollment-request", R"({"version":1,"ek":{},"ak":{},"host":{}})"),
              Not(IsEmpty()));
  std::string evidence = OrDie(EncodeEvidence(testing::MinimalEvidence()));
  EXPECT_THAT(Check("evidence", testing::Edit(evidence,
                                              [](Json& d) {
                                                d["pcrs"]["sha256"]["07"] = std::string(64, 'a');
                                              })),
              Not(IsEmpty()));
  EXPECT_THAT(Check("evidence",
                    testing::Edit(evidence,
                                  [](Json& d) { d["pcrs"]["sha1"]["0"] = std::string(64, 'a'); })),
              Not(IsEmpty()));
}

}  // namespace
}  // namespace vouch::protocol
