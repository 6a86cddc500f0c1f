// Event-log parse + replay cost vs. the raw OpenSSL cost of the same extends.
//
// For every real log in the fixtures directory (VOUCH_FIXTURES_DIR, default
// ../shared/fixtures next to the source tree):
//   subject:  ParseEventLog + ComputePcrs (what the verifier does per log).
//             The log bytes are put in one shared buffer once, outside the
//             timed loop, and parsed in place through the
//             ParseEventLog(std::shared_ptr<const Bytes>) overload: this
//             mirrors the verifier, which base64-decodes the evidence into
//             one buffer and parses it without copying.
//   baseline: exactly the digest operations a replay needs — one
//             H(pcr || event digest) per extended event per bank — through
//             OpenSSL's EVP API with prefetched digests and a reused context.
// Prints per-log ratios (subject / baseline; target <= 2.0) and their
// geometric mean. Usage: eventlog_bench [FIXTURES_DIR]
#include <openssl/evp.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/ratio.h"
#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"

namespace {

using vouch::Bytes;
using vouch::HashAlg;

const EVP_MD* Md(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1: return EVP_MD_fetch(nullptr, "SHA1", nullptr);
    case HashAlg::kSha256: return EVP_MD_fetch(nullptr, "SHA256", nullptr);
    case HashAlg::kSha384: return EVP_MD_fetch(nullptr, "SHA384", nullptr);
    case HashAlg::kSha512: return EVP_MD_fetch(nullptr, "SHA512", nullptr);
    default: return nullptr;
  }
}

Bytes ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool IsLog(const std::filesystem::path& p) {
  static const char* kSide[] = {".yaml", ".json", ".txt", ".sh", ".stderr", ".warn", ".md"};
  std::string n = p.filename().string();
  if (n == "SHA256SUMS" || n == "isecl__txt_heap_info.bin") return false;
  for (const char* s : kSide) {
    std::string suf(s);
    if (n.size() >= suf.size() && n.compare(n.size() - suf.size(), suf.size(), suf) == 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path root;
  if (argc > 1) {
    root = argv[1];
  } else if (const char* env = std::getenv("VOUCH_FIXTURES_DIR")) {
    root = env;
  } else {
    root = VOUCH_DEFAULT_FIXTURES_DIR;
  }
  std::vector<std::filesystem::path> logs;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root / "eventlogs", ec)) {
    if (e.is_regular_file() && IsLog(e.path())) logs.push_back(e.path());
  }
  if (logs.empty()) {
    std::fprintf(stderr, "eventlog_bench: no event logs under %s/eventlogs\n", root.c_str());
    return 2;
  }
  std::sort(logs.begin(), logs.end());
  std::map<HashAlg, const EVP_MD*> mds;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();

  std::printf("Event-log parse+replay vs raw OpenSSL extends (same process, median of rounds)\n");
  std::printf("%-52s %7s %7s %11s %11s %7s\n", "log", "events", "extends", "openssl_us", "vouch_us",
              "ratio");
  double log_sum = 0;
  int n = 0;
  double worst = 0;
  for (const auto& path : logs) {
    auto data = std::make_shared<const Bytes>(ReadFile(path));
    auto parsed = vouch::eventlog::ParseEventLog(data);
    if (!parsed.has_value()) {
      std::printf("%-52s parse error: %s\n", path.filename().c_str(),
                  parsed.error().ToString().c_str());
      continue;
    }
    // The extends a replay performs: (md, input = pcr-sized zeros || digest).
    struct Op {
      const EVP_MD* md;
      Bytes input;
    };
    std::vector<Op> ops;
    for (const auto& ev : parsed->EventsUnverifiedForDebug()) {
      if (ev.type == vouch::eventlog::kEvNoAction || ev.pcr >= 24) continue;
      for (const auto& d : ev.digests) {
        if (!mds.count(d.alg)) mds[d.alg] = Md(d.alg);
        if (mds[d.alg] == nullptr) continue;
        Bytes in(d.digest.size(), 0);
        in.insert(in.end(), d.digest.begin(), d.digest.end());
        ops.push_back({mds[d.alg], std::move(in)});
      }
    }
    unsigned char out[EVP_MAX_MD_SIZE];
    auto baseline = [&] {
      for (const Op& op : ops) {
        unsigned int len = 0;
        EVP_DigestInit_ex2(ctx, op.md, nullptr);
        EVP_DigestUpdate(ctx, op.input.data(), op.input.size());
        EVP_DigestFinal_ex(ctx, out, &len);
      }
    };
    auto subject = [&] {
      auto log = vouch::eventlog::ParseEventLog(data);
      auto pcrs = vouch::eventlog::ComputePcrs(*log);
      if (!pcrs.has_value()) std::abort();
    };
    vouch::bench::RatioResult r = vouch::bench::MeasureRatio(baseline, subject, 11, 30);
    std::printf("%-52s %7zu %7zu %11.1f %11.1f %7.2f\n", path.filename().c_str(), parsed->size(),
                ops.size(), r.baseline_ns / 1000, r.subject_ns / 1000, r.ratio);
    log_sum += std::log(r.ratio);
    worst = std::max(worst, r.ratio);
    ++n;
  }
  EVP_MD_CTX_free(ctx);
  double geo = std::exp(log_sum / std::max(n, 1));
  std::printf("geometric mean ratio %.2f, worst %.2f over %d logs (target <= 2.00): %s\n", geo,
              worst, n, worst <= 2.0 ? "met" : "NOT met");
  return 0;
}
