// The agent's configuration: file format, defaults, and command-line
// overrides. Documented for operators in docs/agent.md (keep in sync).
//
// File format: one `key = value` per line; '#' starts a comment line; blank
// lines ignored; values are taken verbatim after trimming spaces (no quotes
// needed). `label.NAME = VALUE` lines add host labels. Unknown keys are an
// error (a typo must not silently fall back to a default), and so is a key
// set twice. Paths must be absolute. Value rules (ranges, choices) are listed
// per key in docs/agent.md, "Configuration".
//
// This file only parses and checks values; nothing here opens the TPM, the
// state directory or a socket.
#ifndef VOUCH_AGENT_CONFIG_H_
#define VOUCH_AGENT_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/logger.h"
#include "core/base/status.h"
#include "core/protocol/evidence.h"
#include "core/tpm_device/tpm_device.h"

namespace vouch::agent {

inline constexpr std::string_view kDefaultConfigPath = "/etc/vouch/agent.conf";

// Where the AK lives between runs: its TPM2_Create blobs in the state
// directory (loaded under the EK at every start; the default, works on any
// TPM), or a persistent handle (survives without the state directory's
// blobs, takes one of the TPM's few persistent slots).
enum class AkStorage { kStateFile, kPersistentHandle };

struct AgentConfig {
  // TPM
  std::string tcti = "device:/dev/tpmrm0";                    // tcti
  tpm_device::EkKind ek_kind = tpm_device::EkKind::kRsa;      // ek_type = rsa|ecc
  tpm_device::AkKind ak_kind = tpm_device::AkKind::kRsa2048;  // ak_type = rsa|ecc
  AkStorage ak_storage = AkStorage::kStateFile;               // ak_storage = file|persistent
  uint32_t ak_persistent_handle = 0x81010020;                 // ak_handle (hex)

  // Files
  std::string state_dir = "/var/lib/vouch-agent";  // state_dir
  std::string srtm_log_path =                      // srtm_log
      "/sys/kernel/security/tpm0/binary_bios_measurements";
  std::string drtm_log_path = "/var/lib/vouch/drtm.log";  // drtm_log (launcher writes it)
  std::string vm_log_path = "/var/lib/vouch/vm.log";      // vm_log (launcher writes it)

  // Host facts (unverified claims sent with evidence)
  std::string hostname;                                // hostname; empty: gethostname()
  std::optional<protocol::HypervisorKind> hypervisor;  // hypervisor = auto|xen|kvm|none
  protocol::MeasuredLaunch measured_launch = protocol::MeasuredLaunch::kUnknown;  // measured_launch
  std::map<std::string, std::string> labels;  // label.NAME = VALUE

  // Pull mode (vouch-agent serve)
  std::string listen_address = "127.0.0.1";  // listen_address
  uint16_t listen_port = 9443;               // listen_port
  std::string tls_certificate;               // tls_certificate (PEM chain); required off loopback
  std::string tls_private_key;               // tls_private_key (PEM)
  std::string tls_client_ca;                 // tls_client_ca: require client certs from these CAs
  size_t max_request_bytes = 4096;           // max_request_bytes
  double rate_limit_per_second = 5;          // rate_limit (evidence requests per second)
  uint32_t rate_limit_burst = 10;            // rate_burst

  // Push mode (vouch-agent push, vouch-agent enroll)
  std::string verifier_url;                 // verifier_url, e.g. https://verifier.example:8443
  std::string verifier_ca;                  // verifier_ca (PEM); empty: system CAs
  std::string client_certificate;           // client_certificate (PEM), optional
  std::string client_private_key;           // client_private_key (PEM), optional
  std::chrono::seconds push_interval{300};  // push_interval (seconds)
  std::chrono::milliseconds pcr_poll_interval{2000};  // pcr_poll_interval_ms
  std::chrono::seconds max_backoff{300};              // max_backoff (seconds)

  LogLevel log_level = LogLevel::kInfo;  // log_level = debug|info|warning|error
};

// Parses a configuration file's text over the defaults. InvalidArgument
// naming the line number and key for unknown keys, malformed lines, keys set
// twice and bad values ("line 7: ak_type: expected rsa or ecc, got 'dsa'").
// Pure function; thread-safe.
Result<AgentConfig> ParseAgentConfig(std::string_view text);

// Sets one key in `config` with the same checks as a file line (`key` is a
// file key such as "state_dir" or "label.rack"; `value` is trimmed). For
// command-line overrides applied after LoadAgentConfig. InvalidArgument
// naming the key ("ak_handle: expected ..."); `config` is unchanged then.
Status SetAgentConfigValue(AgentConfig& config, std::string_view key, std::string_view value);

// Every key the file accepts, sorted, and "label.NAME" last (for --help and
// for the test that keeps docs/agent.md in sync).
std::vector<std::string_view> AgentConfigKeys();

// Reads and parses `path` (at most 1 MiB). NotFound when it does not exist
// (callers decide whether a missing default file is fine); PermissionDenied
// when it cannot be opened; InvalidArgument as above with the path in front
// ("/etc/vouch/agent.conf: line 7: ak_type: ...").
Result<AgentConfig> LoadAgentConfig(const std::string& path);

// Checks cross-field rules before a server starts: TLS certificate and key
// both or neither; no TLS only on a loopback listen address (127.0.0.0/8,
// ::1); a client CA needs TLS. InvalidArgument naming the keys.
Status ValidateServeConfig(const AgentConfig& config);

}  // namespace vouch::agent

#endif  // VOUCH_AGENT_CONFIG_H_
