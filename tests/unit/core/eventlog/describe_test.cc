#include "core/eventlog/describe.h"

#include "tests/testing/status_matchers.h"

namespace vouch::eventlog {
namespace {

TEST(DescribeTest, EmptyUnknownEventHasNoData) {
  Event e;
  e.type = 0x12345;
  EXPECT_EQ(DescribeEvent(e).kind, "empty");
}

}  // namespace
}  // namespace vouch::eventlog
