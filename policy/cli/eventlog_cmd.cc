// Placeholder until the eventlog commands land.
#include "policy/cli/commands.h"

namespace vouch::cli {
void AddEventlogCommands(CLI::App&, int*) {}
}  // namespace vouch::cli
