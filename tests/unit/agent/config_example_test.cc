// The example configuration shipped with the agent parses, and states the
// defaults (so the file and config.h cannot drift apart).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "agent/config.h"
#include "tests/testing/status_matchers.h"

namespace vouch::agent {
namespace {

TEST(ConfigExampleTest, ExampleFileParsesToTheDefaults) {
  std::ifstream in(VOUCH_AGENT_CONF_EXAMPLE);
  ASSERT_TRUE(in) << VOUCH_AGENT_CONF_EXAMPLE;
  std::stringstream ss;
  ss << in.rdbuf();
  ASSERT_OK_AND_ASSIGN(AgentConfig parsed, ParseAgentConfig(ss.str()));
  AgentConfig defaults;
  EXPECT_EQ(parsed.tcti, defaults.tcti);
  EXPECT_EQ(parsed.ek_kind, defaults.ek_kind);
  EXPECT_EQ(parsed.ak_kind, defaults.ak_kind);
  EXPECT_EQ(parsed.ak_storage, defaults.ak_storage);
  EXPECT_EQ(parsed.ak_persistent_handle, defaults.ak_persistent_handle);
  EXPECT_EQ(parsed.state_dir, defaults.state_dir);
  EXPECT_EQ(parsed.srtm_log_path, defaults.srtm_log_path);
  EXPECT_EQ(parsed.drtm_log_path, defaults.drtm_log_path);
  EXPECT_EQ(parsed.vm_log_path, defaults.vm_log_path);
  EXPECT_EQ(parsed.hypervisor, defaults.hypervisor);
  EXPECT_EQ(parsed.measured_launch, defaults.measured_launch);
  EXPECT_EQ(parsed.listen_address, defaults.listen_address);
  EXPECT_EQ(parsed.listen_port, defaults.listen_port);
  EXPECT_EQ(parsed.max_request_bytes, defaults.max_request_bytes);
  EXPECT_EQ(parsed.rate_limit_per_second, defaults.rate_limit_per_second);
  EXPECT_EQ(parsed.rate_limit_burst, defaults.rate_limit_burst);
  EXPECT_EQ(parsed.push_interval, defaults.push_interval);
  EXPECT_EQ(parsed.pcr_poll_interval, defaults.pcr_poll_interval);
  EXPECT_EQ(parsed.max_backoff, defaults.max_backoff);
  EXPECT_EQ(parsed.log_level, defaults.log_level);
  EXPECT_TRUE(parsed.labels.empty());
}

}  // namespace
}  // namespace vouch::agent
