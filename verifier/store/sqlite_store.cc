#include "verifier/store/sqlite_store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <cstdint>
#include <exception>
#include <limits>
#include <mutex>
#include <string_view>
#include <utility>

namespace vouch::verifier {
namespace {

// PRAGMA application_id of a Vouch verifier database ("Vch1"), so a SQLite
// file that belongs to something else is refused instead of migrated.
constexpr int32_t kApplicationId = 0x56636831;
constexpr int kBusyTimeoutMs = 5000;
constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxHostIdLength = 255;
constexpr size_t kMaxNonceLength = 64;  // a TPM2B_DATA qualifyingData is at most 64 bytes
constexpr size_t kMaxListLimit = 1000;

// One step of the schema. Migration N runs once, in its own transaction,
// when the database's schema_version is N-1; never edit a released one, add
// the next instead.
struct Migration {
  int version;
  const char* description;
  const char* sql;
};

// Times are INTEGER microseconds since the Unix epoch (UTC); binary fields
// are BLOB; counters are INTEGER, NULL when unknown. STRICT tables make
// SQLite refuse a value of the wrong type instead of converting it.
constexpr Migration kMigrations[] = {
    {1, "enrollments, hosts, nonces, reports",
     R"sql(
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
-- One AK belongs to one host: FindHostByAkName, and a stolen AK cannot be
-- enrolled under a second host id.
CREATE UNIQUE INDEX hosts_ak_name ON hosts (ak_name);
-- ListHosts filtered by verdict, paged by host id.
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
-- PurgeExpiredNonces.
CREATE INDEX nonces_expires_at ON nonces (expires_at_us);

-- AUTOINCREMENT: a report id is never reused, even after rows are deleted,
-- so an id quoted in a log or webhook names one report forever.
CREATE TABLE reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host_id TEXT NOT NULL REFERENCES hosts (host_id),
  appraised_at_us INTEGER NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('trusted', 'untrusted', 'unknown')),
  report_json TEXT NOT NULL,
  reset_count INTEGER,
  restart_count INTEGER
) STRICT;
-- LatestReport and ListReports: a host's reports, newest (highest id) first.
CREATE INDEX reports_host_id_id ON reports (host_id, id);
)sql"},
    {2, "host agent URL and identity changes, latest evidence, reference sets",
     R"sql(
-- Pull mode: the agent's base URL, '' when the host pushes.
ALTER TABLE hosts ADD COLUMN agent_url TEXT NOT NULL DEFAULT '';
-- A pending identity change (all three set, or all NULL).
ALTER TABLE hosts ADD COLUMN identity_change_enrollment_id TEXT;
ALTER TABLE hosts ADD COLUMN identity_change_reason TEXT
  CHECK (identity_change_reason IN ('ak_changed', 'ek_changed'));
ALTER TABLE hosts ADD COLUMN identity_change_at_us INTEGER;
-- FindHostByEkPublic.
CREATE INDEX hosts_ek_public_host_id ON hosts (ek_public, host_id);
-- ListHosts sorted by hostname or by last report time (ties by host id).
CREATE INDEX hosts_hostname_host_id ON hosts (hostname, host_id);
CREATE INDEX hosts_last_report_at_host_id ON hosts (last_report_at_us, host_id);

-- The latest verified evidence of each host (one row per host, replaced by
-- AddReport with evidence_json).
CREATE TABLE host_evidence (
  host_id TEXT PRIMARY KEY NOT NULL REFERENCES hosts (host_id),
  report_id INTEGER NOT NULL REFERENCES reports (id),
  appraised_at_us INTEGER NOT NULL,
  evidence_json TEXT NOT NULL
) STRICT;

-- Every version of every reference set; rows are never updated or
-- deleted. A deleting version has deleted = 1 and an empty document.
CREATE TABLE reference_sets (
  name TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
  document_json TEXT NOT NULL,
  entry_count INTEGER NOT NULL CHECK (entry_count >= 0),
  updated_at_us INTEGER NOT NULL,
  updated_by TEXT NOT NULL,
  PRIMARY KEY (name, version)
) STRICT;

-- ReferenceGeneration: one row, +1 in the transaction of every reference
-- set change, so readers in any process see that something changed.
CREATE TABLE reference_generation (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  generation INTEGER NOT NULL
) STRICT;
INSERT INTO reference_generation (id, generation) VALUES (1, 0);
)sql"},
};

constexpr int kLatestVersion = kMigrations[std::size(kMigrations) - 1].version;
static_assert(kLatestVersion == kSqliteStoreSchemaVersion);

int64_t ToMicros(StoreTime t) {
  return std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
}
StoreTime FromMicros(int64_t us) {
  return StoreTime(std::chrono::duration_cast<StoreTime::duration>(std::chrono::microseconds(us)));
}

// Turns a SQLiteCpp exception into a Status. Busy, locked, full disk and I/O
// errors may pass (Unavailable); a damaged or foreign file will not
// (DataLoss); anything else is a bug here or in SQLite (Internal).
Status FromSqlite(const SQLite::Exception& e, std::string_view what) {
  std::string message = std::string(what) + ": " + e.what();
  switch (e.getErrorCode() & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL: return UnavailableError(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return DataLossError(std::move(message));
    case SQLITE_CONSTRAINT: return FailedPreconditionError(std::move(message));
    default: return InternalError(std::move(message));
  }
}

bool IsValidEnrollmentId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) {
    return false;
  }
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

Status CheckEnrollmentId(std::string_view id) {
  if (!IsValidEnrollmentId(id)) {
    return InvalidArgumentError("enrollment id must match [A-Za-z0-9_-]{1,64}");
  }
  return Status::Ok();
}

Status CheckHostId(std::string_view host_id) {
  if (host_id.empty() || host_id.size() > kMaxHostIdLength) {
    return InvalidArgumentError("host id must be 1 to 255 bytes, got " +
                                std::to_string(host_id.size()));
  }
  return Status::Ok();
}

bool IsValidVerdict(std::string_view v) {
  return v == "trusted" || v == "untrusted" || v == "unknown";
}

Status CheckVerdict(std::string_view v) {
  if (!IsValidVerdict(v)) {
    return InvalidArgumentError("verdict must be trusted, untrusted or unknown, got '" +
                                std::string(v.substr(0, 32)) + "'");
  }
  return Status::Ok();
}

Status CheckLimit(size_t limit) {
  if (limit < 1 || limit > kMaxListLimit) {
    return InvalidArgumentError("limit must be 1..1000, got " + std::to_string(limit));
  }
  return Status::Ok();
}

Status CheckNonce(ByteView nonce) {
  if (nonce.empty() || nonce.size() > kMaxNonceLength) {
    return InvalidArgumentError("nonce must be 1 to 64 bytes, got " + std::to_string(nonce.size()));
  }
  return Status::Ok();
}

constexpr size_t kMaxAgentUrlLength = 2048;
constexpr size_t kMaxLabelFilters = 64;
constexpr size_t kMaxSetNameLength = 128;

Status CheckAgentUrl(std::string_view url) {
  if (url.size() > kMaxAgentUrlLength) {
    return InvalidArgumentError("agent URL must be at most 2048 bytes, got " +
                                std::to_string(url.size()));
  }
  return Status::Ok();
}

// [a-z0-9][a-z0-9._/-]{0,62}, the label names of the host facts
// (schemas/evidence.schema.json). Checked because the name goes into a JSON
// path: a quote or backslash would change the path's meaning.
bool IsLabelName(std::string_view name) {
  if (name.empty() || name.size() > 63) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '/' && c != '-'))) {
      return false;
    }
  }
  return true;
}

// [A-Za-z0-9._:-]{1,128} (policy::IsValidReferenceSetName; the store does
// not depend on policy/model for one character class).
Status CheckSetName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxSetNameLength;
  for (char c : name) {
    ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == ':' || c == '-');
  }
  if (!ok) {
    return InvalidArgumentError("reference set name must match [A-Za-z0-9._:-]{1,128}");
  }
  return Status::Ok();
}

// The host's hypervisor from its facts JSON, "unknown" when the facts are
// not JSON or name none. EncodeHostFacts writes {"hypervisor": {"kind":
// "xen", ...}}; a plain string member is accepted too. CASE, not AND: SQLite
// does not promise to short-circuit AND, and json_extract fails on text
// that is not JSON.
constexpr const char* kHypervisorExpr =
    "COALESCE(CASE WHEN json_valid(host_facts_json) THEN "
    "CASE json_type(host_facts_json, '$.hypervisor') "
    "WHEN 'object' THEN json_extract(host_facts_json, '$.hypervisor.kind') "
    "WHEN 'text' THEN json_extract(host_facts_json, '$.hypervisor') END END, 'unknown')";

// sqlite3_bind_blob binds NULL for a null pointer, and an empty vector's
// data() may be null; an empty field (no EK certificate) must stay an empty
// BLOB, not NULL.
void BindBlob(SQLite::Statement& st, int index, ByteView bytes) {
  static const uint8_t kEmpty = 0;
  st.bind(index, bytes.empty() ? &kEmpty : bytes.data(), static_cast<int>(bytes.size()));
}

void BindOptionalCount(SQLite::Statement& st, int index, const std::optional<uint32_t>& v) {
  if (v.has_value()) {
    st.bind(index, static_cast<int64_t>(*v));
  } else {
    st.bind(index);
  }
}

void BindOptionalText(SQLite::Statement& st, int index, const std::optional<std::string>& v) {
  if (v.has_value()) {
    st.bind(index, *v);
  } else {
    st.bind(index);
  }
}

Bytes ReadBlob(const SQLite::Column& c) {
  const auto* p = static_cast<const uint8_t*>(c.getBlob());
  const int n = c.getBytes();
  if (p == nullptr || n <= 0) {
    return {};
  }
  return Bytes(p, p + n);
}

Result<std::optional<uint32_t>> ReadOptionalCount(const SQLite::Column& c, std::string_view name) {
  if (c.isNull()) {
    return std::optional<uint32_t>();
  }
  const int64_t v = c.getInt64();
  if (v < 0 || v > std::numeric_limits<uint32_t>::max()) {
    return DataLossError("stored " + std::string(name) + " " + std::to_string(v) +
                         " is not a 32-bit counter");
  }
  return std::optional<uint32_t>(static_cast<uint32_t>(v));
}

Status CheckStoredVerdict(const std::string& v) {
  if (!IsValidVerdict(v)) {
    return DataLossError("stored verdict '" + v.substr(0, 32) + "' is not a verdict");
  }
  return Status::Ok();
}

constexpr const char* kEnrollmentColumns =
    "id, ek_public, ek_certificate, ak_public, ak_name, secret_digest, host_facts_json, "
    "created_at_us, expires_at_us, host_id";

Result<EnrollmentRecord> ReadEnrollment(const SQLite::Statement& st) {
  EnrollmentRecord r;
  r.id = st.getColumn(0).getString();
  r.ek_public = ReadBlob(st.getColumn(1));
  r.ek_certificate = ReadBlob(st.getColumn(2));
  r.ak_public = ReadBlob(st.getColumn(3));
  r.ak_name = ReadBlob(st.getColumn(4));
  r.secret_digest = ReadBlob(st.getColumn(5));
  r.host_facts_json = st.getColumn(6).getString();
  r.created_at = FromMicros(st.getColumn(7).getInt64());
  r.expires_at = FromMicros(st.getColumn(8).getInt64());
  if (!st.getColumn(9).isNull()) {
    r.host_id = st.getColumn(9).getString();
  }
  return r;
}

// The columns ActivateEnrollment writes (13 values)...
constexpr const char* kHostWriteColumns =
    "host_id, hostname, ek_public, ek_certificate, ak_public, ak_name, host_facts_json, "
    "enrolled_at_us, last_reset_count, last_restart_count, verdict, last_report_at_us, "
    "agent_url";
// ...and the ones ReadHost reads: those plus the identity change.
constexpr const char* kHostColumns =
    "host_id, hostname, ek_public, ek_certificate, ak_public, ak_name, host_facts_json, "
    "enrolled_at_us, last_reset_count, last_restart_count, verdict, last_report_at_us, "
    "agent_url, identity_change_enrollment_id, identity_change_reason, identity_change_at_us";

Result<HostRecord> ReadHost(const SQLite::Statement& st) {
  HostRecord h;
  h.host_id = st.getColumn(0).getString();
  h.hostname = st.getColumn(1).getString();
  h.ek_public = ReadBlob(st.getColumn(2));
  h.ek_certificate = ReadBlob(st.getColumn(3));
  h.ak_public = ReadBlob(st.getColumn(4));
  h.ak_name = ReadBlob(st.getColumn(5));
  h.host_facts_json = st.getColumn(6).getString();
  h.enrolled_at = FromMicros(st.getColumn(7).getInt64());
  VOUCH_ASSIGN_OR_RETURN(h.last_reset_count,
                         ReadOptionalCount(st.getColumn(8), "last_reset_count"));
  VOUCH_ASSIGN_OR_RETURN(h.last_restart_count,
                         ReadOptionalCount(st.getColumn(9), "last_restart_count"));
  h.verdict = st.getColumn(10).getString();
  VOUCH_RETURN_IF_ERROR(CheckStoredVerdict(h.verdict));
  if (!st.getColumn(11).isNull()) {
    h.last_report_at = FromMicros(st.getColumn(11).getInt64());
  }
  h.agent_url = st.getColumn(12).getString();
  if (!st.getColumn(13).isNull()) {
    if (st.getColumn(14).isNull() || st.getColumn(15).isNull()) {
      return DataLossError("host '" + h.host_id + "' has an incomplete identity change");
    }
    IdentityChange change;
    change.enrollment_id = st.getColumn(13).getString();
    change.reason = st.getColumn(14).getString();
    change.detected_at = FromMicros(st.getColumn(15).getInt64());
    h.identity_change = std::move(change);
  }
  return h;
}

constexpr const char* kReportColumns =
    "id, host_id, appraised_at_us, verdict, report_json, reset_count, restart_count";

Result<ReportRecord> ReadReport(const SQLite::Statement& st) {
  ReportRecord r;
  r.id = st.getColumn(0).getInt64();
  r.host_id = st.getColumn(1).getString();
  r.appraised_at = FromMicros(st.getColumn(2).getInt64());
  r.verdict = st.getColumn(3).getString();
  VOUCH_RETURN_IF_ERROR(CheckStoredVerdict(r.verdict));
  r.report_json = st.getColumn(4).getString();
  VOUCH_ASSIGN_OR_RETURN(r.reset_count, ReadOptionalCount(st.getColumn(5), "reset_count"));
  VOUCH_ASSIGN_OR_RETURN(r.restart_count, ReadOptionalCount(st.getColumn(6), "restart_count"));
  return r;
}

bool HostExists(SQLite::Database& db, const std::string& host_id) {
  SQLite::Statement st(db, "SELECT 1 FROM hosts WHERE host_id = ?");
  st.bind(1, host_id);
  return st.executeStep();
}

// The host (other than `except_host_id`) that already uses this AK, if any.
std::optional<std::string> HostWithAk(SQLite::Database& db, ByteView ak_name,
                                      const std::string& except_host_id) {
  SQLite::Statement st(db, "SELECT host_id FROM hosts WHERE ak_name = ? AND host_id <> ?");
  BindBlob(st, 1, ak_name);
  st.bind(2, except_host_id);
  if (st.executeStep()) {
    return st.getColumn(0).getString();
  }
  return std::nullopt;
}

// Nonce writes commit without their own fdatasync (synchronous = NORMAL for
// that one transaction; WAL keeps the file consistent at every level). A
// nonce needs no durability of its own: if the machine crashes before the
// next durable commit, issued nonces are forgotten (their submissions get
// quote.nonce_unknown and the agent retries). Its "used" mark cannot be lost
// once a report exists: the WAL is sequential, so the report's FULL commit
// flushes every earlier frame, the mark included. Saves one of the three
// fsyncs of an attestation (challenge, take, report) each, two in all.
class RelaxedSyncScope {
 public:
  explicit RelaxedSyncScope(SQLite::Database& db) : db_(db) {
    db_.exec("PRAGMA synchronous = NORMAL");
  }
  ~RelaxedSyncScope() {
    try {
      db_.exec("PRAGMA synchronous = FULL");
    } catch (...) {  // NOLINT(bugprone-empty-catch): reported by the next write's Run()
    }
  }
  RelaxedSyncScope(const RelaxedSyncScope&) = delete;
  RelaxedSyncScope& operator=(const RelaxedSyncScope&) = delete;

 private:
  SQLite::Database& db_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}

  Status CreateEnrollment(const EnrollmentRecord& record) override {
    VOUCH_RETURN_IF_ERROR(CheckEnrollmentId(record.id));
    if (record.host_id.has_value()) {
      VOUCH_RETURN_IF_ERROR(CheckHostId(*record.host_id));
    }
    return Run("create enrollment", [&]() -> Status {
      SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
      {
        SQLite::Statement exists(*db_, "SELECT 1 FROM enrollments WHERE id = ?");
        exists.bind(1, record.id);
        if (exists.executeStep()) {
          return FailedPreconditionError("enrollment '" + record.id + "' already exists");
        }
      }
      if (record.host_id.has_value() && !HostExists(*db_, *record.host_id)) {
        return NotFoundError("host '" + *record.host_id + "' not found");
      }
      SQLite::Statement st(*db_, std::string("INSERT INTO enrollments (") + kEnrollmentColumns +
                                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      st.bind(1, record.id);
      BindBlob(st, 2, record.ek_public);
      BindBlob(st, 3, record.ek_certificate);
      BindBlob(st, 4, record.ak_public);
      BindBlob(st, 5, record.ak_name);
      BindBlob(st, 6, record.secret_digest);
      st.bind(7, record.host_facts_json);
      st.bind(8, ToMicros(record.created_at));
      st.bind(9, ToMicros(record.expires_at));
      BindOptionalText(st, 10, record.host_id);
      st.exec();
      tx.commit();
      return Status::Ok();
    });
  }

  Result<EnrollmentRecord> GetEnrollment(const std::string& id) override {
    VOUCH_RETURN_IF_ERROR(CheckEnrollmentId(id));
    return Run("get enrollment", [&]() -> Result<EnrollmentRecord> {
      SQLite::Statement st(
          *db_, std::string("SELECT ") + kEnrollmentColumns + " FROM enrollments WHERE id = ?");
      st.bind(1, id);
      if (!st.executeStep()) {
        return NotFoundError("enrollment '" + id + "' not found");
      }
      return ReadEnrollment(st);
    });
  }

  Status ActivateEnrollment(const std::string& enrollment_id, const HostRecord& host,
                            bool replace) override {
    VOUCH_RETURN_IF_ERROR(CheckEnrollmentId(enrollment_id));
    VOUCH_RETURN_IF_ERROR(CheckHostId(host.host_id));
    VOUCH_RETURN_IF_ERROR(CheckVerdict(host.verdict));
    VOUCH_RETURN_IF_ERROR(CheckAgentUrl(host.agent_url));
    return Run("activate enrollment", [&]() -> Status {
      SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
      {
        SQLite::Statement st(*db_, "SELECT host_id FROM enrollments WHERE id = ?");
        st.bind(1, enrollment_id);
        if (!st.executeStep()) {
          return NotFoundError("enrollment '" + enrollment_id + "' not found");
        }
        if (!st.getColumn(0).isNull()) {
          return FailedPreconditionError("enrollment '" + enrollment_id +
                                         "' is already activated (host '" +
                                         st.getColumn(0).getString() + "')");
        }
      }
      const bool exists = HostExists(*db_, host.host_id);
      if (exists && !replace) {
        return FailedPreconditionError("host '" + host.host_id + "' already exists");
      }
      if (auto other = HostWithAk(*db_, host.ak_name, host.host_id)) {
        return FailedPreconditionError("the AK is already enrolled as host '" + *other + "'");
      }
      // An upsert, not DELETE + INSERT: the host's reports, nonces and older
      // enrollments keep pointing at it.
      // The identity change is cleared: activating with replace is the
      // admin's approval of the new keys.
      SQLite::Statement st(*db_, std::string("INSERT INTO hosts (") + kHostWriteColumns +
                                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                                     "ON CONFLICT (host_id) DO UPDATE SET "
                                     "hostname = excluded.hostname, "
                                     "ek_public = excluded.ek_public, "
                                     "ek_certificate = excluded.ek_certificate, "
                                     "ak_public = excluded.ak_public, "
                                     "ak_name = excluded.ak_name, "
                                     "host_facts_json = excluded.host_facts_json, "
                                     "enrolled_at_us = excluded.enrolled_at_us, "
                                     "last_reset_count = excluded.last_reset_count, "
                                     "last_restart_count = excluded.last_restart_count, "
                                     "verdict = excluded.verdict, "
                                     "last_report_at_us = excluded.last_report_at_us, "
                                     "agent_url = excluded.agent_url, "
                                     "identity_change_enrollment_id = NULL, "
                                     "identity_change_reason = NULL, "
                                     "identity_change_at_us = NULL");
      st.bind(1, host.host_id);
      st.bind(2, host.hostname);
      BindBlob(st, 3, host.ek_public);
      BindBlob(st, 4, host.ek_certificate);
      BindBlob(st, 5, host.ak_public);
      BindBlob(st, 6, host.ak_name);
      st.bind(7, host.host_facts_json);
      st.bind(8, ToMicros(host.enrolled_at));
      BindOptionalCount(st, 9, host.last_reset_count);
      BindOptionalCount(st, 10, host.last_restart_count);
      st.bind(11, host.verdict);
      if (host.last_report_at.has_value()) {
        st.bind(12, ToMicros(*host.last_report_at));
      } else {
        st.bind(12);
      }
      st.bind(13, host.agent_url);
      st.exec();
      SQLite::Statement mark(*db_, "UPDATE enrollments SET host_id = ? WHERE id = ?");
      mark.bind(1, host.host_id);
      mark.bind(2, enrollment_id);
      mark.exec();
      tx.commit();
      return Status::Ok();
    });
  }

  Result<HostRecord> GetHost(const std::string& host_id) override {
    VOUCH_RETURN_IF_ERROR(CheckHostId(host_id));
    return Run("get host", [&]() -> Result<HostRecord> {
      SQLite::Statement st(*db_,
                           std::string("SELECT ") + kHostColumns + " FROM hosts WHERE host_id = ?");
      st.bind(1, host_id);
      if (!st.executeStep()) {
        return NotFoundError("host '" + host_id + "' not found");
      }
      return ReadHost(st);
    });
  }

  Result<std::optional<HostRecord>> FindHostByAkName(ByteView ak_name) override {
    return Run("find host by AK name", [&]() -> Result<std::optional<HostRecord>> {
      SQLite::Statement st(*db_,
                           std::string("SELECT ") + kHostColumns + " FROM hosts WHERE ak_name = ?");
      BindBlob(st, 1, ak_name);
      if (!st.executeStep()) {
        return std::optional<HostRecord>();
      }
      VOUCH_ASSIGN_OR_RETURN(HostRecord h, ReadHost(st));
      return std::optional<HostRecord>(std::move(h));
    });
  }

  Result<std::vector<HostRecord>> ListHosts(const HostQuery& query) override {
    VOUCH_RETURN_IF_ERROR(CheckLimit(query.limit));
    if (query.verdict.has_value()) {
      VOUCH_RETURN_IF_ERROR(CheckVerdict(*query.verdict));
    }
    const bool keyset = query.sort == HostSort::kHostId && !query.descending;
    if (!query.after_host_id.empty() && !keyset) {
      return InvalidArgumentError(
          "after_host_id pages only hosts sorted by host id ascending; use offset");
    }
    if (query.offset > static_cast<size_t>(std::numeric_limits<int64_t>::max())) {
      return InvalidArgumentError("offset too large");
    }
    if (query.labels.size() > kMaxLabelFilters) {
      return InvalidArgumentError("at most 64 label filters, got " +
                                  std::to_string(query.labels.size()));
    }
    for (const auto& [name, value] : query.labels) {
      if (!IsLabelName(name)) {
        return InvalidArgumentError("label filter name '" + name.substr(0, 64) +
                                    "' must match [a-z0-9][a-z0-9._/-]{0,62}");
      }
    }
    return Run("list hosts", [&]() -> Result<std::vector<HostRecord>> {
      // Only the filters asked for are in the statement, rather than
      // "(? IS NULL OR verdict = ?)", which would keep SQLite from using
      // the (verdict, host_id) index.
      std::string sql = std::string("SELECT ") + kHostColumns + " FROM hosts WHERE host_id > ?";
      if (query.verdict.has_value()) {
        sql += " AND verdict = ?";
      }
      if (query.hypervisor.has_value()) {
        sql += std::string(" AND ") + kHypervisorExpr + " = ?";
      }
      for (size_t k = 0; k < query.labels.size(); ++k) {
        sql +=
            " AND CASE WHEN json_valid(host_facts_json) THEN "
            "json_extract(host_facts_json, ?) END = ?";
      }
      const char* dir = query.descending ? " DESC" : "";
      switch (query.sort) {
        case HostSort::kHostId: sql += std::string(" ORDER BY host_id") + dir; break;
        case HostSort::kHostname:
          sql += std::string(" ORDER BY hostname") + dir + ", host_id" + dir;
          break;
        case HostSort::kLastReportAt:
          sql += std::string(" ORDER BY last_report_at_us") + dir + ", host_id" + dir;
          break;
        case HostSort::kVerdict:
          sql += std::string(" ORDER BY verdict") + dir + ", host_id" + dir;
          break;
      }
      sql += " LIMIT ? OFFSET ?";
      SQLite::Statement st(*db_, sql);
      int i = 1;
      st.bind(i++, query.after_host_id);
      if (query.verdict.has_value()) {
        st.bind(i++, *query.verdict);
      }
      if (query.hypervisor.has_value()) {
        st.bind(i++, *query.hypervisor);
      }
      for (const auto& [name, value] : query.labels) {
        // Quoted: label names may contain '.' and '/'.
        st.bind(i++, "$.labels.\"" + name + "\"");
        st.bind(i++, value);
      }
      st.bind(i++, static_cast<int64_t>(query.limit));
      st.bind(i, static_cast<int64_t>(query.offset));
      std::vector<HostRecord> hosts;
      while (st.executeStep()) {
        VOUCH_ASSIGN_OR_RETURN(HostRecord h, ReadHost(st));
        hosts.push_back(std::move(h));
      }
      return hosts;
    });
  }

  Status PutNonce(const NonceRecord& nonce) override {
    VOUCH_RETURN_IF_ERROR(CheckHostId(nonce.host_id));
    VOUCH_RETURN_IF_ERROR(CheckNonce(nonce.nonce));
    return Run("put nonce", [&]() -> Status {
      RelaxedSyncScope relaxed(*db_);
      SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
      if (!HostExists(*db_, nonce.host_id)) {
        return NotFoundError("host '" + nonce.host_id + "' not found");
      }
      SQLite::Statement st(*db_,
                           "INSERT INTO nonces (host_id, nonce, expires_at_us, used) "
                           "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING");
      st.bind(1, nonce.host_id);
      BindBlob(st, 2, nonce.nonce);
      st.bind(3, ToMicros(nonce.expires_at));
      st.bind(4, nonce.used ? 1 : 0);
      if (st.exec() == 0) {
        return FailedPreconditionError("this nonce was already issued to host '" + nonce.host_id +
                                       "'");
      }
      tx.commit();
      return Status::Ok();
    });
  }

  Result<NonceRecord> TakeNonce(const std::string& host_id, ByteView nonce) override {
    VOUCH_RETURN_IF_ERROR(CheckHostId(host_id));
    VOUCH_RETURN_IF_ERROR(CheckNonce(nonce));
    return Run("take nonce", [&]() -> Result<NonceRecord> {
      // The conditional UPDATE is what makes a nonce single-use, also
      // between processes sharing the file: of all callers, exactly one
      // changes the row from 0 to 1.
      RelaxedSyncScope relaxed(*db_);
      SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
      SQLite::Statement take(*db_,
                             "UPDATE nonces SET used = 1 "
                             "WHERE host_id = ? AND nonce = ? AND used = 0");
      take.bind(1, host_id);
      BindBlob(take, 2, nonce);
      const bool was_unused = take.exec() == 1;
      SQLite::Statement read(*db_,
                             "SELECT expires_at_us FROM nonces WHERE host_id = ? AND nonce = ?");
      read.bind(1, host_id);
      BindBlob(read, 2, nonce);
      if (!read.executeStep()) {
        return NotFoundError("no such nonce was issued to host '" + host_id + "'");
      }
      NonceRecord r;
      r.nonce = ToBytes(nonce);
      r.host_id = host_id;
      r.expires_at = FromMicros(read.getColumn(0).getInt64());
      r.used = !was_unused;
      tx.commit();
      return r;
    });
  }

  Result<size_t> PurgeExpiredNonces(StoreTime now) override {
    return Run("purge expired nonces", [&]() -> Result<size_t> {
      SQLite::Statement st(*db_, "DELETE FROM nonces WHERE expires_at_us < ?");
      st.bind(1, ToMicros(now));
      return static_cast<size_t>(st.exec());
    });
  }

  Result<int64_t> AddReport(const ReportRecord& report) override {
    VOUCH_RETURN_IF_ERROR(CheckHostId(report.host_id));
    VOUCH_RETURN_IF_ERROR(CheckVerdict(report.verdict));
    return Run("add report", [&]() -> Result<int64_t> {
      SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
      // The host row is updated first: no row changed means no such host,
      // before anything is inserted.
      SQLite::Statement host(*db_,
                             "UPDATE hosts SET verdict = ?, last_report_at_us = ?, "
                             "last_reset_count = COALESCE(?, last_reset_count), "
                             "last_restart_count = COALESCE(?, last_restart_count) "
                             "WHERE host_id = ?");
      host.bind(1, report.verdict);
      host.bind(2, ToMicros(report.appraised_at));
      BindOptionalCount(host, 3, report.reset_count);
      BindOptionalCount(host, 4, report.restart_count);
      host.bind(5, report.host_id);
      if (host.exec() == 0) {
        return NotFoundError("host '" + report.host_id + "' not found");
      }
      if (report.host_facts_json.has_value()) {
        SQLite::Statement facts(*db_, "UPDATE hosts SET host_facts_json = ? WHERE host_id = ?");
        facts.bind(1, *report.host_facts_json);
        facts.bind(2, report.host_id);
        facts.exec();
      }
      SQLite::Statement st(*db_,
                           "INSERT INTO reports (host_id, appraised_at_us, verdict, report_json, "
                           "reset_count, restart_count) VALUES (?, ?, ?, ?, ?, ?)");
      st.bind(1, report.host_id);
      st.bind(2, ToMicros(report.appraised_at));
      st.bind(3, report.verdict);
      st.bind(4, report.report_json);
      BindOptionalCount(st, 5, report.reset_count);
      BindOptionalCount(st, 6, report.restart_count);
      st.exec();
      const int64_t id = db_->getLastInsertRowid();
      if (report.evidence_json.has_value()) {
        SQLite::Statement ev(*db_,
                             "INSERT INTO host_evidence (host_id, report_id, appraised_at_us, "
                             "evidence_json) VALUES (?, ?, ?, ?) ON CONFLICT (host_id) DO UPDATE "
                             "SET report_id = excluded.report_id, "
                             "appraised_at_us = excluded.appraised_at_us, "
                             "evidence_json = excluded.evidence_json");
        ev.bind(1, report.host_id);
        ev.bind(2, id);
        ev.bind(3, ToMicros(report.appraised_at));
        ev.bind(4, *report.evidence_json);
        ev.exec();
      }
      // OK only after COMMIT returned: with synchronous=FULL the WAL frame
      // holding this report has been fsync'ed.
      tx.commit();
      return id;
    });
  }

  Result<std::optional<ReportRecord>> LatestReport(const std::string& host_id) override {
    VOUCH_RETURN_IF_ERROR(CheckHostId(host_id));
    return Run("latest report", [&]() -> Result<std::optional<ReportRecord>> {
      if (!HostExists(*db_, host_id)) {
        return NotFoundError("host '" + host_id + "' not found");
      }
      SQLite::Statement st(*db_, std::string("SELECT ") + kReportColumns +
                                     " FROM reports WHERE host_id = ? ORDER BY id DESC LIMIT 1");
      st.bind(1, host_id);
      if (!st.executeStep()) {
        return std::optional<ReportRecord>();
      }
      VOUCH_ASSIGN_OR_RETURN(ReportRecord r, ReadReport(st));
      return std::optional<ReportRecord>(std::move(r));
    });
  }

  Result<std::vector<ReportRecord>> ListReports(const std::string& host_id, size_t limit,
                                                int64_t before_id) override {
    VOUCH_RETURN_IF_ERROR(CheckHostId(host_id));
    VOUCH_RETURN_IF_ERROR(CheckLimit(limit));
    if (before_id < 0) {
      return InvalidArgumentError("before_id must be >= 0, got " + std::to_string(before_id));
    }
    return Run("list reports", [&]() -> Result<std::vector<ReportRecord>> {
      if (!HostExists(*db_, host_id)) {
        return NotFoundError("host '" + host_id + "' not found");
      }
      SQLite::Statement st(*db_, std::string("SELECT ") + kReportColumns +
                                     " FROM reports WHERE host_id = ? AND id < ? "
                                     "ORDER BY id DESC LIMIT ?");
      st.bind(1, host_id);
      st.bind(2, before_id == 0 ? std::numeric_limits<int64_t>::max() : before_id);
      st.bind(3, static_cast<int64_t>(limit));
      std::vector<ReportRecord> reports;
      while (st.executeStep()) {
        VOUCH_ASSIGN_OR_RETURN(ReportRecord r, ReadReport(st));
        reports.push_back(std::move(r));
      }
      return reports;
    });
  }

  Result<std::optional<HostRecord>> FindHostByEkPublic(ByteView ek_public) override {
    return Run("find host by EK public", [&]() -> Result<std::optional<HostRecord>> {
      // Several host ids may share an EK (a host re-enrolled under a new
      // id without its old one being removed): the lowest id answers.
      SQLite::Statement st(*db_, std::string("SELECT ") + kHostColumns +
                                     " FROM hosts WHERE ek_public = ? ORDER BY host_id LIMIT 1");
      BindBlob(st, 1, ek_public);
      if (!st.executeStep()) {
        return std::optional<HostRecord>();
      }
      VOUCH_ASSIGN_OR_RETURN(HostRecord h, ReadHost(st));
      return std::optional<HostRecord>(std::move(h));
    });
  }

  Result<std::optional<HostRecord>> FindHostByMachineId(std::string_view machine_id) override {
    if (machine_id.empty()) return std::optional<HostRecord>();
    if (machine_id.size() > 64) {
      return InvalidArgumentError("machine id longer than 64 bytes");
    }
    return Run("find host by machine id", [&]() -> Result<std::optional<HostRecord>> {
      // Enrollment is rare: a scan of the facts is fine (no index on JSON).
      SQLite::Statement st(*db_, std::string("SELECT ") + kHostColumns +
                                     " FROM hosts WHERE json_valid(host_facts_json) AND "
                                     "json_extract(host_facts_json, '$.machine_id') = ? "
                                     "ORDER BY host_id LIMIT 1");
      st.bind(1, std::string(machine_id));
      if (!st.executeStep()) {
        return std::optional<HostRecord>();
      }
      VOUCH_ASSIGN_OR_RETURN(HostRecord h, ReadHost(st));
      return std::optional<HostRecord>(std::move(h));
    });
  }

  Result<FleetSummary> Summarize(StoreTime stale_before) override {
    return Run("summarize hosts", [&]() -> Result<FleetSummary> {
      FleetSummary summary;
      for (const char* v : {"trusted", "untrusted", "unknown"}) {
        summary.by_verdict[v] = 0;
      }
      // One read transaction: the counts agree with each other even while
      // reports are being added.
      SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::DEFERRED);
      {
        SQLite::Statement st(
            *db_,
            "SELECT COUNT(*), "
            "COALESCE(SUM(last_report_at_us IS NULL OR last_report_at_us < ?), 0), "
            "COALESCE(SUM(identity_change_reason IS NOT NULL), 0) FROM hosts");
        st.bind(1, ToMicros(stale_before));
        st.executeStep();
        summary.hosts = static_cast<size_t>(st.getColumn(0).getInt64());
        summary.stale = static_cast<size_t>(st.getColumn(1).getInt64());
        summary.identity_changes = static_cast<size_t>(st.getColumn(2).getInt64());
      }
      {
        SQLite::Statement st(*db_, "SELECT verdict, COUNT(*) FROM hosts GROUP BY verdict");
        while (st.executeStep()) {
          const std::string verdict = st.getColumn(0).getString();
          VOUCH_RETURN_IF_ERROR(CheckStoredVerdict(verdict));
          summary.by_verdict[verdict] = static_cast<size_t>(st.getColumn(1).getInt64());
        }
      }
      {
        SQLite::Statement st(*db_, std::string("SELECT CAST(") + kHypervisorExpr +
                                       " AS TEXT) AS hv, COUNT(*) FROM hosts GROUP BY hv");
        while (st.executeStep()) {
          summary.by_hypervisor[st.getColumn(0).getString()] +=
              static_cast<size_t>(st.getColumn(1).getInt64());
        }
      }
      tx.commit();
      return summary;
    });
  }

  Status SetAgentUrl(const std::string& host_id, const std::string& url) override {
    VOUCH_RETURN_IF_ERROR(CheckHostId(host_id));
    VOUCH_RETURN_IF_ERROR(CheckAgentUrl(url));
    return Run("set agent URL", [&]() -> Status {
      SQLite::Statement st(*db_, "UPDATE hosts SET agent_url = ? WHERE host_id = ?");
      st.bind(1, url);
      st.bind(2, host_id);
      if (st.exec() == 0) {
        return NotFoundError("host '" + host_id + "' not found");
      }
      return Status::Ok();
    });
  }

  Status FlagIdentityChange(const std::string& host_id, const IdentityChange& change) override {
    VOUCH_RETURN_IF_ERROR(CheckHostId(host_id));
    VOUCH_RETURN_IF_ERROR(CheckEnrollmentId(change.enrollment_id));
    if (change.reason != "ak_changed" && change.reason != "ek_changed") {
      return InvalidArgumentError("identity change reason must be ak_changed or ek_changed, got '" +
                                  change.reason.substr(0, 32) + "'");
    }
    return Run("flag identity change", [&]() -> Status {
      // One statement, so one implicit transaction: the flag and the
      // verdict change together.
      SQLite::Statement st(*db_,
                           "UPDATE hosts SET identity_change_enrollment_id = ?, "
                           "identity_change_reason = ?, identity_change_at_us = ?, "
                           "verdict = 'untrusted' WHERE host_id = ?");
      st.bind(1, change.enrollment_id);
      st.bind(2, change.reason);
      st.bind(3, ToMicros(change.detected_at));
      st.bind(4, host_id);
      if (st.exec() == 0) {
        return NotFoundError("host '" + host_id + "' not found");
      }
      return Status::Ok();
    });
  }

  Result<std::optional<StoredEvidence>> LatestEvidence(const std::string& host_id) override {
    VOUCH_RETURN_IF_ERROR(CheckHostId(host_id));
    return Run("latest evidence", [&]() -> Result<std::optional<StoredEvidence>> {
      SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::DEFERRED);
      if (!HostExists(*db_, host_id)) {
        return NotFoundError("host '" + host_id + "' not found");
      }
      SQLite::Statement st(*db_,
                           "SELECT report_id, appraised_at_us, evidence_json FROM host_evidence "
                           "WHERE host_id = ?");
      st.bind(1, host_id);
      if (!st.executeStep()) {
        return std::optional<StoredEvidence>();
      }
      StoredEvidence e;
      e.report_id = st.getColumn(0).getInt64();
      e.appraised_at = FromMicros(st.getColumn(1).getInt64());
      e.evidence_json = st.getColumn(2).getString();
      return std::optional<StoredEvidence>(std::move(e));
    });
  }

  Result<int64_t> PutReferenceSet(const ReferenceSetRecord& record,
                                  std::optional<int64_t> expected_version) override {
    VOUCH_RETURN_IF_ERROR(CheckSetName(record.name));
    if (record.deleted) {
      return InvalidArgumentError("PutReferenceSet stores a set; use DeleteReferenceSet");
    }
    if (record.document_json.empty()) {
      return InvalidArgumentError("reference set '" + record.name + "' has an empty document");
    }
    if (expected_version.has_value() && *expected_version < 0) {
      return InvalidArgumentError("expected_version must be >= 0, got " +
                                  std::to_string(*expected_version));
    }
    return Run("put reference set", [&]() -> Result<int64_t> {
      // IMMEDIATE: the version check and the insert are one step for every
      // writer, in this process or another.
      SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
      VOUCH_ASSIGN_OR_RETURN(const SetHead head, ReadSetHead(record.name));
      const int64_t current = head.deleted ? 0 : head.version;
      if (expected_version.has_value() && *expected_version != current) {
        return FailedPreconditionError("reference set '" + record.name + "' is at version " +
                                       std::to_string(current) + (current == 0 ? " (absent)" : "") +
                                       ", not the expected " + std::to_string(*expected_version));
      }
      const int64_t version = head.version + 1;
      InsertSetVersion(record.name, version, false, record.document_json, record.entry_count,
                       record.updated_at, record.updated_by);
      tx.commit();
      return version;
    });
  }

  Result<int64_t> DeleteReferenceSet(const std::string& name, StoreTime at,
                                     const std::string& by) override {
    VOUCH_RETURN_IF_ERROR(CheckSetName(name));
    return Run("delete reference set", [&]() -> Result<int64_t> {
      SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
      VOUCH_ASSIGN_OR_RETURN(const SetHead head, ReadSetHead(name));
      if (head.version == 0 || head.deleted) {
        return NotFoundError("reference set '" + name + "' not found");
      }
      const int64_t version = head.version + 1;
      InsertSetVersion(name, version, true, "", 0, at, by);
      tx.commit();
      return version;
    });
  }

  Result<ReferenceSetRecord> GetReferenceSet(const std::string& name,
                                             std::optional<int64_t> version) override {
    VOUCH_RETURN_IF_ERROR(CheckSetName(name));
    if (version.has_value() && *version < 1) {
      return InvalidArgumentError("reference set version must be >= 1, got " +
                                  std::to_string(*version));
    }
    return Run("get reference set", [&]() -> Result<ReferenceSetRecord> {
      std::string sql =
          std::string("SELECT ") + kSetColumns + " FROM reference_sets WHERE name = ?";
      sql += version.has_value() ? " AND version = ?" : " ORDER BY version DESC LIMIT 1";
      SQLite::Statement st(*db_, sql);
      st.bind(1, name);
      if (version.has_value()) {
        st.bind(2, *version);
      }
      if (!st.executeStep()) {
        if (version.has_value()) {
          return NotFoundError("reference set '" + name + "' has no version " +
                               std::to_string(*version));
        }
        return NotFoundError("reference set '" + name + "' not found");
      }
      VOUCH_ASSIGN_OR_RETURN(ReferenceSetRecord r, ReadSet(st));
      // A deleting version has no document to give: the set does not exist
      // at that version (its older versions stay readable by number).
      if (r.deleted) {
        return NotFoundError("reference set '" + name + "' was deleted at version " +
                             std::to_string(r.version));
      }
      return r;
    });
  }

  Result<int64_t> LatestReferenceSetVersion(const std::string& name) override {
    VOUCH_RETURN_IF_ERROR(CheckSetName(name));
    return Run("latest reference set version", [&]() -> Result<int64_t> {
      VOUCH_ASSIGN_OR_RETURN(const SetHead head, ReadSetHead(name));
      return head.version;
    });
  }

  Result<std::vector<ReferenceSetRecord>> ListReferenceSets(bool with_documents) override {
    return Run("list reference sets", [&]() -> Result<std::vector<ReferenceSetRecord>> {
      // The newest row of each name (bare column with MAX(): SQLite takes
      // the other columns from the row holding the maximum), minus the
      // deleted sets.
      std::string sql = std::string("SELECT name, MAX(version), deleted, ") +
                        (with_documents ? "document_json" : "''") +
                        ", entry_count, updated_at_us, updated_by FROM reference_sets "
                        "GROUP BY name ORDER BY name";
      SQLite::Statement st(*db_, sql);
      std::vector<ReferenceSetRecord> sets;
      while (st.executeStep()) {
        VOUCH_ASSIGN_OR_RETURN(ReferenceSetRecord r, ReadSet(st));
        if (!r.deleted) {
          sets.push_back(std::move(r));
        }
      }
      return sets;
    });
  }

  Result<int64_t> ReferenceGeneration() override {
    return Run("reference generation", [&]() -> Result<int64_t> {
      SQLite::Statement st(*db_, "SELECT generation FROM reference_generation WHERE id = 1");
      if (!st.executeStep()) {
        return DataLossError("reference_generation has no row");
      }
      return st.getColumn(0).getInt64();
    });
  }

 private:
  // The newest version of a set: version 0 when it never existed.
  struct SetHead {
    int64_t version = 0;
    bool deleted = false;
  };

  static constexpr const char* kSetColumns =
      "name, version, deleted, document_json, entry_count, updated_at_us, updated_by";

  static Result<ReferenceSetRecord> ReadSet(const SQLite::Statement& st) {
    ReferenceSetRecord r;
    r.name = st.getColumn(0).getString();
    r.version = st.getColumn(1).getInt64();
    r.deleted = st.getColumn(2).getInt() != 0;
    r.document_json = st.getColumn(3).getString();
    const int64_t count = st.getColumn(4).getInt64();
    if (count < 0) {
      return DataLossError("reference set '" + r.name + "' has a negative entry count");
    }
    r.entry_count = static_cast<size_t>(count);
    r.updated_at = FromMicros(st.getColumn(5).getInt64());
    r.updated_by = st.getColumn(6).getString();
    return r;
  }

  // Call inside a transaction (under mu_).
  Result<SetHead> ReadSetHead(const std::string& name) {
    SQLite::Statement st(*db_,
                         "SELECT version, deleted FROM reference_sets WHERE name = ? "
                         "ORDER BY version DESC LIMIT 1");
    st.bind(1, name);
    SetHead head;
    if (st.executeStep()) {
      head.version = st.getColumn(0).getInt64();
      head.deleted = st.getColumn(1).getInt() != 0;
    }
    if (head.version == std::numeric_limits<int64_t>::max()) {
      return FailedPreconditionError("reference set '" + name + "' has no version number left");
    }
    return head;
  }

  // Inserts one version and moves the generation; inside the caller's
  // transaction (under mu_).
  void InsertSetVersion(const std::string& name, int64_t version, bool deleted,
                        const std::string& document_json, size_t entry_count, StoreTime at,
                        const std::string& by) {
    SQLite::Statement st(*db_, std::string("INSERT INTO reference_sets (") + kSetColumns +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?)");
    st.bind(1, name);
    st.bind(2, version);
    st.bind(3, deleted ? 1 : 0);
    st.bind(4, document_json);
    st.bind(5, static_cast<int64_t>(entry_count));
    st.bind(6, ToMicros(at));
    st.bind(7, by);
    st.exec();
    db_->exec("UPDATE reference_generation SET generation = generation + 1 WHERE id = 1");
  }

  // Runs `body` holding the connection's mutex and turns every exception
  // into a Status, so none leaves the library. A Transaction still open
  // when `body` returns early or throws rolls back in its destructor.
  template <typename F>
  auto Run(std::string_view what, F&& body) -> decltype(body()) {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      return body();
    } catch (const SQLite::Exception& e) {
      return FromSqlite(e, what);
    } catch (const std::exception& e) {
      return InternalError(std::string(what) + ": " + e.what());
    }
  }

  std::mutex mu_;  // one SQLite connection is used by one thread at a time
  std::unique_ptr<SQLite::Database> db_;
};

int CurrentVersion(SQLite::Database& db) {
  SQLite::Statement st(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
  st.executeStep();
  return st.getColumn(0).getInt();
}

bool TableExists(SQLite::Database& db, const char* name) {
  SQLite::Statement st(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?");
  st.bind(1, name);
  return st.executeStep();
}

// Identifies the file (ours, empty, or someone else's), refuses a schema
// newer than this binary's, then applies the missing migrations, each in its
// own IMMEDIATE transaction so two processes opening a fresh file at once
// cannot both apply one (the loser sees the new version and skips it).
Status Migrate(SQLite::Database& db, const std::string& path) {
  SQLite::Transaction probe(db, SQLite::TransactionBehavior::IMMEDIATE);
  const int app_id = db.execAndGet("PRAGMA application_id").getInt();
  const bool has_version_table = TableExists(db, "schema_version");
  if (app_id != kApplicationId) {
    SQLite::Statement tables(db, "SELECT COUNT(*) FROM sqlite_schema");
    tables.executeStep();
    if (app_id != 0 || tables.getColumn(0).getInt() != 0) {
      return DataLossError(path + " is a SQLite database but not a Vouch verifier database");
    }
    db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
  }
  if (!has_version_table) {
    db.exec(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, "
        "description TEXT NOT NULL, applied_at_us INTEGER NOT NULL) STRICT");
  }
  const int current = CurrentVersion(db);
  if (current > kLatestVersion) {
    return DataLossError(path + " has schema version " + std::to_string(current) +
                         ", newer than this verifier knows (" + std::to_string(kLatestVersion) +
                         "); use a newer vouch-verifier");
  }
  probe.commit();

  for (const Migration& m : kMigrations) {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    const int now_version = CurrentVersion(db);
    if (now_version >= m.version) {
      continue;  // the Transaction rolls back (nothing was written)
    }
    if (now_version != m.version - 1) {
      return DataLossError(path + " has schema version " + std::to_string(now_version) +
                           " but migration " + std::to_string(m.version) + " expects " +
                           std::to_string(m.version - 1));
    }
    db.exec(m.sql);
    SQLite::Statement st(db,
                         "INSERT INTO schema_version (version, description, applied_at_us) "
                         "VALUES (?, ?, ?)");
    st.bind(1, m.version);
    st.bind(2, m.description);
    st.bind(3, ToMicros(std::chrono::system_clock::now()));
    st.exec();
    tx.commit();
  }
  return Status::Ok();
}

Result<std::unique_ptr<Store>> Open(const std::string& path) {
  auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                                               kBusyTimeoutMs);
  // journal_mode answers with the mode now in effect: a file system where
  // WAL cannot work (no shared memory) answers something else.
  const std::string mode = db->execAndGet("PRAGMA journal_mode = WAL").getString();
  if (mode != "wal") {
    return UnavailableError(path + ": cannot use WAL journal mode (SQLite chose '" + mode + "')");
  }
  // FULL: the WAL is fsync'ed at every commit, so a committed transaction
  // survives power loss, not only a process crash (NORMAL would not).
  db->exec("PRAGMA synchronous = FULL");
  db->exec("PRAGMA foreign_keys = ON");
  VOUCH_RETURN_IF_ERROR(Migrate(*db, path));
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(db)));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  if (path.empty()) {
    return InvalidArgumentError("SQLite store path is empty");
  }
  try {
    return Open(path);
  } catch (const SQLite::Exception& e) {
    if ((e.getErrorCode() & 0xff) == SQLITE_NOTADB) {
      return DataLossError(path + " is not a SQLite database (" + e.what() + ")");
    }
    return FromSqlite(e, "open " + path);
  } catch (const std::exception& e) {
    return InternalError("open " + path + ": " + e.what());
  }
}

}  // namespace vouch::verifier
