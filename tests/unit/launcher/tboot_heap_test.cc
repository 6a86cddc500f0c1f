// The TXT heap walk to the D-RTM log: the isecl heap dump fixture (a file
// standing for /dev/mem) gives exactly the extracted log fixture; broken
// heaps are refused with what is wrong, and no prefix of the heap crashes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/eventlog/event_log.h"
#include "launcher/tboot/txt_heap.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/launcher/tboot_test_util.h"

namespace vouch::launcher::tboot {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;

constexpr size_t kHeapOffset = 0x1000;  // the fixture's heap base register value
constexpr size_t kHeapSize = 0x100000;

void PutLe32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}
void PutLe64(Bytes& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}

TEST(TxtHeap, FixtureDumpGivesTheExtractedLog) {
  VOUCH_REQUIRE_FIXTURES(fixtures);
  const std::string dump = (fixtures / "eventlogs/isecl__txt_heap_info.bin").string();
  ASSERT_OK_AND_ASSIGN(
      Bytes want, testing::ReadFileBytes(fixtures / "eventlogs/isecl__txt_heap_info.eventlog.bin"));
  ASSERT_OK_AND_ASSIGN(Bytes log, ReadTxtDrtmLogFromDump(dump));
  EXPECT_EQ(log, want);
  ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog parsed, eventlog::ParseEventLog(log));
  EXPECT_EQ(parsed.size(), 20u);
}

TEST(TxtHeap, FixturePointer) {
  VOUCH_REQUIRE_FIXTURES(fixtures);
  ASSERT_OK_AND_ASSIGN(Bytes dump,
                       testing::ReadFileBytes(fixtures / "eventlogs/isecl__txt_heap_info.bin"));
  ASSERT_GE(dump.size(), kHeapOffset + kHeapSize);
  const ByteView heap(dump.data() + kHeapOffset, kHeapSize);
  ASSERT_OK_AND_ASSIGN(TxtEventLogPointer ptr, FindTxtEventLogPointer(heap));
  EXPECT_EQ(ptr.os_sinit_version, 7u);
  EXPECT_EQ(ptr.physical_address, 0x1014cu);
  EXPECT_EQ(ptr.allocated_size, 0x2000u);
  EXPECT_EQ(ptr.first_record_offset, 0u);
  EXPECT_EQ(ptr.next_record_offset, 1722u);
}

// A minimal heap: BiosData, OsMleData, OsSinitData v7 with one type-8
// element, and the log container at heap offset `log_at`.
Bytes MinimalHeap(size_t log_at, const Bytes& log) {
  Bytes heap(0x400, 0);
  PutLe64(heap, 0, 0x10);     // BiosData
  PutLe64(heap, 0x10, 0x20);  // OsMleData
  const size_t os = 0x30;
  PutLe64(heap, os, 100 + 28 + 8);  // OsSinitData
  PutLe32(heap, os + 8, 7);
  const size_t e = os + 100;
  PutLe32(heap, e, 8);
  PutLe32(heap, e + 4, 28);
  PutLe64(heap, e + 8, log_at);
  PutLe32(heap, e + 16, 0x100);
  PutLe32(heap, e + 20, 0);
  PutLe32(heap, e + 24, static_cast<uint32_t>(log.size()));
  PutLe32(heap, e + 28, 0);  // END
  PutLe32(heap, e + 32, 8);
  std::copy(log.begin(), log.end(), heap.begin() + static_cast<std::ptrdiff_t>(log_at));
  return heap;
}

Bytes FakeLogStart() {
  Bytes log(48, 0);
  PutLe32(log, 4, 3);
  const std::string sig = "Spec ID Event03";
  std::copy(sig.begin(), sig.end(), log.begin() + 32);
  return log;
}

TEST(TxtHeap, AbsolutePointerInAFileStandingForDevMem) {
  test::ScratchDir dir;
  const Bytes log = FakeLogStart();
  const uint64_t base = 0x2000;
  Bytes mem(base + 0x400, 0);
  const Bytes heap = MinimalHeap(0x200, log);
  std::copy(heap.begin(), heap.end(), mem.begin() + base);
  // The element holds the absolute address of the container.
  PutLe64(mem, base + 0x30 + 100 + 8, base + 0x200);
  PutLe64(mem, 0, base);
  PutLe64(mem, 8, 0x400);
  test::WriteFile(dir / "mem", ToString(mem));
  ASSERT_OK_AND_ASSIGN(auto phys, OpenPhysicalMemory(dir / "mem"));
  TxtLogReadOptions options;
  options.heap_base_register = 0;
  options.heap_size_register = 8;
  ASSERT_OK_AND_ASSIGN(Bytes got, ReadTxtDrtmLog(*phys, options));
  EXPECT_EQ(got, log);
  // Pointing elsewhere: refused, and the heap-relative reading is off.
  PutLe64(mem, base + 0x30 + 100 + 8, 0x200);
  test::WriteFile(dir / "mem", ToString(mem));
  ASSERT_OK_AND_ASSIGN(auto phys2, OpenPhysicalMemory(dir / "mem"));
  EXPECT_THAT(ReadTxtDrtmLog(*phys2, options),
              StatusIs(Code::kInvalidArgument, HasSubstr("Spec ID Event03")));
}

TEST(TxtHeap, BrokenHeapsAreRefused) {
  const Bytes good = MinimalHeap(0x200, FakeLogStart());
  ASSERT_OK(FindTxtEventLogPointer(good).status());

  Bytes h = good;
  PutLe64(h, 0, 0x100000);
  EXPECT_THAT(FindTxtEventLogPointer(h),
              StatusIs(Code::kInvalidArgument, HasSubstr("BiosData size")));
  h = good;
  PutLe64(h, 0x10, 3);
  EXPECT_THAT(FindTxtEventLogPointer(h),
              StatusIs(Code::kInvalidArgument, HasSubstr("OsMleData size")));
  h = good;
  PutLe32(h, 0x38, 5);
  EXPECT_THAT(FindTxtEventLogPointer(h), StatusIs(Code::kInvalidArgument, HasSubstr("version 5")));
  h = good;
  PutLe32(h, 0x30 + 100 + 4, 0xFFFF);
  EXPECT_THAT(FindTxtEventLogPointer(h), StatusIs(Code::kInvalidArgument, HasSubstr("size")));
  h = good;
  PutLe32(h, 0x30 + 100, 7);
  EXPECT_THAT(FindTxtEventLogPointer(h), StatusIs(Code::kInvalidArgument, HasSubstr("type 7")));
  h = good;
  PutLe32(h, 0x30 + 100, 4);  // CUSTOM, then END: no pointer
  EXPECT_THAT(FindTxtEventLogPointer(h),
              StatusIs(Code::kInvalidArgument, HasSubstr("no event log pointer")));
  h = good;
  PutLe32(h, 0x30 + 100 + 24, 0x101);  // next > allocated
  EXPECT_THAT(FindTxtEventLogPointer(h),
              StatusIs(Code::kInvalidArgument, HasSubstr("outside the container")));
  EXPECT_THAT(FindTxtEventLogPointer({}), StatusIs(Code::kInvalidArgument));
}

TEST(TxtHeap, NoPrefixCrashes) {
  VOUCH_REQUIRE_FIXTURES(fixtures);
  ASSERT_OK_AND_ASSIGN(Bytes dump,
                       testing::ReadFileBytes(fixtures / "eventlogs/isecl__txt_heap_info.bin"));
  const ByteView heap(dump.data() + kHeapOffset, kHeapSize);
  // Every prefix that cuts BiosData, OsMleData or OsSinitData (which ends
  // at heap offset 0x151d4), in steps; the whole OsSinitData suffices.
  constexpr size_t kOsSinitEnd = 0x151d4;
  for (size_t n = 0; n < kOsSinitEnd; n += 7) {
    EXPECT_FALSE(FindTxtEventLogPointer(heap.subspan(0, n)).has_value()) << n;
  }
  EXPECT_TRUE(FindTxtEventLogPointer(heap.subspan(0, kOsSinitEnd)).has_value());
}

TEST(TxtHeap, DevMemErrorsAreClear) {
  EXPECT_THAT(OpenPhysicalMemory("/nonexistent/mem"), StatusIs(Code::kNotFound));
  // On this kind of machine /dev/mem is absent or unreadable without TXT.
  auto r = ReadTxtDrtmLogFromDevMem();
  if (!r.has_value() &&
      (r.error().code() == Code::kNotFound || r.error().code() == Code::kPermissionDenied)) {
    EXPECT_THAT(r.error().message(), HasSubstr("/dev/mem"));
  }
  test::ScratchDir dir;
  test::WriteFile(dir / "short", "12345678");
  EXPECT_THAT(ReadTxtDrtmLogFromDump(dir / "short"),
              StatusIs(Code::kUnavailable, HasSubstr("cannot read")));
  Bytes regs(16, 0xFF);
  test::WriteFile(dir / "ones", ToString(regs));
  EXPECT_THAT(ReadTxtDrtmLogFromDump(dir / "ones"),
              StatusIs(Code::kInvalidArgument, HasSubstr("TXT.HEAP.SIZE")));
}

}  // namespace
}  // namespace vouch::launcher::tboot
