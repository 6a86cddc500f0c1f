// Placeholder until the quote commands land.
#include "policy/cli/commands.h"

namespace vouch::cli {
void AddQuoteCommands(CLI::App&, int*) {}
}  // namespace vouch::cli
