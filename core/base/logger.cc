#include "core/base/logger.h"

#include <string>

namespace vouch {

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "unknown";
}

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warning" || name == "warn") return LogLevel::kWarning;
  if (name == "error") return LogLevel::kError;
  return std::nullopt;
}

void StderrLogger::Log(LogLevel level, std::string_view message) {
  if (!Enabled(level)) return;
  std::string line;
  line.reserve(message.size() + 12);
  if (journal_prefixes_) {
    static constexpr const char* kPrefix[] = {"<7>", "<6>", "<4>", "<3>"};
    line += kPrefix[static_cast<int>(level)];
  } else {
    line += LogLevelName(level);
    line += ' ';
  }
  for (char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace vouch
