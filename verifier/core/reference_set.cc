// ReferenceSet and the names of reference kinds and verdicts.
#include <array>
#include <utility>

#include "verifier/core/appraisal.h"

namespace vouch::verifier {
namespace {

constexpr std::array<std::pair<ReferenceKind, std::string_view>, 11> kKindNames = {{
    {ReferenceKind::kPlatform, "platform"},
    {ReferenceKind::kSinit, "sinit"},
    {ReferenceKind::kTboot, "tboot"},
    {ReferenceKind::kTbootPolicy, "tboot-policy"},
    {ReferenceKind::kHypervisor, "hypervisor"},
    {ReferenceKind::kKernel, "kernel"},
    {ReferenceKind::kInitrd, "initrd"},
    {ReferenceKind::kVmImage, "vm-image"},
    {ReferenceKind::kVmKernel, "vm-kernel"},
    {ReferenceKind::kVmFirmware, "vm-firmware"},
    {ReferenceKind::kVmConfig, "vm-config"},
}};

}  // namespace

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

std::string_view ReferenceKindName(ReferenceKind k) {
  for (const auto& [kind, name] : kKindNames) {
    if (kind == k) return name;
  }
  return "unknown";
}

std::optional<ReferenceKind> ParseReferenceKind(std::string_view name) {
  for (const auto& [kind, kind_name] : kKindNames) {
    if (kind_name == name) return kind;
  }
  return std::nullopt;
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
