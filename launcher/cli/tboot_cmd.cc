#include <vector>

#include "launcher/cli/common.h"

namespace vouch::launcher::cli {

// Placeholder until this group lands (issue 5).
std::vector<Command> RegisterTbootCommands(CLI::App& /*app*/) { return {}; }

}  // namespace vouch::launcher::cli
