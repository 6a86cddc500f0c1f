#include "core/base/time_format.h"

#include <gtest/gtest.h>

namespace vouch {
namespace {

TEST(TimeFormatTest, Rfc3339UtcWholeSeconds) {
  using std::chrono::system_clock;
  EXPECT_EQ(FormatRfc3339Utc(system_clock::from_time_t(0)), "1970-01-01T00:00:00Z");
  // 2026-11-28T09:40:00Z plus 999 ms: truncated, not rounded.
  system_clock::time_point t =
      system_clock::from_time_t(1795858800) + std::chrono::milliseconds(999);
  EXPECT_EQ(FormatRfc3339Utc(t), "2026-11-28T09:40:00Z");
}

}  // namespace
}  // namespace vouch
