#include "tests/testing/swtpm.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

namespace vouch::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr char kLoopback[] = "127.0.0.1";
// Ports are drawn below Linux's default ephemeral range (32768-60999) so that
// outgoing connections are unlikely to take them between check and bind.
constexpr int kPortLow = 20000;
constexpr int kPortHigh = 32700;
constexpr int kStartAttempts = 20;

constexpr char kRootCertName[] = "swtpm-localca-rootca-cert.pem";
constexpr char kIntermediateCertName[] = "issuercert.pem";

// TPM2_GetRandom(8) and TPM2_Startup(TPM_SU_CLEAR) (TPM 2.0 Part 3, sections
// 16.1 and 9.3): tag TPM_ST_NO_SESSIONS, size, command code, parameter.
constexpr uint8_t kGetRandomCommand[] = {0x80, 0x01, 0x00, 0x00, 0x00, 0x0c,
                                         0x00, 0x00, 0x01, 0x7b, 0x00, 0x08};
constexpr uint8_t kStartupClearCommand[] = {0x80, 0x01, 0x00, 0x00, 0x00, 0x0c,
                                            0x00, 0x00, 0x01, 0x44, 0x00, 0x00};
constexpr uint32_t kRcInitialize = 0x100;  // TPM_RC_INITIALIZE: already started

// Where temporary directories go: $TMPDIR when it names a directory, /tmp
// otherwise. The only environment read of this library.
fs::path TempBase() {
  const char* env = std::getenv("TMPDIR");
  std::error_code ec;
  if (env != nullptr && *env != '\0' && fs::is_directory(env, ec)) return fs::path(env);
  return fs::path("/tmp");
}

Result<fs::path> MakeTempDir(const std::string& prefix) {
  std::string templ = (TempBase() / (prefix + "XXXXXX")).string();
  if (mkdtemp(templ.data()) == nullptr) {
    return InternalError("mkdtemp " + templ + ": " + std::strerror(errno));
  }
  return fs::path(templ);
}

void RemoveTree(const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
}

Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return InternalError("cannot write " + path.string());
  return Status();
}

// Missing tools become FailedPrecondition naming the Debian package.
Result<ProcessResult> RunSwtpmTool(const std::vector<std::string>& argv,
                                   const ProcessOptions& options = {}) {
  Result<ProcessResult> r = RunProcess(argv, options);
  if (!r.has_value() && r.error().code() == Code::kNotFound) {
    std::string package = argv[0] == "swtpm" ? "swtpm" : "swtpm-tools";
    return FailedPreconditionError(r.error().message() + " (install the " + package +
                                   " package, e.g. with scripts/deps.sh)");
  }
  return r;
}

Result<fs::path> FindLocalCaTool() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
    fs::path p = fs::path(dir) / "swtpm_localca";
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return FailedPreconditionError(
      "swtpm_localca not found in /usr/bin or /usr/local/bin (install the swtpm-tools "
      "package, e.g. with scripts/deps.sh)");
}

// Provisions a TPM with EK certificates from a CA private to `dir`.
Status Provision(const fs::path& dir) {
  const fs::path ca = dir / "ca";
  const fs::path state = dir / "state";
  for (const fs::path& d : {ca, state, dir / "trust", dir / "work"}) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) return InternalError("create " + d.string() + ": " + ec.message());
  }
  VOUCH_ASSIGN_OR_RETURN(fs::path localca, FindLocalCaTool());
  // swtpm-localca.conf / .options and swtpm_setup.conf, as documented in
  // swtpm-localca.conf(8) and swtpm_setup.conf(8).
  VOUCH_RETURN_IF_ERROR(WriteText(
      dir / "swtpm-localca.conf",
      "statedir = " + ca.string() + "\n" + "signingkey = " + (ca / "signkey.pem").string() + "\n" +
          "issuercert = " + (ca / kIntermediateCertName).string() + "\n" +
          "certserial = " + (ca / "certserial").string() + "\n"));
  VOUCH_RETURN_IF_ERROR(WriteText(dir / "swtpm-localca.options",
                                  "--platform-manufacturer Vouch\n"
                                  "--platform-version 2.1\n"
                                  "--platform-model swtpm\n"));
  VOUCH_RETURN_IF_ERROR(
      WriteText(dir / "swtpm_setup.conf",
                "create_certs_tool = " + localca.string() + "\n" +
                    "create_certs_tool_config = " + (dir / "swtpm-localca.conf").string() + "\n" +
                    "create_certs_tool_options = " + (dir / "swtpm-localca.options").string() +
                    "\n" + "active_pcr_banks = sha1,sha256\n"));
  ProcessOptions options;
  options.env = {{"TSS2_LOG", "all+none"}};
  VOUCH_ASSIGN_OR_RETURN(
      ProcessResult r,
      RunSwtpmTool({"swtpm_setup", "--tpm2", "--tpmstate", state.string(), "--create-ek-cert",
                    "--create-platform-cert", "--pcr-banks", "sha1,sha256", "--write-ek-cert-files",
                    state.string(), "--config", (dir / "swtpm_setup.conf").string()},
                   options));
  if (!r.ok()) return FailedPreconditionError("swtpm_setup failed: " + r.Describe());
  std::error_code ec;
  fs::copy_file(ca / kRootCertName, dir / "trust" / kRootCertName,
                fs::copy_options::overwrite_existing, ec);
  if (ec)
    return FailedPreconditionError("swtpm_setup left no root CA certificate: " + ec.message());
  return Status();
}

// Copies a provisioned instance directory (CA, trust, TPM state) into `dst`.
Status CopyProvisioned(const fs::path& src, const fs::path& dst) {
  for (const char* part : {"ca", "trust", "state"}) {
    std::error_code ec;
    fs::copy(src / part, dst / part, fs::copy_options::recursive, ec);
    if (ec) return InternalError(std::string("copy swtpm ") + part + ": " + ec.message());
  }
  std::error_code ec;
  fs::create_directories(dst / "work", ec);
  for (const fs::path& stale :
       {dst / "state" / ".lock", dst / "state" / "pid", dst / "ca" / ".lock.swtpm-localca"}) {
    fs::remove(stale, ec);
  }
  return Status();
}

// One provisioned state per test process, removed at exit.
class ProvisionedCache {
 public:
  ~ProvisionedCache() {
    if (dir_) RemoveTree(*dir_);
  }
  Result<fs::path> Get() {
    std::lock_guard<std::mutex> lock(mu_);
    if (dir_) return *dir_;
    VOUCH_ASSIGN_OR_RETURN(fs::path dir, MakeTempDir("vouch-swtpm-template-"));
    Status s = Provision(dir);
    if (!s.ok()) {
      RemoveTree(dir);
      return s;
    }
    dir_ = dir;
    return dir;
  }

 private:
  std::mutex mu_;
  std::optional<fs::path> dir_;
};

ProvisionedCache& Cache() {
  static ProvisionedCache cache;
  return cache;
}

bool PortFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, kLoopback, &addr.sin_addr);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

int PickPortPair() {
  thread_local std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> dist(kPortLow, kPortHigh);
  for (int i = 0; i < 200; ++i) {
    int p = dist(rng);
    if (PortFree(p) && PortFree(p + 1)) return p;
  }
  return 0;
}

Status SendAll(int fd, ByteView data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return UnavailableError(std::string("send: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status();
}

Status RecvExactly(int fd, uint8_t* out, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = recv(fd, out + done, size - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return UnavailableError("connection closed by swtpm");
    if (n < 0) return UnavailableError(std::string("recv: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status();
}

uint32_t ReadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Whether `pid` is a live (not zombie) process.
bool Alive(pid_t pid) {
  if (kill(pid, 0) != 0) return errno == EPERM;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t paren = line.rfind(')');
  return !(paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z');
}

// Guards against a recycled PID: the process must be swtpm on our state dir.
bool IsOurSwtpm(pid_t pid, const fs::path& state_dir) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return cmdline.find("swtpm") != std::string::npos &&
         cmdline.find(state_dir.string()) != std::string::npos;
}

Result<pid_t> ReadPidFile(const fs::path& path, steady_clock::time_point deadline) {
  while (true) {
    std::ifstream in(path);
    long pid = 0;
    if (in >> pid && pid > 0) return static_cast<pid_t>(pid);
    if (steady_clock::now() > deadline) {
      return UnavailableError("swtpm wrote no pid file at " + path.string());
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
}

// tpm2-tools that never leave a transient object loaded; after any other
// tool, RunTool flushes transient objects.
bool LoadsNoObject(const std::string& tool) {
  static const char* const kTools[] = {
      "tpm2_checkquote",       "tpm2_flushcontext", "tpm2_getcap",       "tpm2_getrandom",
      "tpm2_makecredential",   "tpm2_nvread",       "tpm2_nvreadpublic", "tpm2_pcrextend",
      "tpm2_pcrread",          "tpm2_pcrreset",     "tpm2_policysecret", "tpm2_readclock",
      "tpm2_startauthsession", "tpm2_startup"};
  for (const char* t : kTools) {
    if (tool == t) return true;
  }
  return false;
}

// Daemons of live instances, so that a test that crashes (abort from a failed
// check, a segfault) or is interrupted does not leave swtpm running. The
// handler only calls async-signal-safe functions, and only in the process
// that started the daemons (not in a forked death-test child).
constexpr int kMaxTracked = 64;
std::atomic<pid_t> g_tracked[kMaxTracked];
std::atomic<pid_t> g_owner{0};
constexpr int kFatalSignals[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGINT, SIGTERM};
struct sigaction g_previous[NSIG];

extern "C" void KillTrackedOnFatalSignal(int sig) {
  if (getpid() == g_owner.load()) {
    for (auto& slot : g_tracked) {
      pid_t pid = slot.load();
      if (pid > 0) kill(pid, SIGTERM);
    }
  }
  sigaction(sig, &g_previous[sig], nullptr);
  raise(sig);
}

void InstallFatalSignalHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_owner = getpid();
    for (int sig : kFatalSignals) {
      struct sigaction sa {};
      sa.sa_handler = KillTrackedOnFatalSignal;
      sigemptyset(&sa.sa_mask);
      sa.sa_flags = SA_RESETHAND;
      sigaction(sig, &sa, &g_previous[sig]);
    }
  });
}

void Track(pid_t pid) {
  InstallFatalSignalHandlers();
  for (auto& slot : g_tracked) {
    pid_t expected = 0;
    if (slot.compare_exchange_strong(expected, pid)) return;
  }
}

void Untrack(pid_t pid) {
  for (auto& slot : g_tracked) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

}  // namespace

Result<std::unique_ptr<SwtpmInstance>> SwtpmInstance::Start(const SwtpmOptions& options) {
  VOUCH_ASSIGN_OR_RETURN(fs::path dir, MakeTempDir("vouch-swtpm-"));
  std::unique_ptr<SwtpmInstance> instance(new SwtpmInstance(dir, 0));
  if (options.fresh) {
    VOUCH_RETURN_IF_ERROR_CTX(Provision(dir), "provision swtpm");
  } else {
    VOUCH_ASSIGN_OR_RETURN_CTX(fs::path cached, Cache().Get(), "provision swtpm");
    VOUCH_RETURN_IF_ERROR(CopyProvisioned(cached, dir));
  }

  const fs::path state = instance->StateDir();
  std::string last_error;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    int port = PickPortPair();
    if (port == 0) continue;
    std::vector<std::string> argv = {
        "swtpm",
        "socket",
        "--tpm2",
        "--tpmstate",
        "dir=" + state.string(),
        "--server",
        "type=tcp,port=" + std::to_string(port) + ",bindaddr=" + kLoopback,
        "--ctrl",
        "type=tcp,port=" + std::to_string(port + 1) + ",bindaddr=" + kLoopback,
        "--flags",
        "not-need-init,startup-clear",
        "--pid",
        "file=" + (state / "pid").string(),
        "--log",
        "file=" + (dir / "swtpm.log").string(),
        "--daemon"};
    VOUCH_ASSIGN_OR_RETURN(ProcessResult r, RunSwtpmTool(argv));
    if (!r.ok()) {
      last_error = r.Describe();
      // Another process took a port between our check and swtpm's bind.
      if (r.stderr_text.find("in use") != std::string::npos) continue;
      return FailedPreconditionError("swtpm did not start: " + last_error);
    }
    instance->port_ = static_cast<uint16_t>(port);
    instance->running_ = true;
    const auto deadline = steady_clock::now() + milliseconds(5000);
    VOUCH_ASSIGN_OR_RETURN(instance->pid_, ReadPidFile(state / "pid", deadline));
    Track(instance->pid_);
    // Ready when it answers a real command.
    while (true) {
      Result<Bytes> resp = instance->SendCommand(kGetRandomCommand);
      if (resp.has_value() && resp->size() >= 10 && ReadBe32(resp->data() + 6) == 0) break;
      if (steady_clock::now() > deadline) {
        return UnavailableError("swtpm on port " + std::to_string(port) +
                                " did not answer TPM2_GetRandom within 5 s: " +
                                (resp.has_value() ? "bad response" : resp.error().message()));
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    return instance;
  }
  return UnavailableError("no free loopback port pair for swtpm after " +
                          std::to_string(kStartAttempts) + " attempts: " + last_error);
}

SwtpmInstance::~SwtpmInstance() {
  (void)Stop();
  RemoveTree(dir_);
}

Status SwtpmInstance::Stop() {
  if (!running_) return Status();
  running_ = false;
  Untrack(pid_);
  if (pid_ <= 0 || !Alive(pid_) || !IsOurSwtpm(pid_, StateDir())) return Status();
  kill(pid_, SIGTERM);
  auto deadline = steady_clock::now() + milliseconds(2000);
  while (Alive(pid_) && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  if (Alive(pid_)) {
    kill(pid_, SIGKILL);
    deadline = steady_clock::now() + milliseconds(2000);
    while (Alive(pid_) && steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(5));
    }
    if (Alive(pid_))
      return InternalError("swtpm pid " + std::to_string(pid_) + " survived SIGKILL");
  }
  return Status();
}

std::string SwtpmInstance::Tcti() const {
  return std::string("swtpm:host=") + kLoopback + ",port=" + std::to_string(port_);
}

fs::path SwtpmInstance::RootCertPath() const { return CaDir() / kRootCertName; }
fs::path SwtpmInstance::IntermediateCertPath() const { return CaDir() / kIntermediateCertName; }
fs::path SwtpmInstance::RsaEkCertPath() const { return StateDir() / "ek-rsa2048.crt"; }
fs::path SwtpmInstance::EcEkCertPath() const { return StateDir() / "ek-secp384r1.crt"; }

Status SwtpmInstance::Reboot() {
  VOUCH_ASSIGN_OR_RETURN(
      ProcessResult r,
      RunSwtpmTool({"swtpm_ioctl", "--tcp",
                    std::string(kLoopback) + ":" + std::to_string(ctrl_port()), "-i"}));
  if (!r.ok()) return FailedPreconditionError("swtpm_ioctl -i failed: " + r.Describe());
  return Status();
}

Status SwtpmInstance::StartupClear() {
  VOUCH_ASSIGN_OR_RETURN(Bytes resp, SendCommand(kStartupClearCommand));
  if (resp.size() < 10) return UnavailableError("short TPM2_Startup response");
  uint32_t rc = ReadBe32(resp.data() + 6);
  if (rc != 0 && rc != kRcInitialize) {
    return FailedPreconditionError("TPM2_Startup(CLEAR) returned 0x" + [rc] {
      std::ostringstream s;
      s << std::hex << rc;
      return s.str();
    }());
  }
  return Status();
}

std::vector<std::pair<std::string, std::string>> SwtpmInstance::ToolEnv() const {
  return {{"TPM2TOOLS_TCTI", Tcti()}, {"TSS2_LOG", "all+none"}};
}

Result<ProcessResult> SwtpmInstance::RunToolAllowFailure(const std::vector<std::string>& argv) {
  ProcessOptions options;
  options.env = ToolEnv();
  options.cwd = WorkDir();
  Result<ProcessResult> r = RunProcess(argv, options);
  // tpm2-tools leave transient objects loaded; without a resource manager
  // the three slots would soon be full. Failure here is not interesting.
  if (!argv.empty() && !LoadsNoObject(argv[0])) {
    (void)RunProcess({"tpm2_flushcontext", "-t"}, options);
  }
  if (!r.has_value() && r.error().code() == Code::kNotFound) {
    return FailedPreconditionError(r.error().message() +
                                   " (install the tpm2-tools package, e.g. with scripts/deps.sh)");
  }
  return r;
}

Result<ProcessResult> SwtpmInstance::RunTool(const std::vector<std::string>& argv) {
  VOUCH_ASSIGN_OR_RETURN(ProcessResult r, RunToolAllowFailure(argv));
  if (!r.ok()) return FailedPreconditionError(JoinArgv(argv) + " failed: " + r.Describe());
  return r;
}

Result<Bytes> SwtpmInstance::SendCommand(ByteView command) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return InternalError(std::string("socket: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  inet_pton(AF_INET, kLoopback, &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return UnavailableError("connect to swtpm port " + std::to_string(port_) + ": " +
                            std::strerror(errno));
  }
  VOUCH_RETURN_IF_ERROR(SendAll(fd, command));
  // Response header: tag (2), size (4), responseCode (4); TPM 2.0 Part 1,
  // section 18.
  Bytes resp(10);
  VOUCH_RETURN_IF_ERROR(RecvExactly(fd, resp.data(), resp.size()));
  uint32_t size = ReadBe32(resp.data() + 2);
  if (size < 10 || size > 64 * 1024) {
    return UnavailableError("bad TPM response size " + std::to_string(size));
  }
  resp.resize(size);
  VOUCH_RETURN_IF_ERROR(RecvExactly(fd, resp.data() + 10, size - 10));
  return resp;
}

}  // namespace vouch::testing
