// vouch-agent as a process against a real swtpm: init, quote, pull mode over
// HTTPS (with and without client certificates, malformed requests, SIGTERM),
// and enrollment + push against an in-test verifier stand-in that does what
// the real verifier will (EK chain, MakeCredential, proof, quote check).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/logger.h"
#include "core/crypto/random.h"
#include "core/crypto/x509.h"
#include "core/http/cpprest_http.h"
#include "core/protocol/enrollment.h"
#include "core/protocol/evidence.h"
#include "core/tpm/public.h"
#include "core/tpm/quote.h"
#include "tests/testing/background_process.h"
#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/swtpm.h"
#include "verifier/registrar/registrar.h"

namespace vouch {
namespace {

namespace fs = std::filesystem;
using testing::BackgroundProcess;
using ::testing::HasSubstr;
using testing::RunProcess;
using testing::RunProcessOk;
using testing::SwtpmInstance;

const char* kAgent = VOUCH_AGENT_BINARY;

// Checks an evidence document the way the verifier will: decode, verify the
// quote with the AK it carries (the test also pins the AK name), nonce.
void ExpectEvidenceVerifies(const std::string& json, ByteView nonce,
                            const std::optional<Bytes>& ak_name = std::nullopt) {
  ASSERT_OK_AND_ASSIGN(protocol::Evidence e, protocol::DecodeEvidence(json));
  ASSERT_OK_AND_ASSIGN(tpm::TpmPublic ak, tpm::TpmPublic::DecodeTpm2b(e.ak_public));
  if (ak_name.has_value()) EXPECT_EQ(HexEncode(ak.name()), HexEncode(*ak_name));
  tpm::QuoteEvidence q{e.quote_attest, e.quote_signature, e.pcrs};
  ASSERT_OK_AND_ASSIGN(tpm::QuoteVerification v, tpm::VerifyQuote(ak, q, nonce));
  EXPECT_TRUE(v.verified.has_value());
  for (const Finding& f : v.findings) ADD_FAILURE() << f.id << ": " << f.message;
  EXPECT_EQ(e.pcrs.banks().begin()->second.size(), 24u);
}

class AgentE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tpm_, SwtpmInstance::Start());
    dir_ = tpm_->dir() / "agent";
    fs::create_directories(dir_);
    state_ = dir_ / "state";
  }

  std::vector<std::string> Agent(std::vector<std::string> args) {
    std::vector<std::string> argv = {kAgent, "--tcti", tpm_->Tcti(), "--state-dir",
                                     state_.string()};
    if (!config_.empty()) {
      argv.push_back("--config");
      argv.push_back(config_.string());
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  nlohmann::json RunJson(std::vector<std::string> args) {
    Result<testing::ProcessResult> r = RunProcessOk(Agent(std::move(args)));
    EXPECT_OK(r.status());
    if (!r.has_value()) return {};
    return nlohmann::json::parse(r->stdout_text, nullptr, false);
  }

  void WriteConfig(const std::string& text) {
    config_ = dir_ / "agent.conf";
    std::ofstream(config_) << text;
  }

  // A CA and a certificate for `cn` signed by it (openssl CLI), PEM files.
  void MakeCert(const std::string& name, const std::string& cn, const std::string& ca) {
    fs::path d = dir_;
    if (!fs::exists(d / (ca + ".crt"))) {
      ASSERT_OK(RunProcessOk({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                              "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                              "/CN=" + ca, "-keyout", (d / (ca + ".key")).string(), "-out",
                              (d / (ca + ".crt")).string()})
                    .status());
    }
    fs::path ext = d / (name + ".ext");
    std::ofstream(ext) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    ASSERT_OK(RunProcessOk({"openssl", "req", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + cn, "-keyout",
                            (d / (name + ".key")).string(), "-out", (d / (name + ".csr")).string()})
                  .status());
    ASSERT_OK(RunProcessOk({"openssl", "x509", "-req", "-in", (d / (name + ".csr")).string(), "-CA",
                            (d / (ca + ".crt")).string(), "-CAkey", (d / (ca + ".key")).string(),
                            "-CAcreateserial", "-days", "2", "-extfile", ext.string(), "-out",
                            (d / (name + ".crt")).string()})
                  .status());
  }

  // Starts `vouch-agent serve --port 0` and returns the URL it listens on.
  std::string StartServe() {
    Result<std::unique_ptr<BackgroundProcess>> p =
        BackgroundProcess::Start(Agent({"serve", "--port", "0"}), dir_ / "logs");
    EXPECT_OK(p.status());
    if (!p.has_value()) return "";
    serve_ = std::move(*p);
    Result<std::string> line = serve_->WaitForStderr("listening on ", std::chrono::seconds(20));
    EXPECT_OK(line.status());
    if (!line.has_value()) return "";
    std::smatch m;
    std::regex re("listening on (https?://[0-9.]+:[0-9]+)");
    EXPECT_TRUE(std::regex_search(*line, m, re)) << *line;
    return m[1].str();
  }

  std::unique_ptr<SwtpmInstance> tpm_;
  fs::path dir_, state_, config_;
  std::unique_ptr<BackgroundProcess> serve_;
};

http::Request PostJson(std::string body) {
  http::Request r;
  r.method = "POST";
  r.headers["content-type"] = "application/json";
  r.body = std::move(body);
  return r;
}

TEST_F(AgentE2eTest, InitIsIdempotentAndQuoteVerifies) {
  nlohmann::json first = RunJson({"init"});
  EXPECT_EQ(first["created"], true);
  EXPECT_EQ(first["ak"]["type"], "rsa2048");
  nlohmann::json second = RunJson({"init"});
  EXPECT_EQ(second["created"], false);
  EXPECT_EQ(second["ak"]["name"], first["ak"]["name"]);
  struct stat st {};
  ASSERT_EQ(stat(state_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  // A different AK type is refused without --force (it would need re-enrollment).
  Result<testing::ProcessResult> ecc = RunProcess(Agent({"init", "--ak-type", "ecc"}));
  ASSERT_OK(ecc.status());
  EXPECT_NE(ecc->exit_code, 0);

  const std::string nonce = "00112233445566778899aabbccddeeff";
  ASSERT_OK_AND_ASSIGN(testing::ProcessResult q, RunProcessOk(Agent({"quote", "--nonce", nonce})));
  ASSERT_OK_AND_ASSIGN(Bytes ak_name, HexDecode(first["ak"]["name"].get<std::string>()));
  ASSERT_OK_AND_ASSIGN(Bytes n, HexDecode(nonce));
  ExpectEvidenceVerifies(q.stdout_text, n, ak_name);

  // --out writes the same kind of document to a file.
  fs::path out = dir_ / "evidence.json";
  ASSERT_OK(
      RunProcessOk(Agent({"quote", "--nonce", nonce, "--pcrs", "0,7,15", "--out", out.string()}))
          .status());
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_OK_AND_ASSIGN(protocol::Evidence e, protocol::DecodeEvidence(text));
  EXPECT_EQ(e.pcrs.banks().begin()->second.size(), 3u);

  // Bad nonce: exit 3 with a message naming the flag.
  Result<testing::ProcessResult> bad = RunProcess(Agent({"quote", "--nonce", "xyz"}));
  ASSERT_OK(bad.status());
  EXPECT_EQ(bad->exit_code, 3);
  EXPECT_THAT(bad->stderr_text, HasSubstr("--nonce"));
}

TEST_F(AgentE2eTest, EccAkQuoteVerifies) {
  nlohmann::json init = RunJson({"init", "--ak-type", "ecc"});
  EXPECT_EQ(init["ak"]["type"], "ecc-p256");
  const std::string nonce = "a1a2a3a4a5a6a7a8";
  ASSERT_OK_AND_ASSIGN(testing::ProcessResult q, RunProcessOk(Agent({"quote", "--nonce", nonce})));
  ASSERT_OK_AND_ASSIGN(Bytes n, HexDecode(nonce));
  ExpectEvidenceVerifies(q.stdout_text, n);
}

TEST_F(AgentE2eTest, PullModeOverHttpsServesEvidenceAndRefusesBadRequests) {
  RunJson({"init"});
  MakeCert("server", "localhost", "test-ca");
  WriteConfig(
      "# test configuration\n"
      "tls_certificate = " +
      (dir_ / "server.crt").string() + "\n" +
      "tls_private_key = " + (dir_ / "server.key").string() + "\n" +
      "rate_limit = 100\nrate_burst = 100\nmax_request_bytes = 4096\n" + "label.region = test-1\n");
  std::string url = StartServe();
  ASSERT_THAT(url, HasSubstr("https://127.0.0.1:"));

  http::ClientOptions options;
  options.tls.ca_file = (dir_ / "test-ca.crt").string();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<http::HttpClient> client, http::MakeCpprestClient(options));

  const std::string nonce = "0102030405060708090a0b0c0d0e0f10";
  ASSERT_OK_AND_ASSIGN(http::Response ok, client->Send(url + "/v1/evidence",
                                                       PostJson(R"({"nonce":")" + nonce + "\"}")));
  ASSERT_EQ(ok.status, 200) << ok.body;
  ASSERT_OK_AND_ASSIGN(Bytes n, HexDecode(nonce));
  ExpectEvidenceVerifies(ok.body, n);
  ASSERT_OK_AND_ASSIGN(protocol::Evidence e, protocol::DecodeEvidence(ok.body));
  EXPECT_EQ(e.host.labels["region"], "test-1");

  struct Case {
    std::string body;
    int status;
    std::string message;
  };
  std::vector<Case> cases = {
      {R"({"nonce":"0102"})", 400, "nonce"},
      {R"({"nonce":)", 400, "JSON"},
      {R"({"nonce":"0102030405060708","pcrs":[0,31]})", 400, "pcrs"},
      {std::string(1 << 20, ' '), 413, ""},
  };
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(http::Response r, client->Send(url + "/v1/evidence", PostJson(c.body)));
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 60) << " -> " << r.body;
    EXPECT_THAT(r.body, HasSubstr("\"error\""));
    if (!c.message.empty()) EXPECT_THAT(r.body, HasSubstr(c.message));
  }
  http::Request get;
  get.method = "GET";
  ASSERT_OK_AND_ASSIGN(http::Response health, client->Send(url + "/v1/healthz", get));
  EXPECT_EQ(health.status, 200);
  ASSERT_OK_AND_ASSIGN(http::Response info, client->Send(url + "/v1/info", get));
  EXPECT_EQ(info.status, 200);
  EXPECT_THAT(info.body, HasSubstr("ek_certificate_sha256"));

  // Without the CA, the client refuses the server's certificate.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<http::HttpClient> untrusting,
                       http::MakeCpprestClient(http::ClientOptions{}));
  EXPECT_FALSE(untrusting->Send(url + "/v1/healthz", get).has_value());

  ASSERT_OK(serve_->Signal(SIGTERM));
  ASSERT_OK_AND_ASSIGN(int code, serve_->Wait(std::chrono::seconds(10)));
  EXPECT_EQ(code, 0) << serve_->Stderr();
  EXPECT_THAT(serve_->Stderr(), HasSubstr("SIGTERM"));
}

TEST_F(AgentE2eTest, ClientCertificatesRequiredWhenConfigured) {
  RunJson({"init"});
  MakeCert("server", "localhost", "test-ca");
  MakeCert("client", "verifier", "client-ca");
  MakeCert("stranger", "stranger", "other-ca");
  WriteConfig("tls_certificate = " + (dir_ / "server.crt").string() + "\n" +
              "tls_private_key = " + (dir_ / "server.key").string() + "\n" +
              "tls_client_ca = " + (dir_ / "client-ca.crt").string() + "\n");
  std::string url = StartServe();
  http::Request get;
  get.method = "GET";

  http::ClientOptions anonymous;
  anonymous.tls.ca_file = (dir_ / "test-ca.crt").string();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<http::HttpClient> a, http::MakeCpprestClient(anonymous));
  EXPECT_FALSE(a->Send(url + "/v1/healthz", get).has_value());

  http::ClientOptions stranger = anonymous;
  stranger.tls.certificate_file = (dir_ / "stranger.crt").string();
  stranger.tls.private_key_file = (dir_ / "stranger.key").string();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<http::HttpClient> s, http::MakeCpprestClient(stranger));
  EXPECT_FALSE(s->Send(url + "/v1/healthz", get).has_value());

  http::ClientOptions verifier = anonymous;
  verifier.tls.certificate_file = (dir_ / "client.crt").string();
  verifier.tls.private_key_file = (dir_ / "client.key").string();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<http::HttpClient> v, http::MakeCpprestClient(verifier));
  ASSERT_OK_AND_ASSIGN(http::Response r, v->Send(url + "/v1/healthz", get));
  EXPECT_EQ(r.status, 200);
  ASSERT_OK(serve_->Signal(SIGTERM));
  EXPECT_THAT(serve_->Wait(std::chrono::seconds(10)), testing::IsOkAndHolds(0));
}

TEST_F(AgentE2eTest, ServeRefusesPlainHttpOffLoopback) {
  RunJson({"init"});
  Result<testing::ProcessResult> r =
      RunProcess(Agent({"serve", "--listen", "0.0.0.0", "--port", "0"}));
  ASSERT_OK(r.status());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_THAT(r->stderr_text, HasSubstr("tls"));
}

// The verifier's side of the protocol, reduced to what this test needs: the
// real registrar (verifier/registrar) for enrollment, core's VerifyQuote for
// evidence.
class VerifierStandIn {
 public:
  // `trust_dir` holds the EK root CA; `intermediate` the CA that signs EK
  // certificates (PEM), which the verifier is configured with.
  VerifierStandIn(fs::path trust_dir, fs::path intermediate)
      : trust_dir_(std::move(trust_dir)), intermediate_(std::move(intermediate)) {}

  http::Response Handle(const http::Request& r) {
    std::lock_guard<std::mutex> lock(mu_);
    if (r.path == "/v1/enrollments") return Enroll(r);
    if (r.path == "/v1/enrollments/e-1/activate") return Activate(r);
    if (r.path == "/v1/hosts/h-1/challenges") {
      if (!enrolled_) return http::ErrorResponse(404, "not_found", "unknown host");
      protocol::Challenge c;
      c.nonce = Bytes(20, static_cast<uint8_t>(++challenges_));
      c.expires_at = "2030-01-01T00:00:00Z";
      nonce_ = c.nonce;
      return http::JsonResponse(*protocol::EncodeChallenge(c), 201);
    }
    if (r.path == "/v1/hosts/h-1/evidence") {
      Result<protocol::Evidence> e = protocol::DecodeEvidence(r.body);
      if (!e.has_value()) return http::ErrorResponse(e.error());
      Result<tpm::TpmPublic> ak = tpm::TpmPublic::DecodeTpm2b(ak_public_);
      tpm::QuoteEvidence q{e->quote_attest, e->quote_signature, e->pcrs};
      Result<tpm::QuoteVerification> v = tpm::VerifyQuote(*ak, q, nonce_);
      nonce_.clear();  // single use
      bool trusted = v.has_value() && v->verified.has_value() && e->ak_public == ak_public_;
      if (trusted) ++accepted_;
      const Bytes* pcr15 = e->pcrs.Get(HashAlg::kSha256, 15);
      if (pcr15 != nullptr) last_pcr15_ = *pcr15;
      return http::JsonResponse(std::string(R"({"verdict":")") +
                                (trusted ? "trusted" : "untrusted") + "\"}");
    }
    return http::ErrorResponse(404, "not_found", "no such endpoint");
  }

  int accepted() {
    std::lock_guard<std::mutex> lock(mu_);
    return accepted_;
  }
  Bytes last_pcr15() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_pcr15_;
  }
  bool enrolled() {
    std::lock_guard<std::mutex> lock(mu_);
    return enrolled_;
  }

 private:
  http::Response Enroll(const http::Request& r) {
    Result<protocol::EnrollmentRequest> req = protocol::DecodeEnrollmentRequest(r.body);
    if (!req.has_value()) return http::ErrorResponse(req.error());
    Result<crypto::CaStore> store = crypto::CaStore::LoadDirectory(trust_dir_);
    std::ifstream in(intermediate_);
    std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Result<std::vector<crypto::Certificate>> intermediates = crypto::Certificate::AllFromPem(pem);
    if (!store.has_value() || !intermediates.has_value()) {
      return http::ErrorResponse(500, "internal", "CA files");
    }
    verifier::RegistrarOptions options;
    options.ek_cas = &*store;
    options.intermediates = *intermediates;
    crypto::OpenSslRandom random;
    Result<verifier::StartedEnrollment> started =
        verifier::StartEnrollment(*req, "e-1", options, random, std::chrono::system_clock::now());
    if (!started.has_value()) return http::ErrorResponse(started.error());
    record_ = started->record;
    return http::JsonResponse(*protocol::EncodeEnrollmentChallenge(started->challenge), 201);
  }

  http::Response Activate(const http::Request& r) {
    Result<protocol::ActivationRequest> req = protocol::DecodeActivationRequest(r.body);
    if (!req.has_value()) return http::ErrorResponse(req.error());
    Status done = verifier::CompleteEnrollment(record_, *req, std::chrono::system_clock::now());
    if (!done.ok()) return http::ErrorResponse(done);
    record_.host_id = "h-1";
    ak_public_ = record_.ak_public;
    enrolled_ = true;
    return http::JsonResponse(*protocol::EncodeActivationResult({"h-1"}));
  }

  std::mutex mu_;
  fs::path trust_dir_, intermediate_;
  verifier::EnrollmentRecord record_;
  Bytes ak_public_, nonce_, last_pcr15_;
  bool enrolled_ = false;
  int challenges_ = 0;
  int accepted_ = 0;
};

TEST_F(AgentE2eTest, EnrollThenPushAgainstAVerifier) {
  RunJson({"init"});
  VerifierStandIn verifier(tpm_->TrustDir(), tpm_->IntermediateCertPath());
  NullLogger logger;
  http::ServerOptions options;
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<http::HttpServer> server,
      http::StartCpprestServer(
          options, [&verifier](const http::Request& r) { return verifier.Handle(r); }, logger));
  const std::string url = "http://127.0.0.1:" + std::to_string(server->BoundPort());

  // Not enrolled yet: push refuses with a clear message.
  Result<testing::ProcessResult> early = RunProcess(Agent({"push", "--once"}));
  ASSERT_OK(early.status());
  EXPECT_EQ(early->exit_code, 4);
  EXPECT_THAT(early->stderr_text, HasSubstr("not enrolled"));

  nlohmann::json enrolled = RunJson({"enroll", "--verifier", url});
  EXPECT_EQ(enrolled["host_id"], "h-1");
  EXPECT_TRUE(verifier.enrolled());
  nlohmann::json info = RunJson({"info"});
  EXPECT_EQ(info["host_id"], "h-1");

  ASSERT_OK_AND_ASSIGN(testing::ProcessResult once, RunProcessOk(Agent({"push", "--once"})));
  EXPECT_THAT(once.stdout_text, HasSubstr("trusted"));
  EXPECT_EQ(verifier.accepted(), 1);

  // A VM measurement between submissions shows in the next evidence.
  Bytes before = verifier.last_pcr15();
  ASSERT_OK(tpm_->RunTool({"tpm2_pcrextend", "15:sha256=" + std::string(64, 'a')}).status());
  ASSERT_OK(RunProcessOk(Agent({"push", "--once"})).status());
  EXPECT_EQ(verifier.accepted(), 2);
  EXPECT_NE(HexEncode(verifier.last_pcr15()), HexEncode(before));

  // Push loop: submits at once, then stops cleanly on SIGTERM.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BackgroundProcess> loop,
                       BackgroundProcess::Start(Agent({"push"}), dir_ / "logs"));
  ASSERT_OK(loop->WaitForStderr("evidence submitted", std::chrono::seconds(20)).status());
  ASSERT_OK(loop->Signal(SIGTERM));
  EXPECT_THAT(loop->Wait(std::chrono::seconds(10)), testing::IsOkAndHolds(0));
  EXPECT_GE(verifier.accepted(), 3);
  server->Stop();
}

TEST_F(AgentE2eTest, PushBacksOffWhileTheVerifierIsDown) {
  RunJson({"init"});
  // An enrollment pointing at a port nobody listens on.
  NullLogger logger;
  http::ServerOptions options;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<http::HttpServer> s,
                       http::StartCpprestServer(
                           options, [](const http::Request&) { return http::Response{}; }, logger));
  uint16_t dead_port = s->BoundPort();
  s->Stop();
  fs::path file = state_ / "enrollment.json";
  std::ofstream(file) << R"({"host_id":"h-1","verifier_url":"http://127.0.0.1:)" << dead_port
                      << R"(","enrolled_at":"2026-11-28T00:00:00Z","ak_name":"00")"
                      << "}";
  chmod(file.c_str(), 0600);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BackgroundProcess> loop,
                       BackgroundProcess::Start(Agent({"push"}), dir_ / "logs"));
  ASSERT_OK(loop->WaitForStderr("retrying in", std::chrono::seconds(20)).status());
  ASSERT_OK(loop->Signal(SIGTERM));
  EXPECT_THAT(loop->Wait(std::chrono::seconds(10)), testing::IsOkAndHolds(0));
}

}  // namespace
}  // namespace vouch
