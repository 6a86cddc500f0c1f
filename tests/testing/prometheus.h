// PrometheusSample: one sample's value from a Prometheus text exposition
// (what the verifier's Metrics::RenderPrometheus writes), for tests that
// check counters.
//
// Header-only; no dependencies beyond the standard library.
#ifndef VOUCH_TESTS_TESTING_PROMETHEUS_H_
#define VOUCH_TESTS_TESTING_PROMETHEUS_H_

#include <cstddef>
#include <string>

namespace vouch::testing {

// The value (as written, e.g. "2") of the line that starts with `series`
// followed by a space, e.g. series `vouch_polls_total{result="ok"}`; "absent"
// when no such line exists. The first match wins.
inline std::string PrometheusSample(const std::string& text, const std::string& series) {
  const std::string key = series + " ";
  const size_t at = text.find(key);
  if (at == std::string::npos) {
    return "absent";
  }
  return text.substr(at + key.size(), text.find('\n', at) - at - key.size());
}

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_TESTING_PROMETHEUS_H_
