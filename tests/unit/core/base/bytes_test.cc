#include "core/base/bytes.h"

#include "tests/testing/status_matchers.h"

namespace vouch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vouch::testing::StatusIs;

TEST(HexTest, EncodesLowerCase) { EXPECT_EQ(HexEncode(Bytes{0x00, 0xAB, 0xff}), "00abff"); }

TEST(HexTest, DecodesBothCasesAndPrefix) {
  EXPECT_THAT(*HexDecode("00aBFf"), ElementsAre(0x00, 0xAB, 0xFF));
  EXPECT_THAT(*HexDecode("0x0102"), ElementsAre(0x01, 0x02));
  EXPECT_TRUE(HexDecode("")->empty());
}

TEST(HexTest, RejectsOddLengthAndBadCharacters) {
  EXPECT_THAT(HexDecode("abc"), StatusIs(Code::kInvalidArgument, HasSubstr("odd")));
  EXPECT_THAT(HexDecode("00zz"), StatusIs(Code::kInvalidArgument, HasSubstr("position 2")));
  EXPECT_THAT(HexDecode("000g"), StatusIs(Code::kInvalidArgument, HasSubstr("position 3")));
}

TEST(Base64Test, RoundTripsRfc4648Vectors) {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(Base64Encode(AsBytes(plain[i])), enc[i]);
    EXPECT_EQ(ToString(*Base64Decode(enc[i])), plain[i]);
  }
}

TEST(Base64Test, RejectsMalformedInput) {
  EXPECT_THAT(Base64Decode("Zm9"), StatusIs(Code::kInvalidArgument, HasSubstr("multiple of 4")));
  EXPECT_THAT(Base64Decode("Zm!v"), StatusIs(Code::kInvalidArgument, HasSubstr("position 2")));
  EXPECT_THAT(Base64Decode("Zg=v"), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(Base64Decode("Zg==Zg=="), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(Base64Decode("Z==="), StatusIs(Code::kInvalidArgument));
}

TEST(ConstantTimeEqualTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1, 2}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1, 3}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1}));
}

}  // namespace
}  // namespace vouch
