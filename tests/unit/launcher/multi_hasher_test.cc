#include "launcher/vm/multi_hasher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "core/crypto/digest.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/launcher/vm_test_util.h"

namespace vouch::launcher {
namespace {

using ::testing::HasSubstr;
using testing::RandomBytes;
using testing::TempDir;
using testing::WriteFile;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

const std::vector<HashAlg> kAllBanks = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384,
                                        HashAlg::kSha512};

void ExpectDigestsOf(const FileDigests& got, const Bytes& data, const std::vector<HashAlg>& banks) {
  EXPECT_EQ(got.size, data.size());
  ASSERT_EQ(got.digests.size(), banks.size());
  for (HashAlg b : banks) {
    ASSERT_OK_AND_ASSIGN(Bytes want, crypto::Digest(b, data));
    ASSERT_EQ(got.digests.count(b), 1u) << HashAlgName(b);
    EXPECT_EQ(HexEncode(got.digests.at(b)), HexEncode(want)) << HashAlgName(b);
  }
}

TEST(MultiHasherTest, EveryBankEqualsDigestOfTheWholeFile) {
  TempDir dir;
  const Bytes data = RandomBytes((size_t{5} << 20) + 123, 1);
  WriteFile(dir.File("disk.img"), data);
  ASSERT_OK_AND_ASSIGN(FileDigests got, HashFile(dir.File("disk.img"), kAllBanks));
  ExpectDigestsOf(got, data, kAllBanks);
}

TEST(MultiHasherTest, SmallBuffersAndShortRingGiveTheSameDigests) {
  TempDir dir;
  const Bytes data = RandomBytes(300 * 1024 + 7, 2);
  WriteFile(dir.File("f"), data);
  HashFileOptions options;
  options.buffer_bytes = 4096;
  options.buffers = 2;
  ASSERT_OK_AND_ASSIGN(FileDigests got, HashFile(dir.File("f"), kAllBanks, options));
  ExpectDigestsOf(got, data, kAllBanks);
}

TEST(MultiHasherTest, SingleThreadModeGivesTheSameDigests) {
  TempDir dir;
  const Bytes data = RandomBytes(2 * 1024 * 1024 + 1, 3);
  WriteFile(dir.File("f"), data);
  HashFileOptions options;
  options.single_thread = true;
  options.buffer_bytes = 65536;
  ASSERT_OK_AND_ASSIGN(FileDigests got,
                       HashFile(dir.File("f"), {HashAlg::kSha256, HashAlg::kSha1}, options));
  ExpectDigestsOf(got, data, {HashAlg::kSha1, HashAlg::kSha256});
}

TEST(MultiHasherTest, EmptyFileHashesToTheEmptyDigest) {
  TempDir dir;
  WriteFile(dir.File("empty"), Bytes());
  ASSERT_OK_AND_ASSIGN(FileDigests got, HashFile(dir.File("empty"), kAllBanks));
  ExpectDigestsOf(got, Bytes(), kAllBanks);
}

TEST(MultiHasherTest, ProgressReachesTheFileSize) {
  TempDir dir;
  const Bytes data = RandomBytes(size_t{1000} * 1000, 4);
  WriteFile(dir.File("f"), data);
  HashFileOptions options;
  options.buffer_bytes = size_t{64} * 1024;
  uint64_t last_done = 0;
  uint64_t last_total = 0;
  int calls = 0;
  options.progress = [&](uint64_t done, uint64_t total) {
    EXPECT_GT(done, last_done);
    last_done = done;
    last_total = total;
    ++calls;
  };
  ASSERT_OK_AND_ASSIGN(FileDigests got, HashFile(dir.File("f"), {HashAlg::kSha256}, options));
  EXPECT_EQ(last_done, data.size());
  EXPECT_EQ(last_total, data.size());
  EXPECT_EQ(calls, 16);  // ceil(1e6 / 65536)
}

TEST(MultiHasherTest, MissingFileIsInvalidArgumentNamingIt) {
  TempDir dir;
  EXPECT_THAT(HashFile(dir.File("nope.img"), {HashAlg::kSha256}),
              StatusIs(Code::kInvalidArgument, HasSubstr("nope.img")));
}

TEST(MultiHasherTest, DirectoryIsRefused) {
  TempDir dir;
  EXPECT_THAT(HashFile(dir.path().string(), {HashAlg::kSha256}),
              StatusIs(Code::kInvalidArgument, HasSubstr("not a regular file")));
}

TEST(MultiHasherTest, BadBankListsAreRefused) {
  TempDir dir;
  WriteFile(dir.File("f"), RandomBytes(10, 5));
  EXPECT_THAT(HashFile(dir.File("f"), {}), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(HashFile(dir.File("f"), {HashAlg::kSha256, HashAlg::kSha256}),
              StatusIs(Code::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(HashFile(dir.File("f"), {HashAlg::kSm3_256}),
              StatusIs(Code::kInvalidArgument, HasSubstr("sm3")));
}

TEST(MultiHasherTest, SparseFileHashesAsZeros) {
  TempDir dir;
  const std::string path = dir.File("sparse.img");
  WriteFile(path, Bytes());
  std::filesystem::resize_file(path, 3 * 1024 * 1024 + 5);
  ASSERT_OK_AND_ASSIGN(FileDigests got, HashFile(path, {HashAlg::kSha256, HashAlg::kSha384}));
  ExpectDigestsOf(got, Bytes(3 * 1024 * 1024 + 5, 0), {HashAlg::kSha256, HashAlg::kSha384});
}

TEST(MultiHasherTest, SparseFileWithDataBetweenHolesHashesLikeItsBytes) {
  TempDir dir;
  const std::string path = dir.File("mixed.img");
  Bytes content((size_t{9} << 20) + 3, 0);
  const Bytes a = RandomBytes(200000, 6);
  const Bytes b = RandomBytes(70000, 7);
  std::copy(a.begin(), a.end(), content.begin() + (std::ptrdiff_t{1} << 20) + 5);
  std::copy(b.begin(), b.end(), content.end() - static_cast<std::ptrdiff_t>(b.size()));
  {
    // Written with seeks, so the zero ranges stay holes.
    std::ofstream out(path, std::ios::binary);
    out.seekp(1024 * 1024 + 5);
    out.write(reinterpret_cast<const char*>(a.data()), static_cast<std::streamsize>(a.size()));
    out.seekp(static_cast<std::streamoff>(content.size() - b.size()));
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
  for (size_t buffer : {size_t{4096}, size_t{1} << 20}) {
    HashFileOptions options;
    options.buffer_bytes = buffer;
    ASSERT_OK_AND_ASSIGN(FileDigests got, HashFile(path, kAllBanks, options));
    ExpectDigestsOf(got, content, kAllBanks);
    options.single_thread = true;
    ASSERT_OK_AND_ASSIGN(got, HashFile(path, kAllBanks, options));
    ExpectDigestsOf(got, content, kAllBanks);
  }
}

}  // namespace
}  // namespace vouch::launcher
