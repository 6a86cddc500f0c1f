// vouch-verifier: wiring only (first increment of issue 4: flags instead of
// a configuration file; enrollment, challenges, appraisal, hosts, reports on
// the embedded SQLite store).
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "core/base/clock.h"
#include "core/base/logger.h"
#include "core/crypto/random.h"
#include "core/crypto/x509.h"
#include "core/http/cpprest_http.h"
#include "verifier/api/api.h"
#include "verifier/store/sqlite_store.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;
constexpr int kExitBadConfig = 3;
constexpr int kExitFailure = 4;
constexpr int kExitInternal = 5;

struct Flags {
  std::string listen = "127.0.0.1";
  uint16_t port = 8443;
  std::string db = "/var/lib/vouch-verifier/verifier.db";
  std::string ek_ca_dir;
  std::string ek_intermediates;
  std::string tls_certificate;
  std::string tls_private_key;
  std::string log_level = "info";
  bool allow_emulated_launch = false;
  bool require_measured_launch = false;
};

int Run(int argc, char** argv) {
  CLI::App app{
      "vouch-verifier: enrolls hosts, challenges them and appraises their TPM evidence.\n"
      "Exit codes: 0 ok (stopped by SIGTERM), 2 usage, 3 bad configuration, 4 cannot "
      "start (store, port), 5 internal."};
  app.set_version_flag("--version", "vouch-verifier 0.1.0");
  Flags f;
  app.add_option("--listen", f.listen, "address to listen on")->capture_default_str();
  app.add_option("--port", f.port, "port (0: any free port)")->capture_default_str();
  app.add_option("--db", f.db, "SQLite database file")->capture_default_str();
  app.add_option("--ek-ca-dir", f.ek_ca_dir, "directory of trusted EK root CA certificates (PEM)")
      ->required();
  app.add_option("--ek-intermediates", f.ek_intermediates,
                 "PEM file of EK intermediate CAs TPMs do not carry");
  app.add_option("--tls-certificate", f.tls_certificate, "server certificate chain (PEM)");
  app.add_option("--tls-private-key", f.tls_private_key, "server private key (PEM)");
  app.add_option("--log-level", f.log_level, "debug, info, warning or error")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));
  app.add_flag("--allow-emulated-launch", f.allow_emulated_launch,
               "accept the launcher's emulated D-RTM (demos only)");
  app.add_flag("--require-measured-launch", f.require_measured_launch,
               "untrusted without a D-RTM measured launch");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  vouch::StderrLogger logger(*vouch::ParseLogLevel(f.log_level));
  if (f.tls_certificate.empty() != f.tls_private_key.empty()) {
    logger.Error("--tls-certificate and --tls-private-key go together");
    return kExitBadConfig;
  }
  if (f.tls_certificate.empty() && f.listen != "127.0.0.1" && f.listen != "::1") {
    logger.Error("plain HTTP is allowed on loopback only: set --tls-certificate");
    return kExitBadConfig;
  }

  // Signals are taken by one thread (blocked before any other starts).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  vouch::Result<vouch::crypto::CaStore> cas = vouch::crypto::CaStore::LoadDirectory(f.ek_ca_dir);
  if (!cas.has_value()) {
    logger.Error(cas.error().WithContext("--ek-ca-dir " + f.ek_ca_dir).ToString());
    return kExitBadConfig;
  }
  vouch::verifier::ApiOptions options;
  options.registrar.ek_cas = &*cas;
  if (!f.ek_intermediates.empty()) {
    std::ifstream in(f.ek_intermediates);
    std::stringstream pem;
    pem << in.rdbuf();
    auto certs = vouch::crypto::Certificate::AllFromPem(pem.str());
    if (!in || !certs.has_value()) {
      logger.Error("--ek-intermediates " + f.ek_intermediates + ": no PEM certificates");
      return kExitBadConfig;
    }
    options.registrar.intermediates = *certs;
  }
  options.policy.allow_emulated_launch = f.allow_emulated_launch;
  options.policy.require_measured_launch = f.require_measured_launch;

  auto store = vouch::verifier::OpenSqliteStore(f.db);
  if (!store.has_value()) {
    logger.Error(store.error().WithContext("--db " + f.db).ToString());
    return kExitFailure;
  }
  vouch::verifier::ReferenceSet references;  // reference-value CRUD: next increment
  vouch::crypto::OpenSslRandom random;
  vouch::SystemClock clock;
  vouch::verifier::VerifierApi api(**store, references, options, random, clock, logger);

  vouch::http::ServerOptions server_options;
  server_options.address = f.listen;
  server_options.port = f.port;
  server_options.max_body_bytes = size_t{48} * 1024 * 1024;  // evidence with full logs
  if (!f.tls_certificate.empty()) {
    vouch::http::TlsServerOptions tls;
    tls.certificate_chain_file = f.tls_certificate;
    tls.private_key_file = f.tls_private_key;
    server_options.tls = tls;
  }
  auto server = vouch::http::StartCpprestServer(
      server_options, [&api](const vouch::http::Request& r) { return api.Handle(r); }, logger);
  if (!server.has_value()) {
    logger.Error(server.error().WithContext("listen").ToString());
    return kExitFailure;
  }
  logger.Info(std::string("listening on ") + (server_options.tls ? "https" : "http") + "://" +
              f.listen + ":" + std::to_string((*server)->BoundPort()) + ", store " + f.db);
  int sig = 0;
  sigwait(&set, &sig);
  logger.Info(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
              "; shutting down");
  (*server)->Stop();
  logger.Info("stopped");
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  mallopt(M_ARENA_MAX, 2);
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vouch-verifier: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "vouch-verifier: internal error\n");
  }
  return kExitInternal;
}
