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

#include "core/crypto/digest.h"

namespace vouch::launcher {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

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

// Fills `buf` with up to `size` bytes (short only at EOF). Returns the count
// or the errno of a failed read.
Result<size_t> ReadFull(int fd, uint8_t* buf, size_t size, const std::string& name) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, buf + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return UnavailableError("read " + name + ": " + ErrnoText(errno));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

// The reader (calling thread) fills buffers in ring order; each bank's
// worker hashes every buffer in order; a buffer is reused once every worker
// is done with it. One mutex guards the ring's bookkeeping; hashing and
// reading run outside it.
class Pipeline {
 public:
  Pipeline(size_t buffer_bytes, size_t buffers, size_t workers)
      : buffer_bytes_(buffer_bytes), workers_(workers), slots_(buffers) {
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
      hasher.Update(ByteView(slot->data.get(), slot->length));
      {
        std::lock_guard lock(mu_);
        if (--slot->pending == 0) consumed_cv_.notify_one();
      }
      ++next;
    }
  }

  Result<uint64_t> Read(int fd, const std::string& name, uint64_t total,
                        const std::function<void(uint64_t, uint64_t)>& progress) {
    uint64_t done = 0;
    for (uint64_t i = 0;; ++i) {
      Slot& slot = slots_[i % slots_.size()];
      {
        std::unique_lock lock(mu_);
        consumed_cv_.wait(lock, [&] { return slot.pending == 0; });
      }
      Result<size_t> n = ReadFull(fd, slot.data.get(), buffer_bytes_, name);
      std::lock_guard lock(mu_);
      if (!n.has_value()) {
        abort_ = true;
        produced_cv_.notify_all();
        return n.error();
      }
      if (*n == 0) {
        eof_ = true;
        produced_cv_.notify_all();
        return done;
      }
      slot.length = *n;
      slot.pending = workers_;
      ++produced_;
      produced_cv_.notify_all();
      done += *n;
      if (progress) progress(done, total);
    }
  }

 private:
  struct Slot {
    std::unique_ptr<uint8_t[]> data;
    size_t length = 0;
    size_t pending = 0;  // workers yet to hash it
  };
  const size_t buffer_bytes_;
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
  uint64_t total = 0;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    total = static_cast<uint64_t>(st.st_size);
  } else if (S_ISBLK(st.st_mode)) {
    const off_t here = ::lseek(fd, 0, SEEK_CUR);
    const off_t end = ::lseek(fd, 0, SEEK_END);
    if (here >= 0 && end >= here) total = static_cast<uint64_t>(end - here);
    if (here >= 0) ::lseek(fd, here, SEEK_SET);
  }
  // Advice only: failure (e.g. on a pipe) changes nothing.
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  FileDigests out;
  if (options.single_thread) {
    std::unique_ptr<uint8_t[]> buf(new uint8_t[buffer_bytes]);
    for (;;) {
      VOUCH_ASSIGN_OR_RETURN(size_t n, ReadFull(fd, buf.get(), buffer_bytes, name));
      if (n == 0) break;
      for (crypto::Hasher& h : hashers) h.Update(ByteView(buf.get(), n));
      out.size += n;
      if (options.progress) options.progress(out.size, total);
    }
  } else {
    Pipeline pipeline(buffer_bytes, std::max<size_t>(options.buffers, 2), hashers.size());
    std::vector<std::thread> threads;
    threads.reserve(hashers.size());
    for (crypto::Hasher& h : hashers) {
      threads.emplace_back([&pipeline, &h] { pipeline.Work(h); });
    }
    Result<uint64_t> read = pipeline.Read(fd, name, total, options.progress);
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
