#include "core/crypto/digest.h"

#include <thread>
#include <vector>

#include "tests/testing/status_matchers.h"

namespace vouch::crypto {
namespace {

using ::vouch::testing::StatusIs;

// FIPS 180-4 example "abc" digests (NIST CSRC example values).
struct Vector {
  HashAlg alg;
  const char* abc_hex;
};
constexpr Vector kAbc[] = {
    {HashAlg::kSha1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {HashAlg::kSha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {HashAlg::kSha384,
     "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca1"
     "34c825a7"},
    {HashAlg::kSha512,
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23"
     "a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
};

TEST(DigestTest, MatchesFips180AbcVectors) {
  for (const Vector& v : kAbc) {
    ASSERT_OK_AND_ASSIGN(Bytes d, Digest(v.alg, AsBytes("abc")));
    EXPECT_EQ(HexEncode(d), v.abc_hex) << HashAlgName(v.alg);
  }
}

TEST(DigestTest, HashesEmptyInput) {
  ASSERT_OK_AND_ASSIGN(Bytes d, Digest(HashAlg::kSha256, ByteView()));
  EXPECT_EQ(HexEncode(d), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(DigestTest, ReportsSm3Unsupported) {
  EXPECT_FALSE(IsDigestSupported(HashAlg::kSm3_256));
  EXPECT_TRUE(IsDigestSupported(HashAlg::kSha384));
  EXPECT_THAT(Digest(HashAlg::kSm3_256, AsBytes("abc")), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(Hasher::Create(HashAlg::kSm3_256), StatusIs(Code::kInvalidArgument));
}

TEST(HasherTest, IncrementalEqualsOneShot) {
  const std::string text = "The quick brown fox jumps over the lazy dog, repeatedly.";
  for (const Vector& v : kAbc) {
    ASSERT_OK_AND_ASSIGN(Hasher h, Hasher::Create(v.alg));
    EXPECT_EQ(h.alg(), v.alg);
    for (size_t i = 0; i < text.size(); i += 7) {
      h.Update(AsBytes(std::string_view(text).substr(i, 7)));
    }
    ASSERT_OK_AND_ASSIGN(Bytes one_shot, Digest(v.alg, AsBytes(text)));
    EXPECT_EQ(h.Final(), one_shot);
  }
}

TEST(HasherTest, ResetAllowsReuseAndFinalIntoWritesInPlace) {
  ASSERT_OK_AND_ASSIGN(Hasher h, Hasher::Create(HashAlg::kSha1));
  h.Update(AsBytes("garbage"));
  (void)h.Final();
  h.Reset();
  h.Update(AsBytes("ab"));
  h.Update(AsBytes("c"));
  uint8_t out[20];
  h.FinalInto(out);
  EXPECT_EQ(HexEncode(out), kAbc[0].abc_hex);

  Hasher moved = std::move(h);
  moved.Reset();
  moved.Update(AsBytes("abc"));
  EXPECT_EQ(HexEncode(moved.Final()), kAbc[0].abc_hex);
}

// Expected values computed independently with Python:
//   d = hashlib.new(a, b'abc').digest(); hashlib.new(a, bytes(len(d)) + d).hexdigest()
TEST(ExtendPcrTest, ExtendsZeroPcrWithDigestOfAbc) {
  Bytes pcr(32, 0);
  ASSERT_OK_AND_ASSIGN(Bytes d, Digest(HashAlg::kSha256, AsBytes("abc")));
  ASSERT_OK(ExtendPcr(HashAlg::kSha256, pcr, d));
  EXPECT_EQ(HexEncode(pcr), "589f9ffed4c477966bfb8d41f37895b08c69047df8f911d6f3b57fbe08faee8d");

  Bytes pcr1(20, 0);
  ASSERT_OK_AND_ASSIGN(Bytes d1, Digest(HashAlg::kSha1, AsBytes("abc")));
  ASSERT_OK(ExtendPcr(HashAlg::kSha1, pcr1, d1));
  EXPECT_EQ(HexEncode(pcr1), "ccd5bd41458de644ac34a2478b58ff819bef5acf");
}

TEST(ExtendPcrTest, EqualsDigestOfConcatenation) {
  for (const Vector& v : kAbc) {
    Bytes pcr(DigestSize(v.alg), 0x5a);
    ASSERT_OK_AND_ASSIGN(Bytes d, Digest(v.alg, AsBytes("event")));
    Bytes concat = pcr;
    concat.insert(concat.end(), d.begin(), d.end());
    ASSERT_OK_AND_ASSIGN(Bytes expected, Digest(v.alg, concat));
    ASSERT_OK(ExtendPcr(v.alg, pcr, d));
    EXPECT_EQ(pcr, expected) << HashAlgName(v.alg);
  }
}

TEST(ExtendPcrTest, RejectsSizeMismatchAndUnsupportedAlg) {
  Bytes pcr(32, 0);
  Bytes sha1_digest(20, 1);
  EXPECT_THAT(ExtendPcr(HashAlg::kSha256, pcr, sha1_digest), StatusIs(Code::kInvalidArgument));
  Bytes short_pcr(20, 0);
  Bytes digest(32, 1);
  EXPECT_THAT(ExtendPcr(HashAlg::kSha256, short_pcr, digest), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(ExtendPcr(HashAlg::kSm3_256, pcr, digest), StatusIs(Code::kInvalidArgument));
  EXPECT_EQ(pcr, Bytes(32, 0));  // untouched on error
}

TEST(DigestTest, IsThreadSafe) {
  ASSERT_OK_AND_ASSIGN(Bytes expected, Digest(HashAlg::kSha384, AsBytes("abc")));
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      int good = 0;
      for (int i = 0; i < 500; ++i) {
        Result<Bytes> d = Digest(HashAlg::kSha384, AsBytes("abc"));
        Bytes pcr(48, 0);
        if (d.has_value() && *d == expected && ExtendPcr(HashAlg::kSha384, pcr, *d).ok()) ++good;
      }
      ok[static_cast<size_t>(t)] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int good : ok) EXPECT_EQ(good, 500);
}

}  // namespace
}  // namespace vouch::crypto
