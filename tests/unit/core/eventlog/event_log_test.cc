#include "core/eventlog/event_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "tests/testing/status_matchers.h"
#include "tests/unit/core/eventlog/log_builder.h"

namespace vouch::eventlog {
namespace {

using testing::AlgSize;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kAlgSha1;
using testing::kAlgSha256;
using testing::LogBuilder;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

constexpr uint32_t kEvEfiBootServicesApplication = 0x80000003;

Bytes Repeat(uint8_t value, size_t n) { return Bytes(n, value); }

LogBuilder SmallAgileLog() {
  LogBuilder b = LogBuilder::Agile();
  b.Event(0, kEvSCrtmVersion, "version")
      .Event(7, kEvEfiVariableDriverConfig, "secureboot")
      .Event(4, kEvEfiBootServicesApplication, "app")
      .Event(4, kEvSeparator, std::string_view("\0\0\0\0", 4));
  return b;
}

LogBuilder SmallLegacyLog() {
  LogBuilder b = LogBuilder::Legacy();
  b.Event(0, kEvSCrtmVersion, "version")
      .Event(7, kEvEfiVariableDriverConfig, "secureboot")
      .Event(4, kEvSeparator, std::string_view("\0\0\0\0", 4));
  return b;
}

bool HasWarningContaining(const UnverifiedEventLog& log, std::string_view text) {
  for (const std::string& w : log.warnings()) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(ParseEventLogTest, ParsesCryptoAgileLog) {
  LogBuilder b = SmallAgileLog();
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(b.bytes()));
  EXPECT_EQ(log.format(), LogFormat::kCryptoAgile);
  EXPECT_THAT(log.banks(), ElementsAre(HashAlg::kSha1, HashAlg::kSha256));
  ASSERT_TRUE(log.spec_id().has_value());
  EXPECT_EQ(log.spec_id()->signature, "Spec ID Event03");
  EXPECT_EQ(log.spec_id()->spec_version_major, 2);
  EXPECT_EQ(log.spec_id()->uintn_size, 2);
  ASSERT_EQ(log.spec_id()->algorithms.size(), 2u);
  EXPECT_EQ(log.spec_id()->algorithms[1].alg_id, kAlgSha256);
  EXPECT_EQ(log.spec_id()->algorithms[1].digest_size, 32);
  EXPECT_EQ(log.startup_locality(), std::nullopt);
  EXPECT_EQ(log.trailing_padding(), 0u);
  EXPECT_THAT(log.warnings(), IsEmpty());
  ASSERT_EQ(log.size(), 5u);

  const auto& events = log.EventsUnverifiedForDebug();
  EXPECT_EQ(events[0].type, kEvNoAction);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].index, i);
    EXPECT_EQ(events[i].offset, b.starts()[i]);
  }
  const Event& app = events[3];
  EXPECT_EQ(app.pcr, 4u);
  EXPECT_EQ(app.type, kEvEfiBootServicesApplication);
  EXPECT_EQ(ToBytes(app.data), ToBytes("app"));
  ASSERT_EQ(app.digests.size(), 2u);
  EXPECT_EQ(app.digests[0].alg, HashAlg::kSha1);
  ASSERT_NE(app.DigestFor(HashAlg::kSha256), nullptr);
  EXPECT_EQ(ToBytes(*app.DigestFor(HashAlg::kSha256)),
            LogBuilder::DigestOf(kAlgSha256, 32, AsBytes(std::string_view("app"))));
  EXPECT_EQ(app.DigestFor(HashAlg::kSha384), nullptr);
}

TEST(ParseEventLogTest, ParsesSha1LegacyLog) {
  LogBuilder b = SmallLegacyLog();
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(b.bytes()));
  EXPECT_EQ(log.format(), LogFormat::kSha1Legacy);
  EXPECT_FALSE(log.spec_id().has_value());
  EXPECT_THAT(log.banks(), ElementsAre(HashAlg::kSha1));
  ASSERT_EQ(log.size(), 3u);
  const Event& ev = log.EventsUnverifiedForDebug()[1];
  EXPECT_EQ(ev.pcr, 7u);
  EXPECT_EQ(ev.type, kEvEfiVariableDriverConfig);
  EXPECT_EQ(ev.offset, b.starts()[1]);
  ASSERT_EQ(ev.digests.size(), 1u);
  EXPECT_EQ(ToBytes(ev.digests[0].digest),
            LogBuilder::DigestOf(kAlgSha1, 20, AsBytes(std::string_view("secureboot"))));
}

TEST(ParseEventLogTest, TreatsSpecIdSignatureWithoutAgileHeaderAsLegacy) {
  Bytes data = ToBytes(std::string_view("Spec ID Event03\0 rest", 21));
  LogBuilder b = LogBuilder::Legacy();
  b.LegacyEvent(1, kEvNoAction, Bytes(20, 0), data).Event(0, kEvSeparator, "x");
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(b.bytes()));
  EXPECT_EQ(log.format(), LogFormat::kSha1Legacy);
  EXPECT_EQ(log.size(), 2u);
  EXPECT_TRUE(HasWarningContaining(log, "parsed as a SHA-1 log"));
}

TEST(ParseEventLogTest, RecordsStartupLocality) {
  LogBuilder b = LogBuilder::Agile();
  b.StartupLocality(3).Event(0, kEvSCrtmVersion, "v");
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(b.bytes()));
  EXPECT_EQ(log.startup_locality(), 3);
  EXPECT_EQ(log.size(), 3u);
}

TEST(ParseEventLogTest, IgnoresMalformedStartupLocalityWithWarning) {
  LogBuilder b = LogBuilder::Agile();
  b.NoActionEvent(0, AsBytes(std::string_view("StartupLocality\0\3\3", 18)));
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(b.bytes()));
  EXPECT_EQ(log.startup_locality(), std::nullopt);
  EXPECT_TRUE(HasWarningContaining(log, "malformed StartupLocality"));
}

TEST(ParseEventLogTest, KeepsSp800155EventAsNoAction) {
  LogBuilder b = LogBuilder::Agile();
  b.NoActionEvent(0, AsBytes(std::string_view("SP800-155 Event\0rim-data", 24)))
      .Event(0, kEvSCrtmVersion, "v");
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(b.bytes()));
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log.EventsUnverifiedForDebug()[1].type, kEvNoAction);
  EXPECT_EQ(log.startup_locality(), std::nullopt);
}

TEST(ParseEventLogTest, StopsAtZeroPadding) {
  LogBuilder b = SmallAgileLog();
  b.Raw(Repeat(0x00, 100));
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(b.bytes()));
  EXPECT_EQ(log.size(), 5u);
  EXPECT_EQ(log.trailing_padding(), 100u);
}

TEST(ParseEventLogTest, StopsAtFfPadding) {
  LogBuilder b = SmallLegacyLog();
  b.Raw(Repeat(0xFF, 4096));
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(b.bytes()));
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(log.trailing_padding(), 4096u);
}

TEST(ParseEventLogTest, StopsAtPaddingShorterThanAHeader) {
  LogBuilder b = SmallAgileLog();
  b.Raw(Repeat(0xFF, 3));
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(b.bytes()));
  EXPECT_EQ(log.size(), 5u);
  EXPECT_EQ(log.trailing_padding(), 3u);
}

TEST(ParseEventLogTest, RejectsGarbageAfterLastEvent) {
  LogBuilder b = SmallAgileLog();
  b.Raw(AsBytes(std::string_view("\x01\x02\x03", 3)));
  EXPECT_THAT(ParseEventLog(b.bytes()),
              StatusIs(Code::kInvalidArgument, HasSubstr("event 5: need 4 bytes for PCR index")));
}

TEST(ParseEventLogTest, RejectsPaddingFollowedByData) {
  LogBuilder b = SmallLegacyLog();
  b.Raw(Repeat(0xFF, 40)).Raw(Bytes{0x01});
  EXPECT_THAT(ParseEventLog(b.bytes()), StatusIs(Code::kInvalidArgument));
}

TEST(ParseEventLogTest, RejectsEmptyInput) {
  EXPECT_THAT(ParseEventLog(Bytes{}), StatusIs(Code::kInvalidArgument, HasSubstr("empty")));
}

TEST(ParseEventLogTest, RejectsInputOfOnlyPadding) {
  EXPECT_THAT(ParseEventLog(Repeat(0x00, 64)),
              StatusIs(Code::kInvalidArgument, HasSubstr("only padding")));
  EXPECT_THAT(ParseEventLog(Repeat(0xFF, 64)),
              StatusIs(Code::kInvalidArgument, HasSubstr("only padding")));
}

// Cutting a valid log anywhere gives either a clean parse of the events
// before the cut (at an event boundary, or when the bytes after the last
// boundary could be padding) or InvalidArgument; never a crash.
void ExpectEveryTruncationHandled(const LogBuilder& b, size_t total_events) {
  const Bytes& full = b.bytes();
  std::set<size_t> starts(b.starts().begin(), b.starts().end());
  for (size_t n = 1; n < full.size(); ++n) {
    ByteView prefix(full.data(), n);
    auto r = ParseEventLog(prefix);
    size_t complete = 0;  // events that end at or before n
    size_t last_boundary = 0;
    for (size_t i = 0; i < b.starts().size(); ++i) {
      size_t end = i + 1 < b.starts().size() ? b.starts()[i + 1] : full.size();
      if (end <= n) {
        complete = i + 1;
        last_boundary = end;
      }
    }
    bool rest_is_padding = last_boundary < n && complete > 0;
    for (size_t i = last_boundary; i < n && rest_is_padding; ++i) {
      rest_is_padding =
          prefix[i] == prefix[last_boundary] && (prefix[i] == 0x00 || prefix[i] == 0xFF);
    }
    if ((starts.count(n) != 0 && complete > 0) || rest_is_padding) {
      ASSERT_TRUE(r.has_value()) << "cut at " << n << ": " << r.status().ToString();
      EXPECT_EQ(r->size(), complete) << "cut at " << n;
      EXPECT_EQ(r->trailing_padding(), n - last_boundary) << "cut at " << n;
    } else {
      EXPECT_THAT(r, StatusIs(Code::kInvalidArgument)) << "cut at " << n;
    }
  }
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(full));
  EXPECT_EQ(log.size(), total_events);
}

TEST(ParseEventLogTest, HandlesTruncationAtEveryOffsetOfAgileLog) {
  LogBuilder b = SmallAgileLog();
  b.StartupLocality(3);
  ExpectEveryTruncationHandled(b, 6);
}

TEST(ParseEventLogTest, HandlesTruncationAtEveryOffsetOfLegacyLog) {
  ExpectEveryTruncationHandled(SmallLegacyLog(), 3);
}

TEST(ParseEventLogTest, RejectsEventDataSizeBeyondInput) {
  LogBuilder b = LogBuilder::Agile();
  b.Event(0, kEvSCrtmVersion, "v");
  const size_t start = b.bytes().size();
  // PCR 4 application event: header, two digests, then a size of 0xFFFFFFFF.
  b.AgileEvent(4, kEvEfiBootServicesApplication,
               {{kAlgSha1, Bytes(20, 1)}, {kAlgSha256, Bytes(32, 2)}}, {});
  Bytes data = b.bytes();
  const size_t size_offset = data.size() - 4;
  for (size_t i = 0; i < 4; ++i) data[size_offset + i] = 0xFF;
  data.insert(data.end(), 812, 0x5A);
  EXPECT_THAT(ParseEventLog(data),
              StatusIs(Code::kInvalidArgument,
                       "at offset " + std::to_string(size_offset) +
                           ": event 2 (PCR 4, EV_EFI_BOOT_SERVICES_APPLICATION): event data "
                           "size 4294967295 exceeds remaining 812 bytes"));
  EXPECT_GT(size_offset, start);
}

TEST(ParseEventLogTest, RejectsEventDataAboveLimit) {
  LogBuilder b = LogBuilder::Legacy();
  b.Event(0, kEvSCrtmVersion, Bytes(2000, 7));
  ParseOptions options;
  options.max_event_data = 1000;
  EXPECT_THAT(ParseEventLog(b.bytes(), options),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("event data size 2000 exceeds the limit of 1000 bytes")));
}

TEST(ParseEventLogTest, RejectsMoreEventsThanLimit) {
  LogBuilder b = SmallLegacyLog();
  ParseOptions options;
  options.max_events = 2;
  EXPECT_THAT(ParseEventLog(b.bytes(), options),
              StatusIs(Code::kInvalidArgument, HasSubstr("more than 2 events")));
  options.max_events = 3;
  EXPECT_THAT(ParseEventLog(b.bytes(), options), IsOk());
}

TEST(ParseEventLogTest, RejectsLogAboveSizeLimit) {
  LogBuilder b = SmallLegacyLog();
  ParseOptions options;
  options.max_log_size = b.bytes().size() - 1;
  EXPECT_THAT(ParseEventLog(b.bytes(), options),
              StatusIs(Code::kInvalidArgument, HasSubstr("exceeds the limit")));
}

TEST(ParseEventLogTest, SkipsUnknownSpecIdAlgorithmWithWarning) {
  LogBuilder b = LogBuilder::Agile({{kAlgSha1, 20}, {0x0099, 24}, {kAlgSha256, 32}});
  b.Event(0, kEvSCrtmVersion, "v").Event(7, kEvSeparator, "sep");
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(b.bytes()));
  EXPECT_THAT(log.banks(), ElementsAre(HashAlg::kSha1, HashAlg::kSha256));
  EXPECT_TRUE(HasWarningContaining(log, "unknown algorithm 0x0099"));
  ASSERT_EQ(log.size(), 3u);
  const Event& ev = log.EventsUnverifiedForDebug()[2];
  ASSERT_EQ(ev.digests.size(), 2u);
  EXPECT_EQ(ev.digests[1].alg, HashAlg::kSha256);
  EXPECT_EQ(ToBytes(ev.digests[1].digest),
            LogBuilder::DigestOf(kAlgSha256, 32, AsBytes(std::string_view("sep"))));
  EXPECT_EQ(log.spec_id()->algorithms.size(), 3u);
}

TEST(ParseEventLogTest, RejectsKnownAlgorithmWithWrongDigestSize) {
  LogBuilder b = LogBuilder::Agile({{kAlgSha1, 20}, {kAlgSha256, 20}});
  EXPECT_THAT(ParseEventLog(b.bytes()),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("event 0 (PCR 0, EV_NO_ACTION): Spec ID event: algorithm "
                                 "sha256 declared with digest size 20, expected 32")));
}

TEST(ParseEventLogTest, RejectsAlgorithmDeclaredTwice) {
  LogBuilder b = LogBuilder::Agile({{kAlgSha256, 32}, {kAlgSha256, 32}});
  EXPECT_THAT(ParseEventLog(b.bytes()),
              StatusIs(Code::kInvalidArgument, HasSubstr("listed twice")));
}

TEST(ParseEventLogTest, RejectsAlgorithmCountOutOfRange) {
  EXPECT_THAT(ParseEventLog(LogBuilder::Agile({}).bytes()),
              StatusIs(Code::kInvalidArgument, HasSubstr("numberOfAlgorithms 0 out of range")));
  std::vector<AlgSize> many(33, AlgSize{0x0100, 1});
  for (size_t i = 0; i < many.size(); ++i) many[i].id = static_cast<uint16_t>(0x100 + i);
  EXPECT_THAT(ParseEventLog(LogBuilder::Agile(many).bytes()),
              StatusIs(Code::kInvalidArgument, HasSubstr("numberOfAlgorithms 33 out of range")));
}

TEST(ParseEventLogTest, RejectsAlgorithmCountBeyondSpecIdData) {
  Bytes data = LogBuilder::Agile({{kAlgSha256, 32}}).bytes();
  // numberOfAlgorithms sits at 32 (header) + 24 in the Spec ID data: claim 20.
  data[32 + 24] = 20;
  EXPECT_THAT(ParseEventLog(data),
              StatusIs(Code::kInvalidArgument, HasSubstr("bytes for digest sizes")));
}

TEST(ParseEventLogTest, RejectsTruncatedVendorInfo) {
  Bytes data = LogBuilder::Agile({{kAlgSha256, 32}}, Bytes{1, 2, 3}).bytes();
  data[data.size() - 4] = 200;  // vendorInfoSize
  EXPECT_THAT(ParseEventLog(data),
              StatusIs(Code::kInvalidArgument, HasSubstr("bytes for vendorInfo")));
}

TEST(ParseEventLogTest, KeepsVendorInfo) {
  ASSERT_OK_AND_ASSIGN(
      UnverifiedEventLog log,
      ParseEventLog(LogBuilder::Agile({{kAlgSha256, 32}}, Bytes{1, 2, 3}).bytes()));
  EXPECT_EQ(log.spec_id()->vendor_info, (Bytes{1, 2, 3}));
}

TEST(ParseEventLogTest, RejectsUndeclaredUnknownAlgorithmInEvent) {
  LogBuilder b = LogBuilder::Agile();
  b.AgileEvent(0, kEvSCrtmVersion, {{0x0099, Bytes(4, 0)}}, {});
  EXPECT_THAT(ParseEventLog(b.bytes()),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("event 1 (PCR 0, EV_S_CRTM_VERSION): digest algorithm 0x0099 "
                                 "is neither known nor declared")));
}

TEST(ParseEventLogTest, SkipsUndeclaredKnownAlgorithmWithWarning) {
  LogBuilder b = LogBuilder::Agile({{kAlgSha256, 32}});
  b.AgileEvent(0, kEvSCrtmVersion,
               {{kAlgSha256, Bytes(32, 1)}, {testing::kAlgSha384, Bytes(48, 2)}}, {});
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(b.bytes()));
  const Event& ev = log.EventsUnverifiedForDebug()[1];
  ASSERT_EQ(ev.digests.size(), 1u);
  EXPECT_EQ(ev.digests[0].alg, HashAlg::kSha256);
  EXPECT_TRUE(HasWarningContaining(log, "sha384 digest not declared"));
}

TEST(ParseEventLogTest, ToleratesFewerDigestsThanDeclaredWithWarning) {
  LogBuilder b = LogBuilder::Agile();
  b.AgileEvent(5, kEvEfiAction, {{kAlgSha256, Bytes(32, 1)}}, AsBytes(std::string_view("x")));
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(b.bytes()));
  const Event& ev = log.EventsUnverifiedForDebug()[1];
  ASSERT_EQ(ev.digests.size(), 1u);
  EXPECT_EQ(ev.DigestFor(HashAlg::kSha1), nullptr);
  EXPECT_TRUE(HasWarningContaining(log, "event 1 (PCR 5, EV_EFI_ACTION): 1 digests"));
}

TEST(ParseEventLogTest, RejectsSameAlgorithmTwiceInEvent) {
  LogBuilder b = LogBuilder::Agile({{kAlgSha256, 32}});
  b.AgileEvent(0, kEvSCrtmVersion, {{kAlgSha256, Bytes(32, 1)}, {kAlgSha256, Bytes(32, 2)}}, {});
  EXPECT_THAT(ParseEventLog(b.bytes()),
              StatusIs(Code::kInvalidArgument, HasSubstr("second sha256 digest")));
}

TEST(ParseEventLogTest, RejectsHugeDigestCountWithoutAllocating) {
  LogBuilder b = LogBuilder::Agile();
  b.AgileEvent(0, kEvSCrtmVersion, {}, {});
  Bytes data = b.bytes();
  const size_t count_offset = b.starts()[1] + 8;
  for (size_t i = 0; i < 4; ++i) data[count_offset + i] = 0xFF;
  EXPECT_THAT(ParseEventLog(data),
              StatusIs(Code::kInvalidArgument,
                       "at offset " + std::to_string(count_offset) +
                           ": event 1 (PCR 0, EV_S_CRTM_VERSION): digest count 4294967295 "
                           "exceeds 32"));
}

TEST(ParseEventLogTest, KeepsEventsForPcrFfffffff) {
  LogBuilder b = LogBuilder::Agile();
  b.Event(0, kEvSCrtmVersion, "v").Event(kPcrNotExtended, kEvEventTag, "wbcl");
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(b.bytes()));
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log.EventsUnverifiedForDebug()[2].pcr, kPcrNotExtended);
}

TEST(ParseEventLogTest, RejectsPcrIndexOutOfRange) {
  LogBuilder b = LogBuilder::Agile();
  b.Event(0, kEvSCrtmVersion, "v").Event(24, kEvSeparator, "x");
  EXPECT_THAT(ParseEventLog(b.bytes()),
              StatusIs(Code::kInvalidArgument,
                       "at offset " + std::to_string(b.starts()[2]) +
                           ": event 2 (PCR 24, EV_SEPARATOR): PCR index 24 out of range (0-23, "
                           "or 0xffffffff for events that are never extended)"));
}

TEST(ParseEventLogTest, AcceptsAnyPcrIndexOnNoActionEvents) {
  LogBuilder b = LogBuilder::Legacy();
  b.Event(0, kEvSCrtmVersion, "v").NoActionEvent(30, AsBytes(std::string_view("note")));
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(b.bytes()));
  EXPECT_EQ(log.EventsUnverifiedForDebug()[1].pcr, 30u);
}

TEST(ParseEventLogTest, ReportsTruncatedDigestWithEventContext) {
  LogBuilder b = LogBuilder::Legacy();
  b.Event(0, kEvSCrtmVersion, "v");
  Bytes data = b.bytes();
  LogBuilder::U32(data, 2);
  LogBuilder::U32(data, kEvSeparator);
  data.insert(data.end(), 7, 0x11);
  EXPECT_THAT(ParseEventLog(data),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("event 1 (PCR 2, EV_SEPARATOR): need 20 bytes for sha1 digest, "
                                 "7 left")));
}

// Hostile input: many all-zero legacy events (which look like padding at each
// boundary) ending in one non-zero byte. The padding check must stay linear.
TEST(ParseEventLogTest, StaysLinearOnZeroEventsFollowedByGarbage) {
  LogBuilder b = LogBuilder::Legacy();
  b.Event(0, kEvSCrtmVersion, "v");
  b.Raw(Repeat(0x00, 32 * 200000)).Raw(Bytes{0x01});
  auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(ParseEventLog(b.bytes()), StatusIs(Code::kInvalidArgument));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(ParseEventLogTest, CapsWarnings) {
  LogBuilder b = LogBuilder::Agile();
  for (int i = 0; i < 200; ++i) b.AgileEvent(5, kEvEfiAction, {{kAlgSha256, Bytes(32, 1)}}, {});
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(b.bytes()));
  EXPECT_EQ(log.size(), 201u);
  EXPECT_EQ(log.warnings().size(), 65u);
  EXPECT_EQ(log.warnings().back(), "further warnings suppressed");
}

TEST(EventTypeNameTest, NamesPfpTxtAndTbootTypes) {
  EXPECT_EQ(EventTypeName(0x0), "EV_PREBOOT_CERT");
  EXPECT_EQ(EventTypeName(kEvNoAction), "EV_NO_ACTION");
  EXPECT_EQ(EventTypeName(kEvOmitBootDeviceEvents), "EV_OMIT_BOOT_DEVICE_EVENTS");
  EXPECT_EQ(EventTypeName(kEvEfiBootServicesApplication), "EV_EFI_BOOT_SERVICES_APPLICATION");
  EXPECT_EQ(EventTypeName(kEvEfiVariableBoot2), "EV_EFI_VARIABLE_BOOT2");
  EXPECT_EQ(EventTypeName(kEvEfiHcrtmEvent), "EV_EFI_HCRTM_EVENT");
  EXPECT_EQ(EventTypeName(kEvEfiVariableAuthority), "EV_EFI_VARIABLE_AUTHORITY");
  EXPECT_EQ(EventTypeName(kEvEfiSpdmFirmwareConfig), "EV_EFI_SPDM_FIRMWARE_CONFIG");
  EXPECT_EQ(EventTypeName(kEvTxtBase), "EVTYPE_BASE");
  EXPECT_EQ(EventTypeName(0x401), "EVTYPE_PCRMAPPING");
  EXPECT_EQ(EventTypeName(0x402), "EVTYPE_HASH_START");
  EXPECT_EQ(EventTypeName(0x40a), "EVTYPE_BIOSAC_REG_DATA");
  EXPECT_EQ(EventTypeName(0x40d), "EVTYPE_ELEMENTS_HASH");
  EXPECT_EQ(EventTypeName(0x414), "EVTYPE_NV_INFO_HASH");
  EXPECT_EQ(EventTypeName(0x41a), "EVTYPE_BOOT_POL_HASH");
  EXPECT_EQ(EventTypeName(0x4fe), "EVTYPE_RANDOM_VALUE");
  EXPECT_EQ(EventTypeName(0x4ff), "EVTYPE_CAP_VALUE");
  EXPECT_EQ(EventTypeName(kEvTboot), "EV_TBOOT_HASH");
}

TEST(EventTypeNameTest, FormatsUnknownTypes) {
  EXPECT_EQ(EventTypeName(0x13), "EV_UNKNOWN_0x00000013");
  EXPECT_EQ(EventTypeName(0x405), "EV_UNKNOWN_0x00000405");
  EXPECT_EQ(EventTypeName(0xdeadbeef), "EV_UNKNOWN_0xdeadbeef");
}

TEST(LogFormatNameTest, NamesFormats) {
  EXPECT_EQ(LogFormatName(LogFormat::kCryptoAgile), "crypto-agile");
  EXPECT_EQ(LogFormatName(LogFormat::kSha1Legacy), "sha1-legacy");
}

// Whether `v` lies inside `buffer`.
bool ViewsInto(ByteView v, const Bytes& buffer) {
  return v.data() >= buffer.data() && v.data() + v.size() <= buffer.data() + buffer.size();
}

TEST(ParseEventLogTest, SharedBufferOverloadParsesInPlace) {
  auto buffer = std::make_shared<const Bytes>(SmallAgileLog().bytes());
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(buffer));
  EXPECT_EQ(log.buffer(), buffer);
  for (const Event& ev : log.EventsUnverifiedForDebug()) {
    EXPECT_TRUE(ViewsInto(ev.data, *buffer)) << "event " << ev.index;
    for (const EventDigest& d : ev.digests) {
      EXPECT_TRUE(ViewsInto(d.digest, *buffer)) << "event " << ev.index;
    }
  }
}

TEST(ParseEventLogTest, ByteViewOverloadCopiesInputIntoSharedBuffer) {
  Bytes bytes = SmallAgileLog().bytes();
  ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(ByteView(bytes)));
  ASSERT_NE(log.buffer(), nullptr);
  EXPECT_EQ(*log.buffer(), bytes);
  std::fill(bytes.begin(), bytes.end(), uint8_t{0});  // the log no longer needs them
  const Event& app = log.EventsUnverifiedForDebug()[3];
  EXPECT_TRUE(ViewsInto(app.data, *log.buffer()));
  EXPECT_EQ(ToBytes(app.data), ToBytes("app"));
}

TEST(ParseEventLogTest, CopiedLogKeepsEventsValidAfterOriginalIsGone) {
  std::optional<UnverifiedEventLog> copy;
  {
    ASSERT_OK_AND_ASSIGN(UnverifiedEventLog log, ParseEventLog(SmallAgileLog().bytes()));
    copy = log;
    EXPECT_EQ(copy->buffer(), log.buffer());
  }
  const Event& app = copy->EventsUnverifiedForDebug()[3];
  EXPECT_EQ(ToBytes(app.data), ToBytes("app"));
  ASSERT_NE(app.DigestFor(HashAlg::kSha256), nullptr);
  EXPECT_EQ(ToBytes(*app.DigestFor(HashAlg::kSha256)),
            LogBuilder::DigestOf(kAlgSha256, 32, AsBytes(std::string_view("app"))));
}

TEST(ParseEventLogTest, RejectsNullBuffer) {
  EXPECT_THAT(ParseEventLog(std::shared_ptr<const Bytes>()),
              StatusIs(Code::kInvalidArgument, HasSubstr("empty")));
}

TEST(EventDigestsTest, HoldsOneDigestPerKnownAlgorithmInline) {
  const Bytes storage(64, 0xAB);
  EventDigests digests;
  EXPECT_TRUE(digests.empty());
  for (HashAlg alg : kAllHashAlgs) {
    digests.push_back({alg, ByteView(storage).first(DigestSize(alg))});
  }
  ASSERT_EQ(digests.size(), EventDigests::kCapacity);
  EXPECT_EQ(digests[4].alg, HashAlg::kSm3_256);
  size_t n = 0;
  for (const EventDigest& d : digests) n += d.digest.size();
  EXPECT_EQ(n, 20u + 32 + 48 + 64 + 32);
}

TEST(EventDigestsDeathTest, PushBeyondCapacityIsABug) {
  EventDigests digests;
  for (HashAlg alg : kAllHashAlgs) digests.push_back({alg, {}});
  EXPECT_DEATH(digests.push_back({HashAlg::kSha1, {}}), "size_ < kCapacity");
}

}  // namespace
}  // namespace vouch::eventlog
