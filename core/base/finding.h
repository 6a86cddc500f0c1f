// Finding: one appraisal observation with a stable dotted id
// ("quote.nonce_mismatch", "replay.pcr_mismatch"). Findings are results, not
// errors: a failed check adds a finding, and the caller decides the verdict.
// Ids are part of the API (tests, policies and dashboards match on them):
// never rename one, only add.
#ifndef VOUCH_CORE_BASE_FINDING_H_
#define VOUCH_CORE_BASE_FINDING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/hash_alg.h"

namespace vouch {

enum class Severity { kInfo, kWarning, kError };

// "info", "warning", "error" (as reports and CLIs print them).
inline std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kError: return "error";
  }
  return "error";
}

struct Finding {
  std::string id;
  Severity severity = Severity::kError;
  std::string message;
  std::optional<uint32_t> pcr;
  std::optional<HashAlg> bank;
  std::optional<size_t> event_index;
  std::string expected;  // hex or text; empty when not applicable
  std::string actual;
};

// Whether any finding in `findings` has severity kError.
inline bool HasErrors(const std::vector<Finding>& findings) {
  for (const Finding& f : findings) {
    if (f.severity == Severity::kError) return true;
  }
  return false;
}

}  // namespace vouch

#endif  // VOUCH_CORE_BASE_FINDING_H_
