// ReferenceSet lookups and the names of kinds, verdicts and trust values.
#include <gtest/gtest.h>

#include <string>

#include "verifier/core/appraisal.h"

namespace vouch::verifier {
namespace {

ReferenceValue Value(ReferenceKind kind, std::string name, Bytes sha256) {
  ReferenceValue v;
  v.kind = kind;
  v.name = std::move(name);
  v.digests[HashAlg::kSha256] = std::move(sha256);
  return v;
}

TEST(ReferenceSetTest, FindsEntriesByDigestInTheirBank) {
  ReferenceSet set;
  set.Add(Value(ReferenceKind::kPlatform, "bios", Bytes(32, 1)));
  set.Add(Value(ReferenceKind::kHypervisor, "xen", Bytes(32, 2)));
  ASSERT_NE(set.Find(HashAlg::kSha256, Bytes(32, 2)), nullptr);
  EXPECT_EQ(set.Find(HashAlg::kSha256, Bytes(32, 2))->name, "xen");
  EXPECT_EQ(set.Find(HashAlg::kSha1, Bytes(32, 2)), nullptr);
  EXPECT_EQ(set.Find(HashAlg::kSha256, Bytes(32, 3)), nullptr);
  EXPECT_TRUE(set.HasKind(ReferenceKind::kPlatform));
  EXPECT_FALSE(set.HasKind(ReferenceKind::kKernel));
  EXPECT_EQ(set.size(), 2u);
}

TEST(ReferenceSetTest, FirstEntryWithADigestWins) {
  ReferenceSet set;
  set.Add(Value(ReferenceKind::kKernel, "first", Bytes(32, 7)));
  set.Add(Value(ReferenceKind::kPlatform, "second", Bytes(32, 7)));
  EXPECT_EQ(set.Find(HashAlg::kSha256, Bytes(32, 7))->name, "first");
}

TEST(ReferenceKindTest, NamesRoundTrip) {
  for (ReferenceKind k :
       {ReferenceKind::kPlatform, ReferenceKind::kSinit, ReferenceKind::kTboot,
        ReferenceKind::kTbootPolicy, ReferenceKind::kHypervisor, ReferenceKind::kKernel,
        ReferenceKind::kInitrd, ReferenceKind::kVmImage, ReferenceKind::kVmKernel,
        ReferenceKind::kVmFirmware, ReferenceKind::kVmConfig}) {
    EXPECT_EQ(ParseReferenceKind(ReferenceKindName(k)), k) << ReferenceKindName(k);
  }
  EXPECT_EQ(ReferenceKindName(ReferenceKind::kTbootPolicy), "tboot-policy");
  EXPECT_EQ(ReferenceKindName(ReferenceKind::kVmImage), "vm-image");
  EXPECT_EQ(ParseReferenceKind("Platform"), std::nullopt);
  EXPECT_EQ(ParseReferenceKind(""), std::nullopt);
}

TEST(VerdictNameTest, StableNames) {
  EXPECT_EQ(VerdictName(Verdict::kTrusted), "trusted");
  EXPECT_EQ(VerdictName(Verdict::kUntrusted), "untrusted");
  EXPECT_EQ(VerdictName(Verdict::kUnknown), "unknown");
  EXPECT_EQ(TrustName(Trust::kTrusted), "trusted");
  EXPECT_EQ(TrustName(Trust::kUntrusted), "untrusted");
  EXPECT_EQ(TrustName(Trust::kUnknown), "unknown");
}

}  // namespace
}  // namespace vouch::verifier
