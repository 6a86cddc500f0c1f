#include "core/base/key_value_file.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <map>
#include <system_error>
#include <utility>

#include "core/base/unique_fd.h"

namespace vouch {
namespace {

std::string SizeText(size_t bytes) {
  constexpr size_t kMiB = size_t{1024} * 1024;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  return std::to_string(bytes) + " bytes";
}

using Fd = UniqueFd;

}  // namespace

std::string_view TrimKeyValueSpace(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string QuoteForError(std::string_view value) {
  constexpr size_t kMaxShown = 64;
  std::string out = "'";
  out += value.substr(0, kMaxShown);
  if (value.size() > kMaxShown) out += "...";
  out += "'";
  return out;
}

Status ExpectedValue(std::string_view what, std::string_view got) {
  return InvalidArgumentError("expected " + std::string(what) + ", got " + QuoteForError(got));
}

Result<uint64_t> ParseUnsignedValue(std::string_view value, uint64_t min, uint64_t max,
                                    std::string_view expected) {
  uint64_t v = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, v);
  if (value.empty() || ec != std::errc() || ptr != end || v < min || v > max) {
    return ExpectedValue(expected, value);
  }
  return v;
}

Status CheckPrintableValue(std::string_view value) {
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return InvalidArgumentError("control character in value");
    }
  }
  return Status::Ok();
}

Status CheckAbsolutePath(std::string_view value, bool allow_empty) {
  constexpr size_t kMaxPath = 4096;  // PATH_MAX on Linux
  if (value.empty() && allow_empty) return Status::Ok();
  if (value.empty() || value.front() != '/') return ExpectedValue("an absolute path", value);
  if (value.size() > kMaxPath) return InvalidArgumentError("path longer than 4096 characters");
  return CheckPrintableValue(value);
}

Status CheckIpLiteral(std::string_view value) {
  // inet_pton wants a NUL-terminated string; an embedded NUL makes the copy
  // shorter than `value`, so it is refused explicitly.
  const std::string s(value);
  in_addr a4{};
  in6_addr a6{};
  if (s.find('\0') != std::string::npos ||
      (inet_pton(AF_INET, s.c_str(), &a4) != 1 && inet_pton(AF_INET6, s.c_str(), &a6) != 1)) {
    return ExpectedValue("an IPv4 or IPv6 address", value);
  }
  return Status::Ok();
}

Status CheckHttpUrlValue(std::string_view value) {
  constexpr size_t kMaxUrl = 2048;
  VOUCH_RETURN_IF_ERROR(CheckPrintableValue(value));
  const bool https = value.starts_with("https://");
  const bool http = value.starts_with("http://");
  const size_t host_start = https ? 8 : 7;
  if ((!https && !http) || value.size() <= host_start ||
      value.find(' ') != std::string_view::npos || value.size() > kMaxUrl) {
    return ExpectedValue("an http:// or https:// URL", value);
  }
  return Status::Ok();
}

Result<LogLevel> ParseLogLevelValue(std::string_view value) {
  std::optional<LogLevel> level = ParseLogLevel(value);
  if (!level.has_value()) return ExpectedValue("debug, info, warning or error", value);
  return *level;
}

Status ParseKeyValueText(std::string_view text,
                         const std::function<Status(const KeyValueEntry&)>& on_entry) {
  std::map<std::string, size_t, std::less<>> seen;  // key -> line it was set on
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    const std::string where = "line " + std::to_string(line_no);

    line = TrimKeyValueSpace(line);
    if (line.empty() || line.front() == '#') continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgumentError(where + ": expected 'key = value', got " + QuoteForError(line));
    }
    const std::string_view key = TrimKeyValueSpace(line.substr(0, eq));
    const std::string_view value = TrimKeyValueSpace(line.substr(eq + 1));
    if (key.empty()) return InvalidArgumentError(where + ": missing key before '='");
    if (auto it = seen.find(key); it != seen.end()) {
      return InvalidArgumentError(where + ": " + std::string(key) + ": set again (first on line " +
                                  std::to_string(it->second) + ")");
    }
    seen.emplace(std::string(key), line_no);
    VOUCH_RETURN_IF_ERROR_CTX(on_entry(KeyValueEntry{key, value, line_no}), where);
  }
  return Status::Ok();
}

Result<std::string> ReadKeyValueFile(const std::string& path, size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return NotFoundError("config file " + path + " does not exist");
    }
    return PermissionDeniedError("config file " + path + " cannot be read");
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return PermissionDeniedError("config file " + path + " cannot be read (a directory)");
  }
  // Read up to one byte past the limit instead of trusting st_size: devices,
  // pipes and /proc files report sizes that mean nothing.
  std::string text;
  char buffer[16384];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return UnavailableError("config file " + path + ": read error");
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > max_bytes) {
      return InvalidArgumentError(path + ": larger than " + SizeText(max_bytes) +
                                  ", not a configuration file");
    }
  }
  return text;
}

}  // namespace vouch
