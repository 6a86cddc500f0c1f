// The swtpm harness itself (tests/testing/swtpm.h): start, tools, reboot,
// stop, and isolation between instances.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <string>

#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"

namespace vouch::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The "  sha1:\n    5 : 0x..." line of tpm2_pcrread output for one PCR.
std::string PcrLine(const std::string& pcrread_output, int pcr) {
  std::string key =
      (pcr < 10 ? "    " + std::to_string(pcr) + " : " : "    " + std::to_string(pcr) + ": ");
  size_t at = pcrread_output.find(key);
  if (at == std::string::npos) return "";
  size_t end = pcrread_output.find('\n', at);
  return pcrread_output.substr(at + key.size(), end - at - key.size());
}

TEST(SwtpmInstanceTest, StartsAndAnswersTpm2Tools) {
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  RecordProperty("start_ms", static_cast<int>(ms.count()));
  EXPECT_THAT(tpm->Tcti(), HasSubstr("swtpm:host=127.0.0.1,port="));
  EXPECT_EQ(tpm->ctrl_port(), tpm->port() + 1);

  ASSERT_OK_AND_ASSIGN(ProcessResult r, tpm->RunTool({"tpm2_getrandom", "--hex", "8"}));
  EXPECT_EQ(r.stdout_text.size(), 16u) << r.stdout_text;
  ASSERT_OK_AND_ASSIGN(r, tpm->RunTool({"tpm2_getcap", "pcrs"}));
  EXPECT_THAT(r.stdout_text, HasSubstr("sha1"));
  EXPECT_THAT(r.stdout_text, HasSubstr("sha256"));
  ASSERT_OK_AND_ASSIGN(r, tpm->RunTool({"tpm2_getcap", "handles-persistent"}));
  EXPECT_THAT(r.stdout_text, HasSubstr("0x81010001"));
  EXPECT_THAT(r.stdout_text, HasSubstr("0x81010016"));
}

TEST(SwtpmInstanceTest, ExposesCaAndEkCertificateFiles) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  for (const auto& p : {tpm->RootCertPath(), tpm->IntermediateCertPath(), tpm->RsaEkCertPath(),
                        tpm->EcEkCertPath(), tpm->TrustDir() / tpm->RootCertPath().filename()}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(p)) << p;
  }
  // The trust directory holds only the root certificate (no private keys).
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(tpm->TrustDir())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(SwtpmInstanceTest, RebootResetsPcrsAndNeedsStartup) {
  ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
  const std::string digest(64, 'a');
  ASSERT_OK(tpm->RunTool({"tpm2_pcrextend", "5:sha256=" + digest}).status());
  ASSERT_OK_AND_ASSIGN(ProcessResult before, tpm->RunTool({"tpm2_pcrread", "sha256:5"}));
  EXPECT_THAT(PcrLine(before.stdout_text, 5), Not(HasSubstr("0x0000000000")));

  ASSERT_OK(tpm->Reboot());
  ASSERT_OK_AND_ASSIGN(ProcessResult unstarted,
                       tpm->RunToolAllowFailure({"tpm2_pcrread", "sha256:5"}));
  EXPECT_NE(unstarted.exit_code, 0);

  ASSERT_OK(tpm->StartupClear());
  ASSERT_OK(tpm->StartupClear());  // already started is fine
  ASSERT_OK_AND_ASSIGN(ProcessResult after, tpm->RunTool({"tpm2_pcrread", "sha256:5,17"}));
  EXPECT_EQ(PcrLine(after.stdout_text, 5), "0x" + std::string(64, '0'));
  EXPECT_EQ(PcrLine(after.stdout_text, 17), "0x" + std::string(64, 'F'));
}

TEST(SwtpmInstanceTest, InstancesAreIsolated) {
  ASSERT_OK_AND_ASSIGN(auto a, SwtpmInstance::Start());
  ASSERT_OK_AND_ASSIGN(auto b, SwtpmInstance::Start());
  EXPECT_NE(a->port(), b->port());
  EXPECT_NE(a->dir(), b->dir());
  ASSERT_OK(a->RunTool({"tpm2_pcrextend", "7:sha256=" + std::string(64, 'b')}).status());
  ASSERT_OK_AND_ASSIGN(ProcessResult rb, b->RunTool({"tpm2_pcrread", "sha256:7"}));
  EXPECT_EQ(PcrLine(rb.stdout_text, 7), "0x" + std::string(64, '0'));
}

TEST(SwtpmInstanceTest, FreshInstanceHasItsOwnCa) {
  ASSERT_OK_AND_ASSIGN(auto cached, SwtpmInstance::Start());
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(auto fresh, SwtpmInstance::Start({.fresh = true}));
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  RecordProperty("fresh_start_ms", static_cast<int>(ms.count()));
  ASSERT_OK_AND_ASSIGN(std::string root_a, ReadFileText(cached->RootCertPath()));
  ASSERT_OK_AND_ASSIGN(std::string root_b, ReadFileText(fresh->RootCertPath()));
  EXPECT_NE(root_a, root_b);
}

TEST(SwtpmInstanceTest, DestructorStopsDaemonAndRemovesDirectory) {
  std::filesystem::path dir;
  pid_t pid = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto tpm, SwtpmInstance::Start());
    dir = tpm->dir();
    std::ifstream in(tpm->StateDir() / "pid");
    long p = 0;
    ASSERT_TRUE(in >> p);
    pid = static_cast<pid_t>(p);
    EXPECT_EQ(kill(pid, 0), 0);
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  // Gone, or a zombie waiting for init to reap it.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (std::getline(stat, line)) EXPECT_THAT(line, HasSubstr(") Z"));
}

}  // namespace
}  // namespace vouch::testing
