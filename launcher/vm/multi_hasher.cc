#include "launcher/vm/multi_hasher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "core/base/unique_fd.h"
#include "core/crypto/digest.h"

namespace vouch::launcher {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

using Fd = UniqueFd;

Result<std::vector<crypto::Hasher>> MakeHashers(const std::vector<HashAlg>& banks) {
  if (banks.empty()) return InvalidArgumentError("no PCR bank to hash for");
  std::set<HashAlg> seen;
  std::vector<crypto::Hasher> hashers;
  hashers.reserve(banks.size());
  for (HashAlg bank : banks) {
    if (!seen.insert(bank).second) {
      return InvalidArgumentError("bank " + std::string(HashAlgName(bank)) + " listed twice");
    }
    auto hasher = crypto::Hasher::Create(bank);
    if (!hasher.has_value()) {
      return InvalidArgumentError("bank " + std::string(HashAlgName(bank)) + ": cannot hash it (" +
                                  hasher.error().message() + ")");
    }
    hashers.push_back(std::move(*hasher));
  }
  return hashers;
}

// Fills `buf` with up to `size` bytes read at `offset` (short only at EOF).
Result<size_t> ReadFull(int fd, uint8_t* buf, size_t size, uint64_t offset,
                        const std::string& name) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, buf + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return UnavailableError("read " + name + ": " + ErrnoText(errno));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

// The file's bytes in order, in chunks of at most `buffer_bytes`. Holes of a
// sparse file (SEEK_DATA/SEEK_HOLE, within the size the file had at open)
// are not read: they are zeros by definition, so a shared zero buffer is
// hashed instead and a mostly empty multi-GB image costs no copying. Past
// that size, plain reads continue to EOF (a file that grows is hashed whole).
class ChunkReader {
 public:
  ChunkReader(int fd, std::string name, uint64_t start, uint64_t size, bool seekable,
              size_t buffer_bytes)
      : fd_(fd),
        name_(std::move(name)),
        pos_(start),
        size_(size),
        holes_(seekable),
        buffer_bytes_(buffer_bytes) {}

  // The next chunk: in `buf` (buffer_bytes long) or in the zero buffer.
  // Empty at EOF.
  Result<ByteView> Next(uint8_t* buf) {
    if (holes_ && pos_ < size_ && pos_ >= region_end_) FindRegion();
    size_t want = buffer_bytes_;
    if (holes_ && pos_ < size_)
      want = static_cast<size_t>(std::min<uint64_t>(want, region_end_ - pos_));
    if (holes_ && in_hole_ && pos_ < size_) {
      if (zeros_ == nullptr) zeros_ = std::make_unique<uint8_t[]>(buffer_bytes_);  // zeroed
      pos_ += want;
      return ByteView(zeros_.get(), want);
    }
    VOUCH_ASSIGN_OR_RETURN(size_t n, ReadFull(fd_, buf, want, pos_, name_));
    pos_ += n;
    return ByteView(buf, n);
  }

 private:
  // Sets in_hole_ and region_end_ for the region starting at pos_.
  void FindRegion() {
    const off_t data = ::lseek(fd_, static_cast<off_t>(pos_), SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) {  // only a hole up to the end
        in_hole_ = true;
        region_end_ = size_;
      } else {  // no SEEK_DATA here (block device, old file system)
        holes_ = false;
      }
      return;
    }
    if (static_cast<uint64_t>(data) > pos_) {
      in_hole_ = true;
      region_end_ = std::min<uint64_t>(static_cast<uint64_t>(data), size_);
      return;
    }
    const off_t hole = ::lseek(fd_, static_cast<off_t>(pos_), SEEK_HOLE);
    in_hole_ = false;
    region_end_ = hole < 0 ? size_ : std::min<uint64_t>(static_cast<uint64_t>(hole), size_);
    if (region_end_ <= pos_) region_end_ = size_;
  }

  int fd_;
  std::string name_;
  uint64_t pos_;
  uint64_t size_;
  bool holes_;
  size_t buffer_bytes_;
  bool in_hole_ = false;
  uint64_t region_end_ = 0;
  std::unique_ptr<uint8_t[]> zeros_;
};

// The reader (calling thread) fills buffers in ring order; each bank's
// worker hashes every buffer in order; a buffer is reused once every worker
// is done with it. One mutex guards the ring's bookkeeping; hashing and
// reading run outside it.
class Pipeline {
 public:
  Pipeline(size_t buffer_bytes, size_t buffers, size_t workers)
      : workers_(workers), slots_(buffers) {
    for (Slot& s : slots_) s.data.reset(new uint8_t[buffer_bytes]);
  }

  // Runs on a worker thread until EOF or abort.
  void Work(crypto::Hasher& hasher) {
    uint64_t next = 0;
    for (;;) {
      Slot* slot = nullptr;
      {
        std::unique_lock lock(mu_);
        produced_cv_.wait(lock, [&] { return produced_ > next || eof_ || abort_; });
        if (abort_ || produced_ == next) return;
        slot = &slots_[next % slots_.size()];
      }
      hasher.Update(slot->view);
      {
        std::lock_guard lock(mu_);
        if (--slot->pending == 0) consumed_cv_.notify_one();
      }
      ++next;
    }
  }

  Result<uint64_t> Read(ChunkReader& reader, uint64_t total,
                        const std::function<void(uint64_t, uint64_t)>& progress) {
    uint64_t done = 0;
    for (uint64_t i = 0;; ++i) {
      Slot& slot = slots_[i % slots_.size()];
      {
        std::unique_lock lock(mu_);
        consumed_cv_.wait(lock, [&] { return slot.pending == 0; });
      }
      Result<ByteView> chunk = reader.Next(slot.data.get());
      std::lock_guard lock(mu_);
      if (!chunk.has_value()) {
        abort_ = true;
        produced_cv_.notify_all();
        return chunk.error();
      }
      if (chunk->empty()) {
        eof_ = true;
        produced_cv_.notify_all();
        return done;
      }
      slot.view = *chunk;
      slot.pending = workers_;
      ++produced_;
      produced_cv_.notify_all();
      done += chunk->size();
      if (progress) progress(done, total);
    }
  }

 private:
  struct Slot {
    std::unique_ptr<uint8_t[]> data;
    ByteView view;       // into data, or the reader's zero buffer
    size_t pending = 0;  // workers yet to hash it
  };
  const size_t workers_;
  std::vector<Slot> slots_;
  std::mutex mu_;
  std::condition_variable produced_cv_;
  std::condition_variable consumed_cv_;
  uint64_t produced_ = 0;
  bool eof_ = false;
  bool abort_ = false;
};

}  // namespace

Result<FileDigests> HashFd(int fd, const std::string& name, const std::vector<HashAlg>& banks,
                           const HashFileOptions& options) {
  VOUCH_ASSIGN_OR_RETURN(std::vector<crypto::Hasher> hashers, MakeHashers(banks));
  const size_t buffer_bytes = std::max<size_t>(options.buffer_bytes, 4096);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return UnavailableError("stat " + name + ": " + ErrnoText(errno));
  const off_t start = ::lseek(fd, 0, SEEK_CUR);
  if (start < 0) return InvalidArgumentError(name + ": not seekable");
  uint64_t total = 0;
  if (S_ISREG(st.st_mode)) {
    total = static_cast<uint64_t>(std::max<off_t>(st.st_size - start, 0));
  } else if (S_ISBLK(st.st_mode)) {
    const off_t end = ::lseek(fd, 0, SEEK_END);
    if (end >= start) total = static_cast<uint64_t>(end - start);
  }
  // Advice only: failure changes nothing.
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  ChunkReader reader(fd, name, static_cast<uint64_t>(start),
                     S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0,
                     S_ISREG(st.st_mode), buffer_bytes);

  FileDigests out;
  if (options.single_thread) {
    std::unique_ptr<uint8_t[]> buf(new uint8_t[buffer_bytes]);
    for (;;) {
      VOUCH_ASSIGN_OR_RETURN(ByteView chunk, reader.Next(buf.get()));
      if (chunk.empty()) break;
      for (crypto::Hasher& h : hashers) h.Update(chunk);
      out.size += chunk.size();
      if (options.progress) options.progress(out.size, total);
    }
  } else {
    Pipeline pipeline(buffer_bytes, std::max<size_t>(options.buffers, 2), hashers.size());
    std::vector<std::thread> threads;
    threads.reserve(hashers.size());
    for (crypto::Hasher& h : hashers) {
      threads.emplace_back([&pipeline, &h] { pipeline.Work(h); });
    }
    Result<uint64_t> read = pipeline.Read(reader, total, options.progress);
    for (std::thread& t : threads) t.join();
    if (!read.has_value()) return read.error();
    out.size = *read;
  }
  for (crypto::Hasher& h : hashers) out.digests.emplace(h.alg(), h.Final());
  return out;
}

Result<FileDigests> HashFile(const std::string& path, const std::vector<HashAlg>& banks,
                             const HashFileOptions& options) {
  // O_NONBLOCK so a FIFO at the path cannot hang us before it is refused;
  // it has no effect on regular files and block devices.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    const int err = errno;
    return InvalidArgumentError(path + ": cannot open: " + ErrnoText(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return InvalidArgumentError(path + ": cannot stat: " + ErrnoText(errno));
  }
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
    return InvalidArgumentError(path + ": not a regular file or block device");
  }
  return HashFd(fd.get(), path, banks, options);
}

}  // namespace vouch::launcher
