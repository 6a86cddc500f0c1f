// UniqueFd: owns a POSIX file descriptor and closes it on scope exit, so
// early returns on error paths never leak one. Move-only. Thread-compatible.
#ifndef VOUCH_CORE_BASE_UNIQUE_FD_H_
#define VOUCH_CORE_BASE_UNIQUE_FD_H_

#include <unistd.h>

namespace vouch {

class UniqueFd {
 public:
  UniqueFd() = default;
  // Takes ownership of `fd` (negative: owns nothing, e.g. a failed open()).
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    Reset(other.Release());
    return *this;
  }
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership without closing.
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the owned descriptor (if any) and owns `fd` instead.
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  // Closes now and returns close(2)'s result (a deferred write error shows
  // there on some file systems); 0 when nothing was owned.
  int Close() {
    if (fd_ < 0) return 0;
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_ = -1;
};

}  // namespace vouch

#endif  // VOUCH_CORE_BASE_UNIQUE_FD_H_
