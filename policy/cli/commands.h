// Command groups of vouch-policy. Each Add*Commands registers its subcommands
// on `app`; a subcommand's callback stores its exit code in `*exit_code`.
// Exit codes: 0 success, 1 the check ran and failed (e.g. a quote does not
// verify), 2 usage error, 3 input could not be read or parsed, 4 internal error.
#ifndef VOUCH_POLICY_CLI_COMMANDS_H_
#define VOUCH_POLICY_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace vouch::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitBadInput = 3;
inline constexpr int kExitInternal = 4;

void AddEventlogCommands(CLI::App& app, int* exit_code);
void AddQuoteCommands(CLI::App& app, int* exit_code);
void AddEvidenceCommands(CLI::App& app, int* exit_code);

}  // namespace vouch::cli

#endif  // VOUCH_POLICY_CLI_COMMANDS_H_
