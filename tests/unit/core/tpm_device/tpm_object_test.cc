#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "core/tpm_device/tpm_device.h"

namespace vouch::tpm_device {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TpmObject MakeObject(uint64_t id, std::vector<uint64_t>& released) {
  return TpmObject(id, Bytes{1, 2}, [&released](uint64_t i) { released.push_back(i); });
}

TEST(TpmObjectTest, DestructionReleasesOnce) {
  std::vector<uint64_t> released;
  {
    TpmObject object = MakeObject(7, released);
    EXPECT_TRUE(object.valid());
    EXPECT_EQ(object.public_area(), (Bytes{1, 2}));
  }
  EXPECT_THAT(released, ElementsAre(7u));
}

TEST(TpmObjectTest, MoveTransfersOwnershipAndEmptiesSource) {
  std::vector<uint64_t> released;
  {
    TpmObject a = MakeObject(1, released);
    TpmObject b = std::move(a);
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): moved-from state is specified
    EXPECT_TRUE(b.valid());
    EXPECT_EQ(b.id(), 1u);
    EXPECT_THAT(released, IsEmpty());
  }
  EXPECT_THAT(released, ElementsAre(1u));
}

TEST(TpmObjectTest, MoveAssignmentReleasesTheOverwrittenObject) {
  std::vector<uint64_t> released;
  TpmObject a = MakeObject(1, released);
  TpmObject b = MakeObject(2, released);
  b = std::move(a);
  EXPECT_THAT(released, ElementsAre(2u));
  b.Reset();
  EXPECT_THAT(released, ElementsAre(2u, 1u));
  EXPECT_FALSE(b.valid());
  b.Reset();  // idempotent
  EXPECT_THAT(released, ElementsAre(2u, 1u));
}

TEST(TpmObjectTest, DefaultConstructedIsEmpty) {
  TpmObject object;
  EXPECT_FALSE(object.valid());
  object.Reset();
}

}  // namespace
}  // namespace vouch::tpm_device
