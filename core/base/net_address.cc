#include "core/base/net_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace vouch {

namespace {

constexpr size_t kMaxUrlBytes = 2048;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

Status Invalid(std::string_view what, const std::string& rest) {
  return Status(Code::kInvalidArgument, std::string(what) + rest);
}

}  // namespace

bool IsLoopbackAddress(std::string_view host) {
  std::string h = Lower(host);
  if (h == "localhost") return true;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  // inet_pton accepts exactly the dotted quad for AF_INET (no octal, no
  // short forms), so "127.1" or "127.0.0.1.evil.example" are not loopback.
  in_addr a4{};
  if (inet_pton(AF_INET, h.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  in6_addr a6{};
  if (inet_pton(AF_INET6, h.c_str(), &a6) == 1) return IN6_IS_ADDR_LOOPBACK(&a6);
  return false;
}

Status CheckServiceUrl(std::string_view url, std::string_view what) {
  if (url.size() > kMaxUrlBytes) return Invalid(what, " longer than 2048 bytes");
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) {
      return Invalid(what, " contains a space, control or non-ASCII character");
    }
  }
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    return Invalid(what, " '" + std::string(url) + "' has no scheme");
  }
  std::string scheme = Lower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") {
    return Invalid(what, " scheme must be http or https, not '" + scheme + "'");
  }
  std::string_view rest = url.substr(sep + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return Invalid(what, " must not contain user info (credentials)");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Invalid(what, " has an unterminated IPv6 literal");
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Invalid(what, " has garbage after the IPv6 literal");
      port = after.substr(1);
      if (port.empty()) return Invalid(what, " has an empty port");
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return Invalid(what, " has an empty port");
  }
  if (host.empty() || host == "[]") {
    return Invalid(what, " '" + std::string(url) + "' has no host");
  }
  if (!port.empty() && (!IsDigits(port) || port.size() > 5 || std::stoi(std::string(port)) < 1 ||
                        std::stoi(std::string(port)) > 65535)) {
    return Invalid(what, " port must be 1..65535");
  }
  if (scheme == "http" && !IsLoopbackAddress(host)) {
    return Invalid(
        what, " '" + std::string(url) + "' must use https (plain http only to a loopback address)");
  }
  return Status::Ok();
}

}  // namespace vouch
