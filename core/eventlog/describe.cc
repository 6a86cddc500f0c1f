#include "core/eventlog/describe.h"

#include <array>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "core/base/byte_reader.h"
#include "core/base/hash_alg.h"

namespace vouch::eventlog {
namespace {

// Windows SIPA event type flags (Microsoft wbcl.h): aggregations contain a
// sequence of further SIPA events; bit 31 marks events that are not measured.
constexpr uint32_t kSipaAggregation = 0x40000000;
constexpr size_t kMaxSipaDepth = 8;
constexpr size_t kMaxDevicePathNodes = 64;
constexpr size_t kMaxDevicePathBytes = 1024;
constexpr size_t kGuidSize = 16;
// The hex shown in a summary line is shorter than the one in a field.
constexpr size_t kSummaryHexBytes = 32;

// ---------------------------------------------------------------------------
// Text helpers. Everything that comes from event data goes through
// BoundedText, which escapes control characters and limits the length.

std::string Fmt(const char* format, uint64_t v) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), format, v);
  return buf.data();
}
std::string HexNum(uint64_t v) { return Fmt("0x%" PRIx64, v); }
std::string Hex32(uint32_t v) { return Fmt("0x%08" PRIx64, v); }
std::string Dec(uint64_t v) { return std::to_string(v); }

// UTF-8 encoding of a code point (<= 0x10FFFF).
std::string Utf8(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

// Code points that must not reach a terminal or a log line as themselves:
// C0/C1 controls, DEL, and the bidirectional overrides/isolates that can make
// text display differently from what it is.
bool NeedsEscape(uint32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

class BoundedText {
 public:
  explicit BoundedText(size_t max_chars) : max_chars_(max_chars) {}

  void Add(uint32_t cp) {
    if (chars_ >= max_chars_) {
      truncated_ = true;
      return;
    }
    ++chars_;
    if (!NeedsEscape(cp)) {
      text_ += Utf8(cp);
    } else if (cp == '\n') {
      text_ += "\\n";
    } else if (cp == '\r') {
      text_ += "\\r";
    } else if (cp == '\t') {
      text_ += "\\t";
    } else if (cp < 0x100) {
      text_ += Fmt("\\x%02" PRIx64, cp);
    } else {
      text_ += Fmt("\\u{%" PRIx64 "}", cp);
    }
  }

  std::string Finish() && {
    if (truncated_) text_ += "…";
    return std::move(text_);
  }

 private:
  size_t max_chars_;
  size_t chars_ = 0;
  bool truncated_ = false;
  std::string text_;
};

ByteView TrimTrailingZeros(ByteView v, size_t unit) {
  while (v.size() >= unit) {
    bool zero = true;
    for (size_t i = v.size() - unit; i < v.size(); ++i) {
      zero = zero && v[i] == 0;
    }
    if (!zero) break;
    v = v.first(v.size() - unit);
  }
  return v;
}

// Decodes UTF-8; invalid or overlong sequences and surrogates become U+FFFD
// (one per bad byte). Returns the code points through `emit`.
template <typename Emit>
void DecodeUtf8(ByteView v, Emit emit) {
  size_t i = 0;
  while (i < v.size()) {
    uint8_t b = v[i];
    size_t len = b < 0x80           ? 1
                 : (b >> 5) == 0x6  ? 2
                 : (b >> 4) == 0xE  ? 3
                 : (b >> 3) == 0x1E ? 4
                                    : 0;
    uint32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    bool ok = len != 0 && i + len <= v.size();
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (v[i + k] & 0xC0) == 0x80;
      cp = (cp << 6) | (v[i + k] & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    ok = ok && cp >= kMin[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    if (!ok) {
      emit(0xFFFD, false);
      ++i;
      continue;
    }
    emit(cp, true);
    i += len;
  }
}

// Text of a byte string (UTF-8 or ASCII), trailing NULs removed, sanitized.
std::string Utf8Text(ByteView v, size_t max_chars = kMaxTextChars) {
  BoundedText t(max_chars);
  DecodeUtf8(TrimTrailingZeros(v, 1), [&](uint32_t cp, bool) { t.Add(cp); });
  return std::move(t).Finish();
}

// Text of UTF-16LE code units (UEFI CHAR16 strings); trailing NULs removed,
// unpaired surrogates become U+FFFD, an odd last byte is ignored.
std::string Utf16Text(ByteView v, size_t max_chars = kMaxTextChars) {
  v = TrimTrailingZeros(v.first(v.size() & ~size_t{1}), 2);
  BoundedText t(max_chars);
  for (size_t i = 0; i + 1 < v.size(); i += 2) {
    uint32_t u = v[i] | (v[i + 1] << 8);
    if (u >= 0xD800 && u <= 0xDBFF && i + 3 < v.size()) {
      uint32_t low = v[i + 2] | (v[i + 3] << 8);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        t.Add(0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00));
        i += 2;
        continue;
      }
    }
    t.Add(u >= 0xD800 && u <= 0xDFFF ? 0xFFFD : u);
  }
  return std::move(t).Finish();
}

bool IsPlainChar(uint32_t cp) { return !NeedsEscape(cp) || cp == '\n' || cp == '\r' || cp == '\t'; }

// Whether `v` reads as a string: valid UTF-8 of printable characters (tab
// and newlines allowed), optionally followed by NULs, and not empty.
bool LooksLikeText(ByteView v) {
  v = TrimTrailingZeros(v, 1);
  if (v.empty()) return false;
  bool text = true;
  DecodeUtf8(v, [&](uint32_t cp, bool valid) { text = text && valid && IsPlainChar(cp); });
  return text;
}

// Whether `v` reads as UTF-16LE text of printable ASCII (the usual content of
// CHAR16 strings in event data), optionally NUL-terminated, and not empty.
bool LooksLikeUtf16Text(ByteView v) {
  if (v.size() % 2 != 0) {
    // systemd-boot's EV_IPL strings end in one extra NUL byte.
    if (v.back() != 0) return false;
    v = v.first(v.size() - 1);
  }
  v = TrimTrailingZeros(v, 2);
  if (v.empty()) return false;
  for (size_t i = 0; i < v.size(); i += 2) {
    if (v[i + 1] != 0 || !IsPlainChar(v[i]) || v[i] >= 0x7F) return false;
  }
  return true;
}

// Hex of at most `max` bytes, "… (N bytes)" appended when cut.
std::string HexBounded(ByteView v, size_t max = kMaxHexBytes) {
  if (v.size() <= max) return HexEncode(v);
  return HexEncode(v.first(max)) + "… (" + Dec(v.size()) + " bytes)";
}

// Cuts `s` (valid UTF-8) to at most `max` bytes on a character boundary.
std::string ClampUtf8(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max;
  while (cut > 0 && (static_cast<uint8_t>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s + "…";
}

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

uint64_t LeValue(ByteView v) {
  uint64_t x = 0;
  for (size_t i = v.size(); i > 0; --i) x = (x << 8) | v[i - 1];
  return x;
}

// ---------------------------------------------------------------------------
// GUIDs (UEFI 2.10, appendix A: EFI_GUID is {UINT32, UINT16, UINT16, UINT8[8]}
// stored little-endian).

struct KnownGuid {
  std::string_view guid;
  std::string_view name;
  std::string_view short_name;  // for signature types; empty otherwise
};

// Facts from the UEFI specification (variables, signature types, config
// tables), shim, and the GPT partition type registry (UEFI 2.10 section 5.3.3
// plus the Discoverable Partitions Specification for Linux types).
constexpr KnownGuid kKnownGuids[] = {
    {"8be4df61-93ca-11d2-aa0d-00e098032b8c", "EFI_GLOBAL_VARIABLE", ""},
    {"d719b2cb-3d3a-4596-a3bc-dad00e67656f", "EFI_IMAGE_SECURITY_DATABASE", ""},
    {"605dab50-e046-4300-abb6-3dd810dd8b23", "SHIM_LOCK", ""},
    {"77fa9abd-0359-4d32-bd60-28f4e78f784b", "MICROSOFT", ""},
    // EFI_SIGNATURE_LIST types (UEFI 2.10 section 32.4.1).
    {"c1c41626-504c-4092-aca9-41f936934328", "EFI_CERT_SHA256", "SHA-256"},
    {"a5c059a1-94e4-4aa7-87b5-ab155c2bf072", "EFI_CERT_X509", "X.509"},
    {"3c5766e8-269c-4e34-aa14-ed776e85b3b6", "EFI_CERT_RSA2048", "RSA-2048"},
    {"e2b36190-879b-4a3d-ad8d-f2e7bba32784", "EFI_CERT_RSA2048_SHA256", "RSA-2048/SHA-256"},
    {"826ca512-cf10-4ac9-b187-be01496631bd", "EFI_CERT_SHA1", "SHA-1"},
    {"67f8444f-8743-48f1-a328-1eaab8736080", "EFI_CERT_RSA2048_SHA1", "RSA-2048/SHA-1"},
    {"0b6e5233-a65c-44c9-9407-d9ab83bfc8bd", "EFI_CERT_SHA224", "SHA-224"},
    {"ff3e5307-9fd0-48c9-85f1-8ad56c701e01", "EFI_CERT_SHA384", "SHA-384"},
    {"093e0fae-a6c4-4f50-9f1b-d41e2b89c19a", "EFI_CERT_SHA512", "SHA-512"},
    {"3bd2a492-96c0-4079-b420-fcf98ef103ed", "EFI_CERT_X509_SHA256", "X.509-SHA-256"},
    {"7076876e-80c2-4ee6-aad2-28b349a6865b", "EFI_CERT_X509_SHA384", "X.509-SHA-384"},
    {"446dbf63-2502-4cda-bcfa-2465d2b0fe9d", "EFI_CERT_X509_SHA512", "X.509-SHA-512"},
    {"4aafd29d-68df-49ee-8aa9-347d375665a7", "EFI_CERT_TYPE_PKCS7", "PKCS#7"},
    // Configuration tables (UEFI 2.10 section 4.6).
    {"eb9d2d30-2d88-11d3-9a16-0090273fc14d", "ACPI_TABLE", ""},
    {"8868e871-e4f1-11d3-bc22-0080c73c8881", "EFI_ACPI_20_TABLE", ""},
    {"eb9d2d31-2d88-11d3-9a16-0090273fc14d", "SMBIOS_TABLE", ""},
    {"f2fd1544-9794-4a2c-992e-e5bbcf20e394", "SMBIOS3_TABLE", ""},
    // GPT partition types.
    {"c12a7328-f81f-11d2-ba4b-00a0c93ec93b", "EFI System Partition", ""},
    {"21686148-6449-6e6f-744e-656564454649", "BIOS boot", ""},
    {"ebd0a0a2-b9e5-4433-87c0-68b6b72699c7", "Microsoft basic data", ""},
    {"e3c9e316-0b5c-4db8-817d-f92df00215ae", "Microsoft reserved", ""},
    {"de94bba4-06d1-4d40-a16a-bfd50179d6ac", "Windows recovery", ""},
    {"0fc63daf-8483-4772-8e79-3d69d8477de4", "Linux filesystem", ""},
    {"4f68bce3-e8cd-4db1-96e7-fbcaf984b709", "Linux root (x86-64)", ""},
    {"0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", "Linux swap", ""},
    {"e6d6d379-f507-44c2-a23c-238f2a3df928", "Linux LVM", ""},
    {"a19d880f-05fc-4d3b-a006-743f0f84911e", "Linux RAID", ""},
    {"933ac7e1-2eb4-4f13-b844-0e14e2aef915", "Linux home", ""},
    {"bc13c2ff-59e6-4262-a352-b275fd6f7172", "Linux extended boot", ""},
};

const KnownGuid* FindGuid(std::string_view guid) {
  for (const KnownGuid& k : kKnownGuids) {
    if (k.guid == guid) return &k;
  }
  return nullptr;
}

// "<guid> (NAME)" or "<guid>".
std::string GuidWithName(ByteView guid) {
  std::string text = EfiGuidToString(guid);
  std::string_view name = WellKnownGuidName(text);
  return name.empty() ? text : text + " (" + std::string(name) + ")";
}

// ---------------------------------------------------------------------------
// Device paths (UEFI 2.10 section 10.3 "Device Path Nodes", text forms from
// section 10.6.1). Each node: Type u8, SubType u8, Length u16 (including the
// 4-byte header), then node-specific data.

std::string GenericNode(uint8_t type, uint8_t subtype, ByteView body) {
  std::string s = "Path(" + Dec(type) + "," + Dec(subtype);
  if (!body.empty()) s += "," + HexBounded(body, 32);
  return s + ")";
}

std::string VendorNode(std::string_view prefix, ByteView body) {
  if (body.size() < kGuidSize) return {};
  std::string s = std::string(prefix) + "(" + EfiGuidToString(body.first(kGuidSize));
  if (body.size() > kGuidSize) s += "," + HexBounded(body.subspan(kGuidSize), 32);
  return s + ")";
}

// EISA PNP id of an ACPI _HID (three 5-bit letters in the low 16 bits,
// product number in the high 16 bits; EISA_PNP_ID(0x0A03) = 0x0A0341D0):
// "PNP0A03".
std::string EisaId(uint32_t hid) {
  uint32_t v = hid & 0xFFFF;
  std::string s;
  for (int shift : {10, 5, 0}) {
    uint32_t c = ((v >> shift) & 0x1F) + 0x40;
    s += (c >= 'A' && c <= 'Z') ? static_cast<char>(c) : '?';
  }
  return s + Fmt("%04" PRIX64, hid >> 16);
}

std::string Ipv4(ByteView a) {
  return Dec(a[0]) + "." + Dec(a[1]) + "." + Dec(a[2]) + "." + Dec(a[3]);
}

std::string Ipv6(ByteView a) {
  std::string s;
  for (size_t i = 0; i < 16; i += 2) {
    if (i != 0) s += ":";
    s += Fmt("%" PRIx64, (static_cast<uint64_t>(a[i]) << 8) | a[i + 1]);
  }
  return s;
}

std::string ProtocolName(uint16_t p) { return p == 6 ? "TCP" : p == 17 ? "UDP" : HexNum(p); }

// Decodes one node's body; nullopt when the body is shorter than the node
// type requires (the caller then prints it generically).
Result<std::string> NodeText(uint8_t type, uint8_t sub, ByteView body) {
  ByteReader r(body);
  auto g = [&](std::string_view what) -> Result<std::string> {
    VOUCH_ASSIGN_OR_RETURN(ByteView b, r.Take(kGuidSize, what));
    return EfiGuidToString(b);
  };
  switch (type) {
    case 0x01:  // Hardware
      switch (sub) {
        case 0x01: {  // PCI: Function, Device
          VOUCH_ASSIGN_OR_RETURN(uint8_t fn, r.U8("function"));
          VOUCH_ASSIGN_OR_RETURN(uint8_t dev, r.U8("device"));
          return "Pci(" + HexNum(dev) + "," + HexNum(fn) + ")";
        }
        case 0x02: {
          VOUCH_ASSIGN_OR_RETURN(uint8_t fn, r.U8("function"));
          return "PcCard(" + HexNum(fn) + ")";
        }
        case 0x03: {
          VOUCH_ASSIGN_OR_RETURN(uint32_t mem, r.U32Le("memory type"));
          VOUCH_ASSIGN_OR_RETURN(uint64_t start, r.U64Le("start"));
          VOUCH_ASSIGN_OR_RETURN(uint64_t end, r.U64Le("end"));
          return "MemoryMapped(" + HexNum(mem) + "," + HexNum(start) + "," + HexNum(end) + ")";
        }
        case 0x04: {
          std::string s = VendorNode("VenHw", body);
          if (s.empty()) break;
          return s;
        }
        case 0x05: {
          VOUCH_ASSIGN_OR_RETURN(uint32_t c, r.U32Le("controller"));
          return "Ctrl(" + HexNum(c) + ")";
        }
        case 0x06: {
          VOUCH_ASSIGN_OR_RETURN(uint8_t itype, r.U8("interface type"));
          VOUCH_ASSIGN_OR_RETURN(uint64_t base, r.U64Le("base address"));
          return "BMC(" + HexNum(itype) + "," + HexNum(base) + ")";
        }
        default: break;
      }
      break;
    case 0x02:  // ACPI
      if (sub == 0x01) {
        VOUCH_ASSIGN_OR_RETURN(uint32_t hid, r.U32Le("_HID"));
        VOUCH_ASSIGN_OR_RETURN(uint32_t uid, r.U32Le("_UID"));
        if ((hid & 0xFFFF) == 0x41D0) {
          switch (hid >> 16) {
            case 0x0A03: return "PciRoot(" + HexNum(uid) + ")";
            case 0x0A08: return "PcieRoot(" + HexNum(uid) + ")";
            case 0x0604: return "Floppy(" + HexNum(uid) + ")";
            case 0x0301: return "Keyboard(" + HexNum(uid) + ")";
            case 0x0501: return "Serial(" + HexNum(uid) + ")";
            case 0x0401: return "ParallelPort(" + HexNum(uid) + ")";
            default: break;
          }
        }
        return "Acpi(" + EisaId(hid) + "," + HexNum(uid) + ")";
      }
      if (sub == 0x03) {
        VOUCH_ASSIGN_OR_RETURN(uint32_t adr, r.U32Le("_ADR"));
        return "AcpiAdr(" + HexNum(adr) + ")";
      }
      break;
    case 0x03:  // Messaging
      switch (sub) {
        case 0x01: {
          VOUCH_ASSIGN_OR_RETURN(uint8_t ps, r.U8("primary/secondary"));
          VOUCH_ASSIGN_OR_RETURN(uint8_t ms, r.U8("master/slave"));
          VOUCH_ASSIGN_OR_RETURN(uint16_t lun, r.U16Le("LUN"));
          return std::string("Ata(") + (ps ? "Secondary" : "Primary") + "," +
                 (ms ? "Slave" : "Master") + "," + HexNum(lun) + ")";
        }
        case 0x02: {
          VOUCH_ASSIGN_OR_RETURN(uint16_t pun, r.U16Le("target"));
          VOUCH_ASSIGN_OR_RETURN(uint16_t lun, r.U16Le("LUN"));
          return "Scsi(" + HexNum(pun) + "," + HexNum(lun) + ")";
        }
        case 0x03: {
          VOUCH_RETURN_IF_ERROR(r.Skip(4, "reserved"));
          VOUCH_ASSIGN_OR_RETURN(uint64_t wwn, r.U64Be("WWN"));
          VOUCH_ASSIGN_OR_RETURN(uint64_t lun, r.U64Be("LUN"));
          return "Fibre(" + HexNum(wwn) + "," + HexNum(lun) + ")";
        }
        case 0x05: {
          VOUCH_ASSIGN_OR_RETURN(uint8_t port, r.U8("parent port"));
          VOUCH_ASSIGN_OR_RETURN(uint8_t iface, r.U8("interface"));
          return "USB(" + HexNum(port) + "," + HexNum(iface) + ")";
        }
        case 0x0A: {
          std::string s = VendorNode("VenMsg", body);
          if (s.empty()) break;
          return s;
        }
        case 0x0B: {
          VOUCH_ASSIGN_OR_RETURN(ByteView mac, r.Take(32, "MAC address"));
          VOUCH_ASSIGN_OR_RETURN(uint8_t iftype, r.U8("interface type"));
          size_t n = iftype <= 1 ? 6 : 32;
          return "MAC(" + HexEncode(mac.first(n)) + "," + HexNum(iftype) + ")";
        }
        case 0x0C: {
          VOUCH_ASSIGN_OR_RETURN(ByteView local, r.Take(4, "local address"));
          VOUCH_ASSIGN_OR_RETURN(ByteView remote, r.Take(4, "remote address"));
          VOUCH_RETURN_IF_ERROR(r.Skip(4, "ports"));
          VOUCH_ASSIGN_OR_RETURN(uint16_t proto, r.U16Le("protocol"));
          VOUCH_ASSIGN_OR_RETURN(uint8_t is_static, r.U8("static"));
          std::string s = "IPv4(" + Ipv4(remote) + "," + ProtocolName(proto) + "," +
                          (is_static ? "Static" : "DHCP") + "," + Ipv4(local);
          if (r.remaining() >= 8) {
            VOUCH_ASSIGN_OR_RETURN(ByteView gw, r.Take(4, "gateway"));
            VOUCH_ASSIGN_OR_RETURN(ByteView mask, r.Take(4, "subnet mask"));
            s += "," + Ipv4(gw) + "," + Ipv4(mask);
          }
          return s + ")";
        }
        case 0x0D: {
          VOUCH_ASSIGN_OR_RETURN(ByteView local, r.Take(16, "local address"));
          VOUCH_ASSIGN_OR_RETURN(ByteView remote, r.Take(16, "remote address"));
          VOUCH_RETURN_IF_ERROR(r.Skip(4, "ports"));
          VOUCH_ASSIGN_OR_RETURN(uint16_t proto, r.U16Le("protocol"));
          VOUCH_ASSIGN_OR_RETURN(uint8_t origin, r.U8("origin"));
          std::string o = origin == 0   ? "Static"
                          : origin == 1 ? "StatelessAutoConfigure"
                                        : "StatefulAutoConfigure";
          return "IPv6(" + Ipv6(remote) + "," + ProtocolName(proto) + "," + o + "," + Ipv6(local) +
                 ")";
        }
        case 0x0F: {
          VOUCH_ASSIGN_OR_RETURN(uint16_t vid, r.U16Le("vendor"));
          VOUCH_ASSIGN_OR_RETURN(uint16_t pid, r.U16Le("product"));
          VOUCH_ASSIGN_OR_RETURN(uint8_t cls, r.U8("class"));
          VOUCH_ASSIGN_OR_RETURN(uint8_t subcls, r.U8("subclass"));
          VOUCH_ASSIGN_OR_RETURN(uint8_t proto, r.U8("protocol"));
          return "UsbClass(" + HexNum(vid) + "," + HexNum(pid) + "," + HexNum(cls) + "," +
                 HexNum(subcls) + "," + HexNum(proto) + ")";
        }
        case 0x11: {
          VOUCH_ASSIGN_OR_RETURN(uint8_t lun, r.U8("LUN"));
          return "Unit(" + HexNum(lun) + ")";
        }
        case 0x12: {
          VOUCH_ASSIGN_OR_RETURN(uint16_t hba, r.U16Le("HBA port"));
          VOUCH_ASSIGN_OR_RETURN(uint16_t pm, r.U16Le("port multiplier port"));
          VOUCH_ASSIGN_OR_RETURN(uint16_t lun, r.U16Le("LUN"));
          return "Sata(" + HexNum(hba) + "," + HexNum(pm) + "," + HexNum(lun) + ")";
        }
        case 0x14: {
          VOUCH_ASSIGN_OR_RETURN(uint16_t vlan, r.U16Le("VLAN id"));
          return "Vlan(" + Dec(vlan) + ")";
        }
        case 0x17: {
          VOUCH_ASSIGN_OR_RETURN(uint32_t nsid, r.U32Le("namespace id"));
          VOUCH_ASSIGN_OR_RETURN(ByteView eui, r.Take(8, "EUI-64"));
          std::string s = "NVMe(" + HexNum(nsid) + ",";
          for (size_t i = 8; i > 0; --i) {
            s += Fmt("%02" PRIX64, eui[i - 1]);
            if (i > 1) s += "-";
          }
          return s + ")";
        }
        case 0x18: return "Uri(" + Utf8Text(body) + ")";
        case 0x19: {
          VOUCH_ASSIGN_OR_RETURN(uint8_t pun, r.U8("target"));
          VOUCH_ASSIGN_OR_RETURN(uint8_t lun, r.U8("LUN"));
          return "UFS(" + HexNum(pun) + "," + HexNum(lun) + ")";
        }
        case 0x1A: {
          VOUCH_ASSIGN_OR_RETURN(uint8_t slot, r.U8("slot"));
          return "SD(" + HexNum(slot) + ")";
        }
        case 0x1C: {
          VOUCH_ASSIGN_OR_RETURN(ByteView ssid, r.Take(32, "SSID"));
          return "Wi-Fi(" + Utf8Text(ssid, 32) + ")";
        }
        case 0x1D: {
          VOUCH_ASSIGN_OR_RETURN(uint8_t slot, r.U8("slot"));
          return "eMMC(" + HexNum(slot) + ")";
        }
        default: break;
      }
      break;
    case 0x04:  // Media
      switch (sub) {
        case 0x01: {  // Hard drive
          VOUCH_ASSIGN_OR_RETURN(uint32_t part, r.U32Le("partition number"));
          VOUCH_ASSIGN_OR_RETURN(uint64_t start, r.U64Le("partition start"));
          VOUCH_ASSIGN_OR_RETURN(uint64_t size, r.U64Le("partition size"));
          VOUCH_ASSIGN_OR_RETURN(ByteView sig, r.Take(16, "partition signature"));
          VOUCH_ASSIGN_OR_RETURN(uint8_t format, r.U8("partition format"));
          VOUCH_ASSIGN_OR_RETURN(uint8_t sig_type, r.U8("signature type"));
          std::string s = "HD(" + Dec(part) + ",";
          if (format == 0x02 && sig_type == 0x02) {
            s += "GPT," + EfiGuidToString(sig);
          } else if (format == 0x01 && sig_type == 0x01) {
            s += "MBR," + Hex32(static_cast<uint32_t>(LeValue(sig.first(4))));
          } else {
            s += HexNum(format) + "," + HexNum(sig_type) + "," + HexEncode(sig);
          }
          return s + "," + HexNum(start) + "," + HexNum(size) + ")";
        }
        case 0x02: {
          VOUCH_ASSIGN_OR_RETURN(uint32_t entry, r.U32Le("boot entry"));
          VOUCH_ASSIGN_OR_RETURN(uint64_t start, r.U64Le("partition start"));
          VOUCH_ASSIGN_OR_RETURN(uint64_t size, r.U64Le("partition size"));
          return "CDROM(" + HexNum(entry) + "," + HexNum(start) + "," + HexNum(size) + ")";
        }
        case 0x03: {
          std::string s = VendorNode("VenMedia", body);
          if (s.empty()) break;
          return s;
        }
        case 0x04:  // File path: a CHAR16 string, printed as itself
          return Utf16Text(body);
        case 0x05: {
          VOUCH_ASSIGN_OR_RETURN(std::string guid, g("protocol GUID"));
          return "Media(" + guid + ")";
        }
        case 0x06: {
          VOUCH_ASSIGN_OR_RETURN(std::string guid, g("firmware file GUID"));
          return "FvFile(" + guid + ")";
        }
        case 0x07: {
          VOUCH_ASSIGN_OR_RETURN(std::string guid, g("firmware volume GUID"));
          return "Fv(" + guid + ")";
        }
        case 0x08: {
          VOUCH_RETURN_IF_ERROR(r.Skip(4, "reserved"));
          VOUCH_ASSIGN_OR_RETURN(uint64_t start, r.U64Le("start offset"));
          VOUCH_ASSIGN_OR_RETURN(uint64_t end, r.U64Le("end offset"));
          return "Offset(" + HexNum(start) + "," + HexNum(end) + ")";
        }
        default: break;
      }
      break;
    case 0x05:  // BIOS Boot Specification
      if (sub == 0x01) {
        VOUCH_ASSIGN_OR_RETURN(uint16_t dev, r.U16Le("device type"));
        VOUCH_ASSIGN_OR_RETURN(uint16_t status, r.U16Le("status flags"));
        static constexpr std::string_view kBbsTypes[] = {"",       "Floppy", "HD",     "CDROM",
                                                         "PCMCIA", "USB",    "Network"};
        std::string t = dev >= 1 && dev <= 6 ? std::string(kBbsTypes[dev]) : HexNum(dev);
        return "BBS(" + t + "," + Utf8Text(r.Rest(), 64) + "," + HexNum(status) + ")";
      }
      break;
    default: break;
  }
  return GenericNode(type, sub, body);
}

// Walks the nodes of a device path, appending each node's text.
class DevicePathPrinter {
 public:
  std::string Print(ByteView path) && {
    Status s = Walk(path);
    if (!s.ok()) {
      Separate();
      text_ += "<malformed: " + s.message() + ">";
    }
    return ClampUtf8(std::move(text_), kMaxDevicePathBytes + 64);
  }

 private:
  void Separate() {
    if (!text_.empty() && text_.back() != ',') text_ += '/';
  }

  Status Walk(ByteView path) {
    ByteReader r(path);
    size_t nodes = 0;
    while (!r.empty()) {
      if (nodes == kMaxDevicePathNodes || text_.size() > kMaxDevicePathBytes) {
        Separate();
        text_ += "…";
        return Status();
      }
      size_t node_offset = r.offset();
      VOUCH_ASSIGN_OR_RETURN(uint8_t type, r.U8("node type"));
      VOUCH_ASSIGN_OR_RETURN(uint8_t sub, r.U8("node subtype"));
      VOUCH_ASSIGN_OR_RETURN(uint16_t len, r.U16Le("node length"));
      if (len < 4 || len - 4u > r.remaining()) {
        return InvalidArgumentError("node at offset " + Dec(node_offset) + " has length " +
                                    Dec(len) + " (" + Dec(r.remaining() + 4) + " bytes left)");
      }
      VOUCH_ASSIGN_OR_RETURN(ByteView body, r.Take(len - 4u, "node data"));
      ++nodes;
      if (type == 0x7F) {
        if (sub == 0x01) {  // end of this instance; another follows
          text_ += ",";
          continue;
        }
        return Status();  // end of the entire path (0xFF) or an unknown end type
      }
      Result<std::string> node = NodeText(type, sub, body);
      Separate();
      text_ += node ? *node : GenericNode(type, sub, body);
    }
    return Status();
  }

  std::string text_;
};

// ---------------------------------------------------------------------------
// Windows SIPA event names (Microsoft wbcl.h, SIPAEVENT_*).

struct SipaName {
  uint32_t id;
  std::string_view name;
};

constexpr SipaName kSipaNames[] = {
    {0x40010001, "TRUSTBOUNDARY"},
    {0x40010002, "ELAM_AGGREGATION"},
    {0x40010003, "LOADEDMODULE_AGGREGATION"},
    {0xC0010004, "TRUSTPOINT_AGGREGATION"},
    {0x40010005, "KSR_AGGREGATION"},
    {0x40010006, "KSR_SIGNED_MEASUREMENT_AGGREGATION"},
    {0x00020001, "INFORMATION"},
    {0x00020002, "BOOTCOUNTER"},
    {0x00020003, "TRANSFER_CONTROL"},
    {0x00020004, "APPLICATION_RETURN"},
    {0x00020005, "BITLOCKER_UNLOCK"},
    {0x00020006, "EVENTCOUNTER"},
    {0x00020007, "COUNTERID"},
    {0x00020008, "MORBIT_NOT_CANCELABLE"},
    {0x00020009, "APPLICATION_SVN"},
    {0x0002000A, "SVN_CHAIN_STATUS"},
    {0x0002000B, "MORBIT_API_STATUS"},
    {0x00040001, "BOOTDEBUGGING"},
    {0x00040002, "BOOT_REVOCATION_LIST"},
    {0x00050001, "OSKERNELDEBUG"},
    {0x00050002, "CODEINTEGRITY"},
    {0x00050003, "TESTSIGNING"},
    {0x00050004, "DATAEXECUTIONPREVENTION"},
    {0x00050005, "SAFEMODE"},
    {0x00050006, "WINPE"},
    {0x00050007, "PHYSICALADDRESSEXTENSION"},
    {0x00050008, "OSDEVICE"},
    {0x00050009, "SYSTEMROOT"},
    {0x0005000A, "HYPERVISOR_LAUNCH_TYPE"},
    {0x0005000B, "HYPERVISOR_PATH"},
    {0x0005000C, "HYPERVISOR_IOMMU_POLICY"},
    {0x0005000D, "HYPERVISOR_DEBUG"},
    {0x0005000E, "DRIVER_LOAD_POLICY"},
    {0x0005000F, "SI_POLICY"},
    {0x00050010, "HYPERVISOR_MMIO_NX_POLICY"},
    {0x00050011, "HYPERVISOR_MSR_FILTER_POLICY"},
    {0x00050012, "VSM_LAUNCH_TYPE"},
    {0x00050013, "OS_REVOCATION_LIST"},
    {0x00050014, "SMT_STATUS"},
    {0x00050020, "VSM_IDK_INFO"},
    {0x00050021, "FLIGHTSIGNING"},
    {0x00050022, "PAGEFILE_ENCRYPTION_ENABLED"},
    {0x00050023, "VSM_IDKS_INFO"},
    {0x00050024, "HIBERNATION_DISABLED"},
    {0x00050025, "DUMPS_DISABLED"},
    {0x00050026, "DUMP_ENCRYPTION_ENABLED"},
    {0x00050027, "DUMP_ENCRYPTION_KEY_DIGEST"},
    {0x00050028, "LSAISO_CONFIG"},
    {0x00050029, "SBCP_INFO"},
    {0x00050030, "HYPERVISOR_BOOT_DMA_PROTECTION"},
    {0x00060001, "NOAUTHORITY"},
    {0x00060002, "AUTHORITYPUBKEY"},
    {0x00070001, "FILEPATH"},
    {0x00070002, "IMAGESIZE"},
    {0x00070003, "HASHALGORITHMID"},
    {0x00070004, "AUTHENTICODEHASH"},
    {0x00070005, "AUTHORITYISSUER"},
    {0x00070006, "AUTHORITYSERIAL"},
    {0x00070007, "IMAGEBASE"},
    {0x00070008, "AUTHORITYPUBLISHER"},
    {0x00070009, "AUTHORITYSHA1THUMBPRINT"},
    {0x0007000A, "IMAGEVALIDATED"},
    {0x0007000B, "MODULE_SVN"},
    {0x80080001, "QUOTE"},
    {0x80080002, "QUOTESIGNATURE"},
    {0x80080003, "AIKID"},
    {0x80080004, "AIKPUBDIGEST"},
    {0x00090001, "ELAM_KEYNAME"},
    {0x00090002, "ELAM_CONFIGURATION"},
    {0x00090003, "ELAM_POLICY"},
    {0x00090004, "ELAM_MEASURED"},
    {0x000A0001, "VBS_VSM_REQUIRED"},
    {0x000A0002, "VBS_SECUREBOOT_REQUIRED"},
    {0x000A0003, "VBS_IOMMU_REQUIRED"},
    {0x000A0004, "VBS_MMIO_NX_REQUIRED"},
    {0x000A0005, "VBS_MSR_FILTERING_REQUIRED"},
    {0x000A0006, "VBS_MANDATORY_ENFORCEMENT"},
    {0x000A0007, "VBS_HVCI_POLICY"},
    {0x000A0008, "VBS_MICROSOFT_BOOT_CHAIN_REQUIRED"},
    {0x000B0001, "KSR_SIGNATURE"},
    {0x000C0001, "DRTM_STATE_AUTH"},
    {0x000C0002, "DRTM_SMM_LEVEL"},
    {0x000C0003, "DRTM_AMD_SMM_HASH"},
    {0x000C0004, "DRTM_AMD_SMM_SIGNER_KEY"},
};

std::string SipaIdName(uint32_t id) {
  for (const SipaName& s : kSipaNames) {
    if (s.id == id) return std::string(s.name);
  }
  return Hex32(id);
}

// ---------------------------------------------------------------------------
// Variable names with a known value layout.

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

// Boot####, Driver####, SysPrep####, PlatformRecovery#### (UEFI 2.10 section
// 3.1.3): EFI_LOAD_OPTION values.
bool IsLoadOptionName(std::string_view name) {
  for (std::string_view prefix : {"Boot", "Driver", "SysPrep", "PlatformRecovery"}) {
    if (name.size() == prefix.size() + 4 && name.substr(0, prefix.size()) == prefix) {
      std::string_view digits = name.substr(prefix.size());
      bool hex = true;
      for (char c : digits) hex = hex && IsHexDigit(c);
      if (hex) return true;
    }
  }
  return false;
}

// Variables holding EFI_SIGNATURE_LIST sequences (UEFI 2.10 sections 3.3 and
// 32.4.1; shim's MokList/MokListX use the same layout).
bool IsSignatureDbName(std::string_view name) {
  for (std::string_view n :
       {"PK", "KEK", "db", "dbx", "dbt", "dbr", "PKDefault", "KEKDefault", "dbDefault",
        "dbxDefault", "dbtDefault", "dbrDefault", "MokList", "MokListX"}) {
    if (name == n) return true;
  }
  return false;
}

// One-byte flags whose value reads as enabled (1) or disabled (0).
bool IsFlagName(std::string_view name) {
  for (std::string_view n : {"SecureBoot", "SetupMode", "AuditMode", "DeployedMode", "MokSBState",
                             "MokListTrusted", "MokIgnoreDB"}) {
    if (name == n) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// The decoder. Each method decodes one structure into d_ (fields appended in
// order, so a failure part-way leaves what was understood) and sets summary_;
// a non-OK Status means the bytes do not match the structure.

class Describer {
 public:
  explicit Describer(const Event& event) : event_(event), data_(event.data) {}

  EventDescription Run() && {
    Status s = Dispatch();
    if (!s.ok()) {
      d_.malformed = ClampUtf8(s.message(), kMaxSummaryChars);
      d_.summary = "malformed: " + d_.malformed;
    } else {
      d_.summary = summary_;
    }
    d_.summary = ClampUtf8(std::move(d_.summary), kMaxSummaryChars);
    return std::move(d_);
  }

 private:
  Status Dispatch();

  void Add(std::string key, FieldValue value) {
    for (const DescriptionField& f : d_.fields) {
      if (f.key == key) {
        key += "_" + Dec(d_.fields.size());
        break;
      }
    }
    d_.fields.push_back({std::move(key), std::move(value)});
  }
  // A list field holding at most kMaxListItems entries of `items`, noting how
  // many were left out of `total`.
  void AddList(std::string key, std::vector<std::string> items, size_t total) {
    if (items.size() > kMaxListItems) items.resize(kMaxListItems);
    if (total > items.size()) items.push_back("… and " + Dec(total - items.size()) + " more");
    Add(std::move(key), std::move(items));
  }

  Status UefiVariable();
  Result<std::string> VariableValue(std::string_view name, ByteView value, size_t base);
  Result<std::string> LoadOption(ByteView value, size_t base);
  Result<std::string> SignatureLists(ByteView value, size_t base);
  Result<std::string> AuthorityValue(ByteView value);
  Result<std::string> GenericValue(ByteView value);
  Status ImageLoad();
  Status FirmwareBlob(ByteReader& r);
  Status FirmwareBlob2();
  Status HandoffTables(bool with_description);
  Status Gpt();
  Status Separator();
  Status CrtmVersion();
  Status TextOrHex(std::string_view fallback_kind);
  // Printable data becomes a "text" field, anything else hex under `hex_key`;
  // sets the summary either way.
  Status PlainTextOrHex(std::string_view hex_key);
  Status PostCode();
  Status NoAction();
  Status SpecId03(ByteReader& r);
  Status SpecId00(ByteReader& r);
  // The fields both Spec ID layouts start with (platformClass .. uintnSize),
  // added as fields; returns the summary prefix "Spec ID EventNN: spec ...".
  Result<std::string> SpecIdHeader(ByteReader& r, std::string_view signature);
  // vendorInfoSize and vendorInfo, the tail both layouts share.
  Status SpecIdVendorInfo(ByteReader& r);
  Status Sp800155(ByteReader& r, std::string_view signature);
  Status Sipa(ByteView data, size_t base);
  Status SipaEntries(ByteView data, size_t base, size_t depth);
  Status Txt();
  Status Tboot();
  Status HexData();

  const Event& event_;
  ByteView data_;
  EventDescription d_;
  std::string summary_;
  // SIPA decoding state.
  std::vector<std::string> sipa_items_;
  size_t sipa_total_ = 0;
  std::string sipa_file_path_;
};

Status Describer::Dispatch() {
  const uint32_t type = event_.type;
  if (type >= kEvTxtBase && type <= kEvTxtBase + 0xFF) return Txt();
  switch (type) {
    case kEvEfiVariableDriverConfig:
    case kEvEfiVariableBoot:
    case kEvEfiVariableBoot2:
    case kEvEfiVariableAuthority: return UefiVariable();
    case kEvEfiBootServicesApplication:
    case kEvEfiBootServicesDriver:
    case kEvEfiRuntimeServicesDriver: return ImageLoad();
    case kEvEfiPlatformFirmwareBlob: {
      d_.kind = "firmware_blob";
      ByteReader r(data_);
      return FirmwareBlob(r);
    }
    case kEvEfiPlatformFirmwareBlob2: return FirmwareBlob2();
    case kEvEfiHandoffTables: return HandoffTables(false);
    case kEvEfiHandoffTables2: return HandoffTables(true);
    case kEvEfiGptEvent: return Gpt();
    case kEvSeparator: return Separator();
    case kEvSCrtmVersion: return CrtmVersion();
    case kEvPostCode:
    case kEvSCrtmContents: return PostCode();
    case kEvNoAction: return NoAction();
    case kEvEventTag: return Sipa(data_, 0);
    case kEvTboot: return Tboot();
    // Types whose data is a string, or opaque bytes that are sometimes one.
    case kEvAction:
    case kEvEfiAction:
    case kEvIpl:
    case kEvCompactHash:
    case kEvOmitBootDeviceEvents:
    case kEvEfiHcrtmEvent:
    case kEvCpuMicrocode:
    case kEvPlatformConfigFlags:
    case kEvTableOfDevices:
    case kEvIplPartitionData:
    case kEvNonhostCode:
    case kEvNonhostConfig:
    case kEvNonhostInfo:
    case kEvPrebootCert: return TextOrHex("hex");
    default: return HexData();
  }
}

// UEFI_VARIABLE_DATA (PFP 1.05, section 10.2.6 "Measuring UEFI Variables";
// UEFI_VARIABLE_DATA structure): VariableName GUID, UINT64 UnicodeNameLength
// (in CHAR16s), UINT64 VariableDataLength, CHAR16 UnicodeName[],
// INT8 VariableData[].
Status Describer::UefiVariable() {
  d_.kind = "uefi_variable";
  ByteReader r(data_);
  VOUCH_ASSIGN_OR_RETURN(ByteView guid, r.Take(kGuidSize, "VariableName (GUID)"));
  std::string guid_text = EfiGuidToString(guid);
  Add("vendor_guid", guid_text);
  std::string_view vendor = WellKnownGuidName(guid_text);
  if (!vendor.empty()) Add("vendor", std::string(vendor));
  VOUCH_ASSIGN_OR_RETURN(uint64_t name_len, r.U64Le("UnicodeNameLength"));
  VOUCH_ASSIGN_OR_RETURN(uint64_t data_len, r.U64Le("VariableDataLength"));
  if (name_len > r.remaining() / 2) {
    return r.ErrorHere("UnicodeNameLength " + Dec(name_len) + " characters exceeds the " +
                       Dec(r.remaining()) + " bytes left");
  }
  VOUCH_ASSIGN_OR_RETURN(ByteView name_bytes, r.Take(name_len * 2, "UnicodeName"));
  std::string name = Utf16Text(name_bytes);
  Add("name", name);
  Add("data_length", data_len);
  if (data_len > r.remaining()) {
    return r.ErrorHere("VariableDataLength " + Dec(data_len) + " exceeds the " +
                       Dec(r.remaining()) + " bytes left");
  }
  size_t base = r.offset();
  VOUCH_ASSIGN_OR_RETURN(ByteView value, r.Take(data_len, "VariableData"));
  if (!r.empty()) Add("trailing_bytes", uint64_t{r.remaining()});
  VOUCH_ASSIGN_OR_RETURN(std::string value_text, VariableValue(name, value, base));
  summary_ = name + ": " + value_text;
  return Status();
}

Result<std::string> Describer::VariableValue(std::string_view name, ByteView value, size_t base) {
  if (value.empty()) return std::string("empty (0 bytes)");
  if (event_.type == kEvEfiVariableAuthority) return AuthorityValue(value);
  if (name == "BootOrder") {
    // UINT16 option numbers (UEFI 2.10 section 3.3).
    if (value.size() % 2 != 0) {
      return ByteReader(value, base).ErrorHere("BootOrder has odd length " + Dec(value.size()));
    }
    std::vector<std::string> order;
    for (size_t i = 0; i + 1 < value.size() && order.size() <= kMaxListItems; i += 2) {
      order.push_back(Fmt("Boot%04" PRIX64, value[i] | (value[i + 1] << 8)));
    }
    size_t total = value.size() / 2;
    AddList("boot_order", order, total);
    std::string s;
    for (size_t i = 0; i < order.size() && i < 8; ++i) s += (i ? ", " : "") + order[i];
    if (total > 8) s += ", … (" + Dec(total) + " entries)";
    return s;
  }
  if ((name == "BootNext" || name == "BootCurrent") && value.size() == 2) {
    std::string option = Fmt("Boot%04" PRIX64, LeValue(value));
    Add("value", option);
    return option;
  }
  if (IsLoadOptionName(name)) return LoadOption(value, base);
  if (IsSignatureDbName(name)) return SignatureLists(value, base);
  if (IsFlagName(name) && value.size() == 1) {
    Add("value", uint64_t{value[0]});
    Add("enabled", value[0] != 0);
    if (value[0] == 0) return std::string("disabled");
    if (value[0] == 1) return std::string("enabled");
    return "enabled (value " + Dec(value[0]) + ")";
  }
  return GenericValue(value);
}

Result<std::string> Describer::GenericValue(ByteView value) {
  if (value.size() == 1 || value.size() == 2 || value.size() == 4 || value.size() == 8) {
    uint64_t v = LeValue(value);
    Add("value", v);
    return HexNum(v) + " (" + Dec(value.size()) + (value.size() == 1 ? " byte)" : " bytes)");
  }
  if (LooksLikeText(value)) {
    std::string text = Utf8Text(value);
    Add("text", text);
    return Quote(text);
  }
  Add("data", HexBounded(value));
  return Dec(value.size()) + " bytes";
}

// EFI_LOAD_OPTION (UEFI 2.10 section 3.1.3 "Load Options"): UINT32
// Attributes, UINT16 FilePathListLength, CHAR16 Description[] (NUL
// terminated), EFI_DEVICE_PATH_PROTOCOL FilePathList[], UINT8 OptionalData[].
Result<std::string> Describer::LoadOption(ByteView value, size_t base) {
  ByteReader r(value, base);
  VOUCH_ASSIGN_OR_RETURN(uint32_t attributes, r.U32Le("load option Attributes"));
  VOUCH_ASSIGN_OR_RETURN(uint16_t path_len, r.U16Le("FilePathListLength"));
  std::string attr = Hex32(attributes);
  std::vector<std::string> flags;
  if (attributes & 0x1) flags.push_back("active");
  if (attributes & 0x2) flags.push_back("force-reconnect");
  if (attributes & 0x8) flags.push_back("hidden");
  if (attributes & 0x100) flags.push_back("app");
  for (size_t i = 0; i < flags.size(); ++i) attr += (i ? "," : " (") + flags[i];
  if (!flags.empty()) attr += ")";
  Add("attributes", attr);
  ByteView rest = r.Rest();
  size_t desc_bytes = 0;
  while (desc_bytes + 1 < rest.size() && (rest[desc_bytes] | rest[desc_bytes + 1]) != 0) {
    desc_bytes += 2;
  }
  if (desc_bytes + 1 >= rest.size()) {
    return r.ErrorHere("load option Description is not NUL-terminated");
  }
  std::string description = Utf16Text(rest.first(desc_bytes));
  Add("description", description);
  VOUCH_RETURN_IF_ERROR(r.Skip(desc_bytes + 2, "Description"));
  VOUCH_ASSIGN_OR_RETURN(ByteView path, r.Take(path_len, "FilePathList"));
  std::string path_text = DevicePathToText(path);
  Add("device_path", path_text);
  if (!r.empty()) Add("optional_data_length", uint64_t{r.remaining()});
  return Quote(description) + " " + path_text;
}

// EFI_SIGNATURE_LIST (UEFI 2.10 section 32.4.1): EFI_GUID SignatureType,
// UINT32 SignatureListSize, UINT32 SignatureHeaderSize, UINT32 SignatureSize,
// UINT8 SignatureHeader[], EFI_SIGNATURE_DATA Signatures[] (each an owner
// GUID then SignatureSize - 16 bytes of data).
Result<std::string> Describer::SignatureLists(ByteView value, size_t base) {
  ByteReader r(value, base);
  std::vector<std::string> lists;
  std::map<std::string, uint64_t> per_type;
  std::vector<std::string> type_order;
  size_t num_lists = 0;
  uint64_t num_sigs = 0;
  while (!r.empty()) {
    size_t list_start = r.offset();
    VOUCH_ASSIGN_OR_RETURN(ByteView type, r.Take(kGuidSize, "SignatureType"));
    VOUCH_ASSIGN_OR_RETURN(uint32_t list_size, r.U32Le("SignatureListSize"));
    VOUCH_ASSIGN_OR_RETURN(uint32_t header_size, r.U32Le("SignatureHeaderSize"));
    VOUCH_ASSIGN_OR_RETURN(uint32_t sig_size, r.U32Le("SignatureSize"));
    constexpr uint32_t kListHeader = kGuidSize + 12;
    if (list_size < kListHeader || list_size - kListHeader > r.remaining()) {
      return ByteReader(value, base)
          .ErrorHere("signature list at offset " + Dec(list_start) + ": SignatureListSize " +
                     Dec(list_size) + " does not fit (" + Dec(r.remaining() + kListHeader) +
                     " bytes)");
    }
    uint32_t body = list_size - kListHeader;
    if (header_size > body) {
      return r.ErrorHere("SignatureHeaderSize " + Dec(header_size) + " exceeds the list");
    }
    body -= header_size;
    if (body > 0 && (sig_size < kGuidSize || body % sig_size != 0)) {
      return r.ErrorHere("SignatureSize " + Dec(sig_size) + " does not divide the " + Dec(body) +
                         " bytes of signatures");
    }
    VOUCH_RETURN_IF_ERROR(r.Skip(header_size, "SignatureHeader"));
    uint64_t count = body == 0 ? 0 : body / sig_size;
    std::string owner;
    if (count > 0) {
      ByteView first = r.Rest().first(kGuidSize);
      owner = GuidWithName(first);
    }
    VOUCH_RETURN_IF_ERROR(r.Skip(body, "Signatures"));
    std::string type_text = EfiGuidToString(type);
    const KnownGuid* known = FindGuid(type_text);
    std::string label =
        known && !known->short_name.empty() ? std::string(known->short_name) : type_text;
    ++num_lists;
    num_sigs += count;
    if (per_type.emplace(label, 0).second) type_order.push_back(label);
    per_type[label] += count;
    if (lists.size() <= kMaxListItems) {
      std::string item = label + " x" + Dec(count);
      if (count > 0) item += " (" + Dec(sig_size - kGuidSize) + " bytes each, owner " + owner + ")";
      lists.push_back(item);
    }
  }
  Add("signature_lists", uint64_t{num_lists});
  Add("signatures", num_sigs);
  AddList("lists", lists, num_lists);
  std::string s = Dec(num_sigs) + (num_sigs == 1 ? " signature" : " signatures");
  for (size_t i = 0; i < type_order.size() && i < 8; ++i) {
    s += (i ? ", " : " (") + Dec(per_type[type_order[i]]) + " " + type_order[i];
  }
  if (!type_order.empty()) s += ")";
  return s + " in " + Dec(num_lists) + (num_lists == 1 ? " list" : " lists");
}

// EV_EFI_VARIABLE_AUTHORITY (PFP 1.05, section 3.3.4.8 and 10.2.6): the
// VariableData is the EFI_SIGNATURE_DATA (owner GUID + certificate or hash)
// from db (or shim's MokList/vendor certificate) that authorised an image.
Result<std::string> Describer::AuthorityValue(ByteView value) {
  auto der_cert = [](ByteView v) { return v.size() >= 4 && v[0] == 0x30 && v[1] == 0x82; };
  if (value.size() > kGuidSize && der_cert(value.subspan(kGuidSize))) {
    std::string owner = GuidWithName(value.first(kGuidSize));
    Add("signature_owner", owner);
    Add("certificate_length", uint64_t{value.size() - kGuidSize});
    return "X.509 certificate (" + Dec(value.size() - kGuidSize) + " bytes), owner " + owner;
  }
  if (value.size() == kGuidSize + 32) {
    std::string owner = GuidWithName(value.first(kGuidSize));
    Add("signature_owner", owner);
    Add("sha256", HexEncode(value.subspan(kGuidSize)));
    return "SHA-256 " + HexEncode(value.subspan(kGuidSize)) + ", owner " + owner;
  }
  if (der_cert(value)) {
    Add("certificate_length", uint64_t{value.size()});
    return "X.509 certificate (" + Dec(value.size()) + " bytes)";
  }
  return GenericValue(value);
}

// UEFI_IMAGE_LOAD_EVENT (PFP 1.05, section 10.2.3): UEFI_PHYSICAL_ADDRESS
// ImageLocationInMemory, UINT64 ImageLengthInMemory, UINT64
// ImageLinkTimeAddress, UINT64 LengthOfDevicePath, UEFI_DEVICE_PATH
// DevicePath[].
Status Describer::ImageLoad() {
  d_.kind = "uefi_image_load";
  ByteReader r(data_);
  VOUCH_ASSIGN_OR_RETURN(uint64_t location, r.U64Le("ImageLocationInMemory"));
  VOUCH_ASSIGN_OR_RETURN(uint64_t length, r.U64Le("ImageLengthInMemory"));
  VOUCH_ASSIGN_OR_RETURN(uint64_t link, r.U64Le("ImageLinkTimeAddress"));
  VOUCH_ASSIGN_OR_RETURN(uint64_t path_len, r.U64Le("LengthOfDevicePath"));
  Add("image_location", HexNum(location));
  Add("image_length", length);
  Add("link_time_address", HexNum(link));
  if (path_len > r.remaining()) {
    return r.ErrorHere("LengthOfDevicePath " + Dec(path_len) + " exceeds the " +
                       Dec(r.remaining()) + " bytes left");
  }
  VOUCH_ASSIGN_OR_RETURN(ByteView path, r.Take(path_len, "DevicePath"));
  std::string path_text = DevicePathToText(path);
  Add("device_path", path_text);
  if (!r.empty()) Add("trailing_bytes", uint64_t{r.remaining()});
  summary_ = (path_text.empty() ? std::string("(no device path)") : path_text) + " (" +
             Dec(length) + " bytes at " + HexNum(location) + ")";
  return Status();
}

// UEFI_PLATFORM_FIRMWARE_BLOB (PFP 1.05, section 10.2.5): UEFI_PHYSICAL_ADDRESS
// BlobBase, UINT64 BlobLength.
Status Describer::FirmwareBlob(ByteReader& r) {
  VOUCH_ASSIGN_OR_RETURN(uint64_t blob_base, r.U64Le("BlobBase"));
  VOUCH_ASSIGN_OR_RETURN(uint64_t blob_len, r.U64Le("BlobLength"));
  Add("blob_base", HexNum(blob_base));
  Add("blob_length", blob_len);
  if (!r.empty()) Add("trailing_bytes", uint64_t{r.remaining()});
  summary_ += (summary_.empty() ? "" : " ") + std::string("base ") + HexNum(blob_base) +
              ", length " + HexNum(blob_len);
  return Status();
}

// UEFI_PLATFORM_FIRMWARE_BLOB2 (PFP 1.05, section 10.2.5): UINT8
// BlobDescriptionSize, UINT8 BlobDescription[], then BlobBase and BlobLength.
Status Describer::FirmwareBlob2() {
  d_.kind = "firmware_blob2";
  ByteReader r(data_);
  VOUCH_ASSIGN_OR_RETURN(uint8_t desc_size, r.U8("BlobDescriptionSize"));
  VOUCH_ASSIGN_OR_RETURN(ByteView desc, r.Take(desc_size, "BlobDescription"));
  std::string text = Utf8Text(desc);
  Add("description", text);
  summary_ = Quote(text);
  return FirmwareBlob(r);
}

// UEFI_HANDOFF_TABLE_POINTERS (PFP 1.05, section 10.2.7): UINT64
// NumberOfTables, UEFI_CONFIGURATION_TABLE TableEntry[] ({EFI_GUID
// VendorGuid, VOID* VendorTable}; the pointer is 8 bytes on 64-bit firmware,
// 4 on 32-bit, told apart by the remaining size). The "2" variant (PFP
// 1.05, section 10.2.8) starts with UINT8 TableDescriptionSize and the
// description.
Status Describer::HandoffTables(bool with_description) {
  d_.kind = "handoff_tables";
  ByteReader r(data_);
  if (with_description) {
    VOUCH_ASSIGN_OR_RETURN(uint8_t desc_size, r.U8("TableDescriptionSize"));
    VOUCH_ASSIGN_OR_RETURN(ByteView desc, r.Take(desc_size, "TableDescription"));
    std::string text = Utf8Text(desc);
    Add("description", text);
    summary_ = Quote(text) + " ";
  }
  VOUCH_ASSIGN_OR_RETURN(uint64_t count, r.U64Le("NumberOfTables"));
  Add("table_count", count);
  if (count > r.remaining() / (kGuidSize + 4)) {
    return r.ErrorHere("NumberOfTables " + Dec(count) + " does not fit in the " +
                       Dec(r.remaining()) + " bytes left");
  }
  size_t pointer = 8;
  if (count > 0 && r.remaining() < count * (kGuidSize + 8)) pointer = 4;
  std::vector<std::string> tables;
  std::string names;
  for (uint64_t i = 0; i < count; ++i) {
    VOUCH_ASSIGN_OR_RETURN(ByteView guid, r.Take(kGuidSize, "VendorGuid"));
    VOUCH_ASSIGN_OR_RETURN(ByteView ptr, r.Take(pointer, "VendorTable"));
    if (tables.size() <= kMaxListItems) {
      tables.push_back(GuidWithName(guid) + " at " + HexNum(LeValue(ptr)));
    }
    if (i < 4) {
      std::string text = EfiGuidToString(guid);
      std::string_view name = WellKnownGuidName(text);
      names += (i ? ", " : "") + (name.empty() ? text : std::string(name));
    }
  }
  AddList("tables", tables, count);
  if (!r.empty()) Add("trailing_bytes", uint64_t{r.remaining()});
  summary_ += Dec(count) + (count == 1 ? " table" : " tables") + (count ? ": " + names : "");
  if (count > 4) summary_ += ", …";
  return Status();
}

// UEFI_GPT_DATA (PFP 1.05, section 10.2.9): UEFI_PARTITION_TABLE_HEADER (the
// 92-byte GPT header of UEFI 2.10 section 5.3.2), UINT64 NumberOfPartitions,
// UEFI_PARTITION_ENTRY Partitions[] (SizeOfPartitionEntry bytes each; the
// entry layout is UEFI 2.10 section 5.3.3).
Status Describer::Gpt() {
  d_.kind = "gpt";
  ByteReader r(data_);
  VOUCH_ASSIGN_OR_RETURN(ByteView sig, r.Take(8, "GPT Signature"));
  if (ToString(sig) != "EFI PART") {
    return ByteReader(data_).ErrorHere("GPT header signature is not \"EFI PART\"");
  }
  VOUCH_RETURN_IF_ERROR(r.Skip(4 + 4 + 4 + 4, "Revision/HeaderSize/HeaderCRC32/Reserved"));
  VOUCH_RETURN_IF_ERROR(r.Skip(size_t{8} * 4, "MyLBA/AlternateLBA/FirstUsableLBA/LastUsableLBA"));
  VOUCH_ASSIGN_OR_RETURN(ByteView disk_guid, r.Take(kGuidSize, "DiskGUID"));
  VOUCH_RETURN_IF_ERROR(r.Skip(8 + 4, "PartitionEntryLBA/NumberOfPartitionEntries"));
  VOUCH_ASSIGN_OR_RETURN(uint32_t entry_size, r.U32Le("SizeOfPartitionEntry"));
  VOUCH_RETURN_IF_ERROR(r.Skip(4, "PartitionEntryArrayCRC32"));
  std::string disk = EfiGuidToString(disk_guid);
  Add("disk_guid", disk);
  VOUCH_ASSIGN_OR_RETURN(uint64_t count, r.U64Le("NumberOfPartitions"));
  Add("partition_count", count);
  constexpr uint32_t kMinEntry = 128;
  if (count > 0 && entry_size < kMinEntry) {
    return r.ErrorHere("SizeOfPartitionEntry " + Dec(entry_size) + " is below 128");
  }
  if (count > 0 && count > r.remaining() / entry_size) {
    return r.ErrorHere(Dec(count) + " partitions of " + Dec(entry_size) +
                       " bytes do not fit in the " + Dec(r.remaining()) + " bytes left");
  }
  std::vector<std::string> parts;
  for (uint64_t i = 0; i < count; ++i) {
    VOUCH_ASSIGN_OR_RETURN(ByteView entry, r.Take(entry_size, "partition entry"));
    if (parts.size() > kMaxListItems) continue;
    ByteReader e(entry, r.offset() - entry_size);
    VOUCH_ASSIGN_OR_RETURN(ByteView type, e.Take(kGuidSize, "PartitionTypeGUID"));
    VOUCH_ASSIGN_OR_RETURN(ByteView unique, e.Take(kGuidSize, "UniquePartitionGUID"));
    VOUCH_ASSIGN_OR_RETURN(uint64_t first, e.U64Le("StartingLBA"));
    VOUCH_ASSIGN_OR_RETURN(uint64_t last, e.U64Le("EndingLBA"));
    VOUCH_RETURN_IF_ERROR(e.Skip(8, "Attributes"));
    VOUCH_ASSIGN_OR_RETURN(ByteView name, e.Take(72, "PartitionName"));
    std::string type_text = EfiGuidToString(type);
    std::string_view type_name = WellKnownGuidName(type_text);
    parts.push_back(Dec(i + 1) + ": " + Quote(Utf16Text(name, 36)) + " " +
                    (type_name.empty() ? type_text : std::string(type_name)) + " " +
                    EfiGuidToString(unique) + " LBA " + HexNum(first) + "-" + HexNum(last));
  }
  AddList("partitions", parts, count);
  if (!r.empty()) Add("trailing_bytes", uint64_t{r.remaining()});
  summary_ = "disk " + disk + ", " + Dec(count) + (count == 1 ? " partition" : " partitions");
  return Status();
}

// EV_SEPARATOR (PFP 1.05, section 10.4.1 and 3.3.2): 4 bytes, 0x00000000 in
// normal operation, 0x00000001 when an error occurred. Windows writes
// "WBCL" into its own separators.
Status Describer::Separator() {
  d_.kind = "separator";
  if (data_.size() == 4) {
    uint32_t v = static_cast<uint32_t>(LeValue(data_));
    if (v == 0 || v == 1) {
      Add("value", Hex32(v));
      Add("error", v == 1);
      summary_ = Hex32(v) + (v == 0 ? " (separator)" : " (error)");
      return Status();
    }
  }
  return PlainTextOrHex("value");
}

// EV_S_CRTM_VERSION (PFP 1.05, section 10.4.1): a NUL-terminated UCS-2 string
// or an EFI_GUID.
Status Describer::CrtmVersion() {
  d_.kind = "crtm_version";
  if (TrimTrailingZeros(data_, 1).empty()) {
    Add("version", std::string());
    summary_ = "\"\" (" + Dec(data_.size()) + " zero bytes)";
    return Status();
  }
  if (LooksLikeUtf16Text(data_)) {
    std::string text = Utf16Text(data_);
    Add("version", text);
    summary_ = Quote(text);
    return Status();
  }
  if (data_.size() == kGuidSize) {
    std::string guid = EfiGuidToString(data_);
    Add("guid", guid);
    summary_ = "GUID " + guid;
    return Status();
  }
  return TextOrHex("crtm_version");
}

// Strings (EV_EFI_ACTION, EV_ACTION, EV_IPL, ...): printable UTF-8/ASCII,
// trailing NULs trimmed, or printable UTF-16LE (systemd-boot); else hex.
Status Describer::PlainTextOrHex(std::string_view hex_key) {
  if (LooksLikeText(data_)) {
    std::string text = Utf8Text(data_);
    Add("text", text);
    summary_ = Quote(text);
    return Status();
  }
  Add(std::string(hex_key), HexBounded(data_));
  summary_ = HexBounded(data_, kSummaryHexBytes);
  return Status();
}

Status Describer::TextOrHex(std::string_view fallback_kind) {
  if (data_.empty()) {
    d_.kind = "empty";
    summary_ = "(no data)";
    return Status();
  }
  if (LooksLikeText(data_)) {
    d_.kind = "text";
    std::string text = Utf8Text(data_);
    Add("text", text);
    summary_ = Quote(text);
    return Status();
  }
  if (LooksLikeUtf16Text(data_)) {
    d_.kind = "text";
    std::string text = Utf16Text(data_);
    Add("text", text);
    Add("encoding", std::string("utf-16le"));
    summary_ = Quote(text);
    return Status();
  }
  d_.kind = std::string(fallback_kind);
  // Vendor records often start with an ASCII signature ("IntelCSxEEvent01").
  size_t sig = 0;
  while (sig < data_.size() && sig < 64 && data_[sig] >= 0x20 && data_[sig] < 0x7F) ++sig;
  if (sig >= 4 && sig < data_.size() && data_[sig] == 0) {
    std::string text = Utf8Text(data_.first(sig));
    Add("signature", text);
    summary_ = Quote(text) + " + " + Dec(data_.size() - sig) + " bytes";
  } else {
    summary_ = HexBounded(data_, kSummaryHexBytes);
  }
  Add("data", HexBounded(data_));
  return Status();
}

Status Describer::HexData() {
  if (data_.empty()) {
    d_.kind = "empty";
    summary_ = "(no data)";
    return Status();
  }
  d_.kind = "hex";
  Add("data", HexBounded(data_));
  summary_ = HexBounded(data_, kSummaryHexBytes);
  return Status();
}

// EV_POST_CODE and EV_S_CRTM_CONTENTS (PFP 1.05, section 10.4.1): a string
// such as "POST CODE", "SMM CODE", "ACPI DATA", or a
// UEFI_PLATFORM_FIRMWARE_BLOB.
Status Describer::PostCode() {
  if (data_.size() == 16 && !LooksLikeText(data_)) {
    d_.kind = "firmware_blob";
    ByteReader r(data_);
    return FirmwareBlob(r);
  }
  return TextOrHex("hex");
}

// EV_NO_ACTION (PFP 1.05, section 10.4.5): the first 16 bytes name the
// structure: "Spec ID Event03" (10.4.5.1), "Spec ID Event00" (TCG 1.2 PC
// Client BIOS spec, section 11.3.4.1), "StartupLocality" (10.4.5.3),
// "SP800-155 Event" (10.4.5.2, reference manifests). Windows also logs SIPA
// events as EV_NO_ACTION on PCR 0xFFFFFFFF.
Status Describer::NoAction() {
  if (data_.size() >= 16) {
    ByteReader r(data_);
    VOUCH_ASSIGN_OR_RETURN(ByteView sig_bytes, r.Take(16, "Signature"));
    std::string sig(reinterpret_cast<const char*>(sig_bytes.data()), 16);
    if (sig == std::string("Spec ID Event03\0", 16)) return SpecId03(r);
    if (sig == std::string("Spec ID Event00\0", 16)) return SpecId00(r);
    if (sig == std::string("StartupLocality\0", 16)) {
      d_.kind = "startup_locality";
      Add("signature", std::string("StartupLocality"));
      VOUCH_ASSIGN_OR_RETURN(uint8_t locality, r.U8("StartupLocality"));
      Add("locality", uint64_t{locality});
      if (!r.empty()) Add("trailing_bytes", uint64_t{r.remaining()});
      summary_ = "StartupLocality " + Dec(locality);
      return Status();
    }
    if (sig.substr(0, 15) == "SP800-155 Event") return Sp800155(r, Utf8Text(sig_bytes));
    if (sig == std::string("NvIndexInstance\0", 16) ||
        sig == std::string("NvIndexDynamic\0\0", 16)) {
      d_.kind = "no_action";
      std::string name = Utf8Text(sig_bytes);
      Add("signature", name);
      Add("data", HexBounded(r.Rest()));
      summary_ = name + " (" + Dec(r.remaining()) + " bytes)";
      return Status();
    }
  }
  // Windows writes SIPA records (its AIK and quote trust points) into
  // EV_NO_ACTION events on PCR 0xFFFFFFFF.
  if (event_.pcr == kPcrNotExtended && Sipa(data_, 0).ok()) return Status();
  d_ = EventDescription();
  summary_.clear();
  sipa_items_.clear();
  sipa_total_ = 0;
  sipa_file_path_.clear();
  return TextOrHex("no_action");
}

// TCG_EfiSpecIDEvent (PFP 1.05, section 10.4.5.1).
Status Describer::SpecId03(ByteReader& r) {
  VOUCH_ASSIGN_OR_RETURN(std::string summary, SpecIdHeader(r, "Spec ID Event03"));
  VOUCH_ASSIGN_OR_RETURN(uint32_t num_algs, r.U32Le("numberOfAlgorithms"));
  if (num_algs > r.remaining() / 4) {
    return r.ErrorHere("numberOfAlgorithms " + Dec(num_algs) + " does not fit in the " +
                       Dec(r.remaining()) + " bytes left");
  }
  std::vector<std::string> algs;
  std::string names;
  for (uint32_t i = 0; i < num_algs; ++i) {
    VOUCH_ASSIGN_OR_RETURN(uint16_t alg_id, r.U16Le("algorithmId"));
    VOUCH_ASSIGN_OR_RETURN(uint16_t size, r.U16Le("digestSize"));
    std::optional<HashAlg> alg = HashAlgFromTpmId(alg_id);
    std::string name = alg ? std::string(HashAlgName(*alg)) : Fmt("0x%04" PRIx64, alg_id);
    if (algs.size() <= kMaxListItems) algs.push_back(name + " (" + Dec(size) + " bytes)");
    if (i < 8) names += (i ? ", " : "") + name;
  }
  AddList("algorithms", algs, num_algs);
  VOUCH_RETURN_IF_ERROR(SpecIdVendorInfo(r));
  if (!r.empty()) Add("trailing_bytes", uint64_t{r.remaining()});
  summary_ = summary + ", algorithms " + names;
  return Status();
}

// TCG_PCClientSpecIDEventStruct (TCG PC Client Specific Implementation
// Specification for Conventional BIOS 1.21, section 11.3.4.1): platformClass,
// specVersionMinor, specVersionMajor, specErrata, uintnSize, vendorInfoSize,
// vendorInfo.
Status Describer::SpecId00(ByteReader& r) {
  VOUCH_ASSIGN_OR_RETURN(summary_, SpecIdHeader(r, "Spec ID Event00"));
  VOUCH_RETURN_IF_ERROR(SpecIdVendorInfo(r));
  return Status();
}

Result<std::string> Describer::SpecIdHeader(ByteReader& r, std::string_view signature) {
  d_.kind = "spec_id";
  Add("signature", std::string(signature));
  VOUCH_ASSIGN_OR_RETURN(uint32_t platform_class, r.U32Le("platformClass"));
  VOUCH_ASSIGN_OR_RETURN(uint8_t minor, r.U8("specVersionMinor"));
  VOUCH_ASSIGN_OR_RETURN(uint8_t major, r.U8("specVersionMajor"));
  VOUCH_ASSIGN_OR_RETURN(uint8_t errata, r.U8("specErrata"));
  VOUCH_ASSIGN_OR_RETURN(uint8_t uintn, r.U8("uintnSize"));
  Add("platform_class", uint64_t{platform_class});
  Add("spec_version", Dec(major) + "." + Dec(minor));
  Add("spec_errata", uint64_t{errata});
  Add("uintn_size", uint64_t{uintn});
  return std::string(signature) + ": spec " + Dec(major) + "." + Dec(minor) + " errata " +
         Dec(errata) + ", platform class " + Dec(platform_class);
}

Status Describer::SpecIdVendorInfo(ByteReader& r) {
  VOUCH_ASSIGN_OR_RETURN(uint8_t vendor_size, r.U8("vendorInfoSize"));
  VOUCH_ASSIGN_OR_RETURN(ByteView vendor, r.Take(vendor_size, "vendorInfo"));
  Add("vendor_info_size", uint64_t{vendor_size});
  if (!vendor.empty()) Add("vendor_info", HexBounded(vendor));
  return Status();
}

// TCG_Sp800_155_PlatformId_Event (PFP 1.05, section 10.4.5.2): Signature,
// UINT32 VendorId, EFI_GUID ReferenceManifestGuid, then length-prefixed
// (UINT8) strings PlatformManufacturerStr, PlatformModel, PlatformVersion,
// FirmwareManufacturerStr, UINT32 FirmwareManufacturerId, FirmwareVersion.
// Later variants ("SP800-155 Event2/3") share the first two fields; their
// strings are not decoded.
Status Describer::Sp800155(ByteReader& r, std::string_view signature) {
  d_.kind = "sp800_155";
  Add("signature", std::string(signature));
  VOUCH_ASSIGN_OR_RETURN(uint32_t vendor, r.U32Le("PlatformManufacturerId"));
  VOUCH_ASSIGN_OR_RETURN(ByteView guid, r.Take(kGuidSize, "ReferenceManifestGuid"));
  Add("manufacturer_id", uint64_t{vendor});
  std::string guid_text = EfiGuidToString(guid);
  Add("reference_manifest_guid", guid_text);
  summary_ =
      std::string(signature) + ": manufacturer id " + Dec(vendor) + ", manifest " + guid_text;
  if (signature != "SP800-155 Event") return Status();
  // Best effort: the strings add detail but their absence is not an error.
  ByteReader s(r.Rest(), r.offset());
  auto str = [&](std::string_view key) -> Status {
    VOUCH_ASSIGN_OR_RETURN(uint8_t n, s.U8(key));
    VOUCH_ASSIGN_OR_RETURN(ByteView b, s.Take(n, key));
    Add(std::string(key), Utf8Text(b));
    return Status();
  };
  if (str("platform_manufacturer").ok() && str("platform_model").ok() &&
      str("platform_version").ok() && str("firmware_manufacturer").ok()) {
    Result<uint32_t> fw_id = s.U32Le("FirmwareManufacturerId");
    if (fw_id) {
      Add("firmware_manufacturer_id", uint64_t{*fw_id});
      (void)str("firmware_version");
    }
  }
  return Status();
}

// Windows SIPA events (Microsoft wbcl.h) in EV_EVENT_TAG data: a sequence of
// TCG_PCClientTaggedEvent-like records {UINT32 id, UINT32 size, data};
// aggregation ids contain nested records (PFP 1.05, section 10.4.2
// EV_EVENT_TAG).
Status Describer::Sipa(ByteView data, size_t base) {
  d_.kind = "sipa";
  VOUCH_RETURN_IF_ERROR(SipaEntries(data, base, 0));
  Add("entry_count", uint64_t{sipa_total_});
  AddList("entries", sipa_items_, sipa_total_);
  summary_ = Dec(sipa_total_) + (sipa_total_ == 1 ? " SIPA entry" : " SIPA entries");
  if (!sipa_file_path_.empty()) {
    Add("file_path", sipa_file_path_);
    summary_ += ": " + sipa_file_path_;
  } else if (!sipa_items_.empty()) {
    summary_ += ": " + sipa_items_.front();
  }
  return Status();
}

Status Describer::SipaEntries(ByteView data, size_t base, size_t depth) {
  ByteReader r(data, base);
  if (depth > kMaxSipaDepth) return r.ErrorHere("SIPA events nested too deeply");
  while (!r.empty()) {
    VOUCH_ASSIGN_OR_RETURN(uint32_t id, r.U32Le("SIPA event id"));
    VOUCH_ASSIGN_OR_RETURN(uint32_t size, r.U32Le("SIPA event size"));
    size_t payload_offset = r.offset();
    VOUCH_ASSIGN_OR_RETURN(ByteView payload, r.Take(size, "SIPA event data"));
    ++sipa_total_;
    std::string item = std::string(depth * 2, ' ') + SipaIdName(id);
    bool container = (id & kSipaAggregation) != 0;
    if (container) {  // NOLINT(bugprone-branch-clone): same text as large leaves, on purpose
      item += " (" + Dec(size) + " bytes)";
    } else if (size == 1 || size == 2 || size == 4 || size == 8) {
      item += " = " + HexNum(LeValue(payload));
    } else if (LooksLikeUtf16Text(payload)) {
      std::string text = Utf16Text(payload);
      item += " = " + Quote(text);
      if (id == 0x00070001 && sipa_file_path_.empty()) sipa_file_path_ = text;
    } else if (size <= kMaxHexBytes) {
      item += " = " + HexEncode(payload);
    } else {  // large leaves print their size, like containers
      item += " (" + Dec(size) + " bytes)";
    }
    if (sipa_items_.size() <= kMaxListItems) sipa_items_.push_back(std::move(item));
    if (container) VOUCH_RETURN_IF_ERROR(SipaEntries(payload, payload_offset, depth + 1));
  }
  return Status();
}

// Intel TXT / SINIT events (Intel TXT MLE Developer's Guide, appendix
// "TPM Event Log", event types 0x400-0x4FF): mostly digests or small
// structures; EVTYPE_PCRMAPPING, CPU_SCRTM_STAT, LCP_CONTROL_HASH and
// OSSINITDATA_CAP_HASH carry 1-4 byte values. Shown as a value or hex.
Status Describer::Txt() {
  d_.kind = "txt";
  if (data_.empty()) {
    summary_ = "(no data)";
    return Status();
  }
  if (data_.size() == 1 || data_.size() == 2 || data_.size() == 4 || data_.size() == 8) {
    uint64_t v = LeValue(data_);
    Add("value", HexNum(v));
    summary_ = "value " + HexNum(v);
    return Status();
  }
  return PlainTextOrHex("data");
}

// tboot's own events (0x501) carry no data: the digest identifies what was
// measured (see DESIGN.md, "events are labelled by content").
Status Describer::Tboot() {
  if (!data_.empty()) return TextOrHex("tboot");
  d_.kind = "tboot";
  summary_ = "(no data; identified by digest)";
  return Status();
}

}  // namespace

const FieldValue* EventDescription::Find(std::string_view key) const {
  for (const DescriptionField& f : fields) {
    if (f.key == key) return &f.value;
  }
  return nullptr;
}

EventDescription DescribeEvent(const Event& event) { return Describer(event).Run(); }

std::string EfiGuidToString(ByteView g) {
  if (g.size() != kGuidSize) return HexEncode(g);
  std::string s;
  static constexpr int kOrder[] = {3,  2, 1, 0,  -1, 5,  4,  -1, 7,  6,
                                   -1, 8, 9, -1, 10, 11, 12, 13, 14, 15};
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i : kOrder) {
    if (i < 0) {
      s += '-';
    } else {
      s += kHex[g[i] >> 4];
      s += kHex[g[i] & 0xF];
    }
  }
  return s;
}

std::string_view WellKnownGuidName(std::string_view canonical_guid) {
  const KnownGuid* k = FindGuid(canonical_guid);
  return k ? k->name : std::string_view();
}

std::string DevicePathToText(ByteView path) {
  DevicePathPrinter printer;
  return std::move(printer).Print(path);
}

}  // namespace vouch::eventlog
