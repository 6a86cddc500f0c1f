#include "agent/config.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <string>
#include <system_error>
#include <utility>

#include "core/base/key_value_file.h"
#include "core/base/net_address.h"

namespace vouch::agent {
namespace {

using Setter = std::function<Status(AgentConfig&, std::string_view)>;

// The agent's wording of integer ranges: "expected an integer 1-65535, got ...".
std::string IntegerRange(uint64_t min, uint64_t max) {
  return "an integer " + std::to_string(min) + "-" + std::to_string(max);
}

template <typename T>
Setter UnsignedSetter(T AgentConfig::*field, uint64_t min, uint64_t max) {
  return UnsignedValueSetter(field, min, max, IntegerRange(min, max));
}

template <typename Duration>
Setter DurationSetter(Duration AgentConfig::*field, uint64_t min, uint64_t max) {
  return [field, min, max](AgentConfig& c, std::string_view v) -> Status {
    VOUCH_ASSIGN_OR_RETURN(uint64_t n, ParseUnsignedValue(v, min, max, IntegerRange(min, max)));
    c.*field = Duration(static_cast<typename Duration::rep>(n));
    return Status::Ok();
  };
}

Setter StringSetter(std::string AgentConfig::*field, bool allow_empty) {
  return [field, allow_empty](AgentConfig& c, std::string_view v) -> Status {
    if (v.empty() && !allow_empty) return InvalidArgumentError("value must not be empty");
    VOUCH_RETURN_IF_ERROR(CheckPrintableValue(v));
    c.*field = std::string(v);
    return Status::Ok();
  };
}

// Paths must be absolute: the agent runs as a service whose working directory
// is not the operator's. Empty means "none" where `allow_empty`.
Setter PathSetter(std::string AgentConfig::*field, bool allow_empty) {
  return PathValueSetter(field, allow_empty);
}

template <typename T>
Setter EnumSetter(T AgentConfig::*field, std::vector<std::pair<std::string_view, T>> choices) {
  return [field, choices = std::move(choices)](AgentConfig& c, std::string_view v) -> Status {
    std::string names;
    for (const auto& [name, value] : choices) {
      if (v == name) {
        c.*field = value;
        return Status::Ok();
      }
      if (!names.empty()) names += (&name == &choices.back().first) ? " or " : ", ";
      names += name;
    }
    return ExpectedValue(names, v);
  };
}

Status SetAkHandle(AgentConfig& c, std::string_view v) {
  constexpr std::string_view kWhat = "a persistent handle 0x81000000-0x81ffffff";
  std::string_view digits = v;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    digits.remove_prefix(2);
  }
  uint32_t handle = 0;
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, handle, 16);
  if (digits.empty() || ec != std::errc() || ptr != end || handle < 0x81000000u ||
      handle > 0x81ffffffu) {
    return ExpectedValue(kWhat, v);
  }
  c.ak_persistent_handle = handle;
  return Status::Ok();
}

Status SetHostname(AgentConfig& c, std::string_view v) {
  // Empty: detect (gethostname). Otherwise the evidence schema's limit and
  // DNS-ish characters, so a label cannot smuggle odd text into reports.
  if (v.size() > 253) return InvalidArgumentError("longer than 253 characters");
  for (char ch : v) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_';
    if (!ok) return ExpectedValue("letters, digits, '-', '.' or '_'", v);
  }
  c.hostname = std::string(v);
  return Status::Ok();
}

Status SetHypervisor(AgentConfig& c, std::string_view v) {
  if (v == "auto") {
    c.hypervisor = std::nullopt;
  } else if (v == "xen") {
    c.hypervisor = protocol::HypervisorKind::kXen;
  } else if (v == "kvm") {
    c.hypervisor = protocol::HypervisorKind::kKvm;
  } else if (v == "none") {
    c.hypervisor = protocol::HypervisorKind::kNone;
  } else {
    return ExpectedValue("auto, xen, kvm or none", v);
  }
  return Status::Ok();
}

Status SetListenAddress(AgentConfig& c, std::string_view v) {
  // An IP literal only: a name would be resolved at bind time, and the
  // loopback rule of ValidateServeConfig must be decidable from the text.
  VOUCH_RETURN_IF_ERROR(CheckIpLiteral(v));
  c.listen_address = std::string(v);
  return Status::Ok();
}

Status SetRateLimit(AgentConfig& c, std::string_view v) {
  constexpr double kMax = 10000;
  double d = 0;
  const char* end = v.data() + v.size();
  auto [ptr, ec] = std::from_chars(v.data(), end, d, std::chars_format::fixed);
  if (v.empty() || ec != std::errc() || ptr != end || !std::isfinite(d) || d <= 0 || d > kMax) {
    return ExpectedValue("a number > 0 and <= 10000", v);
  }
  c.rate_limit_per_second = d;
  return Status::Ok();
}

Status SetVerifierUrl(AgentConfig& c, std::string_view v) {
  if (v.empty()) {
    c.verifier_url.clear();
    return Status::Ok();
  }
  VOUCH_RETURN_IF_ERROR(CheckHttpUrlValue(v));
  c.verifier_url = std::string(v);
  return Status::Ok();
}

Status SetLogLevel(AgentConfig& c, std::string_view v) {
  VOUCH_ASSIGN_OR_RETURN(c.log_level, ParseLogLevelValue(v));
  return Status::Ok();
}

// Host label names and values: the evidence schema's rules
// (^[a-z0-9][a-z0-9._/-]{0,62}$, values at most 256 characters, at most 64).
constexpr size_t kMaxLabels = 64;
constexpr size_t kMaxLabelValue = 256;

bool IsLabelName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char ch = name[i];
    const bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
    if (i == 0 ? !alnum : !(alnum || ch == '.' || ch == '_' || ch == '/' || ch == '-')) {
      return false;
    }
  }
  return true;
}

Status SetLabel(AgentConfig& c, std::string_view name, std::string_view value) {
  if (!IsLabelName(name)) {
    return InvalidArgumentError("label name must match ^[a-z0-9][a-z0-9._/-]{0,62}$");
  }
  if (value.size() > kMaxLabelValue)
    return InvalidArgumentError("value longer than 256 characters");
  VOUCH_RETURN_IF_ERROR(CheckPrintableValue(value));
  if (!c.labels.contains(std::string(name)) && c.labels.size() >= kMaxLabels) {
    return InvalidArgumentError("more than 64 labels");
  }
  c.labels[std::string(name)] = std::string(value);
  return Status::Ok();
}

const std::map<std::string_view, Setter>& Setters() {
  using tpm_device::AkKind;
  using tpm_device::EkKind;
  static const auto* const kSetters = new std::map<std::string_view, Setter>{
      {"tcti", StringSetter(&AgentConfig::tcti, /*allow_empty=*/false)},
      {"ek_type",
       EnumSetter(&AgentConfig::ek_kind, {{"rsa", EkKind::kRsa}, {"ecc", EkKind::kEcc}})},
      {"ak_type",
       EnumSetter(&AgentConfig::ak_kind, {{"rsa", AkKind::kRsa2048}, {"ecc", AkKind::kEccP256}})},
      {"ak_storage",
       EnumSetter(&AgentConfig::ak_storage,
                  {{"file", AkStorage::kStateFile}, {"persistent", AkStorage::kPersistentHandle}})},
      {"ak_handle", SetAkHandle},
      {"state_dir", PathSetter(&AgentConfig::state_dir, /*allow_empty=*/false)},
      {"srtm_log", PathSetter(&AgentConfig::srtm_log_path, /*allow_empty=*/true)},
      {"drtm_log", PathSetter(&AgentConfig::drtm_log_path, /*allow_empty=*/true)},
      {"vm_log", PathSetter(&AgentConfig::vm_log_path, /*allow_empty=*/true)},
      {"hostname", SetHostname},
      {"hypervisor", SetHypervisor},
      {"measured_launch", EnumSetter(&AgentConfig::measured_launch,
                                     {{"txt", protocol::MeasuredLaunch::kTxt},
                                      {"emulated", protocol::MeasuredLaunch::kEmulated},
                                      {"none", protocol::MeasuredLaunch::kNone},
                                      {"unknown", protocol::MeasuredLaunch::kUnknown}})},
      {"listen_address", SetListenAddress},
      {"listen_port", UnsignedSetter<uint16_t>(&AgentConfig::listen_port, 1, 65535)},
      {"tls_certificate", PathSetter(&AgentConfig::tls_certificate, /*allow_empty=*/true)},
      {"tls_private_key", PathSetter(&AgentConfig::tls_private_key, /*allow_empty=*/true)},
      {"tls_client_ca", PathSetter(&AgentConfig::tls_client_ca, /*allow_empty=*/true)},
      {"max_request_bytes",
       UnsignedSetter<size_t>(&AgentConfig::max_request_bytes, 256, uint64_t{1024} * 1024)},
      {"rate_limit", SetRateLimit},
      {"rate_burst", UnsignedSetter<uint32_t>(&AgentConfig::rate_limit_burst, 1, 10000)},
      {"verifier_url", SetVerifierUrl},
      {"verifier_ca", PathSetter(&AgentConfig::verifier_ca, /*allow_empty=*/true)},
      {"client_certificate", PathSetter(&AgentConfig::client_certificate, /*allow_empty=*/true)},
      {"client_private_key", PathSetter(&AgentConfig::client_private_key, /*allow_empty=*/true)},
      {"push_interval", DurationSetter(&AgentConfig::push_interval, 10, 86400)},
      {"pcr_poll_interval_ms", DurationSetter(&AgentConfig::pcr_poll_interval, 100, 3600000)},
      {"max_backoff", DurationSetter(&AgentConfig::max_backoff, 1, 86400)},
      {"log_level", SetLogLevel},
  };
  return *kSetters;
}

}  // namespace

std::vector<std::string_view> AgentConfigKeys() {
  std::vector<std::string_view> keys;
  for (const auto& [key, setter] : Setters()) keys.push_back(key);
  keys.push_back("label.NAME");
  return keys;
}

Status SetAgentConfigValue(AgentConfig& config, std::string_view key, std::string_view value) {
  value = TrimKeyValueSpace(value);
  if (key.starts_with("label.")) {
    return SetLabel(config, key.substr(6), value).WithContext(key);
  }
  const auto& setters = Setters();
  auto it = setters.find(key);
  if (it == setters.end()) return InvalidArgumentError(std::string(key) + ": unknown key");
  return it->second(config, value).WithContext(key);
}

Result<AgentConfig> ParseAgentConfig(std::string_view text) {
  return ParseKeyValueConfig<AgentConfig>(text, SetAgentConfigValue);
}

Result<AgentConfig> LoadAgentConfig(const std::string& path) {
  return LoadKeyValueConfig<AgentConfig>(path, ParseAgentConfig);
}

Status ValidateServeConfig(const AgentConfig& config) {
  const bool has_cert = !config.tls_certificate.empty();
  const bool has_key = !config.tls_private_key.empty();
  if (has_cert != has_key) {
    return InvalidArgumentError("tls_certificate and tls_private_key: set both or neither (only " +
                                std::string(has_cert ? "tls_certificate" : "tls_private_key") +
                                " is set)");
  }
  if (!config.tls_client_ca.empty() && !has_cert) {
    return InvalidArgumentError(
        "tls_client_ca needs tls_certificate and tls_private_key (client certificates are "
        "checked only over TLS)");
  }
  if (!has_cert && !IsLoopbackAddress(config.listen_address)) {
    return InvalidArgumentError("listen_address " + config.listen_address +
                                " is not loopback: set tls_certificate and tls_private_key "
                                "(plain HTTP is allowed on loopback only)");
  }
  return Status::Ok();
}

}  // namespace vouch::agent
