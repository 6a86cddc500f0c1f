#include "agent/host_facts.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>

#ifndef VOUCH_AGENT_VERSION
#error "VOUCH_AGENT_VERSION must be defined by the build (agent/state.cmake)"
#endif

namespace vouch::agent {
namespace {

// Schema limits of host facts (schemas/evidence.schema.json, host).
constexpr size_t kMaxHostname = 253;
constexpr size_t kMaxHypervisorVersion = 128;
// Files read here are one short line; more is not what we expect.
constexpr std::streamsize kMaxFactFileBytes = 4096;

// The first line of a small text file, trimmed; nullopt when unreadable.
std::optional<std::string> ReadLine(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(static_cast<size_t>(kMaxFactFileBytes), '\0');
  in.read(text.data(), kMaxFactFileBytes);
  text.resize(static_cast<size_t>(in.gcount()));
  if (size_t nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.pop_back();
  }
  size_t start = 0;
  while (start < text.size() && (text[start] == ' ' || text[start] == '\t')) ++start;
  return text.substr(start);
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Keeps printable ASCII only and cuts to `max`: these strings go into
// evidence and reports and come from files anyone with root could write.
std::string Clean(std::string_view s, size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() == max) break;
    if (c >= 0x20 && c < 0x7f) out += c;
  }
  return out;
}

bool IsHostnameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

std::string DetectHostname(const std::string& root) {
  std::optional<std::string> name = ReadLine(root + "/proc/sys/kernel/hostname");
  if (!name.has_value() || name->empty()) {
    char buf[256] = {};
    if (::gethostname(buf, sizeof(buf) - 1) == 0) name = std::string(buf);
  }
  std::string out;
  if (name.has_value()) {
    for (char c : *name) {
      if (out.size() == kMaxHostname) break;
      if (IsHostnameChar(c)) out += c;
    }
  }
  // The schema requires a non-empty hostname.
  return out.empty() ? "localhost" : out;
}

std::string DetectMachineId(const std::string& root) {
  std::optional<std::string> id = ReadLine(root + "/etc/machine-id");
  if (!id.has_value() || id->size() != 32) return "";
  for (char& c : *id) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return "";
  }
  return *id;
}

protocol::HypervisorKind DetectHypervisor(const std::string& root) {
  if (Exists(root + "/proc/xen")) return protocol::HypervisorKind::kXen;
  if (Exists(root + "/dev/kvm")) return protocol::HypervisorKind::kKvm;
  return protocol::HypervisorKind::kNone;
}

std::string KernelRelease(const std::string& root) {
  std::optional<std::string> release = ReadLine(root + "/proc/sys/kernel/osrelease");
  if (release.has_value() && !release->empty()) return *release;
  struct utsname uts {};
  if (::uname(&uts) == 0) return uts.release;
  return "";
}

// Xen's version as "major.minor" + extra ("4.17" + ".2"), from sysfs.
std::string XenVersion(const std::string& root) {
  const std::string dir = root + "/sys/hypervisor/version/";
  std::optional<std::string> major = ReadLine(dir + "major");
  std::optional<std::string> minor = ReadLine(dir + "minor");
  if (!major.has_value() || !minor.has_value() || major->empty() || minor->empty()) return "";
  return *major + "." + *minor + ReadLine(dir + "extra").value_or("");
}

}  // namespace

std::string AgentVersion() { return VOUCH_AGENT_VERSION; }

SystemHostFacts::SystemHostFacts(const AgentConfig& config, const std::string& root) {
  facts_.hostname = config.hostname.empty() ? DetectHostname(root) : config.hostname;
  facts_.machine_id = DetectMachineId(root);
  facts_.agent_version = AgentVersion();
  facts_.hypervisor = config.hypervisor.value_or(DetectHypervisor(root));
  switch (facts_.hypervisor) {
    case protocol::HypervisorKind::kXen:
      facts_.hypervisor_version = Clean(XenVersion(root), kMaxHypervisorVersion);
      break;
    case protocol::HypervisorKind::kKvm:
      // KVM is part of the kernel: its version is the kernel's.
      facts_.hypervisor_version = Clean(KernelRelease(root), kMaxHypervisorVersion);
      break;
    case protocol::HypervisorKind::kNone:
    case protocol::HypervisorKind::kUnknown: break;
  }
  facts_.measured_launch = config.measured_launch;
  facts_.labels = config.labels;
}

protocol::HostFacts SystemHostFacts::Facts() { return facts_; }

}  // namespace vouch::agent
