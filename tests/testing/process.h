// RunProcess: runs a program to completion and captures its output, for tests
// that drive external tools (swtpm, swtpm_setup, tpm2-tools).
//
// The child inherits the test's environment plus the overrides given in
// ProcessOptions::env (set for the child only; the test's own environment is
// never modified). No shell is involved: argv is passed as is and argv[0] is
// looked up in PATH by execvp semantics. Output is captured until the child
// exits; a daemon that forks and keeps a copy of stdout open does not make
// RunProcess hang. Not meant for production code (STYLE.md section 9: no
// shelling out to tpm2-tools outside tests). Thread-safe (no shared state).
#ifndef VOUCH_TESTS_TESTING_PROCESS_H_
#define VOUCH_TESTS_TESTING_PROCESS_H_

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/base/status.h"

namespace vouch::testing {

struct ProcessOptions {
  // Variables set (or replaced) in the child's environment.
  std::vector<std::pair<std::string, std::string>> env;
  // Working directory of the child; the test's when empty.
  std::filesystem::path cwd;
  // Bytes written to the child's stdin (then closed); /dev/null when unset.
  std::optional<std::string> stdin_data;
  // The child is killed (SIGKILL) when it runs longer than this.
  std::chrono::milliseconds timeout{60000};
};

struct ProcessResult {
  // The exit status, or 128 + signal number when the child was killed.
  int exit_code = 0;
  std::string stdout_text;
  std::string stderr_text;

  bool ok() const { return exit_code == 0; }
  // "exit 1; stderr: ..." for failure messages.
  std::string Describe() const;
};

// Runs argv (argv[0] searched in PATH) and waits for it.
// Errors: InvalidArgument for an empty argv; NotFound when argv[0] cannot be
// executed (message names the program); Unavailable when the timeout expired
// (the child is killed and reaped); Internal when fork/pipe fail.
// A non-zero exit is not an error: it is reported in ProcessResult.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                 const ProcessOptions& options = {});

// Like RunProcess, but a non-zero exit becomes an error: FailedPrecondition
// naming the command, its exit code and stderr.
Result<ProcessResult> RunProcessOk(const std::vector<std::string>& argv,
                                   const ProcessOptions& options = {});

// "a b 'c d'" for messages (not for a shell).
std::string JoinArgv(const std::vector<std::string>& argv);

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_TESTING_PROCESS_H_
