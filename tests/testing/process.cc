#include "tests/testing/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "core/base/unique_fd.h"

extern char** environ;

namespace vouch::testing {
namespace {

using Fd = UniqueFd;

struct Pipe {
  Fd read;
  Fd write;
};

Result<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return InternalError(std::string("pipe2: ") + std::strerror(errno));
  }
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

// The child's environment: ours with `overrides` applied. Built before fork()
// so the child only calls async-signal-safe functions.
std::vector<std::string> BuildEnv(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : overrides) vars[name] = value;
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [name, value] : vars) out.push_back(name + "=" + value);
  return out;
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

int ExitCodeOf(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return 255;
}

// Reads what is available from `fd` into `out`; resets `fd` on EOF or error.
void Drain(Fd& fd, std::string& out) {
  char buf[8192];
  while (fd.valid()) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    fd.Reset();  // EOF or hard error
  }
}

}  // namespace

std::string ProcessResult::Describe() const {
  std::string s = "exit " + std::to_string(exit_code);
  if (!stderr_text.empty()) s += "; stderr: " + stderr_text;
  if (!stdout_text.empty() && stdout_text.size() < 2000) s += "; stdout: " + stdout_text;
  return s;
}

std::string JoinArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$") == std::string::npos;
    out += plain ? a : "'" + a + "'";
  }
  return out;
}

Result<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                 const ProcessOptions& options) {
  if (argv.empty()) return InvalidArgumentError("RunProcess: empty argv");

  std::vector<std::string> env_strings = BuildEnv(options.env);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  std::vector<char*> args;
  for (std::string& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);
  std::string cwd = options.cwd.string();

  VOUCH_ASSIGN_OR_RETURN(Pipe out_pipe, MakePipe());
  VOUCH_ASSIGN_OR_RETURN(Pipe err_pipe, MakePipe());
  VOUCH_ASSIGN_OR_RETURN(Pipe exec_pipe, MakePipe());  // carries errno if exec fails
  Pipe in_pipe;
  if (options.stdin_data) {
    VOUCH_ASSIGN_OR_RETURN(in_pipe, MakePipe());
  }
  Fd dev_null(open("/dev/null", O_RDONLY | O_CLOEXEC));

  pid_t pid = fork();
  if (pid < 0) return InternalError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on.
    int in_fd = options.stdin_data ? in_pipe.read.get() : dev_null.get();
    if (in_fd < 0 || dup2(in_fd, STDIN_FILENO) < 0 ||
        dup2(out_pipe.write.get(), STDOUT_FILENO) < 0 ||
        dup2(err_pipe.write.get(), STDERR_FILENO) < 0 ||
        (!cwd.empty() && chdir(cwd.c_str()) != 0)) {
      int e = errno;
      (void)!write(exec_pipe.write.get(), &e, sizeof(e));
      _exit(127);
    }
    execvpe(args[0], args.data(), envp.data());
    int e = errno;
    (void)!write(exec_pipe.write.get(), &e, sizeof(e));
    _exit(127);
  }

  // Parent.
  out_pipe.write.Reset();
  err_pipe.write.Reset();
  exec_pipe.write.Reset();
  in_pipe.read.Reset();
  int exec_errno = 0;
  ssize_t got;
  do {
    got = read(exec_pipe.read.get(), &exec_errno, sizeof(exec_errno));
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof(exec_errno))) {
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    return NotFoundError("cannot execute " + argv[0] + ": " + std::strerror(exec_errno));
  }

  SetNonBlocking(out_pipe.read.get());
  SetNonBlocking(err_pipe.read.get());
  if (in_pipe.write.valid()) SetNonBlocking(in_pipe.write.get());

  ProcessResult result;
  const std::string& input = options.stdin_data ? *options.stdin_data : std::string();
  size_t input_pos = 0;
  if (in_pipe.write.valid() && input.empty()) in_pipe.write.Reset();
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  int wstatus = 0;
  bool exited = false;
  while (true) {
    pollfd fds[3];
    int nfds = 0;
    if (out_pipe.read.valid()) fds[nfds++] = {out_pipe.read.get(), POLLIN, 0};
    if (err_pipe.read.valid()) fds[nfds++] = {err_pipe.read.get(), POLLIN, 0};
    if (in_pipe.write.valid()) fds[nfds++] = {in_pipe.write.get(), POLLOUT, 0};
    if (nfds > 0) poll(fds, static_cast<nfds_t>(nfds), 20);
    Drain(out_pipe.read, result.stdout_text);
    Drain(err_pipe.read, result.stderr_text);
    if (in_pipe.write.valid()) {
      ssize_t n = write(in_pipe.write.get(), input.data() + input_pos, input.size() - input_pos);
      if (n > 0) input_pos += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || input_pos == input.size()) {
        in_pipe.write.Reset();
      }
    }
    if (!exited) {
      pid_t w = waitpid(pid, &wstatus, WNOHANG);
      if (w == pid) exited = true;
    }
    // Done when the child has exited and its pipes are closed. A daemon it
    // spawned may keep the pipes open: stop reading once the child is gone
    // and nothing more is immediately available.
    if (exited) {
      Drain(out_pipe.read, result.stdout_text);
      Drain(err_pipe.read, result.stderr_text);
      break;
    }
    if (nfds == 0) usleep(5000);
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
      }
      return UnavailableError(JoinArgv(argv) + ": timed out after " +
                              std::to_string(options.timeout.count()) +
                              " ms; stderr: " + result.stderr_text);
    }
  }
  result.exit_code = ExitCodeOf(wstatus);
  return result;
}

Result<ProcessResult> RunProcessOk(const std::vector<std::string>& argv,
                                   const ProcessOptions& options) {
  VOUCH_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(argv, options));
  if (!r.ok()) return FailedPreconditionError(JoinArgv(argv) + " failed: " + r.Describe());
  return r;
}

}  // namespace vouch::testing
