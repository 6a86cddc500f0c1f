// Clock: the time source passed to logic that needs "now" (nonce expiry,
// evidence age). Tests use FakeClock from vouch::testing.
#ifndef VOUCH_CORE_BASE_CLOCK_H_
#define VOUCH_CORE_BASE_CLOCK_H_

#include <chrono>

namespace vouch {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() const = 0;
};

// The system's wall clock. Thread-safe.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
};

}  // namespace vouch

#endif  // VOUCH_CORE_BASE_CLOCK_H_
