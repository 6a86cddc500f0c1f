// What every vouch-launcher subcommand shares: exit codes, the --config,
// --tcti and --state-dir options, and small file helpers. Each subcommand
// group lives in its own launcher/cli/*_cmd.cc and registers itself with
// main.cc through a Register*Commands function returning its Commands.
#ifndef VOUCH_LAUNCHER_CLI_COMMON_H_
#define VOUCH_LAUNCHER_CLI_COMMON_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/logger.h"
#include "core/base/status.h"
#include "launcher/config.h"

namespace vouch::launcher::cli {

// Exit codes (the agent's): 0 ok, 1 refused (e.g. a launch denied), 2 usage,
// 3 bad configuration or input, 4 TPM, file or network failure, 5 internal.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitBadInput = 3;
inline constexpr int kExitFailure = 4;
inline constexpr int kExitInternal = 5;

// InvalidArgument → 3, FailedPrecondition/PermissionDenied → 1, Internal → 5,
// anything else → 4.
int ExitCodeFor(const Status& status);

// --config FILE, --tcti STRING, --state-dir DIR of one subcommand.
struct CommonOptions {
  std::string config_path;  // empty: kDefaultLauncherConfigPath if it exists
  std::string tcti;         // empty: the configuration's
  std::string state_dir;    // empty: the configuration's
};

// Adds the three options to `sub`.
void AddCommonOptions(CLI::App& sub, CommonOptions& options);

// The configuration: the file named by --config (must exist), else the
// default file when it exists, else the defaults; then --tcti/--state-dir
// with a file line's checks. InvalidArgument naming the file or option.
Result<LauncherConfig> ResolveConfig(const CommonOptions& options);

// A parsed subcommand's action: runs with the logger at the chosen level and
// returns the exit code.
struct Command {
  CLI::App* app = nullptr;
  std::function<int(Logger&)> run;
};

// The whole file (regular file, at most `max_bytes`). InvalidArgument naming
// `option` and the path.
Result<Bytes> ReadInputFile(const std::string& option, const std::string& path,
                            uint64_t max_bytes = uint64_t{1} << 30);

// Writes `data` to path.tmp, fsyncs, renames over `path`, fsyncs the
// directory. Unavailable naming the step on failure.
Status WriteFileAtomically(const std::string& path, ByteView data);

// Registration of each subcommand group (one file each).
std::vector<Command> RegisterEmulateCommands(CLI::App& app);  // emulate_cmd.cc
std::vector<Command> RegisterVmCommands(CLI::App& app);       // vm_cmd.cc: measure-vm, vm-log
std::vector<Command> RegisterGateCommands(CLI::App& app);     // gate_cmd.cc: run, libvirt-hook
std::vector<Command> RegisterTbootCommands(
    CLI::App& app);  // tboot_cmd.cc: tboot plan|install|status

}  // namespace vouch::launcher::cli

#endif  // VOUCH_LAUNCHER_CLI_COMMON_H_
