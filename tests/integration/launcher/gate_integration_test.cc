// The launch gate end to end: the real vouch-launcher binary (run and
// libvirt-hook, also through packaging/libvirt/qemu) measuring into a swtpm
// and asking a real vouch-verifier process on a loopback port (SQLite file,
// hashed tokens). Denied launches never exec (the command would create a
// marker file): unknown host, wrong token, unreachable verifier (fail closed;
// fail open when configured), a swapped image; audit mode execs and logs; a
// token file others can read is refused. With the shared fixtures, a host
// made trusted as in verifier_e2e_test (real firmware log emulated into the
// swtpm, platform values imported) starts a VM whose disk is a reference
// value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/crypto/digest.h"
#include "core/http/cpprest_http.h"
#include "tests/testing/background_process.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"

namespace vouch {
namespace {

namespace fs = std::filesystem;
using testing::BackgroundProcess;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::RunProcess;
using testing::RunProcessOk;
using testing::SwtpmInstance;
using Json = nlohmann::json;

constexpr char kReaderToken[] = "vch_reader-token-for-the-gate-test";
constexpr char kAdminToken[] = "vch_admin-token-for-the-gate-test";

std::string TokenHash(const std::string& token) {
  Result<Bytes> d = crypto::Digest(HashAlg::kSha256, AsBytes(token));
  return d.has_value() ? "sha256:" + HexEncode(*d) : "";
}

std::string ReadText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class LauncherGateIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tpm_, SwtpmInstance::Start());
    dir_ = tpm_->dir() / "gate";
    fs::create_directories(dir_ / "state");
    std::ofstream conf(dir_ / "verifier.conf");
    conf << "listen_port = 0\n"
         << "database = " << (dir_ / "verifier.db").string() << "\n"
         << "ek_ca_dir = " << tpm_->TrustDir().string() << "\n"
         << "ek_intermediates = " << tpm_->IntermediateCertPath().string() << "\n"
         << "token.launcher = reader:" << TokenHash(kReaderToken) << "\n"
         << "token.ops = admin:" << TokenHash(kAdminToken) << "\n";
    conf.close();
    ASSERT_OK_AND_ASSIGN(verifier_, BackgroundProcess::Start({VOUCH_VERIFIER_BINARY, "--config",
                                                              (dir_ / "verifier.conf").string()},
                                                             dir_ / "logs"));
    ASSERT_OK_AND_ASSIGN(std::string line,
                         verifier_->WaitForStderr("listening on ", std::chrono::seconds(20)));
    std::smatch m;
    ASSERT_TRUE(std::regex_search(line, m, std::regex("(http://[0-9.]+:[0-9]+)"))) << line;
    url_ = m[1].str();
    ASSERT_OK_AND_ASSIGN(client_, http::MakeCpprestClient(http::ClientOptions{}));

    image_ = dir_ / "web-01.img";
    std::ofstream(image_) << "guest root filesystem, release 2026.11\n";
    WriteToken(kReaderToken, 0600);
    marker_ = dir_ / "web-01.started";
  }
  void TearDown() override {
    if (verifier_ != nullptr) {
      EXPECT_OK(verifier_->Signal(SIGTERM));
      EXPECT_THAT(verifier_->Wait(std::chrono::seconds(10)), testing::IsOkAndHolds(0));
      EXPECT_THAT(verifier_->Stderr(), Not(HasSubstr(kReaderToken)));
    }
  }

  void WriteToken(const std::string& token, mode_t mode) {
    token_file_ = dir_ / "launcher.token";
    fs::remove(token_file_);
    std::ofstream(token_file_) << token << "\n";
    ASSERT_EQ(::chmod(token_file_.c_str(), mode), 0);
  }

  // launcher.conf with `extra` lines appended.
  fs::path LauncherConf(const std::string& host_id, const std::string& extra = "",
                        const std::string& url = "") {
    fs::path conf = dir_ / "launcher.conf";
    std::ofstream(conf) << "tcti = " << tpm_->Tcti() << "\n"
                        << "state_dir = " << (dir_ / "state").string() << "\n"
                        << "verifier_url = " << (url.empty() ? url_ : url) << "\n"
                        << "token_file = " << token_file_.string() << "\n"
                        << (host_id.empty() ? "" : "host_id = " + host_id + "\n")
                        << "gate_timeout = 5\n"
                        << extra;
    return conf;
  }

  ProcessResult Launcher(std::vector<std::string> args,
                         std::optional<std::string> stdin_data = std::nullopt) {
    args.insert(args.begin(), VOUCH_LAUNCHER_BINARY);
    testing::ProcessOptions options;
    options.stdin_data = std::move(stdin_data);
    Result<ProcessResult> r = RunProcess(args, options);
    EXPECT_OK(r.status());
    if (!r.has_value()) return {};
    EXPECT_THAT(r->stderr_text + r->stdout_text, Not(HasSubstr(kReaderToken)));
    return *r;
  }

  ProcessResult Run(const fs::path& conf, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run",    "--config", conf.string(),  "--vm",
                                     "web-01", "--disk",   image_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--", "/usr/bin/touch", marker_.string()});
    return Launcher(args);
  }

  // A domain XML sample with its disk and loader paths pointed at files here.
  std::string DomainXml() {
    std::string xml = ReadText(fs::path(VOUCH_LIBVIRT_DATA_DIR) / "kvm-qcow2-cdrom.xml");
    auto replace = [&xml](const std::string& from, const std::string& to) {
      const size_t at = xml.find(from);
      EXPECT_NE(at, std::string::npos) << from;
      if (at != std::string::npos) xml.replace(at, from.size(), to);
    };
    std::ofstream(dir_ / "OVMF_CODE.fd") << "stand-in firmware\n";
    replace("/var/lib/libvirt/images/web-01.qcow2", image_.string());
    replace("/usr/share/OVMF/OVMF_CODE_4M.fd", (dir_ / "OVMF_CODE.fd").string());
    return xml;
  }

  Json Call(const std::string& method, const std::string& path, const std::string& body,
            int expect_status, const std::string& token = "") {
    http::Request r;
    r.method = method;
    r.headers["content-type"] = "application/json";
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    r.body = body;
    Result<http::Response> answer = client_->Send(url_ + path, r);
    EXPECT_OK(answer.status());
    if (!answer.has_value()) return {};
    EXPECT_EQ(answer->status, expect_status) << method << " " << path << ": " << answer->body;
    return Json::parse(answer->body, nullptr, false);
  }

  size_t VmLogLines() {
    const std::string log = ReadText(dir_ / "state" / "vm.log");
    return static_cast<size_t>(std::count(log.begin(), log.end(), '\n'));
  }

  std::unique_ptr<SwtpmInstance> tpm_;
  fs::path dir_;
  std::unique_ptr<BackgroundProcess> verifier_;
  std::string url_;
  std::unique_ptr<http::HttpClient> client_;
  fs::path image_;
  fs::path token_file_;
  fs::path marker_;
};

TEST_F(LauncherGateIntegrationTest, DeniedLaunchesNeverExec) {
  // A host the verifier does not know: measured (the VM log has the record),
  // denied with the verifier's reason, never started.
  const fs::path conf = LauncherConf("h-notenrolled");
  ProcessResult r = Run(conf);
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_THAT(r.stderr_text, HasSubstr("launch of VM web-01 denied"));
  EXPECT_THAT(r.stderr_text, HasSubstr("launch.host_not_enrolled"));
  EXPECT_FALSE(fs::exists(marker_));
  EXPECT_EQ(VmLogLines(), 1u);

  // Audit: the same decision, logged, and the command runs.
  r = Run(conf, {"--mode", "audit"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(r.stderr_text, HasSubstr("enforce would deny"));
  EXPECT_THAT(r.stderr_text, HasSubstr("launch.host_not_enrolled"));
  EXPECT_TRUE(fs::exists(marker_));
  fs::remove(marker_);

  // A token the verifier does not know: 401, the gate could not ask.
  WriteToken("vch_not-a-token-of-this-verifier", 0600);
  r = Run(conf);
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_THAT(r.stderr_text, HasSubstr("verifier answered 401"));
  EXPECT_FALSE(fs::exists(marker_));

  // A token file others can read: refused before anything is measured.
  WriteToken(kReaderToken, 0644);
  const size_t lines = VmLogLines();
  r = Run(conf, {"--mode", "audit"});
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
  EXPECT_THAT(r.stderr_text, HasSubstr("mode 0644"));
  EXPECT_FALSE(fs::exists(marker_));
  EXPECT_EQ(VmLogLines(), lines);
  WriteToken(kReaderToken, 0400);

  // Nothing listening: fail closed by default, open only when configured.
  const std::string closed = "http://127.0.0.1:1";
  r = Run(LauncherConf("h-notenrolled", "", closed));
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_THAT(r.stderr_text, HasSubstr("verifier: unavailable"));
  EXPECT_FALSE(fs::exists(marker_));
  r = Run(LauncherConf("h-notenrolled", "gate_fail_open = yes\n", closed));
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(r.stderr_text, HasSubstr("allowed (fail open)"));
  EXPECT_TRUE(fs::exists(marker_));
  fs::remove(marker_);

  // A disk that does not exist: denied even with fail open.
  r = Launcher({"run", "--config", LauncherConf("h-notenrolled", "gate_fail_open = yes\n").string(),
                "--vm", "web-01", "--disk", (dir_ / "missing.img").string(), "--", "/usr/bin/touch",
                marker_.string()});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_THAT(r.stderr_text, HasSubstr("measure:"));
  EXPECT_FALSE(fs::exists(marker_));
}

TEST_F(LauncherGateIntegrationTest, LibvirtHookRefusesADeniedStartAndPassesOtherOperations) {
  const fs::path conf = LauncherConf("h-notenrolled");
  const std::string xml = DomainXml();
  ProcessResult r =
      Launcher({"libvirt-hook", "--config", conf.string(), "web-01", "prepare", "begin", "-"}, xml);
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_THAT(r.stderr_text, HasSubstr("launch.host_not_enrolled"));
  EXPECT_THAT(r.stderr_text, HasSubstr("disk sda (cdrom) not measured"));
  EXPECT_EQ(VmLogLines(), 2u);  // loader and vda

  // Through the packaged hook script, as libvirt runs it (PATH has the binary).
  testing::ProcessOptions options;
  options.stdin_data = xml;
  options.env = {{"PATH", fs::path(VOUCH_LAUNCHER_BINARY).parent_path().string() + ":" +
                              std::string(std::getenv("PATH") ? std::getenv("PATH") : "")}};
  ASSERT_OK_AND_ASSIGN(ProcessResult hook,
                       RunProcess({VOUCH_LIBVIRT_HOOK_SCRIPT, "--config", conf.string(), "web-01",
                                   "prepare", "begin", "-"},
                                  options));
  EXPECT_EQ(hook.exit_code, 1) << hook.Describe();
  EXPECT_THAT(hook.stderr_text, HasSubstr("launch.host_not_enrolled"));

  // Other operations pass without measuring.
  for (const char* op : {"start", "started", "stopped", "release", "migrate", "restore"}) {
    r = Launcher({"libvirt-hook", "--config", conf.string(), "web-01", op, "begin", "-"}, xml);
    EXPECT_EQ(r.exit_code, 0) << op << ": " << r.Describe();
  }
  EXPECT_EQ(VmLogLines(), 4u);

  // XML for another domain, or malformed: refused in enforce mode.
  r = Launcher({"libvirt-hook", "--config", conf.string(), "db-02", "prepare", "begin", "-"}, xml);
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_THAT(r.stderr_text, HasSubstr("domain XML names VM web-01"));
  r = Launcher({"libvirt-hook", "--config", conf.string(), "broken-04", "prepare", "begin", "-"},
               ReadText(fs::path(VOUCH_LIBVIRT_DATA_DIR) / "malformed.xml"));
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_THAT(r.stderr_text, HasSubstr("not well-formed"));
  EXPECT_EQ(VmLogLines(), 4u);
}

TEST_F(LauncherGateIntegrationTest, TrustedHostStartsAKnownImageAndRefusesASwappedOne) {
  VOUCH_REQUIRE_FIXTURES(root);
  // Make the host trusted as verifier_e2e_test does: a real PC's firmware log
  // emulated into the swtpm, the agent enrolled and pushing, the platform
  // values imported by the admin.
  const fs::path firmware_log = dir_ / "firmware.log";
  ASSERT_OK(
      RunProcessOk({VOUCH_LAUNCHER_BINARY, "emulate-firmware", "--tcti", tpm_->Tcti(), "--log",
                    (root / "eventlogs" / "tpm2tss__binary_measurements_pc_client.bin").string(),
                    "--copy-to", firmware_log.string()})
          .status());
  const fs::path agent_conf = dir_ / "agent.conf";
  std::ofstream(agent_conf) << "srtm_log = " << firmware_log.string() << "\n";
  auto agent = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {
        VOUCH_AGENT_BINARY, "--config",    agent_conf.string(),      "--tcti",
        tpm_->Tcti(),       "--state-dir", (dir_ / "agent").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcessOk(argv);
  };
  ASSERT_OK(agent({"init"}).status());
  ASSERT_OK_AND_ASSIGN(ProcessResult enrolled, agent({"enroll", "--verifier", url_}));
  const std::string host_id = Json::parse(enrolled.stdout_text)["host_id"];
  ASSERT_OK(agent({"push", "--once"}).status());  // import needs verified evidence
  Call("POST", "/v1/reference-sets/golden/import", R"({"host_id":")" + host_id + R"("})", 201,
       kAdminToken);
  ASSERT_OK_AND_ASSIGN(ProcessResult pushed, agent({"push", "--once"}));
  ASSERT_EQ(Json::parse(pushed.stdout_text)["verdict"], "trusted") << pushed.stdout_text;

  // host_id comes from the agent's enrollment.json.
  const fs::path conf = LauncherConf("", "agent_state_dir = " + (dir_ / "agent").string() + "\n");
  // Trusted host, but no image reference values yet.
  ProcessResult r = Run(conf);
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_THAT(r.stderr_text, HasSubstr("host verdict trusted"));
  EXPECT_THAT(r.stderr_text, HasSubstr("launch.no_references"));
  EXPECT_FALSE(fs::exists(marker_));

  // The admin adds the image (digests as sha1sum/sha256sum/sha384sum print).
  Json digests = Json::object();
  ASSERT_OK_AND_ASSIGN(Bytes image, testing::ReadFileBytes(image_));
  for (HashAlg bank : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384}) {
    ASSERT_OK_AND_ASSIGN(Bytes d, crypto::Digest(bank, image));
    digests[std::string(HashAlgName(bank))] = HexEncode(d);
  }
  Json entry = {{"kind", "vm-image"}, {"name", "web-01.img 2026.11"}, {"digests", digests}};
  Call("POST", "/v1/reference-sets/golden/entries", entry.dump(), 201, kAdminToken);

  r = Run(conf);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(fs::exists(marker_));
  EXPECT_THAT(r.stderr_text, HasSubstr("allowed [enforce]; verifier decision allow"));
  fs::remove(marker_);

  // The libvirt hook with a domain whose only component is that disk.
  const std::string xml = "<domain type='kvm'><name>web-01</name><uuid>" +
                          std::string("6f1c2f0e-8a47-4b4e-9f2e-2d0b5b3c9a11") +
                          "</uuid><devices><disk type='file' device='disk'><source file='" +
                          image_.string() + "'/><target dev='vda'/></disk></devices></domain>";
  r = Launcher({"libvirt-hook", "--config", conf.string(), "web-01", "prepare", "begin", "-"}, xml);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();

  // Someone swaps the image: denied, never started.
  std::ofstream(image_) << "guest root filesystem, with a backdoor\n";
  r = Run(conf);
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_THAT(r.stderr_text, HasSubstr("launch.component_unknown"));
  EXPECT_FALSE(fs::exists(marker_));
  r = Launcher({"libvirt-hook", "--config", conf.string(), "web-01", "prepare", "begin", "-"}, xml);
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
}

}  // namespace
}  // namespace vouch
