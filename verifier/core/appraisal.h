// The appraisal pipeline (DESIGN.md, Appraisal): evidence from an enrolled
// host in, an attestation result an auditor can follow out. Pure: no I/O, no
// clock reads, no store; the caller passes everything (the store and the HTTP
// layer live in verifier/store and verifier/http).
//
// A failed appraisal is a result (verdict untrusted with findings), not an
// error; a non-OK Status means the input could not be evaluated at all.
#ifndef VOUCH_VERIFIER_CORE_APPRAISAL_H_
#define VOUCH_VERIFIER_CORE_APPRAISAL_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/finding.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/protocol/evidence.h"
#include "core/protocol/vm_log.h"
#include "core/tpm/public.h"
#include "policy/model/reference.h"

namespace vouch::verifier {

using TimePoint = std::chrono::system_clock::time_point;

enum class Verdict { kTrusted, kUntrusted, kUnknown };
std::string_view VerdictName(Verdict v);  // "trusted" | "untrusted" | "unknown"

// One part of the trust vector. kUnknown: not evaluated or nothing to
// compare with (e.g. no reference values of that kind).
enum class Trust { kTrusted, kUntrusted, kUnknown };
std::string_view TrustName(Trust t);

struct TrustVector {
  Trust platform = Trust::kUnknown;         // SRTM: firmware/boot (PCRs 0-7)
  Trust measured_launch = Trust::kUnknown;  // D-RTM happened and replays (PCR 17/18)
  Trust hypervisor = Trust::kUnknown;       // the launched hypervisor is a known one
  Trust vms = Trust::kUnknown;              // VM log replays and images are known
};

// Reference values: the model lives in policy/model (DESIGN.md: the verifier
// depends on policy, not the other way round).
using policy::ParseReferenceKind;
using policy::ReferenceKind;
using policy::ReferenceKindName;
using policy::ReferenceValue;

// The reference values in force for an appraisal (the union of the active
// named sets). Lookup by digest in any bank.
class ReferenceSet {
 public:
  void Add(ReferenceValue value);
  // The entry one of whose digests equals `digest` in bank `bank`; nullptr
  // if none. Valid until the set is modified.
  const ReferenceValue* Find(HashAlg bank, ByteView digest) const;
  // Whether the set has any entry of `kind`.
  bool HasKind(ReferenceKind kind) const;
  size_t size() const { return values_.size(); }
  const std::vector<ReferenceValue>& values() const { return values_; }

 private:
  std::vector<ReferenceValue> values_;
  // Orders (bank, digest) keys and compares them with (bank, ByteView)
  // lookups, so Find allocates nothing (it runs once per verified event).
  struct DigestKeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      if (a.first != b.first) return a.first < b.first;
      return std::lexicographical_compare(a.second.begin(), a.second.end(), b.second.begin(),
                                          b.second.end());
    }
  };
  std::map<std::pair<HashAlg, Bytes>, size_t, DigestKeyLess> index_;
};

// The reference kind that vouches for a measured VM component: disk ->
// vm-image, kernel -> vm-kernel, initrd -> vm-initrd, firmware ->
// vm-firmware, config -> vm-config.
ReferenceKind VmReferenceKind(protocol::VmComponent component);

// The value of `kind` in `references` that describes a component measured
// with `digests` (one per bank): every bank both carry agrees and they share
// at least one bank, so a SHA-1 match alone cannot vouch for a component
// whose SHA-256 differs. nullptr when none; valid until the set changes.
const ReferenceValue* FindReferenceForDigests(const ReferenceSet& references,
                                              const std::map<HashAlg, Bytes>& digests,
                                              ReferenceKind kind);

// The bank whose digest is longest (later banks win ties), for findings that
// name one digest; nullptr when `digests` is empty.
const std::pair<const HashAlg, Bytes>* StrongestBankDigest(const std::map<HashAlg, Bytes>& digests);

// Builds a `platform` reference set from a known-good host's evidence (the
// operator vouches for that host): one entry per distinct measured event of
// the SRTM log on PCRs 0-7 whose replay verifies against the evidence's own
// quote (so the imported values are exactly what that TPM measured).
// `name_prefix` names the entries ("golden-host-1 PCR4 event 12").
// InvalidArgument when the evidence has no SRTM log, its AK does not decode,
// or its quote (with its own AK and nonce) or the log's replay does not
// verify, including PCRs 0-7 not all verified (findings in the message).
// Entries carry every bank the event records; events with the same digests
// give one entry. Thread-safe (pure function).
Result<std::vector<ReferenceValue>> ImportPlatformReferences(const protocol::Evidence& evidence,
                                                             std::string_view name_prefix);

// What the verifier knows about the host from enrollment and earlier reports.
struct EnrolledHost {
  std::string host_id;
  Bytes ak_public;  // TPM2B_PUBLIC enrolled for this host
  // Optional: ak_public already decoded (callers that appraise the same host
  // often cache it; decoding builds an OpenSSL key). Must be the decoding of
  // ak_public when set.
  std::shared_ptr<const tpm::TpmPublic> ak_decoded;
  // From the last accepted (quote-verified) report, if any.
  std::optional<uint32_t> last_reset_count;
  std::optional<uint32_t> last_restart_count;
};

// The nonce the verifier issued for this submission, as the store has it.
struct IssuedNonce {
  Bytes nonce;
  TimePoint expires_at;
  bool already_used = false;  // consumed by an earlier submission
};

struct HostPolicy {
  // Require a D-RTM measured launch (PCR 17/18 log replays). Off until the
  // launcher lands (issue 5); then on by default.
  bool require_measured_launch = false;
  // Accept the launcher's emulated D-RTM (demo configurations only).
  bool allow_emulated_launch = false;
  // How long a trusted verdict stays valid.
  std::chrono::seconds validity{600};
};

// A VM log record whose digests replay to the quoted VM PCR in every bank
// compared: the launcher really extended them (the name, path and size
// beside them are still its claims, docs/vm-log.md).
struct VerifiedVmComponent {
  protocol::VmLogRecord record;
  size_t offset = 0;  // byte offset of its line in the VM log
  // The name of the reference value of its kind (VmReferenceKind) that
  // describes it; nullopt when none does.
  std::optional<std::string> reference;
};

struct AppraisalResult {
  Verdict verdict = Verdict::kUnknown;
  TrustVector trust;
  // Every check's finding, in pipeline order, with stable ids:
  //   ak.not_enrolled            evidence AK differs from the enrolled one
  //   quote.nonce_unknown        no nonce was issued for this submission
  //   quote.nonce_reused         the issued nonce was already used
  //   quote.nonce_expired        submitted after the nonce expired
  //   quote.* (core/tpm/quote.h) signature, magic, type, nonce, PCR
  //                              selection and digest
  //   quote.pcrs_incomplete      PCRs 0-23 not all quoted in some bank
  //   clock.reset_count_decreased / clock.restart_count_decreased (error:
  //                              rollback or replay of an old TPM state)
  //   clock.reboot_detected      (info) resetCount advanced
  //   log.srtm_missing           (warning) no firmware log
  //   log.malformed              a log does not parse
  //   log.replay_mismatch        a log does not replay to the quoted PCRs
  //                              (pcr, bank, expected = quoted, actual =
  //                              replayed; message names the log); also a
  //                              quoted PCR 0-7 (SRTM) or 17/18 (D-RTM) that
  //                              the log never extends but that is not at
  //                              its initial value (an unlogged extend)
  //   log.pcr_not_quoted         (warning) from core's replay
  //   log.bank_not_in_log        (info) the quote has a bank the log lacks
  //   log.vm_torn_record         (warning) the VM log's last line has no
  //                              newline (an interrupted append; never
  //                              extended); message names its byte offset
  //   log.vm_malformed_record    (warning) a complete VM log line that is
  //                              not a record (offset and reason in message);
  //                              left out of the replay
  //   log.vm_record_not_extended (warning) trailing VM log record(s) whose
  //                              digests are not in the PCR (a crash between
  //                              the launcher's fsync and extend): pcr, bank,
  //                              message names seq, VM, component, offset;
  //                              left out of the VM list
  //   log.vm_log_not_rotated     (warning) the VM PCR is at its reset value
  //                              but the log has records: a log of an
  //                              earlier boot not rotated yet; pcr; all its
  //                              records left out of the VM list
  //   log.replay_mismatch        also for the VM log (message "VM log: ..."),
  //                              and for a VM PCR extended while the VM log
  //                              sent has no record for it
  //   log.vm_missing             (warning) no VM log was sent, but PCR 15
  //                              (the default VM PCR) is not at zero
  //   ref.unknown_platform_event a verified SRTM event on PCRs 0-7 whose
  //                              digest is in no platform reference value
  //                              (pcr, bank, event_index, actual = digest)
  //   ref.unknown_sinit / ref.unknown_tboot / ref.unknown_tboot_policy /
  //   ref.unknown_hypervisor / ref.unknown_module
  //                              a verified D-RTM event measuring that code
  //                              (appraisal.cc ClassifyDrtmEvent) is in no
  //                              reference value of its kind, when the set
  //                              has values of that kind (same fields)
  //   ref.unknown_vm_component   (warning) a verified VM log record whose
  //                              digest is in no reference value of its kind
  //                              (VmReferenceKind), when the set has values of
  //                              some VM kind (message names VM, component,
  //                              path; bank and actual = digest)
  //   launch.none / launch.emulated_refused / launch.emulated (info)
  std::vector<Finding> findings;
  // Counters from the verified quote (for the store's next EnrolledHost):
  // set only when the quote verified with the enrolled AK over the issued,
  // unused, unexpired nonce with complete PCRs (whatever the later steps
  // found), so a replayed or foreign quote never moves them.
  std::optional<uint32_t> reset_count;
  std::optional<uint32_t> restart_count;
  TimePoint appraised_at;
  TimePoint expires_at;  // appraised_at + validity for trusted, else appraised_at
  // Names of the reference values matched by verified events (deduplicated).
  std::vector<std::string> matched_references;
  // The VM components the host's VM log proves it measured (verified
  // records, log order); empty without a VM log or when it does not replay.
  std::vector<VerifiedVmComponent> vms;
};

// Runs the pipeline:
// 1. AK: evidence.ak_public must equal host.ak_public.
// 2. Nonce: issued, unused, not expired at `now` (expired when now >=
//    expires_at), equal to the evidence's;
//    quote verified with core's VerifyQuote against the ENROLLED AK,
//    requiring PCRs 0-23 in every bank the evidence reports.
// 3. clockInfo vs. the host's last counters.
// 4. SRTM and D-RTM logs parsed and replayed into the verified PCRs.
// 5. SRTM events on PCRs 0-7 matched to platform reference values (platform
//    trust: trusted when every verified event matches and the set has
//    platform values; untrusted when some event is unknown; unknown when the
//    set has no platform values). D-RTM: the log replays → measured_launch
//    trusted, then its SINIT, tboot and tboot-policy events are matched to
//    values of those kinds (an unknown one: measured_launch untrusted) and
//    module 0 to hypervisor (or kernel) values, further modules to kernel or
//    initrd values (hypervisor trusted when all match, untrusted when one
//    does not; unknown without values of those kinds).
//    VM log (when sent): parsed with core's ParseVmLog (torn and malformed
//    lines are warnings, left out); replayed with ReplayVmLog into each VM
//    PCR its records name (PCR 15 when it has none) in every quoted bank.
//    A replay that matches only without its last k (1..4) records: those
//    are appended but not extended (warning each, left out); otherwise
//    log.replay_mismatch. Verified records are matched to reference values
//    of their kind (VmReferenceKind) when the set has values of any VM kind
//    and listed in `vms`. vms trust: untrusted on a VM replay mismatch;
//    trusted when the log verified and every verified record matches;
//    unknown otherwise (no VM log, no VM reference values, an unknown
//    component: run policies decide about those, not the host verdict).
// 6. Verdict: untrusted on any error finding; trusted when platform is
//    trusted and, if the policy requires a measured launch, measured launch
//    and hypervisor are trusted too; else unknown.
// Status errors only for internal failures (never for bad evidence: that
// gives findings): FailedPrecondition when host.ak_public does not decode or
// has no signing scheme. docs/appraisal.md lists every finding with its
// fields. Thread-safe (pure function).
Result<AppraisalResult> AppraiseEvidence(const protocol::Evidence& evidence,
                                         const EnrolledHost& host,
                                         const std::optional<IssuedNonce>& nonce,
                                         const ReferenceSet& references, const HostPolicy& policy,
                                         TimePoint now);

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_CORE_APPRAISAL_H_
