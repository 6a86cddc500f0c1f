// A Finding as the JSON object every Vouch document and CLI uses:
// {"id", "severity", "message", "pcr"?, "bank"?, "event_index"?,
//  "expected"?, "actual"?} (optional members only when set). Header-only and
// generic over the nlohmann JSON type, so callers building ordered and
// unordered documents share one encoding.
#ifndef VOUCH_CORE_PROTOCOL_FINDING_JSON_H_
#define VOUCH_CORE_PROTOCOL_FINDING_JSON_H_

#include <nlohmann/json.hpp>
#include <string>

#include "core/base/finding.h"
#include "core/base/hash_alg.h"

namespace vouch::protocol {

template <typename JsonT = nlohmann::ordered_json>
JsonT FindingToJson(const Finding& f) {
  JsonT j = JsonT::object();
  j["id"] = f.id;
  j["severity"] = std::string(SeverityName(f.severity));
  j["message"] = f.message;
  if (f.pcr) j["pcr"] = *f.pcr;
  if (f.bank) j["bank"] = std::string(HashAlgName(*f.bank));
  if (f.event_index) j["event_index"] = *f.event_index;
  if (!f.expected.empty()) j["expected"] = f.expected;
  if (!f.actual.empty()) j["actual"] = f.actual;
  return j;
}

}  // namespace vouch::protocol

#endif  // VOUCH_CORE_PROTOCOL_FINDING_JSON_H_
