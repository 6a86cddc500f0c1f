// Tests of agent/config.cc: every key, its default, its accepted values and
// its errors; file syntax; cross-field serve rules; docs/agent.md in sync.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "agent/config.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"

namespace vouch::agent {
namespace {

using ::testing::HasSubstr;
using tpm_device::AkKind;
using tpm_device::EkKind;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

Result<AgentConfig> Parse(const std::string& text) { return ParseAgentConfig(text); }

// Parses "key = value" alone and expects InvalidArgument on line 1 naming the
// key and containing `detail`.
void ExpectBad(const std::string& key, const std::string& value, const std::string& detail) {
  EXPECT_THAT(Parse(key + " = " + value),
              StatusIs(Code::kInvalidArgument, HasSubstr("line 1: " + key + ": " + detail)))
      << key << " = " << value;
}

TEST(AgentConfigTest, EmptyTextGivesDefaults) {
  ASSERT_OK_AND_ASSIGN(AgentConfig c, Parse(""));
  EXPECT_EQ(c.tcti, "device:/dev/tpmrm0");
  EXPECT_EQ(c.ek_kind, EkKind::kRsa);
  EXPECT_EQ(c.ak_kind, AkKind::kRsa2048);
  EXPECT_EQ(c.ak_storage, AkStorage::kStateFile);
  EXPECT_EQ(c.ak_persistent_handle, 0x81010020u);
  EXPECT_EQ(c.state_dir, "/var/lib/vouch-agent");
  EXPECT_EQ(c.srtm_log_path, "/sys/kernel/security/tpm0/binary_bios_measurements");
  EXPECT_EQ(c.drtm_log_path, "/var/lib/vouch/drtm.log");
  EXPECT_EQ(c.vm_log_path, "/var/lib/vouch/vm.log");
  EXPECT_EQ(c.hostname, "");
  EXPECT_EQ(c.hypervisor, std::nullopt);
  EXPECT_EQ(c.measured_launch, protocol::MeasuredLaunch::kUnknown);
  EXPECT_TRUE(c.labels.empty());
  EXPECT_EQ(c.listen_address, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 9443);
  EXPECT_EQ(c.tls_certificate, "");
  EXPECT_EQ(c.tls_private_key, "");
  EXPECT_EQ(c.tls_client_ca, "");
  EXPECT_EQ(c.max_request_bytes, 4096u);
  EXPECT_EQ(c.rate_limit_per_second, 5);
  EXPECT_EQ(c.rate_limit_burst, 10u);
  EXPECT_EQ(c.verifier_url, "");
  EXPECT_EQ(c.verifier_ca, "");
  EXPECT_EQ(c.client_certificate, "");
  EXPECT_EQ(c.client_private_key, "");
  EXPECT_EQ(c.push_interval, std::chrono::seconds(300));
  EXPECT_EQ(c.pcr_poll_interval, std::chrono::milliseconds(2000));
  EXPECT_EQ(c.max_backoff, std::chrono::seconds(300));
  EXPECT_EQ(c.log_level, LogLevel::kInfo);
}

TEST(AgentConfigTest, ParsesEveryKey) {
  const std::string text = R"(# a full configuration
tcti = swtpm:host=127.0.0.1,port=2321
ek_type = ecc
ak_type = ecc
ak_storage = persistent
ak_handle = 0x81000123

state_dir = /srv/vouch/state
srtm_log = /tmp/srtm.bin
drtm_log =
vm_log = /tmp/vm.log
hostname = host-7.example.org
hypervisor = xen
measured_launch = txt
label.rack = r12
label.region/zone = eu-west.1
listen_address = ::1
listen_port = 1
tls_certificate = /etc/vouch/agent.crt
tls_private_key = /etc/vouch/agent.key
tls_client_ca = /etc/vouch/clients.pem
max_request_bytes = 65536
rate_limit = 0.5
rate_burst = 3
verifier_url = https://verifier.example:8443
verifier_ca = /etc/vouch/verifier-ca.pem
client_certificate = /etc/vouch/client.crt
client_private_key = /etc/vouch/client.key
push_interval = 60
pcr_poll_interval_ms = 500
max_backoff = 900
log_level = debug
)";
  ASSERT_OK_AND_ASSIGN(AgentConfig c, Parse(text));
  EXPECT_EQ(c.tcti, "swtpm:host=127.0.0.1,port=2321");
  EXPECT_EQ(c.ek_kind, EkKind::kEcc);
  EXPECT_EQ(c.ak_kind, AkKind::kEccP256);
  EXPECT_EQ(c.ak_storage, AkStorage::kPersistentHandle);
  EXPECT_EQ(c.ak_persistent_handle, 0x81000123u);
  EXPECT_EQ(c.state_dir, "/srv/vouch/state");
  EXPECT_EQ(c.srtm_log_path, "/tmp/srtm.bin");
  EXPECT_EQ(c.drtm_log_path, "");
  EXPECT_EQ(c.vm_log_path, "/tmp/vm.log");
  EXPECT_EQ(c.hostname, "host-7.example.org");
  EXPECT_EQ(c.hypervisor, protocol::HypervisorKind::kXen);
  EXPECT_EQ(c.measured_launch, protocol::MeasuredLaunch::kTxt);
  EXPECT_EQ(c.labels,
            (std::map<std::string, std::string>{{"rack", "r12"}, {"region/zone", "eu-west.1"}}));
  EXPECT_EQ(c.listen_address, "::1");
  EXPECT_EQ(c.listen_port, 1);
  EXPECT_EQ(c.tls_certificate, "/etc/vouch/agent.crt");
  EXPECT_EQ(c.tls_private_key, "/etc/vouch/agent.key");
  EXPECT_EQ(c.tls_client_ca, "/etc/vouch/clients.pem");
  EXPECT_EQ(c.max_request_bytes, 65536u);
  EXPECT_EQ(c.rate_limit_per_second, 0.5);
  EXPECT_EQ(c.rate_limit_burst, 3u);
  EXPECT_EQ(c.verifier_url, "https://verifier.example:8443");
  EXPECT_EQ(c.verifier_ca, "/etc/vouch/verifier-ca.pem");
  EXPECT_EQ(c.client_certificate, "/etc/vouch/client.crt");
  EXPECT_EQ(c.client_private_key, "/etc/vouch/client.key");
  EXPECT_EQ(c.push_interval, std::chrono::seconds(60));
  EXPECT_EQ(c.pcr_poll_interval, std::chrono::milliseconds(500));
  EXPECT_EQ(c.max_backoff, std::chrono::seconds(900));
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
}

TEST(AgentConfigTest, AcceptsEveryChoiceOfEnumKeys) {
  struct Case {
    std::string line;
    std::function<bool(const AgentConfig&)> check;
  };
  const std::vector<Case> cases = {
      {"ek_type = rsa", [](const AgentConfig& c) { return c.ek_kind == EkKind::kRsa; }},
      {"ak_type = rsa", [](const AgentConfig& c) { return c.ak_kind == AkKind::kRsa2048; }},
      {"ak_storage = file",
       [](const AgentConfig& c) { return c.ak_storage == AkStorage::kStateFile; }},
      {"hypervisor = auto", [](const AgentConfig& c) { return !c.hypervisor.has_value(); }},
      {"hypervisor = kvm",
       [](const AgentConfig& c) { return c.hypervisor == protocol::HypervisorKind::kKvm; }},
      {"hypervisor = none",
       [](const AgentConfig& c) { return c.hypervisor == protocol::HypervisorKind::kNone; }},
      {"measured_launch = emulated",
       [](const AgentConfig& c) {
         return c.measured_launch == protocol::MeasuredLaunch::kEmulated;
       }},
      {"measured_launch = none",
       [](const AgentConfig& c) { return c.measured_launch == protocol::MeasuredLaunch::kNone; }},
      {"measured_launch = unknown",
       [](const AgentConfig& c) {
         return c.measured_launch == protocol::MeasuredLaunch::kUnknown;
       }},
      {"log_level = info", [](const AgentConfig& c) { return c.log_level == LogLevel::kInfo; }},
      {"log_level = warning",
       [](const AgentConfig& c) { return c.log_level == LogLevel::kWarning; }},
      {"log_level = warn", [](const AgentConfig& c) { return c.log_level == LogLevel::kWarning; }},
      {"log_level = error", [](const AgentConfig& c) { return c.log_level == LogLevel::kError; }},
      {"ak_handle = 81ffffff",
       [](const AgentConfig& c) { return c.ak_persistent_handle == 0x81ffffffu; }},
      {"ak_handle = 0X81000000",
       [](const AgentConfig& c) { return c.ak_persistent_handle == 0x81000000u; }},
      {"listen_address = 0.0.0.0",
       [](const AgentConfig& c) { return c.listen_address == "0.0.0.0"; }},
      {"listen_port = 65535", [](const AgentConfig& c) { return c.listen_port == 65535; }},
      {"rate_limit = 10000", [](const AgentConfig& c) { return c.rate_limit_per_second == 10000; }},
      {"verifier_url = http://127.0.0.1:8080",
       [](const AgentConfig& c) { return c.verifier_url == "http://127.0.0.1:8080"; }},
      {"hostname =", [](const AgentConfig& c) { return c.hostname.empty(); }},
      {"srtm_log =", [](const AgentConfig& c) { return c.srtm_log_path.empty(); }},
      {"vm_log =", [](const AgentConfig& c) { return c.vm_log_path.empty(); }},
      {"label.a = ", [](const AgentConfig& c) { return c.labels.at("a").empty(); }},
  };
  for (const Case& c : cases) {
    Result<AgentConfig> config = Parse(c.line);
    ASSERT_THAT(config, IsOk()) << c.line;
    EXPECT_TRUE(c.check(*config)) << c.line;
  }
}

TEST(AgentConfigTest, RejectsBadValuesNamingLineAndKey) {
  ExpectBad("tcti", "", "value must not be empty");
  ExpectBad("ek_type", "dsa", "expected rsa or ecc, got 'dsa'");
  ExpectBad("ak_type", "RSA", "expected rsa or ecc, got 'RSA'");
  ExpectBad("ak_storage", "nv", "expected file or persistent, got 'nv'");
  for (const char* handle :
       {"0x80ffffff", "0x82000000", "0x1", "", "0x", "0x8100000g", "0x810000001", "-0x81000000"}) {
    ExpectBad("ak_handle", handle, "expected a persistent handle 0x81000000-0x81ffffff");
  }
  ExpectBad("state_dir", "", "expected an absolute path");
  ExpectBad("state_dir", "var/lib/vouch", "expected an absolute path, got 'var/lib/vouch'");
  ExpectBad("srtm_log", "log.bin", "expected an absolute path");
  ExpectBad("drtm_log", "./drtm", "expected an absolute path");
  ExpectBad("vm_log", "vm.log", "expected an absolute path");
  ExpectBad("hostname", "bad host", "expected letters, digits");
  ExpectBad("hostname", std::string(254, 'a'), "longer than 253");
  ExpectBad("hypervisor", "vmware", "expected auto, xen, kvm or none, got 'vmware'");
  ExpectBad("measured_launch", "skinit", "expected txt, emulated, none or unknown");
  ExpectBad("listen_address", "localhost", "expected an IPv4 or IPv6 address");
  ExpectBad("listen_address", "", "expected an IPv4 or IPv6 address");
  for (const char* port : {"0", "65536", "-1", "80x", " ", "9443.0"}) {
    ExpectBad("listen_port", port, "expected an integer 1-65535");
  }
  ExpectBad("tls_certificate", "agent.crt", "expected an absolute path");
  ExpectBad("tls_private_key", "agent.key", "expected an absolute path");
  ExpectBad("tls_client_ca", "ca.pem", "expected an absolute path");
  ExpectBad("max_request_bytes", "255", "expected an integer 256-1048576");
  ExpectBad("max_request_bytes", "1048577", "expected an integer 256-1048576");
  for (const char* rate : {"0", "-1", "10001", "nan", "inf", "1e3", "abc", ""}) {
    ExpectBad("rate_limit", rate, "expected a number > 0 and <= 10000");
  }
  ExpectBad("rate_burst", "0", "expected an integer 1-10000");
  ExpectBad("rate_burst", "10001", "expected an integer 1-10000");
  ExpectBad("verifier_url", "ftp://verifier", "expected an http:// or https:// URL");
  ExpectBad("verifier_url", "https://", "expected an http:// or https:// URL");
  ExpectBad("verifier_ca", "ca.pem", "expected an absolute path");
  ExpectBad("client_certificate", "c.crt", "expected an absolute path");
  ExpectBad("client_private_key", "c.key", "expected an absolute path");
  ExpectBad("push_interval", "9", "expected an integer 10-86400");
  ExpectBad("push_interval", "86401", "expected an integer 10-86400");
  ExpectBad("pcr_poll_interval_ms", "99", "expected an integer 100-3600000");
  ExpectBad("pcr_poll_interval_ms", "3600001", "expected an integer 100-3600000");
  ExpectBad("max_backoff", "0", "expected an integer 1-86400");
  ExpectBad("max_backoff", "86401", "expected an integer 1-86400");
  ExpectBad("log_level", "trace", "expected debug, info, warning or error, got 'trace'");
}

TEST(AgentConfigTest, RejectsBadLabels) {
  for (const char* name : {"Rack", "-rack", ".rack", "rack key", "ra+ck", ""}) {
    ExpectBad(std::string("label.") + name, "x",
              "label name must match ^[a-z0-9][a-z0-9._/-]{0,62}$");
  }
  ExpectBad("label." + std::string(64, 'a'), "x", "label name must match");
  EXPECT_THAT(Parse("label." + std::string(63, 'a') + " = x"), IsOk());
  ExpectBad("label.rack", std::string(257, 'v'), "value longer than 256");
  EXPECT_THAT(Parse("label.rack = " + std::string(256, 'v')), IsOk());

  std::string text;
  for (int i = 0; i < 64; ++i) text += "label.l" + std::to_string(i) + " = v\n";
  ASSERT_OK_AND_ASSIGN(AgentConfig c, Parse(text));
  EXPECT_EQ(c.labels.size(), 64u);
  EXPECT_THAT(
      Parse(text + "label.one-more = v\n"),
      StatusIs(Code::kInvalidArgument, HasSubstr("line 65: label.one-more: more than 64 labels")));
}

TEST(AgentConfigTest, FileSyntax) {
  // Comments, blank lines, spaces and tabs around keys and values, CRLF.
  ASSERT_OK_AND_ASSIGN(AgentConfig c,
                       Parse("\n# comment\n   # indented comment\n\t ak_type\t=  ecc  \r\n"
                             "hostname=h1\n"
                             "tcti = swtpm:host=127.0.0.1,port=1 # not a comment\n"));
  EXPECT_EQ(c.ak_kind, AkKind::kEccP256);
  EXPECT_EQ(c.hostname, "h1");
  // '#' only starts a comment at the start of a line; values are verbatim.
  EXPECT_EQ(c.tcti, "swtpm:host=127.0.0.1,port=1 # not a comment");

  EXPECT_THAT(Parse("ak_type = rsa\nnonsense\n"),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("line 2: expected 'key = value', got 'nonsense'")));
  EXPECT_THAT(Parse(" = rsa"), StatusIs(Code::kInvalidArgument, HasSubstr("line 1: missing key")));
  EXPECT_THAT(Parse("\n\nak_tpye = rsa"),
              StatusIs(Code::kInvalidArgument, HasSubstr("line 3: ak_tpye: unknown key")));
  EXPECT_THAT(
      Parse("ak_type = rsa\n# c\nak_type = ecc\n"),
      StatusIs(Code::kInvalidArgument, HasSubstr("line 3: ak_type: set again (first on line 1)")));
  EXPECT_THAT(Parse("label.a = 1\nlabel.a = 2\n"),
              StatusIs(Code::kInvalidArgument, HasSubstr("line 2: label.a: set again")));
  EXPECT_THAT(Parse(std::string("hostname = a\x01") + "b"),
              StatusIs(Code::kInvalidArgument, HasSubstr("line 1: hostname")));
  EXPECT_THAT(Parse(std::string("tcti = a\x1b[0m")),
              StatusIs(Code::kInvalidArgument, HasSubstr("control character")));
}

TEST(AgentConfigTest, LongBadValueIsCutInMessage) {
  Result<AgentConfig> r = Parse("ak_type = " + std::string(1000, 'x'));
  ASSERT_THAT(r, StatusIs(Code::kInvalidArgument));
  EXPECT_LT(r.error().message().size(), 200u);
}

TEST(AgentConfigTest, SetAgentConfigValueAppliesOverridesWithSameChecks) {
  AgentConfig c;
  ASSERT_OK(SetAgentConfigValue(c, "state_dir", " /tmp/x "));
  EXPECT_EQ(c.state_dir, "/tmp/x");
  ASSERT_OK(SetAgentConfigValue(c, "label.rack", "r1"));
  EXPECT_EQ(c.labels.at("rack"), "r1");
  EXPECT_THAT(SetAgentConfigValue(c, "ak_handle", "0x1"),
              StatusIs(Code::kInvalidArgument, HasSubstr("ak_handle: expected")));
  EXPECT_EQ(c.ak_persistent_handle, 0x81010020u);  // unchanged
  EXPECT_THAT(SetAgentConfigValue(c, "nope", "1"),
              StatusIs(Code::kInvalidArgument, HasSubstr("nope: unknown key")));
}

TEST(AgentConfigTest, ValidateServeConfig) {
  AgentConfig c;
  EXPECT_OK(ValidateServeConfig(c));  // loopback, plain HTTP
  c.listen_address = "127.5.6.7";
  EXPECT_OK(ValidateServeConfig(c));
  c.listen_address = "::1";
  EXPECT_OK(ValidateServeConfig(c));

  c.listen_address = "0.0.0.0";
  EXPECT_THAT(
      ValidateServeConfig(c),
      StatusIs(Code::kInvalidArgument, HasSubstr("listen_address 0.0.0.0 is not loopback")));
  c.listen_address = "::";
  EXPECT_THAT(ValidateServeConfig(c), StatusIs(Code::kInvalidArgument));
  c.tls_certificate = "/c.pem";
  EXPECT_THAT(ValidateServeConfig(c),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("tls_certificate and tls_private_key: set both or neither")));
  c.tls_private_key = "/k.pem";
  EXPECT_OK(ValidateServeConfig(c));
  c.tls_client_ca = "/ca.pem";
  EXPECT_OK(ValidateServeConfig(c));

  AgentConfig d;
  d.tls_private_key = "/k.pem";
  EXPECT_THAT(ValidateServeConfig(d),
              StatusIs(Code::kInvalidArgument, HasSubstr("only tls_private_key is set")));
  AgentConfig e;
  e.tls_client_ca = "/ca.pem";
  EXPECT_THAT(ValidateServeConfig(e),
              StatusIs(Code::kInvalidArgument, HasSubstr("tls_client_ca needs tls_certificate")));
}

class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "vouch-config-XXXXXX").string();
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(AgentConfigTest, LoadAgentConfigReadsFileAndNamesPathInErrors) {
  TempDir dir;
  const std::string path = (dir.path() / "agent.conf").string();
  EXPECT_THAT(LoadAgentConfig(path), StatusIs(Code::kNotFound, HasSubstr(path)));
  { std::ofstream(path) << "ak_type = ecc\nlisten_port = 70000\n"; }
  EXPECT_THAT(LoadAgentConfig(path),
              StatusIs(Code::kInvalidArgument, HasSubstr(path + ": line 2: listen_port")));
  { std::ofstream(path) << "ak_type = ecc\n"; }
  ASSERT_OK_AND_ASSIGN(AgentConfig c, LoadAgentConfig(path));
  EXPECT_EQ(c.ak_kind, AkKind::kEccP256);
  {
    std::ofstream out(path);
    out << std::string(1024 * 1024 + 1, '#');
  }
  EXPECT_THAT(LoadAgentConfig(path), StatusIs(Code::kInvalidArgument, HasSubstr("1 MiB")));
}

// docs/agent.md, "Configuration", documents every key (keep in sync).
TEST(AgentConfigTest, DocsListEveryKey) {
  ASSERT_OK_AND_ASSIGN(std::string doc,
                       ::vouch::testing::ReadFileText(std::filesystem::path(VOUCH_SOURCE_DIR) /
                                                      "docs" / "agent.md"));
  for (std::string_view key : AgentConfigKeys()) {
    EXPECT_THAT(doc, HasSubstr("`" + std::string(key) + "`")) << "docs/agent.md misses " << key;
  }
}

// The commented example configuration (agent/agent.conf.example) states the
// defaults: it must parse, to exactly the defaults.
TEST(AgentConfigTest, ExampleConfigParsesToDefaults) {
  ASSERT_OK_AND_ASSIGN(std::string text,
                       ::vouch::testing::ReadFileText(std::filesystem::path(VOUCH_SOURCE_DIR) /
                                                      "agent" / "agent.conf.example"));
  ASSERT_OK_AND_ASSIGN(AgentConfig parsed, Parse(text));
  const AgentConfig defaults;
  EXPECT_EQ(parsed.tcti, defaults.tcti);
  EXPECT_EQ(parsed.ak_persistent_handle, defaults.ak_persistent_handle);
  EXPECT_EQ(parsed.state_dir, defaults.state_dir);
  EXPECT_EQ(parsed.srtm_log_path, defaults.srtm_log_path);
  EXPECT_EQ(parsed.hypervisor, defaults.hypervisor);
  EXPECT_EQ(parsed.listen_port, defaults.listen_port);
  EXPECT_EQ(parsed.rate_limit_per_second, defaults.rate_limit_per_second);
  EXPECT_EQ(parsed.push_interval, defaults.push_interval);
  EXPECT_EQ(parsed.log_level, defaults.log_level);
}

}  // namespace
}  // namespace vouch::agent
