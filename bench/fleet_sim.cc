// Fleet simulator: N software hosts attesting to one verifier over HTTP.
//
// Hosts: one vouch::testing::FakeTpmDevice per simulated host (its own
// software NIST P-256 AK; quotes are real marshaled TPMS_ATTEST structures
// signed ECDSA-SHA256), whose PCRs hold what a real firmware log from the
// fixtures replays to. Evidence is assembled by the agent's own
// agent::EvidenceCollector (PCRs 0-23 of sha1 and sha256, the SRTM log, host
// facts) and encoded with protocol::EncodeEvidence, so every submission makes
// the verifier do its real work: decode, nonce check, quote signature and PCR
// digest, log parse and replay, reference matching, a persisted report.
//
// Verifier: verifier::VerifierApi in this process over a fresh SQLite store
// (OpenSqliteStore in a temporary directory), served by core/http's
// cpprestsdk server on 127.0.0.1 (plain HTTP, a free port). Hosts are
// enrolled directly in the store (CreateEnrollment + ActivateEnrollment with
// each host's AK): a software host cannot answer the MakeCredential
// challenge cheaply, so the registrar's EK exchange is not part of the run.
// The platform reference values are imported once (ImportPlatformReferences
// on one host's evidence) and stored as a reference set; every host boots
// the same firmware, so every host should come out trusted (checked on a
// sample before timing).
//
// Clients: one core/http cpprestsdk client per worker thread (a new loopback
// connection per request, as the client does). Client and server share this
// process and the machine's cores: the client's quote signing and evidence
// encoding are measured on their own and printed, so the share they take is
// visible.
//
// Measurements, printed as ratios against baselines from the same run:
//  1. Closed-loop throughput with --workers workers: full attestations/s
//     (POST challenge, quote, POST evidence -> persisted report) vs the same
//     server's GET /v1/healthz requests/s, alternating rounds (target >=
//     0.5x). A single-thread in-process breakdown follows (client evidence,
//     verifier submission path without HTTP, store writes alone).
//  2. In-process AppraiseEvidence on pre-built evidence vs raw OpenSSL
//     ECDSA P-256 EVP_DigestVerify over a message of the quote's size, single
//     thread (bench/ratio.h; target rate ratio >= 0.5x).
//  3. Open-loop fleet latency: arrivals at --hosts / --interval per second
//     (10,000 hosts every 60 s = 166.7/s; Poisson, or evenly spaced with
//     --even) for --duration seconds; latency from the scheduled arrival to
//     the report (so queueing in the generator counts); p50/p99/max (target
//     p99 <= 50 ms).
//
// Usage: fleet_sim [--hosts N] [--duration S] [--workers W]
//                  [--fleet-workers W] [--interval S] [--rate R] [--even]
//                  [--rounds N] [--round-seconds S] [--log FIXTURE] [--db-dir DIR]
//                  [--quick]
// --db-dir: where the run's SQLite database is made (a new directory inside
// it; default the system's temporary directory). When /dev/shm exists, the hosts
// are enrolled on /dev/shm and the file copied (see main), and the store
// write probe also runs on that tmpfs copy to show what fsync costs.
// Fixtures: VOUCH_FIXTURES_DIR or the build's default (../shared/fixtures).
// Exit status: 0 when every attestation succeeded (whatever the ratios),
// 1 when some failed, 2 on a setup error.
#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "agent/evidence_collector.h"
#include "bench/ratio.h"
#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/base/logger.h"
#include "core/base/status.h"
#include "core/crypto/random.h"
#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"
#include "core/http/cpprest_http.h"
#include "core/http/http.h"
#include "core/protocol/enrollment.h"
#include "core/protocol/evidence.h"
#include "core/tpm/public.h"
#include "core/tpm/quote.h"
#include "policy/model/reference.h"
#include "tests/testing/fake_tpm_device.h"
#include "verifier/api/api.h"
#include "verifier/core/appraisal.h"
#include "verifier/store/sqlite_store.h"
#include "verifier/store/store.h"

namespace {

using vouch::Bytes;
using vouch::ByteView;
using vouch::Result;
using vouch::Status;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::duration<double, std::milli>;

constexpr char kReferenceSetName[] = "fleet-sim-platform";

struct Flags {
  size_t hosts = 10000;
  double duration_s = 20;
  size_t workers = 8;         // closed-loop throughput phase
  size_t fleet_workers = 64;  // open-loop phase (concurrent attestations at most)
  double interval_s = 60;
  std::optional<double> rate;  // arrivals/s; default hosts / interval
  bool even = false;
  int rounds = 2;
  double round_s = 3;
  double breakdown_s = 1.5;
  int ratio_rounds = 15;
  double ratio_round_ms = 40;
  std::string log = "tpm2tss__binary_measurements_pc_client.bin";
  std::filesystem::path db_dir;  // where the run's database lives; default: a temp dir
  bool quick = false;
};

// Exits at once: std::exit would run cpprestsdk's static destructors, which
// wait forever for a server or client still running on another thread.
[[noreturn]] void Die(const std::string& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "fleet_sim: %s\n", what.c_str());
  std::_Exit(2);
}

template <typename T>
T Check(Result<T> r, const std::string& what) {
  if (!r.has_value()) Die(what + ": " + r.error().ToString());
  return std::move(r).value();
}

void CheckOk(const Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.ToString());
}

void Usage() {
  std::fprintf(stderr,
               "usage: fleet_sim [--hosts N] [--duration S] [--workers W] [--fleet-workers W]\n"
               "                 [--interval S] [--rate R] [--even] [--rounds N]\n"
               "                 [--round-seconds S] [--log FIXTURE] [--db-dir DIR] [--quick]\n");
  std::exit(2);
}

double ParseNumber(const char* text, const char* flag, double min) {
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || !std::isfinite(v) || v < min) {
    Die(std::string(flag) + ": expected a number >= " + std::to_string(min) + ", got '" + text +
        "'");
  }
  return v;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  // --quick first, so explicit flags override its numbers wherever they are.
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--quick") {
      f.quick = true;
      f.hosts = 200;
      f.duration_s = 3;
      f.workers = 4;
      f.fleet_workers = 16;
      f.rate = 10000.0 / 60.0;  // a 10,000-host fleet's arrival rate over 200 hosts
      f.rounds = 1;
      f.round_s = 1;
      f.breakdown_s = 0.4;
      f.ratio_rounds = 5;
      f.ratio_round_ms = 20;
    }
  }
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (a == "--quick") continue;
    if (a == "--hosts") {
      f.hosts = static_cast<size_t>(ParseNumber(value(), "--hosts", 1));
    } else if (a == "--duration") {
      f.duration_s = ParseNumber(value(), "--duration", 0.1);
    } else if (a == "--workers") {
      f.workers = static_cast<size_t>(ParseNumber(value(), "--workers", 1));
    } else if (a == "--fleet-workers") {
      f.fleet_workers = static_cast<size_t>(ParseNumber(value(), "--fleet-workers", 1));
    } else if (a == "--interval") {
      f.interval_s = ParseNumber(value(), "--interval", 0.001);
      f.rate.reset();
    } else if (a == "--rate") {
      f.rate = ParseNumber(value(), "--rate", 0.001);
    } else if (a == "--even") {
      f.even = true;
    } else if (a == "--rounds") {
      f.rounds = static_cast<int>(ParseNumber(value(), "--rounds", 1));
    } else if (a == "--round-seconds") {
      f.round_s = ParseNumber(value(), "--round-seconds", 0.1);
    } else if (a == "--log") {
      f.log = value();
    } else if (a == "--db-dir") {
      f.db_dir = value();
    } else {
      Usage();
    }
  }
  return f;
}

std::filesystem::path FixturesRoot() {
  if (const char* env = std::getenv("VOUCH_FIXTURES_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return VOUCH_DEFAULT_FIXTURES_DIR;
}

Bytes ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path.string());
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A new directory `prefix`XXXXXX under `parent` (the system's temporary
// directory when empty).
std::filesystem::path MakeTempDir(const std::filesystem::path& parent, const std::string& prefix) {
  std::string path =
      ((parent.empty() ? std::filesystem::temp_directory_path() : parent) / (prefix + "XXXXXX"))
          .string();
  if (::mkdtemp(path.data()) == nullptr) Die("mkdtemp " + path + " failed");
  return path;
}

// "60", "0.5": a number without trailing zeros.
std::string FormatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Process CPU time (user + system, all threads), for the share of the
// machine a phase used.
double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

// ---------------------------------------------------------------------------
// Simulated hosts.

// The SRTM log from memory (shared by every host; reads only).
class MemoryLogSource final : public vouch::agent::EventLogSource {
 public:
  explicit MemoryLogSource(std::shared_ptr<const Bytes> srtm) : srtm_(std::move(srtm)) {}
  Result<std::unique_ptr<Guard>> LockWriters() override { return std::make_unique<Guard>(); }
  Result<std::optional<Bytes>> Read(vouch::agent::LogKind kind) override {
    if (kind != vouch::agent::LogKind::kSrtm) return std::optional<Bytes>();
    return std::optional<Bytes>(*srtm_);
  }

 private:
  std::shared_ptr<const Bytes> srtm_;
};

class FixedFacts final : public vouch::agent::HostFactsSource {
 public:
  explicit FixedFacts(const vouch::protocol::HostFacts& facts) : facts_(facts) {}
  vouch::protocol::HostFacts Facts() override { return facts_; }

 private:
  const vouch::protocol::HostFacts& facts_;
};

struct SimHost {
  std::string id;
  vouch::protocol::HostFacts facts;
  vouch::testing::FakeTpmDevice tpm;
  vouch::tpm_device::TpmObject ak;
  Bytes ek_public;
  Bytes ak_name;
  std::mutex mu;  // a TpmDevice is not thread-safe
};

class Fleet {
 public:
  Fleet(std::shared_ptr<const Bytes> srtm, const vouch::tpm::PcrValues& pcrs)
      : srtm_(std::move(srtm)), pcrs_(pcrs) {}

  void AddHost(size_t index) {
    auto host = std::make_unique<SimHost>();
    char id[32];
    std::snprintf(id, sizeof(id), "sim-%06zu", index);
    host->id = id;
    host->facts.hostname = host->id + ".fleet.example";
    host->facts.agent_version = "fleet-sim";
    host->facts.hypervisor = vouch::protocol::HypervisorKind::kNone;
    host->facts.measured_launch = vouch::protocol::MeasuredLaunch::kNone;
    for (const auto& [bank, values] : pcrs_.banks()) {
      for (const auto& [pcr, value] : values) host->tpm.SetPcrForTest(bank, pcr, value);
    }
    vouch::tpm_device::TpmObject ek =
        Check(host->tpm.LoadEk(vouch::tpm_device::EkKind::kEcc), "LoadEk");
    vouch::tpm_device::AkBlob blob =
        Check(host->tpm.CreateAk(ek, vouch::tpm_device::AkKind::kEccP256), "CreateAk");
    host->ak = Check(host->tpm.LoadAk(ek, blob), "LoadAk");
    host->ek_public = ek.public_area();
    host->ak_name =
        Check(vouch::tpm::TpmPublic::DecodeTpm2b(host->ak.public_area()), "AK public").name();
    hosts_.push_back(std::move(host));
  }

  size_t size() const { return hosts_.size(); }
  SimHost& host(size_t i) { return *hosts_[i % hosts_.size()]; }

  // The host's evidence over `nonce` (the agent's collector on its fake TPM).
  Result<vouch::protocol::Evidence> Collect(SimHost& host, ByteView nonce) {
    std::lock_guard<std::mutex> lock(host.mu);
    MemoryLogSource logs(srtm_);
    FixedFacts facts(host.facts);
    vouch::agent::EvidenceCollector collector(host.tpm, host.ak, logs, facts);
    return collector.Collect(nonce, {});
  }

  Result<std::string> CollectJson(SimHost& host, ByteView nonce) {
    VOUCH_ASSIGN_OR_RETURN(vouch::protocol::Evidence evidence, Collect(host, nonce));
    return vouch::protocol::EncodeEvidence(evidence);
  }

 private:
  std::shared_ptr<const Bytes> srtm_;
  vouch::tpm::PcrValues pcrs_;
  std::vector<std::unique_ptr<SimHost>> hosts_;
};

// Enrolls `host` directly in the store (what a completed enrollment leaves).
Status Seed(vouch::verifier::Store& store, const SimHost& host,
            std::chrono::system_clock::time_point now) {
  VOUCH_ASSIGN_OR_RETURN(std::string facts_json, vouch::protocol::EncodeHostFactsJson(host.facts));
  vouch::verifier::EnrollmentRecord e;
  e.id = "enr-" + host.id;
  e.ek_public = host.ek_public;
  e.ak_public = host.ak.public_area();
  e.ak_name = host.ak_name;
  e.secret_digest = Bytes(32, 0);
  e.host_facts_json = facts_json;
  e.created_at = now;
  e.expires_at = now + std::chrono::minutes(10);
  VOUCH_RETURN_IF_ERROR(store.CreateEnrollment(e));
  vouch::verifier::HostRecord h;
  h.host_id = host.id;
  h.hostname = host.facts.hostname;
  h.ek_public = host.ek_public;
  h.ak_public = host.ak.public_area();
  h.ak_name = host.ak_name;
  h.host_facts_json = facts_json;
  h.enrolled_at = now;
  return store.ActivateEnrollment(e.id, h, /*replace=*/false);
}

// ---------------------------------------------------------------------------
// HTTP attestation.

struct AttestTiming {
  Clock::time_point start, challenged, done;
};

Result<vouch::http::Response> Post(vouch::http::HttpClient& client, const std::string& url,
                                   std::string body) {
  vouch::http::Request request;
  request.method = "POST";
  request.headers["content-type"] = "application/json";
  request.headers["accept"] = "application/json";
  request.body = std::move(body);
  return client.Send(url, request);
}

Status ExpectStatus(const vouch::http::Response& r, int status, const std::string& what) {
  if (r.status == status) return Status();
  return vouch::InternalError(what + ": HTTP " + std::to_string(r.status) + " " +
                              r.body.substr(0, 300));
}

// One full attestation of `host`: challenge, quote, evidence -> report body.
Result<std::string> Attest(vouch::http::HttpClient& client, const std::string& base, Fleet& fleet,
                           SimHost& host, AttestTiming* timing) {
  const std::string url = base + "/v1/hosts/" + host.id;
  timing->start = Clock::now();
  VOUCH_ASSIGN_OR_RETURN(vouch::http::Response challenge, Post(client, url + "/challenges", "{}"));
  VOUCH_RETURN_IF_ERROR(ExpectStatus(challenge, 201, "challenge"));
  timing->challenged = Clock::now();
  VOUCH_ASSIGN_OR_RETURN(vouch::protocol::Challenge c,
                         vouch::protocol::DecodeChallenge(challenge.body));
  VOUCH_ASSIGN_OR_RETURN(std::string evidence, fleet.CollectJson(host, c.nonce));
  VOUCH_ASSIGN_OR_RETURN(vouch::http::Response report,
                         Post(client, url + "/evidence", std::move(evidence)));
  timing->done = Clock::now();
  VOUCH_RETURN_IF_ERROR(ExpectStatus(report, 200, "evidence"));
  return std::move(report.body);
}

Status Healthz(vouch::http::HttpClient& client, const std::string& base) {
  vouch::http::Request request;
  request.method = "GET";
  VOUCH_ASSIGN_OR_RETURN(vouch::http::Response r, client.Send(base + "/v1/healthz", request));
  return ExpectStatus(r, 200, "healthz");
}

struct LoopStats {
  uint64_t ok = 0;
  uint64_t errors = 0;
  double seconds = 0;
  std::string first_error;
  double rate() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

// Every client in its own thread calls `op` back to back for `seconds`.
LoopStats RunClosedLoop(
    std::vector<std::unique_ptr<vouch::http::HttpClient>>& clients, size_t workers, double seconds,
    const std::function<Status(vouch::http::HttpClient&, size_t, uint64_t)>& op) {
  std::atomic<uint64_t> ok{0}, errors{0};
  std::mutex mu;
  std::string first_error;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      for (uint64_t i = 0; Clock::now() < deadline; ++i) {
        Status s = op(*clients[w], w, i);
        if (s.ok()) {
          ok.fetch_add(1, std::memory_order_relaxed);
        } else {
          errors.fetch_add(1, std::memory_order_relaxed);
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.empty()) first_error = s.ToString();
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  LoopStats stats;
  stats.ok = ok.load();
  stats.errors = errors.load();
  stats.seconds = Seconds(Clock::now() - start);
  stats.first_error = first_error;
  return stats;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::string VerdictOf(const std::string& report_json, std::string* findings) {
  nlohmann::json j = nlohmann::json::parse(report_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("verdict") || !j["verdict"].is_string()) {
    return "(no verdict in report)";
  }
  if (findings != nullptr && j.contains("findings") && j["findings"].is_array()) {
    for (const auto& f : j["findings"]) {
      if (!f.is_object() || !f.contains("id") || !f["id"].is_string()) continue;
      if (!findings->empty()) *findings += ", ";
      *findings += f["id"].get<std::string>();
    }
  }
  return j["verdict"].get<std::string>();
}

// ---------------------------------------------------------------------------
// Raw OpenSSL baseline: ECDSA P-256 SHA-256 verify of a message of the
// quote's size with an already-parsed key (what the quote check cannot do
// with less).

class RawVerify {
 public:
  explicit RawVerify(size_t message_size) : message_(message_size, 0x5a) {
    key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    if (key_ == nullptr) Die("EVP_PKEY_Q_keygen failed");
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_) != 1 ||
        EVP_DigestSign(ctx, nullptr, &len, message_.data(), message_.size()) != 1) {
      Die("EVP_DigestSign failed");
    }
    signature_.resize(len);
    if (EVP_DigestSign(ctx, signature_.data(), &len, message_.data(), message_.size()) != 1) {
      Die("EVP_DigestSign failed");
    }
    signature_.resize(len);
    EVP_MD_CTX_free(ctx);
  }
  ~RawVerify() { EVP_PKEY_free(key_); }
  RawVerify(const RawVerify&) = delete;
  RawVerify& operator=(const RawVerify&) = delete;

  void Verify() const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key_) != 1 ||
        EVP_DigestVerify(ctx, signature_.data(), signature_.size(), message_.data(),
                         message_.size()) != 1) {
      Die("EVP_DigestVerify failed");
    }
    EVP_MD_CTX_free(ctx);
  }

 private:
  Bytes message_;
  Bytes signature_;
  EVP_PKEY* key_ = nullptr;
};

// ---------------------------------------------------------------------------

// The store's writes of one attestation alone, µs each: the nonce put and
// take and the report (with the evidence kept as latest), each its own
// fsync'ed transaction. `tag` keeps the probe's nonces apart from others.
double StoreWritesUs(vouch::verifier::Store& store, Fleet& fleet, size_t evidence_size,
                     double seconds, uint8_t tag) {
  double total_s = 0;
  uint64_t n = 0;
  const Clock::time_point end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                   std::chrono::duration<double>(seconds));
  while (Clock::now() < end) {
    SimHost& host = fleet.host(n * 104729 + 3);
    vouch::verifier::NonceRecord nonce;
    nonce.nonce = Bytes(32, 0);
    for (size_t b = 0; b < 8; ++b) nonce.nonce[b] = static_cast<uint8_t>((n + 1) >> (8 * b));
    nonce.nonce[8] = tag;
    nonce.host_id = host.id;
    nonce.expires_at = std::chrono::system_clock::now() + std::chrono::minutes(2);
    vouch::verifier::ReportRecord report;
    report.host_id = host.id;
    report.appraised_at = std::chrono::system_clock::now();
    report.verdict = "unknown";
    report.report_json = R"({"verdict":"unknown","findings":[],"probe":"store"})";
    report.evidence_json = std::string(evidence_size, 'e');
    const Clock::time_point t0 = Clock::now();
    CheckOk(store.PutNonce(nonce), "PutNonce");
    Check(store.TakeNonce(host.id, nonce.nonce), "TakeNonce");
    Check(store.AddReport(report), "AddReport");
    total_s += Seconds(Clock::now() - t0);
    ++n;
  }
  return 1e6 * total_s / static_cast<double>(std::max<uint64_t>(n, 1));
}

struct Env {
  Flags flags;
  Fleet* fleet = nullptr;
  vouch::verifier::Store* store = nullptr;
  vouch::verifier::Store* tmpfs_store = nullptr;  // the seeded copy on tmpfs, if any
  vouch::verifier::VerifierApi* api = nullptr;
  std::string base;
  std::vector<std::unique_ptr<vouch::http::HttpClient>> clients;
  uint64_t failures = 0;
};

void PhaseThroughput(Env& env) {
  const Flags& f = env.flags;
  Fleet& fleet = *env.fleet;
  std::printf(
      "\n1. Throughput over loopback HTTP (closed loop, %zu workers, %d round(s) of %.1f s "
      "each, alternating)\n",
      f.workers, f.rounds, f.round_s);
  auto trivial = [&](vouch::http::HttpClient& c, size_t, uint64_t) { return Healthz(c, env.base); };
  auto full = [&](vouch::http::HttpClient& c, size_t w, uint64_t i) -> Status {
    AttestTiming t;
    SimHost& host = fleet.host(w + i * f.workers);
    return Attest(c, env.base, fleet, host, &t).status();
  };
  LoopStats healthz_total, full_total;
  double cpu_full = 0, wall_full = 0;
  for (int r = 0; r < f.rounds; ++r) {
    std::fprintf(stderr, "fleet_sim: throughput round %d/%d\n", r + 1, f.rounds);
    LoopStats h = RunClosedLoop(env.clients, f.workers, f.round_s, trivial);
    const double cpu0 = ProcessCpuSeconds();
    LoopStats a = RunClosedLoop(env.clients, f.workers, f.round_s, full);
    cpu_full += ProcessCpuSeconds() - cpu0;
    wall_full += a.seconds;
    for (auto [total, one] : {std::pair{&healthz_total, &h}, std::pair{&full_total, &a}}) {
      total->ok += one->ok;
      total->errors += one->errors;
      total->seconds += one->seconds;
      if (total->first_error.empty()) total->first_error = one->first_error;
    }
  }
  env.failures += healthz_total.errors + full_total.errors;
  const double ratio = full_total.rate() / std::max(healthz_total.rate(), 1e-9);
  std::printf("   trivial GET /v1/healthz     %9.0f requests/s   (%llu, %llu errors)\n",
              healthz_total.rate(), static_cast<unsigned long long>(healthz_total.ok),
              static_cast<unsigned long long>(healthz_total.errors));
  std::printf(
      "   full attestation            %9.0f attestations/s (%llu, %llu errors; 2 requests "
      "each)\n",
      full_total.rate(), static_cast<unsigned long long>(full_total.ok),
      static_cast<unsigned long long>(full_total.errors));
  std::printf("   ratio full / trivial        %9.3fx  (target >= 0.5x: %s)\n", ratio,
              ratio >= 0.5 ? "met" : "NOT met");
  std::printf(
      "   process CPU during the full rounds: %.0f%% of one core (client and server "
      "together, %u cores)\n",
      100 * cpu_full / std::max(wall_full, 1e-9), std::thread::hardware_concurrency());
  if (!healthz_total.first_error.empty()) {
    std::printf("   first healthz error: %s\n", healthz_total.first_error.c_str());
  }
  if (!full_total.first_error.empty()) {
    std::printf("   first attestation error: %s\n", full_total.first_error.c_str());
  }

  // Where a full attestation's time goes, single thread, no HTTP.
  std::fprintf(stderr, "fleet_sim: in-process breakdown\n");
  double client_s = 0, verifier_s = 0;
  uint64_t n = 0;
  const Clock::time_point end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                   std::chrono::duration<double>(f.breakdown_s));
  uint64_t breakdown_failures = 0;
  while (Clock::now() < end) {
    SimHost& host = fleet.host(n * 7919 + 1);
    const Clock::time_point t0 = Clock::now();
    Result<Bytes> nonce = env.api->IssueNonce(host.id);
    const Clock::time_point t1 = Clock::now();
    Result<std::string> json =
        nonce ? fleet.CollectJson(host, *nonce) : Result<std::string>(nonce.error());
    const Clock::time_point t2 = Clock::now();
    Result<vouch::verifier::Submission> sub =
        json ? env.api->SubmitEvidence(host.id, *json)
             : Result<vouch::verifier::Submission>(json.error());
    const Clock::time_point t3 = Clock::now();
    if (!sub) ++breakdown_failures;
    client_s += Seconds(t2 - t1);
    verifier_s += Seconds(t1 - t0) + Seconds(t3 - t2);
    ++n;
  }
  env.failures += breakdown_failures;

  const size_t evidence_size =
      Check(fleet.CollectJson(fleet.host(0), Bytes(32, 1)), "evidence for the store probe").size();
  const double store_us = StoreWritesUs(*env.store, fleet, evidence_size, f.breakdown_s, 0xe1);
  const double tmpfs_us =
      env.tmpfs_store != nullptr
          ? StoreWritesUs(*env.tmpfs_store, fleet, evidence_size, f.breakdown_s, 0xe2)
          : 0;
  const double client_us = 1e6 * client_s / static_cast<double>(std::max<uint64_t>(n, 1));
  const double verifier_us = 1e6 * verifier_s / static_cast<double>(std::max<uint64_t>(n, 1));
  const double http_us = 1e6 / std::max(full_total.rate(), 1e-9);
  std::printf("   breakdown, single thread in process (no HTTP), per attestation:\n");
  std::printf("     client: quote + evidence encoding (%zu-byte document)  %8.0f us\n",
              evidence_size, client_us);
  std::printf(
      "     verifier: IssueNonce + SubmitEvidence                   %8.0f us  "
      "(%.0f/s on one thread; %llu failed)\n",
      verifier_us, 1e6 / std::max(verifier_us, 1e-9),
      static_cast<unsigned long long>(breakdown_failures));
  std::printf(
      "       of which the store writes alone (nonce put, nonce take, report +\n"
      "       evidence; one fdatasync, for the report: nonce writes ride on it; calls serialize)\n"
      "                                                            %8.0f us\n",
      store_us);
  if (env.tmpfs_store != nullptr) {
    std::printf(
        "       the same writes on a tmpfs copy of the database (no fsync cost)\n"
        "                                                            %8.0f us\n",
        tmpfs_us);
  }
  std::printf(
      "     over HTTP with %zu workers: one attestation per          %8.0f us of wall "
      "time\n",
      f.workers, http_us);
}

void PhaseAppraisal(Env& env, const vouch::verifier::ReferenceSet& refs) {
  const Flags& f = env.flags;
  std::printf(
      "\n2. Appraisal in process vs raw OpenSSL verify (single thread, median of %d "
      "rounds)\n",
      f.ratio_rounds);
  SimHost& host = env.fleet->host(0);
  const Bytes nonce(32, 0x42);
  vouch::protocol::Evidence evidence = Check(env.fleet->Collect(host, nonce), "evidence");
  const std::string json = Check(vouch::protocol::EncodeEvidence(evidence), "EncodeEvidence");
  vouch::verifier::EnrolledHost enrolled;
  enrolled.host_id = host.id;
  enrolled.ak_public = host.ak.public_area();
  // As the verifier does: its API keeps each enrolled AK decoded.
  enrolled.ak_decoded = std::make_shared<const vouch::tpm::TpmPublic>(
      Check(vouch::tpm::TpmPublic::DecodeTpm2b(enrolled.ak_public), "AK"));
  const auto now = std::chrono::system_clock::now();
  const std::optional<vouch::verifier::IssuedNonce> issued =
      vouch::verifier::IssuedNonce{nonce, now + std::chrono::hours(1), false};
  const vouch::verifier::HostPolicy policy;
  vouch::verifier::AppraisalResult first = Check(
      vouch::verifier::AppraiseEvidence(evidence, enrolled, issued, refs, policy, now), "appraise");
  std::printf("   evidence: quote %zu bytes, SRTM log %zu bytes, %zu PCR banks; verdict %s\n",
              evidence.quote_attest.size(), evidence.srtm_log ? evidence.srtm_log->size() : 0,
              evidence.pcrs.banks().size(),
              std::string(vouch::verifier::VerdictName(first.verdict)).c_str());

  RawVerify raw(evidence.quote_attest.size());
  auto baseline = [&] { raw.Verify(); };
  auto subject = [&] {
    Result<vouch::verifier::AppraisalResult> r =
        vouch::verifier::AppraiseEvidence(evidence, enrolled, issued, refs, policy, now);
    if (!r) Die("AppraiseEvidence: " + r.error().ToString());
  };
  auto decode_subject = [&] {
    Result<vouch::protocol::Evidence> ev = vouch::protocol::DecodeEvidence(json);
    if (!ev) Die("DecodeEvidence: " + ev.error().ToString());
    Result<vouch::verifier::AppraisalResult> r =
        vouch::verifier::AppraiseEvidence(*ev, enrolled, issued, refs, policy, now);
    if (!r) Die("AppraiseEvidence: " + r.error().ToString());
  };
  std::fprintf(stderr, "fleet_sim: appraisal vs OpenSSL verify\n");
  vouch::bench::RatioResult r =
      vouch::bench::MeasureRatio(baseline, subject, f.ratio_rounds, f.ratio_round_ms);
  vouch::bench::RatioResult rd =
      vouch::bench::MeasureRatio(baseline, decode_subject, f.ratio_rounds, f.ratio_round_ms);
  const double rate_ratio = 1 / r.ratio;
  std::printf("   raw EVP_DigestVerify (ECDSA P-256, SHA-256, %zu bytes)  %8.1f us  (%7.0f/s)\n",
              evidence.quote_attest.size(), r.baseline_ns / 1e3, 1e9 / r.baseline_ns);
  std::printf("   AppraiseEvidence (pre-decoded evidence)                %8.1f us  (%7.0f/s)\n",
              r.subject_ns / 1e3, 1e9 / r.subject_ns);
  std::printf(
      "   rate ratio appraisal / raw verify                      %8.3fx  (target >= "
      "0.5x: %s)\n",
      rate_ratio, rate_ratio >= 0.5 ? "met" : "NOT met");
  std::printf(
      "   DecodeEvidence (%zu-byte JSON) + AppraiseEvidence     %8.1f us  (rate ratio "
      "%.3fx)\n",
      json.size(), rd.subject_ns / 1e3, 1 / rd.ratio);

  // Where the appraisal's time goes: its main steps on their own (the
  // pipeline does each once per submission).
  const int calls = f.quick ? 50 : 400;
  const double ak_ns = vouch::bench::TimePerCallNs(
      [&] { Check(vouch::tpm::TpmPublic::DecodeTpm2b(enrolled.ak_public), "AK"); }, calls);
  const vouch::tpm::TpmPublic ak =
      Check(vouch::tpm::TpmPublic::DecodeTpm2b(enrolled.ak_public), "AK");
  const vouch::tpm::QuoteEvidence quote{evidence.quote_attest, evidence.quote_signature,
                                        evidence.pcrs};
  const double quote_ns = vouch::bench::TimePerCallNs(
      [&] { Check(vouch::tpm::VerifyQuote(ak, quote, nonce), "VerifyQuote"); }, calls);
  const double log_ns = vouch::bench::TimePerCallNs(
      [&] {
        vouch::eventlog::UnverifiedEventLog log =
            Check(vouch::eventlog::ParseEventLog(*evidence.srtm_log), "ParseEventLog");
        Check(vouch::eventlog::ComputePcrs(log), "ComputePcrs");
      },
      calls);
  const double decode_ns = vouch::bench::TimePerCallNs(
      [&] { Check(vouch::protocol::DecodeEvidence(json), "DecodeEvidence"); }, calls / 4 + 1);
  std::printf(
      "   its steps alone: AK public decode %.1f us, VerifyQuote (decode the AK\n"
      "   beforehand) %.1f us, SRTM log parse + replay %.1f us; DecodeEvidence %.1f us\n",
      ak_ns / 1e3, quote_ns / 1e3, log_ns / 1e3, decode_ns / 1e3);
}

void PhaseFleet(Env& env) {
  const Flags& f = env.flags;
  Fleet& fleet = *env.fleet;
  const double rate = f.rate.value_or(static_cast<double>(f.hosts) / f.interval_s);
  const auto n = static_cast<size_t>(std::ceil(rate * f.duration_s));
  const std::string origin =
      f.rate ? std::string("--rate")
             : std::to_string(f.hosts) + " hosts every " + FormatNumber(f.interval_s) + " s";
  std::printf(
      "\n3. Fleet latency, open loop: %.1f attestations/s (%s), %s arrivals, %.1f s, "
      "%zu arrivals, up to %zu in flight\n",
      rate, origin.c_str(), f.even ? "evenly spaced" : "Poisson", f.duration_s, n, f.fleet_workers);
  std::vector<double> offsets(n);
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> gap(rate);
  double t = 0;
  for (size_t k = 0; k < n; ++k) {
    offsets[k] = f.even ? static_cast<double>(k) / rate : t;
    t += gap(rng);
  }
  struct Sample {
    double total_ms, challenge_ms, evidence_ms, late_ms;
  };
  std::vector<std::vector<Sample>> samples(f.fleet_workers);
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> errors{0};
  std::mutex mu;
  std::string first_error;
  std::vector<std::string> verdicts_seen;
  const Clock::time_point t0 = Clock::now() + std::chrono::milliseconds(100);
  const double cpu0 = ProcessCpuSeconds();
  std::vector<std::thread> threads;
  threads.reserve(f.fleet_workers);
  const size_t progress_every = std::max<size_t>(1, static_cast<size_t>(rate * 5));
  for (size_t w = 0; w < f.fleet_workers; ++w) {
    threads.emplace_back([&, w] {
      for (;;) {
        const size_t k = next.fetch_add(1);
        if (k >= n) return;
        const Clock::time_point scheduled = t0 + std::chrono::duration_cast<Clock::duration>(
                                                     std::chrono::duration<double>(offsets[k]));
        std::this_thread::sleep_until(scheduled);
        AttestTiming timing;
        Result<std::string> report =
            Attest(*env.clients[w], env.base, fleet, fleet.host(k), &timing);
        if (!report) {
          errors.fetch_add(1);
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.empty()) first_error = report.error().ToString();
          continue;
        }
        samples[w].push_back(Sample{
            Ms(timing.done - scheduled).count(), Ms(timing.challenged - timing.start).count(),
            Ms(timing.done - timing.challenged).count(), Ms(timing.start - scheduled).count()});
        if (k % progress_every == 0) {
          std::fprintf(stderr, "fleet_sim: fleet phase %.0f s, %zu/%zu arrivals\n", offsets[k], k,
                       n);
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  const double wall = Seconds(Clock::now() - t0);
  const double cpu = ProcessCpuSeconds() - cpu0;
  std::vector<double> total, challenge, evidence, late;
  for (const auto& per_worker : samples) {
    for (const Sample& s : per_worker) {
      total.push_back(s.total_ms);
      challenge.push_back(s.challenge_ms);
      evidence.push_back(s.evidence_ms);
      late.push_back(s.late_ms);
    }
  }
  env.failures += errors.load();
  const double p99 = Percentile(total, 0.99);
  std::printf("   completed %zu, errors %llu, achieved %.1f/s; process CPU %.0f%% of one core\n",
              total.size(), static_cast<unsigned long long>(errors.load()),
              static_cast<double>(total.size()) / std::max(wall, 1e-9),
              100 * cpu / std::max(wall, 1e-9));
  std::printf(
      "   latency arrival -> report  p50 %7.2f ms   p99 %7.2f ms   max %7.2f ms  (target "
      "p99 <= 50 ms: %s)\n",
      Percentile(total, 0.5), p99, Percentile(total, 1.0),
      total.empty() ? "no samples" : (p99 <= 50 ? "met" : "NOT met"));
  std::printf("     challenge round trip     p50 %7.2f ms   p99 %7.2f ms\n",
              Percentile(challenge, 0.5), Percentile(challenge, 0.99));
  std::printf("     quote + evidence -> report p50 %5.2f ms   p99 %7.2f ms\n",
              Percentile(evidence, 0.5), Percentile(evidence, 0.99));
  std::printf("     generator lateness (start - arrival) p99 %.2f ms, max %.2f ms\n",
              Percentile(late, 0.99), Percentile(late, 1.0));
  if (!first_error.empty()) std::printf("   first error: %s\n", first_error.c_str());
}

int Run(int argc, char** argv) {
  Env env;
  env.flags = ParseFlags(argc, argv);
  const Flags& f = env.flags;

  // The fixture log and what it replays to.
  const std::filesystem::path log_path = FixturesRoot() / "eventlogs" / f.log;
  auto srtm = std::make_shared<const Bytes>(ReadFile(log_path));
  vouch::eventlog::UnverifiedEventLog parsed =
      Check(vouch::eventlog::ParseEventLog(*srtm), "parse " + log_path.string());
  vouch::tpm::PcrValues pcrs = Check(vouch::eventlog::ComputePcrs(parsed), "replay " + f.log);

  std::printf(
      "Fleet simulator%s: %zu software hosts (FakeTpmDevice, software P-256 AK, real "
      "TPMS_ATTEST quotes),\n  SRTM log %s (%zu bytes) replayed into each host's PCRs; "
      "load average at start %s\n",
      f.quick ? " (--quick)" : "", f.hosts, f.log.c_str(), srtm->size(), LoadAverage().c_str());

  // Hosts.
  Fleet fleet(srtm, pcrs);
  env.fleet = &fleet;
  Clock::time_point t = Clock::now();
  for (size_t i = 0; i < f.hosts; ++i) {
    fleet.AddHost(i);
    if ((i + 1) % 2000 == 0) std::fprintf(stderr, "fleet_sim: %zu hosts created\n", i + 1);
  }
  const double create_s = Seconds(Clock::now() - t);

  // The verifier's store, seeded. The Store interface has no batch call and
  // every write is an fsync'ed transaction, so the hosts are enrolled in a
  // database on tmpfs (/dev/shm: fsync costs nothing there), which is then
  // closed (checkpointed) and copied to the run's directory on disk; the run
  // itself uses the disk copy. Without /dev/shm the hosts are enrolled in
  // place.
  const std::filesystem::path dir = MakeTempDir(f.db_dir, "fleet_sim_");
  const std::filesystem::path db = dir / "verifier.db";
  std::optional<std::filesystem::path> shm_dir;
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec)) {
    shm_dir = MakeTempDir("/dev/shm", "fleet_sim_seed_");
  }
  t = Clock::now();
  const auto now = std::chrono::system_clock::now();
  {
    std::unique_ptr<vouch::verifier::Store> seed_store =
        Check(vouch::verifier::OpenSqliteStore((shm_dir ? *shm_dir / "verifier.db" : db).string()),
              "OpenSqliteStore");
    for (size_t i = 0; i < fleet.size(); ++i) {
      CheckOk(Seed(*seed_store, fleet.host(i), now), "seed " + fleet.host(i).id);
      if ((i + 1) % 2000 == 0) std::fprintf(stderr, "fleet_sim: %zu hosts enrolled\n", i + 1);
    }
  }
  if (shm_dir) {
    for (const auto& e : std::filesystem::directory_iterator(*shm_dir)) {
      std::filesystem::copy_file(e.path(), dir / e.path().filename(),
                                 std::filesystem::copy_options::overwrite_existing, ec);
      if (ec) Die("copy " + e.path().string() + ": " + ec.message());
    }
  }
  std::unique_ptr<vouch::verifier::Store> store =
      Check(vouch::verifier::OpenSqliteStore(db.string()), "OpenSqliteStore");
  env.store = store.get();
  std::unique_ptr<vouch::verifier::Store> tmpfs_store;
  if (shm_dir) {
    tmpfs_store = Check(vouch::verifier::OpenSqliteStore((*shm_dir / "verifier.db").string()),
                        "OpenSqliteStore (tmpfs)");
    env.tmpfs_store = tmpfs_store.get();
  }
  const double seed_s = Seconds(Clock::now() - t);

  // Platform references from one host's evidence (every host boots the same
  // firmware), kept for the in-process appraisal and stored for the API.
  vouch::protocol::Evidence golden =
      Check(fleet.Collect(fleet.host(0), Bytes(32, 0x11)), "golden evidence");
  std::vector<vouch::policy::ReferenceValue> values =
      Check(vouch::verifier::ImportPlatformReferences(golden, "fleet-sim golden"),
            "ImportPlatformReferences");
  vouch::verifier::ReferenceSet refs;
  for (const auto& v : values) refs.Add(v);
  vouch::policy::ReferenceSetDocument doc;
  doc.name = kReferenceSetName;
  doc.description = "platform values imported from simulated host 0";
  doc.entries = values;
  for (size_t i = 0; i < doc.entries.size(); ++i) doc.entries[i].id = "e" + std::to_string(i);
  vouch::verifier::ReferenceSetRecord record;
  record.name = kReferenceSetName;
  record.document_json = Check(vouch::policy::EncodeReferenceSet(doc), "EncodeReferenceSet");
  record.entry_count = doc.entries.size();
  record.updated_at = now;
  record.updated_by = "fleet_sim";
  Result<int64_t> put = store->PutReferenceSet(record, std::nullopt);
  std::printf(
      "Setup: hosts created in %.2f s (%.0f us/host); enrolled directly in the store "
      "(CreateEnrollment + ActivateEnrollment:\n  software hosts skip the "
      "EK/MakeCredential exchange) in %.2f s (%.2f ms/host%s);\n  the run's SQLite "
      "database: %s\n",
      create_s, 1e6 * create_s / static_cast<double>(f.hosts), seed_s,
      1e3 * seed_s / static_cast<double>(f.hosts),
      shm_dir ? ", on tmpfs, then the file copied to disk" : ", fsync'ed in place", db.c_str());
  if (put) {
    std::printf("  reference set \"%s\" (%zu platform values) stored, version %lld\n",
                kReferenceSetName, values.size(), static_cast<long long>(*put));
  } else {
    std::printf("  reference set NOT stored (%s): hosts will not come out trusted\n",
                put.error().ToString().c_str());
  }

  // The verifier over HTTP.
  vouch::SystemClock clock;
  vouch::crypto::OpenSslRandom random;
  vouch::StderrLogger logger(vouch::LogLevel::kWarning);
  vouch::verifier::ApiOptions options;
  vouch::verifier::VerifierApi api(vouch::verifier::ApiDeps{*store, random, clock, logger},
                                   options);
  env.api = &api;
  vouch::http::ServerOptions server_options;
  server_options.address = "127.0.0.1";
  server_options.port = 0;
  server_options.max_body_bytes = options.max_evidence_bytes;
  std::unique_ptr<vouch::http::HttpServer> server = Check(
      vouch::http::StartCpprestServer(
          server_options, [&api](const vouch::http::Request& r) { return api.Handle(r); }, logger),
      "StartCpprestServer");
  env.base = "http://127.0.0.1:" + std::to_string(server->BoundPort());
  for (size_t w = 0; w < std::max(f.workers, f.fleet_workers); ++w) {
    env.clients.push_back(Check(vouch::http::MakeCpprestClient({}), "MakeCpprestClient"));
  }
  std::printf("Verifier: VerifierApi in this process at %s (plain HTTP, loopback)\n",
              env.base.c_str());

  // A sample attestation: the hosts must come out trusted.
  AttestTiming sample_timing;
  Result<std::string> sample =
      Attest(*env.clients[0], env.base, fleet, fleet.host(0), &sample_timing);
  if (!sample) Die("sample attestation of " + fleet.host(0).id + ": " + sample.error().ToString());
  std::string findings;
  const std::string verdict = VerdictOf(*sample, &findings);
  std::printf("Sample attestation of %s: verdict %s (findings: %s)%s\n", fleet.host(0).id.c_str(),
              verdict.c_str(), findings.empty() ? "none" : findings.c_str(),
              verdict == "trusted" ? "" : "  <-- expected trusted");
  std::fflush(stdout);

  PhaseThroughput(env);
  std::fflush(stdout);
  PhaseAppraisal(env, refs);
  std::fflush(stdout);
  PhaseFleet(env);

  server->Stop();
  env.clients.clear();
  store.reset();
  tmpfs_store.reset();
  std::filesystem::remove_all(dir, ec);
  if (shm_dir) std::filesystem::remove_all(*shm_dir, ec);
  if (env.failures > 0) {
    std::printf("\n%llu attestations or requests FAILED (see the first errors above)\n",
                static_cast<unsigned long long>(env.failures));
    return 1;
  }
  if (verdict != "trusted") {
    std::printf("\nNote: the sample verdict was %s, not trusted\n", verdict.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // std::filesystem and std::thread report errors by throwing.
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    Die(std::string("unexpected exception: ") + e.what());
  }
}
