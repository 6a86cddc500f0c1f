#include "core/base/hash_alg.h"

#include <gtest/gtest.h>

namespace vouch {
namespace {

TEST(HashAlgTest, NamesAndSizesRoundTrip) {
  for (HashAlg alg : kAllHashAlgs) {
    EXPECT_EQ(HashAlgFromName(HashAlgName(alg)), alg);
    EXPECT_EQ(HashAlgFromTpmId(static_cast<uint16_t>(alg)), alg);
    EXPECT_GT(DigestSize(alg), 0u);
  }
  EXPECT_EQ(DigestSize(HashAlg::kSha384), 48u);
}

TEST(HashAlgTest, UnknownIdsAndNamesAreRejected) {
  EXPECT_EQ(HashAlgFromTpmId(0x0010), std::nullopt);
  EXPECT_EQ(HashAlgFromName("SHA256"), std::nullopt);
}

}  // namespace
}  // namespace vouch
