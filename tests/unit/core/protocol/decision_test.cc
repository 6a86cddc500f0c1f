#include "core/protocol/decision.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/testing/status_matchers.h"
#include "tests/unit/policy/schema_check.h"

namespace vouch::protocol {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using ::vouch::testing::StatusIs;
using Json = nlohmann::json;

LaunchMeasurement Measurement(VmComponent c, std::string path, uint8_t fill) {
  LaunchMeasurement m;
  m.component = c;
  m.path = std::move(path);
  m.size = 1234;
  m.digests[HashAlg::kSha256] = Bytes(32, fill);
  return m;
}

LaunchDecisionRequest SampleRequest() {
  LaunchDecisionRequest r;
  r.host_id = "host-7";
  r.vm_id = "3f2c9a4e-7d51-4b8e-a0c2-5e6f7a8b9c0d";
  r.vm_name = "web-01";
  r.measurements.push_back(
      Measurement(VmComponent::kDisk, "/var/lib/libvirt/images/web-01.qcow2", 0x11));
  LaunchMeasurement kernel = Measurement(VmComponent::kKernel, "/boot/vmlinuz-6.1", 0x22);
  kernel.digests[HashAlg::kSha1] = Bytes(20, 0x33);
  kernel.digests[HashAlg::kSha384] = Bytes(48, 0x44);
  kernel.digests[HashAlg::kSha512] = Bytes(64, 0x55);
  r.measurements.push_back(std::move(kernel));
  return r;
}

Finding Reason(std::string id, Severity severity) {
  Finding f;
  f.id = std::move(id);
  f.severity = severity;
  f.message = "kernel /boot/vmlinuz-6.1 is the known vm-kernel 'linux 6.1'";
  return f;
}

LaunchDecision SampleDecision() {
  LaunchDecision d;
  d.decision = LaunchVerdict::kDeny;
  d.host_id = "host-7";
  d.vm_id = "3f2c9a4e-7d51-4b8e-a0c2-5e6f7a8b9c0d";
  d.vm_name = "web-01";
  d.host_verdict = "trusted";
  d.decided_at = "2026-11-28T14:00:00Z";
  Finding known = Reason("launch.component_known", Severity::kInfo);
  known.bank = HashAlg::kSha256;
  known.actual = std::string(64, 'a');
  Finding unknown = Reason("launch.component_unknown", Severity::kError);
  unknown.message = "disk /var/lib/libvirt/images/web-01.qcow2 (1234 bytes): unknown";
  unknown.bank = HashAlg::kSha256;
  unknown.actual = std::string(64, 'b');
  unknown.expected = "vm-image";
  Finding other = Reason("launch.report_expired", Severity::kWarning);
  other.pcr = 15;
  other.event_index = 3;
  d.reasons = {known, unknown, other};
  return d;
}

bool SameFinding(const Finding& a, const Finding& b) {
  return a.id == b.id && a.severity == b.severity && a.message == b.message && a.pcr == b.pcr &&
         a.bank == b.bank && a.event_index == b.event_index && a.expected == b.expected &&
         a.actual == b.actual;
}

void ExpectSameDecision(const LaunchDecision& a, const LaunchDecision& b) {
  EXPECT_EQ(a.decision, b.decision);
  EXPECT_EQ(a.host_id, b.host_id);
  EXPECT_EQ(a.vm_id, b.vm_id);
  EXPECT_EQ(a.vm_name, b.vm_name);
  EXPECT_EQ(a.host_verdict, b.host_verdict);
  EXPECT_EQ(a.decided_at, b.decided_at);
  ASSERT_EQ(a.reasons.size(), b.reasons.size());
  for (size_t i = 0; i < a.reasons.size(); ++i) {
    EXPECT_TRUE(SameFinding(a.reasons[i], b.reasons[i])) << i;
  }
}

template <typename T>
std::string OrDie(Result<T> r) {
  EXPECT_TRUE(r.has_value()) << r.status().ToString();
  return r.has_value() ? std::move(r).value() : std::string();
}

std::string Edit(const std::string& text, const std::function<void(Json&)>& edit) {
  Json doc = Json::parse(text);
  edit(doc);
  return doc.dump();
}

std::vector<std::string> Check(const std::string& schema, const std::string& text) {
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return {"document does not parse"};
  return vouch::testing::CheckAgainstSchema(vouch::testing::LoadSchema(schema), doc);
}

// --- Request ---

TEST(LaunchDecisionRequestTest, EncodesInFixedOrderAndRoundTrips) {
  const std::string text = OrDie(EncodeLaunchDecisionRequest(SampleRequest()));
  EXPECT_THAT(text, StartsWith("{\"host\":\"host-7\",\"vm\":{\"id\":\"3f2c9a4e-7d51-4b8e-a0c2-"
                               "5e6f7a8b9c0d\",\"name\":\"web-01\"},\"measurements\":[{"
                               "\"component\":\"disk\",\"path\":\"/var/lib/libvirt/images/"
                               "web-01.qcow2\",\"size\":1234,\"digests\":{\"sha256\":\"1111"));
  EXPECT_THAT(text, HasSubstr("\"digests\":{\"sha1\":\"3333"));
  ASSERT_OK_AND_ASSIGN(LaunchDecisionRequest back, DecodeLaunchDecisionRequest(text));
  EXPECT_EQ(back, SampleRequest());

  LaunchDecisionRequest many = SampleRequest();
  many.measurements.resize(kMaxLaunchMeasurements, many.measurements[0]);
  many.measurements.back().component = VmComponent::kConfig;
  many.measurements.back().size = kMaxVmLogInteger;
  ASSERT_OK_AND_ASSIGN(back, DecodeLaunchDecisionRequest(OrDie(EncodeLaunchDecisionRequest(many))));
  EXPECT_EQ(back, many);
}

TEST(LaunchDecisionRequestTest, EncoderRefusesNamingTheMember) {
  struct Case {
    std::function<void(LaunchDecisionRequest&)> edit;
    std::string path;
  };
  const std::vector<Case> cases = {
      {[](LaunchDecisionRequest& r) { r.host_id = "host/7"; }, "launch_decision_request.host: "},
      {[](LaunchDecisionRequest& r) { r.vm_id.clear(); }, "launch_decision_request.vm.id: "},
      {[](LaunchDecisionRequest& r) { r.vm_name = "a\x1b]0;x"; },
       "launch_decision_request.vm.name: control character"},
      {[](LaunchDecisionRequest& r) { r.measurements.clear(); },
       "launch_decision_request.measurements: expected 1 to 64"},
      {[](LaunchDecisionRequest& r) {
         r.measurements.resize(kMaxLaunchMeasurements + 1, r.measurements[0]);
       },
       "launch_decision_request.measurements: expected 1 to 64"},
      {[](LaunchDecisionRequest& r) { r.measurements[1].path = "vmlinuz"; },
       "launch_decision_request.measurements[1].path: not an absolute path"},
      {[](LaunchDecisionRequest& r) { r.measurements[0].size = kMaxVmLogInteger + 1; },
       "launch_decision_request.measurements[0].size: "},
      {[](LaunchDecisionRequest& r) { r.measurements[1].digests.clear(); },
       "launch_decision_request.measurements[1].digests: no digest"},
      {[](LaunchDecisionRequest& r) { r.measurements[1].digests[HashAlg::kSha1].push_back(0); },
       "launch_decision_request.measurements[1].digests.sha1: "},
  };
  for (const Case& c : cases) {
    LaunchDecisionRequest r = SampleRequest();
    c.edit(r);
    EXPECT_THAT(EncodeLaunchDecisionRequest(r),
                StatusIs(Code::kInvalidArgument, StartsWith(c.path)))
        << c.path;
  }
}

TEST(LaunchDecisionRequestTest, DecoderRefusesNamingTheMember) {
  const std::string valid = OrDie(EncodeLaunchDecisionRequest(SampleRequest()));
  struct Case {
    std::function<void(Json&)> edit;
    std::string path;
  };
  const std::vector<Case> cases = {
      {[](Json& d) { d["extra"] = true; }, "launch_decision_request.extra: unknown member"},
      {[](Json& d) { d.erase("host"); }, "launch_decision_request.host: missing"},
      {[](Json& d) { d["host"] = ""; }, "launch_decision_request.host: "},
      {[](Json& d) { d["host"] = 7; }, "launch_decision_request.host: expected a string"},
      {[](Json& d) { d.erase("vm"); }, "launch_decision_request.vm: missing"},
      {[](Json& d) { d["vm"]["x"] = 1; }, "launch_decision_request.vm.x: unknown member"},
      {[](Json& d) { d["vm"]["name"] = std::string(kMaxVmNameLength + 1, 'n'); },
       "launch_decision_request.vm.name: longer than 256"},
      {[](Json& d) { d["measurements"] = Json::object(); },
       "launch_decision_request.measurements: expected an array"},
      {[](Json& d) { d["measurements"] = Json::array(); },
       "launch_decision_request.measurements: expected 1 to 64"},
      {[](Json& d) { d["measurements"][1] = "disk"; },
       "launch_decision_request.measurements[1]: expected an object"},
      {[](Json& d) { d["measurements"][0]["pcr"] = 15; },
       "launch_decision_request.measurements[0].pcr: unknown member"},
      {[](Json& d) { d["measurements"][0]["component"] = "image"; },
       "launch_decision_request.measurements[0].component: unknown component"},
      {[](Json& d) { d["measurements"][0].erase("path"); },
       "launch_decision_request.measurements[0].path: missing"},
      {[](Json& d) { d["measurements"][0]["path"] = "/a\nb"; },
       "launch_decision_request.measurements[0].path: control character"},
      {[](Json& d) { d["measurements"][0]["size"] = "1"; },
       "launch_decision_request.measurements[0].size: expected an integer"},
      {[](Json& d) { d["measurements"][1]["digests"]["sha1"] = std::string(40, 'G'); },
       "launch_decision_request.measurements[1].digests.sha1: expected 40 lower-case hex"},
      {[](Json& d) { d["measurements"][1]["digests"]["sm3_256"] = std::string(64, 'a'); },
       "launch_decision_request.measurements[1].digests.sm3_256: unknown member"},
      {[](Json& d) { d["measurements"][1]["digests"] = Json::object(); },
       "launch_decision_request.measurements[1].digests: no digest"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(DecodeLaunchDecisionRequest(Edit(valid, c.edit)),
                StatusIs(Code::kInvalidArgument, StartsWith(c.path)))
        << c.path;
  }
  Json many = Json::parse(valid);
  while (many["measurements"].size() <= kMaxLaunchMeasurements) {
    many["measurements"].push_back(many["measurements"][0]);
  }
  EXPECT_THAT(DecodeLaunchDecisionRequest(many.dump()),
              StatusIs(Code::kInvalidArgument,
                       StartsWith("launch_decision_request.measurements: expected 1 to 64")));
  EXPECT_THAT(DecodeLaunchDecisionRequest(std::string(kMaxDecisionRequestBytes + 1, ' ')),
              StatusIs(Code::kInvalidArgument, HasSubstr("more than the limit")));
  EXPECT_THAT(DecodeLaunchDecisionRequest("{\"host\":\"a\",\"host\":\"b\"}"),
              StatusIs(Code::kInvalidArgument, StartsWith("launch_decision_request.host: dup")));
  EXPECT_THAT(DecodeLaunchDecisionRequest("[]"), StatusIs(Code::kInvalidArgument));
}

// --- Decision ---

TEST(LaunchDecisionTest, EncodesInFixedOrderAndRoundTrips) {
  const std::string text = OrDie(EncodeLaunchDecision(SampleDecision()));
  EXPECT_THAT(text, StartsWith("{\"decision\":\"deny\",\"host\":\"host-7\",\"vm\":{\"id\":"));
  EXPECT_THAT(text, HasSubstr("\"host_verdict\":\"trusted\",\"decided_at\":\"2026-11-28T14:00:00Z"
                              "\",\"reasons\":[{\"id\":\"launch.component_known\",\"severity\":"
                              "\"info\","));
  ASSERT_OK_AND_ASSIGN(LaunchDecision back, DecodeLaunchDecision(text));
  ExpectSameDecision(back, SampleDecision());

  LaunchDecision allow = SampleDecision();
  allow.decision = LaunchVerdict::kAllow;
  allow.reasons.erase(allow.reasons.begin() + 1);
  allow.reasons[1].bank = HashAlg::kSm3_256;
  ASSERT_OK_AND_ASSIGN(back, DecodeLaunchDecision(OrDie(EncodeLaunchDecision(allow))));
  ExpectSameDecision(back, allow);
  allow.reasons.clear();
  allow.host_verdict = "trusted";
  ASSERT_OK_AND_ASSIGN(back, DecodeLaunchDecision(OrDie(EncodeLaunchDecision(allow))));
  ExpectSameDecision(back, allow);
  EXPECT_EQ(LaunchVerdictName(LaunchVerdict::kAllow), "allow");
  EXPECT_EQ(LaunchVerdictName(LaunchVerdict::kDeny), "deny");
}

TEST(LaunchDecisionTest, EncoderRefusesContradictionsAndBadMembers) {
  LaunchDecision d = SampleDecision();
  d.decision = LaunchVerdict::kAllow;
  EXPECT_THAT(
      EncodeLaunchDecision(d),
      StatusIs(Code::kInternal, HasSubstr("launch_decision.decision: allow with an error")));
  d = SampleDecision();
  d.reasons.erase(d.reasons.begin() + 1);
  EXPECT_THAT(EncodeLaunchDecision(d),
              StatusIs(Code::kInternal, HasSubstr("launch_decision.decision: deny without")));

  struct Case {
    std::function<void(LaunchDecision&)> edit;
    std::string path;
  };
  const std::vector<Case> cases = {
      {[](LaunchDecision& x) { x.host_id = ""; }, "launch_decision.host: "},
      {[](LaunchDecision& x) { x.vm_name = ""; }, "launch_decision.vm.name: "},
      {[](LaunchDecision& x) { x.host_verdict = "maybe"; }, "launch_decision.host_verdict: "},
      {[](LaunchDecision& x) { x.decided_at = "now"; }, "launch_decision.decided_at: "},
      {[](LaunchDecision& x) { x.reasons[2].id = "Launch.Bad"; },
       "launch_decision.reasons[2].id: "},
      {[](LaunchDecision& x) { x.reasons[2].id = "nodot"; }, "launch_decision.reasons[2].id: "},
      {[](LaunchDecision& x) { x.reasons[2].pcr = 24; }, "launch_decision.reasons[2].pcr: "},
      {[](LaunchDecision& x) { x.reasons[0].message = std::string(kMaxReasonTextLength + 1, 'm'); },
       "launch_decision.reasons[0].message: "},
      {[](LaunchDecision& x) { x.reasons[0].actual = "\xff"; },
       "launch_decision.reasons[0].actual: "},
      {[](LaunchDecision& x) { x.reasons.resize(kMaxLaunchReasons + 1, x.reasons[1]); },
       "launch_decision.reasons: more than 256"},
  };
  for (const Case& c : cases) {
    LaunchDecision x = SampleDecision();
    c.edit(x);
    EXPECT_THAT(EncodeLaunchDecision(x), StatusIs(Code::kInternal, HasSubstr(c.path))) << c.path;
  }
}

TEST(LaunchDecisionTest, DecoderRefusesNamingTheMember) {
  const std::string valid = OrDie(EncodeLaunchDecision(SampleDecision()));
  struct Case {
    std::function<void(Json&)> edit;
    std::string path;
  };
  const std::vector<Case> cases = {
      {[](Json& d) { d["extra"] = 1; }, "launch_decision.extra: unknown member"},
      {[](Json& d) { d["decision"] = "maybe"; },
       "launch_decision.decision: expected allow or deny"},
      {[](Json& d) { d.erase("decision"); }, "launch_decision.decision: missing"},
      {[](Json& d) { d["host"] = "a b"; }, "launch_decision.host: "},
      {[](Json& d) { d["vm"] = Json::array(); }, "launch_decision.vm: expected an object"},
      {[](Json& d) { d["host_verdict"] = "good"; }, "launch_decision.host_verdict: "},
      {[](Json& d) { d["decided_at"] = "2026-11-28T14:00:00+01:00"; },
       "launch_decision.decided_at: "},
      {[](Json& d) { d["reasons"] = Json::object(); },
       "launch_decision.reasons: expected an array"},
      {[](Json& d) { d.erase("reasons"); }, "launch_decision.reasons: missing"},
      {[](Json& d) { d["reasons"][0]["x"] = 1; }, "launch_decision.reasons[0].x: unknown member"},
      {[](Json& d) { d["reasons"][0].erase("message"); },
       "launch_decision.reasons[0].message: missing"},
      {[](Json& d) { d["reasons"][0]["severity"] = "fatal"; },
       "launch_decision.reasons[0].severity: "},
      {[](Json& d) { d["reasons"][0]["id"] = "launch..x"; }, "launch_decision.reasons[0].id: "},
      {[](Json& d) { d["reasons"][0]["bank"] = "md5"; }, "launch_decision.reasons[0].bank: "},
      {[](Json& d) { d["reasons"][0]["pcr"] = 24; }, "launch_decision.reasons[0].pcr: "},
      {[](Json& d) { d["reasons"][0]["event_index"] = -1; },
       "launch_decision.reasons[0].event_index: "},
      {[](Json& d) { d["reasons"][1]["expected"] = ""; },
       "launch_decision.reasons[1].expected: empty"},
      {[](Json& d) { d["reasons"][1]["actual"] = 5; },
       "launch_decision.reasons[1].actual: expected a string"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(DecodeLaunchDecision(Edit(valid, c.edit)),
                StatusIs(Code::kInvalidArgument, StartsWith(c.path)))
        << c.path;
  }
  Json many = Json::parse(valid);
  while (many["reasons"].size() <= kMaxLaunchReasons) many["reasons"].push_back(many["reasons"][0]);
  EXPECT_THAT(DecodeLaunchDecision(many.dump()),
              StatusIs(Code::kInvalidArgument, StartsWith("launch_decision.reasons: more than")));
}

TEST(LaunchDecisionTest, DecoderKeepsContradictionsForTheCallerToDeny) {
  // An "allow" with an error reason decodes as it is; launcher/gate denies
  // it (refusing it here would make it "no answer", which may fail open).
  const std::string valid = OrDie(EncodeLaunchDecision(SampleDecision()));
  ASSERT_OK_AND_ASSIGN(LaunchDecision d,
                       DecodeLaunchDecision(Edit(valid, [](Json& j) { j["decision"] = "allow"; })));
  EXPECT_EQ(d.decision, LaunchVerdict::kAllow);
  EXPECT_TRUE(HasErrors(d.reasons));
}

// --- Schemas ---

TEST(LaunchDecisionSchemaTest, DocumentsValidate) {
  EXPECT_THAT(Check("launch-decision-request", OrDie(EncodeLaunchDecisionRequest(SampleRequest()))),
              IsEmpty());
  EXPECT_THAT(Check("launch-decision", OrDie(EncodeLaunchDecision(SampleDecision()))), IsEmpty());
  LaunchDecision allow = SampleDecision();
  allow.decision = LaunchVerdict::kAllow;
  allow.reasons.clear();
  allow.host_verdict = "none";
  EXPECT_THAT(Check("launch-decision", OrDie(EncodeLaunchDecision(allow))), IsEmpty());
}

TEST(LaunchDecisionSchemaTest, SchemasRefuseWhatTheDecodersRefuse) {
  const std::string request = OrDie(EncodeLaunchDecisionRequest(SampleRequest()));
  for (const auto& edit : std::vector<std::function<void(Json&)>>{
           [](Json& d) { d["extra"] = 1; },
           [](Json& d) { d["host"] = "a/b"; },
           [](Json& d) { d["vm"]["id"] = ""; },
           [](Json& d) { d["measurements"] = Json::array(); },
           [](Json& d) { d["measurements"][0]["component"] = "image"; },
           [](Json& d) { d["measurements"][0]["path"] = "relative"; },
           [](Json& d) { d["measurements"][0]["size"] = -1; },
           [](Json& d) { d["measurements"][0]["digests"] = Json::object(); },
           [](Json& d) { d["measurements"][0]["digests"]["sha256"] = "00"; },
       }) {
    const std::string text = Edit(request, edit);
    EXPECT_FALSE(DecodeLaunchDecisionRequest(text).has_value()) << text;
    EXPECT_THAT(Check("launch-decision-request", text), Not(IsEmpty())) << text;
  }
  const std::string decision = OrDie(EncodeLaunchDecision(SampleDecision()));
  for (const auto& edit : std::vector<std::function<void(Json&)>>{
           [](Json& d) { d["extra"] = 1; },
           [](Json& d) { d["decision"] = "maybe"; },
           [](Json& d) { d["host_verdict"] = "good"; },
           [](Json& d) { d["decided_at"] = "today"; },
           [](Json& d) { d["reasons"][0]["id"] = "Bad"; },
           [](Json& d) { d["reasons"][0]["severity"] = "fatal"; },
           [](Json& d) { d["reasons"][0]["pcr"] = 24; },
           [](Json& d) { d["reasons"][1]["expected"] = ""; },
           [](Json& d) { d.erase("reasons"); },
       }) {
    const std::string text = Edit(decision, edit);
    EXPECT_FALSE(DecodeLaunchDecision(text).has_value()) << text;
    EXPECT_THAT(Check("launch-decision", text), Not(IsEmpty())) << text;
  }
}

}  // namespace
}  // namespace vouch::protocol
