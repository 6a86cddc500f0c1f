// LogBuilder: writes small TCG event logs byte by byte for parser and replay
// tests (PFP 10.2.1 TCG_PCR_EVENT, 10.2.2 TCG_PCR_EVENT2, 10.4.5.1 Spec ID
// event). Test-only; written independently of the parser so the two check
// each other.
#ifndef VOUCH_TESTS_UNIT_CORE_EVENTLOG_LOG_BUILDER_H_
#define VOUCH_TESTS_UNIT_CORE_EVENTLOG_LOG_BUILDER_H_

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/crypto/digest.h"

namespace vouch::eventlog::testing {

inline constexpr uint16_t kAlgSha1 = 0x0004;
inline constexpr uint16_t kAlgSha256 = 0x000B;
inline constexpr uint16_t kAlgSha384 = 0x000C;

struct AlgSize {
  uint16_t id;
  uint16_t size;
};

class LogBuilder {
 public:
  // A crypto-agile log whose Spec ID event declares `algs`.
  static LogBuilder Agile(std::vector<AlgSize> algs = {{kAlgSha1, 20}, {kAlgSha256, 32}},
                          Bytes vendor_info = {}) {
    LogBuilder b;
    b.agile_ = true;
    b.algs_ = algs;
    Bytes spec;
    Append(spec, AsBytes(std::string_view("Spec ID Event03\0", 16)));
    U32(spec, 0);       // platformClass
    spec.push_back(0);  // specVersionMinor
    spec.push_back(2);  // specVersionMajor
    spec.push_back(0);  // specErrata
    spec.push_back(2);  // uintnSize
    U32(spec, static_cast<uint32_t>(algs.size()));
    for (const AlgSize& a : algs) {
      U16(spec, a.id);
      U16(spec, a.size);
    }
    spec.push_back(static_cast<uint8_t>(vendor_info.size()));
    Append(spec, vendor_info);
    b.LegacyEvent(0, 0x3, Bytes(20, 0), spec);
    return b;
  }
  // A SHA-1 (TCG 1.2 layout) log; the first event is added by the caller.
  static LogBuilder Legacy() { return LogBuilder(); }

  // An event whose digest per declared algorithm is H(data) (for algorithms
  // crypto supports) or a fixed pattern (for unknown ones).
  LogBuilder& Event(uint32_t pcr, uint32_t type, ByteView data) {
    if (!agile_) return LegacyEvent(pcr, type, DigestOf(kAlgSha1, 20, data), data);
    std::vector<std::pair<uint16_t, Bytes>> digests;
    for (const AlgSize& a : algs_) digests.emplace_back(a.id, DigestOf(a.id, a.size, data));
    return AgileEvent(pcr, type, digests, data);
  }
  LogBuilder& Event(uint32_t pcr, uint32_t type, std::string_view data) {
    return Event(pcr, type, AsBytes(data));
  }

  // A TCG_PCR_EVENT2 with exactly these digests.
  LogBuilder& AgileEvent(uint32_t pcr, uint32_t type,
                         const std::vector<std::pair<uint16_t, Bytes>>& digests, ByteView data) {
    starts_.push_back(bytes_.size());
    U32(bytes_, pcr);
    U32(bytes_, type);
    U32(bytes_, static_cast<uint32_t>(digests.size()));
    for (const auto& [id, digest] : digests) {
      U16(bytes_, id);
      Append(bytes_, digest);
    }
    U32(bytes_, static_cast<uint32_t>(data.size()));
    Append(bytes_, data);
    return *this;
  }

  // A TCG_PCR_EVENT (SHA-1 layout).
  LogBuilder& LegacyEvent(uint32_t pcr, uint32_t type, ByteView sha1, ByteView data) {
    starts_.push_back(bytes_.size());
    U32(bytes_, pcr);
    U32(bytes_, type);
    Append(bytes_, sha1);
    U32(bytes_, static_cast<uint32_t>(data.size()));
    Append(bytes_, data);
    return *this;
  }

  // EV_NO_ACTION "StartupLocality\0" + locality on PCR 0 (PFP 10.4.5.3).
  LogBuilder& StartupLocality(uint8_t locality) {
    Bytes data = ToBytes(std::string_view("StartupLocality\0", 16));
    data.push_back(locality);
    return NoActionEvent(0, data);
  }
  // EV_NO_ACTION with zero digests in every declared bank.
  LogBuilder& NoActionEvent(uint32_t pcr, ByteView data) {
    if (!agile_) return LegacyEvent(pcr, 0x3, Bytes(20, 0), data);
    std::vector<std::pair<uint16_t, Bytes>> digests;
    for (const AlgSize& a : algs_) digests.emplace_back(a.id, Bytes(a.size, 0));
    return AgileEvent(pcr, 0x3, digests, data);
  }

  // Bytes appended as they are (padding, garbage); not an event start.
  LogBuilder& Raw(ByteView raw) {
    Append(bytes_, raw);
    return *this;
  }

  const Bytes& bytes() const { return bytes_; }
  // Byte offset at which each event starts.
  const std::vector<size_t>& starts() const { return starts_; }

  static Bytes DigestOf(uint16_t id, uint16_t size, ByteView data) {
    for (HashAlg alg : kAllHashAlgs) {
      if (static_cast<uint16_t>(alg) == id && crypto::IsDigestSupported(alg)) {
        auto d = crypto::Digest(alg, data);
        if (d.has_value() && d->size() == size) return *d;
      }
    }
    Bytes pattern(size);
    for (size_t i = 0; i < size; ++i) pattern[i] = static_cast<uint8_t>(0xA0 + i);
    return pattern;
  }

  static void U16(Bytes& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v));
    out.push_back(static_cast<uint8_t>(v >> 8));
  }
  static void U32(Bytes& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  static void Append(Bytes& out, ByteView v) { out.insert(out.end(), v.begin(), v.end()); }

 private:
  bool agile_ = false;
  std::vector<AlgSize> algs_;
  Bytes bytes_;
  std::vector<size_t> starts_;
};

}  // namespace vouch::eventlog::testing

#endif  // VOUCH_TESTS_UNIT_CORE_EVENTLOG_LOG_BUILDER_H_
