// Helpers shared by the API's handler files (api.cc, api_hosts.cc,
// api_references.cc). Not part of the library's interface.
#ifndef VOUCH_VERIFIER_API_API_INTERNAL_H_
#define VOUCH_VERIFIER_API_API_INTERNAL_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/http/http.h"
#include "verifier/store/store.h"

namespace vouch::verifier::api_internal {

using Json = nlohmann::ordered_json;

// Compact JSON; invalid UTF-8 replaced (never throws).
std::string Dump(const Json& j);
// Path segments without empty ones: "/v1/hosts/h1" -> {"v1", "hosts", "h1"}.
std::vector<std::string> Split(std::string_view path);
// Every value of `key` in a raw query string, in order (no decoding beyond
// %XX and '+').
std::vector<std::string> QueryValues(std::string_view query, std::string_view key);
// The first value or "".
std::string QueryValue(std::string_view query, std::string_view key);
// A decimal in [min, max]; `fallback` when empty. InvalidArgument naming `name`.
Result<int64_t> ParseIntParam(const std::string& text, std::string_view name, int64_t min,
                              int64_t max, int64_t fallback);
// The host document of the API (no keys beyond the AK name).
Json HostJson(const HostRecord& h);
// Parses a small JSON object body: InvalidArgument for anything else.
Result<Json> ParseObjectBody(std::string_view body);

}  // namespace vouch::verifier::api_internal

#endif  // VOUCH_VERIFIER_API_API_INTERNAL_H_
