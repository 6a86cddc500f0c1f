// ParseDocument (core/protocol/json_util.h: size, depth and UTF-8 checks,
// parse, duplicate member refusal) vs plain nlohmann::json::parse of the same
// text, measured alternately in one process.
//
// The document has the shape of a large reference set (policy/model
// EncodeReferenceSet: one array of small objects), the case where nlohmann's
// callback parser, used before, was quadratic. Printed per size:
//   ratio  = ParseDocument rate / nlohmann::json::parse rate (target >= 0.5)
//   MiB/s  = both rates
// The sizes are 10x apart, so a rate that stays flat from the smaller to the
// larger document shows the parse is linear (a quadratic parse loses 10x).
// Usage: json_parse_bench [ENTRIES]  (default: 100000, the reference set
// limit; 10,000 is also measured when the default is used).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/ratio.h"
#include "core/protocol/json_util.h"
#include "policy/model/reference.h"

namespace {

using vouch::Bytes;
using vouch::HashAlg;
using vouch::policy::ReferenceKind;
using vouch::policy::ReferenceSetDocument;
using vouch::policy::ReferenceValue;

// A reference set of `entries` kernel entries with a SHA-256 digest each:
// about 130 bytes per entry, so the 100,000-entry limit fits in the 16 MiB
// document limit (about 12.5 MiB).
std::string ReferenceSetText(size_t entries) {
  ReferenceSetDocument set;
  set.name = "bench-set";
  set.description = "json_parse_bench";
  set.entries.reserve(entries);
  for (size_t i = 0; i < entries; ++i) {
    ReferenceValue v;
    v.kind = ReferenceKind::kKernel;
    v.name = "vmlinuz-" + std::to_string(i);
    Bytes digest(32);
    for (size_t b = 0; b < digest.size(); ++b) digest[b] = static_cast<uint8_t>(i * 31 + b * 7);
    v.digests[HashAlg::kSha256] = std::move(digest);
    v.id = "r" + std::to_string(i);
    set.entries.push_back(std::move(v));
  }
  vouch::Result<std::string> text = vouch::policy::EncodeReferenceSet(set);
  if (!text) {
    std::fprintf(stderr, "encode: %s\n", text.status().ToString().c_str());
    std::exit(1);
  }
  return *text;
}

// Returns false when ParseDocument refuses the document.
bool Measure(size_t entries) {
  const std::string text = ReferenceSetText(entries);
  if (text.size() > vouch::policy::kMaxReferenceDocumentBytes) {
    std::fprintf(stderr, "document of %zu bytes is over the reference set limit\n", text.size());
    return false;
  }
  vouch::Result<nlohmann::json> check =
      vouch::protocol::internal::ParseDocument(text, text.size(), "reference_set");
  if (!check) {
    std::fprintf(stderr, "ParseDocument: %s\n", check.status().ToString().c_str());
    return false;
  }
  size_t sink = 0;
  auto baseline = [&] {
    nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    sink += doc.size();
  };
  auto subject = [&] {
    vouch::Result<nlohmann::json> doc =
        vouch::protocol::internal::ParseDocument(text, text.size(), "reference_set");
    sink += doc ? doc->size() : 0;
  };
  // Each call is 10s to 100s of ms at these sizes: few rounds suffice.
  vouch::bench::RatioResult r = vouch::bench::MeasureRatio(baseline, subject, 7, 200);
  const double mib = static_cast<double>(text.size()) / (1024.0 * 1024.0);
  std::printf(
      "%7zu entries, %6.2f MiB: ParseDocument %7.1f MiB/s, nlohmann::json::parse %7.1f MiB/s, "
      "rate ratio %.2f (target >= 0.5)%s\n",
      entries, mib, mib / (r.subject_ns * 1e-9), mib / (r.baseline_ns * 1e-9), 1.0 / r.ratio,
      sink == 0 ? " (empty)" : "");
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {10000, 100000};
  if (argc > 1) sizes = {static_cast<size_t>(std::strtoull(argv[1], nullptr, 10))};
  // std::string and the benchmark's closures report allocation failure by
  // throwing.
  try {
    bool ok = true;
    for (size_t n : sizes) ok = Measure(n) && ok;
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    return 1;
  }
}
