#include "launcher/firmware/emulate_firmware.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/eventlog/event_log.h"

namespace vouch::launcher {

namespace {

constexpr uint32_t kLastPcr = 15;  // locality 0 may extend PCRs 0-15 (16, 23 are debug/app)

}  // namespace

Result<FirmwareEmulation> EmulateFirmwareBoot(tpm_device::TpmDevice& tpm, ByteView log) {
  VOUCH_ASSIGN_OR_RETURN(eventlog::UnverifiedEventLog parsed, eventlog::ParseEventLog(log));
  if (parsed.startup_locality().value_or(0) != 0) {
    return Status(Code::kFailedPrecondition,
                  "the log's StartupLocality is " + std::to_string(*parsed.startup_locality()) +
                      "; a TPM started at locality 0 cannot reproduce its PCR 0 (use a log "
                      "without a StartupLocality event or with locality 0)");
  }
  VOUCH_ASSIGN_OR_RETURN(std::vector<HashAlg> banks, tpm.ActiveBanks());
  for (HashAlg bank : banks) {
    if (std::find(parsed.banks().begin(), parsed.banks().end(), bank) == parsed.banks().end()) {
      return Status(Code::kFailedPrecondition, "the TPM's " + std::string(HashAlgName(bank)) +
                                                   " bank is active but the log has no " +
                                                   std::string(HashAlgName(bank)) +
                                                   " digests; that bank could not replay");
    }
  }
  const std::vector<eventlog::Event>& events = parsed.EventsUnverifiedForDebug();
  for (const eventlog::Event& ev : events) {
    if (ev.type == eventlog::kEvNoAction || ev.pcr == eventlog::kPcrNotExtended) continue;
    if (ev.pcr > kLastPcr) {
      return Status(Code::kFailedPrecondition, "event " + std::to_string(ev.index) +
                                                   " extends PCR " + std::to_string(ev.pcr) +
                                                   ", outside the firmware's PCRs 0-15");
    }
  }
  // PCRs 0-15 must be untouched, or the replay would start from a value the
  // log does not explain.
  std::vector<tpm::PcrSelection> selection;
  std::vector<uint32_t> pcrs(kLastPcr + 1);
  for (uint32_t i = 0; i <= kLastPcr; ++i) pcrs[i] = i;
  selection.reserve(banks.size());
  for (HashAlg bank : banks) selection.push_back(tpm::PcrSelection{bank, pcrs});
  VOUCH_ASSIGN_OR_RETURN(tpm::PcrValues current, tpm.ReadPcrs(selection));
  for (const auto& [bank, values] : current.banks()) {
    for (const auto& [pcr, value] : values) {
      if (std::any_of(value.begin(), value.end(), [](uint8_t b) { return b != 0; })) {
        return Status(Code::kFailedPrecondition,
                      "PCR " + std::to_string(pcr) + " (" + std::string(HashAlgName(bank)) +
                          ") is not at its reset value: the platform booted already; restart "
                          "the TPM first");
      }
    }
  }
  VOUCH_RETURN_IF_ERROR(tpm.SetLocality(0));
  FirmwareEmulation result;
  result.banks = banks;
  for (const eventlog::Event& ev : events) {
    if (ev.type == eventlog::kEvNoAction || ev.pcr == eventlog::kPcrNotExtended) continue;
    std::vector<tpm_device::BankDigest> digests;
    for (HashAlg bank : banks) {
      const ByteView* d = ev.DigestFor(bank);
      if (d == nullptr) {
        return Status(Code::kFailedPrecondition, "event " + std::to_string(ev.index) + " has no " +
                                                     std::string(HashAlgName(bank)) + " digest");
      }
      digests.push_back(tpm_device::BankDigest{bank, Bytes(d->begin(), d->end())});
    }
    VOUCH_RETURN_IF_ERROR(tpm.ExtendPcr(ev.pcr, digests)
                              .WithContext("extending event " + std::to_string(ev.index) +
                                           " into PCR " + std::to_string(ev.pcr)));
    ++result.events_extended;
  }
  return result;
}

}  // namespace vouch::launcher
