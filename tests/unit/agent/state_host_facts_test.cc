// Tests of agent/host_facts.cc against scratch trees standing in for /.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "agent/host_facts.h"
#include "tests/testing/status_matchers.h"

namespace vouch::agent {
namespace {

namespace fs = std::filesystem;
using protocol::HypervisorKind;
using protocol::MeasuredLaunch;

class HostFactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "vouch-facts-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    root_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }
  protocol::HostFacts Facts(const AgentConfig& config = {}) {
    return SystemHostFacts(config, root_.string()).Facts();
  }
  fs::path root_;
};

TEST_F(HostFactsTest, AgentVersionIsTheProjectVersion) {
  EXPECT_EQ(AgentVersion(), VOUCH_PROJECT_VERSION);
  EXPECT_EQ(Facts().agent_version, VOUCH_PROJECT_VERSION);
}

TEST_F(HostFactsTest, XenHostFromProcAndSysfs) {
  Write("etc/machine-id", "0123456789ABCDEF0123456789abcdef\n");
  Write("proc/sys/kernel/hostname", "xen-host-1\n");
  fs::create_directories(root_ / "proc/xen");
  Write("dev/kvm", "");  // Xen wins when both are present (dom0 with nested KVM)
  Write("sys/hypervisor/version/major", "4\n");
  Write("sys/hypervisor/version/minor", "17\n");
  Write("sys/hypervisor/version/extra", ".2-pre\n");
  AgentConfig config;
  config.measured_launch = MeasuredLaunch::kTxt;
  config.labels = {{"rack", "r1"}};
  const protocol::HostFacts f = Facts(config);
  EXPECT_EQ(f.hostname, "xen-host-1");
  EXPECT_EQ(f.machine_id, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(f.hypervisor, HypervisorKind::kXen);
  EXPECT_EQ(f.hypervisor_version, "4.17.2-pre");
  EXPECT_EQ(f.measured_launch, MeasuredLaunch::kTxt);
  EXPECT_EQ(f.labels, config.labels);
}

TEST_F(HostFactsTest, XenWithoutSysfsVersionHasEmptyVersion) {
  fs::create_directories(root_ / "proc/xen");
  Write("sys/hypervisor/version/major", "4\n");
  const protocol::HostFacts f = Facts();
  EXPECT_EQ(f.hypervisor, HypervisorKind::kXen);
  EXPECT_EQ(f.hypervisor_version, "");
}

TEST_F(HostFactsTest, KvmHostReportsKernelRelease) {
  Write("dev/kvm", "");
  Write("proc/sys/kernel/osrelease", "6.1.0-27-amd64\n");
  const protocol::HostFacts f = Facts();
  EXPECT_EQ(f.hypervisor, HypervisorKind::kKvm);
  EXPECT_EQ(f.hypervisor_version, "6.1.0-27-amd64");
}

TEST_F(HostFactsTest, KvmFallsBackToUnameWithoutProcFile) {
  Write("dev/kvm", "");
  struct utsname uts {};
  ASSERT_EQ(::uname(&uts), 0);
  EXPECT_EQ(Facts().hypervisor_version, uts.release);
}

TEST_F(HostFactsTest, NothingDetectedIsNone) {
  const protocol::HostFacts f = Facts();
  EXPECT_EQ(f.hypervisor, HypervisorKind::kNone);
  EXPECT_EQ(f.hypervisor_version, "");
  EXPECT_EQ(f.machine_id, "");
  EXPECT_FALSE(f.hostname.empty());  // gethostname() fallback
  EXPECT_EQ(f.measured_launch, MeasuredLaunch::kUnknown);
}

TEST_F(HostFactsTest, ConfigOverridesDetection) {
  fs::create_directories(root_ / "proc/xen");
  Write("proc/sys/kernel/hostname", "detected\n");
  Write("proc/sys/kernel/osrelease", "6.1.0\n");
  AgentConfig config;
  config.hostname = "configured";
  config.hypervisor = HypervisorKind::kKvm;
  const protocol::HostFacts f = Facts(config);
  EXPECT_EQ(f.hostname, "configured");
  EXPECT_EQ(f.hypervisor, HypervisorKind::kKvm);
  EXPECT_EQ(f.hypervisor_version, "6.1.0");
  config.hypervisor = HypervisorKind::kNone;
  EXPECT_EQ(Facts(config).hypervisor, HypervisorKind::kNone);
  EXPECT_EQ(Facts(config).hypervisor_version, "");
}

TEST_F(HostFactsTest, MalformedMachineIdIsLeftOut) {
  for (const char* id : {"0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdeg",
                         "0123456789abcdef0123456789abcdef0", "uninitialized", ""}) {
    Write("etc/machine-id", std::string(id) + "\n");
    EXPECT_EQ(Facts().machine_id, "") << id;
  }
}

TEST_F(HostFactsTest, HostileFileContentsAreCleanedAndCut) {
  Write("proc/sys/kernel/hostname", "evil host\x1b[31m;" + std::string(300, 'a') + "\n");
  Write("dev/kvm", "");
  Write("proc/sys/kernel/osrelease", "6.1\x01\x7f" + std::string(300, 'v') + "\n");
  const protocol::HostFacts f = Facts();
  EXPECT_EQ(f.hostname.size(), 253u);
  EXPECT_EQ(f.hostname.find_first_not_of(
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._"),
            std::string::npos);
  EXPECT_EQ(f.hypervisor_version.size(), 128u);
  EXPECT_EQ(f.hypervisor_version.substr(0, 4), "6.1v");
}

TEST_F(HostFactsTest, FactsAreComputedOnce) {
  Write("proc/sys/kernel/hostname", "first\n");
  SystemHostFacts facts(AgentConfig{}, root_.string());
  Write("proc/sys/kernel/hostname", "second\n");
  EXPECT_EQ(facts.Facts().hostname, "first");
}

}  // namespace
}  // namespace vouch::agent
