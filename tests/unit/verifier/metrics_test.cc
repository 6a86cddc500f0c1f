#include "verifier/metrics/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace vouch::verifier {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

// The value of the sample line "name{labels}" (labels as written), or -1.
double Value(const std::string& text, const std::string& series) {
  for (const std::string& line : Lines(text)) {
    if (line.rfind(series + " ", 0) == 0) {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

FleetSummary Summary() {
  FleetSummary s;
  s.hosts = 7;
  s.by_verdict = {{"trusted", 4}, {"untrusted", 2}, {"unknown", 1}};
  s.stale = 3;
  s.identity_changes = 1;
  return s;
}

TEST(MetricsTest, RendersExactTextForKnownInputs) {
  Metrics m;
  m.RecordAttestation("trusted", microseconds(400));       // le 0.0005
  m.RecordAttestation("trusted", milliseconds(1));         // le 0.001 (bound inclusive)
  m.RecordAttestation("untrusted", milliseconds(30));      // le 0.05
  m.RecordAttestation("unknown", nanoseconds(1));          // le 0.0005
  m.RecordAttestation("rejected", seconds(3));             // +Inf
  m.RecordAttestation("no-such-result", milliseconds(2));  // counted as rejected, le 0.0025
  m.RecordStoreError();
  m.RecordStoreError();
  m.RecordEnrollment("started");
  m.RecordEnrollment("activated");
  m.RecordEnrollment("bogus");
  m.RecordWebhook("delivered");
  m.RecordWebhook("retried");
  m.RecordWebhook("retried");
  m.RecordWebhook("dropped");
  m.RecordPoll(true);
  m.RecordPoll(false);
  m.RecordPoll(true);
  FleetSummary summary = Summary();

  const std::string expected =
      "# HELP vouch_attestations_total Evidence submissions by result (rejected: refused before "
      "appraisal).\n"
      "# TYPE vouch_attestations_total counter\n"
      "vouch_attestations_total{result=\"trusted\"} 2\n"
      "vouch_attestations_total{result=\"untrusted\"} 1\n"
      "vouch_attestations_total{result=\"unknown\"} 1\n"
      "vouch_attestations_total{result=\"rejected\"} 2\n"
      "# HELP vouch_appraisal_duration_seconds Time to handle one evidence submission: decode, "
      "store reads, appraisal, persisted report.\n"
      "# TYPE vouch_appraisal_duration_seconds histogram\n"
      "vouch_appraisal_duration_seconds_bucket{le=\"0.0005\"} 2\n"
      "vouch_appraisal_duration_seconds_bucket{le=\"0.001\"} 3\n"
      "vouch_appraisal_duration_seconds_bucket{le=\"0.0025\"} 4\n"
      "vouch_appraisal_duration_seconds_bucket{le=\"0.005\"} 4\n"
      "vouch_appraisal_duration_seconds_bucket{le=\"0.01\"} 4\n"
      "vouch_appraisal_duration_seconds_bucket{le=\"0.025\"} 4\n"
      "vouch_appraisal_duration_seconds_bucket{le=\"0.05\"} 5\n"
      "vouch_appraisal_duration_seconds_bucket{le=\"0.1\"} 5\n"
      "vouch_appraisal_duration_seconds_bucket{le=\"0.25\"} 5\n"
      "vouch_appraisal_duration_seconds_bucket{le=\"0.5\"} 5\n"
      "vouch_appraisal_duration_seconds_bucket{le=\"1\"} 5\n"
      "vouch_appraisal_duration_seconds_bucket{le=\"2.5\"} 5\n"
      "vouch_appraisal_duration_seconds_bucket{le=\"+Inf\"} 6\n"
      "vouch_appraisal_duration_seconds_sum 3.033400001\n"
      "vouch_appraisal_duration_seconds_count 6\n"
      "# HELP vouch_hosts Enrolled hosts by the verdict of their latest report.\n"
      "# TYPE vouch_hosts gauge\n"
      "vouch_hosts{verdict=\"trusted\"} 4\n"
      "vouch_hosts{verdict=\"unknown\"} 1\n"
      "vouch_hosts{verdict=\"untrusted\"} 2\n"
      "# HELP vouch_hosts_stale Hosts without a report, or whose latest report is older than "
      "the stale interval.\n"
      "# TYPE vouch_hosts_stale gauge\n"
      "vouch_hosts_stale 3\n"
      "# HELP vouch_hosts_identity_changed Hosts whose EK or AK changed and await an admin's "
      "approval.\n"
      "# TYPE vouch_hosts_identity_changed gauge\n"
      "vouch_hosts_identity_changed 1\n"
      "# HELP vouch_store_errors_total Store calls that failed Unavailable, DataLoss or "
      "Internal.\n"
      "# TYPE vouch_store_errors_total counter\n"
      "vouch_store_errors_total 2\n"
      "# HELP vouch_enrollments_total Enrollment requests started, activations completed, and "
      "refusals.\n"
      "# TYPE vouch_enrollments_total counter\n"
      "vouch_enrollments_total{result=\"started\"} 1\n"
      "vouch_enrollments_total{result=\"activated\"} 1\n"
      "vouch_enrollments_total{result=\"refused\"} 1\n"
      "# HELP vouch_webhook_deliveries_total Webhook delivery attempts: delivered, retried "
      "(scheduled again), dropped.\n"
      "# TYPE vouch_webhook_deliveries_total counter\n"
      "vouch_webhook_deliveries_total{result=\"delivered\"} 1\n"
      "vouch_webhook_deliveries_total{result=\"retried\"} 2\n"
      "vouch_webhook_deliveries_total{result=\"dropped\"} 1\n"
      "# HELP vouch_polls_total Pull-mode rounds per host.\n"
      "# TYPE vouch_polls_total counter\n"
      "vouch_polls_total{result=\"ok\"} 2\n"
      "vouch_polls_total{result=\"failed\"} 1\n";
  EXPECT_EQ(m.RenderPrometheus(&summary), expected);
}

TEST(MetricsTest, OmitsHostGaugesWithoutSummary) {
  Metrics m;
  std::string text = m.RenderPrometheus(nullptr);
  EXPECT_THAT(text, ::testing::Not(::testing::HasSubstr("vouch_hosts")));
  EXPECT_THAT(text, ::testing::HasSubstr("vouch_appraisal_duration_seconds_sum 0\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("vouch_appraisal_duration_seconds_count 0\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("vouch_store_errors_total 0\n"));
}

TEST(MetricsTest, ZeroFillsMissingVerdictsAndEscapesUnexpectedOnes) {
  Metrics m;
  FleetSummary summary;
  summary.by_verdict = {{"trusted", 2}, {"we\"ird\\\n", 1}};
  std::string text = m.RenderPrometheus(&summary);
  EXPECT_THAT(text, ::testing::HasSubstr("vouch_hosts{verdict=\"untrusted\"} 0\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("vouch_hosts{verdict=\"unknown\"} 0\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("vouch_hosts{verdict=\"we\\\"ird\\\\\\n\"} 1\n"));
}

TEST(MetricsTest, NegativeDurationCountsAsZero) {
  Metrics m;
  m.RecordAttestation("trusted", -milliseconds(5));
  std::string text = m.RenderPrometheus(nullptr);
  EXPECT_EQ(Value(text, "vouch_appraisal_duration_seconds_bucket{le=\"0.0005\"}"), 1);
  EXPECT_EQ(Value(text, "vouch_appraisal_duration_seconds_sum"), 0);
}

// Exposition format 0.0.4: comment lines are "# HELP name text" or
// "# TYPE name type" (TYPE before the family's samples, once per family);
// every other line is `name{label="value",...} value`.
TEST(MetricsTest, EveryLineFollowsTheTextFormat) {
  Metrics m;
  m.RecordAttestation("trusted", milliseconds(7));
  m.RecordWebhook("dropped");
  FleetSummary summary = Summary();
  std::string text = m.RenderPrometheus(&summary);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');

  const std::regex help(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$)");
  const std::regex type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$)");
  const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")"
      R"((?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? ([0-9]+(?:\.[0-9]+)?|\+Inf)$)");
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  for (const std::string& line : Lines(text)) {
    std::smatch match;
    if (std::regex_match(line, match, help)) {
      EXPECT_TRUE(helped.insert(match[1]).second) << "second HELP: " << line;
    } else if (std::regex_match(line, match, type)) {
      EXPECT_TRUE(types.emplace(match[1], match[2]).second) << "second TYPE: " << line;
    } else if (std::regex_match(line, match, sample)) {
      std::string name = match[1];
      std::string family = name;
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        std::string s = suffix;
        if (!types.count(family) && name.size() > s.size() &&
            name.compare(name.size() - s.size(), s.size(), s) == 0) {
          family = name.substr(0, name.size() - s.size());
        }
      }
      ASSERT_TRUE(types.count(family)) << "sample before its TYPE: " << line;
      EXPECT_TRUE(helped.count(family)) << line;
      if (types[family] == "histogram") {
        EXPECT_NE(name, family) << "histogram samples need a suffix: " << line;
      }
    } else {
      ADD_FAILURE() << "not a valid exposition line: '" << line << "'";
    }
  }
  EXPECT_EQ(types["vouch_appraisal_duration_seconds"], "histogram");
  EXPECT_EQ(types["vouch_hosts"], "gauge");
  EXPECT_EQ(types["vouch_attestations_total"], "counter");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeAndEndWithCount) {
  Metrics m;
  for (int ms = 0; ms <= 3000; ms += 7) {
    m.RecordAttestation("trusted", milliseconds(ms));
  }
  std::string text = m.RenderPrometheus(nullptr);
  double previous = 0;
  for (double le : Metrics::kBuckets) {
    std::ostringstream label;
    label << le;
    double v = Value(text, "vouch_appraisal_duration_seconds_bucket{le=\"" + label.str() + "\"}");
    ASSERT_GE(v, previous) << le;
    previous = v;
  }
  double inf = Value(text, "vouch_appraisal_duration_seconds_bucket{le=\"+Inf\"}");
  EXPECT_GE(inf, previous);
  EXPECT_EQ(inf, Value(text, "vouch_appraisal_duration_seconds_count"));
  EXPECT_EQ(inf, 429);  // 0, 7, ..., 2996 ms
}

TEST(MetricsTest, ConcurrentRecordingKeepsExactTotals) {
  Metrics m;
  constexpr int kThreads = 16;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::atomic<bool> go{false};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m, &go, t] {
      while (!go.load()) {
      }
      for (int i = 0; i < kPerThread; ++i) {
        m.RecordAttestation(i % 2 == 0 ? "trusted" : "untrusted", microseconds(100 + t));
        m.RecordStoreError();
        m.RecordWebhook("retried");
        m.RecordPoll(i % 4 != 0);
        m.RecordEnrollment("activated");
      }
    });
  }
  // Scrapes while recording must stay well-formed and never go backwards.
  go = true;
  double last_count = 0;
  for (int i = 0; i < 50; ++i) {
    std::string text = m.RenderPrometheus(nullptr);
    double count = Value(text, "vouch_appraisal_duration_seconds_count");
    EXPECT_GE(count, last_count);
    last_count = count;
  }
  for (auto& thread : threads) {
    thread.join();
  }
  const double total = double{kThreads} * kPerThread;
  std::string text = m.RenderPrometheus(nullptr);
  EXPECT_EQ(Value(text, "vouch_attestations_total{result=\"trusted\"}"), total / 2);
  EXPECT_EQ(Value(text, "vouch_attestations_total{result=\"untrusted\"}"), total / 2);
  EXPECT_EQ(Value(text, "vouch_appraisal_duration_seconds_count"), total);
  EXPECT_EQ(Value(text, "vouch_appraisal_duration_seconds_bucket{le=\"0.0005\"}"), total);
  EXPECT_EQ(Value(text, "vouch_store_errors_total"), total);
  EXPECT_EQ(Value(text, "vouch_webhook_deliveries_total{result=\"retried\"}"), total);
  EXPECT_EQ(Value(text, "vouch_polls_total{result=\"ok\"}"), total * 3 / 4);
  EXPECT_EQ(Value(text, "vouch_polls_total{result=\"failed\"}"), total / 4);
  EXPECT_EQ(Value(text, "vouch_enrollments_total{result=\"activated\"}"), total);
  // Sum of (100 + t) us over all threads, exactly.
  uint64_t sum_ns = 0;
  for (int t = 0; t < kThreads; ++t) {
    sum_ns += uint64_t{kPerThread} * (100 + t) * 1000;
  }
  std::ostringstream expected_sum;
  expected_sum << "vouch_appraisal_duration_seconds_sum " << sum_ns / 1000000000 << "."
               << (sum_ns % 1000000000) / 100000000 << "\n";  // 16 threads: ends in tenths
  EXPECT_THAT(text, ::testing::HasSubstr(expected_sum.str()));
}

}  // namespace
}  // namespace vouch::verifier
