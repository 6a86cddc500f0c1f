#include "launcher/tboot/tool_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vouch::launcher::tboot {
namespace {

constexpr size_t kMaxCapture = size_t{1} << 20;

// The Debian package of each tool, for "not found" messages.
std::string PackageOf(const std::string& program) {
  if (program.rfind("tpm2_", 0) == 0) return " (package tpm2-tools)";
  if (program == "tb_polgen" || program == "lcp2_mlehash" || program == "txt-stat") {
    return " (package tboot)";
  }
  return "";
}

class ProcessToolRunner final : public ToolRunner {
 public:
  explicit ProcessToolRunner(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  Result<ToolOutput> Run(const std::vector<std::string>& argv) override {
    if (argv.empty()) return InvalidArgumentError("empty command");
    int out_pipe[2];
    int err_pipe[2];
    int exec_pipe[2];  // closed on exec; carries errno when exec fails
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return InternalError("pipe: " + Errno());
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
      CloseBoth(out_pipe);
      return InternalError("pipe: " + Errno());
    }
    if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
      CloseBoth(out_pipe);
      CloseBoth(err_pipe);
      return InternalError("pipe: " + Errno());
    }
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
      CloseBoth(out_pipe);
      CloseBoth(err_pipe);
      CloseBoth(exec_pipe);
      return InternalError("fork: " + Errno());
    }
    if (pid == 0) {
      // Child: only async-signal-safe calls until exec.
      const int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, 0);
      ::dup2(out_pipe[1], 1);
      ::dup2(err_pipe[1], 2);
      ::execvp(args[0], args.data());
      const int e = errno;
      (void)!::write(exec_pipe[1], &e, sizeof(e));
      ::_exit(127);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    ::close(exec_pipe[1]);
    ToolOutput output;
    const bool timed_out = Collect(out_pipe[0], err_pipe[0], output);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    int exec_errno = 0;
    const ssize_t n = ::read(exec_pipe[0], &exec_errno, sizeof(exec_errno));
    ::close(exec_pipe[0]);
    if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
      return NotFoundError(argv[0] + ": cannot execute: " + std::strerror(exec_errno) +
                           PackageOf(argv[0]));
    }
    if (timed_out) {
      return UnavailableError(JoinCommand(argv) + ": killed after " +
                              std::to_string(timeout_.count()) + " ms");
    }
    output.exit_code = WIFEXITED(status) ? WEXITSTATUS(status)
                                         : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return output;
  }

 private:
  static std::string Errno() { return std::strerror(errno); }
  static void CloseBoth(int fds[2]) {
    ::close(fds[0]);
    ::close(fds[1]);
  }

  // Reads both pipes until both close or the deadline passes (returns true
  // then).
  bool Collect(int out_fd, int err_fd, ToolOutput& output) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    std::string* sinks[2] = {&output.stdout_text, &output.stderr_text};
    int open_count = 2;
    char buf[4096];
    while (open_count > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return true;
      const int r = ::poll(fds, 2, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return r == 0;
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || fds[i].revents == 0) continue;
        const ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          fds[i].fd = -1;
          --open_count;
          continue;
        }
        if (sinks[i]->size() < kMaxCapture) {
          sinks[i]->append(buf, std::min(static_cast<size_t>(n), kMaxCapture - sinks[i]->size()));
        }
      }
    }
    return false;
  }

  std::chrono::milliseconds timeout_;
};

std::string FirstLines(const std::string& text) {
  std::string s = text.substr(0, 400);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == '\n') c = ';';
  }
  return s;
}

}  // namespace

std::unique_ptr<ToolRunner> MakeProcessToolRunner(std::chrono::milliseconds timeout) {
  return std::make_unique<ProcessToolRunner>(timeout);
}

Result<ToolOutput> RunToolOk(ToolRunner& runner, const std::vector<std::string>& argv) {
  VOUCH_ASSIGN_OR_RETURN(ToolOutput out, runner.Run(argv));
  if (out.exit_code != 0) {
    std::string detail = FirstLines(out.stderr_text);
    if (detail.empty()) detail = FirstLines(out.stdout_text);
    return FailedPreconditionError(JoinCommand(argv) + ": exit " + std::to_string(out.exit_code) +
                                   (detail.empty() ? "" : ": " + detail));
  }
  return out;
}

std::string JoinCommand(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain =
        !a.empty() && a.find_first_of(" \t\n'\"\\$`|&;<>()*?[]{}!#~") == std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) {
        if (c == '\'') {
          out += "'\\''";
        } else {
          out += c;
        }
      }
      out += '\'';
    }
  }
  return out;
}

}  // namespace vouch::launcher::tboot
