// Pull mode: the verifier polls enrolled agents that have an agent URL
// (HostRecord::agent_url, set by an admin) at a configurable interval. Each
// round for a host: issue a nonce, POST {agent_url}/v1/evidence with
// {"nonce": hex} (core/protocol EvidenceRequest), then hand the agent's
// evidence document to the same submission path as push mode (appraisal,
// persisted report, webhooks). A host whose agent is unreachable or answers
// garbage gets no report (its last report ages and the fleet summary shows
// it stale); the failure is logged and counted.
//
// Scheduling: every host is due `interval` after its last poll started, plus
// a random jitter in [0, jitter * interval) so a fleet enrolled at once does
// not stampede; at most `max_in_flight` polls run at the same time (the rest
// wait for the next free slot, earliest due first). Hosts added or removed
// (agent URL set or cleared) are picked up on the next store scan (every
// `scan_interval`).
#ifndef VOUCH_VERIFIER_POLLER_POLLER_H_
#define VOUCH_VERIFIER_POLLER_POLLER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/base/logger.h"
#include "core/base/status.h"
#include "core/crypto/random.h"
#include "core/http/http.h"
#include "verifier/metrics/metrics.h"
#include "verifier/store/store.h"

namespace vouch::verifier {

// The verifier's submission path, as the poller needs it (VerifierApi's
// IssueNonce / SubmitEvidence; plain functions so the poller does not depend
// on the API).
struct PollerHooks {
  // A fresh single-use nonce for the host.
  std::function<Result<Bytes>(const std::string& host_id)> issue_nonce;
  // Appraises and stores the evidence document; returns the verdict name.
  std::function<Result<std::string>(const std::string& host_id, std::string_view evidence_json)>
      submit_evidence;
};

struct PollerOptions {
  std::chrono::milliseconds interval{60000};
  double jitter = 0.1;  // 0..1, fraction of interval
  size_t max_in_flight = 16;
  // How often the store is re-read for hosts whose agent URL was set,
  // changed or cleared; at least 1 ms.
  std::chrono::milliseconds scan_interval{30000};
  // PCRs to request, each < 24 (sent sorted, duplicates removed); empty =
  // the agent's default (0-23).
  std::vector<uint32_t> pcrs;
};

class Poller {
 public:
  // InvalidArgument for interval < 1 s, jitter outside [0, 1] (or NaN),
  // max_in_flight 0 or over 1024 (one worker thread each), scan_interval
  // under 1 ms, a PCR >= 24, or an empty hook. The references must outlive
  // the poller; `metrics` may be nullptr (nothing counted). `client` is the
  // HTTP client for agents (its TLS options: the agents' CA; its timeout
  // bounds each poll and therefore Stop()). The schedule runs on a
  // monotonic clock (a wall-clock step neither bunches nor stalls polls);
  // `clock` only dates the last successful poll named in failure warnings.
  static Result<std::unique_ptr<Poller>> Create(Store& store, http::HttpClient& client,
                                                PollerHooks hooks, PollerOptions options,
                                                const Clock& clock, crypto::RandomSource& random,
                                                Logger& logger, Metrics* metrics);
  ~Poller();  // Stop()
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Starts the scheduler thread and max_in_flight worker threads (fewer,
  // logged as an error, when the system refuses more threads). The
  // first store scan happens at once; each host's first poll is due after
  // its jitter alone. A second Start, or a Start after Stop, does nothing.
  void Start();
  // Stops scheduling, drops polls not yet started, waits for polls in
  // flight (each bounded by the HTTP client's timeout), joins the threads.
  // Never waits for the schedule (condition variables, no sleeps).
  // Idempotent; thread-safe.
  void Stop();
  // One round over every host with an agent URL, now, ignoring the schedule
  // (at most max_in_flight of its own polls at a time, on threads of its
  // own; independent of Start/Stop's workers, except that it starts no new
  // poll once Stop was called); returns when all finished: how many hosts
  // produced a report. Store errors while listing hosts are returned (with
  // context); failures of single polls are logged and counted, not
  // returned. For tests and `vouch-verifier poll --once`.
  Result<size_t> PollAllOnce();

 private:
  class Impl;
  explicit Poller(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_POLLER_POLLER_H_
