// tboot_measure against independent computations: the openssl command line
// tool hashes the command line, the image and their concatenation (and the
// policy control value with the VLP's hash) in every bank; and tboot's own
// tb_polgen (Debian package tboot; skipped when absent) computes the module
// hash it writes into a launch policy.
#include "launcher/drtm/tboot_measure.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"

namespace vouch::launcher {
namespace {

// `openssl dgst -<bank> -binary` over `data`.
Result<Bytes> OpensslDigest(HashAlg bank, const std::string& data) {
  testing::ProcessOptions options;
  options.stdin_data = data;
  VOUCH_ASSIGN_OR_RETURN(
      testing::ProcessResult r,
      testing::RunProcessOk({"openssl", "dgst", "-" + std::string(HashAlgName(bank)), "-binary"},
                            options));
  return ToBytes(r.stdout_text);
}

std::string AsString(const Bytes& b) { return std::string(b.begin(), b.end()); }

// A module image with every byte value, longer than a hash block.
Bytes SampleImage() {
  Bytes image;
  for (int i = 0; i < 5000; ++i) image.push_back(static_cast<uint8_t>(i * 7 + i / 256));
  return image;
}

constexpr HashAlg kBanks[] = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512};

TEST(TbootModuleDigest, EqualsOpensslHashOfCmdlineHashAndImageHashInEveryBank) {
  const Bytes image = SampleImage();
  const std::string cmdline = "placeholder dom0_mem=2048M,max:2048M loglvl=all";
  for (HashAlg bank : kBanks) {
    SCOPED_TRACE(HashAlgName(bank));
    ASSERT_OK_AND_ASSIGN(Bytes cmdline_hash, OpensslDigest(bank, cmdline));
    ASSERT_OK_AND_ASSIGN(Bytes image_hash, OpensslDigest(bank, AsString(image)));
    ASSERT_OK_AND_ASSIGN(Bytes expected,
                         OpensslDigest(bank, AsString(cmdline_hash) + AsString(image_hash)));
    ASSERT_OK_AND_ASSIGN(Bytes actual, TbootModuleDigest(bank, image, cmdline));
    EXPECT_EQ(HexEncode(actual), HexEncode(expected));
  }
}

TEST(TbootModuleDigest, EmptyCmdlineIsTheHashOfNothing) {
  const Bytes image = ToBytes("initrd");
  ASSERT_OK_AND_ASSIGN(Bytes empty_hash, OpensslDigest(HashAlg::kSha256, ""));
  ASSERT_OK_AND_ASSIGN(Bytes image_hash, OpensslDigest(HashAlg::kSha256, "initrd"));
  ASSERT_OK_AND_ASSIGN(
      Bytes expected, OpensslDigest(HashAlg::kSha256, AsString(empty_hash) + AsString(image_hash)));
  ASSERT_OK_AND_ASSIGN(Bytes actual, TbootModuleDigest(HashAlg::kSha256, image, ""));
  EXPECT_EQ(actual, expected);
}

TEST(TbootModuleDigest, CmdlineChangesTheDigest) {
  const Bytes image = SampleImage();
  ASSERT_OK_AND_ASSIGN(Bytes a, TbootModuleDigest(HashAlg::kSha256, image, "console=com1"));
  ASSERT_OK_AND_ASSIGN(Bytes b, TbootModuleDigest(HashAlg::kSha256, image, "console=com2"));
  EXPECT_NE(a, b);
}

TEST(TbootModuleDigests, OneDigestPerBankInBankOrder) {
  const Bytes image = SampleImage();
  ASSERT_OK_AND_ASSIGN(std::vector<tpm_device::BankDigest> digests,
                       TbootModuleDigests({HashAlg::kSha256, HashAlg::kSha1}, image, "x"));
  ASSERT_EQ(digests.size(), 2u);
  EXPECT_EQ(digests[0].bank, HashAlg::kSha256);
  EXPECT_EQ(digests[1].bank, HashAlg::kSha1);
  ASSERT_OK_AND_ASSIGN(Bytes sha1, TbootModuleDigest(HashAlg::kSha1, image, "x"));
  EXPECT_EQ(digests[1].digest, sha1);
}

TEST(TbootModuleDigests, RefusesNoBankARepeatedBankAndSm3) {
  const Bytes image = SampleImage();
  EXPECT_THAT(TbootModuleDigests({}, image, ""), testing::StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(TbootModuleDigests({HashAlg::kSha1, HashAlg::kSha1}, image, ""),
              testing::StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(TbootModuleDigests({HashAlg::kSm3_256}, image, ""),
              testing::StatusIs(Code::kInvalidArgument));
}

TEST(TbootPolicyDigest, EqualsOpensslHashOfLittleEndianControlAndVlpHashInEveryBank) {
  const std::string vlp = std::string("\x02\x00\x0b\x00", 4) + "policy entries";
  for (HashAlg bank : kBanks) {
    SCOPED_TRACE(HashAlgName(bank));
    ASSERT_OK_AND_ASSIGN(Bytes vlp_hash, OpensslDigest(bank, vlp));
    ASSERT_OK_AND_ASSIGN(Bytes expected, OpensslDigest(bank, std::string("\x01\x00\x00\x00", 4) +
                                                                 AsString(vlp_hash)));
    ASSERT_OK_AND_ASSIGN(Bytes actual,
                         TbootPolicyDigest(bank, kTbootPolicyControlExtendPcr17, ToBytes(vlp)));
    EXPECT_EQ(HexEncode(actual), HexEncode(expected));
  }
  // The byte order of the control value matters (bit 0 set: the VLP is hashed).
  ASSERT_OK_AND_ASSIGN(Bytes le, TbootPolicyDigest(HashAlg::kSha256, 0x01020305, ToBytes(vlp)));
  ASSERT_OK_AND_ASSIGN(Bytes vlp_hash, OpensslDigest(HashAlg::kSha256, vlp));
  ASSERT_OK_AND_ASSIGN(
      Bytes expected,
      OpensslDigest(HashAlg::kSha256, std::string("\x05\x03\x02\x01", 4) + AsString(vlp_hash)));
  EXPECT_EQ(le, expected);
}

TEST(TbootPolicyDigests, OneDigestPerBankAndSameErrors) {
  ASSERT_OK_AND_ASSIGN(std::vector<tpm_device::BankDigest> digests,
                       TbootPolicyDigests({HashAlg::kSha1, HashAlg::kSha256}, 1, ToBytes("v")));
  ASSERT_EQ(digests.size(), 2u);
  EXPECT_EQ(digests[0].digest.size(), 20u);
  EXPECT_EQ(digests[1].digest.size(), 32u);
  EXPECT_THAT(TbootPolicyDigests({}, 1, ToBytes("v")), testing::StatusIs(Code::kInvalidArgument));
}

// The hash `tb_polgen --show` prints for entry 0 ("hashes[0]: d4 27 ...").
Result<Bytes> TbPolgenModuleHash(HashAlg bank, const std::filesystem::path& dir,
                                 const std::string& cmdline) {
  testing::ProcessOptions options;
  options.cwd = dir;
  std::filesystem::remove(dir / "pol");
  VOUCH_RETURN_IF_ERROR(testing::RunProcessOk({"tb_polgen", "--create", "--type", "nonfatal",
                                               "--alg", std::string(HashAlgName(bank)), "pol"},
                                              options)
                            .status());
  VOUCH_RETURN_IF_ERROR(
      testing::RunProcessOk({"tb_polgen", "--add", "--num", "0", "--pcr", "17", "--hash", "image",
                             "--cmdline", cmdline, "--image", "module.bin", "pol"},
                            options)
          .status());
  VOUCH_ASSIGN_OR_RETURN(testing::ProcessResult show,
                         testing::RunProcessOk({"tb_polgen", "--show", "pol"}, options));
  const size_t at = show.stdout_text.find("hashes[0]:");
  if (at == std::string::npos) return InternalError("no hashes[0] in: " + show.stdout_text);
  std::string hex;
  for (size_t i = at + 10; i < show.stdout_text.size() && show.stdout_text[i] != '\n'; ++i) {
    if (show.stdout_text[i] != ' ') hex.push_back(show.stdout_text[i]);
  }
  return HexDecode(hex);
}

TEST(TbootModuleDigest, EqualsTheHashTbPolgenWritesIntoALaunchPolicy) {
  Result<testing::ProcessResult> which = testing::RunProcess({"sh", "-c", "command -v tb_polgen"});
  if (!which.has_value() || which->exit_code != 0) {
    GTEST_SKIP() << "tb_polgen not installed (Debian package tboot)";
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("vouch_tb_polgen_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const Bytes image = SampleImage();
  {
    std::ofstream out(dir / "module.bin", std::ios::binary);
    out.write(reinterpret_cast<const char*>(image.data()),
              static_cast<std::streamsize>(image.size()));
  }
  const std::string cmdline = "dom0_mem=2048M,max:2048M loglvl=all";
  for (HashAlg bank : kBanks) {
    SCOPED_TRACE(HashAlgName(bank));
    ASSERT_OK_AND_ASSIGN(Bytes expected, TbPolgenModuleHash(bank, dir, cmdline));
    ASSERT_OK_AND_ASSIGN(Bytes actual, TbootModuleDigest(bank, image, cmdline));
    EXPECT_EQ(HexEncode(actual), HexEncode(expected));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vouch::launcher
