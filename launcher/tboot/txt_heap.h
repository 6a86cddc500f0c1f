// Finding the D-RTM event log of a TXT launch in the TXT heap.
//
// The TXT heap (Intel TXT Software Development Guide, "Intel TXT Heap
// Memory") is a run of four tables, each preceded by its uint64 size (the
// size includes those 8 bytes): BiosData, OsMleData, OsSinitData,
// SinitMleData. OsSinitData version >= 6 ends in extended data elements
// (uint32 type, uint32 size including the 8-byte header, then data;
// type 0 ends the list). On TPM 2.0 the element of type 8
// (HEAP_EVENT_LOG_POINTER_ELEMENT2_1) locates the TCG-format D-RTM log:
// uint64 PhysicalAddress of the log container, uint32
// AllocatedEventContainerSize, uint32 FirstRecordOffset, uint32
// NextRecordOffset; the log is the container's bytes
// [FirstRecordOffset, NextRecordOffset). The OsSinitData fields before the
// elements take 100 bytes from the start of the table (its size field
// included) for versions 6 and 7. Type 7 (per-algorithm legacy logs) and
// type 5 (TPM 1.2) are not supported.
//
// Where the heap is: the TXT public configuration space at 0xFED30000,
// registers TXT.HEAP.BASE (0x300) and TXT.HEAP.SIZE (0x308), read through
// /dev/mem (root, and a kernel that lets /dev/mem read that range; Linux
// does not export the D-RTM log elsewhere). The same code reads a dump file
// in the layout of intel-secl's txt_heap_info.bin: a file standing for
// /dev/mem whose offsets 0 and 8 hold the heap base and size registers and
// whose offset X holds physical address X.
//
// Every offset and size from the heap is checked against the bytes read
// before use; failures are InvalidArgument naming the table or element.
#ifndef VOUCH_LAUNCHER_TBOOT_TXT_HEAP_H_
#define VOUCH_LAUNCHER_TBOOT_TXT_HEAP_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace vouch::launcher::tboot {

inline constexpr uint64_t kTxtPublicSpace = 0xFED30000;
inline constexpr uint64_t kTxtHeapBaseRegister = kTxtPublicSpace + 0x300;
inline constexpr uint64_t kTxtHeapSizeRegister = kTxtPublicSpace + 0x308;
// Heaps are about 1 MiB; anything larger than this is refused.
inline constexpr uint64_t kMaxTxtHeapSize = 64ull << 20;
// A D-RTM log larger than this is refused.
inline constexpr uint32_t kMaxDrtmLogSize = 4u << 20;

struct TxtEventLogPointer {
  uint32_t os_sinit_version = 0;
  uint64_t physical_address = 0;
  uint32_t allocated_size = 0;
  uint32_t first_record_offset = 0;
  uint32_t next_record_offset = 0;
};

// Walks a heap's tables to OsSinitData's type-8 element. Pure.
// InvalidArgument naming what is wrong (table size out of range, version
// < 6, element overrunning the table, no type-8 element, offsets beyond
// the allocated size).
Result<TxtEventLogPointer> FindTxtEventLogPointer(ByteView heap);

// Byte-addressed physical memory (or a file standing for it).
class PhysicalMemory {
 public:
  virtual ~PhysicalMemory() = default;
  // Exactly `length` bytes at `address`; Unavailable (naming the file and
  // address) when they cannot all be read.
  virtual Result<Bytes> Read(uint64_t address, size_t length) = 0;
};

// pread-based access to `path` (/dev/mem or a dump). PermissionDenied or
// NotFound with a clear message when it cannot be opened ("/dev/mem: cannot
// open (Permission denied): run as root on a host with TXT").
Result<std::unique_ptr<PhysicalMemory>> OpenPhysicalMemory(const std::string& path);

struct TxtLogReadOptions {
  uint64_t heap_base_register = kTxtHeapBaseRegister;
  uint64_t heap_size_register = kTxtHeapSizeRegister;
  // Dumps whose log pointer was rebased to the heap's start (the isecl
  // fixture): when the bytes at the pointer are not a TCG log start (the
  // "Spec ID Event03" event) but heap base + pointer are, use those. Never
  // set for /dev/mem.
  bool allow_heap_relative_pointer = false;
};

// Reads the heap registers, the heap, and the log the heap points at; the
// log must start with a TCG_PCR_EVENT carrying "Spec ID Event03".
Result<Bytes> ReadTxtDrtmLog(PhysicalMemory& memory, const TxtLogReadOptions& options);

// The real path: /dev/mem with the TXT registers.
Result<Bytes> ReadTxtDrtmLogFromDevMem(const std::string& dev_mem = "/dev/mem");
// A dump in the intel-secl layout (registers at 0 and 8;
// allow_heap_relative_pointer).
Result<Bytes> ReadTxtDrtmLogFromDump(const std::string& path);

}  // namespace vouch::launcher::tboot

#endif  // VOUCH_LAUNCHER_TBOOT_TXT_HEAP_H_
