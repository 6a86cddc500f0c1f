// ReferenceSet and the names of verdicts and trust values.
#include <utility>

#include "verifier/core/appraisal.h"

namespace vouch::verifier {
std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kTrusted: return "trusted";
    case Verdict::kUntrusted: return "untrusted";
    case Verdict::kUnknown: return "unknown";
  }
  return "unknown";
}

std::string_view TrustName(Trust t) {
  switch (t) {
    case Trust::kTrusted: return "trusted";
    case Trust::kUntrusted: return "untrusted";
    case Trust::kUnknown: return "unknown";
  }
  return "unknown";
}

void ReferenceSet::Add(ReferenceValue value) {
  const size_t position = values_.size();
  for (const auto& [bank, digest] : value.digests) {
    // The first entry with a digest keeps it: lookups are deterministic, and
    // callers that need another kind scan values() (see appraisal.cc).
    index_.emplace(std::make_pair(bank, digest), position);
  }
  values_.push_back(std::move(value));
}

const ReferenceValue* ReferenceSet::Find(HashAlg bank, ByteView digest) const {
  auto it = index_.find(std::make_pair(bank, digest));
  return it == index_.end() ? nullptr : &values_[it->second];
}

bool ReferenceSet::HasKind(ReferenceKind kind) const {
  for (const ReferenceValue& v : values_) {
    if (v.kind == kind) return true;
  }
  return false;
}

}  // namespace vouch::verifier
