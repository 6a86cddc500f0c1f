#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/http/cpprest_http.h"
#include "core/tpm_device/esys_tpm_device.h"
#include "launcher/cli/common.h"
#include "launcher/gate/gate.h"
#include "launcher/gate/libvirt_domain.h"
#include "launcher/gate/verifier_client.h"
#include "launcher/gate/vm_measurer.h"
#include "launcher/vm/measure_vm.h"

// run and libvirt-hook: the launch gate (docs/launcher-gate.md). Both
// measure the VM into the VM log and PCR, ask the verifier, and either start
// it (run: execvp of the command, never a shell; the hook: exit 0 so libvirt
// goes on) or refuse (exit 1 with the reasons on stderr).
namespace vouch::launcher::cli {
namespace {

// The real measurer: launcher/vm's MeasureVm (every file checked and hashed
// once in all active banks, then the VM log append + PCR extend under the
// writers' lock). The TPM is
// opened per Measure, so a TPM that cannot be opened is a measuring failure
// the gate handles by its mode (and is closed before any exec).
class TpmVmMeasurer final : public gate::VmMeasurer {
 public:
  TpmVmMeasurer(const LauncherConfig& config, Logger& logger) : config_(config), logger_(logger) {}

  Result<std::vector<protocol::LaunchMeasurement>> Measure(const gate::VmSpec& vm) override {
    VOUCH_ASSIGN_OR_RETURN_CTX(std::unique_ptr<tpm_device::TpmDevice> tpm,
                               tpm_device::OpenEsysTpmDevice(config_.tcti), "TPM " + config_.tcti);
    MeasureVmRequest request;
    request.name = vm.name;
    request.id = vm.id;
    request.pcr = config_.vm_pcr;
    request.log_path = config_.VmLogPath();
    request.boot_id = ReadBootId();
    request.time = std::chrono::system_clock::now();
    for (const gate::VmComponentSpec& c : vm.components) {
      switch (c.component) {
        case protocol::VmComponent::kDisk: request.disks.push_back(c.path); break;
        case protocol::VmComponent::kKernel: request.kernel = c.path; break;
        case protocol::VmComponent::kInitrd: request.initrd = c.path; break;
        case protocol::VmComponent::kFirmware: request.firmware = c.path; break;
        case protocol::VmComponent::kConfig: request.config = c.path; break;
      }
    }
    VOUCH_ASSIGN_OR_RETURN(MeasureVmResult measured, MeasureVm(*tpm, request, logger_));
    for (const std::string& w : measured.log.warnings) logger_.Warning("VM log: " + w);
    if (measured.log.rolled_forward.has_value()) {
      logger_.Warning("VM log: completed the extend of record seq " +
                      std::to_string(measured.log.rolled_forward->seq) +
                      " left unextended by a crash");
    }
    std::vector<protocol::LaunchMeasurement> out;
    out.reserve(measured.components.size());
    for (const MeasuredComponent& m : measured.components) {
      out.push_back(protocol::LaunchMeasurement{m.measurement.component, m.measurement.path,
                                                m.measurement.size, m.measurement.digests});
    }
    return out;
  }

 private:
  const LauncherConfig& config_;
  Logger& logger_;
};

// What the gate needs besides the measurer: the verifier client (with its
// HTTP client) and the host id. Errors here are configuration errors: they
// refuse the launch in every mode, so a broken installation is noticed.
struct GateSetup {
  std::unique_ptr<http::HttpClient> http;
  std::unique_ptr<gate::VerifierClient> verifier;
};

Result<GateSetup> SetUpGate(const LauncherConfig& config) {
  if (config.verifier_url.empty()) return InvalidArgumentError("verifier_url is not set");
  if (config.token_file.empty()) return InvalidArgumentError("token_file is not set");
  VOUCH_ASSIGN_OR_RETURN(std::string token, gate::ReadTokenFile(config.token_file));
  http::ClientOptions options;
  options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config.gate_timeout);
  options.max_response_bytes = size_t{1024} * 1024;
  options.tls.ca_file = config.verifier_ca;
  GateSetup setup;
  VOUCH_ASSIGN_OR_RETURN_CTX(setup.http, http::MakeCpprestClient(options), "verifier_ca");
  VOUCH_ASSIGN_OR_RETURN(setup.verifier, gate::VerifierClient::Create(
                                             *setup.http, config.verifier_url, std::move(token)));
  return setup;
}

Status ApplyModeOverride(LauncherConfig& config, const std::string& mode) {
  if (mode.empty()) return Status::Ok();
  return SetLauncherConfigValue(config, "gate_mode", mode).WithContext("--mode");
}

void PrintDenial(const std::string& vm_name, const gate::GateResult& result) {
  std::fprintf(stderr, "vouch-launcher: launch of VM %s denied:\n", vm_name.c_str());
  for (const std::string& r : result.reasons) std::fprintf(stderr, "  %s\n", r.c_str());
  if (result.reasons.empty()) std::fprintf(stderr, "  (no reason given)\n");
  std::fflush(stderr);
}

// ---- run ----

struct RunOptions {
  std::string vm;
  std::string id;
  std::vector<std::string> disks;
  std::string kernel;
  std::string initrd;
  std::string firmware;
  std::string vm_config;
  std::string mode;
  std::vector<std::string> command;
};

Result<gate::VmSpec> VmSpecFromOptions(const RunOptions& o) {
  gate::VmSpec vm;
  vm.name = o.vm;
  // The id measure-vm gives a VM without one, so both name it alike.
  vm.id = o.id.empty() ? DefaultVmId(o.vm) : o.id;
  if (vm.name.empty() || vm.name.size() > 256) {
    return InvalidArgumentError("--vm: 1 to 256 characters");
  }
  if (vm.id.size() > 128) return InvalidArgumentError("--id: 1 to 128 characters");
  auto add = [&](protocol::VmComponent component, const std::string& path) -> Status {
    if (path.empty()) return Status::Ok();
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(path, ec);
    if (ec) return InvalidArgumentError(path + ": " + ec.message());
    vm.components.push_back({component, abs.lexically_normal().string()});
    return Status::Ok();
  };
  // Boot order: firmware, kernel, initrd, disks, then the VM's configuration.
  VOUCH_RETURN_IF_ERROR(add(protocol::VmComponent::kFirmware, o.firmware));
  VOUCH_RETURN_IF_ERROR(add(protocol::VmComponent::kKernel, o.kernel));
  VOUCH_RETURN_IF_ERROR(add(protocol::VmComponent::kInitrd, o.initrd));
  for (const std::string& d : o.disks) VOUCH_RETURN_IF_ERROR(add(protocol::VmComponent::kDisk, d));
  VOUCH_RETURN_IF_ERROR(add(protocol::VmComponent::kConfig, o.vm_config));
  if (vm.components.empty()) {
    return InvalidArgumentError("nothing to measure: give --disk, --kernel or --firmware");
  }
  if (vm.components.size() > protocol::kMaxLaunchMeasurements) {
    return InvalidArgumentError("more than " + std::to_string(protocol::kMaxLaunchMeasurements) +
                                " components");
  }
  return vm;
}

// Decides for `vm` and, with a non-empty `command`, execs it when allowed
// (then never returns). The exit code: 0 allowed (hook), 1 denied (reasons
// on stderr), 3 a configuration error, 4 exec failed.
int GateLaunch(const LauncherConfig& config, const gate::VmSpec& vm,
               const std::vector<std::string>& command, Logger& logger) {
  Result<GateSetup> setup = SetUpGate(config);
  if (!setup.has_value()) {
    logger.Error(setup.error().WithContext("launch gate configuration").ToString());
    std::fprintf(stderr, "vouch-launcher: launch of VM %s refused: the gate is misconfigured: %s\n",
                 vm.name.c_str(), setup.error().message().c_str());
    return kExitBadInput;
  }
  // The measurer opens the TPM only inside Measure: nothing of it is open
  // when the command is exec'd.
  TpmVmMeasurer measurer(config, logger);
  gate::LaunchGate launch_gate(measurer, *setup->verifier, logger,
                               gate::GateOptions{config.gate_mode, config.gate_fail_open});
  const Result<std::string> host_id = gate::ResolveHostId(config);
  Result<gate::GateResult> result = command.empty()
                                        ? Result<gate::GateResult>(launch_gate.Decide(vm, host_id))
                                        : gate::DecideAndExec(launch_gate, vm, host_id, command);
  if (!result.has_value()) {
    logger.Error(result.error().ToString());
    return kExitFailure;
  }
  if (!result->allowed) {
    PrintDenial(vm.name, *result);
    return kExitRefused;
  }
  return kExitOk;
}

int Run(const CommonOptions& common, const RunOptions& options, Logger& logger) {
  Result<LauncherConfig> config = ResolveConfig(common);
  if (config.has_value()) {
    if (Status s = ApplyModeOverride(*config, options.mode); !s.ok()) config = s;
  }
  if (!config.has_value()) {
    logger.Error(config.error().ToString());
    return kExitBadInput;
  }
  Result<gate::VmSpec> vm = VmSpecFromOptions(options);
  if (!vm.has_value()) {
    logger.Error(vm.error().ToString());
    return kExitBadInput;
  }
  if (options.command.empty()) {
    logger.Error("no command to run (give it after --)");
    return kExitUsage;
  }
  return GateLaunch(*config, *vm, options.command, logger);
}

// ---- libvirt-hook ----

// Reads stdin up to `limit` + 1 bytes (so an oversized document is seen as
// such without reading it all).
std::string ReadStdin(size_t limit) {
  std::string data;
  char buf[65536];
  while (data.size() <= limit) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

int LibvirtHook(const CommonOptions& common, const std::vector<std::string>& args, Logger& logger) {
  // libvirt: /etc/libvirt/hooks/qemu DOMAIN OPERATION SUB-OPERATION EXTRA,
  // the domain XML on stdin. Only "prepare" (before any resource is set up)
  // is gated; every other operation passes.
  if (args.size() < 2) {
    logger.Error("libvirt-hook: expected DOMAIN OPERATION [SUB-OPERATION [EXTRA]]");
    return kExitUsage;
  }
  const std::string& domain_name = args[0];
  if (args[1] != "prepare") {
    ReadStdin(gate::kMaxDomainXmlBytes);  // drain, so libvirt's write never fails
    return kExitOk;
  }
  Result<LauncherConfig> config = ResolveConfig(common);
  if (!config.has_value()) {
    logger.Error(config.error().ToString());
    std::fprintf(stderr, "vouch-launcher: start of VM %s refused: %s\n", domain_name.c_str(),
                 config.error().message().c_str());
    return kExitBadInput;
  }
  const std::string xml = ReadStdin(gate::kMaxDomainXmlBytes);
  Result<gate::LibvirtDomain> domain = gate::ParseLibvirtDomain(xml);
  if (domain.has_value() && domain->name != domain_name) {
    domain = InvalidArgumentError("domain XML names VM " + domain->name +
                                  ", the hook was called for " + domain_name);
  }
  if (!domain.has_value()) {
    if (config->gate_mode == GateMode::kAudit) {
      logger.Warning("launch gate: VM " + domain_name +
                     ": allowed (audit); enforce would deny: " + domain.error().ToString());
      return kExitOk;
    }
    std::fprintf(stderr, "vouch-launcher: start of VM %s refused: %s\n", domain_name.c_str(),
                 domain.error().message().c_str());
    return kExitRefused;
  }
  for (const std::string& note : domain->not_measured) {
    logger.Info("VM " + domain->name + ": " + note);
  }
  return GateLaunch(*config, gate::VmSpecFromDomain(*domain), {}, logger);
}

}  // namespace

std::vector<Command> RegisterGateCommands(CLI::App& app) {
  std::vector<Command> commands;
  CLI::App* run = app.add_subcommand(
      "run",
      "measure a VM's components into the VM log and PCR, ask the verifier for a launch "
      "decision, and exec COMMAND (no shell) only when allowed (gate_mode enforce) or always, "
      "logging the decision (audit). Denied: exit 1 with the reasons on stderr");
  auto common_run = std::make_shared<CommonOptions>();
  auto options = std::make_shared<RunOptions>();
  AddCommonOptions(*run, *common_run);
  run->add_option("--vm", options->vm, "the VM's name (1-256 characters)")->required();
  run->add_option(
      "--id", options->id,
      "the VM's id, e.g. its UUID (default: a UUID derived from the name, as measure-vm)");
  run->add_option("--disk", options->disks, "disk image to measure; repeatable");
  run->add_option("--kernel", options->kernel, "kernel (direct kernel boot)");
  run->add_option("--initrd", options->initrd, "initrd (direct kernel boot)");
  run->add_option("--firmware", options->firmware, "firmware image (e.g. OVMF_CODE.fd)");
  run->add_option("--vm-config", options->vm_config,
                  "the VM's configuration file, measured as kind config");
  run->add_option("--mode", options->mode, "enforce or audit (overrides gate_mode)")
      ->check(CLI::IsMember({"enforce", "audit"}));
  run->add_option("command", options->command, "-- COMMAND ARGS..: what to exec when allowed");
  commands.push_back(
      {run, [common_run, options](Logger& logger) { return Run(*common_run, *options, logger); }});

  CLI::App* hook = app.add_subcommand(
      "libvirt-hook",
      "libvirt's qemu hook (/etc/libvirt/hooks/qemu: DOMAIN OPERATION SUB-OPERATION EXTRA, "
      "domain XML on stdin): on 'prepare', gates the start like run (exit 1 with the reasons "
      "on stderr makes libvirt refuse it); every other operation exits 0");
  auto common_hook = std::make_shared<CommonOptions>();
  auto hook_args = std::make_shared<std::vector<std::string>>();
  AddCommonOptions(*hook, *common_hook);
  hook->add_option("args", *hook_args, "DOMAIN OPERATION SUB-OPERATION EXTRA as libvirt passes");
  commands.push_back({hook, [common_hook, hook_args](Logger& logger) {
                        return LibvirtHook(*common_hook, *hook_args, logger);
                      }});
  return commands;
}

}  // namespace vouch::launcher::cli
