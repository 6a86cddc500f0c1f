// vouch-launcher: measured launch and measured VM start (issue 5). This
// first piece emulates a firmware boot on a TPM without one (swtpm), so the
// agent's evidence carries a real SRTM log that replays to the quoted PCRs.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/base/bytes.h"
#include "core/base/logger.h"
#include "core/tpm_device/esys_tpm_device.h"
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  vouch::StderrLogger logger(*vouch::ParseLogLevel(log_level));
  if (fw->parsed()) return EmulateFirmware(tcti, log_path, copy_to, logger);
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
