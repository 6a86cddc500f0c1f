// The verifier's operational metrics, rendered as Prometheus text (exposition
// format 0.0.4) for GET /v1/metrics. Counters are atomics: recording costs a
// few nanoseconds on the appraisal path and never blocks.
//
// Metric names (stable; docs/verifier-operations.md lists them):
//   vouch_attestations_total{result="trusted|untrusted|unknown|rejected"}
//       evidence submissions; "rejected" = refused before appraisal (4xx/5xx)
//   vouch_appraisal_duration_seconds  histogram (buckets 0.0005 .. 2.5 s) of
//       the whole submission: decode, store reads, appraisal, persisted report
//   vouch_hosts{verdict="trusted|untrusted|unknown"}   gauge, from the store
//   vouch_hosts_stale                  gauge, from the store
//   vouch_hosts_identity_changed       gauge, from the store
//   vouch_store_errors_total           store calls that failed Unavailable,
//                                      DataLoss or Internal
//   vouch_enrollments_total{result="started|activated|refused"}
//   vouch_webhook_deliveries_total{result="delivered|retried|dropped"}
//   vouch_polls_total{result="ok|failed"}   pull-mode rounds per host
#ifndef VOUCH_VERIFIER_METRICS_METRICS_H_
#define VOUCH_VERIFIER_METRICS_METRICS_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "verifier/store/store.h"

namespace vouch::verifier {

class Metrics {
 public:
  // `result`: "trusted", "untrusted", "unknown" or "rejected" (anything else
  // counts as "rejected"). `duration`: the whole submission.
  void RecordAttestation(std::string_view result, std::chrono::nanoseconds duration);
  void RecordStoreError();
  // "started", "activated" or "refused" (anything else: "refused").
  void RecordEnrollment(std::string_view result);
  // "delivered", "retried" or "dropped" (anything else: "dropped").
  void RecordWebhook(std::string_view result);
  void RecordPoll(bool ok);

  // The exposition text. `summary`: the store's fleet summary for the host
  // gauges (omitted when nullptr, e.g. the store failed). Thread-safe.
  std::string RenderPrometheus(const FleetSummary* summary) const;

  // Upper bounds (seconds) of the histogram's buckets, +Inf implied.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

 private:
  std::array<std::atomic<uint64_t>, 4> attestations_{};  // trusted, untrusted, unknown, rejected
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets_{};  // non-cumulative; last +Inf
  std::atomic<uint64_t> duration_sum_ns_{0};
  std::atomic<uint64_t> store_errors_{0};
  std::array<std::atomic<uint64_t>, 3> enrollments_{};  // started, activated, refused
  std::array<std::atomic<uint64_t>, 3> webhooks_{};     // delivered, retried, dropped
  std::array<std::atomic<uint64_t>, 2> polls_{};        // ok, failed
};

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_METRICS_METRICS_H_
