// Replaying an event log into PCR values, and verifying it against quoted
// PCRs.
//
// Initial PCR values (PC Client PTP / PFP): PCRs 0-16 and 23 start at zero,
// except PCR 0, whose last byte is the StartupLocality (0, or 3 when the
// H-CRTM/locality-3 startup is recorded); PCRs 17-22 start at zero after a
// dynamic launch (D-RTM logs describe exactly that), and are all-ones before
// one. EV_NO_ACTION events (Spec ID, StartupLocality, SP800-155 reference
// manifests) are never extended; events for PCR 0xFFFFFFFF are skipped.
#ifndef VOUCH_CORE_EVENTLOG_REPLAY_H_
#define VOUCH_CORE_EVENTLOG_REPLAY_H_

#include <optional>
#include <set>
#include <vector>

#include "core/base/finding.h"
#include "core/base/status.h"
#include "core/eventlog/event_log.h"
#include "core/tpm/pcr.h"

namespace vouch::eventlog {

// The PCR values the log produces, for every bank the log carries and only
// for PCRs the log extends. Unverified (for display, tests and reference
// values); errors only if an event's digest size is inconsistent.
Result<tpm::PcrValues> ComputePcrs(const UnverifiedEventLog& log);

// Events whose every recorded bank digest is covered by a matching quoted PCR.
class VerifiedEvents {
 public:
  const std::vector<Event>& events() const { return events_; }
  // PCRs (per bank) whose replay matched the quote.
  const std::set<uint32_t>& verified_pcrs() const { return verified_pcrs_; }

 private:
  friend struct ReplayAccess;
  std::vector<Event> events_;
  std::set<uint32_t> verified_pcrs_;
};

struct ReplayResult {
  // replay.pcr_mismatch (pcr, bank, expected = quoted, actual = replayed),
  // replay.pcr_not_quoted (warning: the log extends a PCR the quote does not
  // cover; its events stay unverified), replay.bank_not_in_log (info).
  std::vector<Finding> findings;
  VerifiedEvents verified;
};

// Replays `log` and compares every PCR it extends with `quoted`, in every
// bank both have. Events on a PCR verify only if that PCR matched in all
// such banks.
Result<ReplayResult> Replay(const UnverifiedEventLog& log, const tpm::VerifiedPcrs& quoted);

}  // namespace vouch::eventlog

#endif  // VOUCH_CORE_EVENTLOG_REPLAY_H_
