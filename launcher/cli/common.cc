#include "launcher/cli/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace vouch::launcher::cli {
namespace {

std::string ErrnoText() { return std::strerror(errno); }

Status WriteAll(int fd, ByteView data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return UnavailableError("write " + path + ": " + ErrnoText());
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case Code::kOk: return kExitOk;
    case Code::kInvalidArgument: return kExitBadInput;
    case Code::kFailedPrecondition:
    case Code::kPermissionDenied: return kExitRefused;
    case Code::kInternal: return kExitInternal;
    default: return kExitFailure;
  }
}

void AddCommonOptions(CLI::App& sub, CommonOptions& options) {
  sub.add_option("--config", options.config_path,
                 "configuration file (default " + std::string(kDefaultLauncherConfigPath) +
                     " when it exists)");
  sub.add_option("--tcti", options.tcti,
                 "TCTI of the TPM, e.g. device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321 "
                 "(overrides tcti)");
  sub.add_option("--state-dir", options.state_dir,
                 "directory of the D-RTM and VM logs, shared with the agent (overrides "
                 "state_dir)");
}

Result<LauncherConfig> ResolveConfig(const CommonOptions& options) {
  LauncherConfig config;
  if (!options.config_path.empty()) {
    VOUCH_ASSIGN_OR_RETURN(config, LoadLauncherConfig(options.config_path));
  } else {
    const std::string path(kDefaultLauncherConfigPath);
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
      VOUCH_ASSIGN_OR_RETURN(config, LoadLauncherConfig(path));
    }
  }
  if (!options.tcti.empty()) {
    VOUCH_RETURN_IF_ERROR(
        SetLauncherConfigValue(config, "tcti", options.tcti).WithContext("--tcti"));
  }
  if (!options.state_dir.empty()) {
    VOUCH_RETURN_IF_ERROR(
        SetLauncherConfigValue(config, "state_dir", options.state_dir).WithContext("--state-dir"));
  }
  return config;
}

Result<Bytes> ReadInputFile(const std::string& option, const std::string& path,
                            uint64_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return InvalidArgumentError(option + " " + path + ": not a regular file" +
                                (ec ? " (" + ec.message() + ")" : ""));
  }
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return InvalidArgumentError(option + " " + path + ": " + ec.message());
  if (size > max_bytes) {
    return InvalidArgumentError(option + " " + path + ": larger than " + std::to_string(max_bytes) +
                                " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError(option + " " + path + ": cannot open");
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return InvalidArgumentError(option + " " + path + ": read error");
  return data;
}

Status WriteFileAtomically(const std::string& path, ByteView data) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return UnavailableError("open " + tmp + ": " + ErrnoText());
  Status s = WriteAll(fd, data, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = UnavailableError("fsync " + tmp + ": " + ErrnoText());
  ::close(fd);
  if (!s.ok()) return s;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return UnavailableError("rename " + tmp + " to " + path + ": " + ErrnoText());
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

}  // namespace vouch::launcher::cli
