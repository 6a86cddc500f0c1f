// vouch-launcher: measured launch of the hypervisor (tboot/TXT, or emulated
// on a swtpm) and measured start of every VM (docs/launcher.md). Each
// subcommand group lives in launcher/cli/*_cmd.cc.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "core/base/logger.h"
#include "launcher/cli/common.h"

namespace {

using vouch::launcher::cli::Command;

int Run(int argc, char** argv) {
  namespace cli = vouch::launcher::cli;
  CLI::App app{
      "vouch-launcher: measured launch of the hypervisor and measured start of VMs.\n"
      "Exit codes: 0 ok, 1 refused (e.g. a launch denied), 2 usage, 3 bad configuration or "
      "input, 4 TPM, file or network failure, 5 internal."};
  app.set_version_flag("--version", "vouch-launcher 0.1.0");
  app.require_subcommand(1);
  std::string log_level;
  app.add_option("--log-level", log_level, "debug, info, warning or error (default info)")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));
  std::vector<Command> commands;
  for (auto* reg : {&cli::RegisterEmulateCommands, &cli::RegisterVmCommands,
                    &cli::RegisterGateCommands, &cli::RegisterTbootCommands}) {
    for (Command& c : (*reg)(app)) commands.push_back(std::move(c));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? cli::kExitOk : cli::kExitUsage;
  }
  vouch::StderrLogger logger(*vouch::ParseLogLevel(log_level.empty() ? "info" : log_level));
  for (const Command& c : commands) {
    // A parsed nested subcommand (tboot plan) and its parent (tboot) are both
    // parsed; the innermost one is registered with an action.
    if (c.app->parsed() && c.run) return c.run(logger);
  }
  std::fprintf(stderr, "%s", app.help().c_str());
  return cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vouch-launcher: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "vouch-launcher: internal error\n");
  }
  return vouch::launcher::cli::kExitInternal;
}
