#include "verifier/config/auth.h"

#include <openssl/crypto.h>

#include <array>
#include <utility>

#include "core/base/check.h"
#include "core/base/hash_alg.h"
#include "core/crypto/digest.h"

namespace vouch::verifier {
namespace {

constexpr std::string_view kSha256Prefix = "sha256:";
constexpr size_t kSha256Bytes = 32;
// Longer Authorization values are refused before hashing; real tokens are
// 47 characters and HTTP servers cap header sizes anyway.
constexpr size_t kMaxTokenChars = 1024;

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

Bytes Sha256(std::string_view data) {
  Result<Bytes> digest = crypto::Digest(HashAlg::kSha256, AsBytes(data));
  // SHA-256 is always available in OpenSSL 3; no input can make it fail.
  VOUCH_CHECK(digest.has_value() && digest->size() == kSha256Bytes);
  return *std::move(digest);
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kReader: return "reader";
    case Role::kAdmin: return "admin";
  }
  return "reader";
}

Result<Role> ParseRole(std::string_view name) {
  if (name == "reader") return Role::kReader;
  if (name == "admin") return Role::kAdmin;
  std::string shown(name.substr(0, 32));
  return InvalidArgumentError("role must be reader or admin, got '" + shown + "'");
}

Status CheckTokenName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return InvalidArgumentError("token name must have 1-64 characters");
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = IsAsciiAlnum(c) || (i > 0 && (c == '.' || c == '_' || c == '-'));
    if (!ok) {
      return InvalidArgumentError(
          "token name must be letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
  }
  return Status::Ok();
}

Result<TokenEntry> ParseTokenSpec(std::string_view name, std::string_view spec) {
  VOUCH_RETURN_IF_ERROR(CheckTokenName(name));
  const size_t colon = spec.find(':');
  if (colon == std::string_view::npos) {
    return InvalidArgumentError("expected ROLE:sha256:<64 hex digits> (reader or admin)");
  }
  TokenEntry entry;
  entry.name = std::string(name);
  VOUCH_ASSIGN_OR_RETURN(entry.role, ParseRole(spec.substr(0, colon)));
  std::string_view hash = spec.substr(colon + 1);
  if (!hash.starts_with(kSha256Prefix)) {
    return InvalidArgumentError(
        "expected ROLE:sha256:<64 hex digits>: the token's SHA-256 (vouch-verifier token hash), "
        "never the token itself");
  }
  hash.remove_prefix(kSha256Prefix.size());
  if (hash.size() != 2 * kSha256Bytes || hash.starts_with("0x") || hash.starts_with("0X")) {
    return InvalidArgumentError("expected 64 hex digits after 'sha256:', got " +
                                std::to_string(hash.size()) + " characters");
  }
  Result<Bytes> digest = HexDecode(hash);
  if (!digest.has_value()) return digest.status().WithContext("sha256");
  entry.sha256 = *std::move(digest);
  return entry;
}

std::string TokenSpec(const TokenEntry& entry) {
  return std::string(RoleName(entry.role)) + ":" + std::string(kSha256Prefix) +
         HexEncode(entry.sha256);
}

Result<std::string> NewToken(crypto::RandomSource& random) {
  std::array<uint8_t, 32> bytes{};
  VOUCH_RETURN_IF_ERROR_CTX(random.Fill(bytes), "new token");
  // base64url without padding (RFC 4648 section 5): safe in headers, shells
  // and configuration files.
  std::string text = Base64Encode(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return "vch_" + text;
}

Result<std::string> NewToken() {
  crypto::OpenSslRandom random;
  return NewToken(random);
}

std::string HashToken(std::string_view token) {
  return std::string(kSha256Prefix) + HexEncode(Sha256(token));
}

TokenAuthenticator::TokenAuthenticator(std::vector<TokenEntry> tokens)
    : tokens_(std::move(tokens)) {}

std::optional<Principal> TokenAuthenticator::Authenticate(std::string_view authorization) const {
  // RFC 6750 section 2.1: "Bearer" 1*SP token; the scheme is
  // case-insensitive (RFC 7235 section 2.1).
  constexpr std::string_view kScheme = "Bearer";
  if (authorization.size() <= kScheme.size() ||
      !EqualsIgnoreCase(authorization.substr(0, kScheme.size()), kScheme) ||
      authorization[kScheme.size()] != ' ') {
    return std::nullopt;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  if (token.empty() || token.size() > kMaxTokenChars) return std::nullopt;
  for (char c : token) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  if (tokens_.empty()) return std::nullopt;

  const Bytes digest = Sha256(token);
  // Compare with every entry, whatever matched before: the time taken does
  // not tell which entry (or whether any) matched. Comparing digests, not
  // tokens, also hides the token's length and prefix from the timing.
  size_t match = tokens_.size();
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const Bytes& expected = tokens_[i].sha256;
    const bool same = expected.size() == digest.size() &&
                      CRYPTO_memcmp(expected.data(), digest.data(), digest.size()) == 0;
    match = same ? i : match;
  }
  if (match == tokens_.size()) return std::nullopt;
  return Principal{tokens_[match].name, tokens_[match].role};
}

}  // namespace vouch::verifier
