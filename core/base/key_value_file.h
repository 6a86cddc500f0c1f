// The `key = value` configuration file format shared by vouch-agent and
// vouch-verifier (docs/agent.md "Configuration"): the generic part only.
//
//   - one `key = value` per line; spaces and tabs around the key and the
//     value are ignored (and a trailing '\r'), the value is otherwise taken
//     verbatim (no quotes; a '#' inside a value is part of it);
//   - a line whose first non-blank character is '#' is a comment; blank lines
//     are ignored;
//   - a line without '=' or with nothing before it is an error, and so is a
//     key set twice (most likely a forgotten edit: refusing it beats silently
//     taking the last value).
//
// What the keys mean, their defaults and their value rules belong to each
// program (agent/config.cc, verifier/config/config.cc). Errors name the line
// ("line 7: ak_type: expected rsa or ecc, got 'dsa'").
#ifndef VOUCH_CORE_BASE_KEY_VALUE_FILE_H_
#define VOUCH_CORE_BASE_KEY_VALUE_FILE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "core/base/logger.h"
#include "core/base/status.h"

namespace vouch {

// A configuration file is a few kilobytes; anything larger is a mistake (a
// log file named by accident, /dev/zero).
inline constexpr size_t kMaxKeyValueFileBytes = size_t{1024} * 1024;

// One setting. The views point into the text given to ParseKeyValueText and
// live as long as it does.
struct KeyValueEntry {
  std::string_view key;    // trimmed, not empty
  std::string_view value;  // trimmed, may be empty
  size_t line = 0;         // 1-based line number
};

// Calls `on_entry` for each setting of `text`, in file order, and stops at
// the first error: InvalidArgument "line N: expected 'key = value', got
// '...'", "line N: missing key before '='", "line N: KEY: set again (first
// on line M)", or `on_entry`'s own non-OK status with "line N: " in front.
// Malformed lines after a failing entry are not looked at, so errors come in
// line order. Pure function; thread-safe.
Status ParseKeyValueText(std::string_view text,
                         const std::function<Status(const KeyValueEntry&)>& on_entry);

// Reads the whole file at `path`, at most `max_bytes` bytes. NotFound "config
// file PATH does not exist"; PermissionDenied "config file PATH cannot be
// read" when it exists but cannot be opened or is a directory;
// InvalidArgument "PATH: larger than 1 MiB, not a configuration file" (the
// limit in the message is `max_bytes`); Unavailable on a read error. Reads at
// most max_bytes + 1 bytes, so a device or a pipe cannot exhaust memory.
Result<std::string> ReadKeyValueFile(const std::string& path,
                                     size_t max_bytes = kMaxKeyValueFileBytes);

// `s` without leading and trailing spaces, tabs and carriage returns.
std::string_view TrimKeyValueSpace(std::string_view s);

// `value` in single quotes for an error message, cut after 64 characters
// ("...") so a huge line still gives a readable message.
std::string QuoteForError(std::string_view value);

// ---- Value rules shared by the agent's and the verifier's keys ----
// Each returns InvalidArgument with a message that names what was expected
// and not the key: the caller adds "KEY: " (and ParseKeyValueText "line N: ").
// Pure functions; thread-safe.

// InvalidArgument "expected WHAT, got 'GOT'" (GOT through QuoteForError).
Status ExpectedValue(std::string_view what, std::string_view got);

// An unsigned decimal integer in [min, max]: digits only (no sign, spaces,
// "0x" or suffix), no overflow. Otherwise ExpectedValue(expected, value):
// `expected` describes the accepted values ("an integer 1-65535"), so each
// program keeps its own wording.
Result<uint64_t> ParseUnsignedValue(std::string_view value, uint64_t min, uint64_t max,
                                    std::string_view expected);

// Ok when `value` has no control character (< 0x20 or 0x7f), else
// InvalidArgument "control character in value". A file line cannot hold a
// newline, but command-line overrides can.
Status CheckPrintableValue(std::string_view value);

// Ok for an absolute path ('/' first) of at most 4096 characters without
// control characters, and for "" when `allow_empty` (the caller's "none").
// Services do not run in the operator's working directory, so a relative
// path would name a different file. Errors: "expected an absolute path, got
// '...'", "path longer than 4096 characters", "control character in value".
Status CheckAbsolutePath(std::string_view value, bool allow_empty);

// Ok for an IPv4 or IPv6 address literal (inet_pton), else "expected an IPv4
// or IPv6 address, got '...'". Host names are refused: they would be
// resolved at bind time, and a loopback rule must be decidable from the text.
Status CheckIpLiteral(std::string_view value);

// Ok for an http:// or https:// URL of at most 2048 characters with something
// after the scheme and no space or control character, else "control character
// in value" or "expected an http:// or https:// URL, got '...'". Only the
// shape: which schemes and hosts are allowed is CheckServiceUrl's business
// (net_address.h).
Status CheckHttpUrlValue(std::string_view value);

// debug, info, warning or error (ParseLogLevel), else "expected debug, info,
// warning or error, got '...'".
Result<LogLevel> ParseLogLevelValue(std::string_view value);

// ---- Building a program's key table ----

// Sets one key of a `Config` from its trimmed value.
template <typename Config>
using KeyValueSetter = std::function<Status(Config&, std::string_view)>;

// A setter for an integer field: ParseUnsignedValue(value, min, max,
// expected), then the field. T must hold `max`.
template <typename Config, typename T>
KeyValueSetter<Config> UnsignedValueSetter(T Config::*field, uint64_t min, uint64_t max,
                                           std::string expected) {
  return
      [field, min, max, expected = std::move(expected)](Config& c, std::string_view v) -> Status {
        VOUCH_ASSIGN_OR_RETURN(uint64_t n, ParseUnsignedValue(v, min, max, expected));
        c.*field = static_cast<T>(n);
        return Status::Ok();
      };
}

// A setter for a path field: CheckAbsolutePath(value, allow_empty), then the
// field ("" clears it).
template <typename Config>
KeyValueSetter<Config> PathValueSetter(std::string Config::*field, bool allow_empty) {
  return [field, allow_empty](Config& c, std::string_view v) -> Status {
    VOUCH_RETURN_IF_ERROR(CheckAbsolutePath(v, allow_empty));
    c.*field = std::string(v);
    return Status::Ok();
  };
}

// A default `Config` with every setting of `text` applied in file order by
// `set(config, key, value)`; the first error as ParseKeyValueText gives it.
template <typename Config>
Result<Config> ParseKeyValueConfig(std::string_view text,
                                   Status (*set)(Config&, std::string_view, std::string_view)) {
  Config config;
  VOUCH_RETURN_IF_ERROR(ParseKeyValueText(text, [&config, set](const KeyValueEntry& entry) {
    return set(config, entry.key, entry.value);
  }));
  return config;
}

// ReadKeyValueFile(path), then `parse` on the text; a parse error gets
// "PATH: " in front (read errors already name the path).
template <typename Config>
Result<Config> LoadKeyValueConfig(const std::string& path,
                                  Result<Config> (*parse)(std::string_view)) {
  VOUCH_ASSIGN_OR_RETURN(std::string text, ReadKeyValueFile(path));
  Result<Config> config = parse(text);
  if (!config.has_value()) return config.status().WithContext(path);
  return config;
}

}  // namespace vouch

#endif  // VOUCH_CORE_BASE_KEY_VALUE_FILE_H_
