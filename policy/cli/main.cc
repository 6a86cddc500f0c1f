// vouch-policy: wiring only. Command groups live in *_cmd.cc.
#include <cstdio>
#include <exception>

#include "policy/cli/commands.h"

namespace {

int Run(int argc, char** argv) {
  CLI::App app{
      "vouch-policy: inspect measured-boot evidence and author Vouch policies.\n"
      "Exit codes: 0 ok, 1 check failed, 2 usage error, 3 unreadable or malformed input, "
      "4 internal error."};
  app.set_version_flag("--version", "vouch-policy 0.1.0");
  app.require_subcommand(1);
  int exit_code = vouch::cli::kExitOk;
  vouch::cli::AddEventlogCommands(app, &exit_code);
  vouch::cli::AddQuoteCommands(app, &exit_code);
  vouch::cli::AddEvidenceCommands(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : vouch::cli::kExitUsage;
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // Libraries return Status; only CLI11 and the standard library can throw
  // (e.g. std::bad_alloc). Nothing escapes main.
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vouch-policy: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "vouch-policy: internal error\n");
  }
  return vouch::cli::kExitInternal;
}
