// Address and URL checks shared by every component that listens or calls
// out (agent and verifier configuration, webhook URLs, agent URLs): one
// definition of "loopback" and of an acceptable service URL, so plain HTTP is
// allowed to exactly the same places everywhere.
#ifndef VOUCH_CORE_BASE_NET_ADDRESS_H_
#define VOUCH_CORE_BASE_NET_ADDRESS_H_

#include <string_view>

#include "core/base/status.h"

namespace vouch {

// Whether `host` is a loopback address: an IPv4 literal in 127.0.0.0/8
// (dotted quad), the IPv6 literal ::1 (also bracketed, "[::1]"), or
// "localhost" (any case). Host names other than localhost are never
// loopback (they could resolve anywhere).
bool IsLoopbackAddress(std::string_view host);

// A URL Vouch may send requests to: "https://HOST[:PORT][/PATH][?QUERY]",
// or "http://..." only when HOST is loopback (IsLoopbackAddress); at most
// 2048 bytes of printable ASCII; no user information ("user:pass@",
// credentials in URLs end up in logs); port 1-65535. InvalidArgument
// starting with `what` ("webhook URL must use https ...") otherwise.
Status CheckServiceUrl(std::string_view url, std::string_view what);

}  // namespace vouch

#endif  // VOUCH_CORE_BASE_NET_ADDRESS_H_
