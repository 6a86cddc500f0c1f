// The appraisal pipeline (appraisal.h). Every step reuses core's verified
// building blocks: tpm::VerifyQuote turns claimed PCR values into
// VerifiedPcrs, eventlog::Replay turns a parsed log into VerifiedEvents, and
// only VerifiedEvents reach reference matching.
#include "verifier/core/appraisal.h"

#include <algorithm>
#include <array>
#include <ctime>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <utility>

#include "core/base/time_format.h"
#include "core/crypto/digest.h"
#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"
#include "core/protocol/vm_log.h"
#include "core/tpm/attest.h"
#include "core/tpm/pcr.h"
#include "core/tpm/public.h"
#include "core/tpm/quote.h"

namespace vouch::verifier {
namespace {

constexpr uint32_t kPlatformPcrs[] = {0, 1, 2, 3, 4, 5, 6, 7};
constexpr uint32_t kDrtmPcrs[] = {17, 18};
constexpr uint32_t kDrtmDetailsPcr = 17;

Finding MakeFinding(std::string id, Severity severity, std::string message) {
  Finding f;
  f.id = std::move(id);
  f.severity = severity;
  f.message = std::move(message);
  return f;
}

std::string PcrText(uint32_t pcr, HashAlg bank) {
  return "PCR " + std::to_string(pcr) + " (" + std::string(HashAlgName(bank)) + ")";
}

// "0-7,10,12-23" for a set of PCR indices.
std::string RangesText(const std::vector<uint32_t>& pcrs) {
  std::string out;
  for (size_t i = 0; i < pcrs.size();) {
    size_t j = i;
    while (j + 1 < pcrs.size() && pcrs[j + 1] == pcrs[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(pcrs[i]);
    if (j > i) out += "-" + std::to_string(pcrs[j]);
    i = j + 1;
  }
  return out.empty() ? "none" : out;
}

// core's replay.* ids as the verifier names them (appraisal.h): the log
// name goes into the message instead of the id, so policies match one id for
// every log.
std::string LogFindingId(const std::string& replay_id) {
  if (replay_id == "replay.pcr_mismatch") return "log.replay_mismatch";
  if (replay_id == "replay.pcr_not_quoted") return "log.pcr_not_quoted";
  if (replay_id == "replay.bank_not_in_log") return "log.bank_not_in_log";
  // Ids core may add later keep their meaning under the log. prefix.
  const size_t dot = replay_id.find('.');
  return "log." + (dot == std::string::npos ? replay_id : replay_id.substr(dot + 1));
}

// The PCR value a log's replay starts from (replay.h): zero, except PCR 0's
// last byte (the StartupLocality).
Bytes InitialValue(HashAlg bank, uint32_t pcr, std::optional<uint8_t> startup_locality) {
  Bytes v(DigestSize(bank), 0);
  if (pcr == 0 && !v.empty()) v.back() = startup_locality.value_or(0);
  return v;
}

bool HasErrorsIn(std::span<const Finding> findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Severity::kError; });
}

// The outcome of parsing and replaying one log against the verified PCRs.
struct LogCheck {
  std::optional<eventlog::UnverifiedEventLog> log;   // when it parsed
  std::optional<eventlog::VerifiedEvents> verified;  // when it was replayed
  bool errors = false;                               // an error finding was added
  std::set<uint32_t> covered;  // PCRs of interest whose quoted value the log explains
};

// Parses `bytes` and, when `pcrs` is set, replays the log into them, adding
// findings (log.malformed, log.replay_mismatch, log.pcr_not_quoted,
// log.bank_not_in_log) named after `log_name`.
//
// core's Replay says nothing about a quoted PCR the log never extends, so an
// unlogged extend of such a PCR would go unnoticed. For each PCR in
// `pcrs_of_interest` the log does not extend, the quoted value must still be
// the replay's initial value in every bank the log records; otherwise that is
// a log.replay_mismatch (expected = quoted, actual = initial value).
LogCheck CheckLog(std::string_view log_name, const Bytes& bytes, const tpm::VerifiedPcrs* pcrs,
                  std::span<const uint32_t> pcrs_of_interest, std::vector<Finding>& findings) {
  LogCheck out;
  const std::string prefix = std::string(log_name) + " log: ";
  const size_t first_finding = findings.size();
  Result<eventlog::UnverifiedEventLog> parsed =
      eventlog::ParseEventLog(std::make_shared<const Bytes>(bytes));
  if (!parsed) {
    findings.push_back(
        MakeFinding("log.malformed", Severity::kError, prefix + parsed.error().message()));
    out.errors = true;
    return out;
  }
  out.log = std::move(parsed).value();
  if (pcrs == nullptr) return out;
  const eventlog::UnverifiedEventLog& log = *out.log;

  Result<eventlog::ReplayResult> replay = eventlog::Replay(log, *pcrs);
  if (!replay) {
    // Only an inconsistent digest size, which the parser never produces:
    // still bad evidence, so a finding rather than an error.
    findings.push_back(
        MakeFinding("log.malformed", Severity::kError, prefix + replay.error().message()));
    out.errors = true;
    return out;
  }
  for (Finding& f : replay->findings) {
    f.id = LogFindingId(f.id);
    f.message = prefix + f.message;
    findings.push_back(std::move(f));
  }
  out.verified = std::move(replay->verified);
  const std::set<uint32_t>& verified_pcrs = out.verified->verified_pcrs();

  for (uint32_t pcr : pcrs_of_interest) {
    if (verified_pcrs.count(pcr) != 0) {
      out.covered.insert(pcr);
      continue;
    }
    bool extended = false;
    for (const eventlog::Event& ev : log.EventsUnverifiedForDebug()) {
      if (ev.pcr == pcr && ev.type != eventlog::kEvNoAction && !ev.digests.empty()) {
        extended = true;
        break;
      }
    }
    if (extended) continue;  // Replay reported why it did not verify
    bool compared = false;
    bool ok = true;
    for (HashAlg bank : log.banks()) {
      if (!crypto::IsDigestSupported(bank)) continue;
      const Bytes* quoted = pcrs->Get(bank, pcr);
      if (quoted == nullptr) continue;  // not quoted: quote.pcrs_incomplete says so
      compared = true;
      Bytes initial = InitialValue(bank, pcr, log.startup_locality());
      if (*quoted != initial) {
        ok = false;
        Finding f = MakeFinding(
            "log.replay_mismatch", Severity::kError,
            prefix + PcrText(pcr, bank) + " was extended, but the log records no event for it");
        f.pcr = pcr;
        f.bank = bank;
        f.expected = HexEncode(*quoted);
        f.actual = HexEncode(initial);
        findings.push_back(std::move(f));
      }
    }
    if (compared && ok) out.covered.insert(pcr);
  }
  out.errors = HasErrorsIn(std::span<const Finding>(findings).subspan(first_finding));
  return out;
}

// The strongest digest of an event (longest; later banks win ties), for
// findings that name one digest.
const eventlog::EventDigest* StrongestDigest(const eventlog::Event& ev) {
  const eventlog::EventDigest* best = nullptr;
  for (const eventlog::EventDigest& d : ev.digests) {
    if (best == nullptr || d.digest.size() >= best->digest.size()) best = &d;
  }
  return best;
}

// Whether `ref` describes `ev`: every bank both record agrees, and there is
// at least one such bank. Requiring agreement in every common bank means a
// SHA-1 match alone cannot vouch for an event whose SHA-256 differs.
bool Describes(const ReferenceValue& ref, const eventlog::Event& ev) {
  bool common = false;
  for (const eventlog::EventDigest& d : ev.digests) {
    auto it = ref.digests.find(d.alg);
    if (it == ref.digests.end()) continue;
    common = true;
    if (!std::equal(it->second.begin(), it->second.end(), d.digest.begin(), d.digest.end())) {
      return false;
    }
  }
  return common;
}

// The reference value of one of `kinds` describing a verified event, or
// nullptr.
const ReferenceValue* FindReference(const ReferenceSet& references, const eventlog::Event& ev,
                                    std::span<const ReferenceKind> kinds) {
  auto wanted = [&](ReferenceKind k) {
    return std::find(kinds.begin(), kinds.end(), k) != kinds.end();
  };
  for (const eventlog::EventDigest& d : ev.digests) {
    const ReferenceValue* ref = references.Find(d.alg, d.digest);
    if (ref == nullptr) continue;
    if (wanted(ref->kind) && Describes(*ref, ev)) return ref;
    // The index keeps the first entry per digest; another kind may have
    // claimed it first, so look for an entry of a wanted kind with it.
    for (const ReferenceValue& v : references.values()) {
      if (wanted(v.kind) && Describes(v, ev)) return &v;
    }
  }
  return nullptr;
}

const ReferenceValue* FindPlatformReference(const ReferenceSet& references,
                                            const eventlog::Event& ev) {
  static constexpr ReferenceKind kPlatform[] = {ReferenceKind::kPlatform};
  return FindReference(references, ev, kPlatform);
}

// What a D-RTM event measures, for reference matching (TXT/tboot on TPM 2.0,
// details/authorities mapping; PLATFORM.md): SINIT's own measurement
// (EVTYPE_HASH_START on PCR 17) and its signer (EVTYPE_SINIT_PUBKEY_HASH on
// PCR 18); tboot's MLE hash (EVTYPE_MLE_HASH); then tboot's events
// (EV_TBOOT_HASH, 0x501): first the policy-control hash on PCR 17 and on PCR
// 18, then one per module on PCR 17 in module order (module 0 the
// hypervisor - xen.gz, or the Linux kernel for KVM - then kernel/initrd).
// Other SINIT events record platform configuration (LCP, BIOS ACM
// registers, NV indices): covered by the replay, not matched.
constexpr uint32_t kEvTxtHashStart = 0x402;
constexpr uint32_t kEvTxtMleHash = 0x404;
constexpr uint32_t kEvTxtSinitPubkeyHash = 0x410;
constexpr uint32_t kEvTbootHash = 0x501;

enum class DrtmPart { kNone, kSinit, kTboot, kTbootPolicy, kHypervisor, kModule };

struct DrtmMatch {
  DrtmPart part;
  std::string_view finding;  // "ref.unknown_sinit", ...
  std::string_view what;     // "SINIT ACM", ...
};

DrtmMatch ClassifyDrtmEvent(const eventlog::Event& ev, bool& policy17_seen, bool& policy18_seen,
                            size_t& modules_seen) {
  if (ev.type == kEvTxtHashStart && ev.pcr == 17) {
    return {DrtmPart::kSinit, "ref.unknown_sinit", "SINIT ACM"};
  }
  if (ev.type == kEvTxtSinitPubkeyHash && ev.pcr == 18) {
    return {DrtmPart::kSinit, "ref.unknown_sinit", "SINIT signer"};
  }
  if (ev.type == kEvTxtMleHash && ev.pcr == 17) {
    return {DrtmPart::kTboot, "ref.unknown_tboot", "tboot (MLE)"};
  }
  if (ev.type == kEvTbootHash && ev.pcr == 18 && !policy18_seen) {
    policy18_seen = true;
    return {DrtmPart::kTbootPolicy, "ref.unknown_tboot_policy", "tboot policy control"};
  }
  if (ev.type == kEvTbootHash && ev.pcr == 17) {
    if (!policy17_seen) {
      policy17_seen = true;
      return {DrtmPart::kTbootPolicy, "ref.unknown_tboot_policy", "tboot policy control"};
    }
    if (modules_seen++ == 0) {
      return {DrtmPart::kHypervisor, "ref.unknown_hypervisor", "module 0 (hypervisor)"};
    }
    return {DrtmPart::kModule, "ref.unknown_module", "module (kernel or initrd)"};
  }
  return {DrtmPart::kNone, "", ""};
}

std::span<const ReferenceKind> KindsFor(DrtmPart part) {
  static constexpr ReferenceKind kSinit[] = {ReferenceKind::kSinit};
  static constexpr ReferenceKind kTboot[] = {ReferenceKind::kTboot};
  static constexpr ReferenceKind kPolicy[] = {ReferenceKind::kTbootPolicy};
  // KVM launches the Linux kernel as module 0.
  static constexpr ReferenceKind kHypervisor[] = {ReferenceKind::kHypervisor,
                                                  ReferenceKind::kKernel};
  static constexpr ReferenceKind kModule[] = {ReferenceKind::kKernel, ReferenceKind::kInitrd};
  switch (part) {
    case DrtmPart::kSinit: return kSinit;
    case DrtmPart::kTboot: return kTboot;
    case DrtmPart::kTbootPolicy: return kPolicy;
    case DrtmPart::kHypervisor: return kHypervisor;
    case DrtmPart::kModule: return kModule;
    case DrtmPart::kNone: break;
  }
  return {};
}

std::string EventText(const eventlog::Event& ev) {
  // The event type is not covered by the digest: for display only.
  return "event " + std::to_string(ev.index) + " (PCR " + std::to_string(ev.pcr) + ", " +
         eventlog::EventTypeName(ev.type) + ")";
}

// Matches the verified D-RTM events that measure code (SINIT, tboot, its
// policy, the launched modules) to reference values of their kind. A part is
// judged only when the set has values of its kind: no hypervisor values, no
// hypervisor verdict (unknown), but one hypervisor value and another
// hypervisor measured is ref.unknown_hypervisor.
void MatchDrtmReferences(const eventlog::VerifiedEvents& verified, const ReferenceSet& references,
                         AppraisalResult& result, std::vector<Finding>& findings) {
  bool policy17 = false;
  bool policy18 = false;
  size_t modules = 0;
  bool launch_unknown_code = false;
  std::optional<bool> hypervisor_known;
  std::set<std::string> matched(result.matched_references.begin(), result.matched_references.end());
  for (const eventlog::Event& ev : verified.events()) {
    DrtmMatch m = ClassifyDrtmEvent(ev, policy17, policy18, modules);
    if (m.part == DrtmPart::kNone) continue;
    std::span<const ReferenceKind> kinds = KindsFor(m.part);
    bool judged = false;
    for (ReferenceKind k : kinds) judged = judged || references.HasKind(k);
    if (!judged) continue;
    const ReferenceValue* ref = FindReference(references, ev, kinds);
    if (m.part == DrtmPart::kHypervisor) hypervisor_known = ref != nullptr;
    if (ref != nullptr) {
      if (matched.insert(ref->name).second) result.matched_references.push_back(ref->name);
      continue;
    }
    if (m.part != DrtmPart::kHypervisor && m.part != DrtmPart::kModule) {
      launch_unknown_code = true;
    } else if (m.part == DrtmPart::kModule) {
      hypervisor_known = false;
    }
    const eventlog::EventDigest* d = StrongestDigest(ev);
    Finding f = MakeFinding(std::string(m.finding), Severity::kError,
                            "D-RTM " + EventText(ev) + ": " + std::string(m.what) +
                                " is in no reference value of its kind");
    f.pcr = ev.pcr;
    f.event_index = ev.index;
    if (d != nullptr) {
      f.bank = d->alg;
      f.actual = HexEncode(d->digest);
    }
    findings.push_back(std::move(f));
  }
  if (launch_unknown_code) result.trust.measured_launch = Trust::kUntrusted;
  if (hypervisor_known.has_value()) {
    result.trust.hypervisor = *hypervisor_known ? Trust::kTrusted : Trust::kUntrusted;
  }
}

// How many trailing VM log records a replay may leave out before a mismatch
// is called one: the launcher appends, fsyncs and extends one record at a
// time under its lock, so a crash leaves one record unextended; a few more
// cover repeated crashes before the next roll-forward.
constexpr size_t kMaxUnextendedVmRecords = 4;

std::string VmRecordText(const protocol::VmLogRecord& r, size_t offset) {
  return "record seq " + std::to_string(r.seq) + " at offset " + std::to_string(offset) + " (VM '" +
         r.vm_name + "' id " + r.vm_id + ", " +
         std::string(protocol::VmComponentName(r.component)) + " " + r.path + ")";
}

// The replay of `records` (all on `pcr`) compared with the quoted value of
// `pcr` in each of `banks`. A bank where some record has no digest cannot be
// compared and is left out.
struct VmReplayComparison {
  bool compared = false;            // at least one bank compared
  bool equal = true;                // every compared bank equal
  std::vector<Finding> mismatches;  // one per unequal bank (not yet added)
};

VmReplayComparison CompareVmReplay(const std::vector<protocol::VmLogRecord>& records, uint32_t pcr,
                                   const tpm::VerifiedPcrs& pcrs,
                                   const std::vector<HashAlg>& banks) {
  VmReplayComparison out;
  const tpm::PcrValues replayed = protocol::ReplayVmLog(records, banks);
  for (HashAlg bank : banks) {
    const Bytes* quoted = pcrs.Get(bank, pcr);
    if (quoted == nullptr) continue;  // quote.pcrs_incomplete says so
    // No records: the PCR must still be at its reset value (zero).
    const Bytes zero(DigestSize(bank), 0);
    const Bytes* value = records.empty() ? &zero : replayed.Get(bank, pcr);
    if (value == nullptr) continue;  // some record lacks this bank
    out.compared = true;
    if (*value == *quoted) continue;
    out.equal = false;
    Finding f = MakeFinding(
        "log.replay_mismatch", Severity::kError,
        "VM log: " + PcrText(pcr, bank) + " does not replay: the quoted value " +
            "differs from the one its " + std::to_string(records.size()) + " record(s) give");
    f.pcr = pcr;
    f.bank = bank;
    f.expected = HexEncode(*quoted);
    f.actual = HexEncode(*value);
    out.mismatches.push_back(std::move(f));
  }
  return out;
}

// The VM log step of AppraiseEvidence (appraisal.h): parse, replay per VM
// PCR, match verified records to reference values, set trust.vms.
void CheckVmLog(const Bytes& bytes, const tpm::VerifiedPcrs* pcrs, const ReferenceSet& references,
                AppraisalResult& result) {
  std::vector<Finding>& findings = result.findings;
  Result<protocol::ParsedVmLog> parsed = protocol::ParseVmLog(bytes);
  if (!parsed) {
    // Only a log over the size limit, which evidence decoding refuses first.
    findings.push_back(
        MakeFinding("log.malformed", Severity::kError, "VM log: " + parsed.error().message()));
    result.trust.vms = Trust::kUntrusted;
    return;
  }
  for (const protocol::VmLogDefect& d : parsed->defects) {
    // Neither kind of line is ever extended by the launcher (it extends only
    // after a complete record is durable), so leaving them out of the replay
    // is safe: had one been extended, the replay would not match.
    const bool torn = d.kind == protocol::VmLogDefect::Kind::kTorn;
    findings.push_back(MakeFinding(torn ? "log.vm_torn_record" : "log.vm_malformed_record",
                                   Severity::kWarning,
                                   "VM log: line at offset " + std::to_string(d.offset) + " (" +
                                       std::to_string(d.length) + " bytes): " + d.message));
  }
  if (pcrs == nullptr) return;  // nothing verified: the quote findings say why

  std::vector<HashAlg> banks;
  for (const auto& [bank, values] : pcrs->values().banks()) {
    if (crypto::IsDigestSupported(bank)) banks.push_back(bank);
  }
  // The records of each VM PCR, in log order (indices into parsed->records).
  std::map<uint32_t, std::vector<size_t>> by_pcr;
  for (size_t i = 0; i < parsed->records.size(); ++i) {
    by_pcr[parsed->records[i].pcr].push_back(i);
  }
  // Without records the log still says the launcher runs here: its PCR must
  // be untouched.
  if (by_pcr.empty()) by_pcr.emplace(protocol::kDefaultVmPcr, std::vector<size_t>{});

  bool mismatch = false;
  bool all_verified = true;
  std::vector<bool> verified(parsed->records.size(), false);
  for (const auto& [pcr, indices] : by_pcr) {
    std::vector<protocol::VmLogRecord> records;
    records.reserve(indices.size());
    for (size_t i : indices) records.push_back(parsed->records[i]);
    VmReplayComparison full = CompareVmReplay(records, pcr, *pcrs, banks);
    if (!full.compared) {
      all_verified = false;
      Finding f = MakeFinding("log.bank_not_in_log", Severity::kInfo,
                              "VM log: PCR " + std::to_string(pcr) +
                                  " cannot be compared (not quoted, or no quoted bank has a "
                                  "digest in every record); its records stay unverified");
      f.pcr = pcr;
      findings.push_back(std::move(f));
      continue;
    }
    size_t kept = records.size();
    if (!full.equal) {
      // A crash between the launcher's fsync and extend leaves the last
      // record(s) in the log but not in the PCR.
      std::optional<size_t> unextended;
      for (size_t k = 1; k <= kMaxUnextendedVmRecords && k <= records.size(); ++k) {
        std::vector<protocol::VmLogRecord> prefix(records.begin(), records.end() - k);
        VmReplayComparison partial = CompareVmReplay(prefix, pcr, *pcrs, banks);
        if (partial.compared && partial.equal) {
          unextended = k;
          break;
        }
      }
      if (!unextended) {
        // The PCR still at its reset value: nothing of this log was extended
        // since the TPM was reset. That is the log of an earlier boot the
        // launcher has not rotated yet (it rotates before its first
        // measurement of a boot), e.g. evidence sent right after a reboot.
        // Its records are left out, so this gives an attacker nothing.
        const VmReplayComparison untouched = CompareVmReplay({}, pcr, *pcrs, banks);
        if (untouched.compared && untouched.equal) {
          Finding f = MakeFinding(
              "log.vm_log_not_rotated", Severity::kWarning,
              "VM log: PCR " + std::to_string(pcr) + " is at its reset value, so none of its " +
                  std::to_string(records.size()) +
                  " record(s) was extended since the TPM was reset: a log of an earlier boot "
                  "not rotated yet (vouch-launcher vm-log rotate; measure-vm rotates by "
                  "itself); left out of the VM list");
          f.pcr = pcr;
          findings.push_back(std::move(f));
          continue;
        }
        mismatch = true;
        for (Finding& f : full.mismatches) findings.push_back(std::move(f));
        continue;
      }
      kept = records.size() - *unextended;
      for (size_t j = kept; j < records.size(); ++j) {
        const size_t offset = parsed->offsets[indices[j]];
        Finding f =
            MakeFinding("log.vm_record_not_extended", Severity::kWarning,
                        "VM log: " + VmRecordText(records[j], offset) +
                            " is in the log but not in PCR " + std::to_string(pcr) +
                            " (the launcher stopped between writing and extending it; its next run "
                            "completes the extend); left out of the VM list");
        f.pcr = pcr;
        if (const auto* d = StrongestBankDigest(records[j].digests)) {
          f.bank = d->first;
          f.actual = HexEncode(d->second);
        }
        findings.push_back(std::move(f));
      }
    }
    for (size_t j = 0; j < kept; ++j) verified[indices[j]] = true;
  }

  if (mismatch) {
    result.trust.vms = Trust::kUntrusted;
    // Records on PCRs that did replay are still listed: they were extended.
  }
  bool have_vm_refs = false;
  for (ReferenceKind k :
       {ReferenceKind::kVmImage, ReferenceKind::kVmKernel, ReferenceKind::kVmInitrd,
        ReferenceKind::kVmFirmware, ReferenceKind::kVmConfig}) {
    have_vm_refs = have_vm_refs || references.HasKind(k);
  }
  bool unknown_component = false;
  std::set<std::string> matched(result.matched_references.begin(), result.matched_references.end());
  for (size_t i = 0; i < parsed->records.size(); ++i) {
    if (!verified[i]) continue;
    const protocol::VmLogRecord& r = parsed->records[i];
    VerifiedVmComponent vm;
    vm.record = r;
    vm.offset = parsed->offsets[i];
    if (have_vm_refs) {
      const ReferenceKind kind = VmReferenceKind(r.component);
      if (const ReferenceValue* ref = FindReferenceForDigests(references, r.digests, kind)) {
        vm.reference = ref->name;
        if (matched.insert(ref->name).second) result.matched_references.push_back(ref->name);
      } else {
        unknown_component = true;
        Finding f = MakeFinding("ref.unknown_vm_component", Severity::kWarning,
                                "VM log: " + VmRecordText(r, vm.offset) + ": digest is in no " +
                                    std::string(ReferenceKindName(kind)) + " reference value");
        f.pcr = r.pcr;
        if (const auto* d = StrongestBankDigest(r.digests)) {
          f.bank = d->first;
          f.actual = HexEncode(d->second);
        }
        findings.push_back(std::move(f));
      }
    }
    result.vms.push_back(std::move(vm));
  }
  if (!mismatch && all_verified && have_vm_refs && !unknown_component) {
    result.trust.vms = Trust::kTrusted;
  }
}

// Summary of findings for an InvalidArgument message.
std::string FindingsText(const std::vector<Finding>& findings) {
  std::string out;
  for (const Finding& f : findings) {
    if (f.severity != Severity::kError) continue;
    if (!out.empty()) out += "; ";
    out += f.id + ": " + f.message;
  }
  return out;
}

}  // namespace

ReferenceKind VmReferenceKind(protocol::VmComponent component) {
  switch (component) {
    case protocol::VmComponent::kDisk: return ReferenceKind::kVmImage;
    case protocol::VmComponent::kKernel: return ReferenceKind::kVmKernel;
    case protocol::VmComponent::kInitrd: return ReferenceKind::kVmInitrd;
    case protocol::VmComponent::kFirmware: return ReferenceKind::kVmFirmware;
    case protocol::VmComponent::kConfig: return ReferenceKind::kVmConfig;
  }
  return ReferenceKind::kVmImage;
}

const ReferenceValue* FindReferenceForDigests(const ReferenceSet& references,
                                              const std::map<HashAlg, Bytes>& digests,
                                              ReferenceKind kind) {
  auto describes = [&](const ReferenceValue& ref) {
    if (ref.kind != kind) return false;
    bool common = false;
    for (const auto& [bank, digest] : digests) {
      auto it = ref.digests.find(bank);
      if (it == ref.digests.end()) continue;
      common = true;
      if (it->second != digest) return false;
    }
    return common;
  };
  for (const auto& [bank, digest] : digests) {
    const ReferenceValue* ref = references.Find(bank, digest);
    if (ref == nullptr) continue;
    if (describes(*ref)) return ref;
    // The index keeps the first entry per digest; an entry of another kind
    // (or one disagreeing in another bank) may have claimed it first.
    for (const ReferenceValue& v : references.values()) {
      if (describes(v)) return &v;
    }
    return nullptr;
  }
  return nullptr;
}

const std::pair<const HashAlg, Bytes>* StrongestBankDigest(
    const std::map<HashAlg, Bytes>& digests) {
  const std::pair<const HashAlg, Bytes>* best = nullptr;
  for (const auto& entry : digests) {
    if (best == nullptr || entry.second.size() >= best->second.size()) best = &entry;
  }
  return best;
}

Result<std::vector<ReferenceValue>> ImportPlatformReferences(const protocol::Evidence& evidence,
                                                             std::string_view name_prefix) {
  if (!evidence.srtm_log) {
    return InvalidArgumentError("import platform references: the evidence has no SRTM log");
  }
  Result<tpm::TpmPublic> ak = tpm::TpmPublic::DecodeTpm2b(evidence.ak_public);
  if (!ak) {
    return InvalidArgumentError("import platform references: ak_public: " + ak.error().message());
  }
  VOUCH_ASSIGN_OR_RETURN_CTX(
      tpm::QuoteVerification quote,
      tpm::VerifyQuote(*ak, {evidence.quote_attest, evidence.quote_signature, evidence.pcrs},
                       evidence.nonce),
      "import platform references");
  if (!quote.verified) {
    return InvalidArgumentError("import platform references: the quote does not verify: " +
                                FindingsText(quote.findings));
  }
  std::vector<Finding> findings;
  LogCheck srtm = CheckLog("SRTM", *evidence.srtm_log, &*quote.verified, kPlatformPcrs, findings);
  if (srtm.errors) {
    return InvalidArgumentError("import platform references: the SRTM log does not verify: " +
                                FindingsText(findings));
  }
  std::vector<uint32_t> uncovered;
  for (uint32_t pcr : kPlatformPcrs) {
    if (srtm.covered.count(pcr) == 0) uncovered.push_back(pcr);
  }
  if (!uncovered.empty()) {
    return InvalidArgumentError(
        "import platform references: the quote does not verify the SRTM log on PCR " +
        RangesText(uncovered) + " (not quoted)");
  }

  std::vector<ReferenceValue> out;
  std::set<std::map<HashAlg, Bytes>> seen;
  const std::string prefix = name_prefix.empty() ? "" : std::string(name_prefix) + " ";
  for (const eventlog::Event& ev : srtm.verified->events()) {
    if (ev.pcr > 7) continue;
    std::map<HashAlg, Bytes> digests;
    for (const eventlog::EventDigest& d : ev.digests) {
      digests.emplace(d.alg, Bytes(d.digest.begin(), d.digest.end()));
    }
    if (digests.empty() || !seen.insert(digests).second) continue;
    ReferenceValue v;
    v.kind = ReferenceKind::kPlatform;
    v.name = prefix + "PCR" + std::to_string(ev.pcr) + " event " + std::to_string(ev.index);
    v.digests = std::move(digests);
    out.push_back(std::move(v));
  }
  return out;
}

Result<AppraisalResult> AppraiseEvidence(const protocol::Evidence& evidence,
                                         const EnrolledHost& host,
                                         const std::optional<IssuedNonce>& nonce,
                                         const ReferenceSet& references, const HostPolicy& policy,
                                         TimePoint now) {
  AppraisalResult result;
  result.appraised_at = now;
  result.expires_at = now;
  std::vector<Finding>& findings = result.findings;

  // The enrolled AK is the verifier's own data: if it does not decode,
  // nothing about this host can be evaluated.
  std::shared_ptr<const tpm::TpmPublic> enrolled_ak = host.ak_decoded;
  if (enrolled_ak == nullptr) {
    Result<tpm::TpmPublic> decoded = tpm::TpmPublic::DecodeTpm2b(host.ak_public);
    if (!decoded) {
      return FailedPreconditionError("appraise host " + host.host_id +
                                     ": enrolled AK does not decode: " + decoded.error().message());
    }
    enrolled_ak = std::make_shared<const tpm::TpmPublic>(std::move(*decoded));
  }

  // 1. AK. The quote is verified with the enrolled AK whatever the evidence
  // claims; this finding tells an auditor why that fails.
  if (evidence.ak_public != host.ak_public) {
    Finding f = MakeFinding("ak.not_enrolled", Severity::kError,
                            "the evidence's AK is not the AK enrolled for this host (names)");
    f.expected = HexEncode(enrolled_ak->name());
    Result<tpm::TpmPublic> claimed = tpm::TpmPublic::DecodeTpm2b(evidence.ak_public);
    f.actual = claimed ? HexEncode(claimed->name()) : "undecodable: " + claimed.error().message();
    findings.push_back(std::move(f));
  }

  // 2. Nonce and quote.
  if (!nonce) {
    findings.push_back(MakeFinding("quote.nonce_unknown", Severity::kError,
                                   "no nonce was issued for this submission"));
  } else {
    if (nonce->already_used) {
      Finding f = MakeFinding("quote.nonce_reused", Severity::kError,
                              "the nonce was already used by an earlier submission");
      f.actual = HexEncode(nonce->nonce);
      findings.push_back(std::move(f));
    }
    if (now >= nonce->expires_at) {
      Finding f = MakeFinding("quote.nonce_expired", Severity::kError,
                              "the evidence arrived after the nonce expired");
      f.expected = "before " + FormatRfc3339Utc(nonce->expires_at);
      f.actual = FormatRfc3339Utc(now);
      findings.push_back(std::move(f));
    }
  }
  // Without an issued nonce the quote is still checked (signature, digest)
  // against the one it claims, so the report shows what else is wrong.
  const Bytes& expected_nonce = nonce ? nonce->nonce : evidence.nonce;
  VOUCH_ASSIGN_OR_RETURN_CTX(
      tpm::QuoteVerification quote,
      tpm::VerifyQuote(*enrolled_ak,
                       {evidence.quote_attest, evidence.quote_signature, evidence.pcrs},
                       expected_nonce),
      "appraise host " + host.host_id);
  const bool quote_nonce_reported =
      std::any_of(quote.findings.begin(), quote.findings.end(),
                  [](const Finding& f) { return f.id == "quote.nonce_mismatch"; });
  findings.insert(findings.end(), quote.findings.begin(), quote.findings.end());
  if (nonce && !quote_nonce_reported && !ConstantTimeEqual(evidence.nonce, nonce->nonce)) {
    // The quote answers the issued nonce but the document names another:
    // an inconsistent submission.
    Finding f = MakeFinding("quote.nonce_mismatch", Severity::kError,
                            "the evidence's nonce field is not the nonce issued");
    f.expected = HexEncode(nonce->nonce);
    f.actual = HexEncode(evidence.nonce);
    findings.push_back(std::move(f));
  }

  // Completeness: PCRs 0-23 in every bank the evidence reports, one finding
  // per bank (VerifyQuote's `required` would give one per PCR).
  if (quote.attest && quote.attest->quote) {
    std::map<HashAlg, std::set<uint32_t>> quoted;
    for (const tpm::PcrSelection& s : quote.attest->quote->selection) {
      quoted[s.bank].insert(s.pcrs.begin(), s.pcrs.end());
    }
    if (evidence.pcrs.banks().empty()) {
      findings.push_back(MakeFinding("quote.pcrs_incomplete", Severity::kError,
                                     "the evidence reports no PCR bank"));
    }
    for (const auto& [bank, values] : evidence.pcrs.banks()) {
      std::vector<uint32_t> present;
      std::vector<uint32_t> missing;
      for (uint32_t pcr = 0; pcr < tpm::kNumPcrs; ++pcr) {
        (quoted[bank].count(pcr) != 0 ? present : missing).push_back(pcr);
      }
      if (missing.empty()) continue;
      Finding f = MakeFinding("quote.pcrs_incomplete", Severity::kError,
                              "the quote does not cover PCR " + RangesText(missing) + " of the " +
                                  std::string(HashAlgName(bank)) + " bank");
      f.bank = bank;
      f.expected = "0-23";
      f.actual = RangesText(present);
      findings.push_back(std::move(f));
    }
  }

  // The quote is ours only if it verified with the enrolled AK over the
  // issued, fresh nonce; only then do its PCRs and counters count.
  const tpm::VerifiedPcrs* pcrs = quote.verified ? &*quote.verified : nullptr;
  const bool quote_fresh = pcrs != nullptr && !HasErrors(findings);

  // 3. clockInfo.
  if (pcrs != nullptr && quote.attest) {
    const tpm::ClockInfo& clock = quote.attest->clock_info;
    if (quote_fresh) {
      result.reset_count = clock.reset_count;
      result.restart_count = clock.restart_count;
    }
    if (host.last_reset_count && clock.reset_count < *host.last_reset_count) {
      Finding f = MakeFinding("clock.reset_count_decreased", Severity::kError,
                              "the TPM's resetCount went back: rollback or replay of an old "
                              "TPM state");
      f.expected = ">= " + std::to_string(*host.last_reset_count);
      f.actual = std::to_string(clock.reset_count);
      findings.push_back(std::move(f));
    } else if (host.last_reset_count && clock.reset_count > *host.last_reset_count) {
      Finding f = MakeFinding("clock.reboot_detected", Severity::kInfo,
                              "the TPM was reset (host rebooted) since the last accepted report");
      f.expected = std::to_string(*host.last_reset_count);
      f.actual = std::to_string(clock.reset_count);
      findings.push_back(std::move(f));
    } else if (host.last_restart_count && clock.restart_count < *host.last_restart_count &&
               (!host.last_reset_count || clock.reset_count == *host.last_reset_count)) {
      // restartCount restarts at 0 with every reset, so it only has to grow
      // while resetCount stays.
      Finding f = MakeFinding("clock.restart_count_decreased", Severity::kError,
                              "the TPM's restartCount went back without a reset: rollback or "
                              "replay of an old TPM state");
      f.expected = ">= " + std::to_string(*host.last_restart_count);
      f.actual = std::to_string(clock.restart_count);
      findings.push_back(std::move(f));
    }
  }

  // 4. Logs.
  std::optional<LogCheck> srtm;
  if (!evidence.srtm_log) {
    findings.push_back(MakeFinding("log.srtm_missing", Severity::kWarning,
                                   "the evidence has no firmware (SRTM) event log"));
  } else {
    srtm = CheckLog("SRTM", *evidence.srtm_log, pcrs, kPlatformPcrs, findings);
  }
  std::optional<LogCheck> drtm;
  if (evidence.drtm_log) {
    drtm = CheckLog("D-RTM", *evidence.drtm_log, pcrs, kDrtmPcrs, findings);
  }
  if (evidence.vm_log) {
    CheckVmLog(*evidence.vm_log, pcrs, references, result);
  } else if (pcrs != nullptr) {
    // Without a VM log there is no telling whether PCR 15 is the launcher's
    // (systemd, for one, extends PCR 15 too), so an extended PCR 15 is only
    // worth a warning here; with a VM log it must replay.
    for (const auto& [bank, values] : pcrs->values().banks()) {
      auto value = values.find(protocol::kDefaultVmPcr);
      if (value == values.end() || std::all_of(value->second.begin(), value->second.end(),
                                               [](uint8_t b) { return b == 0; })) {
        continue;
      }
      Finding f =
          MakeFinding("log.vm_missing", Severity::kWarning,
                      "the evidence has no VM log, but " + PcrText(protocol::kDefaultVmPcr, bank) +
                          " (the default VM PCR) was extended; the host's VMs are "
                          "unknown");
      f.pcr = protocol::kDefaultVmPcr;
      f.bank = bank;
      f.actual = HexEncode(value->second);
      findings.push_back(std::move(f));
      break;
    }
  }

  // 5. Reference values: verified SRTM events on PCRs 0-7 only.
  const bool have_platform_refs = references.HasKind(ReferenceKind::kPlatform);
  if (srtm) {
    if (srtm->errors) {
      result.trust.platform = Trust::kUntrusted;
    } else if (srtm->verified) {
      bool all_pcrs = true;
      for (uint32_t pcr : kPlatformPcrs) all_pcrs = all_pcrs && srtm->covered.count(pcr) != 0;
      bool unknown_event = false;
      std::set<std::string> matched(result.matched_references.begin(),
                                    result.matched_references.end());
      for (const eventlog::Event& ev : srtm->verified->events()) {
        if (ev.pcr > 7 || !have_platform_refs) continue;
        if (const ReferenceValue* ref = FindPlatformReference(references, ev)) {
          if (matched.insert(ref->name).second) result.matched_references.push_back(ref->name);
          continue;
        }
        unknown_event = true;
        const eventlog::EventDigest* d = StrongestDigest(ev);
        Finding f =
            MakeFinding("ref.unknown_platform_event", Severity::kError,
                        "SRTM " + EventText(ev) + ": digest is in no platform reference value");
        f.pcr = ev.pcr;
        f.event_index = ev.index;
        if (d != nullptr) {
          f.bank = d->alg;
          f.actual = HexEncode(d->digest);
        }
        findings.push_back(std::move(f));
      }
      if (unknown_event) {
        result.trust.platform = Trust::kUntrusted;
      } else if (have_platform_refs && all_pcrs) {
        result.trust.platform = Trust::kTrusted;
      }
    }
  }

  // Measured launch (D-RTM, PCR 17/18). Host facts are claims: an emulated
  // launch is refused on the host's own word; a host claiming TXT with an
  // emulated SINIT is caught by SINIT reference matching (the emulated
  // SINIT's measurement is in no vendor's reference values).
  if (drtm) {
    const bool replays = !drtm->errors && drtm->verified &&
                         drtm->verified->verified_pcrs().count(kDrtmDetailsPcr) != 0 &&
                         drtm->covered.size() == std::size(kDrtmPcrs);
    if (replays) {
      if (evidence.host.measured_launch == protocol::MeasuredLaunch::kEmulated) {
        if (policy.allow_emulated_launch) {
          result.trust.measured_launch = Trust::kTrusted;
          findings.push_back(MakeFinding("launch.emulated", Severity::kInfo,
                                         "the measured launch is the launcher's emulated D-RTM "
                                         "(allowed by the host policy)"));
        } else {
          result.trust.measured_launch = Trust::kUntrusted;
          Finding f = MakeFinding("launch.emulated_refused", Severity::kError,
                                  "the measured launch is the launcher's emulated D-RTM, which "
                                  "the host policy does not allow");
          f.expected = "txt";
          f.actual = std::string(protocol::MeasuredLaunchName(evidence.host.measured_launch));
          findings.push_back(std::move(f));
        }
      } else {
        result.trust.measured_launch = Trust::kTrusted;
      }
      MatchDrtmReferences(*drtm->verified, references, result, findings);
    } else if (drtm->errors || (policy.require_measured_launch && pcrs != nullptr)) {
      // A log that does not replay is tampering; one that replays without
      // verifying PCR 17/18 (not quoted) cannot meet a requirement.
      result.trust.measured_launch = Trust::kUntrusted;
    }
  } else {
    std::string message = "no D-RTM (measured launch) log";
    if (pcrs != nullptr) {
      const Bytes* pcr17 = nullptr;
      for (const auto& [bank, values] : pcrs->values().banks()) {
        pcr17 = pcrs->Get(bank, kDrtmDetailsPcr);
        if (pcr17 != nullptr) break;
      }
      if (pcr17 != nullptr) {
        const bool reset =
            std::all_of(pcr17->begin(), pcr17->end(), [](uint8_t b) { return b == 0xff; });
        message += reset ? "; PCR 17 is at its reset value (no dynamic launch since the TPM reset)"
                         : "; PCR 17 shows a dynamic launch, but its log was not sent";
      }
    }
    Finding f = MakeFinding(
        "launch.none", policy.require_measured_launch ? Severity::kError : Severity::kInfo,
        message +
            (policy.require_measured_launch ? "; the host policy requires a measured launch" : ""));
    findings.push_back(std::move(f));
    if (policy.require_measured_launch) result.trust.measured_launch = Trust::kUntrusted;
  }

  // 6. Verdict.
  if (HasErrors(findings)) {
    result.verdict = Verdict::kUntrusted;
  } else if (result.trust.platform == Trust::kTrusted &&
             (!policy.require_measured_launch || (result.trust.measured_launch == Trust::kTrusted &&
                                                  result.trust.hypervisor == Trust::kTrusted))) {
    result.verdict = Verdict::kTrusted;
    result.expires_at = now + policy.validity;
  } else {
    result.verdict = Verdict::kUnknown;
  }
  return result;
}

}  // namespace vouch::verifier
