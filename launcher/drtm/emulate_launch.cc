#include "launcher/drtm/emulate_launch.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/crypto/digest.h"
#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"

namespace vouch::launcher {

namespace {

constexpr uint32_t kDetailsPcr = 17;
constexpr uint32_t kAuthoritiesPcr = 18;
constexpr uint8_t kHashLocality = 4;   // the CPU's dynamic-launch hash registers
constexpr uint8_t kSinitLocality = 3;  // SINIT ACM
constexpr uint8_t kTbootLocality = 2;  // tboot (the MLE)

// Platform configuration of the emulated platform, as SINIT would record it
// (values as in the isecl TXT fixture where they describe "nothing
// configured"): no LCP, no STM, no BIOS ACM register data.
constexpr uint32_t kCpuScrtmStatus = 0;
constexpr uint32_t kLcpControl = 0;
// OsSinitData capabilities tboot requests on TPM 2.0 (the fixture's value).
constexpr uint32_t kOsSinitCaps = 0x201;
constexpr size_t kBiosAcRegDataSize = 32;

Bytes Le32(uint32_t v) {
  return Bytes{static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
               static_cast<uint8_t>(v >> 24)};
}

void PutLe16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}

void PutLe32(Bytes& out, uint32_t v) {
  const Bytes b = Le32(v);
  out.insert(out.end(), b.begin(), b.end());
}

Status CheckBanks(const std::vector<HashAlg>& banks) {
  if (banks.empty()) return InvalidArgumentError("the TPM has no active PCR bank");
  for (size_t i = 0; i < banks.size(); ++i) {
    if (!crypto::IsDigestSupported(banks[i])) {
      return InvalidArgumentError("the " + std::string(HashAlgName(banks[i])) +
                                  " bank cannot be hashed by this build");
    }
    for (size_t j = 0; j < i; ++j) {
      if (banks[j] == banks[i]) {
        return InvalidArgumentError("bank " + std::string(HashAlgName(banks[i])) + " listed twice");
      }
    }
  }
  return Status::Ok();
}

// H(data) in every bank.
Result<std::vector<tpm_device::BankDigest>> DigestsOf(const std::vector<HashAlg>& banks,
                                                      ByteView data) {
  std::vector<tpm_device::BankDigest> out;
  out.reserve(banks.size());
  for (HashAlg bank : banks) {
    VOUCH_ASSIGN_OR_RETURN(Bytes d, crypto::Digest(bank, data));
    out.push_back(tpm_device::BankDigest{bank, std::move(d)});
  }
  return out;
}

// An event whose digest is H(data) in every bank.
Result<DrtmEvent> DataEvent(const std::vector<HashAlg>& banks, uint32_t pcr, uint32_t type,
                            uint8_t locality, Bytes data) {
  DrtmEvent ev;
  ev.pcr = pcr;
  ev.type = type;
  ev.locality = locality;
  VOUCH_ASSIGN_OR_RETURN(ev.digests, DigestsOf(banks, data));
  ev.data = std::move(data);
  return ev;
}

// An event without data whose digests are given (MLE_HASH, EV_TBOOT_HASH).
DrtmEvent DigestEvent(uint32_t pcr, uint32_t type, uint8_t locality,
                      std::vector<tpm_device::BankDigest> digests) {
  DrtmEvent ev;
  ev.pcr = pcr;
  ev.type = type;
  ev.locality = locality;
  ev.digests = std::move(digests);
  return ev;
}

// Sets locality 0 again when it goes out of scope, unless disarmed: a
// failed launch must not leave later TPM users at locality 2-4.
class LocalityReset {
 public:
  explicit LocalityReset(tpm_device::TpmDevice& tpm) : tpm_(tpm) {}
  ~LocalityReset() {
    if (armed_) (void)tpm_.SetLocality(0);
  }
  LocalityReset(const LocalityReset&) = delete;
  LocalityReset& operator=(const LocalityReset&) = delete;
  void Disarm() { armed_ = false; }

 private:
  tpm_device::TpmDevice& tpm_;
  bool armed_ = true;
};

}  // namespace

Result<std::vector<DrtmEvent>> PlanDrtmLaunch(const std::vector<HashAlg>& banks,
                                              const LaunchInputs& inputs) {
  VOUCH_RETURN_IF_ERROR(CheckBanks(banks));
  if (inputs.modules.empty()) {
    return InvalidArgumentError("no module to launch: module 0 is the hypervisor");
  }
  std::vector<DrtmEvent> events;
  auto add = [&](Result<DrtmEvent> ev) -> Status {
    if (!ev.has_value()) return ev.error();
    events.push_back(std::move(*ev));
    return Status::Ok();
  };

  // Locality 4: the hash sequence over the stand-in SINIT.
  {
    VOUCH_ASSIGN_OR_RETURN(DrtmEvent start, DataEvent(banks, kDetailsPcr, kEvTxtHashStart,
                                                      kHashLocality, ToBytes(kEmulatedSinitName)));
    start.hash_sequence = true;
    events.push_back(std::move(start));
  }
  // Locality 3: SINIT, details into PCR 17 ...
  const Bytes zero_byte{0};
  VOUCH_RETURN_IF_ERROR(add(DataEvent(banks, kDetailsPcr, kEvTxtBiosAcRegData, kSinitLocality,
                                      Bytes(kBiosAcRegDataSize, 0))));
  VOUCH_RETURN_IF_ERROR(add(
      DataEvent(banks, kDetailsPcr, kEvTxtCpuScrtmStat, kSinitLocality, Le32(kCpuScrtmStatus))));
  VOUCH_RETURN_IF_ERROR(
      add(DataEvent(banks, kDetailsPcr, kEvTxtLcpControlHash, kSinitLocality, Le32(kLcpControl))));
  VOUCH_RETURN_IF_ERROR(
      add(DataEvent(banks, kDetailsPcr, kEvTxtLcpDetailsHash, kSinitLocality, zero_byte)));
  VOUCH_RETURN_IF_ERROR(
      add(DataEvent(banks, kDetailsPcr, kEvTxtStmHash, kSinitLocality, zero_byte)));
  VOUCH_RETURN_IF_ERROR(add(
      DataEvent(banks, kDetailsPcr, kEvTxtOsSinitDataCapHash, kSinitLocality, Le32(kOsSinitCaps))));
  {
    const Bytes mle = inputs.mle.value_or(ToBytes(kEmulatedMleName));
    VOUCH_ASSIGN_OR_RETURN(std::vector<tpm_device::BankDigest> mle_digests, DigestsOf(banks, mle));
    events.push_back(
        DigestEvent(kDetailsPcr, kEvTxtMleHash, kSinitLocality, std::move(mle_digests)));
  }
  // No LCP NV indices on the emulated platform: empty NV information.
  VOUCH_RETURN_IF_ERROR(add(DataEvent(banks, kDetailsPcr, kEvTxtNvInfoHash, kSinitLocality, {})));
  // ... and authorities into PCR 18.
  VOUCH_RETURN_IF_ERROR(add(DataEvent(banks, kAuthoritiesPcr, kEvTxtSinitPubkeyHash, kSinitLocality,
                                      ToBytes(kEmulatedSinitSignerName))));
  VOUCH_RETURN_IF_ERROR(add(DataEvent(banks, kAuthoritiesPcr, kEvTxtCpuScrtmStat, kSinitLocality,
                                      Le32(kCpuScrtmStatus))));
  VOUCH_RETURN_IF_ERROR(add(DataEvent(banks, kAuthoritiesPcr, kEvTxtOsSinitDataCapHash,
                                      kSinitLocality, Le32(kOsSinitCaps))));
  VOUCH_RETURN_IF_ERROR(add(
      DataEvent(banks, kAuthoritiesPcr, kEvTxtLcpControlHash, kSinitLocality, Le32(kLcpControl))));
  VOUCH_RETURN_IF_ERROR(
      add(DataEvent(banks, kAuthoritiesPcr, kEvTxtLcpAuthoritiesHash, kSinitLocality, zero_byte)));
  VOUCH_RETURN_IF_ERROR(
      add(DataEvent(banks, kAuthoritiesPcr, kEvTxtNvInfoHash, kSinitLocality, {})));

  // Locality 2: tboot's policy control into both PCRs, then the modules.
  const Bytes vlp = inputs.vlp.value_or(ToBytes(kEmulatedVlpName));
  VOUCH_ASSIGN_OR_RETURN(std::vector<tpm_device::BankDigest> policy,
                         TbootPolicyDigests(banks, inputs.policy_control, vlp));
  events.push_back(DigestEvent(kDetailsPcr, kEvTbootHash, kTbootLocality, policy));
  events.push_back(DigestEvent(kAuthoritiesPcr, kEvTbootHash, kTbootLocality, std::move(policy)));
  for (const LaunchModule& module : inputs.modules) {
    VOUCH_ASSIGN_OR_RETURN(std::vector<tpm_device::BankDigest> digests,
                           TbootModuleDigests(banks, module.image, module.cmdline));
    events.push_back(DigestEvent(kDetailsPcr, kEvTbootHash, kTbootLocality, std::move(digests)));
  }
  return events;
}

Result<Bytes> EncodeDrtmLog(const std::vector<HashAlg>& banks,
                            const std::vector<DrtmEvent>& events) {
  VOUCH_RETURN_IF_ERROR(CheckBanks(banks));
  Bytes out;
  // TCG_PCR_EVENT (PFP 10.2.1) carrying TCG_EfiSpecIDEvent (PFP 10.4.5.1).
  Bytes spec;
  const std::string_view signature("Spec ID Event03\0", 16);
  spec.insert(spec.end(), signature.begin(), signature.end());
  PutLe32(spec, 0);   // platformClass: client
  spec.push_back(0);  // specVersionMinor
  spec.push_back(2);  // specVersionMajor
  spec.push_back(0);  // specErrata
  spec.push_back(1);  // uintnSize: UINT32, as SINIT's log (the TXT fixture) has
  PutLe32(spec, static_cast<uint32_t>(banks.size()));
  for (HashAlg bank : banks) {
    PutLe16(spec, static_cast<uint16_t>(bank));
    PutLe16(spec, static_cast<uint16_t>(DigestSize(bank)));
  }
  spec.push_back(0);  // vendorInfoSize
  PutLe32(out, 0);    // pcrIndex
  PutLe32(out, eventlog::kEvNoAction);
  out.insert(out.end(), 20, 0);  // SHA-1 digest: zero for EV_NO_ACTION
  PutLe32(out, static_cast<uint32_t>(spec.size()));
  out.insert(out.end(), spec.begin(), spec.end());

  // TCG_PCR_EVENT2 (PFP 10.2.2) with TPML_DIGEST_VALUES (TPM 2.0 Part 2,
  // 10.9.7; little-endian in logs).
  for (size_t i = 0; i < events.size(); ++i) {
    const DrtmEvent& ev = events[i];
    if (ev.digests.size() != banks.size()) {
      return InvalidArgumentError("event " + std::to_string(i) + " has " +
                                  std::to_string(ev.digests.size()) + " digests for " +
                                  std::to_string(banks.size()) + " banks");
    }
    PutLe32(out, ev.pcr);
    PutLe32(out, ev.type);
    PutLe32(out, static_cast<uint32_t>(banks.size()));
    for (size_t b = 0; b < banks.size(); ++b) {
      const tpm_device::BankDigest& d = ev.digests[b];
      if (d.bank != banks[b] || d.digest.size() != DigestSize(d.bank)) {
        return InvalidArgumentError("event " + std::to_string(i) + ": digest " + std::to_string(b) +
                                    " is not a " + std::string(HashAlgName(banks[b])) + " digest");
      }
      PutLe16(out, static_cast<uint16_t>(d.bank));
      out.insert(out.end(), d.digest.begin(), d.digest.end());
    }
    PutLe32(out, static_cast<uint32_t>(ev.data.size()));
    out.insert(out.end(), ev.data.begin(), ev.data.end());
  }
  return out;
}

Result<DrtmEmulation> EmulateDrtmLaunch(tpm_device::TpmDevice& tpm, SwtpmControl& control,
                                        const LaunchInputs& inputs) {
  VOUCH_ASSIGN_OR_RETURN(std::vector<HashAlg> banks, tpm.ActiveBanks());
  VOUCH_ASSIGN_OR_RETURN(std::vector<DrtmEvent> events, PlanDrtmLaunch(banks, inputs));
  VOUCH_ASSIGN_OR_RETURN(Bytes log, EncodeDrtmLog(banks, events));
  // What the TPM must show afterwards: the log's own replay (core's).
  VOUCH_ASSIGN_OR_RETURN(eventlog::UnverifiedEventLog parsed, eventlog::ParseEventLog(log));
  VOUCH_ASSIGN_OR_RETURN(tpm::PcrValues expected, eventlog::ComputePcrs(parsed));

  LocalityReset reset(tpm);
  std::optional<uint8_t> locality;
  for (size_t i = 0; i < events.size(); ++i) {
    const DrtmEvent& ev = events[i];
    const std::string what = "event " + std::to_string(i + 1) + " (PCR " + std::to_string(ev.pcr) +
                             ", " + eventlog::EventTypeName(ev.type) + ")";
    if (locality != ev.locality) {
      VOUCH_RETURN_IF_ERROR(
          tpm.SetLocality(ev.locality)
              .WithContext("locality " + std::to_string(ev.locality) + " for " + what));
      locality = ev.locality;
    }
    if (ev.hash_sequence) {
      VOUCH_RETURN_IF_ERROR(control.HashStart().WithContext("_TPM_Hash_Start"));
      VOUCH_RETURN_IF_ERROR(control.HashData(ev.data).WithContext("_TPM_Hash_Data"));
      VOUCH_RETURN_IF_ERROR(control.HashEnd().WithContext("_TPM_Hash_End"));
      continue;
    }
    VOUCH_RETURN_IF_ERROR(tpm.ExtendPcr(ev.pcr, ev.digests).WithContext("extending " + what));
  }
  VOUCH_RETURN_IF_ERROR(tpm.SetLocality(0).WithContext("back to locality 0"));
  reset.Disarm();

  std::vector<tpm::PcrSelection> selection;
  selection.reserve(banks.size());
  for (HashAlg bank : banks) {
    selection.push_back(tpm::PcrSelection{bank, {kDetailsPcr, kAuthoritiesPcr}});
  }
  VOUCH_ASSIGN_OR_RETURN(tpm::PcrValues pcrs, tpm.ReadPcrs(selection));
  for (HashAlg bank : banks) {
    for (uint32_t pcr : {kDetailsPcr, kAuthoritiesPcr}) {
      const Bytes* got = pcrs.Get(bank, pcr);
      const Bytes* want = expected.Get(bank, pcr);
      if (got == nullptr || want == nullptr || *got != *want) {
        return InternalError(
            "after the emulated launch the TPM's PCR " + std::to_string(pcr) + " (" +
            std::string(HashAlgName(bank)) + ") is " + (got ? HexEncode(*got) : "missing") +
            " but the log replays to " + (want ? HexEncode(*want) : "nothing") +
            ": is the control channel this TPM's, and did something else extend it?");
      }
    }
  }
  DrtmEmulation result;
  result.log = std::move(log);
  result.banks = std::move(banks);
  result.events = events.size();
  result.pcrs = pcrs;  // PcrValues copies share storage
  return result;
}

}  // namespace vouch::launcher
