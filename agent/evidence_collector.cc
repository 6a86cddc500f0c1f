#include "agent/evidence_collector.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <utility>

#include "core/base/unique_fd.h"
#include "core/tpm/attest.h"
#include "core/tpm/pcr.h"
#include "core/tpm/public.h"
#include "core/tpm/quote.h"

namespace vouch::agent {
namespace {

using Fd = UniqueFd;

std::string ErrnoText(int err) { return std::strerror(err); }

// The VM log's shared lock; closing the descriptor releases it.
class FlockGuard final : public EventLogSource::Guard {
 public:
  explicit FlockGuard(int fd) : fd_(fd) {}

 private:
  Fd fd_;
};

class NoLockGuard final : public EventLogSource::Guard {};

size_t LimitFor(LogKind kind) {
  switch (kind) {
    case LogKind::kSrtm: return protocol::kMaxSrtmLogBytes;
    case LogKind::kDrtm: return protocol::kMaxDrtmLogBytes;
    case LogKind::kVm: return protocol::kMaxVmLogBytes;
  }
  return 0;
}

Status TooLarge(const std::string& path, size_t limit) {
  return InvalidArgumentError(path + " is larger than the evidence limit of " +
                              std::to_string(limit) + " bytes");
}

// Reads the whole file at `path` (see FileEventLogSource for the contract).
Result<std::optional<Bytes>> ReadLogFile(const std::string& path, size_t limit) {
  if (path.empty()) return std::optional<Bytes>();
  // O_NONBLOCK: opening a FIFO placed at the path must not hang the agent
  // (it is then refused as not a regular file).
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) return std::optional<Bytes>();
    if (err == EACCES || err == EPERM) {
      return PermissionDeniedError("open " + path + ": " + ErrnoText(err));
    }
    return UnavailableError("open " + path + ": " + ErrnoText(err));
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return UnavailableError("stat " + path + ": " + ErrnoText(errno));
  if (!S_ISREG(st.st_mode)) return InvalidArgumentError(path + " is not a regular file");
  if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > limit) return TooLarge(path, limit);

  // securityfs reports size 0, and a file may grow after fstat: read in
  // chunks until EOF, never keeping more than limit + 1 bytes.
  Bytes data;
  data.reserve(std::min(limit + 1, static_cast<size_t>(st.st_size) + 1));
  constexpr size_t kChunk = size_t{64} * 1024;
  while (data.size() <= limit) {
    const size_t old_size = data.size();
    const size_t want = std::min(kChunk, limit + 1 - old_size);
    data.resize(old_size + want);
    const ssize_t n = read(fd.get(), data.data() + old_size, want);
    if (n < 0) {
      const int err = errno;
      data.resize(old_size);
      if (err == EINTR) continue;
      return UnavailableError("read " + path + ": " + ErrnoText(err));
    }
    data.resize(old_size + static_cast<size_t>(n));
    if (n == 0) break;
  }
  if (data.size() > limit) return TooLarge(path, limit);
  data.shrink_to_fit();
  return std::optional<Bytes>(std::move(data));
}

std::string PcrName(HashAlg bank, uint32_t pcr) {
  return "PCR " + std::to_string(pcr) + " (" + std::string(HashAlgName(bank)) + ")";
}

// The selected (bank, PCR) pairs of a selection, as a set, so a quote's
// selection can be compared with the requested one whatever its order.
std::set<std::pair<HashAlg, uint32_t>> SelectedSet(const std::vector<tpm::PcrSelection>& sel) {
  std::set<std::pair<HashAlg, uint32_t>> out;
  for (const tpm::PcrSelection& s : sel) {
    for (uint32_t pcr : s.pcrs) out.emplace(s.bank, pcr);
  }
  return out;
}

// "PCR 15 (sha256), PCR 15 (sha1)": the PCRs whose value differs between two
// reads of the same selection.
std::string ChangedPcrs(const tpm::PcrValues& before, const tpm::PcrValues& after) {
  std::string out;
  for (const auto& [bank, values] : before.banks()) {
    for (const auto& [pcr, value] : values) {
      const Bytes* now = after.Get(bank, pcr);
      if (now != nullptr && *now == value) continue;
      if (!out.empty()) out += ", ";
      out += PcrName(bank, pcr);
    }
  }
  return out.empty() ? "none found on a re-read (changed and changed back?)" : out;
}

}  // namespace

std::string_view LogKindName(LogKind kind) {
  switch (kind) {
    case LogKind::kSrtm: return "srtm";
    case LogKind::kDrtm: return "drtm";
    case LogKind::kVm: return "vm";
  }
  return "unknown";
}

FileEventLogSource::FileEventLogSource(std::string srtm_path, std::string drtm_path,
                                       std::string vm_path)
    : srtm_path_(std::move(srtm_path)),
      drtm_path_(std::move(drtm_path)),
      vm_path_(std::move(vm_path)) {}

Result<std::unique_ptr<EventLogSource::Guard>> FileEventLogSource::LockWriters() {
  if (vm_path_.empty()) return std::unique_ptr<Guard>(std::make_unique<NoLockGuard>());
  const int fd = open(vm_path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return std::unique_ptr<Guard>(std::make_unique<NoLockGuard>());
    return UnavailableError("lock " + vm_path_ + ": open: " + ErrnoText(err));
  }
  auto guard = std::make_unique<FlockGuard>(fd);  // owns fd from here on
  // Blocks while the launcher appends and extends (milliseconds).
  while (flock(fd, LOCK_SH) != 0) {
    const int err = errno;
    if (err == EINTR) continue;
    return UnavailableError("lock " + vm_path_ + ": flock: " + ErrnoText(err));
  }
  return std::unique_ptr<Guard>(std::move(guard));
}

Result<std::optional<Bytes>> FileEventLogSource::Read(LogKind kind) {
  switch (kind) {
    case LogKind::kSrtm: return ReadLogFile(srtm_path_, LimitFor(kind));
    case LogKind::kDrtm: return ReadLogFile(drtm_path_, LimitFor(kind));
    case LogKind::kVm: return ReadLogFile(vm_path_, LimitFor(kind));
  }
  return InvalidArgumentError("unknown log kind");
}

std::vector<uint32_t> AllPcrs() {
  std::vector<uint32_t> pcrs(tpm::kNumPcrs);
  for (uint32_t i = 0; i < tpm::kNumPcrs; ++i) pcrs[i] = i;
  return pcrs;
}

EvidenceCollector::EvidenceCollector(tpm_device::TpmDevice& device, const tpm_device::TpmObject& ak,
                                     EventLogSource& logs, HostFactsSource& facts)
    : device_(device), ak_(ak), logs_(logs), facts_(facts) {}

Result<HashAlg> EvidenceCollector::QuoteHash() {
  if (!cached_ak_public_.empty() && cached_ak_public_ == ak_.public_area()) {
    return cached_quote_hash_;
  }
  Result<tpm::TpmPublic> ak = tpm::TpmPublic::DecodeTpm2b(ak_.public_area());
  if (!ak) return FailedPreconditionError("AK public area: " + ak.error().message());
  const std::optional<tpm::SigningScheme> scheme = ak->signing_scheme();
  if (!scheme) return FailedPreconditionError("AK public area: no signing scheme in the template");
  cached_ak_public_ = ak_.public_area();
  cached_quote_hash_ = scheme->hash;
  return cached_quote_hash_;
}

struct EvidenceCollector::Snapshot {
  protocol::Evidence evidence;  // logs, PCR values and quote bytes filled in
  tpm::Attest attest;           // the quote, decoded and checked
};

Result<bool> EvidenceCollector::RefreshBanks() {
  VOUCH_ASSIGN_OR_RETURN_CTX(std::vector<HashAlg> banks, device_.ActiveBanks(), "active PCR banks");
  if (banks.empty()) return FailedPreconditionError("the TPM has no active PCR bank");
  if (banks_.has_value() && banks_->banks == banks) return false;  // counters still hold
  banks_ = BankCache{std::move(banks), std::nullopt};
  return true;
}

Result<EvidenceCollector::Snapshot> EvidenceCollector::TakeSnapshot(
    ByteView nonce, const std::vector<tpm::PcrSelection>& selection) {
  Snapshot snap;
  protocol::Evidence& ev = snap.evidence;
  tpm_device::TpmQuote quote;
  {
    VOUCH_ASSIGN_OR_RETURN_CTX(std::unique_ptr<EventLogSource::Guard> guard, logs_.LockWriters(),
                               "log writers");
    VOUCH_ASSIGN_OR_RETURN_CTX(ev.srtm_log, logs_.Read(LogKind::kSrtm), "srtm log");
    VOUCH_ASSIGN_OR_RETURN_CTX(ev.drtm_log, logs_.Read(LogKind::kDrtm), "drtm log");
    VOUCH_ASSIGN_OR_RETURN_CTX(ev.vm_log, logs_.Read(LogKind::kVm), "vm log");
    VOUCH_ASSIGN_OR_RETURN_CTX(ev.pcrs, device_.ReadPcrs(selection), "read PCRs");
    VOUCH_ASSIGN_OR_RETURN_CTX(quote, device_.Quote(ak_, nonce, selection), "quote");
  }
  Result<tpm::Attest> attest = tpm::DecodeAttest(quote.attest);
  if (!attest) return InternalError("the TPM's quote does not decode: " + attest.error().message());
  snap.attest = std::move(attest).value();
  if (!snap.attest.quote.has_value() || snap.attest.magic != tpm::kTpmGeneratedValue) {
    return InternalError("the TPM returned an attestation that is not a quote");
  }
  if (!ConstantTimeEqual(snap.attest.extra_data, nonce)) {
    return InternalError("the TPM's quote does not carry the nonce");
  }
  if (SelectedSet(snap.attest.quote->selection) != SelectedSet(selection)) {
    return InternalError("the TPM quoted another PCR selection than requested");
  }
  ev.quote_attest = std::move(quote.attest);
  ev.quote_signature = std::move(quote.signature);
  return snap;
}

Result<protocol::Evidence> EvidenceCollector::Collect(ByteView nonce,
                                                      const std::vector<uint32_t>& pcrs) {
  if (nonce.size() < protocol::kMinNonceBytes || nonce.size() > protocol::kMaxNonceBytes) {
    return InvalidArgumentError("nonce has " + std::to_string(nonce.size()) + " bytes; expected " +
                                std::to_string(protocol::kMinNonceBytes) + " to " +
                                std::to_string(protocol::kMaxNonceBytes));
  }
  std::vector<uint32_t> wanted = pcrs.empty() ? AllPcrs() : pcrs;
  for (uint32_t pcr : wanted) {
    if (pcr >= tpm::kNumPcrs) {
      return InvalidArgumentError("PCR index " + std::to_string(pcr) + " out of range 0-" +
                                  std::to_string(tpm::kNumPcrs - 1));
    }
  }
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  VOUCH_ASSIGN_OR_RETURN(const HashAlg quote_hash, QuoteHash());

  // Whether the banks in use came from the cache (and may be stale).
  bool cached = banks_.has_value();
  if (!cached) VOUCH_RETURN_IF_ERROR(RefreshBanks().status());
  auto make_selection = [&] {
    std::vector<tpm::PcrSelection> selection;
    selection.reserve(banks_->banks.size());
    for (HashAlg bank : banks_->banks) selection.push_back({bank, wanted});
    return selection;
  };
  std::vector<tpm::PcrSelection> selection = make_selection();

  std::string changed;
  int attempt = 1;
  while (attempt <= kMaxAttempts) {
    Result<Snapshot> snap = TakeSnapshot(nonce, selection);
    if (cached) {
      // Cached banks are stale only after a TPM reset or restart: a failed
      // read or quote, or moved counters, are when to ask again.
      // Unknown counters (the banks changed, then an error) count as moved.
      const bool moved =
          snap && (!banks_->counters.has_value() ||
                   *banks_->counters != std::pair(snap->attest.clock_info.reset_count,
                                                  snap->attest.clock_info.restart_count));
      if (!snap || moved) {
        cached = false;
        VOUCH_ASSIGN_OR_RETURN(const bool banks_changed, RefreshBanks());
        if (banks_changed) {
          selection = make_selection();
          continue;  // redo with the TPM's banks; not a PCR retry
        }
      }
    }
    if (!snap) return std::move(snap).error();
    Result<Bytes> digest =
        tpm::ComputePcrDigest(quote_hash, snap->attest.quote->selection, snap->evidence.pcrs);
    if (!digest) return InternalError("PCR digest: " + digest.error().message());
    if (*digest == snap->attest.quote->pcr_digest) {
      const tpm::ClockInfo& clock = snap->attest.clock_info;
      banks_->counters = std::pair(clock.reset_count, clock.restart_count);
      protocol::Evidence evidence = std::move(snap->evidence);
      evidence.nonce = ToBytes(nonce);
      evidence.ak_public = ak_.public_area();
      evidence.reset_count = clock.reset_count;
      evidence.restart_count = clock.restart_count;
      evidence.host = facts_.Facts();
      return evidence;
    }
    // A PCR was extended between the read and the quote (the launcher
    // measured a VM, or something outside the lock protocol extended).
    // Read again only to say which one; the next attempt reads afresh.
    VOUCH_ASSIGN_OR_RETURN_CTX(const tpm::PcrValues now, device_.ReadPcrs(selection), "read PCRs");
    changed = ChangedPcrs(snap->evidence.pcrs, now);
    if (++attempt <= kMaxAttempts) ++retries_;
  }
  return UnavailableError("PCRs changed between reading and quoting in " +
                          std::to_string(kMaxAttempts) + " attempts; last changed: " + changed);
}

}  // namespace vouch::agent
