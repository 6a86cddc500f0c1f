#include "core/base/finding.h"

#include <gtest/gtest.h>

#include "core/base/clock.h"

namespace vouch {
namespace {

TEST(FindingTest, HasErrorsOnlyCountsErrorSeverity) {
  std::vector<Finding> findings;
  EXPECT_FALSE(HasErrors(findings));
  findings.push_back(Finding{.id = "replay.bank_not_in_log", .severity = Severity::kInfo});
  findings.push_back(Finding{.id = "replay.pcr_not_quoted", .severity = Severity::kWarning});
  EXPECT_FALSE(HasErrors(findings));
  findings.push_back(Finding{.id = "quote.nonce_mismatch"});
  EXPECT_TRUE(HasErrors(findings));
}

TEST(SystemClockTest, NowIsCloseToTheSystemTime) {
  SystemClock clock;
  auto before = std::chrono::system_clock::now();
  auto now = clock.Now();
  auto after = std::chrono::system_clock::now();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

}  // namespace
}  // namespace vouch
