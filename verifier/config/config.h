// vouch-verifier's configuration: file format, defaults, overrides. Same
// file conventions as the agent's (docs/agent.md "Configuration"): one
// `key = value` per line, '#' comments, unknown keys and keys set twice are
// errors, paths absolute. Documented for operators in docs/verifier.md
// (keep in sync: a test compares VerifierConfigKeys() with that page).
//
// Repeated keys with a name: `token.NAME = reader:sha256:<hex>` (bearer
// tokens, see auth.h), `webhook.NAME = https://...` (webhook URLs),
// `allowed_ek.NAME = /abs/path/ek.pub` (EK public areas accepted without a
// certificate). Secrets are read from files (webhook_secret_file), never
// written in the configuration, and never logged.
#ifndef VOUCH_VERIFIER_CONFIG_CONFIG_H_
#define VOUCH_VERIFIER_CONFIG_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/logger.h"
#include "core/base/status.h"
#include "verifier/config/auth.h"

namespace vouch::verifier {

inline constexpr std::string_view kDefaultVerifierConfigPath = "/etc/vouch/verifier.conf";

struct VerifierConfig {
  // Listening
  std::string listen_address = "127.0.0.1";  // listen_address
  uint16_t listen_port = 8443;               // listen_port (0: any free port)
  std::string tls_certificate;               // tls_certificate (PEM chain); required off loopback
  std::string tls_private_key;               // tls_private_key (PEM)
  size_t max_evidence_bytes = 48u << 20;     // max_evidence_bytes (evidence route)
  size_t max_request_bytes = 1u << 20;       // max_request_bytes (every other route)

  // Store
  std::string database = "/var/lib/vouch-verifier/verifier.db";  // database (SQLite path)

  // Enrollment
  std::string ek_ca_dir = "/etc/vouch/ek-ca";      // ek_ca_dir (PEM roots)
  std::string ek_intermediates;                    // ek_intermediates (PEM file), optional
  std::map<std::string, std::string> allowed_eks;  // allowed_ek.NAME = path (TPM2B_PUBLIC)
  std::chrono::seconds enrollment_lifetime{300};   // enrollment_lifetime (s)

  // Attestation
  std::chrono::seconds nonce_lifetime{120};   // nonce_lifetime (s)
  std::chrono::seconds report_validity{600};  // report_validity (s): a trusted verdict's expiry
  std::chrono::seconds stale_after{900};      // stale_after (s): fleet summary "stale"
  bool require_measured_launch = false;       // require_measured_launch = true|false
  bool allow_emulated_launch = false;         // allow_emulated_launch = true|false

  // Pull mode (0 interval: off)
  std::chrono::seconds pull_interval{0};  // pull_interval (s)
  double pull_jitter = 0.1;               // pull_jitter (0..1)
  size_t pull_max_in_flight = 16;         // pull_max_in_flight
  std::string agent_ca;                   // agent_ca (PEM) for agents' TLS; empty: system
  std::string agent_client_certificate;   // agent_client_certificate (PEM), optional
  std::string agent_client_private_key;   // agent_client_private_key (PEM), optional

  // Webhooks
  std::map<std::string, std::string> webhooks;  // webhook.NAME = URL
  std::string webhook_secret_file;              // webhook_secret_file (>= 16 bytes)

  // API access
  std::vector<TokenEntry> tokens;  // token.NAME = ROLE:sha256:HEX
  bool metrics_public = false;     // metrics_public: /v1/metrics without a token

  LogLevel log_level = LogLevel::kInfo;  // log_level
};

// Parses a file's text over the defaults. InvalidArgument naming the line
// and key ("line 7: nonce_lifetime: expected 10-3600 seconds, got '0'").
Result<VerifierConfig> ParseVerifierConfig(std::string_view text);
// One key with the same checks (command-line overrides).
Status SetVerifierConfigValue(VerifierConfig& config, std::string_view key, std::string_view value);
// Every key, sorted, with "token.NAME", "webhook.NAME", "allowed_ek.NAME" last.
std::vector<std::string_view> VerifierConfigKeys();
// Reads `path` (at most 1 MiB): NotFound, PermissionDenied, or
// InvalidArgument prefixed with the path.
Result<VerifierConfig> LoadVerifierConfig(const std::string& path);
// Cross-field rules before starting: TLS certificate and key together; no
// TLS only on loopback; webhooks need webhook_secret_file; pull-mode client
// certificate and key together. InvalidArgument naming the keys.
Status ValidateVerifierConfig(const VerifierConfig& config);

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_CONFIG_CONFIG_H_
