// vouch-agent serve under load: resident memory (target <= 20 MB while
// serving) and the HTTPS serving overhead, as a ratio of the time per
// evidence request over HTTPS to the time the same agent spends collecting
// (its own debug log line is not used: the baseline is `vouch-agent quote`'s
// in-process Collect measured in this run, on the same swtpm).
//
// Run: build/bench/agent_serve_bench [requests]   (default 300)
// Needs swtpm, openssl and the vouch-agent binary of this build.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/base/logger.h"
#include "core/http/cpprest_http.h"
#include "tests/testing/background_process.h"
#include "tests/testing/process.h"
#include "tests/testing/swtpm.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "agent_serve_bench: %s\n", what.c_str());
  std::exit(1);
}

// "VmRSS" / "VmHWM" of `pid` in kB.
long StatusKb(pid_t pid, const std::string& key) {  // NOLINT(google-runtime-int)
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  const int requests = argc > 1 ? std::atoi(argv[1]) : 300;
  auto tpm = vouch::testing::SwtpmInstance::Start();
  if (!tpm.has_value()) Die(tpm.error().ToString());
  fs::path dir = (*tpm)->dir() / "bench";
  fs::create_directories(dir);
  const std::string state = (dir / "state").string();
  auto agent = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {
        VOUCH_AGENT_BINARY,           "--tcti", (*tpm)->Tcti(), "--state-dir", state, "--config",
        (dir / "agent.conf").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  };
  auto ok = [](auto r) {
    if (!r.has_value()) Die(r.error().ToString());
    return std::move(*r);
  };
  ok(vouch::testing::RunProcessOk(
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
       (dir / "tls.key").string(), "-out", (dir / "tls.crt").string()}));
  std::ofstream(dir / "agent.conf") << "tls_certificate = " << (dir / "tls.crt").string() << "\n"
                                    << "tls_private_key = " << (dir / "tls.key").string() << "\n"
                                    << "rate_limit = 10000\nrate_burst = 10000\n";
  ok(vouch::testing::RunProcessOk(agent({"init"})));

  // Baseline: in-process collection, timed by the agent's own quote command
  // (process start excluded by subtracting an `info` run, which opens the
  // TPM and loads the AK the same way but does not quote).
  const int kProcessRuns = 10;
  auto time_runs = [&](const std::vector<std::string>& args) {
    auto start = Clock::now();
    for (int i = 0; i < kProcessRuns; ++i) ok(vouch::testing::RunProcessOk(agent(args)));
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count() / kProcessRuns;
  };
  double quote_ms = time_runs({"quote", "--nonce", "00112233445566778899aabbccddeeff"});
  double info_ms = time_runs({"info"});
  double collect_ms = std::max(0.05, quote_ms - info_ms);

  auto server =
      ok(vouch::testing::BackgroundProcess::Start(agent({"serve", "--port", "0"}), dir / "logs"));
  std::string line = ok(server->WaitForStderr("listening on ", std::chrono::seconds(20)));
  std::smatch m;
  if (!std::regex_search(line, m, std::regex("(https://[0-9.]+:[0-9]+)"))) Die(line);
  const std::string url = m[1].str();
  long rss_idle = StatusKb(server->pid(), "VmRSS");  // NOLINT(google-runtime-int)

  vouch::http::ClientOptions options;
  options.tls.ca_file = (dir / "tls.crt").string();
  auto client = ok(vouch::http::MakeCpprestClient(options));
  vouch::http::Request request;
  request.method = "POST";
  request.headers["content-type"] = "application/json";
  request.body = R"({"nonce":"00112233445566778899aabbccddeeff"})";
  auto start = Clock::now();
  for (int i = 0; i < requests; ++i) {
    vouch::http::Response r = ok(client->Send(url + "/v1/evidence", request));
    if (r.status != 200) Die("HTTP " + std::to_string(r.status) + ": " + r.body);
  }
  double request_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - start).count() / requests;
  long rss = StatusKb(server->pid(), "VmRSS");  // NOLINT(google-runtime-int)
  long hwm = StatusKb(server->pid(), "VmHWM");  // NOLINT(google-runtime-int)
  if (!server->Signal(SIGTERM).ok()) Die("SIGTERM");
  int code = ok(server->Wait(std::chrono::seconds(10)));

  std::printf(
      "vouch-agent serve, %d evidence requests over HTTPS (RSA-2048 AK, PCRs 0-23, "
      "all banks), swtpm\n",
      requests);
  std::printf(
      "  resident memory: %.1f MB idle, %.1f MB after the requests, peak %.1f MB "
      "(target <= 20 MB)\n",
      rss_idle / 1024.0, rss / 1024.0, hwm / 1024.0);
  std::printf(
      "  per request: %.2f ms over HTTPS (a new TLS connection each time, as the "
      "verifier polls) vs %.2f ms collecting in process: %.2fx\n",
      request_ms, collect_ms, request_ms / collect_ms);
  std::printf("  SIGTERM: exit %d\n", code);
  return hwm / 1024.0 <= 20.0 && code == 0 ? 0 : 1;
}
