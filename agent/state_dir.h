// The agent's state directory: small files (the AK record, the enrollment
// result) that must survive restarts and must not be readable by others.
//
// The directory is opened once (O_DIRECTORY | O_NOFOLLOW) and its owner and
// mode checked; every file operation then goes through that descriptor
// (openat/renameat/unlinkat with O_NOFOLLOW), so renaming or replacing the
// path afterwards, or planting a symlink inside it, cannot redirect reads or
// writes. Files are small (at most kMaxStateFileBytes). No locking: one agent
// process owns the directory.
//
// Thread-safe: a StateDir is immutable after Open; copies share the
// descriptor, which is closed when the last copy goes.
#ifndef VOUCH_AGENT_STATE_DIR_H_
#define VOUCH_AGENT_STATE_DIR_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace vouch::agent {

// Largest file Read accepts (the records are a few kilobytes).
inline constexpr size_t kMaxStateFileBytes = 1024 * 1024;

class StateDir {
 public:
  // Opens `path`, creating it (and missing parents) with mode 0700 when
  // `create` (the mode is set with chmod, so the umask does not matter; an
  // existing directory's mode is checked, never changed). PermissionDenied,
  // naming the path and mode or owner, when the directory is group/world
  // accessible or not owned by the effective user (the AK blobs and host id
  // must not be swapped by another user), or when `path` is a symlink;
  // NotFound when it does not exist and !create; FailedPrecondition when it is
  // not a directory; Unavailable for other OS errors (with errno's text).
  static Result<StateDir> Open(const std::string& path, bool create);

  const std::string& path() const { return path_; }
  // `path()/name`, for messages.
  std::string FilePath(std::string_view name) const;

  // The file's contents, or nullopt when absent. `name` is a plain file name:
  // 1-200 characters, no '/', not starting with '.' (temporary files of
  // WriteAtomic start with '.'), no NUL; InvalidArgument otherwise. DataLoss
  // when the file is a symlink or not a regular file, larger than
  // kMaxStateFileBytes, or cannot be read.
  Result<std::optional<Bytes>> Read(std::string_view name) const;

  // Replaces the file atomically and durably: write a uniquely named
  // temporary file (".NAME.tmp.XXXXXXXX", O_EXCL, mode 0600) in the
  // directory, fsync it, rename it over `name`, fsync the directory. A crash
  // leaves either the old or the new contents (and possibly a stray
  // temporary file, which Read never returns); on any error the temporary
  // file is removed and the old contents stay. The new file has mode 0600
  // whatever the umask. InvalidArgument for a bad `name` (as in Read);
  // PermissionDenied for EACCES/EPERM; Unavailable for other OS errors (disk
  // full, I/O error).
  Status WriteAtomic(std::string_view name, ByteView contents) const;

  // Removes the file (and fsyncs the directory); OK when absent.
  // InvalidArgument for a bad `name`; Unavailable for OS errors.
  Status Remove(std::string_view name) const;

 private:
  class Fd;
  StateDir(std::string path, std::shared_ptr<const Fd> dir)
      : path_(std::move(path)), dir_(std::move(dir)) {}
  std::string path_;
  std::shared_ptr<const Fd> dir_;  // the opened directory; never null
};

}  // namespace vouch::agent

#endif  // VOUCH_AGENT_STATE_DIR_H_
