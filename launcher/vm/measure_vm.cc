#include "launcher/vm/measure_vm.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/crypto/digest.h"

namespace vouch::launcher {
namespace {

using protocol::VmComponent;

struct Input {
  std::string option;  // "--disk", for messages
  VmComponent component;
  std::string path;  // absolute
};

// Every file must be openable for reading and a regular file or block
// device (a libvirt disk can be an LVM volume). Checked before any hashing.
Status CheckReadable(const Input& in) {
  const int fd = ::open(in.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    return InvalidArgumentError(in.option + " " + in.path + ": " + std::strerror(errno));
  }
  struct stat st {};
  const int rc = ::fstat(fd, &st);
  ::close(fd);
  if (rc != 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
    return InvalidArgumentError(in.option + " " + in.path + ": not a regular file or block device");
  }
  return Status::Ok();
}

std::string Absolute(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(path, ec);
  if (ec) return path;
  return p.lexically_normal().string();
}

std::string Rate(uint64_t bytes, double seconds) {
  char buf[64];
  const double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  std::snprintf(buf, sizeof buf, "%.1f MiB in %.2f s, %.0f MiB/s", mib, seconds,
                seconds > 0 ? mib / seconds : 0.0);
  return buf;
}

}  // namespace

std::string DefaultVmId(std::string_view name) {
  // RFC 4122 section 4.3: SHA-1 over the namespace's 16 bytes then the name;
  // the first 16 bytes, with version 5 and the RFC 4122 variant set.
  Bytes input;
  for (char c : std::string_view(kVmIdNamespace)) {
    if (c != '-') input.push_back(static_cast<uint8_t>(c));
  }
  Bytes ns = HexDecode(std::string_view(reinterpret_cast<const char*>(input.data()), input.size()))
                 .value_or(Bytes(16, 0));
  ns.insert(ns.end(), name.begin(), name.end());
  Bytes h = crypto::Digest(HashAlg::kSha1, ns).value_or(Bytes(20, 0));
  h.resize(16);
  h[6] = static_cast<uint8_t>((h[6] & 0x0f) | 0x50);
  h[8] = static_cast<uint8_t>((h[8] & 0x3f) | 0x80);
  const std::string hex = HexEncode(h);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

Result<MeasureVmResult> MeasureVm(tpm_device::TpmDevice& tpm, const MeasureVmRequest& request,
                                  Logger& logger) {
  VOUCH_RETURN_IF_ERROR(protocol::CheckVmPcr(request.pcr).WithContext("--pcr"));
  if (request.name.empty() || request.name.size() > 256) {
    return InvalidArgumentError("--name: 1 to 256 characters");
  }
  if (request.id.size() > 128) return InvalidArgumentError("--id: at most 128 characters");
  if (request.disks.empty()) return InvalidArgumentError("--disk: at least one disk image");

  std::vector<Input> inputs;
  auto add = [&](const char* option, VmComponent c, const std::string& path) {
    if (!path.empty()) inputs.push_back({option, c, Absolute(path)});
  };
  add("--firmware", VmComponent::kFirmware, request.firmware);
  add("--kernel", VmComponent::kKernel, request.kernel);
  add("--initrd", VmComponent::kInitrd, request.initrd);
  for (const std::string& d : request.disks) {
    if (d.empty()) return InvalidArgumentError("--disk: empty path");
    add("--disk", VmComponent::kDisk, d);
  }
  add("--config", VmComponent::kConfig, request.config);
  for (const Input& in : inputs) VOUCH_RETURN_IF_ERROR(CheckReadable(in));

  MeasureVmResult result;
  result.vm_name = request.name;
  result.vm_id = request.id.empty() ? DefaultVmId(request.name) : request.id;
  result.pcr = request.pcr;
  auto banks = tpm.ActiveBanks();
  if (!banks.has_value()) return banks.error().WithContext("active PCR banks");
  result.banks = *banks;

  for (const Input& in : inputs) {
    HashFileOptions options = request.hash_options;
    const std::string_view name = protocol::VmComponentName(in.component);
    if (request.progress) {
      options.progress = [&](uint64_t done, uint64_t total) {
        request.progress(name, in.path, done, total);
      };
    } else {
      options.progress = nullptr;
    }
    const auto start = std::chrono::steady_clock::now();
    auto digests = HashFile(in.path, result.banks, options);
    if (!digests.has_value()) {
      const Status& e = digests.error();
      // HashFile names the path; keep InvalidArgument for "cannot open".
      return Status(e.code(), in.option + " " + e.message());
    }
    MeasuredComponent mc;
    mc.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    mc.measurement.component = in.component;
    mc.measurement.path = in.path;
    mc.measurement.size = digests->size;
    mc.measurement.digests = std::move(digests->digests);
    const auto sha256 = mc.measurement.digests.find(HashAlg::kSha256);
    logger.Info(
        "measured " + std::string(name) + " " + in.path + ": " +
        Rate(mc.measurement.size, mc.seconds) +
        (sha256 != mc.measurement.digests.end() ? ", sha256 " + HexEncode(sha256->second) : ""));
    result.components.push_back(std::move(mc));
  }

  VmLogAppendRequest append;
  append.log_path = request.log_path;
  append.pcr = request.pcr;
  append.vm_id = result.vm_id;
  append.vm_name = request.name;
  append.boot_id = request.boot_id;
  append.time = request.time;
  for (const MeasuredComponent& mc : result.components) {
    append.components.push_back(mc.measurement);
  }
  append.after_append_for_test = request.after_append_for_test;
  auto appended = AppendVmMeasurements(tpm, append, logger);
  if (!appended.has_value()) return appended.error().WithContext("VM log " + request.log_path);
  result.log = std::move(*appended);
  for (size_t i = 0; i < result.log.appended.size(); ++i) {
    const protocol::VmLogRecord& r = result.log.appended[i];
    logger.Info("VM " + r.vm_name + " (" + r.vm_id +
                "): " + std::string(protocol::VmComponentName(r.component)) + " " + r.path +
                " logged as seq " + std::to_string(r.seq) + " at offset " +
                std::to_string(result.log.offsets[i]) + " and extended into PCR " +
                std::to_string(r.pcr));
  }
  return result;
}

std::string MeasureVmResultToJson(const MeasureVmResult& result) {
  using nlohmann::json;
  json j;
  j["vm"] = {{"id", result.vm_id}, {"name", result.vm_name}};
  j["pcr"] = result.pcr;
  json banks = json::array();
  for (HashAlg b : result.banks) banks.push_back(std::string(HashAlgName(b)));
  j["banks"] = std::move(banks);
  json records = json::array();
  for (size_t i = 0; i < result.log.appended.size(); ++i) {
    const protocol::VmLogRecord& r = result.log.appended[i];
    json digests = json::object();
    for (const auto& [bank, d] : r.digests) digests[std::string(HashAlgName(bank))] = HexEncode(d);
    json rec = {{"seq", r.seq},
                {"component", std::string(protocol::VmComponentName(r.component))},
                {"path", r.path},
                {"size", r.size},
                {"offset", result.log.offsets[i]},
                {"digests", std::move(digests)}};
    if (i < result.components.size()) rec["seconds"] = result.components[i].seconds;
    records.push_back(std::move(rec));
  }
  j["records"] = std::move(records);
  j["rotated_to"] =
      result.log.rotated_to.has_value() ? json(*result.log.rotated_to) : json(nullptr);
  j["sealed_torn_offset"] = result.log.sealed_torn_offset.has_value()
                                ? json(*result.log.sealed_torn_offset)
                                : json(nullptr);
  if (result.log.rolled_forward.has_value()) {
    const protocol::VmLogRecord& r = *result.log.rolled_forward;
    j["rolled_forward"] = {{"seq", r.seq},
                           {"vm", r.vm_name},
                           {"component", std::string(protocol::VmComponentName(r.component))},
                           {"path", r.path}};
  } else {
    j["rolled_forward"] = nullptr;
  }
  j["warnings"] = result.log.warnings;
  return j.dump(2);
}

}  // namespace vouch::launcher
