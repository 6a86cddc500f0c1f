#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "core/base/bytes.h"
#include "core/tpm_device/esys_tpm_device.h"
#include "launcher/cli/common.h"
#include "launcher/drtm/emulate_launch.h"
#include "launcher/drtm/swtpm_control.h"
#include "launcher/firmware/emulate_firmware.h"

// emulate-firmware and emulate-launch: for TPMs without a platform (swtpm),
// a real firmware log replayed into PCRs 0-15 and a tboot-style measured
// launch into PCRs 17/18 (docs/launcher.md).
namespace vouch::launcher::cli {
namespace {

int EmulateFirmware(const std::string& tcti, const std::string& log_path,
                    const std::string& copy_to, Logger& logger) {
  std::ifstream in(log_path, std::ios::binary);
  if (!in) {
    logger.Error("--log " + log_path + ": cannot open");
    return kExitBadInput;
  }
  Bytes log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto tpm = tpm_device::OpenEsysTpmDevice(tcti);
  if (!tpm.has_value()) {
    logger.Error(tpm.error().WithContext("TPM " + tcti).ToString());
    return kExitFailure;
  }
  if (auto s = (*tpm)->Startup(); !s.ok()) {
    logger.Error(s.WithContext("TPM startup").ToString());
    return kExitFailure;
  }
  auto result = EmulateFirmwareBoot(**tpm, log);
  if (!result.has_value()) {
    logger.Error(result.error().WithContext("emulate-firmware " + log_path).ToString());
    switch (result.error().code()) {
      case Code::kInvalidArgument: return kExitBadInput;
      case Code::kFailedPrecondition: return kExitRefused;
      default: return kExitFailure;
    }
  }
  std::string banks;
  for (HashAlg b : result->banks) {
    banks += (banks.empty() ? "" : ",") + std::string(HashAlgName(b));
  }
  logger.Info("emulated firmware boot: " + std::to_string(result->events_extended) + " events of " +
              log_path + " extended (" + banks + ")");
  if (!copy_to.empty()) {
    std::error_code ec;
    std::filesystem::copy_file(log_path, copy_to, std::filesystem::copy_options::overwrite_existing,
                               ec);
    if (ec) {
      logger.Error("--copy-to " + copy_to + ": " + ec.message());
      return kExitFailure;
    }
    logger.Info("firmware log copied to " + copy_to + " (the agent's srtm_log)");
  }
  return kExitOk;
}

// Module files (hypervisors, kernels, initrds, tboot) are read whole.
struct EmulateLaunchOptions {
  std::string tcti;
  std::string hypervisor;
  std::string hypervisor_cmdline;
  std::vector<std::string> modules;  // FILE[:CMDLINE]
  std::string mle;
  std::string vlp;
  uint32_t policy_control = kTbootPolicyControlExtendPcr17;
  std::string out;
};

int EmulateLaunch(const EmulateLaunchOptions& options, Logger& logger) {
  auto endpoint = SwtpmControlEndpointFromTcti(options.tcti);
  if (!endpoint.has_value()) {
    logger.Error(endpoint.error().WithContext("--tcti").ToString());
    return kExitRefused;
  }
  LaunchInputs inputs;
  inputs.policy_control = options.policy_control;
  auto add_module = [&](const std::string& option, const std::string& path,
                        const std::string& cmdline) -> bool {
    auto image = ReadInputFile(option, path);
    if (!image.has_value()) {
      logger.Error(image.error().ToString());
      return false;
    }
    inputs.modules.push_back(LaunchModule{path, std::move(*image), cmdline});
    return true;
  };
  if (!add_module("--hypervisor", options.hypervisor, options.hypervisor_cmdline)) {
    return kExitBadInput;
  }
  for (const std::string& spec : options.modules) {
    const size_t colon = spec.find(':');
    const std::string path = spec.substr(0, colon);
    const std::string cmdline = colon == std::string::npos ? "" : spec.substr(colon + 1);
    if (!add_module("--module", path, cmdline)) return kExitBadInput;
  }
  for (auto [option, path, target] : {std::tuple{"--mle", &options.mle, &inputs.mle},
                                      std::tuple{"--vlp", &options.vlp, &inputs.vlp}}) {
    if (path->empty()) continue;
    auto data = ReadInputFile(option, *path);
    if (!data.has_value()) {
      logger.Error(data.error().ToString());
      return kExitBadInput;
    }
    *target = std::move(*data);
  }

  auto tpm = tpm_device::OpenEsysTpmDevice(options.tcti);
  if (!tpm.has_value()) {
    logger.Error(tpm.error().WithContext("TPM " + options.tcti).ToString());
    return kExitFailure;
  }
  std::unique_ptr<SwtpmControl> control = MakeTcpSwtpmControl(*endpoint);
  auto result = EmulateDrtmLaunch(**tpm, *control, inputs);
  if (!result.has_value()) {
    logger.Error(result.error().WithContext("emulate-launch").ToString());
    return ExitCodeFor(result.error());
  }
  if (auto s = WriteFileAtomically(options.out, result->log); !s.ok()) {
    logger.Error(s.WithContext("--out").ToString());
    return kExitFailure;
  }
  logger.Info("emulated measured launch (stand-in SINIT: \"" + std::string(kEmulatedSinitName) +
              "\"): " + std::to_string(result->events) + " events, " +
              std::to_string(inputs.modules.size()) + " module(s), D-RTM log written to " +
              options.out + " (the agent's drtm_log; set measured_launch = emulated)");
  for (HashAlg bank : result->banks) {
    for (uint32_t pcr : {17u, 18u}) {
      const Bytes* v = result->pcrs.Get(bank, pcr);
      if (v != nullptr) {
        logger.Info("PCR " + std::to_string(pcr) + " " + std::string(HashAlgName(bank)) + " " +
                    HexEncode(*v));
      }
    }
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> RegisterEmulateCommands(CLI::App& app) {
  std::vector<Command> commands;
  CLI::App* fw = app.add_subcommand(
      "emulate-firmware",
      "extend a TPM without firmware measurements (swtpm) with a real firmware event log, "
      "so the log replays to its PCRs (tests, demos; never on a real host)");
  auto common_fw = std::make_shared<CommonOptions>();
  auto log_path = std::make_shared<std::string>();
  auto copy_to = std::make_shared<std::string>();
  AddCommonOptions(*fw, *common_fw);
  fw->add_option("--log", *log_path, "TCG firmware event log (binary_bios_measurements format)")
      ->required();
  fw->add_option("--copy-to", *copy_to, "also copy the log here (the agent's srtm_log path)");
  commands.push_back({fw, [common_fw, log_path, copy_to](Logger& logger) {
                        auto config = ResolveConfig(*common_fw);
                        if (!config.has_value()) {
                          logger.Error(config.error().ToString());
                          return kExitBadInput;
                        }
                        return EmulateFirmware(config->tcti, *log_path, *copy_to, logger);
                      }});

  CLI::App* launch = app.add_subcommand(
      "emulate-launch",
      "perform a tboot-style measured launch (D-RTM, PCRs 17/18) on a swtpm with a stand-in "
      "SINIT named as such, and write its TCG D-RTM event log (tests, demos; never on a real "
      "host). The verifier refuses emulated launches unless allow_emulated_launch");
  auto common_launch = std::make_shared<CommonOptions>();
  auto options = std::make_shared<EmulateLaunchOptions>();
  AddCommonOptions(*launch, *common_launch);
  launch
      ->add_option("--hypervisor", options->hypervisor,
                   "module 0: the hypervisor (xen.gz) or, for KVM, the Linux kernel")
      ->required();
  launch->add_option("--hypervisor-cmdline", options->hypervisor_cmdline,
                     "its command line, without the file name");
  launch->add_option("--module", options->modules,
                     "further module FILE[:CMDLINE] (kernel, initrd), in launch order; repeatable");
  launch->add_option("--mle", options->mle,
                     "file measured as tboot's MLE (default: a stand-in named as such)");
  launch->add_option("--vlp", options->vlp,
                     "tboot verified launch policy as in its NV index (default: a stand-in)");
  launch->add_option("--policy-control", options->policy_control,
                     "tboot policy control value (default 1: extend PCR 17)");
  launch->add_option("--out", options->out,
                     "where to write the D-RTM event log (default STATE_DIR/drtm.log, the "
                     "agent's drtm_log)");
  commands.push_back({launch, [common_launch, options](Logger& logger) {
                        auto config = ResolveConfig(*common_launch);
                        if (!config.has_value()) {
                          logger.Error(config.error().ToString());
                          return kExitBadInput;
                        }
                        EmulateLaunchOptions resolved = *options;
                        resolved.tcti = config->tcti;
                        if (resolved.out.empty()) resolved.out = config->DrtmLogPath();
                        return EmulateLaunch(resolved, logger);
                      }});
  return commands;
}

}  // namespace vouch::launcher::cli
