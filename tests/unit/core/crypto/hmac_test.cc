#include "core/crypto/hmac.h"

#include <string>
#include <vector>

#include "tests/testing/status_matchers.h"

namespace vouch::crypto {
namespace {

// RFC 4231 section 4 test cases 1-4, 6 and 7 (HMAC-SHA-256 column). Test
// case 5 (truncated output) is checked separately below.
struct Vector {
  const char* name;
  Bytes key;
  Bytes data;
  const char* hmac_hex;
};

Bytes Repeat(uint8_t b, size_t n) { return Bytes(n, b); }

std::vector<Vector> Rfc4231Vectors() {
  Bytes key4;
  for (uint8_t i = 1; i <= 25; ++i) key4.push_back(i);
  return {
      {"case 1", Repeat(0x0b, 20), ToBytes("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"case 2", ToBytes("Jefe"), ToBytes("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"case 3", Repeat(0xaa, 20), Repeat(0xdd, 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"case 4", key4, Repeat(0xcd, 50),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"case 6", Repeat(0xaa, 131),
       ToBytes("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"case 7", Repeat(0xaa, 131),
       ToBytes("This is a test using a larger than block-size key and a larger than block-size "
               "data. The key needs to be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}

TEST(HmacSha256Test, MatchesRfc4231Vectors) {
  for (const Vector& v : Rfc4231Vectors()) {
    ASSERT_OK_AND_ASSIGN(Bytes mac, HmacSha256(v.key, v.data));
    EXPECT_EQ(HexEncode(mac), v.hmac_hex) << v.name;
  }
}

TEST(HmacSha256Test, MatchesRfc4231TruncatedVector) {
  // Test case 5 gives only the leftmost 128 bits.
  ASSERT_OK_AND_ASSIGN(Bytes mac, HmacSha256(Repeat(0x0c, 20), AsBytes("Test With Truncation")));
  ASSERT_EQ(mac.size(), kHmacSha256Bytes);
  EXPECT_EQ(HexEncode(ByteView(mac).first(16)), "a3b6167473100ee06e0c796c2955552b");
}

TEST(HmacSha256Test, AcceptsEmptyKeyAndData) {
  // HMAC-SHA256("", ""), as computed by Python's hmac module.
  ASSERT_OK_AND_ASSIGN(Bytes mac, HmacSha256(ByteView(), ByteView()));
  EXPECT_EQ(HexEncode(mac), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HmacSha256Test, DiffersWhenKeyChanges) {
  ASSERT_OK_AND_ASSIGN(Bytes a, HmacSha256(AsBytes("key-a"), AsBytes("message")));
  ASSERT_OK_AND_ASSIGN(Bytes b, HmacSha256(AsBytes("key-b"), AsBytes("message")));
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace vouch::crypto
