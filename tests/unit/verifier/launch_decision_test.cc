// DecideLaunch (verifier/core/launch_decision.h): every reason, the allow
// rule (no error reason), and the component-to-kind mapping.
#include "verifier/core/launch_decision.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/crypto/digest.h"
#include "tests/testing/status_matchers.h"

namespace vouch::verifier {
namespace {

using protocol::LaunchVerdict;
using protocol::VmComponent;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Bytes Sha(HashAlg bank, const std::string& content) {
  Result<Bytes> d = crypto::Digest(bank, ToBytes(content));
  EXPECT_OK(d.status());
  return d.value_or(Bytes());
}

std::vector<std::string> Ids(const protocol::LaunchDecision& d) {
  std::vector<std::string> ids;
  for (const Finding& f : d.reasons) ids.push_back(f.id);
  return ids;
}

class LaunchDecisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = TimePoint(std::chrono::seconds(1'795'000'000));
    request_.host_id = "h-alpha";
    request_.vm_id = "3f2a";
    request_.vm_name = "web1";
    request_.measurements = {Measurement(VmComponent::kDisk, "/vms/web1.qcow2", "disk"),
                             Measurement(VmComponent::kKernel, "/vms/vmlinuz", "kernel")};
    Reference(ReferenceKind::kVmImage, "web1 image", "disk");
    Reference(ReferenceKind::kVmKernel, "guest kernel", "kernel");
    LatestHostReport latest;
    latest.report_id = 42;
    latest.verdict = Verdict::kTrusted;
    latest.expires_at = now_ + std::chrono::seconds(300);
    host_ = LaunchHost{latest};
  }

  static protocol::LaunchMeasurement Measurement(VmComponent c, const std::string& path,
                                                 const std::string& content) {
    protocol::LaunchMeasurement m;
    m.component = c;
    m.path = path;
    m.size = content.size();
    m.digests[HashAlg::kSha1] = Sha(HashAlg::kSha1, content);
    m.digests[HashAlg::kSha256] = Sha(HashAlg::kSha256, content);
    return m;
  }

  void Reference(ReferenceKind kind, const std::string& name, const std::string& content) {
    ReferenceValue v;
    v.kind = kind;
    v.name = name;
    v.digests[HashAlg::kSha256] = Sha(HashAlg::kSha256, content);
    refs_.Add(v);
  }

  protocol::LaunchDecision Decide() { return DecideLaunch(request_, host_, refs_, now_); }

  TimePoint now_;
  protocol::LaunchDecisionRequest request_;
  std::optional<LaunchHost> host_;
  ReferenceSet refs_;
};

TEST_F(LaunchDecisionTest, TrustedHostAndKnownComponentsAreAllowed) {
  protocol::LaunchDecision d = Decide();
  EXPECT_EQ(d.decision, LaunchVerdict::kAllow);
  EXPECT_EQ(d.host_id, "h-alpha");
  EXPECT_EQ(d.vm_id, "3f2a");
  EXPECT_EQ(d.vm_name, "web1");
  EXPECT_EQ(d.host_verdict, "trusted");
  EXPECT_EQ(d.decided_at, "2026-11-18T11:06:40Z");
  EXPECT_THAT(Ids(d), ElementsAre("launch.component_known", "launch.component_known"));
  EXPECT_EQ(d.reasons[0].severity, Severity::kInfo);
  EXPECT_THAT(d.reasons[0].message, HasSubstr("'web1 image'"));
  EXPECT_THAT(d.reasons[0].message, HasSubstr("disk /vms/web1.qcow2"));
  EXPECT_EQ(d.reasons[0].bank, HashAlg::kSha256);
  EXPECT_EQ(d.reasons[0].actual, HexEncode(Sha(HashAlg::kSha256, "disk")));
  EXPECT_THAT(d.reasons[1].message, HasSubstr("'guest kernel'"));
}

TEST_F(LaunchDecisionTest, UnknownHostIsDenied) {
  host_.reset();
  protocol::LaunchDecision d = Decide();
  EXPECT_EQ(d.decision, LaunchVerdict::kDeny);
  EXPECT_EQ(d.host_verdict, "none");
  ASSERT_FALSE(d.reasons.empty());
  EXPECT_EQ(d.reasons[0].id, "launch.host_not_enrolled");
  EXPECT_EQ(d.reasons[0].severity, Severity::kError);
  // The components are still judged, so one answer shows every problem.
  EXPECT_THAT(Ids(d), ElementsAre("launch.host_not_enrolled", "launch.component_known",
                                  "launch.component_known"));
}

TEST_F(LaunchDecisionTest, HostNeverAttestedIsDenied) {
  host_ = LaunchHost{};
  protocol::LaunchDecision d = Decide();
  EXPECT_EQ(d.decision, LaunchVerdict::kDeny);
  EXPECT_EQ(d.host_verdict, "none");
  EXPECT_EQ(d.reasons[0].id, "launch.host_not_attested");
}

TEST_F(LaunchDecisionTest, UntrustedHostIsDenied) {
  host_->latest->verdict = Verdict::kUntrusted;
  protocol::LaunchDecision d = Decide();
  EXPECT_EQ(d.decision, LaunchVerdict::kDeny);
  EXPECT_EQ(d.host_verdict, "untrusted");
  EXPECT_EQ(d.reasons[0].id, "launch.host_untrusted");
  EXPECT_THAT(d.reasons[0].message, HasSubstr("report 42"));
  EXPECT_EQ(d.reasons[0].expected, "trusted");
  EXPECT_EQ(d.reasons[0].actual, "untrusted");
}

TEST_F(LaunchDecisionTest, UnknownVerdictIsDenied) {
  host_->latest->verdict = Verdict::kUnknown;
  protocol::LaunchDecision d = Decide();
  EXPECT_EQ(d.decision, LaunchVerdict::kDeny);
  EXPECT_EQ(d.host_verdict, "unknown");
  EXPECT_EQ(d.reasons[0].id, "launch.host_unknown_verdict");
}

TEST_F(LaunchDecisionTest, ExpiredReportIsDeniedFromItsExpiryOn) {
  host_->latest->expires_at = now_ + std::chrono::seconds(1);
  EXPECT_EQ(Decide().decision, LaunchVerdict::kAllow);
  host_->latest->expires_at = now_;
  protocol::LaunchDecision d = Decide();
  EXPECT_EQ(d.decision, LaunchVerdict::kDeny);
  EXPECT_EQ(d.host_verdict, "trusted");
  EXPECT_EQ(d.reasons[0].id, "launch.report_expired");
  EXPECT_EQ(d.reasons[0].expected, "before 2026-11-18T11:06:40Z");
  EXPECT_EQ(d.reasons[0].actual, "2026-11-18T11:06:40Z");
}

TEST_F(LaunchDecisionTest, UnknownComponentIsDenied) {
  request_.measurements.push_back(Measurement(VmComponent::kDisk, "/vms/rogue.img", "rogue"));
  protocol::LaunchDecision d = Decide();
  EXPECT_EQ(d.decision, LaunchVerdict::kDeny);
  ASSERT_EQ(d.reasons.size(), 3u);
  const Finding& f = d.reasons[2];
  EXPECT_EQ(f.id, "launch.component_unknown");
  EXPECT_EQ(f.severity, Severity::kError);
  EXPECT_THAT(f.message, HasSubstr("disk /vms/rogue.img"));
  EXPECT_THAT(f.message, HasSubstr("vm-image"));
  EXPECT_EQ(f.bank, HashAlg::kSha256);
  EXPECT_EQ(f.actual, HexEncode(Sha(HashAlg::kSha256, "rogue")));
}

TEST_F(LaunchDecisionTest, DigestOfAnotherKindDoesNotVouch) {
  // The kernel's bytes measured as a disk: whitelisted as vm-kernel only.
  request_.measurements = {Measurement(VmComponent::kDisk, "/vms/odd.img", "kernel")};
  protocol::LaunchDecision d = Decide();
  EXPECT_EQ(d.decision, LaunchVerdict::kDeny);
  EXPECT_THAT(Ids(d), ElementsAre("launch.component_unknown"));
}

TEST_F(LaunchDecisionTest, ReferenceDisagreeingInAnotherBankDoesNotVouch) {
  ReferenceValue v;
  v.kind = ReferenceKind::kVmFirmware;
  v.name = "OVMF";
  v.digests[HashAlg::kSha1] = Sha(HashAlg::kSha1, "ovmf");
  v.digests[HashAlg::kSha256] = Sha(HashAlg::kSha256, "not ovmf");
  refs_.Add(v);
  request_.measurements = {Measurement(VmComponent::kFirmware, "/usr/share/OVMF.fd", "ovmf")};
  EXPECT_THAT(Ids(Decide()), ElementsAre("launch.component_unknown"));
}

TEST_F(LaunchDecisionTest, MissingKindIsOneNoReferencesReason) {
  request_.measurements.push_back(Measurement(VmComponent::kInitrd, "/vms/initrd.a", "a"));
  request_.measurements.push_back(Measurement(VmComponent::kInitrd, "/vms/initrd.b", "b"));
  protocol::LaunchDecision d = Decide();
  EXPECT_EQ(d.decision, LaunchVerdict::kDeny);
  EXPECT_THAT(Ids(d), ElementsAre("launch.component_known", "launch.component_known",
                                  "launch.no_references"));
  EXPECT_EQ(d.reasons[2].expected, "vm-initrd");
  EXPECT_THAT(d.reasons[2].message, HasSubstr("initrd"));

  Reference(ReferenceKind::kVmInitrd, "initrd a", "a");
  Reference(ReferenceKind::kVmInitrd, "initrd b", "b");
  EXPECT_EQ(Decide().decision, LaunchVerdict::kAllow);
}

TEST_F(LaunchDecisionTest, EveryComponentUsesItsKind) {
  Reference(ReferenceKind::kVmInitrd, "initrd", "i");
  Reference(ReferenceKind::kVmFirmware, "firmware", "f");
  Reference(ReferenceKind::kVmConfig, "config", "c");
  request_.measurements.push_back(Measurement(VmComponent::kInitrd, "/vms/i", "i"));
  request_.measurements.push_back(Measurement(VmComponent::kFirmware, "/vms/f", "f"));
  request_.measurements.push_back(Measurement(VmComponent::kConfig, "/vms/c", "c"));
  protocol::LaunchDecision d = Decide();
  EXPECT_EQ(d.decision, LaunchVerdict::kAllow);
  ASSERT_EQ(d.reasons.size(), 5u);
  EXPECT_THAT(d.reasons[2].message, HasSubstr("'initrd'"));
  EXPECT_THAT(d.reasons[3].message, HasSubstr("'firmware'"));
  EXPECT_THAT(d.reasons[4].message, HasSubstr("'config'"));
}

TEST_F(LaunchDecisionTest, HostAndComponentReasonsAddUp) {
  host_->latest->verdict = Verdict::kUntrusted;
  request_.measurements.push_back(Measurement(VmComponent::kDisk, "/vms/rogue.img", "rogue"));
  protocol::LaunchDecision d = Decide();
  EXPECT_EQ(d.decision, LaunchVerdict::kDeny);
  EXPECT_THAT(Ids(d), ElementsAre("launch.host_untrusted", "launch.component_known",
                                  "launch.component_known", "launch.component_unknown"));
}

}  // namespace
}  // namespace vouch::verifier
