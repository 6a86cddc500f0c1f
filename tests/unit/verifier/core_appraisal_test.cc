// AppraiseEvidence and ImportPlatformReferences on real evidence: the agent's
// EvidenceCollector quotes a FakeTpmDevice (software P-256 AK, real
// TPMS_ATTEST) whose PCRs hold what a real firmware log (and a real TXT
// D-RTM log) replays to; each tamper case then checks its finding.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent/evidence_collector.h"
#include "core/base/bytes.h"
#include "core/crypto/digest.h"
#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"
#include "tests/testing/agent_fakes.h"
#include "tests/testing/fake_tpm_device.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"
#include "verifier/core/appraisal.h"

namespace vouch::verifier {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using testing::FakeTpmDevice;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A crypto-agile sha1+sha256 firmware log of a physical PC (no
// StartupLocality event: locality 0), and the TCG-format D-RTM log of a real
// TXT/tboot boot (PCR 17/18).
constexpr char kSrtmFixture[] = "tpm2tss__binary_measurements_pc_client.bin";
constexpr char kDrtmFixture[] = "isecl__txt_heap_info.eventlog.bin";

std::vector<std::string> Ids(const AppraisalResult& r) {
  std::vector<std::string> ids;
  for (const Finding& f : r.findings) ids.push_back(f.id);
  return ids;
}

const Finding* FindingWithId(const AppraisalResult& r, std::string_view id) {
  for (const Finding& f : r.findings) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

std::vector<std::string> Problems(const AppraisalResult& r) {
  std::vector<std::string> out;
  for (const Finding& f : r.findings) {
    if (f.severity != Severity::kInfo) out.push_back(f.id + ": " + f.message);
  }
  return out;
}

std::vector<uint32_t> Range(uint32_t from, uint32_t to) {
  std::vector<uint32_t> out;
  for (uint32_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

class AppraisalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VOUCH_REQUIRE_FIXTURES(root);
    ASSERT_OK_AND_ASSIGN(srtm_, testing::ReadFileBytes(root / "eventlogs" / kSrtmFixture));
    ASSERT_OK_AND_ASSIGN(drtm_, testing::ReadFileBytes(root / "eventlogs" / kDrtmFixture));
    ASSERT_OK_AND_ASSIGN(ak_, tpm_.CreateLoadedAk());
    ASSERT_NO_FATAL_FAILURE(SetPcrsFromLog(srtm_));
    logs_.Set(agent::LogKind::kSrtm, srtm_);
    facts_.facts.hostname = "host-a";
    facts_.facts.measured_launch = protocol::MeasuredLaunch::kTxt;
    host_.host_id = "host-a";
    host_.ak_public = ak_.public_area();
    now_ = std::chrono::system_clock::time_point(std::chrono::seconds(1'795'000'000));
    issued_ = IssuedNonce{nonce_, now_ + std::chrono::seconds(60), false};
  }

  // The fake TPM's PCRs become what `log` replays to (what the firmware's
  // extends would have left).
  void SetPcrsFromLog(const Bytes& log) {
    ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog parsed, eventlog::ParseEventLog(log));
    ASSERT_OK_AND_ASSIGN(tpm::PcrValues values, eventlog::ComputePcrs(parsed));
    for (const auto& [bank, pcrs] : values.banks()) {
      for (const auto& [pcr, value] : pcrs) tpm_.SetPcrForTest(bank, pcr, value);
    }
  }

  void AddDrtm() {
    ASSERT_NO_FATAL_FAILURE(SetPcrsFromLog(drtm_));
    logs_.Set(agent::LogKind::kDrtm, drtm_);
  }

  protocol::Evidence Collect(const std::vector<uint32_t>& pcrs = {}) {
    agent::EvidenceCollector collector(tpm_, ak_, logs_, facts_);
    Result<protocol::Evidence> ev = collector.Collect(nonce_, pcrs);
    EXPECT_OK(ev.status());
    return ev ? *ev : protocol::Evidence();
  }

  ReferenceSet Golden(const protocol::Evidence& ev) {
    Result<std::vector<ReferenceValue>> values = ImportPlatformReferences(ev, "golden");
    EXPECT_OK(values.status());
    ReferenceSet set;
    if (values) {
      for (ReferenceValue& v : *values) set.Add(std::move(v));
    }
    return set;
  }

  // Reference values for the code the real TXT log measured, as a vendor
  // (SINIT), tboot's packager and the operator (tboot policy, hypervisor,
  // dom0 kernel) would publish them: index i of the log gets kind kinds[i].
  // `skip`: leave those kinds out (to see their part not judged);
  // `wrong_digest_kind`: values of that kind get a digest that differs.
  void AddDrtmReferences(ReferenceSet& refs, const std::set<ReferenceKind>& skip = {},
                         std::optional<ReferenceKind> wrong_digest_kind = {}) {
    const std::map<size_t, ReferenceKind> kinds = {
        {1, ReferenceKind::kSinit},        {10, ReferenceKind::kSinit},
        {8, ReferenceKind::kTboot},        {16, ReferenceKind::kTbootPolicy},
        {17, ReferenceKind::kTbootPolicy}, {18, ReferenceKind::kHypervisor},
        {19, ReferenceKind::kKernel}};
    ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog log, eventlog::ParseEventLog(drtm_));
    for (const eventlog::Event& ev : log.EventsUnverifiedForDebug()) {
      auto it = kinds.find(ev.index);
      if (it == kinds.end() || skip.count(it->second) != 0) continue;
      ReferenceValue v;
      v.kind = it->second;
      v.name = std::string(ReferenceKindName(v.kind)) + " event " + std::to_string(ev.index);
      for (const eventlog::EventDigest& d : ev.digests) {
        Bytes digest(d.digest.begin(), d.digest.end());
        if (it->second == wrong_digest_kind) digest[0] ^= 0x01;
        v.digests[d.alg] = std::move(digest);
      }
      refs.Add(std::move(v));
    }
  }

  AppraisalResult Appraise(const protocol::Evidence& ev, const ReferenceSet& refs) {
    Result<AppraisalResult> r = AppraiseEvidence(ev, host_, issued_, refs, policy_, now_);
    EXPECT_OK(r.status());
    return r ? *r : AppraisalResult();
  }

  const Bytes nonce_ = Bytes(32, 0x5a);
  Bytes srtm_;
  Bytes drtm_;
  FakeTpmDevice tpm_;
  tpm_device::TpmObject ak_;
  testing::MemoryLogSource logs_;
  testing::FixedHostFacts facts_;
  EnrolledHost host_;
  std::optional<IssuedNonce> issued_;
  HostPolicy policy_;
  TimePoint now_;
};

TEST_F(AppraisalTest, CleanEvidenceWithImportedReferencesIsTrusted) {
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  ASSERT_GT(refs.size(), 0u);
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kTrusted) << ::testing::PrintToString(Problems(r));
  EXPECT_THAT(Problems(r), IsEmpty());
  EXPECT_EQ(r.trust.platform, Trust::kTrusted);
  EXPECT_EQ(r.trust.measured_launch, Trust::kUnknown);  // no D-RTM log, not required
  EXPECT_EQ(r.trust.hypervisor, Trust::kUnknown);
  EXPECT_EQ(r.trust.vms, Trust::kUnknown);
  EXPECT_THAT(Ids(r), Contains("launch.none"));
  EXPECT_EQ(r.reset_count, 0u);
  EXPECT_EQ(r.restart_count, 0u);
  EXPECT_EQ(r.appraised_at, now_);
  EXPECT_EQ(r.expires_at, now_ + policy_.validity);
  EXPECT_FALSE(r.matched_references.empty());
  // Deduplicated.
  std::vector<std::string> sorted = r.matched_references;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
}

TEST_F(AppraisalTest, ImportKeepsOneEntryPerDistinctPlatformEvent) {
  protocol::Evidence ev = Collect();
  ASSERT_OK_AND_ASSIGN(std::vector<ReferenceValue> values, ImportPlatformReferences(ev, "gh1"));
  ASSERT_FALSE(values.empty());
  std::set<std::map<HashAlg, Bytes>> distinct;
  for (const ReferenceValue& v : values) {
    EXPECT_EQ(v.kind, ReferenceKind::kPlatform);
    EXPECT_THAT(v.name, HasSubstr("gh1 PCR"));
    EXPECT_EQ(v.digests.size(), 2u) << v.name;  // sha1 and sha256
    EXPECT_TRUE(distinct.insert(v.digests).second) << v.name;
  }
}

TEST_F(AppraisalTest, NoReferencesGivesUnknown) {
  AppraisalResult r = Appraise(Collect(), ReferenceSet());
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_EQ(r.trust.platform, Trust::kUnknown);
  EXPECT_THAT(Problems(r), IsEmpty());
  EXPECT_EQ(r.expires_at, now_);
  EXPECT_EQ(r.reset_count, 0u);
}

TEST_F(AppraisalTest, TamperedAttestByteIsInvalidSignature) {
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  ev.quote_attest.back() ^= 0x01;  // last byte of the pcrDigest
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_THAT(Ids(r), Contains("quote.signature_invalid"));
  EXPECT_EQ(r.trust.platform, Trust::kUnknown);  // nothing verified to evaluate
  EXPECT_EQ(r.reset_count, std::nullopt);
  EXPECT_EQ(r.expires_at, now_);
}

TEST_F(AppraisalTest, EvidenceFromAnotherAkIsNotEnrolled) {
  protocol::Evidence good = Collect();
  ReferenceSet refs = Golden(good);
  FakeTpmDevice other;
  ASSERT_OK_AND_ASSIGN(tpm_device::TpmObject other_ak, other.CreateLoadedAk());
  host_.ak_public = other_ak.public_area();
  AppraisalResult r = Appraise(good, refs);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].id, "ak.not_enrolled");
  EXPECT_FALSE(r.findings[0].expected.empty());
  EXPECT_NE(r.findings[0].expected, r.findings[0].actual);
  EXPECT_THAT(Ids(r), Contains("quote.signature_invalid"));
}

TEST_F(AppraisalTest, EnrolledAkThatDoesNotDecodeIsAnError) {
  host_.ak_public = Bytes{0, 1, 2};
  EXPECT_THAT(AppraiseEvidence(Collect(), host_, issued_, ReferenceSet(), policy_, now_).status(),
              testing::StatusIs(Code::kFailedPrecondition, HasSubstr("enrolled AK")));
}

TEST_F(AppraisalTest, NonceChecks) {
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);

  issued_->already_used = true;
  AppraisalResult reused = Appraise(ev, refs);
  EXPECT_EQ(reused.verdict, Verdict::kUntrusted);
  EXPECT_THAT(Ids(reused), Contains("quote.nonce_reused"));
  EXPECT_EQ(reused.reset_count, std::nullopt);  // not a fresh quote: counters not taken
  issued_->already_used = false;

  issued_->expires_at = now_;
  AppraisalResult expired = Appraise(ev, refs);
  EXPECT_EQ(expired.verdict, Verdict::kUntrusted);
  const Finding* f = FindingWithId(expired, "quote.nonce_expired");
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->actual, HasSubstr("2026-11-18T"));
  issued_->expires_at = now_ + std::chrono::seconds(60);

  std::optional<IssuedNonce> none;
  Result<AppraisalResult> missing = AppraiseEvidence(ev, host_, none, refs, policy_, now_);
  ASSERT_OK(missing.status());
  EXPECT_EQ(missing->verdict, Verdict::kUntrusted);
  EXPECT_THAT(Ids(*missing), Contains("quote.nonce_unknown"));
  EXPECT_THAT(Ids(*missing), Not(Contains("quote.signature_invalid")));

  issued_->nonce = Bytes(32, 0x11);
  AppraisalResult different = Appraise(ev, refs);
  EXPECT_EQ(different.verdict, Verdict::kUntrusted);
  const Finding* m = FindingWithId(different, "quote.nonce_mismatch");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->expected, HexEncode(Bytes(32, 0x11)));
  EXPECT_EQ(m->actual, HexEncode(nonce_));
}

TEST_F(AppraisalTest, EvidenceNonceFieldDifferentFromQuoteIsMismatch) {
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  ev.nonce = Bytes(32, 0x22);  // the quote still answers the issued nonce
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_THAT(Ids(r), Contains("quote.nonce_mismatch"));
}

TEST_F(AppraisalTest, PcrSubsetIsIncomplete) {
  protocol::Evidence full = Collect();
  ReferenceSet refs = Golden(full);
  AppraisalResult r = Appraise(Collect(Range(0, 7)), refs);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  std::vector<HashAlg> banks;
  for (const Finding& f : r.findings) {
    if (f.id != "quote.pcrs_incomplete") continue;
    ASSERT_TRUE(f.bank.has_value());
    banks.push_back(*f.bank);
    EXPECT_EQ(f.expected, "0-23");
    EXPECT_EQ(f.actual, "0-7");
    EXPECT_THAT(f.message, HasSubstr("PCR 8-23"));
  }
  EXPECT_THAT(banks, ::testing::ElementsAre(HashAlg::kSha1, HashAlg::kSha256));
}

// Offset (in the log bytes) of the sha256 digest of the first event on `pcr`.
std::optional<size_t> DigestOffset(const Bytes& log, uint32_t pcr) {
  auto buffer = std::make_shared<const Bytes>(log);
  Result<eventlog::UnverifiedEventLog> parsed = eventlog::ParseEventLog(buffer);
  if (!parsed) return std::nullopt;
  for (const eventlog::Event& ev : parsed->EventsUnverifiedForDebug()) {
    if (ev.pcr != pcr || ev.type == eventlog::kEvNoAction) continue;
    const ByteView* d = ev.DigestFor(HashAlg::kSha256);
    if (d != nullptr) return static_cast<size_t>(d->data() - buffer->data());
  }
  return std::nullopt;
}

TEST_F(AppraisalTest, AlteredLogEventIsReplayMismatch) {
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  std::optional<size_t> offset = DigestOffset(*ev.srtm_log, 4);
  ASSERT_TRUE(offset.has_value());
  (*ev.srtm_log)[*offset] ^= 0xff;
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_EQ(r.trust.platform, Trust::kUntrusted);
  const Finding* f = FindingWithId(r, "log.replay_mismatch");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kError);
  EXPECT_EQ(f->pcr, 4u);
  EXPECT_EQ(f->bank, HashAlg::kSha256);
  EXPECT_EQ(f->expected, HexEncode(tpm_.Pcr(HashAlg::kSha256, 4)));
  EXPECT_EQ(f->actual.size(), 64u);
  EXPECT_NE(f->actual, f->expected);
  EXPECT_THAT(f->message, HasSubstr("SRTM log"));
  // The altered event is not verified, so it is not matched against the
  // references (no ref.unknown_platform_event for it).
  EXPECT_THAT(Ids(r), Not(Contains("ref.unknown_platform_event")));
}

TEST_F(AppraisalTest, UnloggedExtendIsReplayMismatch) {
  protocol::Evidence golden = Collect();
  ReferenceSet refs = Golden(golden);
  ASSERT_OK(
      tpm_.ExtendPcr(5, {{HashAlg::kSha1, Bytes(20, 0xab)}, {HashAlg::kSha256, Bytes(32, 0xab)}}));
  AppraisalResult r = Appraise(Collect(), refs);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  const Finding* f = FindingWithId(r, "log.replay_mismatch");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->pcr, 5u);
}

// Byte offset of the header of the first event on `pcr`.
std::optional<size_t> EventOffset(const Bytes& log, uint32_t pcr) {
  Result<eventlog::UnverifiedEventLog> parsed = eventlog::ParseEventLog(log);
  if (!parsed) return std::nullopt;
  for (const eventlog::Event& ev : parsed->EventsUnverifiedForDebug()) {
    if (ev.pcr == pcr && ev.type != eventlog::kEvNoAction) return ev.offset;
  }
  return std::nullopt;
}

TEST_F(AppraisalTest, LogTruncatedAtAnEventIsReplayMismatch) {
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  // Cut before the first PCR 4 event: the log still parses, but PCR 4 and
  // every PCR extended after it no longer replay to the quote.
  std::optional<size_t> offset = EventOffset(*ev.srtm_log, 4);
  ASSERT_TRUE(offset.has_value());
  ev.srtm_log->resize(*offset);
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_EQ(r.trust.platform, Trust::kUntrusted);
  const Finding* f = FindingWithId(r, "log.replay_mismatch");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->pcr.has_value());
  EXPECT_TRUE(f->bank.has_value());
  EXPECT_FALSE(f->expected.empty());
  EXPECT_FALSE(f->actual.empty());
  EXPECT_THAT(Ids(r), Not(Contains("log.malformed")));
}

TEST_F(AppraisalTest, LogTruncatedInsideAnEventIsMalformed) {
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  std::optional<size_t> offset = EventOffset(*ev.srtm_log, 4);
  ASSERT_TRUE(offset.has_value());
  ev.srtm_log->resize(*offset + 10);  // inside the event header
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_EQ(r.trust.platform, Trust::kUntrusted);
  const Finding* f = FindingWithId(r, "log.malformed");
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->message, HasSubstr("SRTM log: "));
}

TEST_F(AppraisalTest, EvidenceThroughItsJsonDocumentIsTrusted) {
  ASSERT_NO_FATAL_FAILURE(AddDrtm());
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  ASSERT_OK_AND_ASSIGN(std::string json, protocol::EncodeEvidence(ev));
  ASSERT_OK_AND_ASSIGN(protocol::Evidence decoded, protocol::DecodeEvidence(json));
  AppraisalResult r = Appraise(decoded, refs);
  EXPECT_EQ(r.verdict, Verdict::kTrusted) << ::testing::PrintToString(Problems(r));
  EXPECT_EQ(r.trust.platform, Trust::kTrusted);
  EXPECT_EQ(r.trust.measured_launch, Trust::kTrusted);
}

TEST_F(AppraisalTest, QuotedBankMissingFromTheLogIsInfo) {
  FakeTpmDevice tpm({HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384});
  ASSERT_OK_AND_ASSIGN(tpm_device::TpmObject ak, tpm.CreateLoadedAk());
  ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog parsed, eventlog::ParseEventLog(srtm_));
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues values, eventlog::ComputePcrs(parsed));
  for (const auto& [bank, pcrs] : values.banks()) {
    for (const auto& [pcr, value] : pcrs) tpm.SetPcrForTest(bank, pcr, value);
  }
  agent::EvidenceCollector collector(tpm, ak, logs_, facts_);
  ASSERT_OK_AND_ASSIGN(protocol::Evidence ev, collector.Collect(nonce_, {}));
  host_.ak_public = ak.public_area();
  AppraisalResult r = Appraise(ev, Golden(ev));
  EXPECT_EQ(r.verdict, Verdict::kTrusted) << ::testing::PrintToString(Problems(r));
  const Finding* f = FindingWithId(r, "log.bank_not_in_log");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kInfo);
  EXPECT_EQ(f->bank, HashAlg::kSha384);
}

TEST_F(AppraisalTest, PlatformEntryIsFoundWhenAnotherKindHasTheSameDigest) {
  protocol::Evidence ev = Collect();
  ASSERT_OK_AND_ASSIGN(std::vector<ReferenceValue> values, ImportPlatformReferences(ev, "g"));
  ReferenceSet refs;
  // Indexed first under the same digests, as a kernel.
  for (ReferenceValue v : values) {
    v.kind = ReferenceKind::kKernel;
    v.name = "kernel " + v.name;
    refs.Add(std::move(v));
  }
  for (ReferenceValue& v : values) refs.Add(std::move(v));
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kTrusted) << ::testing::PrintToString(Problems(r));
  for (const std::string& name : r.matched_references) {
    EXPECT_THAT(name, Not(HasSubstr("kernel"))) << name;
  }
}

TEST_F(AppraisalTest, MissingSrtmLogIsAWarningAndPlatformUnknown) {
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  ev.srtm_log.reset();
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_EQ(r.trust.platform, Trust::kUnknown);
  const Finding* f = FindingWithId(r, "log.srtm_missing");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kWarning);
}

TEST_F(AppraisalTest, UnknownPlatformEventIsUntrusted) {
  protocol::Evidence ev = Collect();
  ASSERT_OK_AND_ASSIGN(std::vector<ReferenceValue> values, ImportPlatformReferences(ev, "g"));
  // Drop the entry of the first PCR 4 event.
  auto dropped = std::find_if(values.begin(), values.end(), [](const ReferenceValue& v) {
    return v.name.rfind("g PCR4 ", 0) == 0;
  });
  ASSERT_NE(dropped, values.end());
  const Bytes dropped_sha256 = dropped->digests.at(HashAlg::kSha256);
  values.erase(dropped);
  ReferenceSet refs;
  for (ReferenceValue& v : values) refs.Add(std::move(v));

  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_EQ(r.trust.platform, Trust::kUntrusted);
  const Finding* f = FindingWithId(r, "ref.unknown_platform_event");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->pcr, 4u);
  EXPECT_EQ(f->bank, HashAlg::kSha256);
  EXPECT_EQ(f->actual, HexEncode(dropped_sha256));
  EXPECT_TRUE(f->event_index.has_value());
}

TEST_F(AppraisalTest, Sha1MatchAloneDoesNotVouchForAnEvent) {
  protocol::Evidence ev = Collect();
  ASSERT_OK_AND_ASSIGN(std::vector<ReferenceValue> values, ImportPlatformReferences(ev, "g"));
  ReferenceSet refs;
  for (ReferenceValue& v : values) {
    if (v.name.rfind("g PCR4 ", 0) == 0) v.digests[HashAlg::kSha256][0] ^= 1;
    refs.Add(std::move(v));
  }
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.trust.platform, Trust::kUntrusted);
  EXPECT_THAT(Ids(r), Contains("ref.unknown_platform_event"));
}

TEST_F(AppraisalTest, ClockCounters) {
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);

  host_.last_reset_count = 3;
  AppraisalResult decreased = Appraise(ev, refs);
  EXPECT_EQ(decreased.verdict, Verdict::kUntrusted);
  const Finding* f = FindingWithId(decreased, "clock.reset_count_decreased");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->expected, ">= 3");
  EXPECT_EQ(f->actual, "0");

  host_.last_reset_count = 0;
  host_.last_restart_count = 2;
  AppraisalResult restart = Appraise(ev, refs);
  EXPECT_EQ(restart.verdict, Verdict::kUntrusted);
  EXPECT_THAT(Ids(restart), Contains("clock.restart_count_decreased"));
}

TEST_F(AppraisalTest, RebootIsDetectedAndStillTrusted) {
  ReferenceSet refs = Golden(Collect());
  tpm_.Reboot();
  ASSERT_OK(tpm_.Startup());
  ASSERT_OK_AND_ASSIGN(ak_, tpm_.CreateLoadedAk());
  host_.ak_public = ak_.public_area();
  ASSERT_NO_FATAL_FAILURE(SetPcrsFromLog(srtm_));
  host_.last_reset_count = 0;
  host_.last_restart_count = 4;  // restartCount starts over at a reset
  AppraisalResult r = Appraise(Collect(), refs);
  EXPECT_EQ(r.verdict, Verdict::kTrusted) << ::testing::PrintToString(Problems(r));
  const Finding* f = FindingWithId(r, "clock.reboot_detected");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kInfo);
  EXPECT_EQ(r.reset_count, 1u);
}

TEST_F(AppraisalTest, TxtLaunchIsTrustedMeasuredLaunch) {
  ASSERT_NO_FATAL_FAILURE(AddDrtm());
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  policy_.require_measured_launch = true;
  // Without hypervisor values the launch replays but nothing says which
  // hypervisor it is: unknown, never trusted when a launch is required.
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kUnknown) << ::testing::PrintToString(Problems(r));
  EXPECT_EQ(r.trust.measured_launch, Trust::kTrusted);
  EXPECT_EQ(r.trust.hypervisor, Trust::kUnknown);
  EXPECT_THAT(Ids(r), Not(Contains(HasSubstr("launch."))));

  ASSERT_NO_FATAL_FAILURE(AddDrtmReferences(refs));
  r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kTrusted) << ::testing::PrintToString(Problems(r));
  EXPECT_EQ(r.trust.measured_launch, Trust::kTrusted);
  EXPECT_EQ(r.trust.hypervisor, Trust::kTrusted);
  EXPECT_THAT(r.matched_references, Contains("hypervisor event 18"));
  EXPECT_THAT(r.matched_references, Contains("sinit event 1"));
}

TEST_F(AppraisalTest, UnknownHypervisorInPcr17IsUntrusted) {
  ASSERT_NO_FATAL_FAILURE(AddDrtm());
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  // The operator's hypervisor value differs from what was launched.
  ASSERT_NO_FATAL_FAILURE(AddDrtmReferences(refs, {}, ReferenceKind::kHypervisor));
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_EQ(r.trust.measured_launch, Trust::kTrusted);  // SINIT, tboot, policy known
  EXPECT_EQ(r.trust.hypervisor, Trust::kUntrusted);
  const Finding* f = FindingWithId(r, "ref.unknown_hypervisor");
  ASSERT_NE(f, nullptr) << ::testing::PrintToString(Ids(r));
  EXPECT_EQ(f->pcr, 17u);
  EXPECT_EQ(f->event_index, 18u);
  EXPECT_FALSE(f->actual.empty());
}

TEST_F(AppraisalTest, UnknownSinitMakesTheLaunchUntrusted) {
  ASSERT_NO_FATAL_FAILURE(AddDrtm());
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  ASSERT_NO_FATAL_FAILURE(AddDrtmReferences(refs, {}, ReferenceKind::kSinit));
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_EQ(r.trust.measured_launch, Trust::kUntrusted);
  EXPECT_THAT(Ids(r), Contains("ref.unknown_sinit"));
}

TEST_F(AppraisalTest, UnknownDom0KernelMakesTheHypervisorUntrusted) {
  ASSERT_NO_FATAL_FAILURE(AddDrtm());
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  ASSERT_NO_FATAL_FAILURE(AddDrtmReferences(refs, {}, ReferenceKind::kKernel));
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_EQ(r.trust.hypervisor, Trust::kUntrusted);
  EXPECT_THAT(Ids(r), Contains("ref.unknown_module"));
}

TEST_F(AppraisalTest, PartsWithoutValuesOfTheirKindAreNotJudged) {
  ASSERT_NO_FATAL_FAILURE(AddDrtm());
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  ASSERT_NO_FATAL_FAILURE(
      AddDrtmReferences(refs, {ReferenceKind::kHypervisor, ReferenceKind::kKernel}));
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kTrusted) << ::testing::PrintToString(Problems(r));
  EXPECT_EQ(r.trust.measured_launch, Trust::kTrusted);
  EXPECT_EQ(r.trust.hypervisor, Trust::kUnknown);  // nothing to compare module 0 with
  policy_.require_measured_launch = true;
  EXPECT_EQ(Appraise(ev, refs).verdict, Verdict::kUnknown);
}

TEST_F(AppraisalTest, EmulatedLaunchRefusedUnlessAllowed) {
  ASSERT_NO_FATAL_FAILURE(AddDrtm());
  facts_.facts.measured_launch = protocol::MeasuredLaunch::kEmulated;
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);

  AppraisalResult refused = Appraise(ev, refs);
  EXPECT_EQ(refused.verdict, Verdict::kUntrusted);
  EXPECT_EQ(refused.trust.measured_launch, Trust::kUntrusted);
  const Finding* f = FindingWithId(refused, "launch.emulated_refused");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kError);

  policy_.allow_emulated_launch = true;
  policy_.require_measured_launch = true;
  ASSERT_NO_FATAL_FAILURE(AddDrtmReferences(refs));
  AppraisalResult allowed = Appraise(ev, refs);
  EXPECT_EQ(allowed.verdict, Verdict::kTrusted) << ::testing::PrintToString(Problems(allowed));
  EXPECT_EQ(allowed.trust.measured_launch, Trust::kTrusted);
  const Finding* info = FindingWithId(allowed, "launch.emulated");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->severity, Severity::kInfo);
}

TEST_F(AppraisalTest, AlteredDrtmLogIsUntrustedLaunch) {
  ASSERT_NO_FATAL_FAILURE(AddDrtm());
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  std::optional<size_t> offset = DigestOffset(*ev.drtm_log, 17);
  ASSERT_TRUE(offset.has_value());
  (*ev.drtm_log)[*offset] ^= 0xff;
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_EQ(r.trust.measured_launch, Trust::kUntrusted);
  EXPECT_EQ(r.trust.platform, Trust::kTrusted);
  const Finding* f = FindingWithId(r, "log.replay_mismatch");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->pcr, 17u);
  EXPECT_THAT(f->message, HasSubstr("D-RTM log"));
}

TEST_F(AppraisalTest, RequiredLaunchWithoutDrtmLog) {
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  policy_.require_measured_launch = true;
  AppraisalResult r = Appraise(ev, refs);
  EXPECT_EQ(r.verdict, Verdict::kUntrusted);
  EXPECT_EQ(r.trust.measured_launch, Trust::kUntrusted);
  const Finding* f = FindingWithId(r, "launch.none");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kError);
  EXPECT_THAT(f->message, HasSubstr("reset value"));
}

// The VM log's appraisal has its own tests (vm_appraisal_test.cc).
TEST_F(AppraisalTest, VmLogThatIsNoRecordIsAWarning) {
  logs_.Set(agent::LogKind::kVm, ToBytes("vm-log"));
  protocol::Evidence ev = Collect();
  AppraisalResult r = Appraise(ev, Golden(ev));
  EXPECT_EQ(r.verdict, Verdict::kTrusted);
  const Finding* f = FindingWithId(r, "log.vm_torn_record");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kWarning);
}

TEST_F(AppraisalTest, FindingsAreInPipelineOrder) {
  protocol::Evidence ev = Collect();
  ReferenceSet refs = Golden(ev);
  issued_->already_used = true;
  host_.last_reset_count = 9;
  (*ev.srtm_log)[*DigestOffset(*ev.srtm_log, 4)] ^= 0xff;
  AppraisalResult r = Appraise(ev, refs);
  std::vector<std::string> ids = Ids(r);
  auto pos = [&](std::string_view id) {
    return std::find(ids.begin(), ids.end(), id) - ids.begin();
  };
  EXPECT_LT(pos("quote.nonce_reused"), pos("clock.reset_count_decreased"));
  EXPECT_LT(pos("clock.reset_count_decreased"), pos("log.replay_mismatch"));
  EXPECT_LT(pos("log.replay_mismatch"), pos("launch.none"));
  EXPECT_LT(pos("launch.none"), static_cast<std::ptrdiff_t>(ids.size()));
}

TEST_F(AppraisalTest, ImportRefusesEvidenceThatDoesNotVerify) {
  protocol::Evidence ev = Collect();

  protocol::Evidence tampered = ev;
  tampered.quote_attest.back() ^= 0x01;
  EXPECT_THAT(ImportPlatformReferences(tampered, "g").status(),
              testing::StatusIs(Code::kInvalidArgument, HasSubstr("quote.signature_invalid")));

  protocol::Evidence no_log = ev;
  no_log.srtm_log.reset();
  EXPECT_THAT(ImportPlatformReferences(no_log, "g").status(),
              testing::StatusIs(Code::kInvalidArgument, HasSubstr("no SRTM log")));

  protocol::Evidence altered = ev;
  (*altered.srtm_log)[*DigestOffset(*altered.srtm_log, 4)] ^= 0xff;
  EXPECT_THAT(ImportPlatformReferences(altered, "g").status(),
              testing::StatusIs(Code::kInvalidArgument, HasSubstr("log.replay_mismatch")));

  protocol::Evidence other_nonce = ev;
  other_nonce.nonce = Bytes(32, 0x33);
  EXPECT_THAT(ImportPlatformReferences(other_nonce, "g").status(),
              testing::StatusIs(Code::kInvalidArgument, HasSubstr("quote.nonce_mismatch")));

  protocol::Evidence bad_ak = ev;
  bad_ak.ak_public = Bytes{1, 2, 3};
  EXPECT_THAT(ImportPlatformReferences(bad_ak, "g").status(),
              testing::StatusIs(Code::kInvalidArgument, HasSubstr("ak_public")));

  EXPECT_THAT(ImportPlatformReferences(Collect(Range(8, 23)), "g").status(),
              testing::StatusIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace vouch::verifier
