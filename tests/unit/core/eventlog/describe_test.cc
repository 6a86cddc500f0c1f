// DescribeEvent over synthetic event data (one test per decoder, malformed
// variants, bounded output) and over every event of every fixture log.
#include "core/eventlog/describe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/eventlog/event_log.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"

namespace vouch::eventlog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// Little-endian builder for synthetic event data.
class Buf {
 public:
  Buf& U8(uint8_t v) { return Le(v, 1); }
  Buf& U16(uint16_t v) { return Le(v, 2); }
  Buf& U32(uint32_t v) { return Le(v, 4); }
  Buf& U64(uint64_t v) { return Le(v, 8); }
  Buf& Raw(ByteView v) {
    b_.insert(b_.end(), v.begin(), v.end());
    return *this;
  }
  Buf& Ascii(std::string_view s) { return Raw(AsBytes(s)); }
  // UTF-16LE code units of an ASCII string, optionally NUL-terminated.
  Buf& Utf16(std::string_view s, bool nul = false) {
    for (char c : s) U16(static_cast<uint8_t>(c));
    if (nul) U16(0);
    return *this;
  }
  // An EFI_GUID from its canonical text (first three fields little-endian).
  Buf& Guid(std::string_view text) {
    std::string hex;
    for (char c : text) {
      if (c != '-') hex += c;
    }
    Bytes g = *HexDecode(hex);
    for (int i : {3, 2, 1, 0, 5, 4, 7, 6}) b_.push_back(g[i]);
    for (int i = 8; i < 16; ++i) b_.push_back(g[i]);
    return *this;
  }
  // A device path node: type, subtype, length (4 + body), body.
  Buf& Node(uint8_t type, uint8_t sub, ByteView body) {
    U8(type).U8(sub).U16(static_cast<uint16_t>(4 + body.size()));
    return Raw(body);
  }
  Buf& End() { return U8(0x7F).U8(0xFF).U16(4); }
  size_t size() const { return b_.size(); }
  Bytes bytes() const { return b_; }
  operator ByteView() const { return b_; }  // NOLINT: convenience in tests

 private:
  Buf& Le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes b_;
};

constexpr std::string_view kGlobal = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
constexpr std::string_view kSecurityDb = "d719b2cb-3d3a-4596-a3bc-dad00e67656f";
constexpr std::string_view kCertX509 = "a5c059a1-94e4-4aa7-87b5-ab155c2bf072";
constexpr std::string_view kCertSha256 = "c1c41626-504c-4092-aca9-41f936934328";
constexpr std::string_view kMicrosoft = "77fa9abd-0359-4d32-bd60-28f4e78f784b";
constexpr std::string_view kDiskGuid = "1a504613-19b5-4b44-a83d-d926d40daa1c";

// A hand-built Event with its own backing storage (an Event only views its
// data); converts to the Event for DescribeEvent. Copies share the storage.
class OwnedEvent {
 public:
  OwnedEvent(uint32_t type, ByteView data, uint32_t pcr)
      : storage_(std::make_shared<const Bytes>(data.begin(), data.end())) {
    event_.type = type;
    event_.pcr = pcr;
    event_.data = *storage_;
  }
  operator const Event&() const { return event_; }  // NOLINT: convenience in tests

 private:
  std::shared_ptr<const Bytes> storage_;
  Event event_;
};

OwnedEvent Ev(uint32_t type, ByteView data, uint32_t pcr = 0) {
  return OwnedEvent(type, data, pcr);
}

Bytes Variable(std::string_view guid, std::string_view name, ByteView value) {
  return Buf().Guid(guid).U64(name.size()).U64(value.size()).Utf16(name).Raw(value).bytes();
}

std::string Str(const EventDescription& d, std::string_view key) {
  const FieldValue* v = d.Find(key);
  if (v == nullptr) return "<missing " + std::string(key) + ">";
  if (const auto* s = std::get_if<std::string>(v)) return *s;
  return "<not a string>";
}
uint64_t Num(const EventDescription& d, std::string_view key) {
  const FieldValue* v = d.Find(key);
  const auto* n = v ? std::get_if<uint64_t>(v) : nullptr;
  return n ? *n : ~uint64_t{0};
}
std::vector<std::string> List(const EventDescription& d, std::string_view key) {
  const FieldValue* v = d.Find(key);
  const auto* l = v ? std::get_if<std::vector<std::string>>(v) : nullptr;
  return l ? *l : std::vector<std::string>{"<missing>"};
}

// A hard-drive (GPT) media node followed by a file path node.
Buf HdFilePath(std::string_view file) {
  Buf hd;
  hd.U32(1).U64(0x800).U64(0x80000).Guid(kDiskGuid).U8(2).U8(2);
  Buf path;
  path.Utf16(file, true);
  return Buf().Node(4, 1, hd).Node(4, 4, path).End();
}

// Valid UTF-8 without C0/C1 control characters.
bool IsCleanUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    uint8_t b = static_cast<uint8_t>(s[i]);
    size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? b : b & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<uint8_t>(s[i + k]) & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3F);
    }
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) return false;
    if (cp >= 0x202A && cp <= 0x202E) return false;
    i += len;
  }
  return true;
}

// Every string in `d` is clean and bounded.
void ExpectWellFormed(const EventDescription& d) {
  EXPECT_TRUE(IsCleanUtf8(d.summary)) << d.summary;
  EXPECT_LE(d.summary.size(), kMaxSummaryChars + 3);
  EXPECT_FALSE(d.kind.empty());
  for (const DescriptionField& f : d.fields) {
    if (const auto* s = std::get_if<std::string>(&f.value)) {
      EXPECT_TRUE(IsCleanUtf8(*s)) << f.key;
      EXPECT_LE(s->size(), 4 * 1024u) << f.key;
    }
    if (const auto* l = std::get_if<std::vector<std::string>>(&f.value)) {
      EXPECT_LE(l->size(), kMaxListItems + 1) << f.key;
      for (const std::string& item : *l) EXPECT_TRUE(IsCleanUtf8(item)) << f.key;
    }
    int same = 0;
    for (const DescriptionField& g : d.fields) same += g.key == f.key;
    EXPECT_EQ(same, 1) << "duplicate key " << f.key;
  }
}

// ---------------------------------------------------------------------------
// UEFI variables

TEST(DescribeTest, SecureBootEnabledShowsFlag) {
  Bytes data = Variable(kGlobal, "SecureBoot", Bytes{1});
  EventDescription d = DescribeEvent(Ev(kEvEfiVariableDriverConfig, data, 7));
  EXPECT_EQ(d.kind, "uefi_variable");
  EXPECT_EQ(d.summary, "SecureBoot: enabled");
  EXPECT_EQ(Str(d, "vendor_guid"), kGlobal);
  EXPECT_EQ(Str(d, "vendor"), "EFI_GLOBAL_VARIABLE");
  EXPECT_EQ(Str(d, "name"), "SecureBoot");
  EXPECT_EQ(Num(d, "data_length"), 1u);
  ASSERT_NE(d.Find("enabled"), nullptr);
  EXPECT_TRUE(std::get<bool>(*d.Find("enabled")));
  EXPECT_THAT(d.malformed, IsEmpty());
}

TEST(DescribeTest, SecureBootWithZeroBytesIsEmptyNotMalformed) {
  Bytes data = Variable(kGlobal, "SecureBoot", Bytes{});
  EventDescription d = DescribeEvent(Ev(kEvEfiVariableDriverConfig, data, 7));
  EXPECT_EQ(d.summary, "SecureBoot: empty (0 bytes)");
  EXPECT_EQ(Num(d, "data_length"), 0u);
  EXPECT_EQ(d.Find("enabled"), nullptr);
  EXPECT_THAT(d.malformed, IsEmpty());
}

TEST(DescribeTest, BootOrderListsOptions) {
  Bytes data = Variable(kGlobal, "BootOrder", Buf().U16(3).U16(1).U16(0x1a));
  EventDescription d = DescribeEvent(Ev(kEvEfiVariableBoot, data, 1));
  EXPECT_THAT(List(d, "boot_order"), ElementsAre("Boot0003", "Boot0001", "Boot001A"));
  EXPECT_EQ(d.summary, "BootOrder: Boot0003, Boot0001, Boot001A");
}

TEST(DescribeTest, BootOrderOfOddLengthIsMalformed) {
  Bytes data = Variable(kGlobal, "BootOrder", Bytes{3, 0, 1});
  EventDescription d = DescribeEvent(Ev(kEvEfiVariableBoot, data, 1));
  EXPECT_THAT(d.malformed, HasSubstr("odd length 3"));
  EXPECT_THAT(d.summary, StartsWith("malformed: "));
  EXPECT_EQ(Str(d, "name"), "BootOrder");  // what decoded before the problem stays
}

TEST(DescribeTest, BootOptionShowsDescriptionAndDevicePath) {
  Buf path = HdFilePath("\\EFI\\ubuntu\\shimx64.efi");
  Buf option;
  option.U32(1).U16(static_cast<uint16_t>(path.size())).Utf16("ubuntu", true).Raw(path).U8(0xAA);
  Bytes data = Variable(kGlobal, "Boot0001", option);
  EventDescription d = DescribeEvent(Ev(kEvEfiVariableBoot, data, 1));
  std::string expected_path =
      "HD(1,GPT,1a504613-19b5-4b44-a83d-d926d40daa1c,0x800,0x80000)/\\EFI\\ubuntu\\shimx64.efi";
  EXPECT_EQ(Str(d, "description"), "ubuntu");
  EXPECT_EQ(Str(d, "device_path"), expected_path);
  EXPECT_EQ(Str(d, "attributes"), "0x00000001 (active)");
  EXPECT_EQ(Num(d, "optional_data_length"), 1u);
  EXPECT_EQ(d.summary, "Boot0001: \"ubuntu\" " + expected_path);
}

TEST(DescribeTest, BootOptionWithoutTerminatedDescriptionIsMalformed) {
  Buf option;
  option.U32(1).U16(4).Utf16("ubuntu");
  Bytes data = Variable(kGlobal, "Boot0001", option);
  EventDescription d = DescribeEvent(Ev(kEvEfiVariableBoot, data, 1));
  EXPECT_THAT(d.malformed, HasSubstr("not NUL-terminated"));
}

TEST(DescribeTest, BootOptionWithOversizedFilePathIsMalformed) {
  Buf option;
  option.U32(1).U16(500).Utf16("x", true).End();
  Bytes data = Variable(kGlobal, "Boot0002", option);
  EventDescription d = DescribeEvent(Ev(kEvEfiVariableBoot, data, 1));
  EXPECT_THAT(d.malformed, HasSubstr("need 500 bytes for FilePathList"));
}

TEST(DescribeTest, SignatureDatabaseSummarisesListsByType) {
  Bytes cert = {0x30, 0x82, 0x01, 0x00, 0xAB};
  Buf x509;
  x509.Guid(kCertX509).U32(28 + 16 + 5).U32(0).U32(16 + 5).Guid(kMicrosoft).Raw(cert);
  Buf sha;
  sha.Guid(kCertSha256).U32(28 + 2 * 48).U32(0).U32(48);
  for (int i = 0; i < 2; ++i) sha.Guid(kMicrosoft).Raw(Bytes(32, static_cast<uint8_t>(i)));
  Bytes data = Variable(kSecurityDb, "db", Buf().Raw(x509).Raw(sha));
  EventDescription d = DescribeEvent(Ev(kEvEfiVariableDriverConfig, data, 7));
  EXPECT_EQ(d.summary, "db: 3 signatures (1 X.509, 2 SHA-256) in 2 lists");
  EXPECT_EQ(Num(d, "signature_lists"), 2u);
  EXPECT_EQ(Num(d, "signatures"), 3u);
  EXPECT_THAT(
      List(d, "lists"),
      ElementsAre("X.509 x1 (5 bytes each, owner " + std::string(kMicrosoft) + " (MICROSOFT))",
                  "SHA-256 x2 (32 bytes each, owner " + std::string(kMicrosoft) + " (MICROSOFT))"));
  EXPECT_EQ(Str(d, "vendor"), "EFI_IMAGE_SECURITY_DATABASE");
}

TEST(DescribeTest, SignatureListWithInconsistentSizesIsMalformed) {
  Buf list;
  list.Guid(kCertSha256).U32(28 + 50).U32(0).U32(48).Raw(Bytes(50, 0));
  Bytes data = Variable(kSecurityDb, "dbx", list);
  EventDescription d = DescribeEvent(Ev(kEvEfiVariableDriverConfig, data, 7));
  EXPECT_THAT(d.malformed, HasSubstr("SignatureSize 48 does not divide the 50 bytes"));

  Buf short_list;
  short_list.Guid(kCertSha256).U32(1000).U32(0).U32(48);
  d = DescribeEvent(Ev(kEvEfiVariableDriverConfig, Variable(kSecurityDb, "dbx", short_list), 7));
  EXPECT_THAT(d.malformed, HasSubstr("SignatureListSize 1000 does not fit"));
}

TEST(DescribeTest, VariableDataLengthBeyondEventIsMalformedWithOffset) {
  Bytes data = Buf().Guid(kGlobal).U64(2).U64(100).Utf16("PK").U8(1).bytes();
  EventDescription d = DescribeEvent(Ev(kEvEfiVariableDriverConfig, data, 7));
  EXPECT_EQ(d.malformed, "at offset 36: VariableDataLength 100 exceeds the 1 bytes left");
  EXPECT_EQ(d.summary, "malformed: " + d.malformed);
  EXPECT_EQ(Str(d, "name"), "PK");
}

TEST(DescribeTest, HugeUnicodeNameLengthIsMalformedNotAllocated) {
  Bytes data = Buf().Guid(kGlobal).U64(~uint64_t{0} / 2).U64(0).Utf16("PK").bytes();
  EventDescription d = DescribeEvent(Ev(kEvEfiVariableDriverConfig, data, 7));
  EXPECT_THAT(d.malformed, HasSubstr("UnicodeNameLength"));
  EXPECT_THAT(d.malformed, HasSubstr("exceeds the 4 bytes left"));
}

TEST(DescribeTest, TruncatedVariableHeaderIsMalformed) {
  EventDescription d = DescribeEvent(Ev(kEvEfiVariableBoot, Bytes(10, 0), 1));
  EXPECT_EQ(d.malformed, "at offset 0: need 16 bytes for VariableName (GUID), 10 left");
}

TEST(DescribeTest, AuthorityEventShowsCertificateAndOwner) {
  Bytes value =
      Buf().Guid(kMicrosoft).Raw(Bytes{0x30, 0x82, 0x05, 0xd7}).Raw(Bytes(10, 0x42)).bytes();
  Bytes data = Variable(kSecurityDb, "db", value);
  EventDescription d = DescribeEvent(Ev(kEvEfiVariableAuthority, data, 7));
  EXPECT_EQ(Str(d, "signature_owner"), std::string(kMicrosoft) + " (MICROSOFT)");
  EXPECT_EQ(Num(d, "certificate_length"), 14u);
  EXPECT_THAT(d.summary, StartsWith("db: X.509 certificate (14 bytes), owner 77fa9abd"));
}

TEST(DescribeTest, TextVariableIsQuotedAndEscaped) {
  Bytes data =
      Variable("605dab50-e046-4300-abb6-3dd810dd8b23", "SbatLevel", AsBytes("sbat,1,2021030218\n"));
  EventDescription d = DescribeEvent(Ev(kEvEfiVariableAuthority, data, 7));
  EXPECT_EQ(Str(d, "vendor"), "SHIM_LOCK");
  EXPECT_EQ(d.summary, "SbatLevel: \"sbat,1,2021030218\\n\"");
}

// ---------------------------------------------------------------------------
// Image loads and device paths

TEST(DescribeTest, ImageLoadShowsLocationLengthAndPath) {
  Buf pci;
  pci.U8(2).U8(0x1f);  // function 2, device 0x1f
  Buf sata;
  sata.U16(0).U16(0xffff).U16(0);
  Buf path = Buf()
                 .Node(2, 1, Buf().U32(0x0a0341d0).U32(0))
                 .Node(1, 1, pci)
                 .Node(3, 0x12, sata)
                 .Raw(HdFilePath("\\EFI\\ubuntu\\shimx64.efi"));
  Bytes data = Buf().U64(0xbe5a1018).U64(1334816).U64(0).U64(path.size()).Raw(path).bytes();
  EventDescription d = DescribeEvent(Ev(kEvEfiBootServicesApplication, data, 4));
  std::string text =
      "PciRoot(0x0)/Pci(0x1f,0x2)/Sata(0x0,0xffff,0x0)/"
      "HD(1,GPT,1a504613-19b5-4b44-a83d-d926d40daa1c,0x800,0x80000)/\\EFI\\ubuntu\\shimx64.efi";
  EXPECT_EQ(d.kind, "uefi_image_load");
  EXPECT_EQ(Str(d, "device_path"), text);
  EXPECT_EQ(Str(d, "image_location"), "0xbe5a1018");
  EXPECT_EQ(Num(d, "image_length"), 1334816u);
  EXPECT_EQ(Str(d, "link_time_address"), "0x0");
  EXPECT_EQ(d.summary, text + " (1334816 bytes at 0xbe5a1018)");
}

TEST(DescribeTest, ImageLoadWithOversizedDevicePathIsMalformed) {
  Bytes data = Buf().U64(1).U64(2).U64(0).U64(1000).End().bytes();
  EventDescription d = DescribeEvent(Ev(kEvEfiBootServicesDriver, data, 2));
  EXPECT_EQ(d.malformed, "at offset 32: LengthOfDevicePath 1000 exceeds the 4 bytes left");
  EXPECT_EQ(Str(d, "image_location"), "0x1");
}

TEST(DescribeTest, DevicePathRendersCommonNodes) {
  Buf mac;
  mac.Raw(Bytes{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}).Raw(Bytes(26, 0)).U8(1);
  Buf ipv4;
  ipv4.Raw(Bytes{10, 0, 0, 2}).Raw(Bytes{10, 0, 0, 1}).U16(0).U16(0).U16(6).U8(0);
  EXPECT_EQ(DevicePathToText(Buf().Node(3, 0x0B, mac).Node(3, 0x0C, ipv4).End()),
            "MAC(525400123456,0x1)/IPv4(10.0.0.1,TCP,DHCP,10.0.0.2)");
  EXPECT_EQ(DevicePathToText(Buf().Node(3, 0x05, Bytes{1, 0}).Node(3, 0x02, Buf().U16(1).U16(0))),
            "USB(0x1,0x0)/Scsi(0x1,0x0)");
  Buf nvme;
  nvme.U32(1).Raw(Bytes{1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ(DevicePathToText(Buf().Node(3, 0x17, nvme)), "NVMe(0x1,08-07-06-05-04-03-02-01)");
  Buf mbr;
  mbr.U32(2).U64(0x800).U64(0x1000).U32(0xdeadbeef).Raw(Bytes(12, 0)).U8(1).U8(1);
  EXPECT_EQ(DevicePathToText(Buf().Node(4, 1, mbr)), "HD(2,MBR,0xdeadbeef,0x800,0x1000)");
  EXPECT_EQ(DevicePathToText(Buf().Node(4, 6, Buf().Guid(kDiskGuid))),
            "FvFile(1a504613-19b5-4b44-a83d-d926d40daa1c)");
  EXPECT_EQ(DevicePathToText(Buf().Node(4, 8, Buf().U32(0).U64(0xf250).U64(0x201ff))),
            "Offset(0xf250,0x201ff)");
  EXPECT_EQ(DevicePathToText(Buf().Node(1, 4, Buf().Guid(kDiskGuid).U8(0xAB))),
            "VenHw(1a504613-19b5-4b44-a83d-d926d40daa1c,ab)");
  EXPECT_EQ(DevicePathToText(Buf().Node(5, 1, Buf().U16(2).U16(0).Ascii("Disk").U8(0))),
            "BBS(HD,Disk,0x0)");
  // Non-PNP0A03 ACPI ids print their EISA id; a second instance follows ','.
  EXPECT_EQ(DevicePathToText(Buf()
                                 .Node(2, 1, Buf().U32(0x050141d0).U32(1))
                                 .U8(0x7F)
                                 .U8(0x01)
                                 .U16(4)
                                 .Node(2, 1, Buf().U32(0x0a0841d0).U32(0))),
            "Serial(0x1),PcieRoot(0x0)");
  EXPECT_EQ(DevicePathToText(Buf().Node(2, 1, Buf().U32(0x123441d0).U32(0))), "Acpi(PNP1234,0x0)");
  EXPECT_EQ(DevicePathToText(Buf().Node(3, 0x18, AsBytes("http://x/boot.efi"))),
            "Uri(http://x/boot.efi)");
}

TEST(DescribeTest, DevicePathPrintsUnknownNodesGenerically) {
  EXPECT_EQ(DevicePathToText(Buf().Node(0x33, 0x07, Bytes{0xde, 0xad}).End()), "Path(51,7,dead)");
  // A known node type whose body is too short falls back the same way.
  EXPECT_EQ(DevicePathToText(Buf().Node(1, 1, Bytes{1})), "Path(1,1,01)");
}

TEST(DescribeTest, DevicePathReportsMalformedNodes) {
  EXPECT_EQ(DevicePathToText(Bytes(8, 0)),
            "<malformed: node at offset 0 has length 0 (8 bytes left)>");
  EXPECT_EQ(DevicePathToText(Buf().Node(1, 1, Bytes{0, 3}).U8(4).U8(4).U16(200)),
            "Pci(0x3,0x0)/<malformed: node at offset 6 has length 200 (4 bytes left)>");
  EXPECT_EQ(DevicePathToText(Buf().Node(1, 1, Bytes{0, 3}).U8(4)),
            "Pci(0x3,0x0)/<malformed: at offset 7: need 1 bytes for node subtype, 0 left>");
  EXPECT_EQ(DevicePathToText(Bytes{}), "");
}

TEST(DescribeTest, DevicePathIsBounded) {
  Buf path;
  for (int i = 0; i < 1000; ++i) path.Node(1, 1, Bytes{0, 1});
  std::string text = DevicePathToText(path);
  EXPECT_LE(text.size(), 1200u);
  EXPECT_THAT(text, ::testing::EndsWith("/…"));
}

// ---------------------------------------------------------------------------
// Firmware blobs, handoff tables, GPT

TEST(DescribeTest, FirmwareBlobsShowBaseAndLength) {
  EventDescription d =
      DescribeEvent(Ev(kEvEfiPlatformFirmwareBlob, Buf().U64(0xffa90000).U64(0x350000)));
  EXPECT_EQ(d.kind, "firmware_blob");
  EXPECT_EQ(d.summary, "base 0xffa90000, length 0x350000");
  EXPECT_EQ(Str(d, "blob_base"), "0xffa90000");
  EXPECT_EQ(Num(d, "blob_length"), 0x350000u);

  d = DescribeEvent(
      Ev(kEvEfiPlatformFirmwareBlob2,
         Buf().U8(9).Ascii(std::string_view("Fv(XYZ)\0\0", 9)).U64(0x1000).U64(0x20)));
  EXPECT_EQ(d.kind, "firmware_blob2");
  EXPECT_EQ(Str(d, "description"), "Fv(XYZ)");
  EXPECT_EQ(d.summary, "\"Fv(XYZ)\" base 0x1000, length 0x20");

  d = DescribeEvent(Ev(kEvEfiPlatformFirmwareBlob2, Buf().U8(40).Ascii("short")));
  EXPECT_THAT(d.malformed, HasSubstr("need 40 bytes for BlobDescription"));
}

TEST(DescribeTest, PostCodeIsTextOrBlob) {
  EXPECT_EQ(DescribeEvent(Ev(kEvPostCode, AsBytes("ACPI DATA"))).summary, "\"ACPI DATA\"");
  EventDescription d = DescribeEvent(Ev(kEvPostCode, Buf().U64(0xff000000).U64(0x10000)));
  EXPECT_EQ(d.kind, "firmware_blob");
  EXPECT_EQ(d.summary, "base 0xff000000, length 0x10000");
}

TEST(DescribeTest, HandoffTablesNameWellKnownGuids) {
  Buf data;
  data.U64(2).Guid("f2fd1544-9794-4a2c-992e-e5bbcf20e394").U64(0x8fcb0000);
  data.Guid("12345678-0000-0000-0000-000000000000").U64(0x1000);
  EventDescription d = DescribeEvent(Ev(kEvEfiHandoffTables, data, 1));
  EXPECT_EQ(d.summary, "2 tables: SMBIOS3_TABLE, 12345678-0000-0000-0000-000000000000");
  EXPECT_THAT(List(d, "tables"),
              ElementsAre("f2fd1544-9794-4a2c-992e-e5bbcf20e394 (SMBIOS3_TABLE) at 0x8fcb0000",
                          "12345678-0000-0000-0000-000000000000 at 0x1000"));
}

TEST(DescribeTest, HandoffTablesAcceptThirtyTwoBitPointers) {
  Buf data;
  data.U64(1).Guid("eb9d2d31-2d88-11d3-9a16-0090273fc14d").U32(0xf0000);
  EventDescription d = DescribeEvent(Ev(kEvEfiHandoffTables, data, 1));
  EXPECT_THAT(List(d, "tables"),
              ElementsAre("eb9d2d31-2d88-11d3-9a16-0090273fc14d (SMBIOS_TABLE) at 0xf0000"));
}

TEST(DescribeTest, HandoffTables2HaveDescription) {
  Buf data;
  data.U8(3).Ascii("ABC").U64(0);
  EventDescription d = DescribeEvent(Ev(kEvEfiHandoffTables2, data, 1));
  EXPECT_EQ(d.summary, "\"ABC\" 0 tables");
}

TEST(DescribeTest, HandoffTableCountBeyondDataIsMalformed) {
  EventDescription d = DescribeEvent(Ev(kEvEfiHandoffTables, Buf().U64(1u << 30).U64(0), 1));
  EXPECT_THAT(d.malformed, HasSubstr("NumberOfTables 1073741824 does not fit"));
}

Bytes GptData(uint64_t partitions, uint32_t entry_size = 128) {
  Buf b;
  b.Ascii("EFI PART").U32(0x10000).U32(92).U32(0).U32(0);
  b.U64(1).U64(0xffff).U64(34).U64(0xffde).Guid(kDiskGuid).U64(2).U32(128).U32(entry_size).U32(0);
  b.U64(partitions);
  for (uint64_t i = 0; i < partitions; ++i) {
    Buf name;
    name.Utf16("EFI System");
    Bytes padded = name.bytes();
    padded.resize(72, 0);
    b.Guid("c12a7328-f81f-11d2-ba4b-00a0c93ec93b").Guid(kMicrosoft).U64(0x800).U64(0x1007ff);
    b.U64(0).Raw(padded).Raw(Bytes(entry_size - 128, 0));
  }
  return b.bytes();
}

TEST(DescribeTest, GptListsDiskAndPartitions) {
  EventDescription d = DescribeEvent(Ev(kEvEfiGptEvent, GptData(1), 5));
  EXPECT_EQ(d.kind, "gpt");
  EXPECT_EQ(d.summary, "disk 1a504613-19b5-4b44-a83d-d926d40daa1c, 1 partition");
  EXPECT_EQ(Num(d, "partition_count"), 1u);
  EXPECT_THAT(List(d, "partitions"),
              ElementsAre("1: \"EFI System\" EFI System Partition "
                          "77fa9abd-0359-4d32-bd60-28f4e78f784b LBA 0x800-0x1007ff"));
}

TEST(DescribeTest, GptWithTooManyPartitionsIsMalformed) {
  Bytes data = GptData(1);
  data[92] = 5;  // NumberOfPartitions = 5, one entry present
  EventDescription d = DescribeEvent(Ev(kEvEfiGptEvent, data, 5));
  EXPECT_THAT(d.malformed, HasSubstr("5 partitions of 128 bytes do not fit"));
  Bytes bad = GptData(0);
  bad[0] = 'X';
  EXPECT_THAT(DescribeEvent(Ev(kEvEfiGptEvent, bad, 5)).malformed, HasSubstr("EFI PART"));
}

// ---------------------------------------------------------------------------
// Separators, versions, strings

TEST(DescribeTest, SeparatorValues) {
  EXPECT_EQ(DescribeEvent(Ev(kEvSeparator, Buf().U32(0))).summary, "0x00000000 (separator)");
  EventDescription err = DescribeEvent(Ev(kEvSeparator, Buf().U32(1)));
  EXPECT_EQ(err.summary, "0x00000001 (error)");
  EXPECT_TRUE(std::get<bool>(*err.Find("error")));
  EXPECT_EQ(DescribeEvent(Ev(kEvSeparator, AsBytes("WBCL"))).summary, "\"WBCL\"");
  EXPECT_EQ(DescribeEvent(Ev(kEvSeparator, Buf().U32(0xffffffff))).summary, "ffffffff");
}

TEST(DescribeTest, CrtmVersionIsUcs2StringOrGuid) {
  EventDescription d = DescribeEvent(Ev(kEvSCrtmVersion, Buf().Utf16("N32ET68W ", true)));
  EXPECT_EQ(d.kind, "crtm_version");
  EXPECT_EQ(d.summary, "\"N32ET68W \"");
  d = DescribeEvent(Ev(kEvSCrtmVersion, Buf().Guid(kDiskGuid)));
  EXPECT_EQ(Str(d, "guid"), kDiskGuid);
  EXPECT_EQ(DescribeEvent(Ev(kEvSCrtmVersion, Bytes{0, 0})).summary, "\"\" (2 zero bytes)");
}

TEST(DescribeTest, StringEventsTrimNulsAndDecodeUtf16) {
  EXPECT_EQ(DescribeEvent(Ev(kEvEfiAction, AsBytes("Exit Boot Services Invocation"))).summary,
            "\"Exit Boot Services Invocation\"");
  Bytes grub = ToBytes(AsBytes("grub_cmd: linux /vmlinuz"));
  grub.push_back(0);
  EventDescription d = DescribeEvent(Ev(kEvIpl, grub, 8));
  EXPECT_EQ(d.kind, "text");
  EXPECT_EQ(Str(d, "text"), "grub_cmd: linux /vmlinuz");
  // systemd-boot: UTF-16LE with a NUL terminator and one extra NUL byte.
  Bytes sd = Buf().Utf16("initrd=\\initrd.img", true).U8(0).bytes();
  d = DescribeEvent(Ev(kEvIpl, sd, 12));
  EXPECT_EQ(Str(d, "text"), "initrd=\\initrd.img");
  EXPECT_EQ(Str(d, "encoding"), "utf-16le");
}

TEST(DescribeTest, BinaryStringEventFallsBackToHex) {
  EventDescription d = DescribeEvent(Ev(kEvCompactHash, Buf().U32(0x10)));
  EXPECT_EQ(d.kind, "hex");
  EXPECT_EQ(d.summary, "10000000");
  d = DescribeEvent(Ev(kEvNonhostInfo, Buf().Ascii("IntelCSxEInfoEvent").U8(0).U32(7)));
  EXPECT_EQ(Str(d, "signature"), "IntelCSxEInfoEvent");
  EXPECT_EQ(d.summary, "\"IntelCSxEInfoEvent\" + 5 bytes");
}

TEST(DescribeTest, ControlAndBidiCharactersAreEscaped) {
  EventDescription d = DescribeEvent(Ev(kEvIpl, AsBytes("a\x1b[31mb\xe2\x80\xae"
                                                        "c")));
  EXPECT_EQ(d.kind, "hex");  // escape sequences do not read as text
  Bytes name = Buf().Utf16("X").U16(0x1b).U16(0x202e).Utf16("Y").bytes();
  Bytes data = Buf().Guid(kGlobal).U64(4).U64(0).Raw(name).bytes();
  d = DescribeEvent(Ev(kEvEfiVariableBoot, data, 1));
  EXPECT_EQ(Str(d, "name"), "X\\x1b\\u{202e}Y");
  EXPECT_TRUE(IsCleanUtf8(d.summary));
}

TEST(DescribeTest, LongTextIsTruncated) {
  std::string s(5000, 'a');
  EventDescription d = DescribeEvent(Ev(kEvIpl, AsBytes(s), 8));
  EXPECT_EQ(Str(d, "text"), std::string(kMaxTextChars, 'a') + "…");
  ExpectWellFormed(d);
}

// ---------------------------------------------------------------------------
// EV_NO_ACTION, SIPA, TXT, tboot, unknown

Bytes SpecId03(uint32_t num_algs) {
  Buf b;
  b.Ascii(std::string_view("Spec ID Event03\0", 16)).U32(0).U8(0).U8(2).U8(0).U8(2);
  b.U32(num_algs).U16(0x0004).U16(20).U16(0x000B).U16(32).U8(0);
  return b.bytes();
}

TEST(DescribeTest, SpecIdEventSummary) {
  EventDescription d = DescribeEvent(Ev(kEvNoAction, SpecId03(2)));
  EXPECT_EQ(d.kind, "spec_id");
  EXPECT_EQ(d.summary,
            "Spec ID Event03: spec 2.0 errata 0, platform class 0, algorithms sha1, sha256");
  EXPECT_THAT(List(d, "algorithms"), ElementsAre("sha1 (20 bytes)", "sha256 (32 bytes)"));
  EXPECT_EQ(Num(d, "uintn_size"), 2u);
}

TEST(DescribeTest, SpecIdWithTooManyAlgorithmsIsMalformed) {
  EventDescription d = DescribeEvent(Ev(kEvNoAction, SpecId03(0x40000000)));
  EXPECT_THAT(d.malformed, HasSubstr("numberOfAlgorithms 1073741824 does not fit"));
}

TEST(DescribeTest, StartupLocalityEvent) {
  Bytes data = Buf().Ascii(std::string_view("StartupLocality\0", 16)).U8(3).bytes();
  EventDescription d = DescribeEvent(Ev(kEvNoAction, data));
  EXPECT_EQ(d.kind, "startup_locality");
  EXPECT_EQ(d.summary, "StartupLocality 3");
  EXPECT_EQ(Num(d, "locality"), 3u);
  data.pop_back();
  EXPECT_THAT(DescribeEvent(Ev(kEvNoAction, data)).malformed,
              HasSubstr("need 1 bytes for StartupLocality"));
}

TEST(DescribeTest, Sp800155EventShowsManufacturerAndManifest) {
  Buf b;
  b.Ascii(std::string_view("SP800-155 Event\0", 16)).U32(343).Guid(kDiskGuid);
  b.U8(4).Ascii("Acme").U8(2).Ascii("X1").U8(1).Ascii("3").U8(3).Ascii("AMI").U32(9);
  b.U8(4).Ascii("1.02");
  EventDescription d = DescribeEvent(Ev(kEvNoAction, b));
  EXPECT_EQ(d.kind, "sp800_155");
  EXPECT_EQ(Num(d, "manufacturer_id"), 343u);
  EXPECT_EQ(Str(d, "reference_manifest_guid"), kDiskGuid);
  EXPECT_EQ(Str(d, "platform_manufacturer"), "Acme");
  EXPECT_EQ(Str(d, "firmware_version"), "1.02");
}

TEST(DescribeTest, UnknownNoActionIsTextOrHex) {
  EXPECT_EQ(DescribeEvent(Ev(kEvNoAction, AsBytes("hello"))).summary, "\"hello\"");
  EXPECT_EQ(DescribeEvent(Ev(kEvNoAction, Bytes{1, 2, 3})).kind, "no_action");
}

TEST(DescribeTest, SipaEventsListNestedEntries) {
  Buf path;
  path.Utf16("\\Windows\\system32\\winload.efi", true);
  Buf module;
  module.U32(0x00070001).U32(static_cast<uint32_t>(path.size())).Raw(path);
  module.U32(0x00070002).U32(8).U64(0x1000);
  Buf data;
  data.U32(0x00020002).U32(8).U64(7);
  data.U32(0x40010003).U32(static_cast<uint32_t>(module.size())).Raw(module);
  EventDescription d = DescribeEvent(Ev(kEvEventTag, data, 12));
  EXPECT_EQ(d.kind, "sipa");
  EXPECT_EQ(d.summary, "4 SIPA entries: \\Windows\\system32\\winload.efi");
  EXPECT_THAT(
      List(d, "entries"),
      ElementsAre("BOOTCOUNTER = 0x7", "LOADEDMODULE_AGGREGATION (84 bytes)",
                  "  FILEPATH = \"\\Windows\\system32\\winload.efi\"", "  IMAGESIZE = 0x1000"));
}

TEST(DescribeTest, TruncatedSipaEventIsMalformed) {
  Buf data;
  data.U32(0x40010001).U32(100).U32(0);
  EventDescription d = DescribeEvent(Ev(kEvEventTag, data, 12));
  EXPECT_EQ(d.malformed, "at offset 8: need 100 bytes for SIPA event data, 4 left");
}

TEST(DescribeTest, SipaNestingIsBounded) {
  // Each level is an aggregation containing the next; deeper than allowed.
  Bytes inner;
  for (int i = 0; i < 20; ++i) {
    inner = Buf().U32(0x40010001).U32(static_cast<uint32_t>(inner.size())).Raw(inner).bytes();
  }
  EventDescription d = DescribeEvent(Ev(kEvEventTag, inner, 12));
  EXPECT_THAT(d.malformed, HasSubstr("nested too deeply"));
}

TEST(DescribeTest, TxtEventsShowValuesOrHex) {
  EventDescription d = DescribeEvent(Ev(0x40b, Buf().U32(1), 17));
  EXPECT_EQ(d.kind, "txt");
  EXPECT_EQ(d.summary, "value 0x1");
  EXPECT_EQ(DescribeEvent(Ev(0x404, Bytes{}, 17)).summary, "(no data)");
  EXPECT_EQ(DescribeEvent(Ev(0x40a, Bytes(3, 0xab), 17)).summary, "ababab");
}

TEST(DescribeTest, TbootEventHasNoData) {
  EventDescription d = DescribeEvent(Ev(kEvTboot, Bytes{}, 17));
  EXPECT_EQ(d.kind, "tboot");
  EXPECT_THAT(d.summary, HasSubstr("no data"));
}

TEST(DescribeTest, UnknownTypeIsBoundedHex) {
  Bytes data(100, 0x5a);
  EventDescription d = DescribeEvent(Ev(0x7777, data));
  EXPECT_EQ(d.kind, "hex");
  EXPECT_EQ(Str(d, "data"), HexEncode(Bytes(64, 0x5a)) + "… (100 bytes)");
  EXPECT_EQ(d.summary, HexEncode(Bytes(32, 0x5a)) + "… (100 bytes)");
  EXPECT_EQ(DescribeEvent(Ev(0x7777, Bytes{})).kind, "empty");
}

// Random bytes under every decoder: never a crash, always clean and bounded.
TEST(DescribeTest, RandomDataAlwaysYieldsWellFormedDescriptions) {
  const uint32_t types[] = {kEvPostCode,
                            kEvNoAction,
                            kEvSeparator,
                            kEvAction,
                            kEvEventTag,
                            kEvSCrtmVersion,
                            kEvIpl,
                            kEvEfiVariableDriverConfig,
                            kEvEfiVariableBoot,
                            kEvEfiBootServicesApplication,
                            kEvEfiGptEvent,
                            kEvEfiPlatformFirmwareBlob2,
                            kEvEfiHandoffTables,
                            kEvEfiHandoffTables2,
                            kEvEfiVariableAuthority,
                            0x401,
                            kEvTboot,
                            0xdeadbeef};
  std::mt19937 rng(1234);
  for (uint32_t type : types) {
    for (int round = 0; round < 300; ++round) {
      Bytes data(rng() % 200);
      for (uint8_t& b : data) b = static_cast<uint8_t>(rng() % 4 == 0 ? 0 : rng());
      EventDescription d = DescribeEvent(Ev(type, data, kPcrNotExtended));
      ExpectWellFormed(d);
    }
  }
  // Structured prefixes with random tails exercise the deeper decoders.
  for (int round = 0; round < 2000; ++round) {
    Bytes tail(rng() % 120);
    for (uint8_t& b : tail) b = static_cast<uint8_t>(rng() % 3 == 0 ? rng() % 8 : rng());
    Bytes option =
        Buf().U32(1).U16(static_cast<uint16_t>(tail.size())).Utf16("x", true).Raw(tail).bytes();
    ExpectWellFormed(DescribeEvent(Ev(kEvEfiVariableBoot, Variable(kGlobal, "Boot0001", option))));
    ExpectWellFormed(
        DescribeEvent(Ev(kEvEfiVariableDriverConfig, Variable(kSecurityDb, "db", tail))));
    EXPECT_LE(DevicePathToText(tail).size(), 1200u);
  }
}

// ---------------------------------------------------------------------------
// Real logs

TEST(DescribeFixturesTest, EveryEventOfEveryLogIsDescribed) {
  VOUCH_REQUIRE_FIXTURES(root);
  size_t logs = 0;
  size_t events = 0;
  for (const std::filesystem::path& file : testing::EventLogFixtures(root)) {
    SCOPED_TRACE(file.filename().string());
    ASSERT_OK_AND_ASSIGN(Bytes bytes, testing::ReadFileBytes(file));
    ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(bytes));
    ++logs;
    for (const Event& e : log.EventsUnverifiedForDebug()) {
      SCOPED_TRACE("event " + std::to_string(e.index));
      EventDescription d = DescribeEvent(e);
      ExpectWellFormed(d);
      // Real firmware data all decodes; a "malformed" here is a decoder bug.
      EXPECT_THAT(d.malformed, IsEmpty()) << EventTypeName(e.type);
      ++events;
      // Every prefix of the data also describes without trouble.
      if (e.data.size() < 600) {
        for (size_t n = 0; n < e.data.size(); ++n) {
          Event cut = e;
          cut.data = e.data.first(n);
          ExpectWellFormed(DescribeEvent(cut));
        }
      }
    }
  }
  EXPECT_GE(logs, 30u);
  EXPECT_GE(events, 2000u);
}

// Describes event `index` of fixture `name`.
Result<EventDescription> DescribeFixtureEvent(const std::filesystem::path& root,
                                              std::string_view name, size_t index) {
  VOUCH_ASSIGN_OR_RETURN(Bytes bytes, testing::ReadFileBytes(root / "eventlogs" / name));
  VOUCH_ASSIGN_OR_RETURN(UnverifiedEventLog log, ParseEventLog(bytes));
  if (index >= log.size()) return NotFoundError("no event " + std::to_string(index));
  return DescribeEvent(log.EventsUnverifiedForDebug()[index]);
}

// Values checked against the fixtures' tpm2_eventlog / upstream YAML files.
TEST(DescribeFixturesTest, KnownValuesOfRealLogs) {
  VOUCH_REQUIRE_FIXTURES(root);
  // gotpmtools__arch-linux-workstation.bin: SecureBoot with 0 bytes (event 3),
  // systemd-boot loaded from the SATA disk (event 22).
  ASSERT_OK_AND_ASSIGN(EventDescription sb,
                       DescribeFixtureEvent(root, "gotpmtools__arch-linux-workstation.bin", 3));
  EXPECT_EQ(sb.summary, "SecureBoot: empty (0 bytes)");
  ASSERT_OK_AND_ASSIGN(EventDescription app,
                       DescribeFixtureEvent(root, "gotpmtools__arch-linux-workstation.bin", 22));
  EXPECT_EQ(Str(app, "device_path"),
            "PciRoot(0x0)/Pci(0x17,0x0)/Sata(0x1,0xffff,0x0)/"
            "HD(1,GPT,1a504613-19b5-4b44-a83d-d926d40daa1c,0x800,0x80000)/"
            "\\EFI\\SYSTEMD\\SYSTEMD-BOOTX64.EFI");
  EXPECT_EQ(Str(app, "image_location"), "0xb6124018");
  // gotpmtools__ubuntu-2104-no-dbx.bin (upstream_pretty.yaml event 23):
  // shim from the GCE persistent disk; SecureBoot "Enabled: No".
  ASSERT_OK_AND_ASSIGN(EventDescription shim,
                       DescribeFixtureEvent(root, "gotpmtools__ubuntu-2104-no-dbx.bin", 23));
  EXPECT_EQ(Str(shim, "device_path"),
            "PciRoot(0x0)/Pci(0x3,0x0)/Scsi(0x1,0x0)/"
            "HD(15,GPT,6ea6f740-25ef-4269-838d-1a6f21ebf27f,0x2800,0x35000)/"
            "\\EFI\\ubuntu\\shimx64.efi");
  ASSERT_OK_AND_ASSIGN(EventDescription boot,
                       DescribeFixtureEvent(root, "gotpmtools__ubuntu-2104-no-dbx.bin", 10));
  EXPECT_EQ(Str(boot, "description"), "ubuntu");
  // goattest__windows_gcp_shielded_vm.bin: SecureBoot = 1 (event 1), SIPA
  // loaded-module aggregation for winload.efi (event 12).
  ASSERT_OK_AND_ASSIGN(EventDescription win_sb,
                       DescribeFixtureEvent(root, "goattest__windows_gcp_shielded_vm.bin", 1));
  EXPECT_EQ(win_sb.summary, "SecureBoot: enabled");
  ASSERT_OK_AND_ASSIGN(EventDescription sipa,
                       DescribeFixtureEvent(root, "goattest__windows_gcp_shielded_vm.bin", 12));
  EXPECT_EQ(Str(sipa, "file_path"), "\\Windows\\system32\\winload.efi");
  // gotpmtools__glinux-alex.bin: StartupLocality 3 (event 1).
  ASSERT_OK_AND_ASSIGN(EventDescription loc,
                       DescribeFixtureEvent(root, "gotpmtools__glinux-alex.bin", 1));
  EXPECT_EQ(loc.summary, "StartupLocality 3");
  // isecl__txt_heap_info.eventlog.bin: EVTYPE_OSSINITDATA_CAP_HASH value and
  // tboot's data-less events.
  ASSERT_OK_AND_ASSIGN(EventDescription cap,
                       DescribeFixtureEvent(root, "isecl__txt_heap_info.eventlog.bin", 7));
  EXPECT_EQ(cap.summary, "value 0x201");
  ASSERT_OK_AND_ASSIGN(EventDescription tboot,
                       DescribeFixtureEvent(root, "isecl__txt_heap_info.eventlog.bin", 16));
  EXPECT_EQ(tboot.kind, "tboot");
  // guard__tpm2_windows_lenovo_yogax1v2: Windows trust point (AIK) in an
  // EV_NO_ACTION event on PCR 0xFFFFFFFF (event 53).
  ASSERT_OK_AND_ASSIGN(EventDescription aik,
                       DescribeFixtureEvent(root, "guard__tpm2_windows_lenovo_yogax1v2", 53));
  EXPECT_EQ(aik.kind, "sipa");
  EXPECT_THAT(List(aik, "entries"), ::testing::Contains("  AIKID = \"Windows AIK\""));
}

}  // namespace
}  // namespace vouch::eventlog
