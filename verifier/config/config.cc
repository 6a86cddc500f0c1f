#include "verifier/config/config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <system_error>
#include <utility>

#include "core/base/key_value_file.h"
#include "core/base/net_address.h"

namespace vouch::verifier {
namespace {

using Setter = std::function<Status(VerifierConfig&, std::string_view)>;

// Caps on the named keys: the authenticator compares a request's token with
// every entry, and each webhook is a delivery queue.
constexpr size_t kMaxTokens = 1024;
constexpr size_t kMaxWebhooks = 64;
constexpr size_t kMaxAllowedEks = 4096;

// The verifier's wording of integer ranges: "expected 0-65535 (an integer),
// got ..." or, with a unit, "expected 4096-16777216 bytes, got ...".
std::string Range(uint64_t min, uint64_t max, std::string_view unit = "") {
  std::string range = std::to_string(min) + "-" + std::to_string(max);
  range += unit.empty() ? std::string(" (an integer)") : " " + std::string(unit);
  return range;
}

template <typename T>
Setter UnsignedSetter(T VerifierConfig::*field, uint64_t min, uint64_t max,
                      std::string_view unit = "") {
  return UnsignedValueSetter(field, min, max, Range(min, max, unit));
}

// Seconds in [min, max]; with `allow_zero`, also 0 ("off").
Setter SecondsSetter(std::chrono::seconds VerifierConfig::*field, uint64_t min, uint64_t max,
                     bool allow_zero = false) {
  return [field, min, max, allow_zero](VerifierConfig& c, std::string_view v) -> Status {
    if (allow_zero && v == "0") {
      c.*field = std::chrono::seconds(0);
      return Status::Ok();
    }
    Result<uint64_t> n = ParseUnsignedValue(v, min, max, Range(min, max, "seconds"));
    if (!n.has_value()) {
      if (!allow_zero) return n.status();
      return ExpectedValue(
          "0 (off) or " + std::to_string(min) + "-" + std::to_string(max) + " seconds", v);
    }
    c.*field = std::chrono::seconds(static_cast<std::chrono::seconds::rep>(*n));
    return Status::Ok();
  };
}

Setter BoolSetter(bool VerifierConfig::*field) {
  return [field](VerifierConfig& c, std::string_view v) -> Status {
    if (v == "true") {
      c.*field = true;
    } else if (v == "false") {
      c.*field = false;
    } else {
      return ExpectedValue("true or false", v);
    }
    return Status::Ok();
  };
}

// Paths must be absolute: the verifier runs as a service whose working
// directory is not the operator's. Empty means "none" where `allow_empty`.
Setter PathSetter(std::string VerifierConfig::*field, bool allow_empty) {
  return PathValueSetter(field, allow_empty);
}

Status SetListenAddress(VerifierConfig& c, std::string_view v) {
  // An IP literal only: a name would be resolved at bind time, and the
  // loopback rule of ValidateVerifierConfig must be decidable from the text.
  VOUCH_RETURN_IF_ERROR(CheckIpLiteral(v));
  c.listen_address = std::string(v);
  return Status::Ok();
}

Status SetDatabase(VerifierConfig& c, std::string_view v) {
  VOUCH_RETURN_IF_ERROR(CheckAbsolutePath(v, /*allow_empty=*/false));
  c.database = std::string(v);
  return Status::Ok();
}

Status SetPullJitter(VerifierConfig& c, std::string_view v) {
  double d = 0;
  const char* end = v.data() + v.size();
  auto [ptr, ec] = std::from_chars(v.data(), end, d, std::chars_format::fixed);
  if (v.empty() || ec != std::errc() || ptr != end || !std::isfinite(d) || d < 0 || d > 1) {
    return ExpectedValue("a number from 0 to 1", v);
  }
  c.pull_jitter = d;
  return Status::Ok();
}

Status SetLogLevel(VerifierConfig& c, std::string_view v) {
  VOUCH_ASSIGN_OR_RETURN(c.log_level, ParseLogLevelValue(v));
  return Status::Ok();
}

// Same character rules for every NAME of `token.NAME`, `webhook.NAME`,
// `allowed_ek.NAME` (they appear in logs and metrics labels).
Status CheckName(std::string_view name) {
  Status s = CheckTokenName(name);
  if (s.ok()) return s;
  return InvalidArgumentError(
      "NAME must have 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
}

Status SetToken(VerifierConfig& c, std::string_view name, std::string_view value) {
  VOUCH_RETURN_IF_ERROR(CheckName(name));
  VOUCH_ASSIGN_OR_RETURN(TokenEntry entry, ParseTokenSpec(name, value));
  auto same_name = std::find_if(c.tokens.begin(), c.tokens.end(),
                                [&](const TokenEntry& t) { return t.name == name; });
  for (const TokenEntry& t : c.tokens) {
    // Two names for one token would make the principal (and the audit log)
    // ambiguous.
    if (t.name != name && t.sha256 == entry.sha256) {
      return InvalidArgumentError("same token hash as token." + t.name);
    }
  }
  if (same_name != c.tokens.end()) {
    *same_name = std::move(entry);
    return Status::Ok();
  }
  if (c.tokens.size() >= kMaxTokens) return InvalidArgumentError("more than 1024 tokens");
  c.tokens.push_back(std::move(entry));
  return Status::Ok();
}

Status SetWebhook(VerifierConfig& c, std::string_view name, std::string_view v) {
  VOUCH_RETURN_IF_ERROR(CheckName(name));
  VOUCH_RETURN_IF_ERROR(CheckHttpUrlValue(v));
  if (!c.webhooks.contains(std::string(name)) && c.webhooks.size() >= kMaxWebhooks) {
    return InvalidArgumentError("more than 64 webhooks");
  }
  c.webhooks[std::string(name)] = std::string(v);
  return Status::Ok();
}

Status SetAllowedEk(VerifierConfig& c, std::string_view name, std::string_view v) {
  VOUCH_RETURN_IF_ERROR(CheckName(name));
  VOUCH_RETURN_IF_ERROR(CheckAbsolutePath(v, /*allow_empty=*/false));
  if (!c.allowed_eks.contains(std::string(name)) && c.allowed_eks.size() >= kMaxAllowedEks) {
    return InvalidArgumentError("more than 4096 allowed EKs");
  }
  c.allowed_eks[std::string(name)] = std::string(v);
  return Status::Ok();
}

// Keys with a NAME part, in the order VerifierConfigKeys lists them.
struct NamedKey {
  std::string_view prefix;  // "token."
  std::string_view shown;   // "token.NAME"
  Status (*set)(VerifierConfig&, std::string_view, std::string_view);
};
constexpr NamedKey kNamedKeys[] = {
    {"token.", "token.NAME", SetToken},
    {"webhook.", "webhook.NAME", SetWebhook},
    {"allowed_ek.", "allowed_ek.NAME", SetAllowedEk},
};

const std::map<std::string_view, Setter>& Setters() {
  constexpr uint64_t kMiB = uint64_t{1024} * 1024;
  static const auto* const kSetters = new std::map<std::string_view, Setter>{
      {"listen_address", SetListenAddress},
      {"listen_port", UnsignedSetter(&VerifierConfig::listen_port, 0, 65535)},
      {"tls_certificate", PathSetter(&VerifierConfig::tls_certificate, /*allow_empty=*/true)},
      {"tls_private_key", PathSetter(&VerifierConfig::tls_private_key, /*allow_empty=*/true)},
      {"max_evidence_bytes",
       UnsignedSetter(&VerifierConfig::max_evidence_bytes, kMiB, 256 * kMiB, "bytes")},
      {"max_request_bytes",
       UnsignedSetter(&VerifierConfig::max_request_bytes, 4096, 16 * kMiB, "bytes")},
      {"database", SetDatabase},
      {"ek_ca_dir", PathSetter(&VerifierConfig::ek_ca_dir, /*allow_empty=*/true)},
      {"ek_intermediates", PathSetter(&VerifierConfig::ek_intermediates, /*allow_empty=*/true)},
      {"enrollment_lifetime", SecondsSetter(&VerifierConfig::enrollment_lifetime, 30, 3600)},
      {"nonce_lifetime", SecondsSetter(&VerifierConfig::nonce_lifetime, 10, 3600)},
      {"report_validity", SecondsSetter(&VerifierConfig::report_validity, 60, 604800)},
      {"stale_after", SecondsSetter(&VerifierConfig::stale_after, 60, 604800)},
      {"require_measured_launch", BoolSetter(&VerifierConfig::require_measured_launch)},
      {"allow_emulated_launch", BoolSetter(&VerifierConfig::allow_emulated_launch)},
      {"pull_interval",
       SecondsSetter(&VerifierConfig::pull_interval, 10, 86400, /*allow_zero=*/true)},
      {"pull_jitter", SetPullJitter},
      {"pull_max_in_flight", UnsignedSetter(&VerifierConfig::pull_max_in_flight, 1, 1024)},
      {"agent_ca", PathSetter(&VerifierConfig::agent_ca, /*allow_empty=*/true)},
      {"agent_client_certificate",
       PathSetter(&VerifierConfig::agent_client_certificate, /*allow_empty=*/true)},
      {"agent_client_private_key",
       PathSetter(&VerifierConfig::agent_client_private_key, /*allow_empty=*/true)},
      {"webhook_secret_file",
       PathSetter(&VerifierConfig::webhook_secret_file, /*allow_empty=*/true)},
      {"metrics_public", BoolSetter(&VerifierConfig::metrics_public)},
      {"log_level", SetLogLevel},
  };
  return *kSetters;
}

// "only a is set" for a pair that must be set together; Ok when both or
// neither are.
Status BothOrNeither(std::string_view a_key, const std::string& a, std::string_view b_key,
                     const std::string& b) {
  if (a.empty() == b.empty()) return Status::Ok();
  return InvalidArgumentError(std::string(a_key) + " and " + std::string(b_key) +
                              ": set both or neither (only " +
                              std::string(a.empty() ? b_key : a_key) + " is set)");
}

}  // namespace

std::vector<std::string_view> VerifierConfigKeys() {
  std::vector<std::string_view> keys;
  for (const auto& [key, setter] : Setters()) keys.push_back(key);
  for (const NamedKey& named : kNamedKeys) keys.push_back(named.shown);
  return keys;
}

Status SetVerifierConfigValue(VerifierConfig& config, std::string_view key,
                              std::string_view value) {
  value = TrimKeyValueSpace(value);
  for (const NamedKey& named : kNamedKeys) {
    if (key.starts_with(named.prefix)) {
      return named.set(config, key.substr(named.prefix.size()), value).WithContext(key);
    }
  }
  const auto& setters = Setters();
  auto it = setters.find(key);
  if (it == setters.end()) {
    return InvalidArgumentError(std::string(key.substr(0, 64)) + ": unknown key");
  }
  return it->second(config, value).WithContext(key);
}

Result<VerifierConfig> ParseVerifierConfig(std::string_view text) {
  return ParseKeyValueConfig<VerifierConfig>(text, SetVerifierConfigValue);
}

Result<VerifierConfig> LoadVerifierConfig(const std::string& path) {
  return LoadKeyValueConfig<VerifierConfig>(path, ParseVerifierConfig);
}

Status ValidateVerifierConfig(const VerifierConfig& config) {
  VOUCH_RETURN_IF_ERROR(BothOrNeither("tls_certificate", config.tls_certificate, "tls_private_key",
                                      config.tls_private_key));
  if (config.tls_certificate.empty() && !IsLoopbackAddress(config.listen_address)) {
    return InvalidArgumentError("listen_address " + config.listen_address +
                                " is not loopback: set tls_certificate and tls_private_key "
                                "(plain HTTP is allowed on loopback only)");
  }
  VOUCH_RETURN_IF_ERROR(BothOrNeither("agent_client_certificate", config.agent_client_certificate,
                                      "agent_client_private_key", config.agent_client_private_key));
  if (!config.webhooks.empty() && config.webhook_secret_file.empty()) {
    return InvalidArgumentError("webhook." + config.webhooks.begin()->first +
                                " needs webhook_secret_file (deliveries are signed)");
  }
  if (config.ek_ca_dir.empty() && config.allowed_eks.empty()) {
    return InvalidArgumentError(
        "ek_ca_dir is empty and no allowed_ek.NAME is set: no host could enroll");
  }
  return Status::Ok();
}

}  // namespace vouch::verifier
