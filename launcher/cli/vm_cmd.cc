#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/tpm_device/esys_tpm_device.h"
#include "launcher/cli/common.h"
#include "launcher/vm/measure_vm.h"
#include "launcher/vm/vm_log_writer.h"

// measure-vm and vm-log show|check|rotate: measuring VM components into the
// VM log and PCR, and looking at that log (docs/launcher-vm.md).
namespace vouch::launcher::cli {
namespace {

// TEST ONLY: the environment variable through which the crash-safety tests
// make measure-vm die (SIGKILL) right after a record's fsync and before its
// extend. Never set it on a real host.
constexpr char kFaultEnv[] = "VOUCH_LAUNCHER_FAULT";
constexpr char kFaultKillAfterAppend[] = "kill-after-append";

// "\r disk  vm.img  1234/4096 MiB  30%  1650 MiB/s" on stderr, at most ten
// times a second, and a final line when a file is done.
class ProgressBar {
 public:
  void Update(std::string_view component, const std::string& path, uint64_t done, uint64_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (path != path_) {
      path_ = path;
      start_ = now;
      last_ = {};
    }
    const bool finished = total > 0 && done >= total;
    if (!finished && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double mib = static_cast<double>(done) / (1024.0 * 1024.0);
    const double total_mib = static_cast<double>(total) / (1024.0 * 1024.0);
    const int percent = total > 0 ? static_cast<int>(done * 100 / total) : 100;
    std::fprintf(stderr, "\r%-8s %-24.24s %9.0f/%.0f MiB %3d%% %6.0f MiB/s%s",
                 std::string(component).c_str(),
                 std::filesystem::path(path).filename().string().c_str(), mib, total_mib, percent,
                 seconds > 0 ? mib / seconds : 0.0, finished ? "\n" : "");
    std::fflush(stderr);
  }

 private:
  std::string path_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

struct MeasureOptions {
  std::string name;
  std::string id;
  std::vector<std::string> disks;
  std::string kernel;
  std::string initrd;
  std::string firmware;
  std::string vm_config;
  uint32_t pcr = 0;  // 0: the configuration's vm_pcr
  bool json = false;
};

int MeasureVmCommand(const CommonOptions& common, const MeasureOptions& options, Logger& logger) {
  auto config = ResolveConfig(common);
  if (!config.has_value()) {
    logger.Error(config.error().ToString());
    return kExitBadInput;
  }
  MeasureVmRequest request;
  request.name = options.name;
  request.id = options.id;
  request.disks = options.disks;
  request.kernel = options.kernel;
  request.initrd = options.initrd;
  request.firmware = options.firmware;
  request.config = options.vm_config;
  request.pcr = options.pcr != 0 ? options.pcr : config->vm_pcr;
  request.log_path = config->VmLogPath();
  request.boot_id = ReadBootId();
  request.time = std::chrono::system_clock::now();
  auto bar = std::make_shared<ProgressBar>();
  if (::isatty(STDERR_FILENO) == 1) {
    request.progress = [bar](std::string_view component, const std::string& path, uint64_t done,
                             uint64_t total) { bar->Update(component, path, done, total); };
  }
  if (const char* fault = std::getenv(kFaultEnv); fault != nullptr && *fault != '\0') {
    if (std::string_view(fault) != kFaultKillAfterAppend) {
      logger.Error(std::string(kFaultEnv) + "=" + fault +
                   ": unknown fault (test only; the one "
                   "known is " +
                   kFaultKillAfterAppend + ")");
      return kExitBadInput;
    }
    logger.Warning(std::string(kFaultEnv) + "=" + kFaultKillAfterAppend +
                   ": TEST ONLY fault injection, this process kills itself after the first "
                   "record's fsync, before its extend");
    request.after_append_for_test = [](const protocol::VmLogRecord&) -> Status {
      std::fflush(stderr);
      std::raise(SIGKILL);
      return InternalError("still alive after SIGKILL");
    };
  }
  auto tpm = tpm_device::OpenEsysTpmDevice(config->tcti);
  if (!tpm.has_value()) {
    logger.Error(tpm.error().WithContext("TPM " + config->tcti).ToString());
    return kExitFailure;
  }
  auto result = MeasureVm(**tpm, request, logger);
  if (!result.has_value()) {
    logger.Error(result.error().WithContext("measure-vm").ToString());
    return ExitCodeFor(result.error());
  }
  if (options.json) std::printf("%s\n", MeasureVmResultToJson(*result).c_str());
  return kExitOk;
}

std::string Short(const std::string& hex) { return hex.size() > 16 ? hex.substr(0, 16) : hex; }

void PrintInspection(const VmLogInspection& in) {
  std::printf("VM log %s: %s, %llu bytes, %zu record(s), %zu defect(s)\n", in.path.c_str(),
              in.exists ? "present" : "absent", static_cast<unsigned long long>(in.bytes),
              in.log.records.size(), in.log.defects.size());
  if (!in.log.records.empty()) {
    std::printf("%-5s %-8s %-20s %-20s %-9s %14s %-16s %s\n", "SEQ", "OFFSET", "TIME", "VM",
                "COMPONENT", "SIZE", "DIGEST", "PATH");
  }
  for (size_t i = 0; i < in.log.records.size(); ++i) {
    const protocol::VmLogRecord& r = in.log.records[i];
    // The sha256 digest (what sha256sum and most reference values show), or
    // the first bank's, shortened: enough to tell records apart.
    std::string digest;
    auto shown = r.digests.find(HashAlg::kSha256);
    if (shown == r.digests.end()) shown = r.digests.begin();
    if (shown != r.digests.end()) {
      digest = std::string(HashAlgName(shown->first)) + ":" + Short(HexEncode(shown->second));
    }
    std::printf("%-5llu %-8zu %-20s %-20.20s %-9s %14llu %-16s %s\n",
                static_cast<unsigned long long>(r.seq),
                i < in.log.offsets.size() ? in.log.offsets[i] : 0, r.time.c_str(),
                r.vm_name.c_str(), std::string(protocol::VmComponentName(r.component)).c_str(),
                static_cast<unsigned long long>(r.size), digest.c_str(), r.path.c_str());
  }
  for (const protocol::VmLogDefect& d : in.log.defects) {
    std::printf("defect at offset %zu (%zu bytes): %s: %s\n", d.offset, d.length,
                d.kind == protocol::VmLogDefect::Kind::kTorn ? "torn" : "malformed",
                d.message.c_str());
  }
  for (const VmPcrBankCheck& c : in.classification.checks) {
    std::printf("PCR %u %-6s %-19s TPM %s replay %s\n", c.pcr,
                std::string(HashAlgName(c.bank)).c_str(),
                std::string(VmPcrStateName(c.state)).c_str(), HexEncode(c.tpm_value).c_str(),
                c.replay_value.empty() ? "-" : HexEncode(c.replay_value).c_str());
  }
  std::printf("%s\n", in.classification.message.c_str());
}

enum class LogAction { kShow, kCheck };

int VmLogCommand(const CommonOptions& common, LogAction action, bool json, Logger& logger) {
  auto config = ResolveConfig(common);
  if (!config.has_value()) {
    logger.Error(config.error().ToString());
    return kExitBadInput;
  }
  auto tpm = tpm_device::OpenEsysTpmDevice(config->tcti);
  if (!tpm.has_value()) {
    logger.Error(tpm.error().WithContext("TPM " + config->tcti).ToString());
    return kExitFailure;
  }
  auto inspection = InspectVmLog(**tpm, config->VmLogPath(), config->vm_pcr);
  if (!inspection.has_value()) {
    logger.Error(inspection.error().WithContext("vm-log").ToString());
    return ExitCodeFor(inspection.error());
  }
  if (action == LogAction::kShow) {
    if (json) {
      std::printf("%s\n", VmLogInspectionToJson(*inspection).c_str());
    } else {
      PrintInspection(*inspection);
    }
    return kExitOk;
  }
  for (const protocol::VmLogDefect& d : inspection->log.defects) {
    logger.Warning("VM log " + inspection->path + ": " +
                   (d.kind == protocol::VmLogDefect::Kind::kTorn ? "torn" : "malformed") +
                   " line at offset " + std::to_string(d.offset) + " (" + d.message +
                   "; never extended)");
  }
  const bool ok = inspection->classification.state == VmPcrState::kConsistent;
  std::printf("%s\n", inspection->classification.message.c_str());
  return ok ? kExitOk : kExitRefused;
}

int RotateCommand(const CommonOptions& common, bool force, Logger& logger) {
  auto config = ResolveConfig(common);
  if (!config.has_value()) {
    logger.Error(config.error().ToString());
    return kExitBadInput;
  }
  auto result = RotateVmLog(config->VmLogPath(), ReadBootId(), force);
  if (!result.has_value()) {
    logger.Error(result.error().WithContext("vm-log rotate").ToString());
    return ExitCodeFor(result.error());
  }
  logger.Info(result->message);
  return kExitOk;
}

}  // namespace

std::vector<Command> RegisterVmCommands(CLI::App& app) {
  std::vector<Command> commands;

  CLI::App* measure = app.add_subcommand(
      "measure-vm",
      "hash a VM's files once in every active PCR bank, append one VM log record per file and "
      "extend it into the VM PCR (firmware, kernel, initrd, disks, config, in this order)");
  auto common = std::make_shared<CommonOptions>();
  auto options = std::make_shared<MeasureOptions>();
  AddCommonOptions(*measure, *common);
  measure->add_option("--name", options->name, "the VM's name (1-256 characters)")->required();
  measure->add_option("--id", options->id,
                      "the VM's id, e.g. its libvirt UUID (default: the version-5 UUID of the "
                      "name in the namespace " +
                          std::string(kVmIdNamespace) + ")");
  measure->add_option("--disk", options->disks, "disk image (file or block device); repeatable")
      ->required();
  measure->add_option("--kernel", options->kernel, "kernel (direct kernel boot)");
  measure->add_option("--initrd", options->initrd, "initrd (direct kernel boot)");
  measure->add_option("--firmware", options->firmware, "firmware image (e.g. OVMF_CODE.fd)");
  measure->add_option("--vm-config", options->vm_config,
                      "the VM's configuration file (e.g. its domain XML); --config is the "
                      "launcher's own configuration");
  measure->add_option("--pcr", options->pcr, "VM PCR, 8-15 (overrides vm_pcr; default 15)");
  measure->add_flag("--json", options->json, "print a JSON summary on stdout");
  commands.push_back({measure, [common, options](Logger& logger) {
                        return MeasureVmCommand(*common, *options, logger);
                      }});

  CLI::App* vm_log = app.add_subcommand("vm-log", "look at or rotate the VM measurement log");
  vm_log->require_subcommand(1);

  CLI::App* show = vm_log->add_subcommand(
      "show",
      "the log's records and defects (with offsets) and its replay against the TPM's VM "
      "PCR in every bank");
  auto show_common = std::make_shared<CommonOptions>();
  auto show_json = std::make_shared<bool>(false);
  AddCommonOptions(*show, *show_common);
  show->add_flag("--json", *show_json, "JSON instead of a table");
  commands.push_back({show, [show_common, show_json](Logger& logger) {
                        return VmLogCommand(*show_common, LogAction::kShow, *show_json, logger);
                      }});

  CLI::App* check = vm_log->add_subcommand(
      "check",
      "exit 0 when the TPM's VM PCR equals the log's replay in every bank, 1 otherwise "
      "(a trailing record appended but not extended, or a mismatch)");
  auto check_common = std::make_shared<CommonOptions>();
  AddCommonOptions(*check, *check_common);
  commands.push_back({check, [check_common](Logger& logger) {
                        return VmLogCommand(*check_common, LogAction::kCheck, false, logger);
                      }});

  CLI::App* rotate = vm_log->add_subcommand(
      "rotate",
      "when the log holds records of another boot (or with --force), copy it to "
      "vm.log.<boot_id> and truncate it in place");
  auto rotate_common = std::make_shared<CommonOptions>();
  auto force = std::make_shared<bool>(false);
  AddCommonOptions(*rotate, *rotate_common);
  rotate->add_flag("--force", *force,
                   "rotate even within the same boot (the VM PCR then no longer matches the "
                   "log until the next reboot)");
  commands.push_back({rotate, [rotate_common, force](Logger& logger) {
                        return RotateCommand(*rotate_common, *force, logger);
                      }});
  return commands;
}

}  // namespace vouch::launcher::cli
