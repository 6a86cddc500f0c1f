// vouch-verifier: wiring only. Reads the configuration (docs/verifier.md),
// opens the store, starts the REST API, the pull-mode poller and webhooks,
// and stops cleanly on SIGTERM/SIGINT. `token new|hash` manage API tokens.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/base/clock.h"
#include "core/base/logger.h"
#include "core/base/systemd_notify.h"
#include "core/crypto/random.h"
#include "core/crypto/x509.h"
#include "core/http/cpprest_http.h"
#include "verifier/api/api.h"
#include "verifier/config/config.h"
#include "verifier/config/token_cmd.h"
#include "verifier/metrics/metrics.h"
#include "verifier/notify/webhooks.h"
#include "verifier/poller/poller.h"
#include "verifier/store/sqlite_store.h"

namespace {

using vouch::verifier::kExitBadConfig;
using vouch::verifier::kExitCannotStart;
using vouch::verifier::kExitOk;
using vouch::verifier::kExitUsage;

// Command-line overrides: flag -> configuration key.
struct Override {
  const char* flag;
  const char* key;
  const char* help;
};
constexpr Override kOverrides[] = {
    {"--listen", "listen_address", "address to listen on"},
    {"--port", "listen_port", "port (0: any free port)"},
    {"--db", "database", "SQLite database file"},
    {"--ek-ca-dir", "ek_ca_dir", "directory of trusted EK root CA certificates (PEM)"},
    {"--ek-intermediates", "ek_intermediates", "PEM file of EK intermediate CAs"},
    {"--tls-certificate", "tls_certificate", "server certificate chain (PEM)"},
    {"--tls-private-key", "tls_private_key", "server private key (PEM)"},
    {"--log-level", "log_level", "debug, info, warning or error"},
    {"--pull-interval", "pull_interval", "seconds between polls of pull-mode agents (0: off)"},
};

std::optional<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data;
  data.resize(max_bytes + 1);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > max_bytes) return std::nullopt;
  return data;
}

int Serve(const vouch::verifier::VerifierConfig& config, vouch::Logger& logger) {
  namespace v = vouch::verifier;
  // Signals are taken by this thread (blocked before any other starts).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  // An empty ek_ca_dir trusts no EK certificate (allowed_ek.NAME only).
  std::optional<vouch::crypto::CaStore> cas;
  if (!config.ek_ca_dir.empty()) {
    auto loaded = vouch::crypto::CaStore::LoadDirectory(config.ek_ca_dir);
    if (!loaded.has_value()) {
      logger.Error(loaded.error().WithContext("ek_ca_dir " + config.ek_ca_dir).ToString());
      return kExitBadConfig;
    }
    cas = std::move(*loaded);
  }
  v::ApiOptions options;
  options.registrar.ek_cas = cas ? &*cas : nullptr;
  options.registrar.challenge_lifetime = config.enrollment_lifetime;
  if (!config.ek_intermediates.empty()) {
    std::optional<std::string> pem = ReadSmallFile(config.ek_intermediates, 4u << 20);
    auto certs = pem ? vouch::crypto::Certificate::AllFromPem(*pem)
                     : vouch::Result<std::vector<vouch::crypto::Certificate>>(
                           vouch::Status(vouch::Code::kNotFound, "cannot read"));
    if (!certs.has_value()) {
      logger.Error("ek_intermediates " + config.ek_intermediates + ": no PEM certificates");
      return kExitBadConfig;
    }
    options.registrar.intermediates = *certs;
  }
  for (const auto& [name, path] : config.allowed_eks) {
    std::optional<std::string> blob = ReadSmallFile(path, 4096);
    if (!blob || blob->empty()) {
      logger.Error("allowed_ek." + name + ": cannot read " + path + " (TPM2B_PUBLIC, <= 4 KiB)");
      return kExitBadConfig;
    }
    options.registrar.allowed_ek_publics.emplace_back(blob->begin(), blob->end());
  }
  options.policy.allow_emulated_launch = config.allow_emulated_launch;
  options.policy.require_measured_launch = config.require_measured_launch;
  options.policy.validity = config.report_validity;
  options.nonce_lifetime = config.nonce_lifetime;
  options.stale_after = config.stale_after;
  options.max_evidence_bytes = config.max_evidence_bytes;
  options.max_request_bytes = config.max_request_bytes;
  options.metrics_public = config.metrics_public;

  auto store = v::OpenSqliteStore(config.database);
  if (!store.has_value()) {
    logger.Error(store.error().WithContext("database " + config.database).ToString());
    return kExitCannotStart;
  }
  vouch::crypto::OpenSslRandom random;
  vouch::SystemClock clock;
  v::Metrics metrics;
  v::TokenAuthenticator tokens(config.tokens);
  if (tokens.empty()) {
    logger.Warning(
        "no API tokens configured: dashboard and admin routes answer 401 "
        "(vouch-verifier token new --name NAME --role reader|admin)");
  }

  // Webhooks: their own client (system CAs).
  std::unique_ptr<vouch::http::HttpClient> webhook_client;
  std::unique_ptr<v::WebhookNotifier> webhooks;
  if (!config.webhooks.empty()) {
    std::optional<std::string> secret = ReadSmallFile(config.webhook_secret_file, 4096);
    if (!secret) {
      logger.Error("webhook_secret_file " + config.webhook_secret_file + ": cannot read");
      return kExitBadConfig;
    }
    while (!secret->empty() && (secret->back() == '\n' || secret->back() == '\r')) {
      secret->pop_back();
    }
    auto client = vouch::http::MakeCpprestClient({});
    if (!client.has_value()) {
      logger.Error(client.error().WithContext("webhook client").ToString());
      return kExitCannotStart;
    }
    webhook_client = std::move(*client);
    v::WebhookOptions wo;
    for (const auto& [name, url] : config.webhooks) wo.urls.push_back(url);
    wo.secret.assign(secret->begin(), secret->end());
    auto notifier =
        v::WebhookNotifier::Create(std::move(wo), *webhook_client, clock, logger, &metrics);
    if (!notifier.has_value()) {
      logger.Error(notifier.error().WithContext("webhooks").ToString());
      return kExitBadConfig;
    }
    webhooks = std::move(*notifier);
  }

  v::VerifierApi api(v::ApiDeps{**store, random, clock, logger, &tokens, &metrics, webhooks.get()},
                     options);

  vouch::http::ServerOptions server_options;
  server_options.address = config.listen_address;
  server_options.port = config.listen_port;
  server_options.max_body_bytes = std::max(config.max_evidence_bytes, config.max_request_bytes);
  if (!config.tls_certificate.empty()) {
    vouch::http::TlsServerOptions tls;
    tls.certificate_chain_file = config.tls_certificate;
    tls.private_key_file = config.tls_private_key;
    server_options.tls = tls;
  }
  auto server = vouch::http::StartCpprestServer(
      server_options, [&api](const vouch::http::Request& r) { return api.Handle(r); }, logger);
  if (!server.has_value()) {
    logger.Error(server.error().WithContext("listen").ToString());
    return kExitCannotStart;
  }

  // Pull mode: poll agents with an agent URL.
  std::unique_ptr<vouch::http::HttpClient> agent_client;
  std::unique_ptr<v::Poller> poller;
  if (config.pull_interval.count() > 0) {
    vouch::http::ClientOptions co;
    co.tls.ca_file = config.agent_ca;
    co.tls.certificate_file = config.agent_client_certificate;
    co.tls.private_key_file = config.agent_client_private_key;
    auto client = vouch::http::MakeCpprestClient(co);
    if (!client.has_value()) {
      logger.Error(client.error().WithContext("agent client").ToString());
      return kExitCannotStart;
    }
    agent_client = std::move(*client);
    v::PollerHooks hooks;
    hooks.issue_nonce = [&api](const std::string& host) { return api.IssueNonce(host); };
    hooks.submit_evidence = [&api](const std::string& host,
                                   std::string_view body) -> vouch::Result<std::string> {
      VOUCH_ASSIGN_OR_RETURN(v::Submission s, api.SubmitEvidence(host, body));
      return std::string(v::VerdictName(s.result.verdict));
    };
    v::PollerOptions po;
    po.interval = config.pull_interval;
    po.jitter = config.pull_jitter;
    po.max_in_flight = config.pull_max_in_flight;
    auto created = v::Poller::Create(**store, *agent_client, std::move(hooks), po, clock, random,
                                     logger, &metrics);
    if (!created.has_value()) {
      logger.Error(created.error().WithContext("pull mode").ToString());
      return kExitBadConfig;
    }
    poller = std::move(*created);
    poller->Start();
  }

  logger.Info(std::string("listening on ") + (server_options.tls ? "https" : "http") + "://" +
              config.listen_address + ":" + std::to_string((*server)->BoundPort()) + ", store " +
              config.database + ", " + std::to_string(config.tokens.size()) + " API tokens, " +
              std::to_string(config.webhooks.size()) + " webhooks, pull mode " +
              (poller ? "every " + std::to_string(config.pull_interval.count()) + " s" : "off"));
  vouch::NotifySystemd("READY=1");

  // Wait for a signal; purge expired nonces once a minute meanwhile.
  int sig = 0;
  for (;;) {
    timespec timeout{60, 0};
    sig = sigtimedwait(&set, nullptr, &timeout);
    if (sig == SIGTERM || sig == SIGINT) break;
    auto purged = (*store)->PurgeExpiredNonces(clock.Now());
    if (purged.has_value() && *purged > 0) {
      logger.Debug("purged " + std::to_string(*purged) + " expired nonces");
    }
  }
  vouch::NotifySystemd("STOPPING=1");
  logger.Info(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
              "; shutting down");
  if (poller) poller->Stop();
  (*server)->Stop();
  if (webhooks) {
    webhooks->Flush(std::chrono::seconds(5));
    webhooks->Stop();
  }
  logger.Info("stopped");
  return kExitOk;
}

int Run(int argc, char** argv) {
  CLI::App app{
      "vouch-verifier: enrolls hosts, challenges them and appraises their TPM evidence.\n"
      "Without a subcommand it serves (same as `serve`). Configuration: docs/verifier.md.\n"
      "Exit codes: 0 ok (stopped by SIGTERM), 2 usage, 3 bad configuration, 4 cannot "
      "start (store, port), 5 internal."};
  app.set_version_flag("--version", "vouch-verifier 0.1.0");
  std::string config_path(vouch::verifier::kDefaultVerifierConfigPath);
  auto* config_opt =
      app.add_option("--config", config_path, "configuration file")->capture_default_str();
  std::vector<std::string> flag_values(std::size(kOverrides));
  for (size_t i = 0; i < std::size(kOverrides); ++i) {
    app.add_option(kOverrides[i].flag, flag_values[i],
                   std::string(kOverrides[i].help) + " (key " + kOverrides[i].key + ")");
  }
  bool allow_emulated = false;
  bool require_launch = false;
  app.add_flag("--allow-emulated-launch", allow_emulated,
               "accept the launcher's emulated D-RTM (demos only; key allow_emulated_launch)");
  app.add_flag("--require-measured-launch", require_launch,
               "untrusted without a D-RTM measured launch (key require_measured_launch)");
  std::vector<std::string> sets;
  app.add_option("--set", sets, "KEY=VALUE: set any configuration key (repeatable)");
  app.add_subcommand("serve", "serve the API (the default)");
  CLI::App* token = app.add_subcommand("token", "manage API bearer tokens");
  token->require_subcommand(1);
  CLI::App* token_new = token->add_subcommand(
      "new", "make a random token; prints it once, and the configuration line to add");
  std::string token_name;
  std::string token_role;
  token_new->add_option("--name", token_name, "who holds it (shown in logs)")->required();
  token_new->add_option("--role", token_role, "reader or admin")->required();
  CLI::App* token_hash =
      token->add_subcommand("hash", "read a token on stdin, print its sha256:HEX");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  if (token_new->parsed()) {
    return vouch::verifier::RunTokenNew(token_name, token_role, std::cout, std::cerr);
  }
  if (token_hash->parsed()) return vouch::verifier::RunTokenHash(std::cin, std::cout, std::cerr);

  vouch::StderrLogger boot_logger(vouch::LogLevel::kInfo);
  vouch::verifier::VerifierConfig config;
  auto loaded = vouch::verifier::LoadVerifierConfig(config_path);
  if (loaded.has_value()) {
    config = std::move(*loaded);
  } else if (loaded.error().code() == vouch::Code::kNotFound && config_opt->count() == 0) {
    boot_logger.Info("no " + config_path + "; using defaults and flags");
  } else {
    boot_logger.Error(loaded.error().ToString());
    return kExitBadConfig;
  }
  for (size_t i = 0; i < std::size(kOverrides); ++i) {
    if (app.get_option(kOverrides[i].flag)->count() == 0) continue;
    if (auto s = vouch::verifier::SetVerifierConfigValue(config, kOverrides[i].key, flag_values[i]);
        !s.ok()) {
      boot_logger.Error(std::string(kOverrides[i].flag) + ": " + s.ToString());
      return kExitBadConfig;
    }
  }
  if (allow_emulated) config.allow_emulated_launch = true;
  if (require_launch) config.require_measured_launch = true;
  for (const std::string& kv : sets) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      boot_logger.Error("--set " + kv + ": expected KEY=VALUE");
      return kExitUsage;
    }
    if (auto s =
            vouch::verifier::SetVerifierConfigValue(config, kv.substr(0, eq), kv.substr(eq + 1));
        !s.ok()) {
      boot_logger.Error("--set: " + s.ToString());
      return kExitBadConfig;
    }
  }
  if (auto s = vouch::verifier::ValidateVerifierConfig(config); !s.ok()) {
    boot_logger.Error(s.ToString());
    return kExitBadConfig;
  }
  vouch::StderrLogger logger(config.log_level);
  return Serve(config, logger);
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
  return vouch::verifier::kExitInternal;
}
