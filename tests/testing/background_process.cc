#include "tests/testing/background_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace vouch::testing {

namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Result<std::unique_ptr<BackgroundProcess>> BackgroundProcess::Start(
    const std::vector<std::string>& argv, const std::filesystem::path& log_dir,
    const std::vector<std::pair<std::string, std::string>>& env) {
  if (argv.empty()) return Status(Code::kInvalidArgument, "empty argv");
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  static int counter = 0;
  std::string base = std::filesystem::path(argv[0]).filename().string() + "-" +
                     std::to_string(getpid()) + "-" + std::to_string(counter++);
  std::unique_ptr<BackgroundProcess> p(new BackgroundProcess());
  p->stdout_path_ = log_dir / (base + ".stdout");
  p->stderr_path_ = log_dir / (base + ".stderr");
  int out = open(p->stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err = open(p->stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0 || err < 0) {
    if (out >= 0) close(out);
    if (err >= 0) close(err);
    return Status(Code::kInternal, "cannot create log files in " + log_dir.string());
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    close(out);
    close(err);
    return Status(Code::kInternal, std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(out, 1);
    dup2(err, 2);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);  // NOLINT
    execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));  // NOLINT
    _exit(127);
  }
  close(out);
  close(err);
  p->pid_ = pid;
  return p;
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ > 0 && !ExitCode().has_value()) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

std::string BackgroundProcess::Stderr() const { return ReadAll(stderr_path_); }
std::string BackgroundProcess::Stdout() const { return ReadAll(stdout_path_); }

std::optional<int> BackgroundProcess::ExitCode() {
  if (exit_code_.has_value()) return exit_code_;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return exit_code_;
}

Result<std::string> BackgroundProcess::WaitForStderr(const std::string& text,
                                                     std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::string err = Stderr();
    size_t at = err.find(text);
    if (at != std::string::npos) {
      size_t start = err.rfind('\n', at);
      start = start == std::string::npos ? 0 : start + 1;
      size_t end = err.find('\n', at);
      return err.substr(start, end == std::string::npos ? std::string::npos : end - start);
    }
    if (ExitCode().has_value()) {
      return Status(Code::kUnavailable, "process exited (" + std::to_string(*exit_code_) +
                                            ") before printing '" + text + "'; stderr: " + err);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Status(Code::kUnavailable, "timed out waiting for '" + text + "'; stderr: " + err);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Status BackgroundProcess::Signal(int signal) {
  if (ExitCode().has_value()) return Status(Code::kFailedPrecondition, "process has exited");
  if (kill(pid_, signal) != 0) return Status(Code::kInternal, std::strerror(errno));
  return Status::Ok();
}

Result<int> BackgroundProcess::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ExitCode().has_value()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Status(Code::kUnavailable, "process still running after timeout");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return *exit_code_;
}

}  // namespace vouch::testing
