// Running the external tboot and TPM tools (lcp2_mlehash, tb_polgen,
// txt-stat, tpm2_nvdefine/tpm2_nvwrite) as processes, behind an interface
// so tests can substitute them.
//
// Why processes: the MLE hash and the launch policy must be exactly what
// Debian's tboot tools compute and write (tboot's own formats, which Vouch
// does not reimplement), and the TpmDevice interface has no NV define or
// write. Outputs are small texts or files; nothing is scraped beyond what
// each caller documents.
//
// The process runner never uses a shell: argv[0] is looked up in PATH
// (execvp semantics), stdin is /dev/null, stdout and stderr are captured
// (each up to 1 MiB; more is discarded), and the child is killed after the
// timeout. Thread-safe (no shared state).
#ifndef VOUCH_LAUNCHER_TBOOT_TOOL_RUNNER_H_
#define VOUCH_LAUNCHER_TBOOT_TOOL_RUNNER_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/base/status.h"

namespace vouch::launcher::tboot {

struct ToolOutput {
  int exit_code = 0;  // 128 + signal when killed
  std::string stdout_text;
  std::string stderr_text;
};

class ToolRunner {
 public:
  virtual ~ToolRunner() = default;
  // Runs argv to completion. A non-zero exit is not an error (see
  // exit_code). Errors: InvalidArgument for an empty argv; NotFound when
  // argv[0] cannot be executed (names the program and its package);
  // Unavailable on timeout; Internal when fork/pipe fail.
  virtual Result<ToolOutput> Run(const std::vector<std::string>& argv) = 0;
};

// The real runner (fork + execvp), killing children after `timeout`.
std::unique_ptr<ToolRunner> MakeProcessToolRunner(
    std::chrono::milliseconds timeout = std::chrono::milliseconds(60000));

// Runs argv and turns a non-zero exit into FailedPrecondition naming the
// command, its exit code and the first line(s) of stderr.
Result<ToolOutput> RunToolOk(ToolRunner& runner, const std::vector<std::string>& argv);

// "a b 'c d'" for messages and dry-run listings (not for a shell).
std::string JoinCommand(const std::vector<std::string>& argv);

}  // namespace vouch::launcher::tboot

#endif  // VOUCH_LAUNCHER_TBOOT_TOOL_RUNNER_H_
