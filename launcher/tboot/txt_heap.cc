#include "launcher/tboot/txt_heap.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace vouch::launcher::tboot {
namespace {

constexpr uint32_t kExtElementEnd = 0;
constexpr uint32_t kExtElementTpm12LogPtr = 5;
constexpr uint32_t kExtElementLogPtr2 = 7;
constexpr uint32_t kExtElementLogPtr2_1 = 8;
constexpr size_t kOsSinitElementsOffset = 100;
constexpr std::string_view kSpecIdSignature = "Spec ID Event03";
// TCG_PCR_EVENT: pcr (4), type (4), sha1 digest (20), size (4), data.
constexpr size_t kSpecIdSignatureOffset = 32;

uint32_t Le32(ByteView b, size_t at) {
  return static_cast<uint32_t>(b[at]) | static_cast<uint32_t>(b[at + 1]) << 8 |
         static_cast<uint32_t>(b[at + 2]) << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
}

uint64_t Le64(ByteView b, size_t at) {
  return static_cast<uint64_t>(Le32(b, at)) | static_cast<uint64_t>(Le32(b, at + 4)) << 32;
}

std::string Hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

bool IsLogStart(ByteView log) {
  if (log.size() < kSpecIdSignatureOffset + kSpecIdSignature.size()) return false;
  if (Le32(log, 4) != 0x3) return false;  // EV_NO_ACTION
  return std::memcmp(log.data() + kSpecIdSignatureOffset, kSpecIdSignature.data(),
                     kSpecIdSignature.size()) == 0;
}

class FilePhysicalMemory final : public PhysicalMemory {
 public:
  FilePhysicalMemory(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~FilePhysicalMemory() override { ::close(fd_); }
  FilePhysicalMemory(const FilePhysicalMemory&) = delete;
  FilePhysicalMemory& operator=(const FilePhysicalMemory&) = delete;

  Result<Bytes> Read(uint64_t address, size_t length) override {
    Bytes out(length);
    size_t done = 0;
    while (done < length) {
      const ssize_t n =
          ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(address + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return UnavailableError(path_ + ": cannot read " + std::to_string(length) + " bytes at " +
                                Hex64(address) +
                                (n < 0 ? std::string(" (") + std::strerror(errno) + ")"
                                       : std::string(" (end of file)")));
      }
      done += static_cast<size_t>(n);
    }
    return out;
  }

 private:
  std::string path_;
  int fd_;
};

}  // namespace

Result<TxtEventLogPointer> FindTxtEventLogPointer(ByteView heap) {
  size_t at = 0;
  uint64_t sizes[3] = {0, 0, 0};
  const char* names[3] = {"BiosData", "OsMleData", "OsSinitData"};
  for (int i = 0; i < 3; ++i) {
    if (heap.size() < 8 || at > heap.size() - 8) {
      return InvalidArgumentError(std::string("TXT heap: ") + names[i] + " at offset " +
                                  std::to_string(at) + " beyond the heap (" +
                                  std::to_string(heap.size()) + " bytes)");
    }
    sizes[i] = Le64(heap, at);
    if (sizes[i] < 8 || sizes[i] > heap.size() - at) {
      return InvalidArgumentError(std::string("TXT heap: ") + names[i] + " size " +
                                  std::to_string(sizes[i]) + " at offset " + std::to_string(at) +
                                  " out of range");
    }
    if (i < 2) at += static_cast<size_t>(sizes[i]);
  }
  const ByteView os_sinit = heap.subspan(at, static_cast<size_t>(sizes[2]));
  if (os_sinit.size() < 12) return InvalidArgumentError("TXT heap: OsSinitData too short");
  TxtEventLogPointer ptr;
  ptr.os_sinit_version = Le32(os_sinit, 8);
  if (ptr.os_sinit_version < 6) {
    return InvalidArgumentError("TXT heap: OsSinitData version " +
                                std::to_string(ptr.os_sinit_version) +
                                " has no extended elements (TPM 2.0 logs need version >= 6)");
  }
  size_t e = kOsSinitElementsOffset;
  while (true) {
    if (e + 8 > os_sinit.size()) {
      return InvalidArgumentError(
          "TXT heap: OsSinitData extended elements run past the table "
          "without an END element");
    }
    const uint32_t type = Le32(os_sinit, e);
    const uint32_t size = Le32(os_sinit, e + 4);
    if (type == kExtElementEnd) break;
    if (size < 8 || size > os_sinit.size() - e) {
      return InvalidArgumentError("TXT heap: OsSinitData element type " + std::to_string(type) +
                                  " at offset " + std::to_string(e) + ": size " +
                                  std::to_string(size) + " out of range");
    }
    if (type == kExtElementLogPtr2_1) {
      if (size < 8 + 20) {
        return InvalidArgumentError("TXT heap: event log pointer element too short (" +
                                    std::to_string(size) + " bytes)");
      }
      ptr.physical_address = Le64(os_sinit, e + 8);
      ptr.allocated_size = Le32(os_sinit, e + 16);
      ptr.first_record_offset = Le32(os_sinit, e + 20);
      ptr.next_record_offset = Le32(os_sinit, e + 24);
      if (ptr.first_record_offset > ptr.next_record_offset ||
          ptr.next_record_offset > ptr.allocated_size) {
        return InvalidArgumentError(
            "TXT heap: event log offsets first " + std::to_string(ptr.first_record_offset) +
            ", next " + std::to_string(ptr.next_record_offset) + " outside the container of " +
            std::to_string(ptr.allocated_size) + " bytes");
      }
      if (ptr.next_record_offset - ptr.first_record_offset > kMaxDrtmLogSize) {
        return InvalidArgumentError("TXT heap: event log larger than " +
                                    std::to_string(kMaxDrtmLogSize) + " bytes");
      }
      return ptr;
    }
    if (type == kExtElementLogPtr2) {
      return InvalidArgumentError(
          "TXT heap: per-algorithm event logs (element type 7) are not "
          "supported; tboot writes the TCG format (type 8) unless "
          "force_tpm2_legacy_log");
    }
    if (type == kExtElementTpm12LogPtr) {
      return InvalidArgumentError("TXT heap: TPM 1.2 event log (element type 5) not supported");
    }
    e += size;
  }
  return InvalidArgumentError("TXT heap: OsSinitData has no event log pointer (element type 8)");
}

Result<std::unique_ptr<PhysicalMemory>> OpenPhysicalMemory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    std::string message = path + ": cannot open (" + std::strerror(e) + ")";
    if (path == "/dev/mem") message += ": run as root on a host with Intel TXT";
    if (e == ENOENT) return NotFoundError(message);
    if (e == EACCES || e == EPERM) return PermissionDeniedError(message);
    return UnavailableError(message);
  }
  return std::unique_ptr<PhysicalMemory>(new FilePhysicalMemory(path, fd));
}

Result<Bytes> ReadTxtDrtmLog(PhysicalMemory& memory, const TxtLogReadOptions& options) {
  VOUCH_ASSIGN_OR_RETURN(Bytes base_reg, memory.Read(options.heap_base_register, 8));
  VOUCH_ASSIGN_OR_RETURN(Bytes size_reg, memory.Read(options.heap_size_register, 8));
  const uint64_t heap_base = Le64(base_reg, 0);
  const uint64_t heap_size = Le64(size_reg, 0);
  if (heap_size == 0 || heap_size == ~uint64_t{0} || heap_size > kMaxTxtHeapSize) {
    return InvalidArgumentError("TXT.HEAP.SIZE " + Hex64(heap_size) +
                                ": no TXT heap (TXT disabled or not launched?)");
  }
  VOUCH_ASSIGN_OR_RETURN(Bytes heap, memory.Read(heap_base, static_cast<size_t>(heap_size)));
  VOUCH_ASSIGN_OR_RETURN(TxtEventLogPointer ptr, FindTxtEventLogPointer(heap));
  const size_t length = ptr.next_record_offset - ptr.first_record_offset;
  if (length == 0) return InvalidArgumentError("TXT heap: the D-RTM event log is empty");
  const uint64_t start = ptr.physical_address + ptr.first_record_offset;
  Result<Bytes> log = memory.Read(start, length);
  if (log.has_value() && IsLogStart(*log)) return log;
  if (options.allow_heap_relative_pointer && start <= heap_size - length) {
    Result<Bytes> rebased = memory.Read(heap_base + start, length);
    if (rebased.has_value() && IsLogStart(*rebased)) return rebased;
  }
  if (!log.has_value()) return log.status();
  return InvalidArgumentError("TXT heap: no TCG event log (\"Spec ID Event03\") at " +
                              Hex64(start));
}

Result<Bytes> ReadTxtDrtmLogFromDevMem(const std::string& dev_mem) {
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<PhysicalMemory> mem, OpenPhysicalMemory(dev_mem));
  return ReadTxtDrtmLog(*mem, TxtLogReadOptions{});
}

Result<Bytes> ReadTxtDrtmLogFromDump(const std::string& path) {
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<PhysicalMemory> mem, OpenPhysicalMemory(path));
  TxtLogReadOptions options;
  options.heap_base_register = 0;
  options.heap_size_register = 8;
  options.allow_heap_relative_pointer = true;
  return ReadTxtDrtmLog(*mem, options);
}

}  // namespace vouch::launcher::tboot
