// Quotes made by a real TPM 2.0 implementation (swtpm/libtpms, driven with
// tpm2-tools) verified in-process with tpm::VerifyQuote, cross-checked with
// tpm2_checkquote, and the vouch-policy quote verify command on the same files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/tpm/attest.h"
#include "core/tpm/public.h"
#include "core/tpm/quote.h"
#include "policy/cli/tpm2_tools_format.h"
#include "tests/integration/tpm2_tools_helpers.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"

namespace vouch::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kNonceHex[] = "5a17e0c3b2d94f6e8a0b1c2d3e4f5061";

std::vector<std::string> ErrorIds(const tpm::QuoteVerification& v) {
  std::vector<std::string> ids;
  for (const Finding& f : v.findings) {
    if (f.severity == Severity::kError) ids.push_back(f.id);
  }
  return ids;
}

std::string Ids(const tpm::QuoteVerification& v) {
  std::string s;
  for (const Finding& f : v.findings) s += f.id + " (" + f.message + "); ";
  return s;
}

// One swtpm with an RSA EK, and the files of one quote over all PCRs in both
// banks with some PCRs extended first.
class QuoteIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tpm_, SwtpmInstance::Start());
    ASSERT_OK(CreateRsaEk(*tpm_));
    ASSERT_OK(ExtendBothBanks(*tpm_, 0, 0x11));
    ASSERT_OK(ExtendBothBanks(*tpm_, 7, 0x77));
    ASSERT_OK(ExtendBothBanks(*tpm_, 7, 0x78));
    ASSERT_OK(ExtendBothBanks(*tpm_, 16, 0xaa));
  }

  // Makes an AK of `kind` and a quote with it over kNonceHex; loads the
  // evidence as VerifyQuote takes it.
  void MakeQuote(AkKind kind) {
    ASSERT_OK_AND_ASSIGN(ak_, CreateAk(*tpm_, "ak", kind));
    ASSERT_OK_AND_ASSIGN(quote_, Quote(*tpm_, ak_, kNonceHex, "quote"));
    ASSERT_OK_AND_ASSIGN(Bytes ak_pub, ReadWorkFile(*tpm_, ak_.pub));
    ASSERT_OK_AND_ASSIGN(ak_public_, tpm::TpmPublic::DecodeTpm2b(ak_pub));
    ASSERT_OK_AND_ASSIGN(evidence_.attest, ReadWorkFile(*tpm_, quote_.msg));
    ASSERT_OK_AND_ASSIGN(evidence_.signature, ReadWorkFile(*tpm_, quote_.sig));
    ASSERT_OK_AND_ASSIGN(Bytes pcr_file, ReadWorkFile(*tpm_, quote_.pcrs));
    ASSERT_OK_AND_ASSIGN(cli::Tpm2ToolsPcrs pcrs, cli::ParseTpm2ToolsSerializedPcrs(pcr_file));
    evidence_.pcrs = std::move(pcrs.values);
    ASSERT_OK_AND_ASSIGN(nonce_, HexDecode(kNonceHex));
  }

  Result<tpm::QuoteVerification> Verify(const tpm::QuoteEvidence& evidence) const {
    return tpm::VerifyQuote(*ak_public_, evidence, nonce_);
  }

  // Offset of clockInfo in TPMS_ATTEST (TPM 2.0 Part 2, section 10.12.12):
  // magic (4), type (2), qualifiedSigner (TPM2B_NAME), extraData (TPM2B_DATA).
  size_t ClockInfoOffset() const {
    const Bytes& a = evidence_.attest;
    size_t name_size = (size_t{a[6]} << 8) | a[7];
    size_t extra_at = 8 + name_size;
    size_t extra_size = (size_t{a[extra_at]} << 8) | a[extra_at + 1];
    return extra_at + 2 + extra_size;
  }

  std::unique_ptr<SwtpmInstance> tpm_;
  AkFiles ak_;
  QuoteFiles quote_;
  std::optional<tpm::TpmPublic> ak_public_;
  tpm::QuoteEvidence evidence_;
  Bytes nonce_;
};

TEST_F(QuoteIntegrationTest, RsaQuoteVerifiesAndCoversTpmPcrValues) {
  ASSERT_NO_FATAL_FAILURE(MakeQuote(AkKind::kRsa));
  EXPECT_TRUE(ak_public_->IsRestrictedSigningKey());
  ASSERT_OK_AND_ASSIGN(tpm::QuoteVerification v, Verify(evidence_));
  EXPECT_THAT(v.findings, IsEmpty()) << Ids(v);
  ASSERT_TRUE(v.verified.has_value());

  ASSERT_OK_AND_ASSIGN(tpm::PcrValues read, ReadPcrsWithTool(*tpm_, AllPcrsSelection()));
  EXPECT_EQ(v.verified->values(), read);
  EXPECT_EQ(read.banks().at(HashAlg::kSha1).size(), 24u);
  EXPECT_EQ(read.banks().at(HashAlg::kSha256).size(), 24u);
  EXPECT_NE(*v.verified->Get(HashAlg::kSha256, 7), Bytes(32, 0));
  ASSERT_TRUE(v.attest.has_value());
  EXPECT_EQ(v.attest->extra_data, nonce_);
}

TEST_F(QuoteIntegrationTest, EccP256QuoteVerifiesAndCoversTpmPcrValues) {
  ASSERT_NO_FATAL_FAILURE(MakeQuote(AkKind::kEcc));
  ASSERT_OK_AND_ASSIGN(tpm::QuoteVerification v, Verify(evidence_));
  EXPECT_THAT(v.findings, IsEmpty()) << Ids(v);
  ASSERT_TRUE(v.verified.has_value());
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues read, ReadPcrsWithTool(*tpm_, AllPcrsSelection()));
  EXPECT_EQ(v.verified->values(), read);
}

TEST_F(QuoteIntegrationTest, Tpm2CheckquoteAgreesWithVerifyQuote) {
  for (AkKind kind : {AkKind::kRsa, AkKind::kEcc}) {
    ASSERT_NO_FATAL_FAILURE(MakeQuote(kind));
    ASSERT_OK_AND_ASSIGN(tpm::QuoteVerification v, Verify(evidence_));
    EXPECT_TRUE(v.verified.has_value()) << Ids(v);
    std::vector<std::string> argv = {"tpm2_checkquote", "-u", ak_.pub,     "-m", quote_.msg, "-s",
                                     quote_.sig,        "-f", quote_.pcrs, "-g", "sha256",   "-q",
                                     kNonceHex};
    ASSERT_OK_AND_ASSIGN(ProcessResult accepted, tpm_->RunToolAllowFailure(argv));
    EXPECT_EQ(accepted.exit_code, 0) << accepted.Describe();
    // Both reject a different nonce.
    argv.back() = std::string(kNonceHex).replace(0, 2, "00");
    ASSERT_OK_AND_ASSIGN(ProcessResult rejected, tpm_->RunToolAllowFailure(argv));
    EXPECT_NE(rejected.exit_code, 0);
  }
}

TEST_F(QuoteIntegrationTest, ReportsNonceMismatchWhenNonceAltered) {
  ASSERT_NO_FATAL_FAILURE(MakeQuote(AkKind::kRsa));
  nonce_[0] ^= 0x01;
  ASSERT_OK_AND_ASSIGN(tpm::QuoteVerification v, Verify(evidence_));
  EXPECT_EQ(ErrorIds(v), std::vector<std::string>{"quote.nonce_mismatch"}) << Ids(v);
  EXPECT_FALSE(v.verified.has_value());
}

TEST_F(QuoteIntegrationTest, ReportsPcrDigestMismatchWhenPcrValueAltered) {
  ASSERT_NO_FATAL_FAILURE(MakeQuote(AkKind::kRsa));
  Bytes altered = *evidence_.pcrs.Get(HashAlg::kSha256, 7);
  altered[31] ^= 0x80;
  ASSERT_OK(evidence_.pcrs.Set(HashAlg::kSha256, 7, altered));
  ASSERT_OK_AND_ASSIGN(tpm::QuoteVerification v, Verify(evidence_));
  EXPECT_EQ(ErrorIds(v), std::vector<std::string>{"quote.pcr_digest_mismatch"}) << Ids(v);
  EXPECT_FALSE(v.verified.has_value());
}

TEST_F(QuoteIntegrationTest, ReportsSignatureInvalidWhenAttestByteFlipped) {
  for (AkKind kind : {AkKind::kRsa, AkKind::kEcc}) {
    ASSERT_NO_FATAL_FAILURE(MakeQuote(kind));
    // The low byte of clockInfo.clock: still decodes, nonce and PCRs intact.
    evidence_.attest[ClockInfoOffset() + 7] ^= 0x01;
    ASSERT_OK_AND_ASSIGN(tpm::QuoteVerification v, Verify(evidence_));
    EXPECT_EQ(ErrorIds(v), std::vector<std::string>{"quote.signature_invalid"}) << Ids(v);
    EXPECT_FALSE(v.verified.has_value());
  }
}

TEST_F(QuoteIntegrationTest, ReportsSignatureInvalidWhenSignatureByteFlipped) {
  for (AkKind kind : {AkKind::kRsa, AkKind::kEcc}) {
    ASSERT_NO_FATAL_FAILURE(MakeQuote(kind));
    evidence_.signature.back() ^= 0x01;  // last byte of the RSA signature or of ECDSA s
    ASSERT_OK_AND_ASSIGN(tpm::QuoteVerification v, Verify(evidence_));
    EXPECT_EQ(ErrorIds(v), std::vector<std::string>{"quote.signature_invalid"}) << Ids(v);
    EXPECT_FALSE(v.verified.has_value());
  }
}

TEST_F(QuoteIntegrationTest, ReportsSignatureInvalidWhenVerifiedWithAnotherAk) {
  ASSERT_NO_FATAL_FAILURE(MakeQuote(AkKind::kRsa));
  ASSERT_OK_AND_ASSIGN(AkFiles other, CreateAk(*tpm_, "ak2", AkKind::kRsa));
  ASSERT_OK_AND_ASSIGN(Bytes other_pub, ReadWorkFile(*tpm_, other.pub));
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic other_ak, tpm::TpmPublic::DecodeTpm2b(other_pub));
  ASSERT_NE(other_ak.name(), ak_public_->name());
  ASSERT_OK_AND_ASSIGN(tpm::QuoteVerification v, tpm::VerifyQuote(other_ak, evidence_, nonce_));
  EXPECT_THAT(ErrorIds(v), Contains("quote.signature_invalid")) << Ids(v);
  EXPECT_FALSE(v.verified.has_value());
}

TEST_F(QuoteIntegrationTest, ClockInfoShowsRebootAfterTpmReset) {
  ASSERT_NO_FATAL_FAILURE(MakeQuote(AkKind::kRsa));
  ASSERT_OK_AND_ASSIGN(tpm::QuoteVerification before, Verify(evidence_));
  ASSERT_TRUE(before.verified.has_value()) << Ids(before);

  ASSERT_OK(tpm_->Reboot());
  ASSERT_OK(tpm_->RunTool({"tpm2_startup", "-c"}).status());
  // Saved contexts do not survive a TPM reset: recreate EK and AK.
  ASSERT_OK(CreateRsaEk(*tpm_));
  ASSERT_NO_FATAL_FAILURE(MakeQuote(AkKind::kRsa));
  ASSERT_OK_AND_ASSIGN(tpm::QuoteVerification after, Verify(evidence_));
  ASSERT_TRUE(after.verified.has_value()) << Ids(after);
  EXPECT_EQ(after.attest->clock_info.reset_count, before.attest->clock_info.reset_count + 1);
  // PCR 7 is back to zero, 17 to all ones.
  EXPECT_EQ(*after.verified->Get(HashAlg::kSha256, 7), Bytes(32, 0));
  EXPECT_EQ(*after.verified->Get(HashAlg::kSha256, 17), Bytes(32, 0xff));
}

// The tpm2-tools PCR file reader against real tpm2_quote output.
TEST_F(QuoteIntegrationTest, Tpm2ToolsValuesFormatMatchesSerializedFormat) {
  ASSERT_NO_FATAL_FAILURE(MakeQuote(AkKind::kRsa));
  const std::string selection = "sha1:0,7,16+sha256:7,23";
  ASSERT_OK(tpm_->RunTool({"tpm2_quote", "-c", ak_.ctx, "-l", selection, "-q", kNonceHex, "-m",
                           "v.msg", "-s", "v.sig", "-o", "v.values", "-F", "values"})
                .status());
  ASSERT_OK(tpm_->RunTool({"tpm2_quote", "-c", ak_.ctx, "-l", selection, "-q", kNonceHex, "-m",
                           "s.msg", "-s", "s.sig", "-o", "s.pcrs", "-F", "serialized"})
                .status());
  ASSERT_OK_AND_ASSIGN(Bytes serialized_file, ReadWorkFile(*tpm_, "s.pcrs"));
  ASSERT_OK_AND_ASSIGN(cli::Tpm2ToolsPcrs serialized,
                       cli::ParseTpm2ToolsSerializedPcrs(serialized_file));
  std::vector<tpm::PcrSelection> expected = {{HashAlg::kSha1, {0, 7, 16}},
                                             {HashAlg::kSha256, {7, 23}}};
  EXPECT_EQ(serialized.selection, expected);

  ASSERT_OK_AND_ASSIGN(Bytes values_file, ReadWorkFile(*tpm_, "v.values"));
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues values,
                       cli::ParseTpm2ToolsPcrValues(values_file, serialized.selection));
  EXPECT_EQ(values, serialized.values);
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues read, ReadPcrsWithTool(*tpm_, selection));
  EXPECT_EQ(values, read);

  Bytes truncated(serialized_file.begin(), serialized_file.end() - 1);
  EXPECT_THAT(cli::ParseTpm2ToolsSerializedPcrs(truncated), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(cli::ParseTpm2ToolsPcrValues(values_file, {{HashAlg::kSha1, {0}}}),
              StatusIs(Code::kInvalidArgument));
}

// vouch-policy quote verify on the same files: exit codes and output.
class QuoteCliIntegrationTest : public QuoteIntegrationTest {
 protected:
  Result<ProcessResult> RunCli(std::vector<std::string> extra) {
    std::vector<std::string> argv = {VOUCH_POLICY_BIN, "quote",    "verify",   "--ak",
                                     ak_.pub,          "--attest", quote_.msg, "--signature",
                                     quote_.sig,       "--pcrs",   quote_.pcrs};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ProcessOptions options;
    options.cwd = tpm_->WorkDir();
    return RunProcess(argv, options);
  }
};

TEST_F(QuoteCliIntegrationTest, PrintsOkAndExitsZeroForValidQuote) {
  ASSERT_NO_FATAL_FAILURE(MakeQuote(AkKind::kRsa));
  ASSERT_OK_AND_ASSIGN(ProcessResult r, RunCli({"--nonce", kNonceHex}));
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(r.stdout_text, HasSubstr("quote OK: 48 PCRs in banks sha1,sha256; resetCount "));
}

TEST_F(QuoteCliIntegrationTest, PrintsFindingAndExitsOneForWrongNonce) {
  ASSERT_NO_FATAL_FAILURE(MakeQuote(AkKind::kEcc));
  ASSERT_OK_AND_ASSIGN(ProcessResult r, RunCli({"--nonce", "00112233"}));
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_THAT(r.stdout_text, HasSubstr("quote.nonce_mismatch"));
  ASSERT_OK_AND_ASSIGN(r, RunCli({"--nonce", "00112233", "--json"}));
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_THAT(r.stdout_text, HasSubstr("\"id\": \"quote.nonce_mismatch\""));
}

TEST_F(QuoteCliIntegrationTest, AcceptsValuesFormatWithSelectionFromQuote) {
  ASSERT_NO_FATAL_FAILURE(MakeQuote(AkKind::kRsa));
  ASSERT_OK(tpm_->RunTool({"tpm2_quote", "-c", ak_.ctx, "-l", "sha256:0,7", "-q", kNonceHex, "-m",
                           quote_.msg, "-s", quote_.sig, "-o", quote_.pcrs, "-F", "values"})
                .status());
  ASSERT_OK_AND_ASSIGN(ProcessResult r, RunCli({"--nonce", kNonceHex, "--pcrs-format", "values"}));
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(r.stdout_text, HasSubstr("quote OK: 2 PCRs in banks sha256"));
}

TEST_F(QuoteCliIntegrationTest, ExitsThreeForUnreadableInput) {
  ASSERT_NO_FATAL_FAILURE(MakeQuote(AkKind::kRsa));
  quote_.pcrs = "missing.pcrs";
  ASSERT_OK_AND_ASSIGN(ProcessResult r, RunCli({"--nonce", kNonceHex}));
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
  quote_.pcrs = ak_.pub;  // not a PCR file
  ASSERT_OK_AND_ASSIGN(r, RunCli({"--nonce", kNonceHex}));
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
}

}  // namespace
}  // namespace vouch::testing
