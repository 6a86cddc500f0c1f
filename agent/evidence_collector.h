// Evidence assembly: a quote over the requested PCRs of every active bank,
// the PCR values it covers, the measurement logs, host facts.
//
// The collector talks to the TPM only through tpm_device::TpmDevice and to the
// file system only through EventLogSource, so unit tests run it against
// vouch::testing::FakeTpmDevice and in-memory logs. It produces a
// protocol::Evidence; encoding it (protocol::EncodeEvidence) and sending it
// are the caller's job. Nothing here verifies the evidence: the agent only
// makes sure that what it sends is self-consistent (the quote covers exactly
// the values and logs sent), so that a verifier failure means tampering or a
// bad platform, not a race inside the agent.
#ifndef VOUCH_AGENT_EVIDENCE_COLLECTOR_H_
#define VOUCH_AGENT_EVIDENCE_COLLECTOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/protocol/evidence.h"
#include "core/tpm/pcr.h"
#include "core/tpm_device/tpm_device.h"

namespace vouch::agent {

enum class LogKind { kSrtm, kDrtm, kVm };

// Where the measurement logs come from (securityfs, the launcher's files).
// Implementations need not be thread-safe: the collector uses one source from
// one thread at a time.
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
  // the guard is destroyed, so a log and the quote always agree. The guard
  // must not outlive the source.
  virtual Result<std::unique_ptr<Guard>> LockWriters() = 0;
  // The whole log, or nullopt when the platform has none (file absent).
  // InvalidArgument when larger than the evidence limit for its kind
  // (protocol::kMax*LogBytes), Unavailable when unreadable.
  virtual Result<std::optional<Bytes>> Read(LogKind kind) = 0;
};

// "srtm", "drtm", "vm" (for messages).
std::string_view LogKindName(LogKind kind);

// Reads the logs from files (paths from AgentConfig; an empty path means
// "no such log").
//
// Read: an empty path or an absent file gives nullopt. The size is checked
// before reading (fstat): a file larger than its kind's limit
// (protocol::kMaxSrtmLogBytes, kMaxDrtmLogBytes, kMaxVmLogBytes) gives
// InvalidArgument naming the path and the limit, without reading it.
// securityfs files (/sys/kernel/security/tpm0/binary_bios_measurements)
// report size 0, so every file is read in chunks and the read stops with the
// same InvalidArgument as soon as it passes the limit; memory use is bounded
// by the limit either way. Not a regular file: InvalidArgument.
// PermissionDenied when the agent may not open the file (securityfs needs
// root or CAP_DAC_OVERRIDE); Unavailable for other I/O errors.
//
// LockWriters takes flock(LOCK_SH) on the VM log when the file exists (an
// absent VM log is not locked; the guard then holds nothing), released when
// the guard is destroyed. The launcher's side of the protocol:
//   1. create the VM log (O_CREAT, empty) before it measures its first VM,
//      e.g. when it starts, so the agent always finds a file to lock;
//   2. for every measurement: flock(LOCK_EX) on the log, append the record
//      (write + fsync), extend the PCR, then unlock;
//   3. append in place; never replace the file (rename over it), because a
//      lock on the old inode would not keep writers of the new one out.
// The SRTM log is fixed after boot and the D-RTM log after the measured
// launch, so neither is locked. Unavailable when the lock cannot be taken.
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
  // How many times Collect reads and quotes before giving up when PCRs keep
  // changing in between.
  static constexpr int kMaxAttempts = 5;

  // `device`, `ak`, `logs` and `facts` must outlive the collector. `ak` is
  // the loaded AK whose public area goes into the evidence; it may be
  // replaced (moved into) between calls, e.g. reloaded after a TPM reset.
  EvidenceCollector(tpm_device::TpmDevice& device, const tpm_device::TpmObject& ak,
                    EventLogSource& logs, HostFactsSource& facts);

  // One TPM2_Quote over `pcrs` (empty: AllPcrs()) of every active bank (one
  // quote, its pcrDigest over all selected banks, TPM 2.0 Part 3 18.4), the
  // values read from the TPM, the logs, facts, clockInfo counters.
  //
  // Order of one attempt: LockWriters(); read the SRTM, D-RTM and VM logs;
  // ReadPcrs; Quote; release the lock. The quote's pcrDigest is then
  // recomputed (tpm::ComputePcrDigest with the hash of the AK's signing
  // scheme, which is what TPM2_Quote uses) over the values read, in the
  // quote's selection order; the quote must also select exactly the
  // requested PCRs and carry the nonce.
  // Active banks: asked from the TPM on the first call and cached. A new
  // allocation (TPM2_PCR_Allocate) takes effect only at the next _TPM_Init
  // (TPM 2.0 Part 3, 22.5), and every startup after one moves resetCount or
  // restartCount, so the cache is checked against the quote's clockInfo:
  // when either counter moved since the banks were read, or a read or quote fails
  // while cached banks are used, the banks are asked again and, if they
  // changed, the attempt is redone with them (not counted as a retry).
  // Consistency: if a PCR changed between the read and the quote, the whole
  // read-and-quote is retried (kMaxAttempts attempts in all, then
  // Unavailable naming the PCRs that changed, e.g. "PCR 15 (sha256)").
  //
  // Errors: InvalidArgument for a nonce outside
  // protocol::kMin/kMaxNonceBytes or a PCR index > 23; FailedPrecondition
  // when the AK's public area does not decode or has no signing scheme, or
  // the TPM has no active bank; a log source's error with "<kind> log: "
  // prepended; a TPM error with "read PCRs: ", "quote: " or "active PCR
  // banks: " prepended; Internal when the TPM's attest does not decode or
  // does not cover what was asked (wrong nonce or selection).
  Result<protocol::Evidence> Collect(ByteView nonce, const std::vector<uint32_t>& pcrs);

  // How many read-and-quote attempts were retried since construction.
  uint64_t retries() const { return retries_; }

 private:
  // One read-and-quote under the writers' lock: logs, PCR values, quote.
  struct Snapshot;
  // The active banks and the TPM's reset/restart counts they were seen at.
  struct BankCache {
    std::vector<HashAlg> banks;
    std::optional<std::pair<uint32_t, uint32_t>> counters;  // from the last quote
  };

  // The digest algorithm of the AK's signing scheme, decoded from its public
  // area once per distinct public area (decoding an RSA key costs more than
  // the rest of Collect's own work).
  Result<HashAlg> QuoteHash();
  // Asks the TPM for its active banks; true when they differ from the cache.
  Result<bool> RefreshBanks();
  Result<Snapshot> TakeSnapshot(ByteView nonce, const std::vector<tpm::PcrSelection>& selection);

  tpm_device::TpmDevice& device_;
  const tpm_device::TpmObject& ak_;
  EventLogSource& logs_;
  HostFactsSource& facts_;
  uint64_t retries_ = 0;
  Bytes cached_ak_public_;
  HashAlg cached_quote_hash_ = HashAlg::kSha256;
  std::optional<BankCache> banks_;
};

}  // namespace vouch::agent

#endif  // VOUCH_AGENT_EVIDENCE_COLLECTOR_H_
