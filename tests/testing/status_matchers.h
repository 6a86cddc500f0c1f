// gMock matchers for Status and Result (STYLE.md, section 7): assert the
// exact code, never a generic "not OK".
//   EXPECT_THAT(r, StatusIs(Code::kInvalidArgument));
//   EXPECT_THAT(r, StatusIs(Code::kInvalidArgument, HasSubstr("offset 12")));
//   EXPECT_THAT(r, IsOk());  ASSERT_OK_AND_ASSIGN(auto v, F());
//   EXPECT_THAT(r, IsOkAndHolds(0));
#ifndef VOUCH_TESTS_TESTING_STATUS_MATCHERS_H_
#define VOUCH_TESTS_TESTING_STATUS_MATCHERS_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/base/status.h"

namespace vouch::testing {

inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
Status GetStatus(const Result<T>& r) {
  return r.status();
}

MATCHER_P(StatusIs, code, "has status code " + std::string(::vouch::CodeName(code))) {
  Status s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + std::string(::vouch::CodeName(code))) {
  Status s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, s.message(), result_listener);
}

MATCHER(IsOk, "is OK") {
  Status s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.ok();
}

// A Result holding a value that matches `value_matcher`.
MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.has_value()) {
    *result_listener << "status is " << arg.status().ToString();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace vouch::testing

#define VOUCH_TESTING_CONCAT2(a, b) a##b
#define VOUCH_TESTING_CONCAT(a, b) VOUCH_TESTING_CONCAT2(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL(VOUCH_TESTING_CONCAT(vouch_test_result_, __LINE__), lhs, rexpr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, rexpr)         \
  auto tmp = (rexpr);                                      \
  ASSERT_TRUE(tmp.has_value()) << tmp.status().ToString(); \
  lhs = std::move(tmp).value()
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::vouch::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::vouch::testing::IsOk())

#endif  // VOUCH_TESTS_TESTING_STATUS_MATCHERS_H_
