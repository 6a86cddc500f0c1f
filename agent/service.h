// The serving side of the agent: a thread-safe evidence service over the TPM,
// the pull-mode API handlers (plain functions over core/http's structs), and
// a token-bucket rate limiter. No HTTP library here: main.cc plugs AgentApi
// into core/http's server.
#ifndef VOUCH_AGENT_SERVICE_H_
#define VOUCH_AGENT_SERVICE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/ak.h"
#include "agent/evidence_collector.h"
#include "agent/state_dir.h"
#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/base/logger.h"
#include "core/base/status.h"
#include "core/http/http.h"
#include "core/protocol/evidence.h"
#include "core/tpm/pcr.h"
#include "core/tpm_device/tpm_device.h"

namespace vouch::agent {

// Evidence on demand. Implementations are thread-safe.
class EvidenceService {
 public:
  virtual ~EvidenceService() = default;
  // As EvidenceCollector::Collect.
  virtual Result<protocol::Evidence> Collect(ByteView nonce, const std::vector<uint32_t>& pcrs) = 0;
  // The current values of PCRs 0-23 of every active bank (push mode watches
  // them to submit at once when one changes).
  virtual Result<tpm::PcrValues> ReadAllPcrs() = 0;
};

// EvidenceService over a real TpmDevice: one mutex serializes all TPM use.
// When a TPM command fails in a way a reset explains (the AK's handle is gone
// after a TPM reset), the AK is loaded again from the state directory and the
// collection retried once, so a long-running agent survives reboots of a
// TPM it does not own (swtpm in tests, a TPM reset by firmware).
class TpmEvidenceService final : public EvidenceService {
 public:
  // `device`, `logs`, `facts` and `logger` must outlive the service. Loads the
  // AK now (LoadAkFromState's errors).
  static Result<std::unique_ptr<TpmEvidenceService>> Create(tpm_device::TpmDevice& device,
                                                            StateDir state, EventLogSource& logs,
                                                            HostFactsSource& facts, Logger& logger);

  Result<protocol::Evidence> Collect(ByteView nonce, const std::vector<uint32_t>& pcrs) override;
  Result<tpm::PcrValues> ReadAllPcrs() override;

  // The AK record (public area, name, kind); stable for the service's life.
  const AkRecord& ak_record() const { return record_; }

 private:
  TpmEvidenceService(tpm_device::TpmDevice& device, StateDir state, EventLogSource& logs,
                     HostFactsSource& facts, Logger& logger);
  Status ReloadLocked();

  std::mutex mu_;
  tpm_device::TpmDevice& device_;
  StateDir state_;
  EventLogSource& logs_;
  HostFactsSource& facts_;
  Logger& logger_;
  AkRecord record_;
  std::unique_ptr<LoadedAk> loaded_;              // guarded by mu_
  std::unique_ptr<EvidenceCollector> collector_;  // guarded by mu_, uses *loaded_
};

// A token bucket: `rate` tokens per second, at most `burst` stored.
// Thread-safe.
class RateLimiter {
 public:
  RateLimiter(const Clock& clock, double rate_per_second, uint32_t burst);
  // Takes one token; false when none is left. With rate <= 0 always true
  // (no limit).
  bool TryAcquire();

 private:
  std::mutex mu_;
  const Clock& clock_;
  double rate_;
  double burst_;
  double tokens_;
  std::chrono::system_clock::time_point last_;
};

// What GET /v1/info reports. Public facts only: no key material beyond the
// AK's public name, nothing from the configuration's secrets.
struct AgentInfo {
  std::string agent_version;
  std::string hostname;
  std::string ak_name_hex;             // TPM name of the AK
  std::string ak_type;                 // "rsa2048" or "ecc-p256"
  std::string ek_certificate_sha256;   // hex fingerprint of the DER, or empty
  std::string host_id;                 // after enrollment, else empty
  std::vector<std::string> pcr_banks;  // "sha1", "sha256", ...
};

// The pull-mode API (docs/agent.md, docs/protocol.md):
//   POST /v1/evidence {"nonce": "<hex>", "pcrs": [..]} -> evidence document
//   GET  /v1/healthz -> {"status": "ok"}
//   GET  /v1/info    -> AgentInfo as JSON
// Errors are core/http's JSON error documents: 400 for a malformed request
// (naming the member), 404 unknown path, 405 wrong method (with an Allow
// header), 415 for a body that is not JSON, 429 when the evidence rate limit
// is exceeded (Retry-After: 1), 503 when the TPM is unavailable. Thread-safe;
// never throws.
class AgentApi {
 public:
  // `evidence`, `clock` and `logger` must outlive the API.
  AgentApi(EvidenceService& evidence, const AgentInfo& info, const Clock& clock,
           double rate_limit_per_second, uint32_t rate_limit_burst, Logger& logger);

  http::Response Handle(const http::Request& request);

 private:
  http::Response HandleEvidence(const http::Request& request);

  EvidenceService& evidence_;
  std::string info_json_;
  RateLimiter limiter_;
  Logger& logger_;
};

// "rsa2048" / "ecc-p256".
std::string AkKindName(tpm_device::AkKind kind);

}  // namespace vouch::agent

#endif  // VOUCH_AGENT_SERVICE_H_
