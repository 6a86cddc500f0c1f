#include "core/base/byte_reader.h"

#include "tests/testing/status_matchers.h"

namespace vouch {
namespace {

using ::testing::HasSubstr;
using ::vouch::testing::StatusIs;

TEST(ByteReaderTest, ReadsLittleAndBigEndian) {
  Bytes data{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
  ByteReader r(data);
  EXPECT_EQ(*r.U8("a"), 0x01);
  EXPECT_EQ(*r.U16Le("b"), 0x0302);
  EXPECT_EQ(*r.U16Be("c"), 0x0405);
  EXPECT_EQ(*r.U32Le("d"), 0x09080706u);
  EXPECT_TRUE(r.empty());
}

TEST(ByteReaderTest, Reads64BitValues) {
  Bytes data{1, 0, 0, 0, 0, 0, 0, 0x80, 0x80, 0, 0, 0, 0, 0, 0, 1};
  ByteReader r(data);
  EXPECT_EQ(*r.U64Le("x"), 0x8000000000000001ull);
  EXPECT_EQ(*r.U64Be("y"), 0x8000000000000001ull);
}

TEST(ByteReaderTest, ShortReadNamesOffsetAndField) {
  Bytes data{1, 2, 3};
  ByteReader r(data, 100);
  ASSERT_TRUE(r.U16Le("head").has_value());
  auto v = r.U32Le("event size");
  EXPECT_THAT(
      v, StatusIs(Code::kInvalidArgument, "at offset 102: need 4 bytes for event size, 1 left"));
  // A failed read consumes nothing.
  EXPECT_EQ(r.remaining(), 1u);
}

TEST(ByteReaderTest, TakeAndSkipAreBounded) {
  Bytes data{1, 2, 3, 4};
  ByteReader r(data);
  auto view = r.Take(3, "digest");
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->size(), 3u);
  EXPECT_THAT(r.Take(2, "digest"), StatusIs(Code::kInvalidArgument, HasSubstr("digest")));
  EXPECT_THAT(r.Skip(size_t{1} << 40, "pad"), StatusIs(Code::kInvalidArgument));
  EXPECT_TRUE(r.Skip(1, "pad").ok());
  EXPECT_TRUE(r.empty());
}

}  // namespace
}  // namespace vouch
