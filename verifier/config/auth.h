// Bearer tokens for operators and dashboards (issue 4): roles `reader` (all
// GET routes of the dashboard API) and `admin` (everything a reader may, and
// reference sets, agent URLs, identity-change approval). Agents do not use
// tokens: their submissions are authenticated by the enrolled AK.
//
// Tokens are never stored or configured in clear: the configuration holds
// SHA-256(token) ("sha256:<64 hex>"), so a leaked configuration file or
// backup does not grant access. Tokens are random strings made by
// `vouch-verifier token new` (32 random bytes, base64url, prefixed "vch_").
#ifndef VOUCH_VERIFIER_CONFIG_AUTH_H_
#define VOUCH_VERIFIER_CONFIG_AUTH_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/crypto/random.h"

namespace vouch::verifier {

enum class Role { kReader, kAdmin };
std::string_view RoleName(Role role);  // "reader" | "admin"

struct TokenEntry {
  std::string name;  // who holds it ("grafana", "ops-alice"); in logs, never the token
  Role role = Role::kReader;
  Bytes sha256;  // SHA-256 of the token's bytes
};

struct Principal {
  std::string name;
  Role role = Role::kReader;
};

class TokenAuthenticator {
 public:
  explicit TokenAuthenticator(std::vector<TokenEntry> tokens);
  // `authorization`: the Authorization header's value. The principal for
  // "Bearer <token>" when SHA-256(token) matches an entry (constant-time
  // comparison over every entry); nullopt otherwise (missing header, other
  // scheme, unknown token). Thread-safe.
  std::optional<Principal> Authenticate(std::string_view authorization) const;
  bool empty() const { return tokens_.empty(); }

 private:
  std::vector<TokenEntry> tokens_;
};

// "reader" / "admin" -> Role; InvalidArgument otherwise.
Result<Role> ParseRole(std::string_view name);
// Token names (the NAME of `token.NAME`, shown in logs): 1-64 characters,
// letters, digits, '.', '_', '-', starting with a letter or digit.
// InvalidArgument otherwise.
Status CheckTokenName(std::string_view name);
// "reader:sha256:<hex>" / "admin:sha256:<hex>" (a config value) -> entry
// named `name`. The hex is 64 digits, either case. InvalidArgument naming
// what is wrong (never echoing more of the value than the role).
Result<TokenEntry> ParseTokenSpec(std::string_view name, std::string_view spec);
// The config value of `entry`: "ROLE:sha256:<lower-case hex>".
std::string TokenSpec(const TokenEntry& entry);
// A new random token ("vch_" + base64url of 32 random bytes, 47
// characters) - Unavailable when the system RNG fails. The overload takes
// the randomness (tests).
Result<std::string> NewToken();
Result<std::string> NewToken(crypto::RandomSource& random);
// "sha256:<hex>" of `token`.
std::string HashToken(std::string_view token);

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_CONFIG_AUTH_H_
