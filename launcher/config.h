// vouch-launcher's configuration (/etc/vouch/launcher.conf, key = value lines
// as core/base/key_value_file.h parses them; launcher/launcher.conf.example
// documents every key). Every subcommand's --tcti and --state-dir override
// the file. Pure functions; thread-safe.
#ifndef VOUCH_LAUNCHER_CONFIG_H_
#define VOUCH_LAUNCHER_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/logger.h"
#include "core/base/status.h"

namespace vouch::launcher {

inline constexpr std::string_view kDefaultLauncherConfigPath = "/etc/vouch/launcher.conf";

enum class GateMode { kEnforce, kAudit };
std::string_view GateModeName(GateMode m);  // "enforce" | "audit"

struct LauncherConfig {
  std::string tcti = "device:/dev/tpmrm0";  // tcti
  // Shared with the agent: the launcher writes drtm.log and vm.log here and
  // the agent's drtm_log/vm_log point at them.
  std::string state_dir = "/var/lib/vouch";  // state_dir
  uint32_t vm_pcr = 15;                      // vm_pcr: 8-15 (protocol::CheckVmPcr)

  // Launch gate (vouch-launcher run, the libvirt hook).
  std::string verifier_url;  // verifier_url: https://..., or http:// to loopback only
  std::string verifier_ca;   // verifier_ca: PEM bundle; empty: system CAs
  std::string token_file;    // token_file: file holding a verifier API token (one line)
  // The verifier's id for this host; empty: read from the agent's
  // enrollment.json in agent_state_dir.
  std::string host_id;                                   // host_id
  std::string agent_state_dir = "/var/lib/vouch-agent";  // agent_state_dir
  GateMode gate_mode = GateMode::kEnforce;               // gate_mode = enforce|audit
  // In enforce mode, whether a launch goes ahead when the verifier cannot be
  // asked (unreachable, error answer). Default no: fail closed.
  bool gate_fail_open = false;            // gate_fail_open = yes|no
  std::chrono::seconds gate_timeout{10};  // gate_timeout (seconds, 1-300)

  LogLevel log_level = LogLevel::kInfo;  // log_level

  // Paths derived from state_dir.
  std::string VmLogPath() const { return state_dir + "/vm.log"; }
  std::string DrtmLogPath() const { return state_dir + "/drtm.log"; }
};

// Parses a file's text over the defaults; InvalidArgument "line N: KEY: ..."
// for unknown keys, bad values and keys set twice.
Result<LauncherConfig> ParseLauncherConfig(std::string_view text);
// Reads and parses `path` (errors name it).
Result<LauncherConfig> LoadLauncherConfig(const std::string& path);
// One key with a file line's checks (command-line overrides).
Status SetLauncherConfigValue(LauncherConfig& config, std::string_view key, std::string_view value);
// Every key, for --help and the example-file test.
std::vector<std::string_view> LauncherConfigKeys();

}  // namespace vouch::launcher

#endif  // VOUCH_LAUNCHER_CONFIG_H_
