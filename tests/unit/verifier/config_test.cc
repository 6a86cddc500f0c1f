// Tests of verifier/config/config.cc: every key, its default, its accepted
// values and its errors (with line numbers); named keys; overrides; loading
// files; cross-key rules; the example file and docs/verifier.md in sync.
#include "verifier/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/testing/status_matchers.h"

namespace vouch::verifier {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

const std::string kHashA(64, 'a');
const std::string kHashB(64, 'b');

Result<VerifierConfig> Parse(const std::string& text) { return ParseVerifierConfig(text); }

// Parses "key = value" alone and expects InvalidArgument on line 1 naming the
// key and containing `detail`.
void ExpectBad(const std::string& key, const std::string& value, const std::string& detail) {
  EXPECT_THAT(Parse(key + " = " + value),
              StatusIs(Code::kInvalidArgument, HasSubstr("line 1: " + key + ": " + detail)))
      << key << " = " << value;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(VerifierConfigTest, EmptyTextGivesDefaults) {
  ASSERT_OK_AND_ASSIGN(VerifierConfig c, Parse(""));
  EXPECT_EQ(c.listen_address, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 8443);
  EXPECT_EQ(c.tls_certificate, "");
  EXPECT_EQ(c.tls_private_key, "");
  EXPECT_EQ(c.max_evidence_bytes, size_t{48} << 20);
  EXPECT_EQ(c.max_request_bytes, size_t{1} << 20);
  EXPECT_EQ(c.database, "/var/lib/vouch-verifier/verifier.db");
  EXPECT_EQ(c.ek_ca_dir, "/etc/vouch/ek-ca");
  EXPECT_EQ(c.ek_intermediates, "");
  EXPECT_TRUE(c.allowed_eks.empty());
  EXPECT_EQ(c.enrollment_lifetime.count(), 300);
  EXPECT_EQ(c.nonce_lifetime.count(), 120);
  EXPECT_EQ(c.report_validity.count(), 600);
  EXPECT_EQ(c.stale_after.count(), 900);
  EXPECT_FALSE(c.require_measured_launch);
  EXPECT_FALSE(c.allow_emulated_launch);
  EXPECT_EQ(c.pull_interval.count(), 0);
  EXPECT_EQ(c.pull_jitter, 0.1);
  EXPECT_EQ(c.pull_max_in_flight, 16u);
  EXPECT_EQ(c.agent_ca, "");
  EXPECT_EQ(c.agent_client_certificate, "");
  EXPECT_EQ(c.agent_client_private_key, "");
  EXPECT_TRUE(c.webhooks.empty());
  EXPECT_EQ(c.webhook_secret_file, "");
  EXPECT_TRUE(c.tokens.empty());
  EXPECT_FALSE(c.metrics_public);
  EXPECT_EQ(c.log_level, LogLevel::kInfo);
  EXPECT_THAT(ValidateVerifierConfig(c), IsOk());
}

TEST(VerifierConfigTest, EveryKeyIsSet) {
  const std::string text =
      "listen_address = ::1\n"
      "listen_port = 0\n"
      "tls_certificate = /etc/v/cert.pem\n"
      "tls_private_key = /etc/v/key.pem\n"
      "max_evidence_bytes = 1048576\n"
      "max_request_bytes = 4096\n"
      "database = /srv/v.db\n"
      "ek_ca_dir = /srv/ek-ca\n"
      "ek_intermediates = /srv/int.pem\n"
      "allowed_ek.vm-1 = /srv/vm1.pub\n"
      "allowed_ek.vm_2 = /srv/vm2.pub\n"
      "enrollment_lifetime = 30\n"
      "nonce_lifetime = 3600\n"
      "report_validity = 60\n"
      "stale_after = 604800\n"
      "require_measured_launch = true\n"
      "allow_emulated_launch = true\n"
      "pull_interval = 10\n"
      "pull_jitter = 0.25\n"
      "pull_max_in_flight = 1024\n"
      "agent_ca = /srv/agents-ca.pem\n"
      "agent_client_certificate = /srv/c.pem\n"
      "agent_client_private_key = /srv/c.key\n"
      "webhook.ops = https://hooks.example/vouch\n"
      "webhook.Local = http://127.0.0.1:9000/x\n"
      "webhook_secret_file = /srv/secret\n"
      "token.grafana = reader:sha256:" +
      kHashA +
      "\n"
      "token.ops-alice = admin:sha256:" +
      std::string(64, 'B') +
      "\n"
      "metrics_public = true\n"
      "log_level = debug\n";
  ASSERT_OK_AND_ASSIGN(VerifierConfig c, Parse(text));
  EXPECT_EQ(c.listen_address, "::1");
  EXPECT_EQ(c.listen_port, 0);
  EXPECT_EQ(c.tls_certificate, "/etc/v/cert.pem");
  EXPECT_EQ(c.tls_private_key, "/etc/v/key.pem");
  EXPECT_EQ(c.max_evidence_bytes, 1048576u);
  EXPECT_EQ(c.max_request_bytes, 4096u);
  EXPECT_EQ(c.database, "/srv/v.db");
  EXPECT_EQ(c.ek_ca_dir, "/srv/ek-ca");
  EXPECT_EQ(c.ek_intermediates, "/srv/int.pem");
  EXPECT_EQ(c.allowed_eks.size(), 2u);
  EXPECT_EQ(c.allowed_eks.at("vm-1"), "/srv/vm1.pub");
  EXPECT_EQ(c.allowed_eks.at("vm_2"), "/srv/vm2.pub");
  EXPECT_EQ(c.enrollment_lifetime.count(), 30);
  EXPECT_EQ(c.nonce_lifetime.count(), 3600);
  EXPECT_EQ(c.report_validity.count(), 60);
  EXPECT_EQ(c.stale_after.count(), 604800);
  EXPECT_TRUE(c.require_measured_launch);
  EXPECT_TRUE(c.allow_emulated_launch);
  EXPECT_EQ(c.pull_interval.count(), 10);
  EXPECT_EQ(c.pull_jitter, 0.25);
  EXPECT_EQ(c.pull_max_in_flight, 1024u);
  EXPECT_EQ(c.agent_ca, "/srv/agents-ca.pem");
  EXPECT_EQ(c.agent_client_certificate, "/srv/c.pem");
  EXPECT_EQ(c.agent_client_private_key, "/srv/c.key");
  EXPECT_EQ(c.webhooks.size(), 2u);
  EXPECT_EQ(c.webhooks.at("ops"), "https://hooks.example/vouch");
  EXPECT_EQ(c.webhooks.at("Local"), "http://127.0.0.1:9000/x");
  EXPECT_EQ(c.webhook_secret_file, "/srv/secret");
  ASSERT_EQ(c.tokens.size(), 2u);
  EXPECT_EQ(c.tokens[0].name, "grafana");
  EXPECT_EQ(c.tokens[0].role, Role::kReader);
  EXPECT_EQ(c.tokens[0].sha256, Bytes(32, 0xaa));
  EXPECT_EQ(c.tokens[1].name, "ops-alice");
  EXPECT_EQ(c.tokens[1].role, Role::kAdmin);
  EXPECT_EQ(c.tokens[1].sha256, Bytes(32, 0xbb));
  EXPECT_TRUE(c.metrics_public);
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
  EXPECT_THAT(ValidateVerifierConfig(c), IsOk());
}

TEST(VerifierConfigTest, RangeLimitsAreInclusive) {
  ASSERT_OK_AND_ASSIGN(VerifierConfig c, Parse("listen_port = 65535\n"
                                               "max_evidence_bytes = 268435456\n"
                                               "max_request_bytes = 16777216\n"
                                               "enrollment_lifetime = 3600\n"
                                               "nonce_lifetime = 10\n"
                                               "report_validity = 604800\n"
                                               "stale_after = 60\n"
                                               "pull_interval = 86400\n"
                                               "pull_jitter = 1\n"
                                               "pull_max_in_flight = 1\n"
                                               "log_level = warn\n"));
  EXPECT_EQ(c.listen_port, 65535);
  EXPECT_EQ(c.max_evidence_bytes, 268435456u);
  EXPECT_EQ(c.max_request_bytes, 16777216u);
  EXPECT_EQ(c.enrollment_lifetime.count(), 3600);
  EXPECT_EQ(c.nonce_lifetime.count(), 10);
  EXPECT_EQ(c.report_validity.count(), 604800);
  EXPECT_EQ(c.stale_after.count(), 60);
  EXPECT_EQ(c.pull_interval.count(), 86400);
  EXPECT_EQ(c.pull_jitter, 1.0);
  EXPECT_EQ(c.pull_max_in_flight, 1u);
  EXPECT_EQ(c.log_level, LogLevel::kWarning);
  ASSERT_OK_AND_ASSIGN(VerifierConfig z, Parse("pull_jitter = 0\n"));
  EXPECT_EQ(z.pull_jitter, 0.0);
}

TEST(VerifierConfigTest, EmptyValuesClearOptionalPaths) {
  ASSERT_OK_AND_ASSIGN(VerifierConfig c, Parse("ek_ca_dir =\nallowed_ek.a = /x\n"
                                               "tls_certificate =\nagent_ca =\n"));
  EXPECT_EQ(c.ek_ca_dir, "");
  EXPECT_EQ(c.tls_certificate, "");
  EXPECT_EQ(c.agent_ca, "");
}

TEST(VerifierConfigTest, BadValuesNameLineKeyAndRule) {
  ExpectBad("listen_address", "localhost", "expected an IPv4 or IPv6 address, got 'localhost'");
  ExpectBad("listen_address", "", "expected an IPv4 or IPv6 address");
  ExpectBad("listen_port", "65536", "expected 0-65535 (an integer), got '65536'");
  ExpectBad("listen_port", "-1", "expected 0-65535");
  ExpectBad("listen_port", "80x", "expected 0-65535");
  ExpectBad("listen_port", "", "expected 0-65535");
  ExpectBad("tls_certificate", "cert.pem", "expected an absolute path, got 'cert.pem'");
  ExpectBad("tls_private_key", "key.pem", "expected an absolute path");
  ExpectBad("max_evidence_bytes", "1048575", "expected 1048576-268435456 bytes, got '1048575'");
  ExpectBad("max_evidence_bytes", "268435457", "expected 1048576-268435456 bytes");
  ExpectBad("max_request_bytes", "4095", "expected 4096-16777216 bytes");
  ExpectBad("max_request_bytes", "16777217", "expected 4096-16777216 bytes");
  ExpectBad("database", "", "expected an absolute path, got ''");
  ExpectBad("database", "verifier.db", "expected an absolute path");
  ExpectBad("ek_ca_dir", "ek-ca", "expected an absolute path");
  ExpectBad("ek_intermediates", "int.pem", "expected an absolute path");
  ExpectBad("enrollment_lifetime", "29", "expected 30-3600 seconds, got '29'");
  ExpectBad("enrollment_lifetime", "3601", "expected 30-3600 seconds");
  ExpectBad("nonce_lifetime", "0", "expected 10-3600 seconds, got '0'");
  ExpectBad("nonce_lifetime", "3601", "expected 10-3600 seconds");
  ExpectBad("nonce_lifetime", "2m", "expected 10-3600 seconds");
  ExpectBad("report_validity", "59", "expected 60-604800 seconds");
  ExpectBad("report_validity", "604801", "expected 60-604800 seconds");
  ExpectBad("stale_after", "59", "expected 60-604800 seconds");
  ExpectBad("stale_after", "604801", "expected 60-604800 seconds");
  ExpectBad("require_measured_launch", "yes", "expected true or false, got 'yes'");
  ExpectBad("require_measured_launch", "TRUE", "expected true or false");
  ExpectBad("allow_emulated_launch", "1", "expected true or false");
  ExpectBad("pull_interval", "9", "expected 0 (off) or 10-86400 seconds, got '9'");
  ExpectBad("pull_interval", "86401", "expected 0 (off) or 10-86400 seconds");
  ExpectBad("pull_interval", "00", "expected 0 (off) or 10-86400 seconds");
  ExpectBad("pull_jitter", "1.5", "expected a number from 0 to 1, got '1.5'");
  ExpectBad("pull_jitter", "-0.1", "expected a number from 0 to 1");
  ExpectBad("pull_jitter", "nan", "expected a number from 0 to 1");
  ExpectBad("pull_jitter", "1e-1", "expected a number from 0 to 1");
  ExpectBad("pull_jitter", "", "expected a number from 0 to 1");
  ExpectBad("pull_max_in_flight", "0", "expected 1-1024 (an integer)");
  ExpectBad("pull_max_in_flight", "1025", "expected 1-1024");
  ExpectBad("agent_ca", "ca.pem", "expected an absolute path");
  ExpectBad("agent_client_certificate", "c.pem", "expected an absolute path");
  ExpectBad("agent_client_private_key", "c.key", "expected an absolute path");
  ExpectBad("webhook_secret_file", "secret", "expected an absolute path");
  ExpectBad("metrics_public", "on", "expected true or false");
  ExpectBad("log_level", "verbose", "expected debug, info, warning or error, got 'verbose'");
}

TEST(VerifierConfigTest, BadNamedKeys) {
  ExpectBad("token.grafana", "reader:" + kHashA, "expected ROLE:sha256:<64 hex digits>: the token");
  ExpectBad("token.grafana", "root:sha256:" + kHashA, "role must be reader or admin, got 'root'");
  ExpectBad("token.grafana", "reader", "expected ROLE:sha256:<64 hex digits>");
  ExpectBad("token.grafana", "reader:sha256:" + std::string(63, 'a'), "expected 64 hex digits");
  ExpectBad("token.grafana", "reader:sha256:" + std::string(63, 'a') + "g", "sha256:");
  ExpectBad("token.grafana", "", "expected ROLE:sha256");
  ExpectBad("token.-x", "reader:sha256:" + kHashA, "NAME must have 1-64 letters");
  ExpectBad("token.", "reader:sha256:" + kHashA, "NAME must have 1-64 letters");
  ExpectBad("token.a b", "reader:sha256:" + kHashA, "NAME must have");
  ExpectBad("token." + std::string(65, 'n'), "reader:sha256:" + kHashA, "NAME must have");
  ExpectBad("webhook.ops", "ftp://x", "expected an http:// or https:// URL, got 'ftp://x'");
  ExpectBad("webhook.ops", "https://", "expected an http:// or https:// URL");
  ExpectBad("webhook.ops", "https://a b", "expected an http:// or https:// URL");
  ExpectBad("webhook.ops", "https://x/" + std::string(2048, 'a'), "expected an http://");
  ExpectBad("webhook.o/p", "https://x", "NAME must have");
  ExpectBad("allowed_ek.vm", "vm.pub", "expected an absolute path");
  ExpectBad("allowed_ek.vm", "", "expected an absolute path");
  ExpectBad("allowed_ek.*", "/x", "NAME must have");
}

TEST(VerifierConfigTest, ATokenValueIsNotEchoedBackWhole) {
  // A token pasted where its hash belongs must not end up in an error
  // message (which goes to logs).
  const std::string token = "vch_SecretSecretSecretSecretSecretSecretSecret";
  Result<VerifierConfig> c = Parse("token.ci = admin:" + token);
  EXPECT_THAT(c, StatusIs(Code::kInvalidArgument, HasSubstr("never the token itself")));
  EXPECT_THAT(c.status().message(), Not(HasSubstr("Secret")));
  c = Parse("token.ci = " + token);
  EXPECT_THAT(c, StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(c.status().message(), Not(HasSubstr("Secret")));
}

TEST(VerifierConfigTest, TwoNamesForOneTokenAreRefused) {
  EXPECT_THAT(
      Parse("token.a = reader:sha256:" + kHashA +
            "\ntoken.b = admin:sha256:" + std::string(64, 'A')),
      StatusIs(Code::kInvalidArgument, HasSubstr("line 2: token.b: same token hash as token.a")));
}

TEST(VerifierConfigTest, SyntaxErrorsNameTheLine) {
  EXPECT_THAT(Parse("# comment\n\nnonsense\n"),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("line 3: expected 'key = value', got 'nonsense'")));
  EXPECT_THAT(Parse("listen_port = 1\n = 2\n"),
              StatusIs(Code::kInvalidArgument, HasSubstr("line 2: missing key before '='")));
  EXPECT_THAT(Parse("listen_port = 1\n\nlisten_port = 2\n"),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("line 3: listen_port: set again (first on line 1)")));
  EXPECT_THAT(Parse("token.a = reader:sha256:" + kHashA + "\ntoken.a = reader:sha256:" + kHashB),
              StatusIs(Code::kInvalidArgument, HasSubstr("line 2: token.a: set again")));
  EXPECT_THAT(Parse("log_level = info\nlisten_prot = 1\n"),
              StatusIs(Code::kInvalidArgument, HasSubstr("line 2: listen_prot: unknown key")));
  EXPECT_THAT(Parse("tokens.a = x\n"),
              StatusIs(Code::kInvalidArgument, HasSubstr("line 1: tokens.a: unknown key")));
}

TEST(VerifierConfigTest, CommentsSpacesAndCrlfAreAccepted) {
  ASSERT_OK_AND_ASSIGN(VerifierConfig c, Parse("  # a comment\r\n\t listen_port\t=  9000 \r\n"
                                               "webhook.x = https://h/p#frag\r\n"
                                               "webhook_secret_file = /s"));
  EXPECT_EQ(c.listen_port, 9000);
  EXPECT_EQ(c.webhooks.at("x"), "https://h/p#frag");
  EXPECT_EQ(c.webhook_secret_file, "/s");
}

TEST(VerifierConfigTest, ControlCharactersInValuesAreRefused) {
  EXPECT_THAT(Parse(std::string("database = /a\x01b")),
              StatusIs(Code::kInvalidArgument, HasSubstr("database: control character")));
}

TEST(VerifierConfigTest, SetValueOverridesWithTheSameChecks) {
  VerifierConfig c;
  EXPECT_THAT(SetVerifierConfigValue(c, "listen_port", " 9001 "), IsOk());
  EXPECT_EQ(c.listen_port, 9001);
  EXPECT_THAT(SetVerifierConfigValue(c, "nonce_lifetime", "5"),
              StatusIs(Code::kInvalidArgument, HasSubstr("nonce_lifetime: expected 10-3600")));
  EXPECT_EQ(c.nonce_lifetime.count(), 120);
  EXPECT_THAT(SetVerifierConfigValue(c, "bogus", "1"),
              StatusIs(Code::kInvalidArgument, HasSubstr("bogus: unknown key")));
  // A named key set again from the command line replaces the entry.
  EXPECT_THAT(SetVerifierConfigValue(c, "token.ci", "reader:sha256:" + kHashA), IsOk());
  EXPECT_THAT(SetVerifierConfigValue(c, "token.ci", "admin:sha256:" + kHashB), IsOk());
  ASSERT_EQ(c.tokens.size(), 1u);
  EXPECT_EQ(c.tokens[0].role, Role::kAdmin);
  EXPECT_EQ(c.tokens[0].sha256, Bytes(32, 0xbb));
  EXPECT_THAT(SetVerifierConfigValue(c, "webhook.a", "https://x"), IsOk());
  EXPECT_THAT(SetVerifierConfigValue(c, "webhook.a", "https://y"), IsOk());
  EXPECT_EQ(c.webhooks.at("a"), "https://y");
}

TEST(VerifierConfigTest, NamedKeyCountsAreCapped) {
  std::string text;
  for (int i = 0; i <= 64; ++i) {
    text += "webhook.w" + std::to_string(i) + " = https://h/" + std::to_string(i) + "\n";
  }
  EXPECT_THAT(Parse(text), StatusIs(Code::kInvalidArgument,
                                    HasSubstr("line 65: webhook.w64: more than 64 webhooks")));
}

TEST(VerifierConfigTest, KeysAreSortedWithNamedKeysLast) {
  std::vector<std::string_view> keys = VerifierConfigKeys();
  ASSERT_GE(keys.size(), 3u);
  EXPECT_THAT(std::vector<std::string_view>(keys.end() - 3, keys.end()),
              ElementsAre("token.NAME", "webhook.NAME", "allowed_ek.NAME"));
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end() - 3));
  EXPECT_EQ(keys.size(), 27u);
  // Every plain key parses with a value (an unknown key would not).
  for (std::string_view key : keys) {
    if (key.ends_with(".NAME")) continue;
    VerifierConfig c;
    Status s = SetVerifierConfigValue(c, key, "x");
    EXPECT_THAT(s.message(), Not(HasSubstr("unknown key"))) << key;
  }
}

TEST(VerifierConfigValidateTest, CrossKeyRules) {
  VerifierConfig c;
  c.tls_certificate = "/c.pem";
  EXPECT_THAT(ValidateVerifierConfig(c),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("tls_certificate and tls_private_key: set both or neither (only "
                                 "tls_certificate is set)")));
  c.tls_private_key = "/k.pem";
  c.listen_address = "0.0.0.0";
  EXPECT_THAT(ValidateVerifierConfig(c), IsOk());

  VerifierConfig plain;
  plain.listen_address = "0.0.0.0";
  EXPECT_THAT(
      ValidateVerifierConfig(plain),
      StatusIs(Code::kInvalidArgument, HasSubstr("listen_address 0.0.0.0 is not loopback")));
  plain.listen_address = "127.0.0.2";
  EXPECT_THAT(ValidateVerifierConfig(plain), IsOk());
  plain.listen_address = "::1";
  EXPECT_THAT(ValidateVerifierConfig(plain), IsOk());
  plain.listen_address = "::";
  EXPECT_THAT(ValidateVerifierConfig(plain), StatusIs(Code::kInvalidArgument));

  VerifierConfig pull;
  pull.agent_client_private_key = "/k";
  EXPECT_THAT(ValidateVerifierConfig(pull),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("agent_client_certificate and agent_client_private_key: set "
                                 "both or neither (only agent_client_private_key is set)")));

  VerifierConfig hooks;
  hooks.webhooks["ops"] = "https://h";
  EXPECT_THAT(ValidateVerifierConfig(hooks),
              StatusIs(Code::kInvalidArgument, HasSubstr("webhook.ops needs webhook_secret_file")));
  hooks.webhook_secret_file = "/s";
  EXPECT_THAT(ValidateVerifierConfig(hooks), IsOk());

  VerifierConfig no_ek;
  no_ek.ek_ca_dir.clear();
  EXPECT_THAT(ValidateVerifierConfig(no_ek),
              StatusIs(Code::kInvalidArgument, HasSubstr("no host could enroll")));
  no_ek.allowed_eks["vm"] = "/vm.pub";
  EXPECT_THAT(ValidateVerifierConfig(no_ek), IsOk());
}

class VerifierConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vouch_verifier_config_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(VerifierConfigFileTest, LoadsAFile) {
  const std::string path = Write("v.conf", "listen_port = 7000\n");
  ASSERT_OK_AND_ASSIGN(VerifierConfig c, LoadVerifierConfig(path));
  EXPECT_EQ(c.listen_port, 7000);
}

TEST_F(VerifierConfigFileTest, ErrorsCarryThePath) {
  const std::string path = Write("bad.conf", "\nlisten_port = x\n");
  EXPECT_THAT(LoadVerifierConfig(path),
              StatusIs(Code::kInvalidArgument, HasSubstr(path + ": line 2: listen_port:")));
}

TEST_F(VerifierConfigFileTest, MissingFileIsNotFound) {
  EXPECT_THAT(LoadVerifierConfig((dir_ / "absent.conf").string()),
              StatusIs(Code::kNotFound, HasSubstr("does not exist")));
}

TEST_F(VerifierConfigFileTest, DirectoryIsPermissionDenied) {
  EXPECT_THAT(LoadVerifierConfig(dir_.string()), StatusIs(Code::kPermissionDenied));
}

TEST_F(VerifierConfigFileTest, HugeFileIsRefused) {
  const std::string path = Write("huge.conf", std::string((1u << 20) + 1, '#'));
  EXPECT_THAT(LoadVerifierConfig(path),
              StatusIs(Code::kInvalidArgument, HasSubstr("larger than 1 MiB")));
}

// The shipped example states every key with its default and parses to the
// defaults; docs/verifier.md documents every key.
TEST(VerifierConfigExampleTest, ExampleParsesToTheDefaults) {
  const std::string text = ReadText(VOUCH_SOURCE_DIR "/verifier/verifier.conf.example");
  ASSERT_FALSE(text.empty());
  ASSERT_OK_AND_ASSIGN(VerifierConfig parsed, ParseVerifierConfig(text));
  VerifierConfig d;
  EXPECT_EQ(parsed.listen_address, d.listen_address);
  EXPECT_EQ(parsed.listen_port, d.listen_port);
  EXPECT_EQ(parsed.tls_certificate, d.tls_certificate);
  EXPECT_EQ(parsed.tls_private_key, d.tls_private_key);
  EXPECT_EQ(parsed.max_evidence_bytes, d.max_evidence_bytes);
  EXPECT_EQ(parsed.max_request_bytes, d.max_request_bytes);
  EXPECT_EQ(parsed.database, d.database);
  EXPECT_EQ(parsed.ek_ca_dir, d.ek_ca_dir);
  EXPECT_EQ(parsed.ek_intermediates, d.ek_intermediates);
  EXPECT_EQ(parsed.allowed_eks, d.allowed_eks);
  EXPECT_EQ(parsed.enrollment_lifetime, d.enrollment_lifetime);
  EXPECT_EQ(parsed.nonce_lifetime, d.nonce_lifetime);
  EXPECT_EQ(parsed.report_validity, d.report_validity);
  EXPECT_EQ(parsed.stale_after, d.stale_after);
  EXPECT_EQ(parsed.require_measured_launch, d.require_measured_launch);
  EXPECT_EQ(parsed.allow_emulated_launch, d.allow_emulated_launch);
  EXPECT_EQ(parsed.pull_interval, d.pull_interval);
  EXPECT_EQ(parsed.pull_jitter, d.pull_jitter);
  EXPECT_EQ(parsed.pull_max_in_flight, d.pull_max_in_flight);
  EXPECT_EQ(parsed.agent_ca, d.agent_ca);
  EXPECT_EQ(parsed.agent_client_certificate, d.agent_client_certificate);
  EXPECT_EQ(parsed.agent_client_private_key, d.agent_client_private_key);
  EXPECT_EQ(parsed.webhooks, d.webhooks);
  EXPECT_EQ(parsed.webhook_secret_file, d.webhook_secret_file);
  EXPECT_TRUE(parsed.tokens.empty());
  EXPECT_EQ(parsed.metrics_public, d.metrics_public);
  EXPECT_EQ(parsed.log_level, d.log_level);
  EXPECT_THAT(ValidateVerifierConfig(parsed), IsOk());
}

TEST(VerifierConfigExampleTest, ExampleMentionsEveryKey) {
  const std::string text = ReadText(VOUCH_SOURCE_DIR "/verifier/verifier.conf.example");
  for (std::string_view key : VerifierConfigKeys()) {
    std::string k(key);
    if (k.ends_with(".NAME")) {
      // Named keys appear as commented examples: "# token.grafana = ...".
      k = "# " + k.substr(0, k.size() - 4);
    } else {
      k = "\n" + k + " =";
      // Keys without a default value appear commented.
      if (text.find(k) == std::string::npos) k = "\n# " + k.substr(1);
    }
    EXPECT_NE(text.find(k), std::string::npos) << key;
  }
}

TEST(VerifierConfigExampleTest, DocsTableListsEveryKey) {
  const std::string docs = ReadText(VOUCH_SOURCE_DIR "/docs/verifier.md");
  ASSERT_FALSE(docs.empty());
  for (std::string_view key : VerifierConfigKeys()) {
    EXPECT_NE(docs.find("| `" + std::string(key) + "` |"), std::string::npos) << key;
  }
}

}  // namespace
}  // namespace vouch::verifier
