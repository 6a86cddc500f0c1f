// Evidence assembly: a quote over the requested PCRs of every active bank,
// the PCR values it covers, the measurement logs, host facts.
#ifndef VOUCH_AGENT_EVIDENCE_COLLECTOR_H_
#define VOUCH_AGENT_EVIDENCE_COLLECTOR_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/protocol/evidence.h"
#include "core/tpm_device/tpm_device.h"

namespace vouch::agent {

enum class LogKind { kSrtm, kDrtm, kVm };

// Where the measurement logs come from (securityfs, the launcher's files).
class EventLogSource {
 public:
  // Held while logs are read and the quote is taken.
  class Guard {
   public:
    virtual ~Guard() = default;
  };
  virtual ~EventLogSource() = default;
  // Keeps writers that follow the launcher's protocol (append a record, then
  // extend its PCR, both under an exclusive flock(2) of the VM log) out until
  // the guard is destroyed, so a log and the quote always agree.
  virtual Result<std::unique_ptr<Guard>> LockWriters() = 0;
  // The whole log, or nullopt when the platform has none (file absent).
  // InvalidArgument when larger than the evidence limit for its kind
  // (protocol::kMax*LogBytes), Unavailable when unreadable.
  virtual Result<std::optional<Bytes>> Read(LogKind kind) = 0;
};

// Reads the logs from files (paths from AgentConfig; an empty path means
// "no such log").
class FileEventLogSource final : public EventLogSource {
 public:
  FileEventLogSource(std::string srtm_path, std::string drtm_path, std::string vm_path);
  Result<std::unique_ptr<Guard>> LockWriters() override;
  Result<std::optional<Bytes>> Read(LogKind kind) override;

 private:
  std::string srtm_path_, drtm_path_, vm_path_;
};

// Host facts as configured and detected (hostname, /etc/machine-id,
// hypervisor from /proc/xen or /dev/kvm unless configured).
class HostFactsSource {
 public:
  virtual ~HostFactsSource() = default;
  virtual protocol::HostFacts Facts() = 0;
};

// All PCRs the agent quotes by default: 0-23.
std::vector<uint32_t> AllPcrs();

// Not thread-safe (one TPM, one caller at a time); the serving code holds a
// mutex around Collect.
class EvidenceCollector {
 public:
  // `device`, `ak`, `logs` and `facts` must outlive the collector. `ak` is
  // the loaded AK whose public area goes into the evidence.
  EvidenceCollector(tpm_device::TpmDevice& device, const tpm_device::TpmObject& ak,
                    EventLogSource& logs, HostFactsSource& facts);

  // One TPM2_Quote over `pcrs` (empty: AllPcrs()) of every active bank (one
  // quote, its pcrDigest over all selected banks, TPM 2.0 Part 3 18.4), the
  // values read from the TPM, the logs, facts, clockInfo counters.
  // Consistency: the PCR values are read, then quoted, and the quote's
  // pcrDigest must equal the digest of the values read; if a PCR changed in
  // between, the whole read-and-quote is retried (up to 5 times, then
  // Unavailable). InvalidArgument for a nonce outside
  // protocol::kMin/kMaxNonceBytes or a PCR index > 23.
  Result<protocol::Evidence> Collect(ByteView nonce, const std::vector<uint32_t>& pcrs);

  // How many read-and-quote attempts were retried since construction.
  uint64_t retries() const { return retries_; }

 private:
  tpm_device::TpmDevice& device_;
  const tpm_device::TpmObject& ak_;
  EventLogSource& logs_;
  HostFactsSource& facts_;
  uint64_t retries_ = 0;
};

}  // namespace vouch::agent

#endif  // VOUCH_AGENT_EVIDENCE_COLLECTOR_H_
