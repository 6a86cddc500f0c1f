// Tests of schema version 2 of the SQLite Store: host lookup by EK, agent
// URL, identity changes, latest evidence, host filters/sorting/paging,
// fleet summary, reference sets (versions, optimistic concurrency,
// deletion, generation) and the migration of a version 1 file.
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/status_matchers.h"
#include "tests/unit/verifier/store_test_util.h"
#include "verifier/store/sqlite_store.h"

namespace vouch::verifier {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

class StoreV2Test : public StoreTestBase {};

std::vector<std::string> Ids(const std::vector<HostRecord>& hosts) {
  std::vector<std::string> ids;
  ids.reserve(hosts.size());
  for (const HostRecord& h : hosts) ids.push_back(h.host_id);
  return ids;
}

// Host facts as core/protocol's EncodeHostFacts writes them.
std::string Facts(const std::string& hypervisor,
                  const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string json = R"({"hostname":"h","agent_version":"1","hypervisor":{"kind":")" + hypervisor +
                     R"("},"measured_launch":"txt")";
  if (!labels.empty()) {
    json += R"(,"labels":{)";
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) json += ",";
      json += "\"" + labels[i].first + "\":\"" + labels[i].second + "\"";
    }
    json += "}";
  }
  return json + "}";
}

// Enrolls `host_id` with the given facts, hostname and EK.
void AddHostWith(Store& store, const std::string& host_id, const std::string& facts,
                 const std::string& hostname = "", const std::string& ek = "") {
  const std::string enrollment = "enr-" + host_id;
  ASSERT_OK(store.CreateEnrollment(MakeEnrollment(enrollment, "ak-" + host_id)));
  HostRecord h = MakeHost(host_id, "ak-" + host_id);
  h.host_facts_json = facts;
  if (!hostname.empty()) h.hostname = hostname;
  if (!ek.empty()) h.ek_public = ToBytes(ek);
  ASSERT_OK(store.ActivateEnrollment(enrollment, h, false));
}

ReferenceSetRecord SetRecord(const std::string& name, const std::string& doc, size_t entries) {
  ReferenceSetRecord r;
  r.name = name;
  r.document_json = doc;
  r.entry_count = entries;
  r.updated_at = T(100) + std::chrono::microseconds(7);
  r.updated_by = "alice";
  return r;
}

// ---- hosts ----

TEST_F(StoreV2Test, FindHostByEkPublic) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_NO_FATAL_FAILURE(AddHostWith(*store, "host-b", "{}", "", "ek-shared"));
  ASSERT_NO_FATAL_FAILURE(AddHostWith(*store, "host-a", "{}", "", "ek-shared"));
  ASSERT_NO_FATAL_FAILURE(AddHostWith(*store, "host-c", "{}", "", "ek-c"));
  ASSERT_OK_AND_ASSIGN(auto found, store->FindHostByEkPublic(ToBytes("ek-c")));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->host_id, "host-c");
  ASSERT_OK_AND_ASSIGN(auto shared, store->FindHostByEkPublic(ToBytes("ek-shared")));
  ASSERT_TRUE(shared.has_value());
  EXPECT_EQ(shared->host_id, "host-a");  // the lowest id
  ASSERT_OK_AND_ASSIGN(auto none, store->FindHostByEkPublic(ToBytes("ek-none")));
  EXPECT_FALSE(none.has_value());
  ASSERT_OK_AND_ASSIGN(auto empty, store->FindHostByEkPublic(ByteView()));
  EXPECT_FALSE(empty.has_value());
}

TEST_F(StoreV2Test, FindHostByMachineId) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  const std::string m1(32, 'a');
  const std::string m2(32, 'b');
  ASSERT_NO_FATAL_FAILURE(
      AddHostWith(*store, "host-b", R"({"hostname":"b","machine_id":")" + m1 + "\"}", "", "ek-b"));
  ASSERT_NO_FATAL_FAILURE(
      AddHostWith(*store, "host-a", R"({"hostname":"a","machine_id":")" + m1 + "\"}", "", "ek-a"));
  ASSERT_NO_FATAL_FAILURE(AddHostWith(*store, "host-c", "not json", "", "ek-c"));
  ASSERT_OK_AND_ASSIGN(auto found, store->FindHostByMachineId(m1));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->host_id, "host-a");  // the lowest id
  ASSERT_OK_AND_ASSIGN(auto none, store->FindHostByMachineId(m2));
  EXPECT_FALSE(none.has_value());
  ASSERT_OK_AND_ASSIGN(auto empty, store->FindHostByMachineId(""));
  EXPECT_FALSE(empty.has_value());
  EXPECT_THAT(store->FindHostByMachineId(std::string(65, 'a')), StatusIs(Code::kInvalidArgument));
}

TEST_F(StoreV2Test, AgentUrlIsSetClearedAndChecked) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-1"));
  ASSERT_OK_AND_ASSIGN(HostRecord before, store->GetHost("host-1"));
  EXPECT_EQ(before.agent_url, "");
  ASSERT_OK(store->SetAgentUrl("host-1", "https://host-1:8444"));
  ASSERT_OK_AND_ASSIGN(HostRecord set, store->GetHost("host-1"));
  EXPECT_EQ(set.agent_url, "https://host-1:8444");
  ASSERT_OK(store->SetAgentUrl("host-1", ""));
  ASSERT_OK_AND_ASSIGN(HostRecord cleared, store->GetHost("host-1"));
  EXPECT_EQ(cleared.agent_url, "");

  EXPECT_THAT(store->SetAgentUrl("nope", "https://x"), StatusIs(Code::kNotFound));
  EXPECT_THAT(store->SetAgentUrl("host-1", std::string(2049, 'u')),
              StatusIs(Code::kInvalidArgument, HasSubstr("2048")));
  EXPECT_THAT(store->SetAgentUrl("host-1", std::string(2048, 'u')), IsOk());
  EXPECT_THAT(store->SetAgentUrl("", "https://x"), StatusIs(Code::kInvalidArgument));
}

TEST_F(StoreV2Test, ActivateEnrollmentStoresAgentUrl) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK(store->CreateEnrollment(MakeEnrollment("enr-1", "ak-1")));
  HostRecord h = MakeHost("host-1", "ak-1");
  h.agent_url = "https://a:1";
  ASSERT_OK(store->ActivateEnrollment("enr-1", h, false));
  ASSERT_OK_AND_ASSIGN(HostRecord got, store->GetHost("host-1"));
  EXPECT_EQ(got.agent_url, "https://a:1");
  EXPECT_FALSE(got.identity_change.has_value());

  ASSERT_OK(store->CreateEnrollment(MakeEnrollment("enr-2", "ak-2")));
  HostRecord long_url = MakeHost("host-2", "ak-2");
  long_url.agent_url = std::string(2049, 'u');
  EXPECT_THAT(store->ActivateEnrollment("enr-2", long_url, false),
              StatusIs(Code::kInvalidArgument));
}

TEST_F(StoreV2Test, IdentityChangeIsFlaggedAndClearedByReplace) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-1"));
  ASSERT_OK(store->AddReport(MakeReport("host-1", "trusted")).status());
  ASSERT_OK(store->CreateEnrollment(MakeEnrollment("enr-new", "ak-new")));

  const IdentityChange change{"enr-new", "ak_changed", T(50) + std::chrono::microseconds(3)};
  ASSERT_OK(store->FlagIdentityChange("host-1", change));
  ASSERT_OK_AND_ASSIGN(HostRecord flagged, store->GetHost("host-1"));
  ASSERT_TRUE(flagged.identity_change.has_value());
  EXPECT_EQ(flagged.identity_change->enrollment_id, "enr-new");
  EXPECT_EQ(flagged.identity_change->reason, "ak_changed");
  EXPECT_EQ(flagged.identity_change->detected_at, change.detected_at);
  EXPECT_EQ(flagged.verdict, "untrusted");

  // A later change replaces the earlier one.
  ASSERT_OK(store->FlagIdentityChange("host-1", {"enr-new", "ek_changed", T(60)}));
  ASSERT_OK_AND_ASSIGN(HostRecord again, store->GetHost("host-1"));
  EXPECT_EQ(again.identity_change->reason, "ek_changed");

  // The admin approves: the new enrollment replaces the host.
  HostRecord replacement = MakeHost("host-1", "ak-new");
  ASSERT_OK(store->ActivateEnrollment("enr-new", replacement, true));
  ASSERT_OK_AND_ASSIGN(HostRecord approved, store->GetHost("host-1"));
  EXPECT_FALSE(approved.identity_change.has_value());
  EXPECT_EQ(approved.ak_name, ToBytes("ak-new"));
  ASSERT_OK_AND_ASSIGN(auto reports, store->ListReports("host-1", 10, 0));
  EXPECT_EQ(reports.size(), 1U);  // kept

  EXPECT_THAT(store->FlagIdentityChange("nope", change), StatusIs(Code::kNotFound));
  EXPECT_THAT(store->FlagIdentityChange("host-1", {"enr-new", "other", T(1)}),
              StatusIs(Code::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(store->FlagIdentityChange("host-1", {"bad id!", "ak_changed", T(1)}),
              StatusIs(Code::kInvalidArgument));
}

TEST_F(StoreV2Test, AddReportKeepsLatestEvidenceAndFacts) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-1"));
  ASSERT_OK_AND_ASSIGN(auto none, store->LatestEvidence("host-1"));
  EXPECT_FALSE(none.has_value());

  ReportRecord first = MakeReport("host-1", "trusted");
  first.evidence_json = R"({"evidence":1})";
  first.host_facts_json = Facts("xen", {});
  ASSERT_OK_AND_ASSIGN(int64_t id1, store->AddReport(first));
  ASSERT_OK_AND_ASSIGN(auto ev1, store->LatestEvidence("host-1"));
  ASSERT_TRUE(ev1.has_value());
  EXPECT_EQ(ev1->report_id, id1);
  EXPECT_EQ(ev1->appraised_at, first.appraised_at);
  EXPECT_EQ(ev1->evidence_json, R"({"evidence":1})");
  ASSERT_OK_AND_ASSIGN(HostRecord h1, store->GetHost("host-1"));
  EXPECT_EQ(h1.host_facts_json, Facts("xen", {}));

  // Without evidence or facts: both stay as they were.
  ASSERT_OK_AND_ASSIGN(int64_t id2, store->AddReport(MakeReport("host-1", "untrusted")));
  ASSERT_OK_AND_ASSIGN(auto ev2, store->LatestEvidence("host-1"));
  EXPECT_EQ(ev2->report_id, id1);
  ASSERT_OK_AND_ASSIGN(HostRecord h2, store->GetHost("host-1"));
  EXPECT_EQ(h2.host_facts_json, Facts("xen", {}));
  EXPECT_EQ(h2.verdict, "untrusted");

  ReportRecord third = MakeReport("host-1", "trusted");
  third.appraised_at = T(30);
  third.evidence_json = R"({"evidence":3})";
  third.host_facts_json = Facts("kvm", {});
  ASSERT_OK_AND_ASSIGN(int64_t id3, store->AddReport(third));
  EXPECT_GT(id3, id2);
  ASSERT_OK_AND_ASSIGN(auto ev3, store->LatestEvidence("host-1"));
  EXPECT_EQ(ev3->report_id, id3);
  EXPECT_EQ(ev3->evidence_json, R"({"evidence":3})");
  EXPECT_EQ(ev3->appraised_at, T(30));
  EXPECT_EQ(QueryInt(path(), "SELECT COUNT(*) FROM host_evidence"), 1);
  ASSERT_OK_AND_ASSIGN(HostRecord h3, store->GetHost("host-1"));
  EXPECT_EQ(h3.host_facts_json, Facts("kvm", {}));

  EXPECT_THAT(store->LatestEvidence("nope"), StatusIs(Code::kNotFound));
  ReportRecord orphan = MakeReport("nope", "trusted");
  orphan.evidence_json = "{}";
  EXPECT_THAT(store->AddReport(orphan), StatusIs(Code::kNotFound));
  EXPECT_EQ(QueryInt(path(), "SELECT COUNT(*) FROM host_evidence"), 1);
}

TEST_F(StoreV2Test, ReportEvidenceAndFactsAreOneTransaction) {
  // A failing evidence insert (the table made read-only by a trigger)
  // must take the report and the facts update with it.
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-1"));
  ExecSql(path(),
          "CREATE TRIGGER no_evidence BEFORE INSERT ON host_evidence "
          "BEGIN SELECT RAISE(ABORT, 'refused'); END");
  ReportRecord r = MakeReport("host-1", "trusted");
  r.evidence_json = "{}";
  r.host_facts_json = Facts("xen", {});
  EXPECT_THAT(store->AddReport(r), StatusIs(Code::kFailedPrecondition));
  EXPECT_EQ(QueryInt(path(), "SELECT COUNT(*) FROM reports"), 0);
  ASSERT_OK_AND_ASSIGN(HostRecord h, store->GetHost("host-1"));
  EXPECT_EQ(h.host_facts_json, MakeHost("host-1", "ak-host-1").host_facts_json);
  EXPECT_EQ(h.verdict, "unknown");
}

// Six hosts: hypervisor, labels, hostnames and reports chosen so every
// filter and sort order gives a different answer.
class HostQueryTest : public StoreV2Test {
 protected:
  void SetUp() override {
    StoreV2Test::SetUp();
    ASSERT_OK_AND_ASSIGN(store_, Open());
    Store& s = *store_;
    ASSERT_NO_FATAL_FAILURE(
        AddHostWith(s, "h1", Facts("xen", {{"rack", "a"}, {"env", "prod"}}), "zeta"));
    ASSERT_NO_FATAL_FAILURE(AddHostWith(s, "h2", Facts("kvm", {{"rack", "a"}}), "alpha"));
    ASSERT_NO_FATAL_FAILURE(
        AddHostWith(s, "h3", Facts("xen", {{"rack", "b"}, {"env", "prod"}}), "mid"));
    ASSERT_NO_FATAL_FAILURE(AddHostWith(s, "h4", "not json at all", "beta"));
    ASSERT_NO_FATAL_FAILURE(
        AddHostWith(s, "h5", Facts("none", {{"topology.kubernetes.io/zone", "z1"}}), "mid"));
    ASSERT_NO_FATAL_FAILURE(AddHostWith(s, "h6", R"({"hypervisor":"xen"})", "omega"));
    // Reports: h1 trusted at 40, h2 untrusted at 20, h3 trusted at 30;
    // h4..h6 none.
    auto report = [&](const std::string& id, const std::string& verdict, int64_t at) {
      ReportRecord r = MakeReport(id, verdict);
      r.appraised_at = T(at);
      ASSERT_OK(s.AddReport(r).status());
    };
    ASSERT_NO_FATAL_FAILURE(report("h1", "trusted", 40));
    ASSERT_NO_FATAL_FAILURE(report("h2", "untrusted", 20));
    ASSERT_NO_FATAL_FAILURE(report("h3", "trusted", 30));
  }

  std::vector<std::string> List(const HostQuery& q) {
    Result<std::vector<HostRecord>> r = store_->ListHosts(q);
    EXPECT_TRUE(r.has_value()) << r.status().ToString();
    return r.has_value() ? Ids(*r) : std::vector<std::string>{"<error>"};
  }

  std::unique_ptr<Store> store_;
};

TEST_F(HostQueryTest, FiltersByHypervisorLabelsAndVerdict) {
  HostQuery q;
  q.hypervisor = "xen";
  EXPECT_THAT(List(q), ElementsAre("h1", "h3", "h6"));  // h6: plain string member
  q.hypervisor = "kvm";
  EXPECT_THAT(List(q), ElementsAre("h2"));
  q.hypervisor = "unknown";  // facts without a hypervisor, or not JSON
  EXPECT_THAT(List(q), ElementsAre("h4"));

  HostQuery labels;
  labels.labels = {{"rack", "a"}};
  EXPECT_THAT(List(labels), ElementsAre("h1", "h2"));
  labels.labels = {{"rack", "a"}, {"env", "prod"}};  // all must match
  EXPECT_THAT(List(labels), ElementsAre("h1"));
  labels.labels = {{"topology.kubernetes.io/zone", "z1"}};  // dots and slashes in the name
  EXPECT_THAT(List(labels), ElementsAre("h5"));
  labels.labels = {{"rack", "c"}};
  EXPECT_THAT(List(labels), ElementsAre());

  HostQuery combined;
  combined.verdict = "trusted";
  combined.hypervisor = "xen";
  combined.labels = {{"rack", "b"}};
  EXPECT_THAT(List(combined), ElementsAre("h3"));
  combined.verdict = "untrusted";
  EXPECT_THAT(List(combined), ElementsAre());
}

TEST_F(HostQueryTest, SortsWithTiesBrokenByHostId) {
  HostQuery q;
  q.sort = HostSort::kHostname;
  EXPECT_THAT(List(q), ElementsAre("h2", "h4", "h3", "h5", "h6", "h1"));
  q.descending = true;
  EXPECT_THAT(List(q), ElementsAre("h1", "h6", "h5", "h3", "h4", "h2"));

  q = HostQuery();
  q.sort = HostSort::kLastReportAt;  // hosts without a report first
  EXPECT_THAT(List(q), ElementsAre("h4", "h5", "h6", "h2", "h3", "h1"));
  q.descending = true;
  EXPECT_THAT(List(q), ElementsAre("h1", "h3", "h2", "h6", "h5", "h4"));

  q = HostQuery();
  q.sort = HostSort::kVerdict;
  EXPECT_THAT(List(q), ElementsAre("h1", "h3", "h4", "h5", "h6", "h2"));

  q = HostQuery();
  q.descending = true;
  EXPECT_THAT(List(q), ElementsAre("h6", "h5", "h4", "h3", "h2", "h1"));
}

TEST_F(HostQueryTest, PagesByOffsetAndByKeyset) {
  HostQuery q;
  q.sort = HostSort::kLastReportAt;
  q.descending = true;
  q.limit = 4;
  EXPECT_THAT(List(q), ElementsAre("h1", "h3", "h2", "h6"));
  q.offset = 4;
  EXPECT_THAT(List(q), ElementsAre("h5", "h4"));
  q.offset = 6;
  EXPECT_THAT(List(q), ElementsAre());

  HostQuery keyset;
  keyset.limit = 2;
  keyset.hypervisor = "xen";
  EXPECT_THAT(List(keyset), ElementsAre("h1", "h3"));
  keyset.after_host_id = "h3";
  EXPECT_THAT(List(keyset), ElementsAre("h6"));
}

TEST_F(HostQueryTest, RefusesBadQueries) {
  HostQuery after_with_sort;
  after_with_sort.sort = HostSort::kHostname;
  after_with_sort.after_host_id = "h1";
  EXPECT_THAT(store_->ListHosts(after_with_sort),
              StatusIs(Code::kInvalidArgument, HasSubstr("after_host_id")));
  HostQuery after_descending;
  after_descending.descending = true;
  after_descending.after_host_id = "h1";
  EXPECT_THAT(store_->ListHosts(after_descending), StatusIs(Code::kInvalidArgument));
  for (const std::string& name : {std::string("Rack"), std::string("a\"b"), std::string(""),
                                  std::string("-x"), std::string(64, 'a')}) {
    HostQuery bad_label;
    bad_label.labels = {{name, "v"}};
    EXPECT_THAT(store_->ListHosts(bad_label), StatusIs(Code::kInvalidArgument, HasSubstr("label")))
        << name;
  }
  HostQuery too_many;
  for (int i = 0; i < 65; ++i) too_many.labels.emplace_back("l" + std::to_string(i), "v");
  EXPECT_THAT(store_->ListHosts(too_many), StatusIs(Code::kInvalidArgument));
  HostQuery bad_verdict;
  bad_verdict.verdict = "fine";
  EXPECT_THAT(store_->ListHosts(bad_verdict), StatusIs(Code::kInvalidArgument));
  HostQuery zero;
  zero.limit = 0;
  EXPECT_THAT(store_->ListHosts(zero), StatusIs(Code::kInvalidArgument));
}

TEST_F(HostQueryTest, SummaryCountsVerdictsHypervisorsStaleAndIdentityChanges) {
  ASSERT_OK(store_->FlagIdentityChange("h3", {"enr-h1", "ek_changed", T(35)}));
  ASSERT_OK_AND_ASSIGN(FleetSummary s, store_->Summarize(T(35)));
  EXPECT_EQ(s.hosts, 6U);
  // h3 became untrusted with its identity change.
  EXPECT_EQ(s.by_verdict,
            (std::map<std::string, size_t>{{"trusted", 1}, {"untrusted", 2}, {"unknown", 3}}));
  EXPECT_EQ(s.by_hypervisor,
            (std::map<std::string, size_t>{{"xen", 3}, {"kvm", 1}, {"none", 1}, {"unknown", 1}}));
  // No report (h4, h5, h6) or last report before 35 (h2 at 20, h3 at 30).
  EXPECT_EQ(s.stale, 5U);
  EXPECT_EQ(s.identity_changes, 1U);

  ASSERT_OK_AND_ASSIGN(FleetSummary early, store_->Summarize(T(0)));
  EXPECT_EQ(early.stale, 3U);
}

TEST_F(StoreV2Test, SummaryOfAnEmptyStoreHasEveryVerdictKey) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK_AND_ASSIGN(FleetSummary s, store->Summarize(T(0)));
  EXPECT_EQ(s.hosts, 0U);
  EXPECT_EQ(s.by_verdict,
            (std::map<std::string, size_t>{{"trusted", 0}, {"untrusted", 0}, {"unknown", 0}}));
  EXPECT_TRUE(s.by_hypervisor.empty());
  EXPECT_EQ(s.stale, 0U);
  EXPECT_EQ(s.identity_changes, 0U);
}

// ---- reference sets ----

TEST_F(StoreV2Test, ReferenceSetVersionsAndHistory) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK_AND_ASSIGN(int64_t gen0, store->ReferenceGeneration());
  EXPECT_THAT(store->GetReferenceSet("prod", std::nullopt), StatusIs(Code::kNotFound));

  ASSERT_OK_AND_ASSIGN(int64_t v1,
                       store->PutReferenceSet(SetRecord("prod", "{\"v\":1}", 3), std::nullopt));
  EXPECT_EQ(v1, 1);
  ASSERT_OK_AND_ASSIGN(int64_t gen1, store->ReferenceGeneration());
  EXPECT_NE(gen1, gen0);
  ReferenceSetRecord second = SetRecord("prod", "{\"v\":2}", 4);
  second.updated_by = "bob";
  second.updated_at = T(200);
  ASSERT_OK_AND_ASSIGN(int64_t v2, store->PutReferenceSet(second, 1));
  EXPECT_EQ(v2, 2);

  ASSERT_OK_AND_ASSIGN(ReferenceSetRecord current, store->GetReferenceSet("prod", std::nullopt));
  EXPECT_EQ(current.name, "prod");
  EXPECT_EQ(current.version, 2);
  EXPECT_FALSE(current.deleted);
  EXPECT_EQ(current.document_json, "{\"v\":2}");
  EXPECT_EQ(current.entry_count, 4U);
  EXPECT_EQ(current.updated_at, T(200));
  EXPECT_EQ(current.updated_by, "bob");
  ASSERT_OK_AND_ASSIGN(ReferenceSetRecord old, store->GetReferenceSet("prod", 1));
  EXPECT_EQ(old.version, 1);
  EXPECT_EQ(old.document_json, "{\"v\":1}");
  EXPECT_EQ(old.updated_at, T(100) + std::chrono::microseconds(7));
  EXPECT_EQ(old.updated_by, "alice");
  EXPECT_THAT(store->GetReferenceSet("prod", 3),
              StatusIs(Code::kNotFound, HasSubstr("no version 3")));
  EXPECT_THAT(store->GetReferenceSet("prod", 0), StatusIs(Code::kInvalidArgument));
}

TEST_F(StoreV2Test, ExpectedVersionMismatchIsFailedPrecondition) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  // 0: the set must not exist.
  ASSERT_OK(store->PutReferenceSet(SetRecord("s", "{}", 0), 0).status());
  EXPECT_THAT(store->PutReferenceSet(SetRecord("s", "{}", 0), 0),
              StatusIs(Code::kFailedPrecondition, HasSubstr("version 1")));
  EXPECT_THAT(store->PutReferenceSet(SetRecord("s", "{}", 0), 2),
              StatusIs(Code::kFailedPrecondition, HasSubstr("expected 2")));
  ASSERT_OK_AND_ASSIGN(int64_t v, store->PutReferenceSet(SetRecord("s", "{}", 0), 1));
  EXPECT_EQ(v, 2);
  ASSERT_OK_AND_ASSIGN(ReferenceSetRecord current, store->GetReferenceSet("s", std::nullopt));
  EXPECT_EQ(current.version, 2);
}

TEST_F(StoreV2Test, DeletedSetsAreGoneButTheirHistoryStays) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK(store->PutReferenceSet(SetRecord("s", "{\"v\":1}", 1), std::nullopt).status());
  ASSERT_OK_AND_ASSIGN(int64_t gen_before, store->ReferenceGeneration());
  ASSERT_OK_AND_ASSIGN(int64_t deleted_at, store->DeleteReferenceSet("s", T(300), "carol"));
  EXPECT_EQ(deleted_at, 2);
  ASSERT_OK_AND_ASSIGN(int64_t gen_after, store->ReferenceGeneration());
  EXPECT_NE(gen_after, gen_before);

  EXPECT_THAT(store->GetReferenceSet("s", std::nullopt),
              StatusIs(Code::kNotFound, HasSubstr("deleted at version 2")));
  EXPECT_THAT(store->GetReferenceSet("s", 2), StatusIs(Code::kNotFound));
  ASSERT_OK_AND_ASSIGN(ReferenceSetRecord old, store->GetReferenceSet("s", 1));
  EXPECT_EQ(old.document_json, "{\"v\":1}");
  EXPECT_THAT(store->DeleteReferenceSet("s", T(301), "carol"), StatusIs(Code::kNotFound));
  EXPECT_THAT(store->DeleteReferenceSet("never", T(301), "carol"), StatusIs(Code::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto listed, store->ListReferenceSets(true));
  EXPECT_TRUE(listed.empty());

  // Recreated: expected_version 0 (absent) works, numbering continues.
  EXPECT_THAT(store->PutReferenceSet(SetRecord("s", "{}", 0), 2),
              StatusIs(Code::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(int64_t v3, store->PutReferenceSet(SetRecord("s", "{\"v\":3}", 0), 0));
  EXPECT_EQ(v3, 3);
  ASSERT_OK_AND_ASSIGN(ReferenceSetRecord back, store->GetReferenceSet("s", std::nullopt));
  EXPECT_EQ(back.version, 3);
}

TEST_F(StoreV2Test, ListReferenceSetsGivesCurrentVersionsByName) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK(store->PutReferenceSet(SetRecord("b", "{\"b\":1}", 1), std::nullopt).status());
  ASSERT_OK(store->PutReferenceSet(SetRecord("a", "{\"a\":1}", 1), std::nullopt).status());
  ASSERT_OK(store->PutReferenceSet(SetRecord("b", "{\"b\":2}", 2), std::nullopt).status());
  ASSERT_OK(store->PutReferenceSet(SetRecord("c", "{\"c\":1}", 5), std::nullopt).status());
  ASSERT_OK(store->DeleteReferenceSet("c", T(1), "x").status());

  ASSERT_OK_AND_ASSIGN(auto with_docs, store->ListReferenceSets(true));
  ASSERT_EQ(with_docs.size(), 2U);
  EXPECT_EQ(with_docs[0].name, "a");
  EXPECT_EQ(with_docs[0].version, 1);
  EXPECT_EQ(with_docs[0].document_json, "{\"a\":1}");
  EXPECT_EQ(with_docs[1].name, "b");
  EXPECT_EQ(with_docs[1].version, 2);
  EXPECT_EQ(with_docs[1].document_json, "{\"b\":2}");
  EXPECT_EQ(with_docs[1].entry_count, 2U);
  EXPECT_EQ(with_docs[1].updated_by, "alice");

  ASSERT_OK_AND_ASSIGN(auto without, store->ListReferenceSets(false));
  ASSERT_EQ(without.size(), 2U);
  EXPECT_EQ(without[1].version, 2);
  EXPECT_EQ(without[1].entry_count, 2U);
  EXPECT_TRUE(without[0].document_json.empty());
  EXPECT_TRUE(without[1].document_json.empty());
}

TEST_F(StoreV2Test, ReferenceSetArgumentsAreChecked) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  for (const std::string& name :
       {std::string(""), std::string("a b"), std::string("a/b"), std::string(129, 'a')}) {
    EXPECT_THAT(store->PutReferenceSet(SetRecord(name, "{}", 0), std::nullopt),
                StatusIs(Code::kInvalidArgument, HasSubstr("name")))
        << name;
    EXPECT_THAT(store->GetReferenceSet(name, std::nullopt), StatusIs(Code::kInvalidArgument));
    EXPECT_THAT(store->DeleteReferenceSet(name, T(0), "x"), StatusIs(Code::kInvalidArgument));
  }
  EXPECT_THAT(store->PutReferenceSet(SetRecord(std::string(128, 'a'), "{}", 0), std::nullopt),
              IsOk());
  EXPECT_THAT(store->PutReferenceSet(SetRecord("Fleet_1.2:x-y", "{}", 0), std::nullopt), IsOk());
  EXPECT_THAT(store->PutReferenceSet(SetRecord("s", "", 0), std::nullopt),
              StatusIs(Code::kInvalidArgument, HasSubstr("empty document")));
  ReferenceSetRecord deleted = SetRecord("s", "{}", 0);
  deleted.deleted = true;
  EXPECT_THAT(store->PutReferenceSet(deleted, std::nullopt), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(store->PutReferenceSet(SetRecord("s", "{}", 0), -1),
              StatusIs(Code::kInvalidArgument));
}

TEST_F(StoreV2Test, GenerationMovesAcrossConnectionsAndSurvivesReopen) {
  ASSERT_OK_AND_ASSIGN(auto reader, Open());
  ASSERT_OK_AND_ASSIGN(auto writer, Open());
  ASSERT_OK_AND_ASSIGN(int64_t g0, reader->ReferenceGeneration());
  ASSERT_OK(writer->PutReferenceSet(SetRecord("s", "{}", 0), std::nullopt).status());
  ASSERT_OK_AND_ASSIGN(int64_t g1, reader->ReferenceGeneration());
  EXPECT_NE(g1, g0);
  // Failed writes leave it alone.
  EXPECT_THAT(writer->PutReferenceSet(SetRecord("s", "{}", 0), 0),
              StatusIs(Code::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(int64_t g1b, reader->ReferenceGeneration());
  EXPECT_EQ(g1b, g1);
  writer.reset();
  reader.reset();
  ASSERT_OK_AND_ASSIGN(auto reopened, Open());
  ASSERT_OK_AND_ASSIGN(int64_t g2, reopened->ReferenceGeneration());
  EXPECT_EQ(g2, g1);
  ASSERT_OK_AND_ASSIGN(ReferenceSetRecord r, reopened->GetReferenceSet("s", std::nullopt));
  EXPECT_EQ(r.version, 1);
}

// Two editors read version N and both write with expected_version N:
// exactly one wins, on one shared store and on two connections.
TEST_F(StoreV2Test, ConcurrentPutsWithExpectedVersionHaveExactlyOneWinner) {
  for (bool separate_connections : {false, true}) {
    const std::string name = separate_connections ? "two-connections" : "one-store";
    ASSERT_OK_AND_ASSIGN(auto first, Open());
    ASSERT_OK_AND_ASSIGN(auto second_connection, Open());
    Store* second = separate_connections ? second_connection.get() : first.get();
    ASSERT_OK(first->PutReferenceSet(SetRecord(name, "{}", 0), std::nullopt).status());
    for (int round = 0; round < 20; ++round) {
      ASSERT_OK_AND_ASSIGN(ReferenceSetRecord base, first->GetReferenceSet(name, std::nullopt));
      std::atomic<int> wins{0};
      std::atomic<int> conflicts{0};
      std::atomic<bool> go{false};
      auto edit = [&](Store* store, const std::string& doc) {
        while (!go.load()) std::this_thread::yield();
        Result<int64_t> r = store->PutReferenceSet(SetRecord(name, doc, 0), base.version);
        if (r.has_value()) {
          ++wins;
        } else if (r.status().code() == Code::kFailedPrecondition) {
          ++conflicts;
        } else {
          ADD_FAILURE() << r.status().ToString();
        }
      };
      std::thread a(edit, first.get(), "{\"by\":\"a\"}");
      std::thread b(edit, second, "{\"by\":\"b\"}");
      go = true;
      a.join();
      b.join();
      EXPECT_EQ(wins.load(), 1) << name << " round " << round;
      EXPECT_EQ(conflicts.load(), 1) << name << " round " << round;
      ASSERT_OK_AND_ASSIGN(ReferenceSetRecord now, first->GetReferenceSet(name, std::nullopt));
      EXPECT_EQ(now.version, base.version + 1);
    }
  }
}

TEST_F(StoreV2Test, NewQueriesUseIndexes) {
  { ASSERT_OK(Open().status()); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
  const char* queries[] = {
      "SELECT * FROM hosts WHERE ek_public = ?1 ORDER BY host_id LIMIT 1",
      "SELECT * FROM hosts WHERE host_id > ?1 ORDER BY hostname, host_id LIMIT ?2 OFFSET ?3",
      ("SELECT * FROM hosts WHERE host_id > ?1 ORDER BY last_report_at_us DESC, host_id DESC "
       "LIMIT ?2 OFFSET ?3"),
      "SELECT version, deleted FROM reference_sets WHERE name = ?1 ORDER BY version DESC LIMIT 1",
      "SELECT * FROM reference_sets WHERE name = ?1 AND version = ?2",
      "SELECT * FROM host_evidence WHERE host_id = ?1",
  };
  for (const char* q : queries) {
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(db, (std::string("EXPLAIN QUERY PLAN ") + q).c_str(), -1, &st, nullptr),
        SQLITE_OK)
        << q;
    std::string plan;
    while (sqlite3_step(st) == SQLITE_ROW) {
      plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
      plan += "; ";
    }
    sqlite3_finalize(st);
    EXPECT_THAT(plan, HasSubstr("USING")) << q << ": " << plan;
    EXPECT_THAT(plan, ::testing::Not(HasSubstr("TEMP B-TREE"))) << q << ": " << plan;
  }
  sqlite3_close(db);
}

// ---- migration from version 1 ----

// Schema version 1 exactly as migration 1 created it (released: frozen).
constexpr const char* kSchemaV1 = R"sql(
PRAGMA application_id = 1449355313;
PRAGMA journal_mode = WAL;
CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL,
  description TEXT NOT NULL, applied_at_us INTEGER NOT NULL) STRICT;
CREATE TABLE hosts (
  host_id TEXT PRIMARY KEY NOT NULL,
  hostname TEXT NOT NULL,
  ek_public BLOB NOT NULL,
  ek_certificate BLOB NOT NULL,
  ak_public BLOB NOT NULL,
  ak_name BLOB NOT NULL,
  host_facts_json TEXT NOT NULL,
  enrolled_at_us INTEGER NOT NULL,
  last_reset_count INTEGER,
  last_restart_count INTEGER,
  verdict TEXT NOT NULL CHECK (verdict IN ('trusted', 'untrusted', 'unknown')),
  last_report_at_us INTEGER
) STRICT;
CREATE UNIQUE INDEX hosts_ak_name ON hosts (ak_name);
CREATE INDEX hosts_verdict_host_id ON hosts (verdict, host_id);
CREATE TABLE enrollments (
  id TEXT PRIMARY KEY NOT NULL,
  ek_public BLOB NOT NULL,
  ek_certificate BLOB NOT NULL,
  ak_public BLOB NOT NULL,
  ak_name BLOB NOT NULL,
  secret_digest BLOB NOT NULL,
  host_facts_json TEXT NOT NULL,
  created_at_us INTEGER NOT NULL,
  expires_at_us INTEGER NOT NULL,
  host_id TEXT REFERENCES hosts (host_id)
) STRICT;
CREATE TABLE nonces (
  host_id TEXT NOT NULL REFERENCES hosts (host_id),
  nonce BLOB NOT NULL,
  expires_at_us INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1)),
  PRIMARY KEY (host_id, nonce)
) STRICT;
CREATE INDEX nonces_expires_at ON nonces (expires_at_us);
CREATE TABLE reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host_id TEXT NOT NULL REFERENCES hosts (host_id),
  appraised_at_us INTEGER NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('trusted', 'untrusted', 'unknown')),
  report_json TEXT NOT NULL,
  reset_count INTEGER,
  restart_count INTEGER
) STRICT;
CREATE INDEX reports_host_id_id ON reports (host_id, id);
INSERT INTO schema_version VALUES (1, 'enrollments, hosts, nonces, reports', 0);
INSERT INTO hosts VALUES ('old-host', 'old.example', x'01', x'', x'02', x'03',
  '{"hostname":"old","agent_version":"1","hypervisor":{"kind":"xen"},"measured_launch":"txt"}',
  1000, 4, 5, 'trusted', 2000);
INSERT INTO enrollments VALUES ('enr-old', x'01', x'', x'02', x'03', x'04', '{}', 10, 20,
  'old-host');
INSERT INTO nonces VALUES ('old-host', x'0a0b', 99999999999, 0);
INSERT INTO reports (host_id, appraised_at_us, verdict, report_json, reset_count, restart_count)
  VALUES ('old-host', 2000, 'trusted', '{"old":true}', 4, 5);
)sql";

TEST_F(StoreV2Test, VersionOneDatabaseMigratesKeepingItsData) {
  ASSERT_NO_FATAL_FAILURE(ExecSql(path(), kSchemaV1));
  ASSERT_EQ(QueryInt(path(), "SELECT MAX(version) FROM schema_version"), 1);

  ASSERT_OK_AND_ASSIGN(auto store, Open());
  EXPECT_EQ(QueryInt(path(), "SELECT MAX(version) FROM schema_version"), 2);
  EXPECT_EQ(QueryInt(path(), "SELECT COUNT(*) FROM schema_version"), 2);

  ASSERT_OK_AND_ASSIGN(HostRecord h, store->GetHost("old-host"));
  EXPECT_EQ(h.hostname, "old.example");
  EXPECT_EQ(h.ak_name, Bytes({0x03}));
  EXPECT_EQ(h.verdict, "trusted");
  EXPECT_EQ(h.last_reset_count, std::optional<uint32_t>(4));
  EXPECT_EQ(h.last_report_at, StoreTime(std::chrono::microseconds(2000)));
  EXPECT_EQ(h.agent_url, "");
  EXPECT_FALSE(h.identity_change.has_value());
  ASSERT_OK_AND_ASSIGN(EnrollmentRecord e, store->GetEnrollment("enr-old"));
  EXPECT_EQ(e.host_id, std::optional<std::string>("old-host"));
  ASSERT_OK_AND_ASSIGN(auto latest, store->LatestReport("old-host"));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->report_json, "{\"old\":true}");
  ASSERT_OK_AND_ASSIGN(NonceRecord n, store->TakeNonce("old-host", Bytes({0x0a, 0x0b})));
  EXPECT_FALSE(n.used);
  ASSERT_OK_AND_ASSIGN(auto evidence, store->LatestEvidence("old-host"));
  EXPECT_FALSE(evidence.has_value());

  // The new parts work on the migrated file.
  ASSERT_OK(store->SetAgentUrl("old-host", "https://old:8444"));
  ASSERT_OK(store->FlagIdentityChange("old-host", {"enr-x", "ak_changed", T(1)}));
  ASSERT_OK(store->PutReferenceSet(SetRecord("s", "{}", 0), 0).status());
  ReportRecord r = MakeReport("old-host", "trusted");
  r.evidence_json = "{}";
  ASSERT_OK_AND_ASSIGN(int64_t id, store->AddReport(r));
  EXPECT_EQ(id, latest->id + 1);  // AUTOINCREMENT continues
  HostQuery q;
  q.hypervisor = "xen";
  ASSERT_OK_AND_ASSIGN(auto hosts, store->ListHosts(q));
  EXPECT_THAT(Ids(hosts), ElementsAre("old-host"));
  ASSERT_OK_AND_ASSIGN(FleetSummary s, store->Summarize(T(0)));
  EXPECT_EQ(s.identity_changes, 1U);

  // Reopening runs nothing more.
  store.reset();
  ASSERT_OK_AND_ASSIGN(auto again, Open());
  EXPECT_EQ(QueryInt(path(), "SELECT COUNT(*) FROM schema_version"), 2);
  ASSERT_OK_AND_ASSIGN(HostRecord h2, again->GetHost("old-host"));
  EXPECT_EQ(h2.agent_url, "https://old:8444");
}

TEST_F(StoreV2Test, IdentityChangeReasonIsCheckedByTheSchemaToo) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, Open());
    ASSERT_NO_FATAL_FAILURE(AddHost(*store, "h"));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "UPDATE hosts SET identity_change_reason = 'bogus'", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
}

}  // namespace
}  // namespace vouch::verifier
