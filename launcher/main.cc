// vouch-launcher: measured launch and measured VM start (issue 5). So far
// for TPMs without a platform (swtpm): emulate-firmware replays a real
// firmware log into PCRs 0-15 (the agent's SRTM log), emulate-launch
// performs a tboot-style measured launch into PCRs 17/18 and writes its
// D-RTM log.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/logger.h"
#include "core/tpm_device/esys_tpm_device.h"
#include "launcher/drtm/emulate_launch.h"
#include "launcher/drtm/swtpm_control.h"
#include "launcher/firmware/emulate_firmware.h"

namespace {

// Exit codes (the agent's): 0 ok, 1 refused, 2 usage, 3 bad input, 4 TPM or
// file failure, 5 internal.
constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitBadInput = 3;
constexpr int kExitFailure = 4;
constexpr int kExitInternal = 5;

int EmulateFirmware(const std::string& tcti, const std::string& log_path,
                    const std::string& copy_to, vouch::Logger& logger) {
  std::ifstream in(log_path, std::ios::binary);
  if (!in) {
    logger.Error("--log " + log_path + ": cannot open");
    return kExitBadInput;
  }
  vouch::Bytes log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto tpm = vouch::tpm_device::OpenEsysTpmDevice(tcti);
  if (!tpm.has_value()) {
    logger.Error(tpm.error().WithContext("TPM " + tcti).ToString());
    return kExitFailure;
  }
  if (auto s = (*tpm)->Startup(); !s.ok()) {
    logger.Error(s.WithContext("TPM startup").ToString());
    return kExitFailure;
  }
  auto result = vouch::launcher::EmulateFirmwareBoot(**tpm, log);
  if (!result.has_value()) {
    logger.Error(result.error().WithContext("emulate-firmware " + log_path).ToString());
    switch (result.error().code()) {
      case vouch::Code::kInvalidArgument: return kExitBadInput;
      case vouch::Code::kFailedPrecondition: return kExitRefused;
      default: return kExitFailure;
    }
  }
  std::string banks;
  for (vouch::HashAlg b : result->banks) {
    banks += (banks.empty() ? "" : ",") + std::string(vouch::HashAlgName(b));
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
constexpr std::uintmax_t kMaxInputFileBytes = 1024ull * 1024 * 1024;

// Reads a whole input file; the error names the option.
vouch::Result<vouch::Bytes> ReadInputFile(const std::string& option, const std::string& path) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return vouch::InvalidArgumentError(option + " " + path + ": " + ec.message());
  if (size > kMaxInputFileBytes) {
    return vouch::InvalidArgumentError(option + " " + path + ": larger than 1 GiB");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return vouch::InvalidArgumentError(option + " " + path + ": cannot open");
  vouch::Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return vouch::InvalidArgumentError(option + " " + path + ": read error");
  return data;
}

// Writes `data` to `path` through a temporary file and a rename, so a reader
// (the agent) never sees half a log.
vouch::Status WriteFileAtomically(const std::string& path, vouch::ByteView data) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) return vouch::UnavailableError("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return vouch::UnavailableError("cannot rename " + tmp + " to " + path + ": " + ec.message());
  return vouch::Status::Ok();
}

struct EmulateLaunchOptions {
  std::string tcti;
  std::string hypervisor;
  std::string hypervisor_cmdline;
  std::vector<std::string> modules;  // FILE[:CMDLINE]
  std::string mle;
  std::string vlp;
  uint32_t policy_control = vouch::launcher::kTbootPolicyControlExtendPcr17;
  std::string out;
};

int ExitCodeFor(const vouch::Status& s) {
  switch (s.code()) {
    case vouch::Code::kInvalidArgument: return kExitBadInput;
    case vouch::Code::kFailedPrecondition: return kExitRefused;
    case vouch::Code::kInternal: return kExitInternal;
    default: return kExitFailure;
  }
}

int EmulateLaunch(const EmulateLaunchOptions& options, vouch::Logger& logger) {
  auto endpoint = vouch::launcher::SwtpmControlEndpointFromTcti(options.tcti);
  if (!endpoint.has_value()) {
    logger.Error(endpoint.error().WithContext("--tcti").ToString());
    return kExitRefused;
  }
  vouch::launcher::LaunchInputs inputs;
  inputs.policy_control = options.policy_control;
  auto add_module = [&](const std::string& option, const std::string& path,
                        const std::string& cmdline) -> bool {
    auto image = ReadInputFile(option, path);
    if (!image.has_value()) {
      logger.Error(image.error().ToString());
      return false;
    }
    inputs.modules.push_back(vouch::launcher::LaunchModule{path, std::move(*image), cmdline});
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

  auto tpm = vouch::tpm_device::OpenEsysTpmDevice(options.tcti);
  if (!tpm.has_value()) {
    logger.Error(tpm.error().WithContext("TPM " + options.tcti).ToString());
    return kExitFailure;
  }
  std::unique_ptr<vouch::launcher::SwtpmControl> control =
      vouch::launcher::MakeTcpSwtpmControl(*endpoint);
  auto result = vouch::launcher::EmulateDrtmLaunch(**tpm, *control, inputs);
  if (!result.has_value()) {
    logger.Error(result.error().WithContext("emulate-launch").ToString());
    return ExitCodeFor(result.error());
  }
  if (auto s = WriteFileAtomically(options.out, result->log); !s.ok()) {
    logger.Error(s.WithContext("--out").ToString());
    return kExitFailure;
  }
  logger.Info("emulated measured launch (stand-in SINIT: \"" +
              std::string(vouch::launcher::kEmulatedSinitName) +
              "\"): " + std::to_string(result->events) + " events, " +
              std::to_string(inputs.modules.size()) + " module(s), D-RTM log written to " +
              options.out + " (the agent's drtm_log; set measured_launch = emulated)");
  for (vouch::HashAlg bank : result->banks) {
    for (uint32_t pcr : {17u, 18u}) {
      const vouch::Bytes* v = result->pcrs.Get(bank, pcr);
      if (v != nullptr) {
        logger.Info("PCR " + std::to_string(pcr) + " " + std::string(vouch::HashAlgName(bank)) +
                    " " + vouch::HexEncode(*v));
      }
    }
  }
  return kExitOk;
}

int Run(int argc, char** argv) {
  CLI::App app{
      "vouch-launcher: measured launch of the hypervisor and measured start of VMs.\n"
      "Exit codes: 0 ok, 1 refused, 2 usage, 3 bad input, 4 TPM or file failure, 5 internal."};
  app.set_version_flag("--version", "vouch-launcher 0.1.0");
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "debug, info, warning or error")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));
  CLI::App* fw = app.add_subcommand(
      "emulate-firmware",
      "extend a TPM without firmware measurements (swtpm) with a real firmware event log, "
      "so the log replays to its PCRs (tests, demos; never on a real host)");
  std::string tcti;
  std::string log_path;
  std::string copy_to;
  fw->add_option("--tcti", tcti, "TCTI of the TPM, e.g. swtpm:host=127.0.0.1,port=2321")
      ->required();
  fw->add_option("--log", log_path, "TCG firmware event log (binary_bios_measurements format)")
      ->required();
  fw->add_option("--copy-to", copy_to, "also copy the log here (the agent's srtm_log path)");
  CLI::App* launch = app.add_subcommand(
      "emulate-launch",
      "perform a tboot-style measured launch (D-RTM, PCRs 17/18) on a swtpm with a stand-in "
      "SINIT named as such, and write its TCG D-RTM event log (tests, demos; never on a real "
      "host). The verifier refuses emulated launches unless allow_emulated_launch");
  EmulateLaunchOptions launch_options;
  launch
      ->add_option("--tcti", launch_options.tcti,
                   "swtpm TCTI, e.g. swtpm:host=127.0.0.1,port=2321 (control channel: port+1)")
      ->required();
  launch
      ->add_option("--hypervisor", launch_options.hypervisor,
                   "module 0: the hypervisor (xen.gz) or, for KVM, the Linux kernel")
      ->required();
  launch->add_option("--hypervisor-cmdline", launch_options.hypervisor_cmdline,
                     "its command line, without the file name");
  launch->add_option("--module", launch_options.modules,
                     "further module FILE[:CMDLINE] (kernel, initrd), in launch order; repeatable");
  launch->add_option("--mle", launch_options.mle,
                     "file measured as tboot's MLE (default: a stand-in named as such)");
  launch->add_option("--vlp", launch_options.vlp,
                     "tboot verified launch policy as in its NV index (default: a stand-in)");
  launch->add_option("--policy-control", launch_options.policy_control,
                     "tboot policy control value (default 1: extend PCR 17)");
  launch->add_option("--out", launch_options.out, "where to write the D-RTM event log")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  vouch::StderrLogger logger(*vouch::ParseLogLevel(log_level));
  if (fw->parsed()) return EmulateFirmware(tcti, log_path, copy_to, logger);
  if (launch->parsed()) return EmulateLaunch(launch_options, logger);
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vouch-launcher: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "vouch-launcher: internal error\n");
  }
  return kExitInternal;
}
