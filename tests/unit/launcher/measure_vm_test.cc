#include "launcher/vm/measure_vm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/crypto/digest.h"
#include "tests/testing/fake_tpm_device.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/launcher/vm_test_util.h"

namespace vouch::launcher {
namespace {

using protocol::VmComponent;
using ::testing::HasSubstr;
using testing::RandomBytes;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;
using ::vouch::testing::FakeTpmDevice;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

TEST(DefaultVmIdTest, IsTheVersion5UuidOfTheName) {
  // python3 -c 'import uuid; print(uuid.uuid5(
  //     uuid.UUID("f4b0d568-cd26-46b5-a41e-d9378959ab1f"), "web-01"))'
  EXPECT_EQ(DefaultVmId("web-01"), "4e5f1bbb-7c16-5ef8-ade7-a3e32478886c");
  EXPECT_EQ(DefaultVmId("x"), "c6fdcd8f-ff8a-5c12-ac89-84ca66fea77f");
  EXPECT_NE(DefaultVmId("web-02"), DefaultVmId("web-01"));
}

class MeasureVmTest : public ::testing::Test {
 protected:
  MeasureVmTest() {
    WriteFile(dir_.File("disk0.img"), disk0_);
    WriteFile(dir_.File("disk1.img"), disk1_);
    WriteFile(dir_.File("vmlinuz"), kernel_);
    WriteFile(dir_.File("domain.xml"), AsBytes("<domain/>"));
  }

  MeasureVmRequest Request() {
    MeasureVmRequest r;
    r.name = "web-01";
    r.disks = {dir_.File("disk0.img"), dir_.File("disk1.img")};
    r.kernel = dir_.File("vmlinuz");
    r.config = dir_.File("domain.xml");
    r.log_path = dir_.File("state/vm.log");
    r.boot_id = "0b7c9e9e-1111-4a4a-8c8c-000000000001";
    r.time = std::chrono::system_clock::from_time_t(1795000000);
    return r;
  }

  TempDir dir_;
  Bytes disk0_ = RandomBytes(3 * 1024 * 1024 + 17, 10);
  Bytes disk1_ = RandomBytes(100, 11);
  Bytes kernel_ = RandomBytes(70000, 12);
  std::vector<HashAlg> banks_ = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384};
  FakeTpmDevice tpm_{banks_};
  NullLogger logger_;
};

TEST_F(MeasureVmTest, LogsEveryComponentInOrderWithItsDigests) {
  ASSERT_OK_AND_ASSIGN(MeasureVmResult r, MeasureVm(tpm_, Request(), logger_));
  EXPECT_EQ(r.vm_id, DefaultVmId("web-01"));
  EXPECT_EQ(r.banks, banks_);
  ASSERT_EQ(r.log.appended.size(), 4u);
  const std::vector<VmComponent> order = {VmComponent::kKernel, VmComponent::kDisk,
                                          VmComponent::kDisk, VmComponent::kConfig};
  const std::vector<Bytes> contents = {kernel_, disk0_, disk1_, ToBytes("<domain/>")};
  for (size_t i = 0; i < 4; ++i) {
    const protocol::VmLogRecord& rec = r.log.appended[i];
    EXPECT_EQ(rec.component, order[i]) << i;
    EXPECT_EQ(rec.size, contents[i].size()) << i;
    EXPECT_EQ(rec.vm_name, "web-01");
    EXPECT_TRUE(std::filesystem::path(rec.path).is_absolute());
    for (HashAlg b : banks_) {
      EXPECT_EQ(rec.digests.at(b), *crypto::Digest(b, contents[i])) << i << HashAlgName(b);
    }
  }
  ASSERT_OK_AND_ASSIGN(VmLogInspection in, InspectVmLog(tpm_, dir_.File("state/vm.log"), 15));
  EXPECT_EQ(in.classification.state, VmPcrState::kConsistent) << in.classification.message;
  EXPECT_EQ(in.log.records, r.log.appended);

  const nlohmann::json j = nlohmann::json::parse(MeasureVmResultToJson(r), nullptr, false);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["vm"]["id"], DefaultVmId("web-01"));
  ASSERT_EQ(j["records"].size(), 4u);
  EXPECT_EQ(j["records"][1]["digests"]["sha256"],
            HexEncode(*crypto::Digest(HashAlg::kSha256, disk0_)));
  EXPECT_TRUE(j["rolled_forward"].is_null());
}

TEST_F(MeasureVmTest, GivenIdAndPcrAreUsed) {
  MeasureVmRequest req = Request();
  req.id = "6c1f0f4e-2d8b-4c54-9a4b-0e1c2d3e4f50";
  req.pcr = 12;
  ASSERT_OK_AND_ASSIGN(MeasureVmResult r, MeasureVm(tpm_, req, logger_));
  EXPECT_EQ(r.log.appended[0].vm_id, req.id);
  EXPECT_EQ(r.log.appended[0].pcr, 12u);
  EXPECT_NE(tpm_.Pcr(HashAlg::kSha256, 12), Bytes(32, 0));
}

TEST_F(MeasureVmTest, MissingFileAppendsNothingAndNamesIt) {
  ASSERT_THAT(MeasureVm(tpm_, Request(), logger_), IsOk());
  const std::string before = ReadFile(dir_.File("state/vm.log"));
  const Bytes pcr = tpm_.Pcr(HashAlg::kSha256, 15);
  MeasureVmRequest req = Request();
  req.initrd = dir_.File("initrd-missing.img");
  EXPECT_THAT(MeasureVm(tpm_, req, logger_),
              StatusIs(Code::kInvalidArgument, HasSubstr("--initrd " + req.initrd)));
  req = Request();
  req.disks.push_back(dir_.path().string());  // a directory
  EXPECT_THAT(MeasureVm(tpm_, req, logger_),
              StatusIs(Code::kInvalidArgument, HasSubstr("not a regular file")));
  EXPECT_EQ(ReadFile(dir_.File("state/vm.log")), before);
  EXPECT_EQ(tpm_.Pcr(HashAlg::kSha256, 15), pcr);
}

TEST_F(MeasureVmTest, BadRequestsAreInvalidArgument) {
  MeasureVmRequest req = Request();
  req.disks.clear();
  EXPECT_THAT(MeasureVm(tpm_, req, logger_), StatusIs(Code::kInvalidArgument, HasSubstr("--disk")));
  req = Request();
  req.name.clear();
  EXPECT_THAT(MeasureVm(tpm_, req, logger_), StatusIs(Code::kInvalidArgument, HasSubstr("--name")));
  req = Request();
  req.pcr = 16;
  EXPECT_THAT(MeasureVm(tpm_, req, logger_), StatusIs(Code::kInvalidArgument, HasSubstr("--pcr")));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("state/vm.log")));
}

TEST_F(MeasureVmTest, ProgressNamesEachComponent) {
  MeasureVmRequest req = Request();
  std::vector<std::string> seen;
  req.progress = [&](std::string_view component, const std::string& path, uint64_t done,
                     uint64_t total) {
    if (done == total) seen.push_back(std::string(component) + ":" + path);
  };
  ASSERT_THAT(MeasureVm(tpm_, req, logger_), IsOk());
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], "kernel:" + dir_.File("vmlinuz"));
  EXPECT_EQ(seen[3], "config:" + dir_.File("domain.xml"));
}

}  // namespace
}  // namespace vouch::launcher
