// How vouch-policy prints findings as text, shared by every command that
// checks evidence (JSON output uses protocol::FindingToJson).
#ifndef VOUCH_POLICY_CLI_FINDINGS_OUTPUT_H_
#define VOUCH_POLICY_CLI_FINDINGS_OUTPUT_H_

#include <string>
#include <string_view>

#include "core/base/finding.h"

namespace vouch::cli {

// "FAIL quote.nonce_mismatch: ... (pcr 7, bank sha256)" and, when set,
// indented expected/actual lines.
std::string FindingLine(const Finding& f);

}  // namespace vouch::cli

#endif  // VOUCH_POLICY_CLI_FINDINGS_OUTPUT_H_
