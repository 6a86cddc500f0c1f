// EmulateFirmwareBoot on a FakeTpmDevice: after it, a real firmware log
// replays to the TPM's PCRs; everything it refuses is refused before any
// extend.
#include "launcher/firmware/emulate_firmware.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"
#include "tests/testing/fake_tpm_device.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"

namespace vouch::launcher {
namespace {

using testing::FakeTpmDevice;

constexpr char kPcClientLog[] = "tpm2tss__binary_measurements_pc_client.bin";  // locality 0
constexpr char kLocality3Log[] = "gotpmtools__glinux-alex.bin";                // StartupLocality 3

std::vector<uint32_t> Pcrs0To15() {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i <= 15; ++i) out.push_back(i);
  return out;
}

TEST(EmulateFirmwareBoot, LogReplaysToThePcrsInEveryBank) {
  VOUCH_REQUIRE_FIXTURES(root);
  ASSERT_OK_AND_ASSIGN(Bytes log, testing::ReadFileBytes(root / "eventlogs" / kPcClientLog));
  FakeTpmDevice tpm;  // sha1 + sha256
  ASSERT_OK_AND_ASSIGN(FirmwareEmulation done, EmulateFirmwareBoot(tpm, log));
  EXPECT_GT(done.events_extended, 10u);
  ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog parsed, eventlog::ParseEventLog(log));
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues expected, eventlog::ComputePcrs(parsed));
  for (HashAlg bank : done.banks) {
    ASSERT_OK_AND_ASSIGN(tpm::PcrValues actual,
                         tpm.ReadPcrs({tpm::PcrSelection{bank, Pcrs0To15()}}));
    for (const auto& [pcr, value] : expected.banks().at(bank)) {
      EXPECT_EQ(actual.banks().at(bank).at(pcr), value) << HashAlgName(bank) << " PCR " << pcr;
    }
  }
}

TEST(EmulateFirmwareBoot, RefusesASecondBootWithoutReset) {
  VOUCH_REQUIRE_FIXTURES(root);
  ASSERT_OK_AND_ASSIGN(Bytes log, testing::ReadFileBytes(root / "eventlogs" / kPcClientLog));
  FakeTpmDevice tpm;
  ASSERT_OK(EmulateFirmwareBoot(tpm, log).status());
  EXPECT_THAT(
      EmulateFirmwareBoot(tpm, log).status(),
      testing::StatusIs(Code::kFailedPrecondition, ::testing::HasSubstr("restart the TPM")));
  tpm.Reboot();
  ASSERT_OK(tpm.Startup());
  EXPECT_OK(EmulateFirmwareBoot(tpm, log).status());
}

TEST(EmulateFirmwareBoot, RefusesALocality3Log) {
  VOUCH_REQUIRE_FIXTURES(root);
  ASSERT_OK_AND_ASSIGN(Bytes log, testing::ReadFileBytes(root / "eventlogs" / kLocality3Log));
  FakeTpmDevice tpm;
  EXPECT_THAT(
      EmulateFirmwareBoot(tpm, log).status(),
      testing::StatusIs(Code::kFailedPrecondition, ::testing::HasSubstr("StartupLocality is 3")));
  EXPECT_EQ(tpm.calls(FakeTpmDevice::Method::kExtendPcr), 0);
}

TEST(EmulateFirmwareBoot, RefusesWhenTheLogLacksAnActiveBank) {
  VOUCH_REQUIRE_FIXTURES(root);
  ASSERT_OK_AND_ASSIGN(Bytes log, testing::ReadFileBytes(root / "eventlogs" / kPcClientLog));
  FakeTpmDevice tpm({HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384});
  EXPECT_THAT(
      EmulateFirmwareBoot(tpm, log).status(),
      testing::StatusIs(Code::kFailedPrecondition, ::testing::HasSubstr("sha384 bank is active")));
  EXPECT_EQ(tpm.calls(FakeTpmDevice::Method::kExtendPcr), 0);
}

TEST(EmulateFirmwareBoot, RefusesGarbage) {
  FakeTpmDevice tpm;
  const Bytes garbage = {0x01, 0x02, 0x03};
  EXPECT_THAT(EmulateFirmwareBoot(tpm, garbage).status(),
              testing::StatusIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace vouch::launcher
