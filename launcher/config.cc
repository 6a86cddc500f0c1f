#include "launcher/config.h"

#include <functional>
#include <map>
#include <string>

#include "core/base/key_value_file.h"
#include "core/protocol/vm_log.h"

namespace vouch::launcher {
namespace {

using Setter = KeyValueSetter<LauncherConfig>;

Status SetTcti(LauncherConfig& c, std::string_view v) {
  if (v.empty()) return InvalidArgumentError("must not be empty");
  VOUCH_RETURN_IF_ERROR(CheckPrintableValue(v));
  c.tcti = std::string(v);
  return Status::Ok();
}

Status SetVmPcr(LauncherConfig& c, std::string_view v) {
  VOUCH_ASSIGN_OR_RETURN(uint64_t pcr, ParseUnsignedValue(v, 0, 23, "a PCR index 8-15"));
  VOUCH_RETURN_IF_ERROR(protocol::CheckVmPcr(static_cast<uint32_t>(pcr)));
  c.vm_pcr = static_cast<uint32_t>(pcr);
  return Status::Ok();
}

Status SetVerifierUrl(LauncherConfig& c, std::string_view v) {
  if (!v.empty()) VOUCH_RETURN_IF_ERROR(CheckHttpUrlValue(v));
  c.verifier_url = std::string(v);
  return Status::Ok();
}

// The verifier's host ids: [A-Za-z0-9_-]{1,64} (as enrollment.json has them).
Status SetHostId(LauncherConfig& c, std::string_view v) {
  if (v.size() > 64) return InvalidArgumentError("longer than 64 characters");
  for (char ch : v) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
    if (!ok) return ExpectedValue("a host id of letters, digits, '_' and '-'", v);
  }
  c.host_id = std::string(v);
  return Status::Ok();
}

Status SetGateMode(LauncherConfig& c, std::string_view v) {
  if (v == "enforce") {
    c.gate_mode = GateMode::kEnforce;
  } else if (v == "audit") {
    c.gate_mode = GateMode::kAudit;
  } else {
    return ExpectedValue("enforce or audit", v);
  }
  return Status::Ok();
}

Status SetFailOpen(LauncherConfig& c, std::string_view v) {
  if (v == "yes" || v == "true") {
    c.gate_fail_open = true;
  } else if (v == "no" || v == "false") {
    c.gate_fail_open = false;
  } else {
    return ExpectedValue("yes or no", v);
  }
  return Status::Ok();
}

Status SetGateTimeout(LauncherConfig& c, std::string_view v) {
  VOUCH_ASSIGN_OR_RETURN(uint64_t s, ParseUnsignedValue(v, 1, 300, "seconds, 1-300"));
  c.gate_timeout = std::chrono::seconds(s);
  return Status::Ok();
}

Status SetLogLevel(LauncherConfig& c, std::string_view v) {
  VOUCH_ASSIGN_OR_RETURN(c.log_level, ParseLogLevelValue(v));
  return Status::Ok();
}

const std::map<std::string_view, Setter>& Setters() {
  static const auto* const kSetters = new std::map<std::string_view, Setter>{
      {"tcti", SetTcti},
      {"state_dir", PathValueSetter(&LauncherConfig::state_dir, /*allow_empty=*/false)},
      {"vm_pcr", SetVmPcr},
      {"verifier_url", SetVerifierUrl},
      {"verifier_ca", PathValueSetter(&LauncherConfig::verifier_ca, /*allow_empty=*/true)},
      {"token_file", PathValueSetter(&LauncherConfig::token_file, /*allow_empty=*/true)},
      {"host_id", SetHostId},
      {"agent_state_dir", PathValueSetter(&LauncherConfig::agent_state_dir, /*allow_empty=*/false)},
      {"gate_mode", SetGateMode},
      {"gate_fail_open", SetFailOpen},
      {"gate_timeout", SetGateTimeout},
      {"log_level", SetLogLevel},
  };
  return *kSetters;
}

}  // namespace

std::string_view GateModeName(GateMode m) { return m == GateMode::kEnforce ? "enforce" : "audit"; }

Status SetLauncherConfigValue(LauncherConfig& config, std::string_view key,
                              std::string_view value) {
  value = TrimKeyValueSpace(value);
  const auto& setters = Setters();
  auto it = setters.find(key);
  if (it == setters.end()) return InvalidArgumentError(std::string(key) + ": unknown key");
  return it->second(config, value).WithContext(key);
}

Result<LauncherConfig> ParseLauncherConfig(std::string_view text) {
  return ParseKeyValueConfig<LauncherConfig>(text, SetLauncherConfigValue);
}

Result<LauncherConfig> LoadLauncherConfig(const std::string& path) {
  return LoadKeyValueConfig<LauncherConfig>(path, ParseLauncherConfig);
}

std::vector<std::string_view> LauncherConfigKeys() {
  std::vector<std::string_view> keys;
  for (const auto& [key, setter] : Setters()) keys.push_back(key);
  return keys;
}

}  // namespace vouch::launcher
