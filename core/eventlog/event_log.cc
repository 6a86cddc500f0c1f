// TCG event-log parser.
//
// Layouts (TCG PC Client Platform Firmware Profile 1.05, PFP):
//   TCG_PCR_EVENT (section 10.2.1, SHA-1 layout, also the first event of a
//   crypto-agile log):  UINT32 pcrIndex | UINT32 eventType | BYTE digest[20] |
//                       UINT32 eventSize | BYTE event[eventSize]
//   TCG_PCR_EVENT2 (section 10.2.2): UINT32 pcrIndex | UINT32 eventType |
//                       TPML_DIGEST_VALUES digests | UINT32 eventSize | BYTE event[]
//   TPML_DIGEST_VALUES (TPM 2.0 Part 2, 10.9.7): UINT32 count | TPMT_HA[count],
//                       TPMT_HA = UINT16 hashAlg | BYTE digest[size of hashAlg]
//   TCG_EfiSpecIDEvent (section 10.4.5.1): BYTE signature[16] ("Spec ID Event03")
//                       | UINT32 platformClass | UINT8 specVersionMinor |
//                       UINT8 specVersionMajor | UINT8 specErrata | UINT8 uintnSize
//                       | UINT32 numberOfAlgorithms | {UINT16 algorithmId,
//                       UINT16 digestSize}[numberOfAlgorithms] | UINT8
//                       vendorInfoSize | BYTE vendorInfo[vendorInfoSize]
//   Startup Locality event (section 10.4.5.3): EV_NO_ACTION on PCR 0 with data
//                       "StartupLocality\0" | UINT8 locality.
// All integers are little-endian.
#include "core/eventlog/event_log.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "core/base/byte_reader.h"
#include "core/tpm/pcr.h"

namespace vouch::eventlog {
namespace {

// numberOfAlgorithms in the Spec ID event and the count of a
// TPML_DIGEST_VALUES are capped here; TPM 2.0 knows far fewer hash algorithms.
constexpr uint32_t kMaxAlgorithms = 32;
// Warnings are capped so a hostile log cannot make us build millions of
// strings; one final warning says that more were suppressed.
constexpr size_t kMaxWarnings = 64;
constexpr size_t kSha1Size = 20;

constexpr uint8_t kSpecIdSignature[16] = {'S', 'p', 'e', 'c', ' ', 'I', 'D', ' ',
                                          'E', 'v', 'e', 'n', 't', '0', '3', 0};
constexpr uint8_t kStartupLocalitySignature[16] = {'S', 't', 'a', 'r', 't', 'u', 'p', 'L',
                                                   'o', 'c', 'a', 'l', 'i', 't', 'y', 0};

bool StartsWith(ByteView data, const uint8_t (&prefix)[16]) {
  return data.size() >= 16 && std::memcmp(data.data(), prefix, 16) == 0;
}

std::string Hex16(uint16_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s = "0x0000";
  for (int i = 0; i < 4; ++i) s[5 - i] = kDigits[(v >> (4 * i)) & 0xF];
  return s;
}

std::string PcrName(uint32_t pcr) {
  return pcr == kPcrNotExtended ? "0xffffffff" : std::to_string(pcr);
}

// What is known about the event being parsed, for error messages. Strings are
// only built when an error or warning is reported.
struct EventContext {
  size_t index = 0;
  bool has_header = false;
  uint32_t pcr = 0;
  uint32_t type = 0;

  std::string Describe() const {
    std::string s = "event " + std::to_string(index);
    if (has_header) s += " (PCR " + PcrName(pcr) + ", " + EventTypeName(type) + ")";
    return s;
  }
};

// The parser's position in the whole log, with unchecked little-endian reads.
// Parser precedes each read with one explicit bounds check that returns
// Truncated (naming the field); the hot path reads a few integers per event,
// and ByteReader's second check, out-of-line calls and Result wrapping cost
// more than the rest of the parse.
class Cursor {
 public:
  explicit Cursor(ByteView data) : data_(data) {}
  size_t offset() const { return pos_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }

  // Preconditions for all three: remaining() >= the size read.
  uint16_t U16LeUnchecked() {
    const uint8_t* p = data_.data() + pos_;
    pos_ += 2;
    return static_cast<uint16_t>(p[0] | (p[1] << 8));
  }
  uint32_t U32LeUnchecked() {
    const uint8_t* p = data_.data() + pos_;
    pos_ += 4;
    return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
  }
  ByteView TakeUnchecked(size_t n) {
    ByteView v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
  }

 private:
  ByteView data_;
  size_t pos_ = 0;
};

// Everything ParseEventLog produces, filled in by Parser and moved into the
// UnverifiedEventLog by ParseEventLog (the only friend of that class).
struct ParsedLog {
  LogFormat format = LogFormat::kSha1Legacy;
  std::optional<SpecId> spec_id;
  std::vector<HashAlg> banks;
  std::optional<uint8_t> startup_locality;
  size_t trailing_padding = 0;
  std::vector<std::string> warnings;
  std::vector<Event> events;
};

class Parser {
 public:
  Parser(ByteView data, const ParseOptions& options)
      : data_(data), options_(options), reader_(data) {}

  Result<ParsedLog> Parse() &&;

 private:
  struct DeclaredAlg {
    uint16_t id;
    uint16_t size;
    std::optional<HashAlg> alg;  // nullopt: unknown to Vouch, skipped
  };

  Status Error(size_t offset, const EventContext& ctx, const std::string& message) const {
    return InvalidArgumentError("at offset " + std::to_string(offset) + ": " + ctx.Describe() +
                                ": " + message);
  }
  Status Truncated(const EventContext& ctx, size_t need, std::string_view field) const {
    return Error(reader_.offset(), ctx,
                 "need " + std::to_string(need) + " bytes for " + std::string(field) + ", " +
                     std::to_string(reader_.remaining()) + " left");
  }

  bool WarningsFull() const { return log_.warnings.size() > kMaxWarnings; }
  void Warn(std::string message) {
    if (log_.warnings.size() < kMaxWarnings) {
      log_.warnings.push_back(std::move(message));
    } else if (log_.warnings.size() == kMaxWarnings) {
      log_.warnings.push_back("further warnings suppressed");
    }
  }

  // Position of the first byte at or after `from` that differs from `value`
  // (0x00 or 0xFF), or data_.size(). Cached so that repeated checks at
  // successive event boundaries stay linear in the input size overall.
  size_t FirstDifferent(uint8_t value, size_t from);
  // Whether the bytes from `pos` to the end are all 0x00 or all 0xFF.
  bool IsPaddingFrom(size_t pos);

  Status ParseHeaderAndCheckPcr(EventContext& ctx, Event& ev);
  Status ParseEventData(EventContext& ctx, Event& ev);
  Status ParseFirstEvent();
  Status ParseSpecId(ByteView data, size_t data_offset, const EventContext& ctx);
  Status ParseAgileEvent(Event& ev);
  Status ParseLegacyEvent(Event& ev);
  void NoteNoActionEvent(const Event& ev);

  ByteView data_;
  const ParseOptions& options_;
  Cursor reader_;
  ParsedLog log_;
  std::vector<DeclaredAlg> declared_;
  // FirstDifferent cache, index 0 for 0x00 and 1 for 0xFF; empty at first.
  std::array<size_t, 2> scan_from_ = {SIZE_MAX, SIZE_MAX};
  std::array<size_t, 2> scan_result_ = {0, 0};
};

size_t Parser::FirstDifferent(uint8_t value, size_t from) {
  const size_t slot = value == 0 ? 0 : 1;
  // Every byte from the cached scan start up to the cached result equals
  // `value`, so the result holds for any `from` in between.
  if (from >= scan_from_[slot] && from <= scan_result_[slot]) return scan_result_[slot];
  size_t pos = from;
  while (pos < data_.size() && data_[pos] == value) ++pos;
  scan_from_[slot] = from;
  scan_result_[slot] = pos;
  return pos;
}

bool Parser::IsPaddingFrom(size_t pos) {
  if (pos >= data_.size()) return false;
  const uint8_t first = data_[pos];
  if (first != 0x00 && first != 0xFF) return false;
  return FirstDifferent(first, pos) == data_.size();
}

Status Parser::ParseHeaderAndCheckPcr(EventContext& ctx, Event& ev) {
  ev.index = ctx.index;
  ev.offset = reader_.offset();
  if (reader_.remaining() < 4) return Truncated(ctx, 4, "PCR index");
  ev.pcr = reader_.U32LeUnchecked();
  if (reader_.remaining() < 4) return Truncated(ctx, 4, "event type");
  ev.type = reader_.U32LeUnchecked();
  ctx.has_header = true;
  ctx.pcr = ev.pcr;
  ctx.type = ev.type;
  // PCR indexes: 0-23 on a PC Client TPM. 0xFFFFFFFF marks Windows (WBCL)
  // events that are logged but never extended; EV_NO_ACTION events are never
  // extended either, so their index does not matter. Anything else cannot
  // be replayed and means the log is corrupt.
  if (ev.pcr >= tpm::kNumPcrs && ev.pcr != kPcrNotExtended && ev.type != kEvNoAction) {
    return Error(ev.offset, ctx,
                 "PCR index " + std::to_string(ev.pcr) +
                     " out of range (0-23, or 0xffffffff for events that are never extended)");
  }
  return Status::Ok();
}

Status Parser::ParseEventData(EventContext& ctx, Event& ev) {
  const size_t size_offset = reader_.offset();
  if (reader_.remaining() < 4) return Truncated(ctx, 4, "event data size");
  const uint32_t size = reader_.U32LeUnchecked();
  if (size > reader_.remaining()) {
    return Error(size_offset, ctx,
                 "event data size " + std::to_string(size) + " exceeds remaining " +
                     std::to_string(reader_.remaining()) + " bytes");
  }
  if (size > options_.max_event_data) {
    return Error(size_offset, ctx,
                 "event data size " + std::to_string(size) + " exceeds the limit of " +
                     std::to_string(options_.max_event_data) + " bytes");
  }
  ev.data = reader_.TakeUnchecked(size);  // size <= remaining, checked above
  return Status::Ok();
}

// The first event always has the TCG_PCR_EVENT layout (PFP 10.2.1). It is the
// Spec ID event of a crypto-agile log when it is an EV_NO_ACTION on PCR 0
// with an all-zero digest and data starting with "Spec ID Event03\0"
// (PFP 10.4.5.1); otherwise the log is a SHA-1 (TCG 1.2 layout) log.
Status Parser::ParseFirstEvent() {
  Event& ev = log_.events.emplace_back();
  EventContext ctx;
  VOUCH_RETURN_IF_ERROR(ParseHeaderAndCheckPcr(ctx, ev));
  if (reader_.remaining() < kSha1Size) return Truncated(ctx, kSha1Size, "sha1 digest");
  const ByteView digest = reader_.TakeUnchecked(kSha1Size);
  const size_t data_offset = reader_.offset() + 4;
  VOUCH_RETURN_IF_ERROR(ParseEventData(ctx, ev));
  ev.digests.push_back({HashAlg::kSha1, digest});

  const bool zero_digest =
      std::all_of(digest.begin(), digest.end(), [](uint8_t b) { return b == 0; });
  if (StartsWith(ev.data, kSpecIdSignature)) {
    if (ev.pcr == 0 && ev.type == kEvNoAction && zero_digest) {
      log_.format = LogFormat::kCryptoAgile;
      VOUCH_RETURN_IF_ERROR(ParseSpecId(ev.data, data_offset, ctx));
    } else {
      Warn(
          "event 0 carries the \"Spec ID Event03\" signature without the Spec ID event "
          "header (PCR 0, EV_NO_ACTION, zero digest): parsed as a SHA-1 log");
    }
  }
  if (log_.format == LogFormat::kSha1Legacy) {
    log_.banks = {HashAlg::kSha1};
    if (ev.type == kEvNoAction) NoteNoActionEvent(ev);
  }
  return Status::Ok();
}

// TCG_EfiSpecIDEvent, PFP 10.4.5.1.
Status Parser::ParseSpecId(ByteView data, size_t data_offset, const EventContext& ctx) {
  ByteReader r(data, data_offset);
  auto fail = [&](const std::string& message) {
    return Error(r.offset(), ctx, "Spec ID event: " + message);
  };
  auto need = [&](size_t n, std::string_view field) -> Status {
    if (r.remaining() >= n) return Status::Ok();
    return fail("need " + std::to_string(n) + " bytes for " + std::string(field) + ", " +
                std::to_string(r.remaining()) + " left");
  };
  SpecId spec;
  VOUCH_RETURN_IF_ERROR(need(16 + 4 + 4 + 4, "header"));
  VOUCH_ASSIGN_OR_RETURN(ByteView signature, r.Take(16, "signature"));
  spec.signature.assign(reinterpret_cast<const char*>(signature.data()), 15);
  VOUCH_ASSIGN_OR_RETURN(spec.platform_class, r.U32Le("platformClass"));
  VOUCH_ASSIGN_OR_RETURN(spec.spec_version_minor, r.U8("specVersionMinor"));
  VOUCH_ASSIGN_OR_RETURN(spec.spec_version_major, r.U8("specVersionMajor"));
  VOUCH_ASSIGN_OR_RETURN(spec.spec_errata, r.U8("specErrata"));
  VOUCH_ASSIGN_OR_RETURN(spec.uintn_size, r.U8("uintnSize"));
  const size_t count_offset = r.offset();
  VOUCH_ASSIGN_OR_RETURN(uint32_t count, r.U32Le("numberOfAlgorithms"));
  if (count == 0 || count > kMaxAlgorithms) {
    return Error(count_offset, ctx,
                 "Spec ID event: numberOfAlgorithms " + std::to_string(count) +
                     " out of range (1-" + std::to_string(kMaxAlgorithms) + ")");
  }
  VOUCH_RETURN_IF_ERROR(need(size_t{count} * 4, "digest sizes"));
  spec.algorithms.reserve(count);
  declared_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const size_t alg_offset = r.offset();
    VOUCH_ASSIGN_OR_RETURN(uint16_t id, r.U16Le("algorithmId"));
    VOUCH_ASSIGN_OR_RETURN(uint16_t size, r.U16Le("digestSize"));
    for (const DeclaredAlg& d : declared_) {
      if (d.id == id) {
        return Error(alg_offset, ctx, "Spec ID event: algorithm " + Hex16(id) + " listed twice");
      }
    }
    std::optional<HashAlg> alg = HashAlgFromTpmId(id);
    if (alg && size != DigestSize(*alg)) {
      return Error(alg_offset, ctx,
                   "Spec ID event: algorithm " + std::string(HashAlgName(*alg)) +
                       " declared with digest size " + std::to_string(size) + ", expected " +
                       std::to_string(DigestSize(*alg)));
    }
    if (alg) {
      log_.banks.push_back(*alg);
    } else {
      Warn("Spec ID event: unknown algorithm " + Hex16(id) + " (digest size " +
           std::to_string(size) + ") skipped in every event");
    }
    spec.algorithms.push_back({id, size});
    declared_.push_back({id, size, alg});
  }
  VOUCH_RETURN_IF_ERROR(need(1, "vendorInfoSize"));
  VOUCH_ASSIGN_OR_RETURN(uint8_t vendor_size, r.U8("vendorInfoSize"));
  VOUCH_RETURN_IF_ERROR(need(vendor_size, "vendorInfo"));
  VOUCH_ASSIGN_OR_RETURN(ByteView vendor, r.Take(vendor_size, "vendorInfo"));
  spec.vendor_info.assign(vendor.begin(), vendor.end());
  if (!r.empty()) {
    Warn("Spec ID event: " + std::to_string(r.remaining()) + " bytes after vendorInfo ignored");
  }
  log_.spec_id = std::move(spec);
  return Status::Ok();
}

// TCG_PCR_EVENT2, PFP 10.2.2. The Spec ID event's digest sizes are
// authoritative: they let us skip algorithms Vouch does not know.
Status Parser::ParseAgileEvent(Event& ev) {
  EventContext ctx;
  ctx.index = log_.events.size() - 1;
  VOUCH_RETURN_IF_ERROR(ParseHeaderAndCheckPcr(ctx, ev));
  const size_t count_offset = reader_.offset();
  if (reader_.remaining() < 4) return Truncated(ctx, 4, "digest count");
  const uint32_t count = reader_.U32LeUnchecked();
  if (count > kMaxAlgorithms) {
    return Error(
        count_offset, ctx,
        "digest count " + std::to_string(count) + " exceeds " + std::to_string(kMaxAlgorithms));
  }
  for (uint32_t i = 0; i < count; ++i) {
    const size_t alg_offset = reader_.offset();
    if (reader_.remaining() < 2) return Truncated(ctx, 2, "digest algorithm");
    const uint16_t id = reader_.U16LeUnchecked();
    const DeclaredAlg* declared = nullptr;
    for (const DeclaredAlg& d : declared_) {
      if (d.id == id) {
        declared = &d;
        break;
      }
    }
    std::optional<HashAlg> alg = declared ? declared->alg : HashAlgFromTpmId(id);
    if (!declared && !alg) {
      return Error(
          alg_offset, ctx,
          "digest algorithm " + Hex16(id) + " is neither known nor declared in the Spec ID event");
    }
    const size_t size = declared ? declared->size : DigestSize(*alg);
    if (reader_.remaining() < size) return Truncated(ctx, size, "digest");
    const ByteView digest = reader_.TakeUnchecked(size);
    if (!alg) continue;  // declared but unknown: warned about once, at the Spec ID event
    if (!declared) {
      if (!WarningsFull()) {
        Warn(ctx.Describe() + ": " + std::string(HashAlgName(*alg)) +
             " digest not declared in the Spec ID event skipped");
      }
      continue;
    }
    for (const EventDigest& d : ev.digests) {
      if (d.alg == *alg) {
        return Error(alg_offset, ctx,
                     "second " + std::string(HashAlgName(*alg)) + " digest in one event");
      }
    }
    // At most one digest per known algorithm: within EventDigests' capacity.
    ev.digests.push_back({*alg, digest});
  }
  // PFP 10.2.2: the count equals the Spec ID event's numberOfAlgorithms.
  // Windows logs break this for events logged after ExitBootServices (one
  // bank only); the TPM then extended only the listed banks, so replay simply
  // skips the missing ones.
  if (count != declared_.size() && !WarningsFull()) {
    Warn(ctx.Describe() + ": " + std::to_string(count) + " digests, Spec ID event declares " +
         std::to_string(declared_.size()));
  }
  return ParseEventData(ctx, ev);
}

Status Parser::ParseLegacyEvent(Event& ev) {
  EventContext ctx;
  ctx.index = log_.events.size() - 1;
  VOUCH_RETURN_IF_ERROR(ParseHeaderAndCheckPcr(ctx, ev));
  if (reader_.remaining() < kSha1Size) return Truncated(ctx, kSha1Size, "sha1 digest");
  const ByteView digest = reader_.TakeUnchecked(kSha1Size);
  ev.digests.push_back({HashAlg::kSha1, digest});
  return ParseEventData(ctx, ev);
}

// EV_NO_ACTION events are never extended; only the Startup Locality event
// (PFP 10.4.5.3) changes replay. SP800-155 and other EV_NO_ACTION events are
// kept as they are.
void Parser::NoteNoActionEvent(const Event& ev) {
  if (!StartsWith(ev.data, kStartupLocalitySignature)) return;
  if (ev.pcr != 0 || ev.data.size() != 17) {
    Warn("event " + std::to_string(ev.index) + ": malformed StartupLocality event (PCR " +
         PcrName(ev.pcr) + ", " + std::to_string(ev.data.size()) + " bytes) ignored");
    return;
  }
  const uint8_t locality = ev.data[16];
  if (log_.startup_locality) {
    Warn("event " + std::to_string(ev.index) + ": second StartupLocality event ignored");
    return;
  }
  // PTP: TPM2_Startup at locality 0 or 3, or 4 for an H-CRTM sequence.
  if (locality != 0 && locality != 3 && locality != 4) {
    Warn("event " + std::to_string(ev.index) + ": unusual startup locality " +
         std::to_string(locality));
  }
  log_.startup_locality = locality;
}

// Checks done before ParseEventLog(ByteView) copies the input.
Status CheckSize(ByteView data, const ParseOptions& options) {
  if (data.empty()) return InvalidArgumentError("event log is empty");
  if (data.size() > options.max_log_size) {
    return InvalidArgumentError("event log of " + std::to_string(data.size()) +
                                " bytes exceeds the limit of " +
                                std::to_string(options.max_log_size));
  }
  return Status::Ok();
}

Result<ParsedLog> Parser::Parse() && {
  VOUCH_RETURN_IF_ERROR(CheckSize(data_, options_));
  if (IsPaddingFrom(0)) {
    return InvalidArgumentError("event log holds only padding (" + std::to_string(data_.size()) +
                                " bytes of 0x" + (data_[0] == 0 ? "00" : "ff") + ")");
  }
  // Events in real logs average 100-2000 bytes; the vector grows if needed
  // (Event is trivially copyable, so growing is a memcpy).
  log_.events.reserve(std::min(options_.max_events, data_.size() / 256 + 8));
  VOUCH_RETURN_IF_ERROR(ParseFirstEvent());
  const bool agile = log_.format == LogFormat::kCryptoAgile;
  while (!reader_.empty()) {
    // A run of 0x00 or 0xFF up to the end where a header would start is the
    // unused rest of a fixed-size buffer (memory dumps, the TXT heap).
    if (IsPaddingFrom(reader_.position())) {
      log_.trailing_padding = reader_.remaining();
      break;
    }
    if (log_.events.size() >= options_.max_events) {
      return InvalidArgumentError("at offset " + std::to_string(reader_.offset()) + ": more than " +
                                  std::to_string(options_.max_events) + " events");
    }
    // Parsed in place; on error the whole result is discarded.
    Event& ev = log_.events.emplace_back();
    VOUCH_RETURN_IF_ERROR(agile ? ParseAgileEvent(ev) : ParseLegacyEvent(ev));
    if (ev.type == kEvNoAction) NoteNoActionEvent(ev);
  }
  return std::move(log_);
}

}  // namespace

const ByteView* Event::DigestFor(HashAlg alg) const {
  for (const EventDigest& d : digests) {
    if (d.alg == alg) return &d.digest;
  }
  return nullptr;
}

Result<UnverifiedEventLog> ParseEventLog(std::shared_ptr<const Bytes> data,
                                         const ParseOptions& options) {
  if (data == nullptr) return InvalidArgumentError("event log is empty");
  VOUCH_ASSIGN_OR_RETURN(ParsedLog parsed, Parser(*data, options).Parse());
  UnverifiedEventLog log;
  log.buffer_ = std::move(data);
  log.format_ = parsed.format;
  log.spec_id_ = std::move(parsed.spec_id);
  log.banks_ = std::move(parsed.banks);
  log.startup_locality_ = parsed.startup_locality;
  log.trailing_padding_ = parsed.trailing_padding;
  log.warnings_ = std::move(parsed.warnings);
  log.events_ = std::move(parsed.events);
  return log;
}

Result<UnverifiedEventLog> ParseEventLog(ByteView data, const ParseOptions& options) {
  VOUCH_RETURN_IF_ERROR(CheckSize(data, options));
  return ParseEventLog(std::make_shared<const Bytes>(data.begin(), data.end()), options);
}

}  // namespace vouch::eventlog
