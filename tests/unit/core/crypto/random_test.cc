#include "core/crypto/random.h"

#include "core/base/bytes.h"
#include "tests/testing/status_matchers.h"

namespace vouch::crypto {
namespace {

TEST(OpenSslRandomTest, FillsBuffersWithDistinctOutput) {
  OpenSslRandom random;
  Bytes a(32, 0), b(32, 0);
  ASSERT_OK(random.Fill(a));
  ASSERT_OK(random.Fill(b));
  EXPECT_NE(a, Bytes(32, 0));
  EXPECT_NE(a, b);
}

TEST(OpenSslRandomTest, AcceptsEmptyBuffer) {
  OpenSslRandom random;
  EXPECT_OK(random.Fill(std::span<uint8_t>()));
}

}  // namespace
}  // namespace vouch::crypto
