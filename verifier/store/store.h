// The verifier's store: one interface per aggregate (STYLE.md section 2),
// with a SQLite implementation (sqlite_store.h). Every write that returns OK
// is durable (the transaction committed; SQLite in WAL mode with
// synchronous=FULL), so a report acknowledged to a client survives the
// verifier being killed - except nonces (PutNonce, TakeNonce), which become
// durable with the next durable write: a machine crash may forget recently
// issued nonces (their submissions are then nonce_unknown), never a report,
// and never the used mark of a nonce whose report was stored.
//
// Thread-safe: implementations serialize writes; callers may share one store
// between HTTP handler threads.
//
// Errors common to every method: InvalidArgument for a malformed argument
// (enrollment id outside [A-Za-z0-9_-]{1,64}, host id empty or over 255
// bytes, verdict not trusted|untrusted|unknown, limit outside 1..1000, nonce
// empty or over 64 bytes); Unavailable when the database is busy, locked,
// full or failing I/O (retrying may help); DataLoss when a stored record
// cannot be read back. Times are kept to the microsecond (truncated toward
// the past). The store never judges expiry: callers compare expires_at with
// their Clock.
#ifndef VOUCH_VERIFIER_STORE_STORE_H_
#define VOUCH_VERIFIER_STORE_STORE_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace vouch::verifier {

using StoreTime = std::chrono::system_clock::time_point;

// An enrollment in progress or done.
struct EnrollmentRecord {
  std::string id;        // [A-Za-z0-9_-]{1,64}, chosen by the caller
  Bytes ek_public;       // TPM2B_PUBLIC
  Bytes ek_certificate;  // DER; empty when the host sent none
  Bytes ak_public;       // TPM2B_PUBLIC
  Bytes ak_name;
  Bytes secret_digest;  // SHA-256 of the credential secret (the secret itself is never stored)
  std::string host_facts_json;  // the request's host object, as received
  StoreTime created_at;
  StoreTime expires_at;
  std::optional<std::string> host_id;  // set when activated
};

// A host whose keys changed: the new enrollment (activated cryptographically
// but not applied) waits for an admin.
struct IdentityChange {
  std::string enrollment_id;
  std::string reason;  // "ak_changed" | "ek_changed"
  StoreTime detected_at;
};

struct HostRecord {
  std::string host_id;
  std::string hostname;
  Bytes ek_public;
  Bytes ek_certificate;
  Bytes ak_public;
  Bytes ak_name;
  std::string host_facts_json;
  StoreTime enrolled_at;
  std::optional<uint32_t> last_reset_count;
  std::optional<uint32_t> last_restart_count;
  std::string verdict = "unknown";  // of the latest report
  std::optional<StoreTime> last_report_at;
  // Pull mode: the agent's base URL ("https://host:8444"), set by an admin
  // (SetAgentUrl); empty when the host pushes its evidence.
  std::string agent_url;
  // Set when a later enrollment proved possession of another EK or AK for
  // this host (FlagIdentityChange); cleared by ActivateEnrollment with
  // replace (an admin approved the new keys).
  std::optional<IdentityChange> identity_change;
};

struct NonceRecord {
  Bytes nonce;
  std::string host_id;
  StoreTime expires_at;
  bool used = false;
};

struct ReportRecord {
  int64_t id = 0;  // assigned by the store
  std::string host_id;
  StoreTime appraised_at;
  std::string verdict;      // trusted | untrusted | unknown
  std::string report_json;  // the full attestation result document
  std::optional<uint32_t> reset_count;
  std::optional<uint32_t> restart_count;
  // When set, AddReport also keeps this as the host's latest evidence (the
  // encoded evidence document; the API sets it only when the quote verified
  // with the enrolled AK over a fresh nonce), replacing the previous one.
  std::optional<std::string> evidence_json;
  // When set, replaces the host's facts (the evidence's host object).
  std::optional<std::string> host_facts_json;
};

// The host's latest verified evidence (reference import, dry-runs).
struct StoredEvidence {
  int64_t report_id = 0;
  StoreTime appraised_at;
  std::string evidence_json;
};

enum class HostSort { kHostId, kHostname, kLastReportAt, kVerdict };

struct HostQuery {
  std::optional<std::string> verdict;     // filter
  std::optional<std::string> hypervisor;  // filter: facts.hypervisor ("xen", "kvm", ...)
  // filter: facts.labels[first] == second (all must match)
  std::vector<std::pair<std::string, std::string>> labels;
  size_t limit = 100;  // 1..1000
  // Paging. With sort kHostId ascending: hosts with id > after_host_id
  // (keyset; next page = last id received). Otherwise `offset` rows skipped
  // (after_host_id must be empty). Ties are broken by host id.
  std::string after_host_id;
  size_t offset = 0;
  HostSort sort = HostSort::kHostId;
  bool descending = false;
};

struct FleetSummary {
  size_t hosts = 0;
  std::map<std::string, size_t> by_verdict;     // every verdict key present, 0 allowed
  std::map<std::string, size_t> by_hypervisor;  // facts.hypervisor ("unknown" when absent)
  size_t stale = 0;                             // no report, or last report before `stale_before`
  size_t identity_changes = 0;                  // hosts with identity_change set
};

// One version of a named reference set (reference values, DESIGN.md). Every
// change (put or delete) is a new version; old versions stay readable.
struct ReferenceSetRecord {
  std::string name;
  int64_t version = 0;        // assigned by the store: 1 for a new set, then +1
  bool deleted = false;       // this version deleted the set (document_json empty)
  std::string document_json;  // policy::EncodeReferenceSet of this version
  size_t entry_count = 0;
  StoreTime updated_at;
  std::string updated_by;
};

class Store {
 public:
  virtual ~Store() = default;

  // Enrollments. CreateEnrollment: FailedPrecondition if the id exists.
  virtual Status CreateEnrollment(const EnrollmentRecord& record) = 0;
  // NotFound when absent.
  virtual Result<EnrollmentRecord> GetEnrollment(const std::string& id) = 0;
  // Marks the enrollment activated and creates (or, when `replace` is set,
  // replaces) the host in one transaction. FailedPrecondition when the
  // enrollment is already activated or the host id exists and !replace, or
  // when another host already has this AK name (one AK, one host); NotFound
  // when the enrollment is absent. Replacing overwrites every host field
  // with `host`'s and keeps the host's reports.
  virtual Status ActivateEnrollment(const std::string& enrollment_id, const HostRecord& host,
                                    bool replace) = 0;

  // Hosts. NotFound when absent. ListHosts: ordered by host id, at most
  // query.limit, ids > after_host_id (next page: the last id received).
  virtual Result<HostRecord> GetHost(const std::string& host_id) = 0;
  // The host whose AK has this name, if any.
  virtual Result<std::optional<HostRecord>> FindHostByAkName(ByteView ak_name) = 0;
  virtual Result<std::vector<HostRecord>> ListHosts(const HostQuery& query) = 0;
  // The host enrolled with this EK public area (TPM2B_PUBLIC, byte equal).
  virtual Result<std::optional<HostRecord>> FindHostByEkPublic(ByteView ek_public) = 0;
  // The host whose facts claim this machine id (32 lower-case hex, the
  // host's /etc/machine-id), lowest host id first; nullopt when none or
  // when `machine_id` is empty. A claim, not proof: used to notice a host
  // that enrolls again with another EK.
  virtual Result<std::optional<HostRecord>> FindHostByMachineId(std::string_view machine_id) = 0;
  // Counts over all hosts (see FleetSummary).
  virtual Result<FleetSummary> Summarize(StoreTime stale_before) = 0;
  // Pull mode URL; empty clears. NotFound when the host is absent;
  // InvalidArgument for a URL over 2048 bytes.
  virtual Status SetAgentUrl(const std::string& host_id, const std::string& url) = 0;
  // Records the identity change and sets the host's verdict to "untrusted"
  // (one transaction). NotFound when the host is absent.
  virtual Status FlagIdentityChange(const std::string& host_id, const IdentityChange& change) = 0;

  // Nonces: single use. TakeNonce atomically marks the nonce used and
  // returns it as it was before (used=false the first time, true after);
  // NotFound for a nonce never issued to this host. Exactly one of several
  // concurrent callers (threads or processes) gets used=false.
  // PutNonce: NotFound when the host is absent; FailedPrecondition when this
  // nonce was already issued to this host.
  virtual Status PutNonce(const NonceRecord& nonce) = 0;
  virtual Result<NonceRecord> TakeNonce(const std::string& host_id, ByteView nonce) = 0;
  // Deletes nonces that expired before `now`; returns how many.
  virtual Result<size_t> PurgeExpiredNonces(StoreTime now) = 0;

  // Reports: AddReport stores the report and updates the host's verdict,
  // last report time and (when set) counters in one transaction; returns
  // the report id (increasing, never reused). NotFound when the host is
  // absent. The report is on disk (fsync'ed) when this returns OK.
  virtual Result<int64_t> AddReport(const ReportRecord& report) = 0;
  // LatestReport and ListReports: NotFound when the host is absent.
  // LatestReport: the report with the highest id, nullopt when the host has
  // none.
  virtual Result<std::optional<ReportRecord>> LatestReport(const std::string& host_id) = 0;
  // Newest (highest id) first, at most `limit` (1..1000) with id <
  // `before_id`; `before_id` 0 = from the newest. Next page: pass the last
  // id received.
  virtual Result<std::vector<ReportRecord>> ListReports(const std::string& host_id, size_t limit,
                                                        int64_t before_id) = 0;
  // The evidence kept by the last AddReport with evidence_json set; nullopt
  // when none. NotFound when the host is absent.
  virtual Result<std::optional<StoredEvidence>> LatestEvidence(const std::string& host_id) = 0;

  // Reference sets (schema migration 2). Set names: [A-Za-z0-9._:-]{1,128}.
  // PutReferenceSet stores a new version and returns it; when
  // `expected_version` is set, FailedPrecondition unless it equals the
  // current version (0: the set must not exist or be deleted), so two
  // editors cannot overwrite each other's change.
  virtual Result<int64_t> PutReferenceSet(const ReferenceSetRecord& record,
                                          std::optional<int64_t> expected_version) = 0;
  // Stores a deleting version; NotFound when absent or already deleted.
  virtual Result<int64_t> DeleteReferenceSet(const std::string& name, StoreTime at,
                                             const std::string& by) = 0;
  // `version` nullopt: the current version. NotFound when the set (or that
  // version) does not exist; the current version of a deleted set is
  // NotFound too (older versions stay readable).
  virtual Result<ReferenceSetRecord> GetReferenceSet(const std::string& name,
                                                     std::optional<int64_t> version) = 0;
  // The newest version number of `name`, counting deleting versions (0 when
  // the set never existed): a set created again after a deletion continues
  // from it, so writers name the version they are about to store.
  virtual Result<int64_t> LatestReferenceSetVersion(const std::string& name) = 0;
  // The current version of every set not deleted, by name; document_json
  // filled only when `with_documents`.
  virtual Result<std::vector<ReferenceSetRecord>> ListReferenceSets(bool with_documents) = 0;
  // A number that changes whenever any reference set changes (also when
  // another process sharing the database changed it); readers cache the
  // compiled ReferenceSet until it moves.
  virtual Result<int64_t> ReferenceGeneration() = 0;
};

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_STORE_STORE_H_
