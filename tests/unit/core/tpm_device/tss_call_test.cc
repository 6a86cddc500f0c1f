#include "core/tpm_device/internal/tss_call.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "tests/testing/status_matchers.h"

namespace vouch::tpm_device::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vouch::testing::StatusIs;
using ms = std::chrono::milliseconds;

// TPM_RC values (TPM 2.0 Part 2, section 6.6.3).
constexpr uint32_t kRetry = 0x922;
constexpr uint32_t kYielded = 0x908;
constexpr uint32_t kTesting = 0x90a;
constexpr uint32_t kSchemeParam2 = 0x2d2;   // TPM_RC_SCHEME + TPM_RC_P + TPM_RC_2
constexpr uint32_t kHandle1 = 0x18b;        // TPM_RC_HANDLE + TPM_RC_1
constexpr uint32_t kTctiIoError = 0xa000a;  // TSS2_TCTI_RC_LAYER | TSS2_BASE_RC_IO_ERROR

TEST(TssCallTest, TssErrorNamesCommandDecodedCodeAndHex) {
  Status s = TssError("Esys_Quote", kSchemeParam2);
  EXPECT_THAT(s, StatusIs(Code::kInternal, HasSubstr("Esys_Quote: tpm:parameter(2)")));
  EXPECT_THAT(s.message(), HasSubstr("(0x2d2)"));
}

TEST(TssCallTest, CodesMapToCanonicalStatusCodes) {
  EXPECT_EQ(CodeForRc(kHandle1), Code::kNotFound);
  EXPECT_EQ(CodeForRc(0x98e), Code::kPermissionDenied);    // TPM_RC_AUTH_FAIL, session 1
  EXPECT_EQ(CodeForRc(0x99d), Code::kPermissionDenied);    // TPM_RC_POLICY_FAIL, session 1
  EXPECT_EQ(CodeForRc(0x907), Code::kFailedPrecondition);  // TPM_RC_LOCALITY (a warning)
  EXPECT_EQ(CodeForRc(0x100), Code::kFailedPrecondition);  // TPM_RC_INITIALIZE
  EXPECT_EQ(CodeForRc(0x14c), Code::kFailedPrecondition);  // TPM_RC_NV_DEFINED
  EXPECT_EQ(CodeForRc(0x29f), Code::kInvalidArgument);     // TPM_RC_INTEGRITY, parameter 2
  EXPECT_EQ(CodeForRc(0x902), Code::kUnavailable);         // TPM_RC_OBJECT_MEMORY
  EXPECT_EQ(CodeForRc(kRetry), Code::kUnavailable);
  EXPECT_EQ(CodeForRc(kTctiIoError), Code::kUnavailable);
  EXPECT_EQ(CodeForRc(0x70001), Code::kInternal);  // ESYS layer, general failure
}

TEST(TssCallTest, OnlyRetryYieldedAndTestingAreRetryable) {
  EXPECT_TRUE(IsRetryable(kRetry));
  EXPECT_TRUE(IsRetryable(kYielded));
  EXPECT_TRUE(IsRetryable(kTesting));
  EXPECT_TRUE(IsRetryable(0xc0000 | kRetry));  // passed on by a resource manager
  EXPECT_FALSE(IsRetryable(kHandle1));
  EXPECT_FALSE(IsRetryable(kTctiIoError));
  EXPECT_FALSE(IsRetryable(0x70000 | kRetry));  // not from the TPM
}

TEST(TssCallTest, RetriesBusyTpmWithGrowingBackoffUntilSuccess) {
  std::vector<uint32_t> answers = {kRetry, kYielded, kTesting, 0};
  size_t calls = 0;
  std::vector<ms> waits;
  Status s = CallWithRetry(
      "Esys_Quote", [&] { return answers[calls++]; }, RetryPolicy{},
      [&](ms d) { waits.push_back(d); });
  EXPECT_OK(s);
  EXPECT_EQ(calls, 4u);
  EXPECT_THAT(waits, ElementsAre(ms(1), ms(4), ms(16)));
}

TEST(TssCallTest, GivesUpAfterMaxAttemptsWithCappedBackoff) {
  int calls = 0;
  std::vector<ms> waits;
  Status s = CallWithRetry(
      "Esys_PCR_Read",
      [&] {
        ++calls;
        return kRetry;
      },
      RetryPolicy{}, [&](ms d) { waits.push_back(d); });
  EXPECT_THAT(s, StatusIs(Code::kUnavailable, HasSubstr("Esys_PCR_Read")));
  EXPECT_EQ(calls, 8);
  EXPECT_THAT(waits, ElementsAre(ms(1), ms(4), ms(16), ms(64), ms(200), ms(200), ms(200)));
}

TEST(TssCallTest, DoesNotRetryOtherErrors) {
  int calls = 0;
  Status s = CallWithRetry(
      "Esys_NV_Read",
      [&] {
        ++calls;
        return kHandle1;
      },
      RetryPolicy{}, [](ms) { ADD_FAILURE() << "slept"; });
  EXPECT_THAT(s, StatusIs(Code::kNotFound));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace vouch::tpm_device::internal
