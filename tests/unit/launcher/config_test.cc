// launcher.conf: the example file states the defaults, every key is checked
// like the agent's, and errors name the line and key.
#include "launcher/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/testing/status_matchers.h"

namespace vouch::launcher {
namespace {

TEST(LauncherConfigTest, ExampleFileParsesToTheDefaults) {
  std::ifstream in(VOUCH_LAUNCHER_CONF_EXAMPLE);
  ASSERT_TRUE(in) << VOUCH_LAUNCHER_CONF_EXAMPLE;
  std::stringstream ss;
  ss << in.rdbuf();
  ASSERT_OK_AND_ASSIGN(LauncherConfig parsed, ParseLauncherConfig(ss.str()));
  const LauncherConfig defaults;
  EXPECT_EQ(parsed.tcti, defaults.tcti);
  EXPECT_EQ(parsed.state_dir, defaults.state_dir);
  EXPECT_EQ(parsed.vm_pcr, defaults.vm_pcr);
  EXPECT_EQ(parsed.verifier_url, defaults.verifier_url);
  EXPECT_EQ(parsed.verifier_ca, defaults.verifier_ca);
  EXPECT_EQ(parsed.token_file, defaults.token_file);
  EXPECT_EQ(parsed.host_id, defaults.host_id);
  EXPECT_EQ(parsed.agent_state_dir, defaults.agent_state_dir);
  EXPECT_EQ(parsed.gate_mode, defaults.gate_mode);
  EXPECT_EQ(parsed.gate_fail_open, defaults.gate_fail_open);
  EXPECT_EQ(parsed.gate_timeout, defaults.gate_timeout);
  EXPECT_EQ(parsed.log_level, defaults.log_level);
  // Every key appears in the example (commented or not).
  for (std::string_view key : LauncherConfigKeys()) {
    EXPECT_NE(ss.str().find(std::string(key) + " ="), std::string::npos) << key;
  }
}

TEST(LauncherConfigTest, ValuesAreApplied) {
  ASSERT_OK_AND_ASSIGN(LauncherConfig c,
                       ParseLauncherConfig("tcti = swtpm:host=127.0.0.1,port=2321\n"
                                           "state_dir = /tmp/vouch\n"
                                           "vm_pcr = 14\n"
                                           "verifier_url = http://127.0.0.1:8443\n"
                                           "token_file = /etc/vouch/launcher.token\n"
                                           "host_id = h-1_a\n"
                                           "gate_mode = audit\n"
                                           "gate_fail_open = yes\n"
                                           "gate_timeout = 30\n"
                                           "log_level = debug\n"));
  EXPECT_EQ(c.tcti, "swtpm:host=127.0.0.1,port=2321");
  EXPECT_EQ(c.VmLogPath(), "/tmp/vouch/vm.log");
  EXPECT_EQ(c.DrtmLogPath(), "/tmp/vouch/drtm.log");
  EXPECT_EQ(c.vm_pcr, 14u);
  EXPECT_EQ(c.host_id, "h-1_a");
  EXPECT_EQ(c.gate_mode, GateMode::kAudit);
  EXPECT_TRUE(c.gate_fail_open);
  EXPECT_EQ(c.gate_timeout, std::chrono::seconds(30));
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
  EXPECT_EQ(GateModeName(c.gate_mode), "audit");
}

TEST(LauncherConfigTest, BadValuesNameLineAndKey) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"vm_pcr = 16\n", "line 1: vm_pcr: VM PCR 16 refused"},
           Case{"vm_pcr = 23\n", "vm_pcr: VM PCR 23 refused"},
           Case{"vm_pcr = 7\n", "vm_pcr: VM PCR 7 refused"},
           Case{"vm_pcr = 24\n", "vm_pcr"},
           Case{"state_dir = relative\n", "state_dir"},
           Case{"gate_mode = maybe\n", "gate_mode: expected enforce or audit"},
           Case{"gate_fail_open = 2\n", "gate_fail_open: expected yes or no"},
           Case{"gate_timeout = 0\n", "gate_timeout"},
           Case{"host_id = a b\n", "host_id"},
           Case{"verifier_url = ftp://x\n", "verifier_url"},
           Case{"tcti =\n", "tcti: must not be empty"},
           Case{"colour = blue\n", "line 1: colour: unknown key"},
           Case{"\n\nvm_pcr = 15\nvm_pcr = 14\n", "line 4: vm_pcr: set again"},
       }) {
    auto parsed = ParseLauncherConfig(c.text);
    ASSERT_FALSE(parsed.has_value()) << c.text;
    EXPECT_NE(parsed.error().message().find(c.message), std::string::npos)
        << c.text << " -> " << parsed.error().message();
  }
}

TEST(LauncherConfigTest, OverridesUseTheFileChecks) {
  LauncherConfig c;
  EXPECT_OK(SetLauncherConfigValue(c, "state_dir", " /srv/vouch "));
  EXPECT_EQ(c.state_dir, "/srv/vouch");
  EXPECT_FALSE(SetLauncherConfigValue(c, "vm_pcr", "16").ok());
  EXPECT_EQ(c.vm_pcr, 15u);
}

}  // namespace
}  // namespace vouch::launcher
