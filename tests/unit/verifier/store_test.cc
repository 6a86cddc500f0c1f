// Tests of the SQLite Store (verifier/store/sqlite_store.h): every method's
// round trip and error codes, paging, single-use nonces under concurrency,
// migrations and refusal of foreign or newer files. Each test works in its
// own temporary directory; no servers.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
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
using ::testing::Not;
using ::vouch::testing::StatusIs;

class SqliteStoreTest : public StoreTestBase {};

TEST_F(SqliteStoreTest, EnrollmentRoundTripsEveryField) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  EnrollmentRecord e = MakeEnrollment("enr-1", "ak-1");
  e.ek_certificate.clear();  // a host without an EK certificate
  ASSERT_OK(store->CreateEnrollment(e));
  ASSERT_OK_AND_ASSIGN(EnrollmentRecord got, store->GetEnrollment("enr-1"));
  EXPECT_EQ(got.id, e.id);
  EXPECT_EQ(got.ek_public, e.ek_public);
  EXPECT_TRUE(got.ek_certificate.empty());
  EXPECT_EQ(got.ak_public, e.ak_public);
  EXPECT_EQ(got.ak_name, e.ak_name);
  EXPECT_EQ(got.secret_digest, e.secret_digest);
  EXPECT_EQ(got.host_facts_json, e.host_facts_json);
  EXPECT_EQ(got.created_at, e.created_at);
  EXPECT_EQ(got.expires_at, e.expires_at);
  EXPECT_FALSE(got.host_id.has_value());
}

TEST_F(SqliteStoreTest, CreateEnrollmentRefusesDuplicateAndMalformedIds) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK(store->CreateEnrollment(MakeEnrollment("enr-1", "ak-1")));
  EXPECT_THAT(store->CreateEnrollment(MakeEnrollment("enr-1", "ak-2")),
              StatusIs(Code::kFailedPrecondition, HasSubstr("enr-1")));
  EXPECT_THAT(store->CreateEnrollment(MakeEnrollment("bad id!", "ak-2")),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(store->CreateEnrollment(MakeEnrollment(std::string(65, 'a'), "ak-2")),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(store->GetEnrollment("enr-2"), StatusIs(Code::kNotFound));
  EXPECT_THAT(store->GetEnrollment(""), StatusIs(Code::kInvalidArgument));
}

TEST_F(SqliteStoreTest, ActivateEnrollmentCreatesHostAndMarksEnrollment) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK(store->CreateEnrollment(MakeEnrollment("enr-1", "ak-1")));
  HostRecord h = MakeHost("host-1", "ak-1");
  h.last_reset_count = 7;
  ASSERT_OK(store->ActivateEnrollment("enr-1", h, /*replace=*/false));

  ASSERT_OK_AND_ASSIGN(EnrollmentRecord e, store->GetEnrollment("enr-1"));
  EXPECT_EQ(e.host_id, std::optional<std::string>("host-1"));
  ASSERT_OK_AND_ASSIGN(HostRecord got, store->GetHost("host-1"));
  EXPECT_EQ(got.host_id, "host-1");
  EXPECT_EQ(got.hostname, h.hostname);
  EXPECT_EQ(got.ek_public, h.ek_public);
  EXPECT_EQ(got.ek_certificate, h.ek_certificate);
  EXPECT_EQ(got.ak_public, h.ak_public);
  EXPECT_EQ(got.ak_name, h.ak_name);
  EXPECT_EQ(got.host_facts_json, h.host_facts_json);
  EXPECT_EQ(got.enrolled_at, h.enrolled_at);
  EXPECT_EQ(got.last_reset_count, std::optional<uint32_t>(7));
  EXPECT_FALSE(got.last_restart_count.has_value());
  EXPECT_EQ(got.verdict, "unknown");
  EXPECT_FALSE(got.last_report_at.has_value());

  ASSERT_OK_AND_ASSIGN(auto by_ak, store->FindHostByAkName(ToBytes("ak-1")));
  ASSERT_TRUE(by_ak.has_value());
  EXPECT_EQ(by_ak->host_id, "host-1");
  ASSERT_OK_AND_ASSIGN(auto none, store->FindHostByAkName(ToBytes("ak-9")));
  EXPECT_FALSE(none.has_value());
  EXPECT_THAT(store->GetHost("host-9"), StatusIs(Code::kNotFound));
}

TEST_F(SqliteStoreTest, ActivateEnrollmentTwiceFails) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK(store->CreateEnrollment(MakeEnrollment("enr-1", "ak-1")));
  ASSERT_OK(store->ActivateEnrollment("enr-1", MakeHost("host-1", "ak-1"), false));
  EXPECT_THAT(store->ActivateEnrollment("enr-1", MakeHost("host-1", "ak-1"), true),
              StatusIs(Code::kFailedPrecondition, HasSubstr("already activated")));
  EXPECT_THAT(store->ActivateEnrollment("enr-9", MakeHost("host-9", "ak-9"), false),
              StatusIs(Code::kNotFound));
}

TEST_F(SqliteStoreTest, ActivateEnrollmentReplacesExistingHostOnlyWhenAsked) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK(store->CreateEnrollment(MakeEnrollment("enr-1", "ak-1")));
  ASSERT_OK(store->ActivateEnrollment("enr-1", MakeHost("host-1", "ak-1"), false));
  ASSERT_OK(store->AddReport(MakeReport("host-1", "trusted")).status());

  ASSERT_OK(store->CreateEnrollment(MakeEnrollment("enr-2", "ak-2")));
  EXPECT_THAT(store->ActivateEnrollment("enr-2", MakeHost("host-1", "ak-2"), false),
              StatusIs(Code::kFailedPrecondition, HasSubstr("host-1")));
  // The failed activation left the enrollment unactivated (rolled back).
  ASSERT_OK_AND_ASSIGN(EnrollmentRecord e2, store->GetEnrollment("enr-2"));
  EXPECT_FALSE(e2.host_id.has_value());

  HostRecord replacement = MakeHost("host-1", "ak-2");
  replacement.hostname = "renamed";
  ASSERT_OK(store->ActivateEnrollment("enr-2", replacement, true));
  ASSERT_OK_AND_ASSIGN(HostRecord got, store->GetHost("host-1"));
  EXPECT_EQ(got.hostname, "renamed");
  EXPECT_EQ(got.ak_name, ToBytes("ak-2"));
  EXPECT_EQ(got.verdict, "unknown");
  ASSERT_OK_AND_ASSIGN(auto old_ak, store->FindHostByAkName(ToBytes("ak-1")));
  EXPECT_FALSE(old_ak.has_value());
  // The history survives re-enrollment.
  ASSERT_OK_AND_ASSIGN(auto reports, store->ListReports("host-1", 10, 0));
  EXPECT_EQ(reports.size(), 1u);
}

TEST_F(SqliteStoreTest, ActivateEnrollmentRefusesAnAkAlreadyEnrolledElsewhere) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK(store->CreateEnrollment(MakeEnrollment("enr-1", "ak-1")));
  ASSERT_OK(store->ActivateEnrollment("enr-1", MakeHost("host-1", "ak-1"), false));
  ASSERT_OK(store->CreateEnrollment(MakeEnrollment("enr-2", "ak-1")));
  EXPECT_THAT(store->ActivateEnrollment("enr-2", MakeHost("host-2", "ak-1"), true),
              StatusIs(Code::kFailedPrecondition, HasSubstr("host-1")));
  EXPECT_THAT(store->GetHost("host-2"), StatusIs(Code::kNotFound));
}

TEST_F(SqliteStoreTest, ListHostsPagesInIdOrderAndFiltersByVerdict) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  for (int i = 0; i < 25; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "host-%02d", i);
    ASSERT_NO_FATAL_FAILURE(AddHost(*store, id));
    if (i % 3 == 0) {
      ASSERT_OK(store->AddReport(MakeReport(id, "untrusted")).status());
    }
  }
  std::vector<std::string> seen;
  HostQuery q;
  q.limit = 10;
  std::vector<size_t> page_sizes;
  while (true) {
    ASSERT_OK_AND_ASSIGN(auto page, store->ListHosts(q));
    page_sizes.push_back(page.size());
    if (page.empty()) {
      break;
    }
    for (const HostRecord& h : page) {
      seen.push_back(h.host_id);
    }
    q.after_host_id = page.back().host_id;
  }
  EXPECT_THAT(page_sizes, ElementsAre(10u, 10u, 5u, 0u));
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.front(), "host-00");

  HostQuery untrusted;
  untrusted.verdict = "untrusted";
  untrusted.limit = 4;
  ASSERT_OK_AND_ASSIGN(auto first, store->ListHosts(untrusted));
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(first[0].host_id, "host-00");
  EXPECT_EQ(first[3].host_id, "host-09");
  untrusted.after_host_id = first.back().host_id;
  untrusted.limit = 10;
  ASSERT_OK_AND_ASSIGN(auto rest, store->ListHosts(untrusted));
  ASSERT_EQ(rest.size(), 5u);  // 12, 15, 18, 21, 24
  for (const HostRecord& h : rest) {
    EXPECT_EQ(h.verdict, "untrusted");
  }
  HostQuery trusted;
  trusted.verdict = "trusted";
  ASSERT_OK_AND_ASSIGN(auto none, store->ListHosts(trusted));
  EXPECT_TRUE(none.empty());
}

TEST_F(SqliteStoreTest, ListHostsRefusesBadLimitAndVerdict) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  HostQuery q;
  q.limit = 0;
  EXPECT_THAT(store->ListHosts(q), StatusIs(Code::kInvalidArgument));
  q.limit = 1001;
  EXPECT_THAT(store->ListHosts(q), StatusIs(Code::kInvalidArgument));
  q.limit = 10;
  q.verdict = "maybe";
  EXPECT_THAT(store->ListHosts(q), StatusIs(Code::kInvalidArgument, HasSubstr("maybe")));
}

TEST_F(SqliteStoreTest, TakeNonceIsSingleUse) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-1"));
  NonceRecord n{ToBytes("nonce-0123456789"), "host-1", T(1000), false};
  ASSERT_OK(store->PutNonce(n));
  ASSERT_OK_AND_ASSIGN(NonceRecord first, store->TakeNonce("host-1", n.nonce));
  EXPECT_FALSE(first.used);
  EXPECT_EQ(first.nonce, n.nonce);
  EXPECT_EQ(first.host_id, "host-1");
  EXPECT_EQ(first.expires_at, n.expires_at);
  ASSERT_OK_AND_ASSIGN(NonceRecord second, store->TakeNonce("host-1", n.nonce));
  EXPECT_TRUE(second.used);
  EXPECT_EQ(second.expires_at, n.expires_at);
}

TEST_F(SqliteStoreTest, NonceErrors) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-1"));
  ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-2"));
  NonceRecord n{ToBytes("nonce-1"), "host-1", T(1000), false};
  ASSERT_OK(store->PutNonce(n));
  EXPECT_THAT(store->PutNonce(n), StatusIs(Code::kFailedPrecondition));
  // Issued to host-1, so unknown for host-2.
  EXPECT_THAT(store->TakeNonce("host-2", n.nonce), StatusIs(Code::kNotFound));
  EXPECT_THAT(store->TakeNonce("host-1", ToBytes("other")), StatusIs(Code::kNotFound));
  EXPECT_THAT(store->PutNonce({ToBytes("x"), "host-9", T(1000), false}),
              StatusIs(Code::kNotFound, HasSubstr("host-9")));
  EXPECT_THAT(store->PutNonce({Bytes(), "host-1", T(1000), false}),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(store->PutNonce({Bytes(65, 1), "host-1", T(1000), false}),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(store->TakeNonce("host-1", Bytes(65, 1)), StatusIs(Code::kInvalidArgument));
}

TEST_F(SqliteStoreTest, PurgeExpiredNoncesDeletesOnlyExpiredOnes) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-1"));
  ASSERT_OK(store->PutNonce({ToBytes("a"), "host-1", T(100), false}));
  ASSERT_OK(store->PutNonce({ToBytes("b"), "host-1", T(200), true}));
  ASSERT_OK(store->PutNonce({ToBytes("c"), "host-1", T(300), false}));
  EXPECT_THAT(store->PurgeExpiredNonces(T(200)), ::vouch::testing::IsOkAndHolds(1u));
  EXPECT_THAT(store->TakeNonce("host-1", ToBytes("a")), StatusIs(Code::kNotFound));
  EXPECT_THAT(store->PurgeExpiredNonces(T(1000)), ::vouch::testing::IsOkAndHolds(2u));
  EXPECT_THAT(store->PurgeExpiredNonces(T(1000)), ::vouch::testing::IsOkAndHolds(0u));
}

// Eight threads take one nonce at once, through one shared store and through
// one store (connection) per thread; exactly one sees it unused.
void RaceTakeNonce(const std::vector<Store*>& stores, int* winners, int* errors) {
  std::atomic<bool> go{false};
  std::atomic<int> won{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  threads.reserve(stores.size());
  const Bytes nonce = ToBytes("race-nonce");
  for (Store* s : stores) {
    threads.emplace_back([&, s] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      Result<NonceRecord> r = s->TakeNonce("host-1", nonce);
      if (!r.has_value()) {
        failed.fetch_add(1);
      } else if (!r->used) {
        won.fetch_add(1);
      }
    });
  }
  go.store(true);
  for (std::thread& t : threads) {
    t.join();
  }
  *winners = won.load();
  *errors = failed.load();
}

TEST_F(SqliteStoreTest, ConcurrentTakeNonceOnOneStoreHasExactlyOneWinner) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-1"));
  for (int round = 0; round < 5; ++round) {
    ASSERT_OK(store->PurgeExpiredNonces(T(1'000'000)).status());
    ASSERT_OK(store->PutNonce({ToBytes("race-nonce"), "host-1", T(1000), false}));
    int winners = 0;
    int errors = 0;
    RaceTakeNonce(std::vector<Store*>(8, store.get()), &winners, &errors);
    EXPECT_EQ(winners, 1) << "round " << round;
    EXPECT_EQ(errors, 0);
  }
}

TEST_F(SqliteStoreTest, ConcurrentTakeNonceOnEightConnectionsHasExactlyOneWinner) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, Open());
    ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-1"));
    ASSERT_OK(store->PutNonce({ToBytes("race-nonce"), "host-1", T(1000), false}));
  }
  std::vector<std::unique_ptr<Store>> owned;
  std::vector<Store*> stores;
  for (int i = 0; i < 8; ++i) {
    ASSERT_OK_AND_ASSIGN(auto s, Open());
    stores.push_back(s.get());
    owned.push_back(std::move(s));
  }
  int winners = 0;
  int errors = 0;
  RaceTakeNonce(stores, &winners, &errors);
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(errors, 0);
}

TEST_F(SqliteStoreTest, AddReportUpdatesHostAndKeepsUnsetCounters) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-1"));
  ReportRecord r = MakeReport("host-1", "trusted");
  r.appraised_at = T(500);
  r.reset_count = 3;
  r.restart_count = 4;
  ASSERT_OK_AND_ASSIGN(int64_t id1, store->AddReport(r));
  EXPECT_GT(id1, 0);

  ReportRecord r2 = MakeReport("host-1", "untrusted");
  r2.appraised_at = T(600);
  r2.restart_count = 5;  // reset_count unknown: the host keeps 3
  ASSERT_OK_AND_ASSIGN(int64_t id2, store->AddReport(r2));
  EXPECT_GT(id2, id1);

  ASSERT_OK_AND_ASSIGN(HostRecord h, store->GetHost("host-1"));
  EXPECT_EQ(h.verdict, "untrusted");
  EXPECT_EQ(h.last_report_at, std::optional<StoreTime>(T(600)));
  EXPECT_EQ(h.last_reset_count, std::optional<uint32_t>(3));
  EXPECT_EQ(h.last_restart_count, std::optional<uint32_t>(5));

  ASSERT_OK_AND_ASSIGN(auto latest, store->LatestReport("host-1"));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->id, id2);
  EXPECT_EQ(latest->host_id, "host-1");
  EXPECT_EQ(latest->appraised_at, T(600));
  EXPECT_EQ(latest->verdict, "untrusted");
  EXPECT_EQ(latest->report_json, r2.report_json);
  EXPECT_FALSE(latest->reset_count.has_value());
  EXPECT_EQ(latest->restart_count, std::optional<uint32_t>(5));
}

TEST_F(SqliteStoreTest, ReportErrors) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-1"));
  EXPECT_THAT(store->AddReport(MakeReport("host-9", "trusted")), StatusIs(Code::kNotFound));
  EXPECT_THAT(store->AddReport(MakeReport("host-1", "fine")), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(store->LatestReport("host-9"), StatusIs(Code::kNotFound));
  EXPECT_THAT(store->ListReports("host-9", 10, 0), StatusIs(Code::kNotFound));
  EXPECT_THAT(store->ListReports("host-1", 0, 0), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(store->ListReports("host-1", 10, -1), StatusIs(Code::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto latest, store->LatestReport("host-1"));
  EXPECT_FALSE(latest.has_value());
  // A refused report left the host untouched.
  ASSERT_OK_AND_ASSIGN(HostRecord h, store->GetHost("host-1"));
  EXPECT_EQ(h.verdict, "unknown");
  EXPECT_FALSE(h.last_report_at.has_value());
}

TEST_F(SqliteStoreTest, ListReportsIsNewestFirstAndPagesByBeforeId) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-1"));
  ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-2"));
  std::vector<int64_t> ids;
  for (int i = 0; i < 12; ++i) {
    ASSERT_OK_AND_ASSIGN(int64_t id, store->AddReport(MakeReport("host-1", "trusted")));
    ids.push_back(id);
    // Interleaved reports of another host must not show up.
    ASSERT_OK(store->AddReport(MakeReport("host-2", "untrusted")).status());
  }
  std::vector<int64_t> seen;
  int64_t before = 0;
  std::vector<size_t> page_sizes;
  while (true) {
    ASSERT_OK_AND_ASSIGN(auto page, store->ListReports("host-1", 5, before));
    page_sizes.push_back(page.size());
    if (page.empty()) {
      break;
    }
    for (const ReportRecord& r : page) {
      EXPECT_EQ(r.host_id, "host-1");
      seen.push_back(r.id);
    }
    before = page.back().id;
  }
  EXPECT_THAT(page_sizes, ElementsAre(5u, 5u, 2u, 0u));
  std::vector<int64_t> expected(ids.rbegin(), ids.rend());
  EXPECT_EQ(seen, expected);
}

TEST_F(SqliteStoreTest, DataIsThereAfterReopening) {
  int64_t report_id = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto store, Open());
    ASSERT_OK(store->CreateEnrollment(MakeEnrollment("enr-1", "ak-1")));
    ASSERT_OK(store->ActivateEnrollment("enr-1", MakeHost("host-1", "ak-1"), false));
    ASSERT_OK(store->PutNonce({ToBytes("n"), "host-1", T(1000), false}));
    ASSERT_OK_AND_ASSIGN(report_id, store->AddReport(MakeReport("host-1", "trusted")));
  }
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK_AND_ASSIGN(EnrollmentRecord e, store->GetEnrollment("enr-1"));
  EXPECT_EQ(e.host_id, std::optional<std::string>("host-1"));
  ASSERT_OK_AND_ASSIGN(HostRecord h, store->GetHost("host-1"));
  EXPECT_EQ(h.verdict, "trusted");
  ASSERT_OK_AND_ASSIGN(auto latest, store->LatestReport("host-1"));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->id, report_id);
  ASSERT_OK_AND_ASSIGN(NonceRecord n, store->TakeNonce("host-1", ToBytes("n")));
  EXPECT_FALSE(n.used);
}

TEST_F(SqliteStoreTest, OpensInWalModeWithForeignKeys) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  // journal_mode=WAL is persistent in the file; a second connection sees it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, MigrationsRunOnceAcrossReopens) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(auto store, Open());
    ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-" + std::to_string(i)));
  }
  EXPECT_EQ(QueryInt(path(), "SELECT COUNT(*) FROM schema_version"), kSqliteStoreSchemaVersion);
  EXPECT_EQ(QueryInt(path(), "SELECT MAX(version) FROM schema_version"), kSqliteStoreSchemaVersion);
  EXPECT_EQ(QueryInt(path(), "SELECT COUNT(*) FROM hosts"), 3);
}

TEST_F(SqliteStoreTest, RefusesNewerSchemaVersionNamingBoth) {
  { ASSERT_OK(Open().status()); }
  ExecSql(path(),
          "INSERT INTO schema_version (version, description, applied_at_us) "
          "VALUES (99, 'from the future', 0)");
  EXPECT_THAT(Open(),
              StatusIs(Code::kDataLoss,
                       AllOf(HasSubstr("99"),
                             HasSubstr("(" + std::to_string(kSqliteStoreSchemaVersion) + ")"))));
}

TEST_F(SqliteStoreTest, RefusesAFileThatIsNotSqlite) {
  {
    std::ofstream f(path(), std::ios::binary);
    for (int i = 0; i < 512; ++i) {
      f << "this is not a database ";
    }
  }
  EXPECT_THAT(Open(), StatusIs(Code::kDataLoss, HasSubstr("not a SQLite database")));
}

TEST_F(SqliteStoreTest, RefusesAnotherApplicationsSqliteDatabase) {
  ExecSql(path(), "CREATE TABLE songs (title TEXT)");
  EXPECT_THAT(Open(), StatusIs(Code::kDataLoss, HasSubstr("not a Vouch verifier database")));
  // Untouched: no schema_version table was added.
  EXPECT_EQ(QueryInt(path(), "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'schema_version'"),
            0);
}

TEST_F(SqliteStoreTest, MissingDirectoryIsUnavailable) {
  EXPECT_THAT(OpenSqliteStore(dir() + "/no/such/dir/vouch.db"), StatusIs(Code::kUnavailable));
  EXPECT_THAT(OpenSqliteStore(""), StatusIs(Code::kInvalidArgument));
}

TEST_F(SqliteStoreTest, WriteBlockedPastTheBusyTimeoutIsUnavailableAndWritesNothing) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-1"));
  // Another process's writer holds the lock for longer than the 5 s busy
  // timeout.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(store->AddReport(MakeReport("host-1", "trusted")),
              StatusIs(Code::kUnavailable, HasSubstr("add report")));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  // Reads still work while the other writer holds the lock (WAL).
  ASSERT_OK_AND_ASSIGN(HostRecord h, store->GetHost("host-1"));
  EXPECT_EQ(h.verdict, "unknown");
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  ASSERT_OK_AND_ASSIGN(auto latest, store->LatestReport("host-1"));
  EXPECT_FALSE(latest.has_value());
  EXPECT_OK(store->AddReport(MakeReport("host-1", "trusted")).status());
}

// The store's hot queries are index searches without a sort (the SQL here
// mirrors sqlite_store.cc; a migration that drops an index fails this).
TEST_F(SqliteStoreTest, HotQueriesUseIndexes) {
  { ASSERT_OK(Open().status()); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
  const char* queries[] = {
      "SELECT * FROM hosts WHERE host_id > ?1 ORDER BY host_id LIMIT ?2",
      "SELECT * FROM hosts WHERE host_id > ?1 AND verdict = ?2 ORDER BY host_id LIMIT ?3",
      "SELECT * FROM hosts WHERE ak_name = ?1",
      "UPDATE nonces SET used = 1 WHERE host_id = ?1 AND nonce = ?2 AND used = 0",
      "DELETE FROM nonces WHERE expires_at_us < ?1",
      "SELECT * FROM reports WHERE host_id = ?1 ORDER BY id DESC LIMIT 1",
      "SELECT * FROM reports WHERE host_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
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
    EXPECT_THAT(plan, HasSubstr("USING INDEX")) << q;
    EXPECT_THAT(plan, Not(HasSubstr("TEMP B-TREE"))) << q;
  }
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, TimesKeepMicrosecondsIncludingBeforeTheEpoch) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  HostRecord h = MakeHost("host-1", "ak-1");
  h.enrolled_at = StoreTime(std::chrono::microseconds(-1'234'567));
  ASSERT_OK(store->CreateEnrollment(MakeEnrollment("enr-1", "ak-1")));
  ASSERT_OK(store->ActivateEnrollment("enr-1", h, false));
  ASSERT_OK_AND_ASSIGN(HostRecord got, store->GetHost("host-1"));
  EXPECT_EQ(got.enrolled_at, h.enrolled_at);
}

}  // namespace
}  // namespace vouch::verifier
