// Parsing TCG event logs into unverified events.
//
// Formats (TCG PC Client Platform Firmware Profile, PFP, section 10):
//   - crypto-agile: a first TCG_PCR_EVENT (SHA-1 layout) carrying the
//     "Spec ID Event03" EV_NO_ACTION event, then TCG_PCR_EVENT2 records with a
//     digest per algorithm (TPML_DIGEST_VALUES);
//   - SHA-1 legacy (TCG 1.2 layout): TCG_PCR_EVENT records only.
// TXT/tboot D-RTM logs in TCG format parse the same way.
//
// Parsing does not replay and verifies nothing: the result is an
// UnverifiedEventLog. Only replay against quoted PCRs (replay.h) yields
// verified events. Event type and event data are untrusted even after replay
// unless the data is what was digested (see describe.h).
//
// Robustness: every length is checked against the remaining bytes before use;
// sizes are capped (ParseOptions, and at most 32 algorithms per Spec ID event
// or digest list); parsing is linear in the input size. When the bytes from
// an event boundary to the end of the input are all 0x00 or all 0xFF (of any
// length, even shorter than a header) the log ends cleanly there (padding of
// fixed-size buffers), recorded in trailing_padding; an input that is only
// padding is InvalidArgument. Errors are InvalidArgument naming the byte
// offset, the event index and the field, e.g. "at offset 1234: event 12
// (PCR 4, EV_EFI_BOOT_SERVICES_APPLICATION): event data size 4294967295
// exceeds remaining 812 bytes".
//
// Rules for inconsistent logs (PFP 10.2.2, 10.4.5):
//   - Spec ID event: a known algorithm declared with a digest size other than
//     its real one, an algorithm listed twice, or numberOfAlgorithms outside
//     1-32 is InvalidArgument; unknown algorithms are skipped in every event
//     using the declared size (one warning).
//   - TCG_PCR_EVENT2 digest lists whose count differs from the Spec ID
//     event's (Windows logs after ExitBootServices) are accepted with a
//     warning; a digest for a known but undeclared algorithm is skipped with a
//     warning; an unknown undeclared algorithm, or the same algorithm twice in
//     one event, is InvalidArgument.
//   - PCR index: 0-23; 0xFFFFFFFF (Windows WBCL events) is kept and never
//     extended; any other index >= 24 is InvalidArgument unless the event is
//     EV_NO_ACTION (never extended, so its index does not matter).
//   - StartupLocality (EV_NO_ACTION "StartupLocality\0" + 1 byte, PFP
//     10.4.5.3): only on PCR 0 with 17 bytes of data; the first one counts,
//     others are ignored with a warning.
// Warnings are capped at 64 (then "further warnings suppressed").
//
// Zero copy and lifetimes: the log shares ownership of the input bytes (one
// std::shared_ptr<const Bytes>); Event::data and EventDigest::digest are
// views into that buffer and an Event's digests live inline, so parsing
// allocates nothing per event. An Event's views are valid while the
// UnverifiedEventLog or VerifiedEvents (replay.h) it came from, or a copy of
// either, is alive: keep the log, not loose Event copies. Thread safety: a
// parsed log is immutable and may be read from several threads.
#ifndef VOUCH_CORE_EVENTLOG_EVENT_LOG_H_
#define VOUCH_CORE_EVENTLOG_EVENT_LOG_H_

#include <array>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/check.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"

namespace vouch::eventlog {

enum class LogFormat { kCryptoAgile, kSha1Legacy };
std::string_view LogFormatName(LogFormat f);  // "crypto-agile" | "sha1-legacy"

// Event types (PFP section 10.4.1; TXT: Intel TXT MLE Developer's Guide,
// appendix "Event Log"; 0x501 tboot). Not exhaustive: unknown values are kept.
inline constexpr uint32_t kEvPrebootCert = 0x0;
inline constexpr uint32_t kEvPostCode = 0x1;
inline constexpr uint32_t kEvNoAction = 0x3;
inline constexpr uint32_t kEvSeparator = 0x4;
inline constexpr uint32_t kEvAction = 0x5;
inline constexpr uint32_t kEvEventTag = 0x6;
inline constexpr uint32_t kEvSCrtmContents = 0x7;
inline constexpr uint32_t kEvSCrtmVersion = 0x8;
inline constexpr uint32_t kEvCpuMicrocode = 0x9;
inline constexpr uint32_t kEvPlatformConfigFlags = 0xA;
inline constexpr uint32_t kEvTableOfDevices = 0xB;
inline constexpr uint32_t kEvCompactHash = 0xC;
inline constexpr uint32_t kEvIpl = 0xD;
inline constexpr uint32_t kEvIplPartitionData = 0xE;
inline constexpr uint32_t kEvNonhostCode = 0xF;
inline constexpr uint32_t kEvNonhostConfig = 0x10;
inline constexpr uint32_t kEvNonhostInfo = 0x11;
inline constexpr uint32_t kEvOmitBootDeviceEvents = 0x12;
inline constexpr uint32_t kEvEfiEventBase = 0x80000000;
inline constexpr uint32_t kEvEfiVariableDriverConfig = 0x80000001;
inline constexpr uint32_t kEvEfiVariableBoot = 0x80000002;
inline constexpr uint32_t kEvEfiBootServicesApplication = 0x80000003;
inline constexpr uint32_t kEvEfiBootServicesDriver = 0x80000004;
inline constexpr uint32_t kEvEfiRuntimeServicesDriver = 0x80000005;
inline constexpr uint32_t kEvEfiGptEvent = 0x80000006;
inline constexpr uint32_t kEvEfiAction = 0x80000007;
inline constexpr uint32_t kEvEfiPlatformFirmwareBlob = 0x80000008;
inline constexpr uint32_t kEvEfiHandoffTables = 0x80000009;
inline constexpr uint32_t kEvEfiPlatformFirmwareBlob2 = 0x8000000A;
inline constexpr uint32_t kEvEfiHandoffTables2 = 0x8000000B;
inline constexpr uint32_t kEvEfiVariableBoot2 = 0x8000000C;
inline constexpr uint32_t kEvEfiHcrtmEvent = 0x80000010;
inline constexpr uint32_t kEvEfiVariableAuthority = 0x800000E0;
inline constexpr uint32_t kEvEfiSpdmFirmwareBlob = 0x800000E1;
inline constexpr uint32_t kEvEfiSpdmFirmwareConfig = 0x800000E2;
inline constexpr uint32_t kEvTxtBase = 0x400;  // 0x400-0x4FF: TXT/SINIT events
inline constexpr uint32_t kEvTboot = 0x501;    // tboot's own events (no data)

// Name of an event type ("EV_EFI_VARIABLE_BOOT", "EVTYPE_PCRMAPPING", ...);
// "EV_UNKNOWN_0x..." for values without a name.
std::string EventTypeName(uint32_t type);

// Windows logs (WBCL) carry events for PCR index 0xFFFFFFFF: never extended.
inline constexpr uint32_t kPcrNotExtended = 0xFFFFFFFF;

// One bank's digest of an event: a view into the log's buffer.
struct EventDigest {
  HashAlg alg = HashAlg::kSha1;
  ByteView digest;
};

// The digests of one event, stored inline (no allocation): at most one per
// hash algorithm Vouch knows, which is all the parser keeps. A vector-like
// subset: size, empty, iteration, operator[], push_back.
class EventDigests {
 public:
  static constexpr size_t kCapacity = std::size(kAllHashAlgs);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const EventDigest* begin() const { return items_.data(); }
  const EventDigest* end() const { return items_.data() + size_; }
  EventDigest* begin() { return items_.data(); }
  EventDigest* end() { return items_.data() + size_; }
  // Precondition: i < size() (VOUCH_CHECK).
  const EventDigest& operator[](size_t i) const {
    VOUCH_CHECK(i < size_);
    return items_[i];
  }
  EventDigest& operator[](size_t i) {
    VOUCH_CHECK(i < size_);
    return items_[i];
  }
  // Precondition: size() < kCapacity (VOUCH_CHECK). The parser never exceeds
  // it (known algorithms only, each once); only trusted code reaches this.
  void push_back(const EventDigest& d) {
    VOUCH_CHECK(size_ < kCapacity);
    items_[size_++] = d;
  }

 private:
  std::array<EventDigest, kCapacity> items_{};
  size_t size_ = 0;
};

// One event as it appears in the log. Nothing in it is verified. Cheap to
// copy (no heap storage); `data` and the digests are views into the buffer
// of the log it came from, valid while that UnverifiedEventLog or the
// VerifiedEvents holding it is alive.
struct Event {
  size_t index = 0;   // position in the log, 0-based, counting the Spec ID event
  size_t offset = 0;  // byte offset of the event header
  uint32_t pcr = 0;
  uint32_t type = 0;
  // Digests of the banks the log records, in log order. Algorithms the Spec
  // ID event declares but Vouch does not know are skipped (their size is
  // known from the Spec ID event) and reported in warnings. The first event
  // (TCG_PCR_EVENT layout) has its SHA-1 digest here, all zero for the Spec
  // ID event.
  EventDigests digests;
  ByteView data;

  // The digest for `alg`, or nullptr. Points into this Event.
  const ByteView* DigestFor(HashAlg alg) const;
};

struct SpecIdAlgorithm {
  uint16_t alg_id;
  uint16_t digest_size;
};

// TCG_EfiSpecIDEvent (PFP section 10.4.5.1).
struct SpecId {
  std::string signature;  // "Spec ID Event03"
  uint32_t platform_class = 0;
  uint8_t spec_version_minor = 0;
  uint8_t spec_version_major = 0;
  uint8_t spec_errata = 0;
  uint8_t uintn_size = 0;
  std::vector<SpecIdAlgorithm> algorithms;
  Bytes vendor_info;
};

struct ParseOptions {
  size_t max_log_size = 64 * 1024 * 1024;  // larger input is refused up front
  size_t max_events = 1'000'000;
  size_t max_event_data = 16 * 1024 * 1024;  // per event
};

class UnverifiedEventLog {
 public:
  LogFormat format() const { return format_; }
  // Present for crypto-agile logs.
  const std::optional<SpecId>& spec_id() const { return spec_id_; }
  // The banks the log carries digests for, in Spec ID order (sha1 only for
  // legacy logs), limited to algorithms Vouch knows.
  const std::vector<HashAlg>& banks() const { return banks_; }
  // From the EV_NO_ACTION "StartupLocality" event (PFP 10.4.5.3), if any.
  std::optional<uint8_t> startup_locality() const { return startup_locality_; }
  // Bytes of 0x00/0xFF padding after the last event.
  size_t trailing_padding() const { return trailing_padding_; }
  // Non-fatal oddities ("event 24: unknown algorithm 0x0012 skipped").
  const std::vector<std::string>& warnings() const { return warnings_; }
  size_t size() const { return events_.size(); }

  // Every event including EV_NO_ACTION ones. Unverified: for display,
  // replay and debugging only; policy code must use VerifiedEvents.
  // Events view buffer(): copies of them are valid while this log (or a
  // copy of it, or VerifiedEvents made from it) is alive.
  const std::vector<Event>& EventsUnverifiedForDebug() const { return events_; }

  // The input bytes the events view (shared by copies of this log).
  const std::shared_ptr<const Bytes>& buffer() const { return buffer_; }

 private:
  friend Result<UnverifiedEventLog> ParseEventLog(std::shared_ptr<const Bytes> data,
                                                  const ParseOptions& options);
  std::shared_ptr<const Bytes> buffer_;
  LogFormat format_ = LogFormat::kSha1Legacy;
  std::optional<SpecId> spec_id_;
  std::vector<HashAlg> banks_;
  std::optional<uint8_t> startup_locality_;
  size_t trailing_padding_ = 0;
  std::vector<std::string> warnings_;
  std::vector<Event> events_;
};

// Parses a whole log in place, without copying: the log keeps `data` alive
// and its events view it. InvalidArgument (with offset, event index and
// field) for truncated, oversized or inconsistent input; an empty input (or a
// null `data`) is InvalidArgument too.
Result<UnverifiedEventLog> ParseEventLog(std::shared_ptr<const Bytes> data,
                                         const ParseOptions& options = {});

// Same, for bytes the caller owns: copies them once into a shared buffer
// (after the size checks) and parses that. Prefer the overload above when
// the bytes are already in a Bytes the caller can hand over.
Result<UnverifiedEventLog> ParseEventLog(ByteView data, const ParseOptions& options = {});

}  // namespace vouch::eventlog

#endif  // VOUCH_CORE_EVENTLOG_EVENT_LOG_H_
