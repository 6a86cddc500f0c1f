#include "launcher/vm/vm_log_writer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <utility>

#include "core/base/time_format.h"
#include "core/protocol/evidence.h"

namespace vouch::launcher {
namespace {

using protocol::VmLogRecord;

std::string ErrnoText(int err) { return std::strerror(err); }

// An open VM log. Closing the descriptor releases the flock.
class LogFile {
 public:
  LogFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~LogFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  LogFile(LogFile&& o) noexcept : fd_(std::exchange(o.fd_, -1)), path_(std::move(o.path_)) {}
  LogFile& operator=(LogFile&&) = delete;
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // flags: O_RDONLY, or O_RDWR | O_APPEND [| O_CREAT]. NotFound when absent
  // and not created.
  static Result<LogFile> Open(const std::string& path, int flags) {
    // O_NONBLOCK: a FIFO at the path must not hang us (refused below).
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
    if (fd < 0) {
      const int err = errno;
      if (err == ENOENT) return NotFoundError("VM log " + path + " does not exist");
      return UnavailableError("open " + path + ": " + ErrnoText(err));
    }
    LogFile file(fd, path);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return UnavailableError("stat " + path + ": " + ErrnoText(errno));
    if (!S_ISREG(st.st_mode)) return UnavailableError(path + " is not a regular file");
    return file;
  }

  Status Lock(int operation) {
    while (::flock(fd_, operation) != 0) {
      if (errno == EINTR) continue;
      return UnavailableError("lock " + path_ + ": flock: " + ErrnoText(errno));
    }
    return Status::Ok();
  }

  // The whole file; at most `limit` + 1 bytes are read (the caller checks
  // the size).
  Result<Bytes> ReadAll(size_t limit) {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return UnavailableError("stat " + path_ + ": " + ErrnoText(errno));
    const size_t want = std::min(static_cast<size_t>(st.st_size), limit + 1);
    Bytes data(want);
    size_t done = 0;
    while (done < want) {
      const ssize_t n = ::pread(fd_, data.data() + done, want - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return UnavailableError("read " + path_ + ": " + ErrnoText(errno));
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    data.resize(done);
    return data;
  }

  // One write(2) of all of `data` (O_APPEND: at the end). A short write is
  // an error; what it wrote is a torn line the next writer seals.
  Status Append(ByteView data) {
    for (;;) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return UnavailableError("append to " + path_ + ": " + ErrnoText(errno));
      if (static_cast<size_t>(n) != data.size()) {
        return UnavailableError("append to " + path_ + ": short write (" + std::to_string(n) +
                                " of " + std::to_string(data.size()) + " bytes)");
      }
      return Status::Ok();
    }
  }

  Status Sync() {
    if (::fsync(fd_) != 0) return UnavailableError("fsync " + path_ + ": " + ErrnoText(errno));
    return Status::Ok();
  }

  Status Truncate() {
    if (::ftruncate(fd_, 0) != 0) {
      return UnavailableError("truncate " + path_ + ": " + ErrnoText(errno));
    }
    return Sync();
  }

 private:
  int fd_;
  std::string path_;
};

void SyncDirectoryOf(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

// The boot_id of the last record from another boot, if any. Empty boot_ids
// (unknown) never count as another boot.
std::optional<std::string> OtherBootId(const std::vector<VmLogRecord>& records,
                                       const std::string& boot_id) {
  if (boot_id.empty()) return std::nullopt;
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    if (!it->boot_id.empty() && it->boot_id != boot_id) return it->boot_id;
  }
  return std::nullopt;
}

// For a log too large to parse whole: the record of its last complete line,
// if it is one (enough to tell which boot the log is from).
std::vector<VmLogRecord> LastRecordOf(ByteView content) {
  size_t end = content.size();
  while (end > 0 && content[end - 1] != '\n') --end;  // just past the last "\n"
  if (end == 0) return {};
  size_t start = end - 1;
  while (start > 0 && content[start - 1] != '\n') --start;
  if (end - start > protocol::kMaxVmLogRecordBytes) return {};
  auto record = protocol::DecodeVmLogRecord(
      std::string_view(reinterpret_cast<const char*>(content.data()) + start, end - start));
  if (!record.has_value()) return {};
  return {std::move(*record)};
}

// Copies `content` to "<path>.<old_boot_id>[.N]" (fsynced, with the
// directory) and truncates `log` in place. The boot id comes from the log
// itself, so only a plausible one names the archive.
Result<std::string> RotateLocked(LogFile& log, ByteView content, const std::string& path,
                                 const std::string& old_boot_id) {
  const std::string base =
      path + "." + (protocol::IsVmBootId(old_boot_id) ? old_boot_id : std::string("unknown"));
  std::string archive = base;
  int fd = -1;
  for (int i = 1; i < 1000; ++i) {
    fd = ::open(archive.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd >= 0 || errno != EEXIST) break;
    archive = base + "." + std::to_string(i);
  }
  if (fd < 0) return UnavailableError("create archive " + archive + ": " + ErrnoText(errno));
  size_t done = 0;
  Status s;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      s = UnavailableError("write archive " + archive + ": " + ErrnoText(errno));
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (s.ok() && ::fsync(fd) != 0) {
    s = UnavailableError("fsync archive " + archive + ": " + ErrnoText(errno));
  }
  ::close(fd);
  VOUCH_RETURN_IF_ERROR(s);
  SyncDirectoryOf(archive);
  VOUCH_RETURN_IF_ERROR(log.Truncate());
  return archive;
}

std::string BankList(const std::vector<HashAlg>& banks) {
  std::string out;
  for (HashAlg b : banks) out += (out.empty() ? "" : ", ") + std::string(HashAlgName(b));
  return out;
}

std::string Describe(const VmLogRecord& r) {
  return "record seq " + std::to_string(r.seq) + " (vm " + r.vm_name + ", " +
         std::string(protocol::VmComponentName(r.component)) + " " + r.path + ")";
}

std::vector<uint32_t> PcrsOf(const std::vector<VmLogRecord>& records, uint32_t vm_pcr) {
  std::set<uint32_t> pcrs{vm_pcr};
  for (const VmLogRecord& r : records) pcrs.insert(r.pcr);
  return {pcrs.begin(), pcrs.end()};
}

Result<tpm::PcrValues> ReadVmPcrs(tpm_device::TpmDevice& tpm, const std::vector<HashAlg>& banks,
                                  const std::vector<uint32_t>& pcrs) {
  std::vector<tpm::PcrSelection> selection;
  selection.reserve(banks.size());
  for (HashAlg b : banks) selection.push_back({b, pcrs});
  auto values = tpm.ReadPcrs(selection);
  if (!values.has_value()) return values.error().WithContext("read PCRs");
  return values;
}

}  // namespace

std::string ReadBootId(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  return protocol::IsVmBootId(line) ? line : "";
}

std::string_view VmPcrStateName(VmPcrState state) {
  switch (state) {
    case VmPcrState::kConsistent: return "consistent";
    case VmPcrState::kTrailingUnextended: return "trailing_unextended";
    case VmPcrState::kMismatch: return "mismatch";
    case VmPcrState::kNotComputable: return "not_computable";
  }
  return "mismatch";
}

VmLogClassification ClassifyVmLog(const std::vector<VmLogRecord>& records,
                                  const tpm::PcrValues& tpm_values,
                                  const std::vector<HashAlg>& banks,
                                  const std::vector<uint32_t>& pcrs) {
  VmLogClassification out;
  const tpm::PcrValues all = protocol::ReplayVmLog(records, banks);
  tpm::PcrValues but_last;
  if (!records.empty()) {
    but_last = protocol::ReplayVmLog({records.begin(), records.end() - 1}, banks);
  }
  auto uses = [](const std::vector<VmLogRecord>& rs, size_t n, uint32_t pcr) {
    return std::any_of(rs.begin(), rs.begin() + static_cast<std::ptrdiff_t>(n),
                       [pcr](const VmLogRecord& r) { return r.pcr == pcr; });
  };
  // A PCR no record uses should still hold its reset value (zero for 8-15).
  auto expected = [&](const tpm::PcrValues& replay, size_t n, HashAlg bank,
                      uint32_t pcr) -> std::optional<Bytes> {
    if (!uses(records, n, pcr)) return Bytes(DigestSize(bank), 0);
    const Bytes* v = replay.Get(bank, pcr);
    if (v == nullptr) return std::nullopt;
    return *v;
  };
  std::string first_problem;
  size_t trailing = 0;
  size_t last_pcr_banks = 0;
  for (uint32_t pcr : pcrs) {
    for (HashAlg bank : banks) {
      VmPcrBankCheck c;
      c.pcr = pcr;
      c.bank = bank;
      const Bytes* now = tpm_values.Get(bank, pcr);
      c.tpm_value = now != nullptr ? *now : Bytes();
      const std::string where = "PCR " + std::to_string(pcr) + " " + std::string(HashAlgName(bank));
      const bool last_here = !records.empty() && records.back().pcr == pcr;
      if (last_here) ++last_pcr_banks;
      std::optional<Bytes> want = expected(all, records.size(), bank, pcr);
      if (!want.has_value()) {
        c.state = VmPcrState::kNotComputable;
        if (first_problem.empty()) {
          first_problem = where + ": not computable (a record has no " +
                          std::string(HashAlgName(bank)) + " digest)";
        }
      } else {
        c.replay_value = *want;
        if (now != nullptr && *now == *want) {
          c.state = VmPcrState::kConsistent;
        } else {
          std::optional<Bytes> before;
          if (last_here && records.back().digests.count(bank) != 0) {
            before = expected(but_last, records.size() - 1, bank, pcr);
          }
          if (now != nullptr && before.has_value() && *now == *before) {
            c.state = VmPcrState::kTrailingUnextended;
            ++trailing;
          } else {
            c.state = VmPcrState::kMismatch;
            if (first_problem.empty()) {
              first_problem = where + ": TPM " + (now ? HexEncode(*now) : "(not read)") +
                              " != replay " + HexEncode(*want) + " of the log's " +
                              std::to_string(records.size()) + " record(s)";
            }
          }
        }
      }
      out.checks.push_back(std::move(c));
    }
  }
  std::string pcr_list;
  for (uint32_t p : pcrs) pcr_list += (pcr_list.empty() ? "" : ", ") + std::to_string(p);
  if (!first_problem.empty()) {
    out.state = VmPcrState::kMismatch;
    out.message = "mismatch: " + first_problem;
  } else if (trailing > 0 && trailing != last_pcr_banks) {
    out.state = VmPcrState::kMismatch;
    out.message = "mismatch: " + Describe(records.back()) + " is extended into PCR " +
                  std::to_string(records.back().pcr) +
                  " in some banks only (one extend covers every bank)";
  } else if (trailing > 0) {
    out.state = VmPcrState::kTrailingUnextended;
    out.message = "trailing unextended record: " + Describe(records.back()) +
                  " was appended but not extended into PCR " + std::to_string(records.back().pcr) +
                  " (a crash between fsync and extend; the next measure-vm rolls it forward)";
  } else {
    out.state = VmPcrState::kConsistent;
    out.message = std::string("consistent: PCR") + (pcrs.size() > 1 ? "s " : " ") + pcr_list +
                  (pcrs.size() > 1 ? " equal" : " equals") + " the replay of " +
                  std::to_string(records.size()) + " record(s) in " + BankList(banks);
  }
  return out;
}

Result<VmLogAppendResult> AppendVmMeasurements(tpm_device::TpmDevice& tpm,
                                               const VmLogAppendRequest& request, Logger& logger) {
  VOUCH_RETURN_IF_ERROR(protocol::CheckVmPcr(request.pcr));
  if (request.components.empty()) return InvalidArgumentError("no component to log");
  auto banks = tpm.ActiveBanks();
  if (!banks.has_value()) return banks.error().WithContext("active PCR banks");

  // Records are built and encoded first, so a bad request appends nothing.
  std::vector<VmLogRecord> records;
  records.reserve(request.components.size());
  for (const VmMeasurement& m : request.components) {
    VmLogRecord r;
    r.time = FormatRfc3339Utc(request.time);
    r.boot_id = request.boot_id;
    r.pcr = request.pcr;
    r.vm_id = request.vm_id;
    r.vm_name = request.vm_name;
    r.component = m.component;
    r.path = m.path;
    r.size = m.size;
    r.digests = m.digests;
    for (HashAlg b : *banks) {
      if (r.digests.count(b) == 0) {
        return FailedPreconditionError(m.path + ": no " + std::string(HashAlgName(b)) +
                                       " digest, but the TPM's bank is active");
      }
    }
    if (r.digests.size() != banks->size()) {
      return FailedPreconditionError(m.path + ": digests for banks the TPM does not have active (" +
                                     BankList(*banks) + ")");
    }
    auto line = protocol::EncodeVmLogRecord(r);
    if (!line.has_value()) return line.error().WithContext(m.path);
    records.push_back(std::move(r));
  }

  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(request.log_path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  struct stat existing {};
  const bool created = ::stat(request.log_path.c_str(), &existing) != 0;
  VOUCH_ASSIGN_OR_RETURN(LogFile log, LogFile::Open(request.log_path, O_RDWR | O_APPEND | O_CREAT));
  // A new log's directory entry must be as durable as the records fsynced
  // into it, or a crash could keep the extends and lose the whole log.
  if (created) SyncDirectoryOf(request.log_path);
  VOUCH_RETURN_IF_ERROR(log.Lock(LOCK_EX));
  VOUCH_ASSIGN_OR_RETURN(Bytes content, log.ReadAll(protocol::kMaxVmLogBytes));
  VmLogAppendResult result;
  if (content.size() > protocol::kMaxVmLogBytes) {
    // Too large to parse or send: rotated when it is another boot's (read
    // whole for the archive), refused otherwise.
    VOUCH_ASSIGN_OR_RETURN(content, log.ReadAll(SIZE_MAX - 1));
    const std::optional<std::string> old = OtherBootId(LastRecordOf(content), request.boot_id);
    if (!old.has_value()) {
      return FailedPreconditionError("VM log " + request.log_path +
                                     " is over the evidence limit of " +
                                     std::to_string(protocol::kMaxVmLogBytes) +
                                     " bytes: rotate it (vouch-launcher vm-log rotate --force)");
    }
    VOUCH_ASSIGN_OR_RETURN(std::string archive, RotateLocked(log, content, request.log_path, *old));
    logger.Info("VM log " + request.log_path + " (over the evidence limit) is from boot " + *old +
                ": archived to " + archive + " and truncated");
    result.rotated_to = archive;
    content.clear();
  }
  auto parsed = protocol::ParseVmLog(content);
  if (!parsed.has_value()) return parsed.error().WithContext("VM log " + request.log_path);

  if (auto old = OtherBootId(parsed->records, request.boot_id); old.has_value()) {
    VOUCH_ASSIGN_OR_RETURN(std::string archive, RotateLocked(log, content, request.log_path, *old));
    logger.Info("VM log " + request.log_path + " is from boot " + *old + ": archived to " +
                archive + " and truncated");
    result.rotated_to = archive;
    content.clear();
    parsed = protocol::ParsedVmLog{};
  }

  // Replay against the TPM under the lock: nobody else extends meanwhile.
  const std::vector<uint32_t> pcrs = PcrsOf(parsed->records, request.pcr);
  VOUCH_ASSIGN_OR_RETURN(tpm::PcrValues values, ReadVmPcrs(tpm, *banks, pcrs));
  const VmLogClassification before = ClassifyVmLog(parsed->records, values, *banks, pcrs);
  if (before.state == VmPcrState::kTrailingUnextended) {
    const VmLogRecord& last = parsed->records.back();
    std::vector<tpm_device::BankDigest> digests;
    digests.reserve(banks->size());
    for (HashAlg b : *banks) digests.push_back({b, last.digests.at(b)});
    if (auto s = tpm.ExtendPcr(last.pcr, digests); !s.ok()) {
      return s.WithContext("roll-forward extend of " + Describe(last));
    }
    logger.Warning("rolled forward: " + Describe(last) + " was in the log but not in PCR " +
                   std::to_string(last.pcr) + " (interrupted measurement); extended now");
    result.rolled_forward = last;
  } else if (before.state != VmPcrState::kConsistent) {
    logger.Warning("VM log " + request.log_path +
                   " and the TPM disagree before appending: " + before.message);
    result.warnings.push_back(before.message);
  }

  size_t offset = content.size();
  if (!parsed->ends_with_newline) {
    size_t torn_at = 0;
    for (const protocol::VmLogDefect& d : parsed->defects) {
      if (d.kind == protocol::VmLogDefect::Kind::kTorn) torn_at = d.offset;
    }
    VOUCH_RETURN_IF_ERROR(log.Append(ByteView(reinterpret_cast<const uint8_t*>("\n"), 1)));
    ++offset;
    result.sealed_torn_offset = torn_at;
    logger.Warning("VM log " + request.log_path + ": torn final line at offset " +
                   std::to_string(torn_at) +
                   " (an interrupted append) sealed with a newline; it "
                   "stays as a malformed line and was never extended");
  }

  uint64_t seq = parsed->records.empty() ? 0 : parsed->records.back().seq + 1;
  for (VmLogRecord& r : records) {
    r.seq = seq++;
    auto line = protocol::EncodeVmLogRecord(r);
    if (!line.has_value()) return line.error().WithContext(r.path);
    if (offset + line->size() > protocol::kMaxVmLogBytes) {
      return FailedPreconditionError(
          "VM log " + request.log_path + " would exceed the evidence limit of " +
          std::to_string(protocol::kMaxVmLogBytes) + " bytes: rotate it");
    }
    VOUCH_RETURN_IF_ERROR(
        log.Append(ByteView(reinterpret_cast<const uint8_t*>(line->data()), line->size())));
    VOUCH_RETURN_IF_ERROR(log.Sync());
    result.appended.push_back(r);
    result.offsets.push_back(offset);
    offset += line->size();
    if (request.after_append_for_test) {
      VOUCH_RETURN_IF_ERROR(request.after_append_for_test(r));
    }
    std::vector<tpm_device::BankDigest> digests;
    digests.reserve(banks->size());
    for (HashAlg b : *banks) digests.push_back({b, r.digests.at(b)});
    if (auto s = tpm.ExtendPcr(r.pcr, digests); !s.ok()) {
      return s.WithContext("extend PCR " + std::to_string(r.pcr) + " with " + Describe(r) +
                           " (in the log; the next measure-vm rolls it forward)");
    }
  }
  return result;
}

Result<VmLogInspection> InspectVmLog(tpm_device::TpmDevice& tpm, const std::string& path,
                                     uint32_t vm_pcr) {
  VmLogInspection out;
  out.path = path;
  Bytes content;
  // Held until return: the PCRs are read while no launcher can append.
  std::optional<LogFile> log;
  auto opened = LogFile::Open(path, O_RDONLY);
  if (opened.has_value()) {
    log.emplace(std::move(*opened));
    VOUCH_RETURN_IF_ERROR(log->Lock(LOCK_SH));
    VOUCH_ASSIGN_OR_RETURN(content, log->ReadAll(protocol::kMaxVmLogBytes));
    out.exists = true;
  } else if (opened.error().code() != Code::kNotFound) {
    return opened.error();
  }
  out.bytes = content.size();
  auto parsed = protocol::ParseVmLog(content);
  if (!parsed.has_value()) return parsed.error().WithContext("VM log " + path);
  out.log = std::move(*parsed);
  auto banks = tpm.ActiveBanks();
  if (!banks.has_value()) return banks.error().WithContext("active PCR banks");
  out.banks = *banks;
  const std::vector<uint32_t> pcrs = PcrsOf(out.log.records, vm_pcr);
  VOUCH_ASSIGN_OR_RETURN(tpm::PcrValues values, ReadVmPcrs(tpm, out.banks, pcrs));
  out.classification = ClassifyVmLog(out.log.records, values, out.banks, pcrs);
  return out;
}

Result<VmLogRotateResult> RotateVmLog(const std::string& path, const std::string& boot_id,
                                      bool force) {
  VmLogRotateResult out;
  auto opened = LogFile::Open(path, O_RDWR | O_APPEND);
  if (!opened.has_value()) {
    if (opened.error().code() != Code::kNotFound) return opened.error();
    out.message = "no VM log at " + path + ": nothing to rotate";
    return out;
  }
  LogFile log = std::move(*opened);
  VOUCH_RETURN_IF_ERROR(log.Lock(LOCK_EX));
  // Read whole (even past the evidence limit: an oversized log is exactly
  // what a forced rotation is for).
  VOUCH_ASSIGN_OR_RETURN(Bytes content, log.ReadAll(SIZE_MAX - 1));
  if (content.empty()) {
    out.message = "VM log " + path + " is empty: nothing to rotate";
    return out;
  }
  std::vector<VmLogRecord> records;
  if (content.size() <= protocol::kMaxVmLogBytes) {
    auto parsed = protocol::ParseVmLog(content);
    if (parsed.has_value()) records = std::move(parsed->records);
  } else {
    records = LastRecordOf(content);
  }
  std::optional<std::string> old = OtherBootId(records, boot_id);
  if (!old.has_value() && !force) {
    out.message = "VM log " + path + " has no record from another boot" +
                  (boot_id.empty() ? " (current boot id unknown)" : "") +
                  ": not rotated (--force rotates anyway)";
    return out;
  }
  std::string name = old.value_or("");
  if (name.empty()) {
    for (auto it = records.rbegin(); it != records.rend() && name.empty(); ++it) {
      name = it->boot_id;
    }
  }
  VOUCH_ASSIGN_OR_RETURN(out.archive_path, RotateLocked(log, content, path, name));
  out.rotated = true;
  out.message = "VM log " + path + " (" + std::to_string(content.size()) + " bytes) archived to " +
                out.archive_path + " and truncated" +
                (old.has_value() ? " (records from boot " + *old + ")"
                                 : " (forced: the VM PCR no longer matches the log until reboot)");
  return out;
}

std::string VmLogInspectionToJson(const VmLogInspection& inspection) {
  using nlohmann::json;
  json j;
  j["path"] = inspection.path;
  j["exists"] = inspection.exists;
  j["bytes"] = inspection.bytes;
  json records = json::array();
  for (size_t i = 0; i < inspection.log.records.size(); ++i) {
    auto line = protocol::EncodeVmLogRecord(inspection.log.records[i]);
    json rec = line.has_value() ? json::parse(*line, nullptr, false) : json(nullptr);
    if (rec.is_discarded()) rec = nullptr;
    json entry = {{"offset", i < inspection.log.offsets.size() ? inspection.log.offsets[i] : 0},
                  {"record", rec}};
    records.push_back(std::move(entry));
  }
  j["records"] = std::move(records);
  json defects = json::array();
  for (const protocol::VmLogDefect& d : inspection.log.defects) {
    defects.push_back(
        {{"kind", d.kind == protocol::VmLogDefect::Kind::kTorn ? "torn" : "malformed"},
         {"offset", d.offset},
         {"length", d.length},
         {"message", d.message}});
  }
  j["defects"] = std::move(defects);
  json banks = json::array();
  for (HashAlg b : inspection.banks) banks.push_back(std::string(HashAlgName(b)));
  j["banks"] = std::move(banks);
  json checks = json::array();
  for (const VmPcrBankCheck& c : inspection.classification.checks) {
    checks.push_back({{"pcr", c.pcr},
                      {"bank", std::string(HashAlgName(c.bank))},
                      {"state", std::string(VmPcrStateName(c.state))},
                      {"tpm", HexEncode(c.tpm_value)},
                      {"replay", HexEncode(c.replay_value)}});
  }
  j["checks"] = std::move(checks);
  j["state"] = std::string(VmPcrStateName(inspection.classification.state));
  j["message"] = inspection.classification.message;
  return j.dump(2);
}

}  // namespace vouch::launcher
