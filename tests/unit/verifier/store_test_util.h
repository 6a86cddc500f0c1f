// Shared fixture of the store tests: a fresh temporary directory per test
// and builders for records with every field set.
#ifndef VOUCH_TESTS_UNIT_VERIFIER_STORE_TEST_UTIL_H_
#define VOUCH_TESTS_UNIT_VERIFIER_STORE_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "tests/testing/status_matchers.h"
#include "verifier/store/sqlite_store.h"

namespace vouch::verifier {

// A time `seconds` after an arbitrary fixed instant (whole microseconds, as
// the store keeps them).
inline StoreTime T(int64_t seconds) {
  return StoreTime(std::chrono::seconds(1'790'000'000 + seconds));
}

inline EnrollmentRecord MakeEnrollment(const std::string& id, const std::string& ak_name) {
  EnrollmentRecord e;
  e.id = id;
  e.ek_public = ToBytes("ek-public-" + id);
  e.ek_certificate = ToBytes("ek-cert-" + id);
  e.ak_public = ToBytes("ak-public-" + id);
  e.ak_name = ToBytes(ak_name);
  e.secret_digest = Bytes(32, 0xab);
  e.host_facts_json = R"({"hostname":"h-)" + id + R"("})";
  e.created_at = T(0) + std::chrono::microseconds(123);
  e.expires_at = T(300);
  return e;
}

inline HostRecord MakeHost(const std::string& host_id, const std::string& ak_name) {
  HostRecord h;
  h.host_id = host_id;
  h.hostname = host_id + ".example";
  h.ek_public = ToBytes("ek-public-" + host_id);
  h.ek_certificate = ToBytes("ek-cert-" + host_id);
  h.ak_public = ToBytes("ak-public-" + host_id);
  h.ak_name = ToBytes(ak_name);
  h.host_facts_json = R"({"os":"linux"})";
  h.enrolled_at = T(10);
  return h;
}

inline ReportRecord MakeReport(const std::string& host_id, const std::string& verdict) {
  ReportRecord r;
  r.host_id = host_id;
  r.appraised_at = T(20);
  r.verdict = verdict;
  r.report_json = R"({"verdict":")" + verdict + R"(","findings":[]})";
  return r;
}

// Runs SQL on the file with the plain sqlite3 API, to tamper with a
// database behind the store's back (or build an old schema by hand).
inline void ExecSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  const std::string message = err != nullptr ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

// The first column of the first row of `sql`, -1 when there is none.
inline int64_t QueryInt(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
  int64_t v = -1;
  if (sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

class StoreTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "vouch_store_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/verifier.db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  const std::string& dir() const { return dir_; }
  const std::string& path() const { return path_; }
  Result<std::unique_ptr<Store>> Open() { return OpenSqliteStore(path_); }

  // An enrolled host with AK name "ak-<host_id>".
  static void AddHost(Store& store, const std::string& host_id) {
    const std::string enrollment = "enr-" + host_id;
    ASSERT_OK(store.CreateEnrollment(MakeEnrollment(enrollment, "ak-" + host_id)));
    ASSERT_OK(store.ActivateEnrollment(enrollment, MakeHost(host_id, "ak-" + host_id), false));
  }

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace vouch::verifier

#endif  // VOUCH_TESTS_UNIT_VERIFIER_STORE_TEST_UTIL_H_
