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
#include <functional>
#include <string>
#include <string_view>

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

}  // namespace vouch

#endif  // VOUCH_CORE_BASE_KEY_VALUE_FILE_H_
