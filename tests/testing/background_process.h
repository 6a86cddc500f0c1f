// BackgroundProcess: a server started by a test (vouch-agent serve, ...),
// with its stderr captured to a file the test can wait on, stopped by PID.
#ifndef VOUCH_TESTS_TESTING_BACKGROUND_PROCESS_H_
#define VOUCH_TESTS_TESTING_BACKGROUND_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/base/status.h"

namespace vouch::testing {

class BackgroundProcess {
 public:
  // Starts argv (argv[0] searched in PATH) with `env` added to the test's
  // environment, stdin /dev/null, stdout and stderr appended to files under
  // `log_dir`. The destructor kills (SIGKILL) and reaps it if still running.
  static Result<std::unique_ptr<BackgroundProcess>> Start(
      const std::vector<std::string>& argv, const std::filesystem::path& log_dir,
      const std::vector<std::pair<std::string, std::string>>& env = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  std::string Stderr() const;
  std::string Stdout() const;

  // Waits until stderr contains `text`; returns the first stderr line holding
  // it. Unavailable on timeout or when the process exits first (the message
  // carries its stderr).
  Result<std::string> WaitForStderr(const std::string& text, std::chrono::milliseconds timeout);

  // Sends `signal` (kill(2) on the PID).
  Status Signal(int signal);
  // Waits for exit; the exit code, or 128 + signal. Unavailable on timeout
  // (the process keeps running).
  Result<int> Wait(std::chrono::milliseconds timeout);
  // nullopt while running.
  std::optional<int> ExitCode();

 private:
  BackgroundProcess() = default;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::filesystem::path stdout_path_, stderr_path_;
};

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_TESTING_BACKGROUND_PROCESS_H_
