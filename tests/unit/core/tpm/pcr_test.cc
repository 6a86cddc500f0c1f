#include "core/tpm/pcr.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <utility>

#include "tests/testing/status_matchers.h"

namespace vouch::tpm {
namespace {

using vouch::testing::StatusIs;

TEST(PcrValuesTest, SetRejectsBadIndexAndSize) {
  PcrValues v;
  EXPECT_THAT(v.Set(HashAlg::kSha256, 24, Bytes(32, 0)), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(v.Set(HashAlg::kSha256, 0, Bytes(20, 0)), StatusIs(Code::kInvalidArgument));
  EXPECT_TRUE(v.empty());
}

TEST(PcrValuesTest, CopiesAreIndependentValues) {
  PcrValues a;
  ASSERT_OK(a.Set(HashAlg::kSha1, 0, Bytes(20, 1)));
  PcrValues b = a;
  EXPECT_EQ(a, b);
  ASSERT_OK(b.Set(HashAlg::kSha1, 0, Bytes(20, 2)));
  ASSERT_OK(b.Set(HashAlg::kSha256, 7, Bytes(32, 3)));
  EXPECT_EQ(*a.Get(HashAlg::kSha1, 0), Bytes(20, 1));
  EXPECT_EQ(a.Get(HashAlg::kSha256, 7), nullptr);
  EXPECT_EQ(*b.Get(HashAlg::kSha1, 0), Bytes(20, 2));
  EXPECT_NE(a, b);

  // Modifying the original leaves the copy alone too.
  PcrValues c = a;
  ASSERT_OK(a.Set(HashAlg::kSha1, 1, Bytes(20, 4)));
  EXPECT_EQ(c.Get(HashAlg::kSha1, 1), nullptr);
}

TEST(PcrValuesTest, DefaultValuesStayEmptyWhenAnotherIsSet) {
  PcrValues a;
  PcrValues b;
  ASSERT_OK(a.Set(HashAlg::kSha256, 0, Bytes(32, 0)));
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(PcrValues().empty());
}

TEST(PcrValuesTest, MovedFromStaysValid) {
  PcrValues a;
  ASSERT_OK(a.Set(HashAlg::kSha256, 0, Bytes(32, 5)));
  PcrValues b = std::move(a);
  EXPECT_EQ(*b.Get(HashAlg::kSha256, 0), Bytes(32, 5));
  EXPECT_FALSE(a.empty());  // NOLINT(bugprone-use-after-move): documented as a copy
}

TEST(PcrValuesTest, EqualityComparesContents) {
  PcrValues a;
  PcrValues b;
  ASSERT_OK(a.Set(HashAlg::kSha1, 3, Bytes(20, 9)));
  ASSERT_OK(b.Set(HashAlg::kSha1, 3, Bytes(20, 9)));
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace vouch::tpm
