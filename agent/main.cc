// vouch-agent: wiring only. Subcommands are in commands.cc.
#include <malloc.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>

#include "agent/commands.h"
#include "agent/config.h"
#include "agent/host_facts.h"
#include "core/base/logger.h"

namespace {

using vouch::agent::kExitBadConfig;
using vouch::agent::kExitInternal;
using vouch::agent::kExitUsage;

// True when stderr is connected to the journal (systemd sets JOURNAL_STREAM
// to "<device>:<inode>" of the stream it gave us).
bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");  // NOLINT(concurrency-mt-unsafe)
  if (stream == nullptr) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  std::string expected =
      std::to_string(static_cast<unsigned long long>(st.st_dev)) +
      ":" +                                                        // NOLINT(google-runtime-int)
      std::to_string(static_cast<unsigned long long>(st.st_ino));  // NOLINT(google-runtime-int)
  return expected == stream;
}

int Run(int argc, char** argv) {
  CLI::App app{
      "vouch-agent: the Vouch host agent. Owns the TPM attestation key, enrolls with the "
      "verifier and answers challenges with TPM-quoted evidence.\n"
      "Exit codes: 0 ok, 1 refused (by the verifier or a permission check), 2 usage error, "
      "3 bad configuration or input, 4 TPM, state directory or network failure, 5 internal "
      "error."};
  app.set_version_flag("--version", "vouch-agent " + vouch::agent::AgentVersion());
  app.require_subcommand(1);
  app.fallthrough();

  std::optional<std::string> config_path, tcti, state_dir, log_level;
  app.add_option("--config", config_path,
                 "configuration file (default /etc/vouch/agent.conf when it exists)");
  app.add_option("--tcti", tcti,
                 "TPM transport, e.g. device:/dev/tpmrm0 or "
                 "swtpm:host=127.0.0.1,port=2321 (overrides tcti)");
  app.add_option("--state-dir", state_dir, "state directory (overrides state_dir)");
  app.add_option("--log-level", log_level, "debug, info, warning or error (overrides log_level)")
      ->check(CLI::IsMember({"debug", "info", "warning", "warn", "error"}));

  vouch::agent::InitFlags init_flags;
  CLI::App* init = app.add_subcommand(
      "init", "create the attestation key (or check and reuse the existing one); idempotent");
  init->add_option("--ak-type", init_flags.ak_type, "rsa (RSA-2048, default) or ecc (P-256)")
      ->check(CLI::IsMember({"rsa", "ecc"}));
  init->add_option("--ak-storage", init_flags.ak_storage,
                   "file (blobs in the state directory, default) or persistent (TPM handle)")
      ->check(CLI::IsMember({"file", "persistent"}));
  init->add_flag("--force", init_flags.force,
                 "replace an existing AK of another type (it must be enrolled again)");

  vouch::agent::QuoteFlags quote_flags;
  CLI::App* quote = app.add_subcommand("quote", "print one evidence document (JSON) for a nonce");
  quote->add_option("--nonce", quote_flags.nonce_hex, "challenge nonce, 16-128 hex digits")
      ->required();
  quote->add_option("--pcrs", quote_flags.pcrs, "PCR indices to quote (default 0-23)")
      ->delimiter(',')
      ->check(CLI::Range(0, 23));
  quote->add_option("--out", quote_flags.out, "write to this file instead of stdout");

  CLI::App* info = app.add_subcommand("info", "print the AK, EK certificate fingerprint, host id");

  std::optional<std::string> enroll_url;
  CLI::App* enroll = app.add_subcommand("enroll", "enroll this host's AK with the verifier");
  enroll->add_option("--verifier", enroll_url, "verifier base URL (overrides verifier_url)");

  vouch::agent::ServeFlags serve_flags;
  CLI::App* serve =
      app.add_subcommand("serve", "pull mode: serve evidence over HTTPS until SIGTERM");
  serve->add_option("--listen", serve_flags.listen_address, "address (overrides listen_address)");
  serve->add_option("--port", serve_flags.port, "port, 0 for any free one (overrides listen_port)");

  vouch::agent::PushFlags push_flags;
  CLI::App* push = app.add_subcommand(
      "push", "push mode: submit evidence to the verifier periodically and on PCR changes");
  push->add_option("--verifier", push_flags.verifier_url, "verifier base URL");
  push->add_flag("--once", push_flags.once, "submit once and exit");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }

  vouch::StderrLogger logger(vouch::LogLevel::kInfo, StderrIsJournal());
  vouch::Result<vouch::agent::AgentConfig> config = vouch::agent::AgentConfig{};
  if (config_path.has_value()) {
    config = vouch::agent::LoadAgentConfig(*config_path);
  } else {
    config = vouch::agent::LoadAgentConfig(std::string(vouch::agent::kDefaultConfigPath));
    if (!config.has_value() && config.error().code() == vouch::Code::kNotFound) {
      config = vouch::agent::AgentConfig{};
    }
  }
  if (!config.has_value()) {
    logger.Error(config.error().ToString());
    return kExitBadConfig;
  }
  // Flags go through the same checks as configuration lines.
  struct Override {
    const char* key;
    const char* flag;
    const std::optional<std::string>& value;
  };
  for (const Override& o :
       {Override{"tcti", "--tcti", tcti}, Override{"state_dir", "--state-dir", state_dir},
        Override{"log_level", "--log-level", log_level}}) {
    if (!o.value.has_value()) continue;
    vouch::Status set = vouch::agent::SetAgentConfigValue(*config, o.key, *o.value);
    if (!set.ok()) {
      logger.Error(set.WithContext(o.flag).ToString());
      return kExitBadConfig;
    }
  }
  logger.set_threshold(config->log_level);

  if (init->parsed()) return vouch::agent::RunInit(*config, init_flags, logger);
  if (quote->parsed()) return vouch::agent::RunQuote(*config, quote_flags, logger);
  if (info->parsed()) return vouch::agent::RunInfo(*config, logger);
  if (enroll->parsed()) return vouch::agent::RunEnroll(*config, enroll_url, logger);
  if (serve->parsed()) return vouch::agent::RunServe(*config, serve_flags, logger);
  if (push->parsed()) return vouch::agent::RunPush(*config, push_flags, logger);
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  // The HTTP server's worker threads would each get a glibc malloc arena
  // (up to 8 per core) that keeps freed evidence buffers resident; two
  // arenas keep the agent's memory small (bench/agent_serve_bench).
  mallopt(M_ARENA_MAX, 2);
  // Libraries return Status; only CLI11 and the standard library can throw.
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vouch-agent: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "vouch-agent: internal error\n");
  }
  return kExitInternal;
}
