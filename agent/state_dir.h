// The agent's state directory: small files (the AK record, the enrollment
// result) that must survive restarts and must not be readable by others.
#ifndef VOUCH_AGENT_STATE_DIR_H_
#define VOUCH_AGENT_STATE_DIR_H_

#include <optional>
#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace vouch::agent {

class StateDir {
 public:
  // Opens `path`, creating it (and missing parents) with mode 0700 when
  // `create`. PermissionDenied, naming the path and mode, when the directory
  // is group/world accessible or not owned by the effective user (the AK
  // blobs and host id must not be swapped by another user); NotFound when it
  // does not exist and !create.
  static Result<StateDir> Open(const std::string& path, bool create);

  const std::string& path() const { return path_; }

  // The file's contents, or nullopt when absent. `name` is a plain file name
  // (no '/'); InvalidArgument otherwise. DataLoss when the file is
  // unreadable.
  Result<std::optional<Bytes>> Read(std::string_view name) const;

  // Replaces the file atomically and durably: write a temporary file with
  // mode 0600 in the directory, fsync, rename over `name`, fsync the
  // directory. A crash leaves either the old or the new contents.
  Status WriteAtomic(std::string_view name, ByteView contents) const;

  // Removes the file; OK when absent.
  Status Remove(std::string_view name) const;

 private:
  explicit StateDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace vouch::agent

#endif  // VOUCH_AGENT_STATE_DIR_H_
