#include "agent/state_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "core/base/unique_fd.h"

namespace vouch::agent {

// Owns the directory's descriptor; shared by copies of a StateDir.
class StateDir::Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

namespace {

// Longest name Read/WriteAtomic accept: leaves room for the temporary
// name's "." prefix and ".tmp.XXXXXXXX" suffix within NAME_MAX (255).
constexpr size_t kMaxNameLength = 200;

using ScopedFd = UniqueFd;

std::string ModeString(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// The error for a failed OS call, by errno.
Status OsError(const std::string& what, int err) {
  std::string message = what + ": " + std::strerror(err);
  if (err == EACCES || err == EPERM) return PermissionDeniedError(std::move(message));
  return UnavailableError(std::move(message));
}

Status CheckName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return InvalidArgumentError("state file name must have 1-200 characters, got " +
                                std::to_string(name.size()));
  }
  if (name.front() == '.') {
    return InvalidArgumentError("state file name '" + std::string(name) +
                                "' must not start with '.'");
  }
  for (char c : name) {
    if (c == '/' || c == '\0') {
      return InvalidArgumentError("state file name must be a plain file name, got '" +
                                  std::string(name.substr(0, 64)) + "'");
    }
  }
  return Status::Ok();
}

// Creates `path` and its missing parents with mode 0700 (chmod after mkdir,
// so the umask cannot loosen or tighten it).
Status MakeDirs(const std::string& path) {
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    if (prefix.empty()) continue;
    if (::mkdir(prefix.c_str(), 0700) == 0) {
      if (::chmod(prefix.c_str(), 0700) != 0) return OsError("chmod " + prefix, errno);
    } else if (errno != EEXIST) {
      return OsError("mkdir " + prefix, errno);
    }
  }
  return Status::Ok();
}

Status WriteAll(int fd, ByteView data, const std::string& what) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return OsError("write " + what, errno);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::string> RandomSuffix() {
  uint8_t bytes[4];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    const ssize_t n = ::getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return OsError("getrandom", errno);
    }
    got += static_cast<size_t>(n);
  }
  return HexEncode(bytes);
}

}  // namespace

Result<StateDir> StateDir::Open(const std::string& path, bool create) {
  if (path.empty()) return InvalidArgumentError("state directory path is empty");
  if (create) VOUCH_RETURN_IF_ERROR(MakeDirs(path));

  // lstat first only to name the problem precisely; the checks that matter
  // are made on the opened descriptor below.
  struct stat link_st {};
  if (::lstat(path.c_str(), &link_st) != 0) {
    if (errno == ENOENT) return NotFoundError("state directory " + path + " does not exist");
    return OsError("state directory " + path, errno);
  }
  if (S_ISLNK(link_st.st_mode)) {
    return PermissionDeniedError("state directory " + path +
                                 " is a symlink; name the real directory");
  }
  if (!S_ISDIR(link_st.st_mode)) {
    return FailedPreconditionError("state directory " + path + " is not a directory");
  }

  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return OsError("open state directory " + path, errno);
  auto dir = std::make_shared<const Fd>(fd);

  struct stat st {};
  if (::fstat(dir->get(), &st) != 0) return OsError("stat state directory " + path, errno);
  if (st.st_uid != ::geteuid()) {
    return PermissionDeniedError("state directory " + path + " is owned by uid " +
                                 std::to_string(st.st_uid) + ", not by this user (uid " +
                                 std::to_string(::geteuid()) + ")");
  }
  if ((st.st_mode & 077) != 0) {
    return PermissionDeniedError("state directory " + path + " has mode " + ModeString(st.st_mode) +
                                 ": group/world access is not allowed (chmod 0700 " + path + ")");
  }
  return StateDir(path, std::move(dir));
}

std::string StateDir::FilePath(std::string_view name) const {
  std::string out = path_;
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

Result<std::optional<Bytes>> StateDir::Read(std::string_view name) const {
  VOUCH_RETURN_IF_ERROR(CheckName(name));
  const std::string file = FilePath(name);
  // O_NONBLOCK: a FIFO planted under the name must not hang the agent.
  ScopedFd fd(::openat(dir_->get(), std::string(name).c_str(),
                       O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) return std::optional<Bytes>();
    if (err == ELOOP) return DataLossError(file + " is a symlink, not a state file");
    return DataLossError(file + ": cannot open: " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return DataLossError(file + ": cannot stat: " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return DataLossError(file + " is not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxStateFileBytes) {
    return DataLossError(file + " is " + std::to_string(st.st_size) +
                         " bytes, more than a state file can be");
  }
  Bytes data;
  data.reserve(static_cast<size_t>(st.st_size));
  uint8_t buf[8192];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return DataLossError(file + ": read error: " + std::strerror(errno));
    }
    if (n == 0) break;
    data.insert(data.end(), buf, buf + n);
    if (data.size() > kMaxStateFileBytes) {
      return DataLossError(file + " grew beyond the state file limit while being read");
    }
  }
  return std::optional<Bytes>(std::move(data));
}

Status StateDir::WriteAtomic(std::string_view name, ByteView contents) const {
  VOUCH_RETURN_IF_ERROR(CheckName(name));
  const std::string file = FilePath(name);
  if (contents.size() > kMaxStateFileBytes) {
    return InvalidArgumentError(file + ": " + std::to_string(contents.size()) +
                                " bytes is more than a state file may hold");
  }

  // A unique name with O_EXCL, so two writers (or a stale file from a crash)
  // never share a temporary file.
  std::string tmp;
  int raw_fd = -1;
  for (int attempt = 0; attempt < 16 && raw_fd < 0; ++attempt) {
    VOUCH_ASSIGN_OR_RETURN(std::string suffix, RandomSuffix());
    tmp = "." + std::string(name) + ".tmp." + suffix;
    raw_fd = ::openat(dir_->get(), tmp.c_str(),
                      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (raw_fd < 0 && errno != EEXIST) return OsError("create temporary file for " + file, errno);
  }
  if (raw_fd < 0) return UnavailableError("no unique temporary file name for " + file);
  ScopedFd fd(raw_fd);

  auto fail = [&](Status status) {
    ::unlinkat(dir_->get(), tmp.c_str(), 0);
    return status;
  };
  if (::fchmod(fd.get(), 0600) != 0) return fail(OsError("chmod " + file, errno));
  if (Status s = WriteAll(fd.get(), contents, file); !s.ok()) return fail(std::move(s));
  if (::fsync(fd.get()) != 0) return fail(OsError("fsync " + file, errno));
  if (fd.Close() != 0) return fail(OsError("close " + file, errno));
  if (::renameat(dir_->get(), tmp.c_str(), dir_->get(), std::string(name).c_str()) != 0) {
    return fail(OsError("rename temporary file over " + file, errno));
  }
  // The rename is durable only once the directory is synced.
  if (::fsync(dir_->get()) != 0) return OsError("fsync state directory " + path_, errno);
  return Status::Ok();
}

Status StateDir::Remove(std::string_view name) const {
  VOUCH_RETURN_IF_ERROR(CheckName(name));
  if (::unlinkat(dir_->get(), std::string(name).c_str(), 0) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return OsError("remove " + FilePath(name), errno);
  }
  if (::fsync(dir_->get()) != 0) return OsError("fsync state directory " + path_, errno);
  return Status::Ok();
}

}  // namespace vouch::agent
