// vouch-agent's subcommands. main.cc parses the command line (CLI11) and
// calls these; each returns the process exit code (kExit*).
#ifndef VOUCH_AGENT_COMMANDS_H_
#define VOUCH_AGENT_COMMANDS_H_

#include <optional>
#include <string>
#include <vector>

#include "agent/config.h"
#include "core/base/logger.h"
#include "core/base/status.h"

namespace vouch::agent {

// Exit codes of vouch-agent (also in --help and docs/agent.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;    // the verifier (or TPM policy) refused
inline constexpr int kExitUsage = 2;      // bad command line
inline constexpr int kExitBadConfig = 3;  // bad configuration or input
inline constexpr int kExitFailure = 4;    // TPM, state directory or network failure
inline constexpr int kExitInternal = 5;   // a bug

// Exit code for a failed Status.
int ExitCodeFor(const Status& status);

struct InitFlags {
  std::optional<std::string> ak_type;     // rsa | ecc
  std::optional<std::string> ak_storage;  // file | persistent
  bool force = false;
};
struct QuoteFlags {
  std::string nonce_hex;
  std::vector<uint32_t> pcrs;
  std::string out;  // empty: stdout
};
struct ServeFlags {
  std::optional<std::string> listen_address;
  std::optional<uint16_t> port;
};
struct PushFlags {
  std::optional<std::string> verifier_url;
  bool once = false;
};

int RunInit(const AgentConfig& config, const InitFlags& flags, Logger& logger);
int RunQuote(const AgentConfig& config, const QuoteFlags& flags, Logger& logger);
int RunInfo(const AgentConfig& config, Logger& logger);
int RunEnroll(const AgentConfig& config, const std::optional<std::string>& verifier_url,
              Logger& logger);
int RunServe(const AgentConfig& config, const ServeFlags& flags, Logger& logger);
int RunPush(const AgentConfig& config, const PushFlags& flags, Logger& logger);

}  // namespace vouch::agent

#endif  // VOUCH_AGENT_COMMANDS_H_
