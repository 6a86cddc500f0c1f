// Logger: levelled, line-oriented logging for services and tools.
//
// Logic takes a Logger& (STYLE.md section 2); main.cc makes a StderrLogger.
// Messages must never contain secrets (keys, tokens, credential secrets):
// callers log names, fingerprints and sizes instead.
#ifndef VOUCH_CORE_BASE_LOGGER_H_
#define VOUCH_CORE_BASE_LOGGER_H_

#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace vouch {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "debug", "info", "warning", "error".
std::string_view LogLevelName(LogLevel level);
// Parses a LogLevelName (also "warn"); nullopt for anything else.
std::optional<LogLevel> ParseLogLevel(std::string_view name);

class Logger {
 public:
  virtual ~Logger() = default;
  // Writes one line at `level` when `level` >= the logger's threshold.
  // Thread-safe in every implementation.
  virtual void Log(LogLevel level, std::string_view message) = 0;
  virtual bool Enabled(LogLevel level) const = 0;

  void Debug(std::string_view m) { Log(LogLevel::kDebug, m); }
  void Info(std::string_view m) { Log(LogLevel::kInfo, m); }
  void Warning(std::string_view m) { Log(LogLevel::kWarning, m); }
  void Error(std::string_view m) { Log(LogLevel::kError, m); }
};

// Writes "LEVEL message\n" to a FILE (stderr by default). With
// `journal_prefixes` each line starts with the sd-daemon(3) priority prefix
// ("<7>" debug, "<6>" info, "<4>" warning, "<3>" error) instead of the level
// name, so journald stores the level; main.cc turns it on when stderr is the
// journal (JOURNAL_STREAM names stderr's device and inode). Newlines inside a
// message are replaced by spaces so one call is one line.
class StderrLogger final : public Logger {
 public:
  explicit StderrLogger(LogLevel threshold = LogLevel::kInfo, bool journal_prefixes = false,
                        std::FILE* out = stderr)
      : threshold_(threshold), journal_prefixes_(journal_prefixes), out_(out) {}
  void Log(LogLevel level, std::string_view message) override;
  bool Enabled(LogLevel level) const override { return level >= threshold_.load(); }
  void set_threshold(LogLevel level) { threshold_ = level; }

 private:
  std::atomic<LogLevel> threshold_;
  bool journal_prefixes_;
  std::FILE* out_;
  std::mutex mu_;
};

// Discards everything (tests, benchmarks).
class NullLogger final : public Logger {
 public:
  void Log(LogLevel, std::string_view) override {}
  bool Enabled(LogLevel) const override { return false; }
};

}  // namespace vouch

#endif  // VOUCH_CORE_BASE_LOGGER_H_
