// libFuzzer target: VerifierApi::Handle, the verifier's whole request
// decoding (routing, tokens, query parameters, If-Match, every JSON body),
// over a real SQLite store. Any crash, hang or sanitizer report is a bug.
// Properties checked beyond "no crash" (the target aborts otherwise): the
// status is 100-599; a JSON answer parses; an error answer is the error
// document {"error": {"code", "message"[, "field"]}} with a 4xx/5xx status;
// 204 has no body; no answer contains a token (inputs that carry one in
// their path, query or body are skipped, see LLVMFuzzerTestOneInput).
//
// Input: byte 0 picks a route of kRoutes (or, past the table, the path comes
// from the input), byte 1 the method, byte 2 flags (bit 0 reader token,
// bit 1 admin token, bit 2 a bad token, bit 3 an If-Match header taken from
// byte 3); then one line (up to '\n'): the query string, or "path?query" for
// a path from the input; the rest is the body.
//
// Made once per process: a store in a temporary directory (removed at exit)
// with one enrolled host whose AK is the real swtpm AK of the protocol
// fuzzer's seed evidence (so its quote signature verifies and appraisal runs
// further), an enrollment for that host's EK with another AK and a known
// proof, and a reference set. The store keeps what earlier inputs did.
// Seeds: tests/fuzz/seeds/verifier_api/ (one request per route).
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/base/logger.h"
#include "core/crypto/random.h"
#include "core/protocol/enrollment.h"
#include "core/protocol/evidence.h"
#include "core/tpm/public.h"
#include "verifier/api/api.h"
#include "verifier/config/auth.h"
#include "verifier/metrics/metrics.h"
#include "verifier/store/sqlite_store.h"

namespace {

using vouch::Bytes;
namespace v = vouch::verifier;

constexpr char kReaderToken[] = "vch_fuzz-reader-token-0123456789abcdefghijklmnop";
constexpr char kAdminToken[] = "vch_fuzz-admin-token-0123456789abcdefghijklmnopq";

// TPM2B_PUBLIC of the swtpm RSA AK in tests/fuzz/seeds/protocol/evidence-swtpm-rsa.json.
constexpr char kSwtpmAkPublic[] =
    "ARgAAQALAAUAcgAAABAAFAALCAAAAAAAAQDCHZWNikansSzxWimdTy74aN2ICzj6M63mhSAdFxYqle+sN9v1J8hQlgMS"
    "T+VRbrvK3l2X4YgwePrThoUplB/pn06Vk8K1YWZSlPGeBdszUKeFQAKkJZEE5DBVIuS9rGIQko/o/GtnkKZXYHLzykVU"
    "GQrEdQ93nfyakSvdCTE8Um2jHz4m15L2IctnZlU0O4La/ITNpMdjq800HpFLhYPEQI77s2nt1lW1srCe+L89apKngqj3"
    "bEJH0sU4K3cvx40i0MkLqmmDEoxWB3kaikzkcGbFgwxoCT2Wft5I3SrVhGh/uDrXsI3k/m6LDHOhEUUGiFs3JivRZDig"
    "Kuhoat/j";

constexpr const char* kRoutes[] = {
    "/v1/enrollments",
    "/v1/enrollments/e-fuzz/activate",
    "/v1/hosts/h-fuzz/challenges",
    "/v1/hosts/h-fuzz/evidence",
    "/v1/hosts",
    "/v1/hosts/h-fuzz",
    "/v1/hosts/h-fuzz/reports/latest",
    "/v1/hosts/h-fuzz/reports",
    "/v1/summary",
    "/v1/hosts/h-fuzz/agent-url",
    "/v1/hosts/h-fuzz/identity/approve",
    "/v1/reference-sets",
    "/v1/reference-sets/golden",
    "/v1/reference-sets/golden/entries",
    "/v1/reference-sets/golden/entries/r-1",
    "/v1/reference-sets/golden/import",
    "/v1/metrics",
    "/v1/healthz",
};
constexpr size_t kRouteCount = sizeof(kRoutes) / sizeof(kRoutes[0]);
constexpr const char* kMethods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", ""};
constexpr size_t kMethodCount = sizeof(kMethods) / sizeof(kMethods[0]);

[[noreturn]] void Die(const char* what, const vouch::http::Response& r) {
  std::fprintf(stderr, "verifier_api_fuzzer: %s (status %d): %.400s\n", what, r.status,
               r.body.c_str());
  std::abort();
}

void Require(const vouch::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "verifier_api_fuzzer setup: %s: %s\n", what, s.ToString().c_str());
    std::abort();
  }
}

class FixedClock final : public vouch::Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1'795'000'000));
  }
};

struct World {
  std::string dir;
  std::unique_ptr<v::Store> store;
  vouch::crypto::OpenSslRandom random;
  FixedClock clock;
  vouch::NullLogger logger;
  std::unique_ptr<v::TokenAuthenticator> tokens;
  v::Metrics metrics;
  std::unique_ptr<v::VerifierApi> api;

  ~World() {
    api.reset();
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

World* MakeWorld() {
  auto* w = new World();
  // Prefer memory-backed storage: the store fsyncs every write.
  std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  std::string tmpl = base + "/vouch_api_fuzz_XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  w->dir = tmpl;
  vouch::Result<std::unique_ptr<v::Store>> store = v::OpenSqliteStore(w->dir + "/verifier.db");
  Require(store.status(), "OpenSqliteStore");
  w->store = std::move(*store);

  vouch::Result<v::TokenEntry> reader =
      v::ParseTokenSpec("reader", "reader:" + v::HashToken(kReaderToken));
  vouch::Result<v::TokenEntry> admin =
      v::ParseTokenSpec("admin", "admin:" + v::HashToken(kAdminToken));
  Require(reader.status(), "reader token");
  Require(admin.status(), "admin token");
  w->tokens = std::make_unique<v::TokenAuthenticator>(std::vector<v::TokenEntry>{*reader, *admin});

  // The host, enrolled with the swtpm AK.
  vouch::Result<Bytes> ak = vouch::Base64Decode(kSwtpmAkPublic);
  Require(ak.status(), "AK base64");
  vouch::Result<vouch::tpm::TpmPublic> pub = vouch::tpm::TpmPublic::DecodeTpm2b(*ak);
  Require(pub.status(), "AK public");
  const Bytes ek = {'f', 'u', 'z', 'z', '-', 'e', 'k'};
  v::EnrollmentRecord first;
  first.id = "e-first";
  first.ek_public = ek;
  first.ak_public = *ak;
  first.ak_name = pub->name();
  first.secret_digest = Bytes(32, 1);
  first.host_facts_json = R"({"hostname":"swtpm-test","agent_version":"0.0.0-test"})";
  first.created_at = w->clock.Now();
  first.expires_at = w->clock.Now() + std::chrono::hours(1);
  Require(w->store->CreateEnrollment(first), "CreateEnrollment");
  v::HostRecord host;
  host.host_id = "h-fuzz";
  host.hostname = "swtpm-test";
  host.ek_public = ek;
  host.ak_public = *ak;
  host.ak_name = pub->name();
  host.host_facts_json = first.host_facts_json;
  host.enrolled_at = w->clock.Now();
  Require(w->store->ActivateEnrollment(first.id, host, false), "ActivateEnrollment");

  // An enrollment with the same EK and another AK name: activating it with
  // proof 32 x 0x5a (the seed's) flags an identity change.
  v::EnrollmentRecord second = first;
  second.id = "e-fuzz";
  second.ak_name = Bytes(34, 0x0b);
  second.secret_digest = Bytes(32, 0x5a);
  Require(w->store->CreateEnrollment(second), "CreateEnrollment 2");

  v::ApiOptions options;
  options.max_request_bytes = size_t{64} << 10;
  options.max_evidence_bytes = size_t{256} << 10;
  w->api = std::make_unique<v::VerifierApi>(
      v::ApiDeps{*w->store, w->random, w->clock, w->logger, w->tokens.get(), &w->metrics, nullptr},
      options);

  vouch::http::Request put;
  put.method = "PUT";
  put.path = "/v1/reference-sets/golden";
  put.headers["authorization"] = std::string("Bearer ") + kAdminToken;
  put.body = R"({"name":"golden","entries":[{"id":"r-1","kind":"platform","name":"fw",)"
             R"("digests":{"sha256":")" +
             std::string(64, 'a') + R"("}}]})";
  vouch::http::Response r = w->api->Handle(put);
  if (r.status != 201 && r.status != 500) Die("seeding the reference set", r);
  return w;
}

World& TheWorld() {
  static World* world = [] {
    World* w = MakeWorld();
    std::atexit([] { delete &TheWorld(); });
    return w;
  }();
  return *world;
}

void CheckResponse(const vouch::http::Response& r) {
  if (r.status < 100 || r.status > 599) Die("status out of range", r);
  // Inputs never carry a token outside the Authorization header (see
  // LLVMFuzzerTestOneInput), so any token in an answer is a leak.
  for (const char* token : {kReaderToken, kAdminToken}) {
    if (r.body.find(token) != std::string::npos) Die("token in the answer", r);
  }
  auto type = r.headers.find("content-type");
  const bool json = type == r.headers.end() || type->second == "application/json";
  if (r.status == 204) {
    if (!r.body.empty()) Die("204 with a body", r);
    return;
  }
  if (!json) {
    if (r.status != 200) Die("non-JSON error", r);
    return;
  }
  nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) Die("answer is not JSON", r);
  if (r.status >= 400) {
    if (!doc.is_object() || doc.size() != 1 || !doc.contains("error") ||
        !doc["error"].is_object()) {
      Die("malformed error document", r);
    }
    const nlohmann::json& e = doc["error"];
    if (!e.contains("code") || !e["code"].is_string() || e["code"].get<std::string>().empty() ||
        !e.contains("message") || !e["message"].is_string()) {
      Die("error without code or message", r);
    }
    for (const auto& [key, value] : e.items()) {
      if (key != "code" && key != "message" && key != "field") Die("unknown error member", r);
      if (key == "field" && (!value.is_string() || value.get<std::string>().empty())) {
        Die("bad error field", r);
      }
    }
  } else if (r.status < 200 || r.status >= 300) {
    Die("unexpected status class", r);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = TheWorld();
  if (size < 3) return 0;
  const uint8_t route = data[0];
  const uint8_t method = data[1];
  const uint8_t flags = data[2];
  std::string_view rest(reinterpret_cast<const char*>(data) + 3, size - 3);
  uint8_t if_match = 0;
  if ((flags & 8) != 0 && !rest.empty()) {
    if_match = static_cast<uint8_t>(rest[0]);
    rest.remove_prefix(1);
  }
  size_t newline = rest.find('\n');
  std::string_view line = newline == std::string_view::npos ? rest : rest.substr(0, newline);
  std::string_view body = newline == std::string_view::npos ? "" : rest.substr(newline + 1);

  vouch::http::Request request;
  request.method = kMethods[method % kMethodCount];
  if (route % (kRouteCount + 1) < kRouteCount) {
    request.path = kRoutes[route % (kRouteCount + 1)];
    request.query = std::string(line);
  } else {
    size_t q = line.find('?');
    request.path = std::string(line.substr(0, q));
    if (q != std::string_view::npos) request.query = std::string(line.substr(q + 1));
  }
  if ((flags & 1) != 0) request.headers["authorization"] = std::string("Bearer ") + kReaderToken;
  if ((flags & 2) != 0) request.headers["authorization"] = std::string("Bearer ") + kAdminToken;
  if ((flags & 4) != 0) request.headers["authorization"] = "Bearer " + std::string(line);
  if ((flags & 8) != 0) request.headers["if-match"] = std::to_string(if_match % 8);
  request.body = std::string(body);
  // The store keeps what inputs write (an agent URL, a reference set), so a
  // token one input writes would come back in another input's answer and
  // look like a leak. Inputs carrying a token in their path, query or body
  // are not run: any token in an answer then comes from an Authorization
  // header, which is the leak the check looks for.
  for (const char* token : {kReaderToken, kAdminToken}) {
    if (request.path.find(token) != std::string::npos ||
        request.query.find(token) != std::string::npos ||
        request.body.find(token) != std::string::npos) {
      return 0;
    }
  }
  request.remote_address = "127.0.0.1";
  CheckResponse(w.api->Handle(request));
  return 0;
}
