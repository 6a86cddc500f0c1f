#include "core/eventlog/replay.h"

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <utility>

#include "core/crypto/digest.h"

namespace vouch::eventlog {

// The only way to build VerifiedEvents (declared a friend in replay.h).
struct ReplayAccess {
  static VerifiedEvents Make(std::shared_ptr<const Bytes> buffer, std::vector<Event> events,
                             std::set<uint32_t> pcrs) {
    VerifiedEvents v;
    v.buffer_ = std::move(buffer);
    v.events_ = std::move(events);
    v.verified_pcrs_ = std::move(pcrs);
    return v;
  }
};

namespace {

constexpr size_t kMaxDigestSize = 64;
constexpr size_t kMaxBanks = std::size(kAllHashAlgs);

// Replayed values of one bank. Fixed-size storage: no allocation per event.
struct BankState {
  HashAlg alg = HashAlg::kSha1;
  size_t size = 0;
  uint32_t extended = 0;  // bit i: PCR i was extended at least once
  // Only the first `size` bytes of each entry are used (and initialised).
  std::array<std::array<uint8_t, kMaxDigestSize>, tpm::kNumPcrs> pcrs;

  std::span<uint8_t> Pcr(uint32_t i) { return std::span<uint8_t>(pcrs[i].data(), size); }
  ByteView Value(uint32_t i) const { return ByteView(pcrs[i].data(), size); }
};

// Whether `ev` changes a PCR: EV_NO_ACTION events are never extended (PFP
// 10.4.5), nor are WBCL events on PCR 0xFFFFFFFF. The parser refuses other
// indexes >= 24, so the range check only guards that.
bool IsExtended(const Event& ev) { return ev.type != kEvNoAction && ev.pcr < tpm::kNumPcrs; }

// The PCR values a log produces, per bank. Lives on the stack (about 8 KiB)
// so a replay allocates nothing besides its results.
class PcrReplay {
 public:
  // Sets up every bank the log carries that this build can hash (SM3 logs
  // are parsed but not replayed).
  explicit PcrReplay(const UnverifiedEventLog& log) : log_(log) {
    for (HashAlg alg : log.banks()) {
      if (num_banks_ == kMaxBanks || !crypto::IsDigestSupported(alg) || Find(alg) != nullptr) {
        continue;
      }
      BankState& b = banks_[num_banks_++];
      b.alg = alg;
      b.size = DigestSize(alg);
      for (auto& pcr : b.pcrs) std::fill_n(pcr.begin(), b.size, uint8_t{0});
      // PC Client PTP: PCR 0 resets to the startup locality in its last byte
      // (0, 3, or 4 after an H-CRTM sequence); every other PCR the log can
      // extend starts at zero (17-22 are zero after the dynamic launch a
      // D-RTM log describes).
      b.pcrs[0][b.size - 1] = log.startup_locality().value_or(0);
    }
  }

  Status Run() {
    for (const Event& ev : log_.EventsUnverifiedForDebug()) {
      if (!IsExtended(ev)) continue;
      for (const EventDigest& d : ev.digests) {
        BankState* b = Find(d.alg);
        if (b == nullptr) continue;
        if (d.digest.size() != b->size) {
          return InvalidArgumentError("event " + std::to_string(ev.index) + ": " +
                                      std::string(HashAlgName(d.alg)) + " digest has " +
                                      std::to_string(d.digest.size()) + " bytes, expected " +
                                      std::to_string(b->size));
        }
        VOUCH_RETURN_IF_ERROR(crypto::ExtendPcr(d.alg, b->Pcr(ev.pcr), d.digest));
        b->extended |= 1u << ev.pcr;
      }
    }
    return Status::Ok();
  }

  size_t num_banks() const { return num_banks_; }
  const BankState& bank(size_t i) const { return banks_[i]; }

 private:
  BankState* Find(HashAlg alg) {
    for (size_t i = 0; i < num_banks_; ++i) {
      if (banks_[i].alg == alg) return &banks_[i];
    }
    return nullptr;
  }

  const UnverifiedEventLog& log_;
  std::array<BankState, kMaxBanks> banks_;
  size_t num_banks_ = 0;
};

Finding MakeFinding(std::string id, Severity severity, uint32_t pcr, std::optional<HashAlg> bank,
                    std::string message) {
  Finding f;
  f.id = std::move(id);
  f.severity = severity;
  f.pcr = pcr;
  f.bank = bank;
  f.message = std::move(message);
  return f;
}

}  // namespace

Result<tpm::PcrValues> ComputePcrs(const UnverifiedEventLog& log) {
  PcrReplay replay(log);
  VOUCH_RETURN_IF_ERROR(replay.Run());
  tpm::PcrValues values;
  for (size_t i = 0; i < replay.num_banks(); ++i) {
    const BankState& b = replay.bank(i);
    for (uint32_t pcr = 0; pcr < tpm::kNumPcrs; ++pcr) {
      if ((b.extended & (1u << pcr)) == 0) continue;
      ByteView v = b.Value(pcr);
      VOUCH_RETURN_IF_ERROR(values.Set(b.alg, pcr, Bytes(v.begin(), v.end())));
    }
  }
  return values;
}

Result<ReplayResult> Replay(const UnverifiedEventLog& log, const tpm::VerifiedPcrs& quoted) {
  PcrReplay replay(log);
  VOUCH_RETURN_IF_ERROR(replay.Run());
  const auto& quoted_banks = quoted.values().banks();
  ReplayResult result;

  for (const auto& [alg, unused] : quoted_banks) {
    bool in_log = false;
    for (HashAlg b : log.banks()) in_log = in_log || b == alg;
    if (!in_log) {
      Finding f;
      f.id = "replay.bank_not_in_log";
      f.severity = Severity::kInfo;
      f.bank = alg;
      f.message = "the quote covers the " + std::string(HashAlgName(alg)) +
                  " bank, which the event log does not record";
      result.findings.push_back(std::move(f));
    }
  }

  uint32_t extended_any = 0;
  for (size_t i = 0; i < replay.num_banks(); ++i) extended_any |= replay.bank(i).extended;

  std::set<uint32_t> verified;
  for (uint32_t pcr = 0; pcr < tpm::kNumPcrs; ++pcr) {
    if ((extended_any & (1u << pcr)) == 0) continue;
    const std::string pcr_name = "PCR " + std::to_string(pcr);
    bool compared = false;
    bool ok = true;
    for (size_t i = 0; i < replay.num_banks(); ++i) {
      const BankState& b = replay.bank(i);
      if ((b.extended & (1u << pcr)) == 0) continue;
      if (quoted_banks.find(b.alg) == quoted_banks.end()) continue;  // bank not quoted at all
      const std::string bank_name(HashAlgName(b.alg));
      const Bytes* q = quoted.Get(b.alg, pcr);
      if (q == nullptr) {
        ok = false;
        result.findings.push_back(
            MakeFinding("replay.pcr_not_quoted", Severity::kWarning, pcr, b.alg,
                        "the event log extends " + pcr_name + " (" + bank_name +
                            "), which the quote does not cover; its events stay unverified"));
        continue;
      }
      compared = true;
      ByteView replayed = b.Value(pcr);
      if (!std::equal(replayed.begin(), replayed.end(), q->begin(), q->end())) {
        ok = false;
        Finding f = MakeFinding("replay.pcr_mismatch", Severity::kError, pcr, b.alg,
                                pcr_name + " (" + bank_name +
                                    "): replaying the event log does not give the quoted value");
        f.expected = HexEncode(*q);
        f.actual = HexEncode(replayed);
        result.findings.push_back(std::move(f));
      }
    }
    if (!compared && ok) {
      // None of the banks the log extends this PCR in is in the quote.
      ok = false;
      result.findings.push_back(
          MakeFinding("replay.pcr_not_quoted", Severity::kWarning, pcr, std::nullopt,
                      "the event log extends " + pcr_name +
                          " only in banks the quote does not cover; its events stay unverified"));
    }
    if (ok) verified.insert(pcr);
  }

  std::vector<Event> events;
  for (const Event& ev : log.EventsUnverifiedForDebug()) {
    if (IsExtended(ev) && verified.count(ev.pcr) != 0) events.push_back(ev);
  }
  result.verified = ReplayAccess::Make(log.buffer(), std::move(events), std::move(verified));
  return result;
}

}  // namespace vouch::eventlog
