// The VM log step of AppraiseEvidence on real evidence: the agent's
// EvidenceCollector quotes a FakeTpmDevice whose PCRs hold what a real
// firmware log replays to (so the host verdict is trusted with imported
// platform references) and into whose VM PCR each test extends its records
// the way vouch-launcher does (append, then extend every active bank); each
// case then breaks the log the way a crash or an attacker would.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/evidence_collector.h"
#include "core/base/bytes.h"
#include "core/crypto/digest.h"
#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"
#include "core/protocol/vm_log.h"
#include "policy/model/reference.h"
#include "tests/testing/agent_fakes.h"
#include "tests/testing/fake_tpm_device.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/policy/schema_check.h"
#include "verifier/core/appraisal.h"

namespace vouch::verifier {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using testing::FakeTpmDevice;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kSrtmFixture[] = "tpm2tss__binary_measurements_pc_client.bin";
constexpr char kBootId[] = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

std::vector<std::string> Ids(const AppraisalResult& r) {
  std::vector<std::string> ids;
  for (const Finding& f : r.findings) ids.push_back(f.id);
  return ids;
}

std::vector<const Finding*> FindingsWithId(const AppraisalResult& r, std::string_view id) {
  std::vector<const Finding*> out;
  for (const Finding& f : r.findings) {
    if (f.id == id) out.push_back(&f);
  }
  return out;
}

std::vector<std::string> Problems(const AppraisalResult& r) {
  std::vector<std::string> out;
  for (const Finding& f : r.findings) {
    if (f.severity != Severity::kInfo) out.push_back(f.id + ": " + f.message);
  }
  return out;
}

std::vector<std::string> Paths(const AppraisalResult& r) {
  std::vector<std::string> out;
  for (const VerifiedVmComponent& vm : r.vms) out.push_back(vm.record.path);
  return out;
}

class VmAppraisalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VOUCH_REQUIRE_FIXTURES(root);
    ASSERT_OK_AND_ASSIGN(Bytes srtm, testing::ReadFileBytes(root / "eventlogs" / kSrtmFixture));
    ASSERT_OK_AND_ASSIGN(ak_, tpm_.CreateLoadedAk());
    ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog parsed, eventlog::ParseEventLog(srtm));
    ASSERT_OK_AND_ASSIGN(tpm::PcrValues values, eventlog::ComputePcrs(parsed));
    for (const auto& [bank, pcrs] : values.banks()) {
      for (const auto& [pcr, value] : pcrs) tpm_.SetPcrForTest(bank, pcr, value);
    }
    logs_.Set(agent::LogKind::kSrtm, srtm);
    facts_.facts.hostname = "host-a";
    host_.host_id = "host-a";
    host_.ak_public = ak_.public_area();
    now_ = std::chrono::system_clock::time_point(std::chrono::seconds(1'795'000'000));
    issued_ = IssuedNonce{nonce_, now_ + std::chrono::seconds(60), false};
    // The platform references of this very host: the host verdict is
    // trusted unless the VM log gives an error.
    protocol::Evidence ev = Collect();
    ASSERT_OK_AND_ASSIGN(std::vector<ReferenceValue> platform,
                         ImportPlatformReferences(ev, "golden"));
    for (ReferenceValue& v : platform) refs_.Add(std::move(v));
  }

  // A record as the launcher writes it: one digest per active bank (sha1
  // and sha256 on the fake TPM) of the component's content.
  protocol::VmLogRecord Record(protocol::VmComponent component, const std::string& path,
                               const std::string& content, const std::string& vm = "web1",
                               uint32_t pcr = protocol::kDefaultVmPcr) {
    protocol::VmLogRecord r;
    r.seq = next_seq_++;
    r.time = "2026-11-28T14:00:00Z";
    r.boot_id = kBootId;
    r.pcr = pcr;
    r.vm_id = vm + "-id";
    r.vm_name = vm;
    r.component = component;
    r.path = path;
    r.size = content.size();
    for (HashAlg bank : {HashAlg::kSha1, HashAlg::kSha256}) {
      Result<Bytes> d = crypto::Digest(bank, ToBytes(content));
      EXPECT_OK(d.status());
      if (d) r.digests[bank] = *d;
    }
    return r;
  }

  std::string Line(const protocol::VmLogRecord& r) {
    Result<std::string> line = protocol::EncodeVmLogRecord(r);
    EXPECT_OK(line.status());
    return line.value_or("");
  }

  // The launcher's two steps, separately so a test can stop between them.
  void Append(const protocol::VmLogRecord& r) { log_ += Line(r); }
  void Extend(const protocol::VmLogRecord& r) {
    std::vector<tpm_device::BankDigest> digests;
    for (const auto& [bank, d] : r.digests) digests.push_back({bank, d});
    ASSERT_OK(tpm_.ExtendPcr(r.pcr, digests));
  }
  void Measure(const protocol::VmLogRecord& r) {
    Append(r);
    ASSERT_NO_FATAL_FAILURE(Extend(r));
  }

  // A reference value of `kind` for `content`, both banks.
  void AddReference(ReferenceKind kind, const std::string& name, const std::string& content) {
    ReferenceValue v;
    v.kind = kind;
    v.name = name;
    for (HashAlg bank : {HashAlg::kSha1, HashAlg::kSha256}) {
      Result<Bytes> d = crypto::Digest(bank, ToBytes(content));
      ASSERT_OK(d.status());
      v.digests[bank] = *d;
    }
    refs_.Add(std::move(v));
  }

  // The usual VM: disk, kernel and initrd, all measured and known.
  void MeasureWeb1(bool with_references = true) {
    Measure(Record(protocol::VmComponent::kDisk, "/var/lib/vms/web1.qcow2", "disk of web1"));
    Measure(Record(protocol::VmComponent::kKernel, "/var/lib/vms/vmlinuz", "kernel 6.1"));
    Measure(Record(protocol::VmComponent::kInitrd, "/var/lib/vms/initrd.img", "initrd 6.1"));
    if (with_references) {
      AddReference(ReferenceKind::kVmImage, "web1 image", "disk of web1");
      AddReference(ReferenceKind::kVmKernel, "guest kernel 6.1", "kernel 6.1");
      AddReference(ReferenceKind::kVmInitrd, "guest initrd 6.1", "initrd 6.1");
    }
  }

  protocol::Evidence Collect() {
    agent::EvidenceCollector collector(tpm_, ak_, logs_, facts_);
    Result<protocol::Evidence> ev = collector.Collect(nonce_, {});
    EXPECT_OK(ev.status());
    return ev ? *ev : protocol::Evidence();
  }

  // Sends the log built so far (nullopt: no VM log at all).
  AppraisalResult Appraise(std::optional<std::string> log) {
    logs_.Set(agent::LogKind::kVm,
              log ? std::optional<Bytes>(ToBytes(*log)) : std::optional<Bytes>());
    protocol::Evidence ev = Collect();
    Result<AppraisalResult> r = AppraiseEvidence(ev, host_, issued_, refs_, policy_, now_);
    EXPECT_OK(r.status());
    return r ? *r : AppraisalResult();
  }
  AppraisalResult Appraise() { return Appraise(log_); }

  const Bytes nonce_ = Bytes(32, 0x5a);
  FakeTpmDevice tpm_;
  tpm_device::TpmObject ak_;
  testing::MemoryLogSource logs_;
  testing::FixedHostFacts facts_;
  EnrolledHost host_;
  std::optional<IssuedNonce> issued_;
  HostPolicy policy_;
  TimePoint now_;
  ReferenceSet refs_;
  std::string log_;
  uint64_t next_seq_ = 0;
};

TEST_F(VmAppraisalTest, VerifiedLogListsTheVmsAndMatchesTheirReferences) {
  MeasureWeb1();
  AppraisalResult r = Appraise();
  EXPECT_EQ(r.verdict, Verdict::kTrusted) << ::testing::PrintToString(Problems(r));
  EXPECT_THAT(Problems(r), IsEmpty());
  EXPECT_EQ(r.trust.vms, Trust::kTrusted);
  EXPECT_THAT(Ids(r), Not(Contains("log.vm_not_checked")));
  ASSERT_EQ(r.vms.size(), 3u);
  EXPECT_EQ(r.vms[0].record.vm_name, "web1");
  EXPECT_EQ(r.vms[0].record.component, protocol::VmComponent::kDisk);
  EXPECT_EQ(r.vms[0].offset, 0u);
  EXPECT_EQ(r.vms[0].reference, "web1 image");
  EXPECT_EQ(r.vms[1].reference, "guest kernel 6.1");
  EXPECT_EQ(r.vms[2].reference, "guest initrd 6.1");
  EXPECT_EQ(r.vms[1].offset, Line(r.vms[0].record).size());
  EXPECT_THAT(r.matched_references, Contains("guest initrd 6.1"));
}

TEST_F(VmAppraisalTest, WithoutVmReferencesTheVmsAreListedButUnknown) {
  MeasureWeb1(/*with_references=*/false);
  AppraisalResult r = Appraise();
  EXPECT_EQ(r.verdict, Verdict::kTrusted);
  EXPECT_THAT(Problems(r), IsEmpty());  // nothing to judge against: no warnings
  EXPECT_EQ(r.trust.vms, Trust::kUnknown);
  ASSERT_EQ(r.vms.size(), 3u);
  EXPECT_EQ(r.vms[0].reference, std::nullopt);
}

TEST_F(VmAppraisalTest, TornTailIsAWarningWithItsOffset) {
  MeasureWeb1();
  const size_t offset = log_.size();
  // The launcher died in the middle of its append: never extended.
  std::string torn = Line(Record(protocol::VmComponent::kDisk, "/var/lib/vms/db.img", "db"));
  log_ += torn.substr(0, torn.size() / 2);
  AppraisalResult r = Appraise();
  EXPECT_EQ(r.verdict, Verdict::kTrusted);
  EXPECT_EQ(r.trust.vms, Trust::kTrusted);
  std::vector<const Finding*> f = FindingsWithId(r, "log.vm_torn_record");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->severity, Severity::kWarning);
  EXPECT_THAT(f[0]->message, HasSubstr("offset " + std::to_string(offset)));
  EXPECT_THAT(f[0]->message, HasSubstr("VM log"));
  EXPECT_EQ(r.vms.size(), 3u);
}

TEST_F(VmAppraisalTest, MalformedMiddleLineIsAWarningAndLeftOut) {
  Measure(Record(protocol::VmComponent::kDisk, "/var/lib/vms/web1.qcow2", "disk of web1"));
  const size_t offset = log_.size();
  // A torn line the next launcher run sealed with "\n" (never extended).
  log_ += R"({"v":1,"seq":7,"ti)";
  log_ += "\n";
  Measure(Record(protocol::VmComponent::kKernel, "/var/lib/vms/vmlinuz", "kernel 6.1"));
  AddReference(ReferenceKind::kVmImage, "web1 image", "disk of web1");
  AddReference(ReferenceKind::kVmKernel, "guest kernel 6.1", "kernel 6.1");
  AppraisalResult r = Appraise();
  EXPECT_EQ(r.verdict, Verdict::kTrusted) << ::testing::PrintToString(Problems(r));
  EXPECT_EQ(r.trust.vms, Trust::kTrusted);
  std::vector<const Finding*> f = FindingsWithId(r, "log.vm_malformed_record");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->severity, Severity::kWarning);
  EXPECT_THAT(f[0]->message, HasSubstr("offset " + std::to_string(offset)));
  EXPECT_THAT(Paths(r), ElementsAre("/var/lib/vms/web1.qcow2", "/var/lib/vms/vmlinuz"));
}

TEST_F(VmAppraisalTest, TrailingRecordNotExtendedIsNamedAndLeftOut) {
  MeasureWeb1();
  const size_t offset = log_.size();
  // A crash between the launcher's fsync and its extend.
  protocol::VmLogRecord db =
      Record(protocol::VmComponent::kDisk, "/var/lib/vms/db.img", "db", "db1");
  Append(db);
  AppraisalResult r = Appraise();
  EXPECT_EQ(r.verdict, Verdict::kTrusted) << ::testing::PrintToString(Problems(r));
  EXPECT_THAT(Ids(r), Not(Contains("log.replay_mismatch")));
  std::vector<const Finding*> f = FindingsWithId(r, "log.vm_record_not_extended");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->severity, Severity::kWarning);
  EXPECT_EQ(f[0]->pcr, protocol::kDefaultVmPcr);
  EXPECT_THAT(f[0]->message, HasSubstr("seq " + std::to_string(db.seq)));
  EXPECT_THAT(f[0]->message, HasSubstr("'db1'"));
  EXPECT_THAT(f[0]->message, HasSubstr("disk /var/lib/vms/db.img"));
  EXPECT_THAT(f[0]->message, HasSubstr("offset " + std::to_string(offset)));
  EXPECT_EQ(f[0]->actual, HexEncode(db.digests.at(HashAlg::kSha256)));
  EXPECT_EQ(r.vms.size(), 3u);  // db1 is not listed

  // The launcher's roll-forward completes the extend: now it verifies.
  ASSERT_NO_FATAL_FAILURE(Extend(db));
  AddReference(ReferenceKind::kVmImage, "db image", "db");
  AppraisalResult after = Appraise();
  EXPECT_THAT(Problems(after), IsEmpty());
  EXPECT_EQ(after.vms.size(), 4u);
}

TEST_F(VmAppraisalTest, TwoTrailingRecordsNotExtendedAreBothNamed) {
  MeasureWeb1();
  Append(Record(protocol::VmComponent::kDisk, "/var/lib/vms/db.img", "db", "db1"));
  Append(Record(protocol::VmComponent::kConfig, "/etc/libvirt/qemu/db1.xml", "<domain/>", "db1"));
  AppraisalResult r = Appraise();
  EXPECT_EQ(r.verdict, Verdict::kTrusted);
  EXPECT_EQ(FindingsWithId(r, "log.vm_record_not_extended").size(), 2u);
  EXPECT_EQ(r.vms.size(), 3u);
}

// Evidence sent right after a reboot, before the launcher rotated the VM
// log: PCR 15 is at zero and none of the records is in it. A warning, not a
// replay mismatch, and no VM is listed.
TEST_F(VmAppraisalTest, LogOfAnEarlierBootWithAResetPcrIsAWarningNotAMismatch) {
  for (int i = 0; i < 6; ++i) {
    Append(Record(protocol::VmComponent::kDisk, "/var/lib/vms/old" + std::to_string(i) + ".img",
                  "old disk " + std::to_string(i), "old" + std::to_string(i)));
  }
  AppraisalResult r = Appraise();
  EXPECT_EQ(r.verdict, Verdict::kTrusted) << ::testing::PrintToString(Problems(r));
  EXPECT_THAT(Ids(r), Not(Contains("log.replay_mismatch")));
  std::vector<const Finding*> f = FindingsWithId(r, "log.vm_log_not_rotated");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->severity, Severity::kWarning);
  EXPECT_THAT(f[0]->message, HasSubstr("6 record(s)"));
  EXPECT_TRUE(r.vms.empty());

  // Once something is extended into PCR 15, the same log is a mismatch.
  ASSERT_NO_FATAL_FAILURE(
      Extend(Record(protocol::VmComponent::kDisk, "/var/lib/vms/new.img", "new disk", "new")));
  AppraisalResult extended = Appraise();
  EXPECT_EQ(extended.verdict, Verdict::kUntrusted);
  EXPECT_THAT(Ids(extended), Contains("log.replay_mismatch"));
}

TEST_F(VmAppraisalTest, TamperedRecordIsAReplayMismatch) {
  MeasureWeb1();
  // Someone swaps the disk record's digest for a known one after the fact.
  Result<protocol::ParsedVmLog> parsed = protocol::ParseVmLog(ToBytes(log_));
  ASSERT_OK(parsed.status());
  ASSERT_EQ(parsed->records.size(), 3u);
  protocol::VmLogRecord swapped = parsed->records[0];
  for (auto& [bank, d] : swapped.digests) d[0] ^= 0x01;
  std::string tampered = Line(swapped) + log_.substr(parsed->offsets[1]);
  AppraisalResult r = Appraise(tampered);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_EQ(r.trust.vms, Trust::kUntrusted);
  std::vector<const Finding*> f = FindingsWithId(r, "log.replay_mismatch");
  ASSERT_EQ(f.size(), 2u);  // sha1 and sha256
  for (const Finding* m : f) {
    EXPECT_EQ(m->severity, Severity::kError);
    EXPECT_EQ(m->pcr, protocol::kDefaultVmPcr);
    EXPECT_THAT(m->message, HasSubstr("VM log"));
    ASSERT_TRUE(m->bank.has_value());
    EXPECT_EQ(m->expected, HexEncode(tpm_.Pcr(*m->bank, protocol::kDefaultVmPcr)));
    EXPECT_NE(m->actual, m->expected);
  }
  EXPECT_THAT(r.vms, IsEmpty());
  EXPECT_THAT(Ids(r), Not(Contains("log.vm_record_not_extended")));
}

TEST_F(VmAppraisalTest, TamperedLastRecordIsNotMistakenForAnUnextendedOne) {
  MeasureWeb1();
  Result<protocol::ParsedVmLog> parsed = protocol::ParseVmLog(ToBytes(log_));
  ASSERT_OK(parsed.status());
  protocol::VmLogRecord last = parsed->records.back();
  last.digests[HashAlg::kSha256][5] ^= 0x80;
  std::string tampered = log_.substr(0, parsed->offsets.back()) + Line(last);
  AppraisalResult r = Appraise(tampered);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_THAT(Ids(r), Contains("log.replay_mismatch"));
  EXPECT_THAT(Ids(r), Not(Contains("log.vm_record_not_extended")));
}

TEST_F(VmAppraisalTest, UnknownComponentIsAWarningThatLeavesTheHostVerdict) {
  MeasureWeb1();
  Measure(Record(protocol::VmComponent::kDisk, "/var/lib/vms/rogue.img", "rogue", "rogue"));
  AppraisalResult r = Appraise();
  EXPECT_EQ(r.verdict, Verdict::kTrusted);
  EXPECT_EQ(r.trust.vms, Trust::kUnknown);
  std::vector<const Finding*> f = FindingsWithId(r, "ref.unknown_vm_component");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->severity, Severity::kWarning);
  EXPECT_THAT(f[0]->message, HasSubstr("'rogue'"));
  EXPECT_THAT(f[0]->message, HasSubstr("disk /var/lib/vms/rogue.img"));
  EXPECT_THAT(f[0]->message, HasSubstr("vm-image"));
  EXPECT_EQ(f[0]->bank, HashAlg::kSha256);
  Result<Bytes> digest = crypto::Digest(HashAlg::kSha256, ToBytes("rogue"));
  ASSERT_OK(digest.status());
  EXPECT_EQ(f[0]->actual, HexEncode(*digest));
  ASSERT_EQ(r.vms.size(), 4u);  // verified all the same: the host runs it
  EXPECT_EQ(r.vms[3].reference, std::nullopt);
}

TEST_F(VmAppraisalTest, InitrdMatchesOnlyVmInitrdValues) {
  Measure(Record(protocol::VmComponent::kInitrd, "/var/lib/vms/initrd.img", "initrd 6.1"));
  // The same bytes whitelisted as a guest kernel do not vouch for an initrd.
  AddReference(ReferenceKind::kVmKernel, "not an initrd", "initrd 6.1");
  AppraisalResult r = Appraise();
  std::vector<const Finding*> f = FindingsWithId(r, "ref.unknown_vm_component");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_THAT(f[0]->message, HasSubstr("vm-initrd"));

  AddReference(ReferenceKind::kVmInitrd, "guest initrd", "initrd 6.1");
  AppraisalResult known = Appraise();
  EXPECT_THAT(Problems(known), IsEmpty());
  ASSERT_EQ(known.vms.size(), 1u);
  EXPECT_EQ(known.vms[0].reference, "guest initrd");
  EXPECT_EQ(known.trust.vms, Trust::kTrusted);
}

TEST_F(VmAppraisalTest, ReferenceDisagreeingInAnotherBankDoesNotMatch) {
  Measure(Record(protocol::VmComponent::kDisk, "/var/lib/vms/web1.qcow2", "disk of web1"));
  ReferenceValue v;
  v.kind = ReferenceKind::kVmImage;
  v.name = "sha1 matches, sha256 does not";
  ASSERT_OK_AND_ASSIGN(v.digests[HashAlg::kSha1],
                       crypto::Digest(HashAlg::kSha1, ToBytes("disk of web1")));
  ASSERT_OK_AND_ASSIGN(v.digests[HashAlg::kSha256],
                       crypto::Digest(HashAlg::kSha256, ToBytes("another disk")));
  refs_.Add(std::move(v));
  AppraisalResult r = Appraise();
  EXPECT_THAT(Ids(r), Contains("ref.unknown_vm_component"));
}

TEST_F(VmAppraisalTest, ExtendedVmPcrWithAnEmptyVmLogIsAnUnloggedExtend) {
  ASSERT_NO_FATAL_FAILURE(
      Extend(Record(protocol::VmComponent::kDisk, "/var/lib/vms/hidden.img", "hidden")));
  AppraisalResult r = Appraise(std::string());
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_EQ(r.trust.vms, Trust::kUntrusted);
  std::vector<const Finding*> f = FindingsWithId(r, "log.replay_mismatch");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0]->pcr, 15u);
  EXPECT_EQ(f[0]->actual, HexEncode(Bytes(DigestSize(*f[0]->bank), 0)));
}

TEST_F(VmAppraisalTest, EmptyVmLogWithAnUntouchedPcrVerifies) {
  AddReference(ReferenceKind::kVmImage, "web1 image", "disk of web1");
  AppraisalResult r = Appraise(std::string());
  EXPECT_THAT(Problems(r), IsEmpty());
  EXPECT_THAT(r.vms, IsEmpty());
  EXPECT_EQ(r.trust.vms, Trust::kTrusted);  // verified: no VM was started
}

TEST_F(VmAppraisalTest, NoVmLogWithAnExtendedPcr15IsOnlyAWarning) {
  ASSERT_NO_FATAL_FAILURE(
      Extend(Record(protocol::VmComponent::kDisk, "/var/lib/vms/hidden.img", "hidden")));
  AppraisalResult r = Appraise(std::nullopt);
  EXPECT_EQ(r.verdict, Verdict::kTrusted);
  EXPECT_EQ(r.trust.vms, Trust::kUnknown);
  std::vector<const Finding*> f = FindingsWithId(r, "log.vm_missing");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->severity, Severity::kWarning);
  EXPECT_EQ(f[0]->pcr, 15u);
}

TEST_F(VmAppraisalTest, NoVmLogAndUntouchedPcr15SaysNothing) {
  AppraisalResult r = Appraise(std::nullopt);
  EXPECT_THAT(Ids(r), Not(Contains("log.vm_missing")));
  EXPECT_EQ(r.trust.vms, Trust::kUnknown);
  EXPECT_THAT(r.vms, IsEmpty());
}

TEST_F(VmAppraisalTest, RecordsOnAnotherVmPcrReplayThere) {
  Measure(Record(protocol::VmComponent::kDisk, "/var/lib/vms/web1.qcow2", "disk of web1", "web1",
                 /*pcr=*/14));
  AddReference(ReferenceKind::kVmImage, "web1 image", "disk of web1");
  AppraisalResult r = Appraise();
  EXPECT_THAT(Problems(r), IsEmpty());
  ASSERT_EQ(r.vms.size(), 1u);
  EXPECT_EQ(r.vms[0].record.pcr, 14u);
  EXPECT_EQ(r.trust.vms, Trust::kTrusted);
}

TEST_F(VmAppraisalTest, RecordsWithoutAQuotedBankStayUnverified) {
  // A record for a sha384-only TPM sent by this sha1+sha256 host: nothing
  // to compare it with, so it verifies nothing (and is not an error).
  protocol::VmLogRecord r = Record(protocol::VmComponent::kDisk, "/var/lib/vms/x.img", "x");
  r.digests.clear();
  ASSERT_OK_AND_ASSIGN(r.digests[HashAlg::kSha384], crypto::Digest(HashAlg::kSha384, ToBytes("x")));
  Append(r);
  AddReference(ReferenceKind::kVmImage, "x", "x");
  AppraisalResult res = Appraise();
  EXPECT_EQ(res.verdict, Verdict::kTrusted);
  EXPECT_THAT(Ids(res), Contains("log.bank_not_in_log"));
  EXPECT_THAT(res.vms, IsEmpty());
  EXPECT_EQ(res.trust.vms, Trust::kUnknown);
}

TEST_F(VmAppraisalTest, QuoteThatDoesNotVerifyVerifiesNoVm) {
  MeasureWeb1();
  issued_->nonce = Bytes(32, 0x01);  // the quote answers another nonce
  AppraisalResult r = Appraise();
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_EQ(r.trust.vms, Trust::kUnknown);
}

TEST(VmReferenceKindTest, EveryComponentHasItsKind) {
  EXPECT_EQ(VmReferenceKind(protocol::VmComponent::kDisk), ReferenceKind::kVmImage);
  EXPECT_EQ(VmReferenceKind(protocol::VmComponent::kKernel), ReferenceKind::kVmKernel);
  EXPECT_EQ(VmReferenceKind(protocol::VmComponent::kInitrd), ReferenceKind::kVmInitrd);
  EXPECT_EQ(VmReferenceKind(protocol::VmComponent::kFirmware), ReferenceKind::kVmFirmware);
  EXPECT_EQ(VmReferenceKind(protocol::VmComponent::kConfig), ReferenceKind::kVmConfig);
}

TEST(VmReferenceKindTest, VmInitrdRoundTripsAndFitsTheSchema) {
  EXPECT_EQ(policy::ReferenceKindName(ReferenceKind::kVmInitrd), "vm-initrd");
  EXPECT_EQ(policy::ParseReferenceKind("vm-initrd"), ReferenceKind::kVmInitrd);
  ReferenceValue v;
  v.kind = ReferenceKind::kVmInitrd;
  v.name = "guest initrd";
  v.digests[HashAlg::kSha256] = Bytes(32, 0xab);
  ASSERT_OK_AND_ASSIGN(std::string json, policy::EncodeReferenceValue(v));
  EXPECT_THAT(json, HasSubstr(R"("kind":"vm-initrd")"));
  ASSERT_OK_AND_ASSIGN(ReferenceValue back, policy::DecodeReferenceValue(json));
  EXPECT_EQ(back.kind, ReferenceKind::kVmInitrd);
  EXPECT_THAT(testing::CheckAgainstSchema(testing::LoadSchema("reference-value"),
                                          nlohmann::json::parse(json)),
              IsEmpty());
  // Unknown kinds are still refused, naming the new one among the choices.
  EXPECT_THAT(
      policy::DecodeReferenceValue(R"({"kind":"vm-initramfs","name":"x","digests":{"sha256":")" +
                                   std::string(64, 'a') + R"("}})")
          .status(),
      testing::StatusIs(Code::kInvalidArgument, HasSubstr("vm-initrd")));
}

}  // namespace
}  // namespace vouch::verifier
