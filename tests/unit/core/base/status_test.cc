#include "core/base/status.h"

#include <memory>

#include "tests/testing/status_matchers.h"

namespace vouch {
namespace {

using ::testing::HasSubstr;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), Code::kOk);
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = DataLossError("torn record");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(), "data_loss: torn record");
}

TEST(StatusTest, EveryConstructorSetsItsCode) {
  EXPECT_THAT(InvalidArgumentError("x"), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(NotFoundError("x"), StatusIs(Code::kNotFound));
  EXPECT_THAT(FailedPreconditionError("x"), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(PermissionDeniedError("x"), StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(UnauthenticatedError("x"), StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(UnavailableError("x"), StatusIs(Code::kUnavailable));
  EXPECT_THAT(DataLossError("x"), StatusIs(Code::kDataLoss));
  EXPECT_THAT(InternalError("x"), StatusIs(Code::kInternal));
}

TEST(StatusTest, WithContextPrependsAndKeepsCode) {
  Status s = InvalidArgumentError("bad magic").WithContext("decode quote");
  EXPECT_THAT(s, StatusIs(Code::kInvalidArgument, "decode quote: bad magic"));
  EXPECT_TRUE(Status().WithContext("ignored").ok());
}

Result<int> Half(int v) {
  if (v % 2 != 0) return InvalidArgumentError("odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  VOUCH_ASSIGN_OR_RETURN(int h, Half(v));
  VOUCH_ASSIGN_OR_RETURN_CTX(int q, Half(h), "second half");
  return q;
}

Status CheckEven(int v) {
  VOUCH_RETURN_IF_ERROR(Half(v));
  return Status();
}

TEST(ResultTest, HoldsValue) {
  Result<int> r = Half(8);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 4);
  EXPECT_THAT(r, IsOk());
}

TEST(ResultTest, PropagatesErrorsWithContext) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(3), StatusIs(Code::kInvalidArgument, "odd"));
  EXPECT_THAT(Quarter(6), StatusIs(Code::kInvalidArgument, "second half: odd"));
  EXPECT_THAT(CheckEven(3), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(CheckEven(2), IsOk());
}

TEST(ResultTest, ValueOrFallsBack) {
  EXPECT_EQ(Half(3).value_or(-1), -1);
  EXPECT_EQ(Half(4).value_or(-1), 2);
}

TEST(ResultTest, HoldsMoveOnlyTypes) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(ResultDeathTest, BuildingFromOkStatusAborts) {
  EXPECT_DEATH(
      {
        Result<int> r{Status()};
        (void)r;
      },
      "VOUCH_CHECK failed");
}

TEST(ResultDeathTest, ValueOnErrorAborts) {
  EXPECT_DEATH({ (void)Half(3).value(); }, "Result::value\\(\\) on error");
}

}  // namespace
}  // namespace vouch
