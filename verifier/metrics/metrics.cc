#include "verifier/metrics/metrics.h"

#include <cinttypes>
#include <cstdio>
#include <map>
#include <string>

namespace vouch::verifier {
namespace {

constexpr std::array<std::string_view, 4> kAttestationResults = {"trusted", "untrusted", "unknown",
                                                                 "rejected"};
constexpr std::array<std::string_view, 3> kEnrollmentResults = {"started", "activated", "refused"};
constexpr std::array<std::string_view, 3> kWebhookResults = {"delivered", "retried", "dropped"};
constexpr std::array<std::string_view, 3> kVerdicts = {"trusted", "untrusted", "unknown"};

// The index of `value` in `names`, or the last index (the catch-all bucket:
// "rejected", "refused", "dropped") for anything unknown, so a caller's typo
// is still counted somewhere visible instead of lost.
template <size_t N>
size_t IndexOf(const std::array<std::string_view, N>& names, std::string_view value) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == value) {
      return i;
    }
  }
  return N - 1;
}

// Relaxed ordering: the counters are independent and only need to be exact
// in total; a scrape racing a recording may see one before the other.
void Increment(std::atomic<uint64_t>& counter, uint64_t by = 1) {
  counter.fetch_add(by, std::memory_order_relaxed);
}
uint64_t Load(const std::atomic<uint64_t>& counter) {
  return counter.load(std::memory_order_relaxed);
}

std::string Uint(uint64_t v) { return std::to_string(v); }

// Exact decimal seconds from nanoseconds ("0", "1.5", "0.000250001"), so the
// text does not depend on the locale or on floating point rounding.
std::string SecondsFromNanos(uint64_t ns) {
  std::string out = std::to_string(ns / 1'000'000'000ULL);
  uint64_t frac = ns % 1'000'000'000ULL;
  if (frac != 0) {
    char digits[16];
    std::snprintf(digits, sizeof(digits), "%09" PRIu64, frac);
    std::string f(digits);
    while (!f.empty() && f.back() == '0') {
      f.pop_back();
    }
    out += "." + f;
  }
  return out;
}

// Bucket bounds as Prometheus clients write them (shortest form: "0.0005",
// "1", "2.5"); the bounds are compile-time constants, so %g is exact here.
std::string BucketLabel(double le) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", le);
  return text;
}

// Label values escape backslash, double quote and newline (exposition format
// 0.0.4); verdict keys come from the store, so they are escaped too.
std::string EscapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Sample(std::string& out, std::string_view name, std::string_view labels,
            const std::string& value) {
  out.append(name);
  if (!labels.empty()) {
    out.append("{").append(labels).append("}");
  }
  out.append(" ").append(value).append("\n");
}

template <size_t N, size_t M>
void LabelledCounter(std::string& out, std::string_view name, std::string_view label,
                     std::string_view help, const std::array<std::string_view, N>& names,
                     const std::array<std::atomic<uint64_t>, M>& values) {
  static_assert(N == M);
  Header(out, name, "counter", help);
  for (size_t i = 0; i < N; ++i) {
    Sample(out, name, std::string(label) + "=\"" + std::string(names[i]) + "\"",
           Uint(Load(values[i])));
  }
}

}  // namespace

void Metrics::RecordAttestation(std::string_view result, std::chrono::nanoseconds duration) {
  Increment(attestations_[IndexOf(kAttestationResults, result)]);
  // A negative duration (a clock stepped back) counts as zero.
  uint64_t ns = duration.count() > 0 ? static_cast<uint64_t>(duration.count()) : 0;
  double seconds = static_cast<double>(ns) / 1e9;
  size_t bucket = kBuckets.size();  // +Inf
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      bucket = i;
      break;
    }
  }
  Increment(buckets_[bucket]);
  Increment(duration_sum_ns_, ns);
}

void Metrics::RecordStoreError() { Increment(store_errors_); }

void Metrics::RecordEnrollment(std::string_view result) {
  Increment(enrollments_[IndexOf(kEnrollmentResults, result)]);
}

void Metrics::RecordWebhook(std::string_view result) {
  Increment(webhooks_[IndexOf(kWebhookResults, result)]);
}

void Metrics::RecordPoll(bool ok) { Increment(polls_[ok ? 0 : 1]); }

std::string Metrics::RenderPrometheus(const FleetSummary* summary) const {
  std::string out;
  out.reserve(4096);
  LabelledCounter(out, "vouch_attestations_total", "result",
                  "Evidence submissions by result (rejected: refused before appraisal).",
                  kAttestationResults, attestations_);

  constexpr std::string_view kHist = "vouch_appraisal_duration_seconds";
  Header(out, kHist, "histogram",
         "Time to handle one evidence submission: decode, store reads, appraisal, persisted "
         "report.");
  // Buckets are stored per interval and summed here; _count is the +Inf
  // bucket, so the exposition is consistent even while threads record.
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += Load(buckets_[i]);
    Sample(out, "vouch_appraisal_duration_seconds_bucket",
           "le=\"" + BucketLabel(kBuckets[i]) + "\"", Uint(cumulative));
  }
  cumulative += Load(buckets_[kBuckets.size()]);
  Sample(out, "vouch_appraisal_duration_seconds_bucket", "le=\"+Inf\"", Uint(cumulative));
  Sample(out, "vouch_appraisal_duration_seconds_sum", "", SecondsFromNanos(Load(duration_sum_ns_)));
  Sample(out, "vouch_appraisal_duration_seconds_count", "", Uint(cumulative));

  if (summary != nullptr) {
    Header(out, "vouch_hosts", "gauge", "Enrolled hosts by the verdict of their latest report.");
    std::map<std::string, size_t> by_verdict = summary->by_verdict;
    for (std::string_view v : kVerdicts) {
      by_verdict.try_emplace(std::string(v), 0);
    }
    for (const auto& [verdict, count] : by_verdict) {
      Sample(out, "vouch_hosts", "verdict=\"" + EscapeLabel(verdict) + "\"", Uint(count));
    }
    Header(out, "vouch_hosts_stale", "gauge",
           "Hosts without a report, or whose latest report is older than the stale interval.");
    Sample(out, "vouch_hosts_stale", "", Uint(summary->stale));
    Header(out, "vouch_hosts_identity_changed", "gauge",
           "Hosts whose EK or AK changed and await an admin's approval.");
    Sample(out, "vouch_hosts_identity_changed", "", Uint(summary->identity_changes));
  }

  Header(out, "vouch_store_errors_total", "counter",
         "Store calls that failed Unavailable, DataLoss or Internal.");
  Sample(out, "vouch_store_errors_total", "", Uint(Load(store_errors_)));
  LabelledCounter(out, "vouch_enrollments_total", "result",
                  "Enrollment requests started, activations completed, and refusals.",
                  kEnrollmentResults, enrollments_);
  LabelledCounter(out, "vouch_webhook_deliveries_total", "result",
                  "Webhook delivery attempts: delivered, retried (scheduled again), dropped.",
                  kWebhookResults, webhooks_);
  constexpr std::array<std::string_view, 2> kPollResults = {"ok", "failed"};
  LabelledCounter(out, "vouch_polls_total", "result", "Pull-mode rounds per host.", kPollResults,
                  polls_);
  return out;
}

}  // namespace vouch::verifier
