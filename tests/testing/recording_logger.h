// RecordingLogger: a Logger that keeps every line in memory, for tests that
// check what code logs (and that it never logs a secret).
//
// Header-only; needs only vouch::base (core/base/logger.h).
#ifndef VOUCH_TESTS_TESTING_RECORDING_LOGGER_H_
#define VOUCH_TESTS_TESTING_RECORDING_LOGGER_H_

#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/logger.h"

namespace vouch::testing {

// Thread-safe (servers and pollers log from their own threads). Log records
// every line, whatever its level; Enabled reports levels >= `enabled_from`
// (default: all), which is what the code under test sees.
class RecordingLogger final : public Logger {
 public:
  RecordingLogger() = default;
  explicit RecordingLogger(LogLevel enabled_from) : enabled_from_(enabled_from) {}

  void Log(LogLevel level, std::string_view message) override {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.emplace_back(level, std::string(message));
  }
  bool Enabled(LogLevel level) const override { return level >= enabled_from_; }

  // Every line as "<LogLevelName> <message>", in order.
  std::vector<std::string> Lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& [level, message] : entries_) {
      out.push_back(std::string(LogLevelName(level)) + " " + message);
    }
    return out;
  }
  // The messages alone, in order.
  std::vector<std::string> Messages() const { return MessagesFrom(LogLevel::kDebug); }
  // The messages logged at kWarning or above, in order.
  std::vector<std::string> Warnings() const { return MessagesFrom(LogLevel::kWarning); }

 private:
  std::vector<std::string> MessagesFrom(LogLevel min) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& [level, message] : entries_) {
      if (level >= min) out.push_back(message);
    }
    return out;
  }

  const LogLevel enabled_from_ = LogLevel::kDebug;
  mutable std::mutex mu_;
  std::vector<std::pair<LogLevel, std::string>> entries_;
};

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_TESTING_RECORDING_LOGGER_H_
