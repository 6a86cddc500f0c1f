// How vouch-policy prints findings: one text line (plus expected/actual) or
// one JSON object per finding, shared by every command that checks evidence.
#ifndef VOUCH_POLICY_CLI_FINDINGS_OUTPUT_H_
#define VOUCH_POLICY_CLI_FINDINGS_OUTPUT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/base/finding.h"

namespace vouch::cli {

std::string_view SeverityName(Severity s);
// "FAIL quote.nonce_mismatch: ... (pcr 7, bank sha256)" and, when set,
// indented expected/actual lines.
std::string FindingLine(const Finding& f);
nlohmann::json FindingJson(const Finding& f);

}  // namespace vouch::cli

#endif  // VOUCH_POLICY_CLI_FINDINGS_OUTPUT_H_
