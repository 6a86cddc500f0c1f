#include "launcher/gate/gate.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace vouch::launcher::gate {
namespace {

constexpr size_t kMaxEnrollmentFileBytes = size_t{64} * 1024;
constexpr char kEnrollmentFile[] = "enrollment.json";  // agent/ak.h kEnrollmentFile

// The verifier's host ids: [A-Za-z0-9_-]{1,64} (they appear in URL paths).
Status CheckHostId(std::string_view id, std::string_view where) {
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-');
  }
  if (ok) return Status::Ok();
  return InvalidArgumentError(std::string(where) + ": host_id must match [A-Za-z0-9_-]{1,64}");
}

std::string ReasonLine(const Finding& f) {
  std::string line = f.id + ": " + f.message;
  if (!f.expected.empty()) line += " (expected " + f.expected + ")";
  if (!f.actual.empty()) line += " (actual " + f.actual + ")";
  return line;
}

}  // namespace

std::string_view GateOutcomeName(GateOutcome o) {
  switch (o) {
    case GateOutcome::kAllowed: return "allowed";
    case GateOutcome::kDenied: return "denied";
    case GateOutcome::kAuditAllowed: return "allowed (audit)";
    case GateOutcome::kFailOpenAllowed: return "allowed (fail open)";
  }
  return "denied";
}

GateResult LaunchGate::Decide(const VmSpec& vm, const Result<std::string>& host_id) {
  GateResult result;
  // A VM with no local file to measure (only network disks) shows the
  // verifier nothing it could vouch for.
  Result<std::vector<protocol::LaunchMeasurement>> measured =
      vm.components.empty()
          ? Result<std::vector<protocol::LaunchMeasurement>>(
                FailedPreconditionError("VM " + vm.name + " has no local component to measure"))
          : measurer_.Measure(vm);
  if (!measured.has_value()) {
    result.reasons.push_back("measure: " + measured.error().ToString());
    return Finish(vm, std::move(result), /*verifier_asked=*/false);
  }
  result.measurements = std::move(*measured);
  if (!host_id.has_value()) {
    result.reasons.push_back("host id: " + host_id.error().ToString());
    return Finish(vm, std::move(result), /*verifier_asked=*/false);
  }

  protocol::LaunchDecisionRequest request;
  request.host_id = *host_id;
  request.vm_id = vm.id;
  request.vm_name = vm.name;
  request.measurements = result.measurements;
  Result<protocol::LaunchDecision> decision = verifier_.RequestLaunchDecision(request);
  if (!decision.has_value()) {
    result.reasons.push_back("verifier: " + decision.error().ToString());
    return Finish(vm, std::move(result), /*verifier_asked=*/true);
  }
  for (const Finding& f : decision->reasons) {
    if (f.severity != Severity::kInfo) result.reasons.push_back(ReasonLine(f));
  }
  // The verifier's "allow" is only taken when it has no error reason, as
  // decision.h defines; a contradictory answer denies.
  if (decision->decision == protocol::LaunchVerdict::kAllow && HasErrors(decision->reasons)) {
    result.reasons.push_back("verifier: answered allow with error reasons; taken as deny");
    decision->decision = protocol::LaunchVerdict::kDeny;
  }
  result.decision = std::move(*decision);
  return Finish(vm, std::move(result), /*verifier_asked=*/true);
}

GateResult LaunchGate::Finish(const VmSpec& vm, GateResult result, bool verifier_asked) {
  const bool verifier_allowed =
      result.decision.has_value() && result.decision->decision == protocol::LaunchVerdict::kAllow;
  // "Could not ask": the verifier was tried but gave no decision.
  const bool no_answer = verifier_asked && !result.decision.has_value();
  if (verifier_allowed) {
    result.outcome = GateOutcome::kAllowed;
  } else if (options_.mode == GateMode::kAudit) {
    result.outcome = GateOutcome::kAuditAllowed;
  } else if (no_answer && options_.fail_open) {
    result.outcome = GateOutcome::kFailOpenAllowed;
  } else {
    result.outcome = GateOutcome::kDenied;
  }
  result.allowed = result.outcome != GateOutcome::kDenied;

  std::string line = "launch gate: VM " + vm.name + " (" + vm.id +
                     "): " + std::string(GateOutcomeName(result.outcome)) + " [" +
                     std::string(GateModeName(options_.mode)) + "]; verifier ";
  if (result.decision.has_value()) {
    line += "decision " + std::string(protocol::LaunchVerdictName(result.decision->decision)) +
            ", host verdict " + result.decision->host_verdict;
  } else if (no_answer) {
    line += "could not be asked";
  } else {
    line += "not asked";
  }
  line += "; " + std::to_string(result.measurements.size()) + " component(s) measured";
  if (result.outcome == GateOutcome::kAuditAllowed && !verifier_allowed) {
    line += "; enforce would deny";
  }
  if (result.outcome == GateOutcome::kAllowed) {
    logger_.Info(line);
  } else {
    logger_.Warning(line);
  }
  for (const std::string& reason : result.reasons) logger_.Warning("  " + reason);
  if (result.decision.has_value() && logger_.Enabled(LogLevel::kDebug)) {
    for (const Finding& f : result.decision->reasons) {
      if (f.severity == Severity::kInfo) logger_.Debug("  " + ReasonLine(f));
    }
  }
  return result;
}

Status ExecCommand(const std::vector<std::string>& command) {
  if (command.empty() || command.front().empty()) {
    return InvalidArgumentError("no command to run");
  }
  std::vector<char*> argv;
  argv.reserve(command.size() + 1);
  for (const std::string& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  ::execvp(argv[0], argv.data());
  return UnavailableError("exec " + command.front() + ": " + std::strerror(errno));
}

Result<GateResult> DecideAndExec(LaunchGate& gate, const VmSpec& vm,
                                 const Result<std::string>& host_id,
                                 const std::vector<std::string>& command) {
  if (command.empty() || command.front().empty()) {
    return InvalidArgumentError("no command to run");
  }
  GateResult result = gate.Decide(vm, host_id);
  if (!result.allowed) return result;
  return ExecCommand(command);
}

VmSpec VmSpecFromDomain(const LibvirtDomain& domain) {
  VmSpec vm;
  vm.id = domain.uuid.empty() ? domain.name : domain.uuid;
  vm.name = domain.name;
  if (domain.loader) vm.components.push_back({protocol::VmComponent::kFirmware, *domain.loader});
  if (domain.kernel) vm.components.push_back({protocol::VmComponent::kKernel, *domain.kernel});
  if (domain.initrd) vm.components.push_back({protocol::VmComponent::kInitrd, *domain.initrd});
  for (const DomainDisk& d : domain.disks) {
    vm.components.push_back({protocol::VmComponent::kDisk, d.path});
  }
  return vm;
}

Result<std::string> ResolveHostId(const LauncherConfig& config) {
  if (!config.host_id.empty()) {
    VOUCH_RETURN_IF_ERROR(CheckHostId(config.host_id, "configuration"));
    return config.host_id;
  }
  const std::string path = config.agent_state_dir + "/" + kEnrollmentFile;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return FailedPreconditionError("host not enrolled: host_id is not set and " + path +
                                     " does not exist (run vouch-agent enroll)");
    }
    return UnavailableError(path + ": " + std::strerror(err));
  }
  std::string text;
  struct stat st {};
  Status status;
  if (::fstat(fd, &st) != 0) {
    status = UnavailableError(path + ": " + std::strerror(errno));
  } else if (!S_ISREG(st.st_mode) || st.st_size > static_cast<off_t>(kMaxEnrollmentFileBytes)) {
    status = InvalidArgumentError(path + ": not a regular file of at most " +
                                  std::to_string(kMaxEnrollmentFileBytes) + " bytes");
  } else {
    text.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    text.resize(done);
  }
  ::close(fd);
  VOUCH_RETURN_IF_ERROR(status);
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("host_id") ||
      !doc["host_id"].is_string()) {
    return InvalidArgumentError(path + ": no host_id string");
  }
  std::string id = doc["host_id"].get<std::string>();
  VOUCH_RETURN_IF_ERROR(CheckHostId(id, path));
  return id;
}

}  // namespace vouch::launcher::gate
