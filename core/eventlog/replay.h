// Replaying an event log into PCR values, and verifying it against quoted
// PCRs.
//
// Initial PCR values (PC Client PTP / PFP): PCRs 0-16 and 23 start at zero,
// except PCR 0, whose last byte is the StartupLocality (0; 3 for a startup at
// locality 3; 4 after an H-CRTM sequence); PCRs 17-22 start at zero after a
// dynamic launch (D-RTM logs describe exactly that), and are all-ones before
// one. EV_NO_ACTION events (Spec ID, StartupLocality, SP800-155 reference
// manifests) are never extended; events for PCR 0xFFFFFFFF are skipped. An
// event extends only the banks it lists a digest for (as TPM2_PCR_Extend
// does). Banks this build cannot hash (SM3) are parsed but not replayed.
// Replaying allocates nothing per event (fixed-size PCR state); all functions
// are thread-safe.
//
// Lifetimes: an Event's views are valid while the UnverifiedEventLog or
// VerifiedEvents it came from is alive. VerifiedEvents shares ownership of
// the buffer of the log it was made from, so it stays valid after that log
// is gone.
#ifndef VOUCH_CORE_EVENTLOG_REPLAY_H_
#define VOUCH_CORE_EVENTLOG_REPLAY_H_

#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "core/base/finding.h"
#include "core/base/status.h"
#include "core/eventlog/event_log.h"
#include "core/tpm/pcr.h"

namespace vouch::eventlog {

// The PCR values the log produces, for every bank the log carries and only
// for PCRs the log extends (at least one event with a digest for that bank).
// Unverified (for display, tests and reference values); errors
// (InvalidArgument) only if an event's digest size is inconsistent.
Result<tpm::PcrValues> ComputePcrs(const UnverifiedEventLog& log);

// Events whose every recorded bank digest is covered by a matching quoted PCR:
// the extended events (in log order) on PCRs in verified_pcrs(). EV_NO_ACTION
// events (whose data no PCR covers) and PCR 0xFFFFFFFF events are never
// included, even on a verified PCR. Holds the log's buffer: its events (and
// copies of them) are valid while this object, or a copy, is alive.
class VerifiedEvents {
 public:
  const std::vector<Event>& events() const { return events_; }
  // PCRs (per bank) whose replay matched the quote.
  const std::set<uint32_t>& verified_pcrs() const { return verified_pcrs_; }

 private:
  friend struct ReplayAccess;
  std::shared_ptr<const Bytes> buffer_;  // what events_ view
  std::vector<Event> events_;
  std::set<uint32_t> verified_pcrs_;
};

struct ReplayResult {
  // replay.pcr_mismatch (error; pcr, bank, expected = quoted hex, actual =
  // replayed hex), one per PCR and bank that differ;
  // replay.pcr_not_quoted (warning: the log extends a PCR the quote does not
  // cover; its events stay unverified): one per bank the quote has but
  // without that PCR, or one without a bank when the quote has none of the
  // banks the log extends the PCR in;
  // replay.bank_not_in_log (info; bank): the quote covers a bank the log
  // does not record (e.g. an active SHA-384 bank firmware never extended).
  // PCRs the quote covers but the log never extends get no finding.
  std::vector<Finding> findings;
  VerifiedEvents verified;
};

// Replays `log` and compares every PCR it extends with `quoted`, in every
// bank both have. Events on a PCR verify only if that PCR matched in all
// such banks (and was compared in at least one). Errors (InvalidArgument)
// only for an event digest of the wrong size, which ParseEventLog never
// produces; a mismatch is a finding, not an error.
Result<ReplayResult> Replay(const UnverifiedEventLog& log, const tpm::VerifiedPcrs& quoted);

}  // namespace vouch::eventlog

#endif  // VOUCH_CORE_EVENTLOG_REPLAY_H_
