// PollerFakeStore: an in-memory Store with only what the poller needs
// (ListHosts with keyset paging by host id, hosts with or without an agent
// URL); every other method returns Internal so an unexpected call fails
// loudly. Shared by the poller's unit and integration tests (the SQLite
// store's SetAgentUrl needs schema v2). Thread-safe.
#ifndef VOUCH_TESTS_UNIT_VERIFIER_POLLER_FAKE_STORE_H_
#define VOUCH_TESTS_UNIT_VERIFIER_POLLER_FAKE_STORE_H_

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "verifier/store/store.h"

namespace vouch::verifier::testing {

class PollerFakeStore final : public Store {
 public:
  void SetHost(const std::string& id, const std::string& url) {
    std::lock_guard<std::mutex> lock(mu_);
    hosts_[id] = url;
  }
  void Remove(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    hosts_.erase(id);
  }
  void FailListing(bool fail) { fail_list_ = fail; }
  size_t list_calls() const { return list_calls_.load(); }

  Result<std::vector<HostRecord>> ListHosts(const HostQuery& query) override {
    ++list_calls_;
    if (fail_list_) {
      return UnavailableError("database is locked");
    }
    if (query.limit < 1 || query.limit > 1000) {
      return InvalidArgumentError("limit");
    }
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<HostRecord> page;
    for (auto it = hosts_.upper_bound(query.after_host_id);
         it != hosts_.end() && page.size() < query.limit; ++it) {
      HostRecord r;
      r.host_id = it->first;
      r.agent_url = it->second;
      page.push_back(std::move(r));
    }
    return page;
  }

  Status CreateEnrollment(const EnrollmentRecord&) override { return Unused(); }
  Result<EnrollmentRecord> GetEnrollment(const std::string&) override { return Unused(); }
  Status ActivateEnrollment(const std::string&, const HostRecord&, bool) override {
    return Unused();
  }
  Result<HostRecord> GetHost(const std::string&) override { return Unused(); }
  Result<std::optional<HostRecord>> FindHostByAkName(ByteView) override { return Unused(); }
  Result<std::optional<HostRecord>> FindHostByEkPublic(ByteView) override { return Unused(); }
  Result<FleetSummary> Summarize(StoreTime) override { return Unused(); }
  Status SetAgentUrl(const std::string&, const std::string&) override { return Unused(); }
  Status FlagIdentityChange(const std::string&, const IdentityChange&) override { return Unused(); }
  Status PutNonce(const NonceRecord&) override { return Unused(); }
  Result<NonceRecord> TakeNonce(const std::string&, ByteView) override { return Unused(); }
  Result<size_t> PurgeExpiredNonces(StoreTime) override { return Unused(); }
  Result<int64_t> AddReport(const ReportRecord&) override { return Unused(); }
  Result<std::optional<ReportRecord>> LatestReport(const std::string&) override { return Unused(); }
  Result<std::vector<ReportRecord>> ListReports(const std::string&, size_t, int64_t) override {
    return Unused();
  }
  Result<std::optional<StoredEvidence>> LatestEvidence(const std::string&) override {
    return Unused();
  }
  Result<int64_t> PutReferenceSet(const ReferenceSetRecord&, std::optional<int64_t>) override {
    return Unused();
  }
  Result<int64_t> DeleteReferenceSet(const std::string&, StoreTime, const std::string&) override {
    return Unused();
  }
  Result<ReferenceSetRecord> GetReferenceSet(const std::string&, std::optional<int64_t>) override {
    return Unused();
  }
  Result<int64_t> LatestReferenceSetVersion(const std::string&) override { return Unused(); }
  Result<std::optional<HostRecord>> FindHostByMachineId(std::string_view) override {
    return Unused();
  }
  Result<std::vector<ReferenceSetRecord>> ListReferenceSets(bool) override { return Unused(); }
  Result<int64_t> ReferenceGeneration() override { return Unused(); }

 private:
  static Status Unused() { return InternalError("not used by the poller"); }

  std::mutex mu_;
  std::map<std::string, std::string> hosts_;  // id -> agent URL (may be empty)
  std::atomic<bool> fail_list_{false};
  std::atomic<size_t> list_calls_{0};
};

}  // namespace vouch::verifier::testing

#endif  // VOUCH_TESTS_UNIT_VERIFIER_POLLER_FAKE_STORE_H_
