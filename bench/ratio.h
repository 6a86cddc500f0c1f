// Ratio benchmarks: a subject and its baseline measured alternately in one
// process, so machine noise hits both alike. Results are printed as ratios,
// never compared against absolute times.
//
// Each round times `batch` calls of the baseline, then of the subject, for
// about `round_ms` each; the reported ratio is the median over rounds of
// subject_time / baseline_time (so lower is better for "cost" ratios, and
// 1/ratio is the rate ratio).
#ifndef VOUCH_BENCH_RATIO_H_
#define VOUCH_BENCH_RATIO_H_

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace vouch::bench {

struct RatioResult {
  double baseline_ns = 0;  // median ns per call
  double subject_ns = 0;
  double ratio = 0;  // median of per-round subject/baseline
};

inline double TimePerCallNs(const std::function<void()>& fn, int calls) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) fn();
  auto end = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(end - start).count() / calls;
}

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Calibrates the batch so one batch of the baseline takes ~round_ms.
inline RatioResult MeasureRatio(const std::function<void()>& baseline,
                                const std::function<void()>& subject, int rounds = 15,
                                double round_ms = 40) {
  baseline();
  subject();
  double one = TimePerCallNs(baseline, 3);
  int calls = std::max(1, static_cast<int>(round_ms * 1e6 / std::max(one, 1.0)));
  std::vector<double> b, s, r;
  for (int i = 0; i < rounds; ++i) {
    double tb = TimePerCallNs(baseline, calls);
    double ts = TimePerCallNs(subject, calls);
    b.push_back(tb);
    s.push_back(ts);
    r.push_back(ts / tb);
  }
  return RatioResult{Median(b), Median(s), Median(r)};
}

}  // namespace vouch::bench

#endif  // VOUCH_BENCH_RATIO_H_
