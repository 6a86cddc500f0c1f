#include "launcher/tboot/install.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "policy/model/reference.h"

namespace vouch::launcher::tboot {
namespace {

namespace fs = std::filesystem;

constexpr const char* kGrubScript = "etc/grub.d/20_vouch_tboot";

// `rel` under `root`; an absolute `rel` (a path on the installed system) is
// taken relative to ROOT too.
std::string Join(const std::string& root, const std::string& rel) {
  return (fs::path(root) / fs::path(rel).relative_path()).lexically_normal().string();
}

Status CheckGrubWord(const std::string& what, const std::string& text) {
  for (char c : text) {
    if (c == '\'' || c == '"' || c == '\\' || c == '$' || c == ';' || c == '{' || c == '}' ||
        c == '\n' || c == '\r' || c == '`') {
      return InvalidArgumentError(what + ": character '" + std::string(1, c) +
                                  "' would be interpreted by GRUB");
    }
  }
  return Status::Ok();
}

// The deepest existing ancestor of `path`, resolved, must be inside root.
Status CheckInsideRoot(const std::string& root, const std::string& path) {
  std::error_code ec;
  const fs::path canon_root = fs::weakly_canonical(root, ec);
  if (ec) return UnavailableError("--root " + root + ": " + ec.message());
  const fs::path resolved = fs::weakly_canonical(path, ec);
  if (ec) return UnavailableError(path + ": " + ec.message());
  const std::string r = canon_root.string();
  const std::string p = resolved.string();
  if (r == "/") return Status::Ok();
  if (p.size() <= r.size() || p.compare(0, r.size(), r) != 0 || p[r.size()] != '/') {
    return PermissionDeniedError(path + " resolves to " + p + ", outside --root " + r);
  }
  return Status::Ok();
}

Status WriteFileDurably(const std::string& path, ByteView data, uint32_t mode) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                        static_cast<mode_t>(mode));
  if (fd < 0) return UnavailableError("open " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string e = std::strerror(errno);
      ::close(fd);
      return UnavailableError("write " + tmp + ": " + e);
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0 || ::fsync(fd) != 0) {
    const std::string e = std::strerror(errno);
    ::close(fd);
    return UnavailableError("fsync " + tmp + ": " + e);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return UnavailableError("rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  const std::string dir = fs::path(path).parent_path().string();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

std::string Octal(uint32_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", mode);
  return buf;
}

}  // namespace

Result<std::string> BootPathFor(const std::string& root, const std::string& path) {
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec).lexically_normal();
  if (ec) return InvalidArgumentError(path + ": " + ec.message());
  const std::string r = fs::path(root).lexically_normal().string();
  std::string p = abs.string();
  if (r == "/") return p;
  const std::string prefix = r.back() == '/' ? r : r + "/";
  if (p.compare(0, prefix.size(), prefix) != 0) {
    return InvalidArgumentError(path + ": not under --root " + root +
                                " (GRUB loads it from the installed system)");
  }
  return "/" + p.substr(prefix.size());
}

Result<std::string> GrubEntryScript(const TbootPlan& plan, const InstallOptions& options) {
  VOUCH_ASSIGN_OR_RETURN(std::string tboot, BootPathFor(options.root, plan.inputs.tboot_path));
  VOUCH_RETURN_IF_ERROR(CheckGrubWord("--tboot", tboot));
  VOUCH_RETURN_IF_ERROR(CheckGrubWord("--tboot-cmdline", plan.inputs.tboot_cmdline));
  const std::string kind = plan.inputs.kind == HypervisorKind::kXen ? "Xen" : "KVM (Linux)";
  std::string s;
  s += "#!/bin/sh\n";
  s += "exec tail -n +3 $0\n";
  s += "# Written by vouch-launcher tboot install: a measured launch (Intel TXT) of tboot and\n";
  s += "# the planned modules; tboot measures them into PCR 17 (plan: "
       "/var/lib/vouch/tboot/plan.json).\n";
  s += "# Regenerate grub.cfg (update-grub) after changing it.\n";
  s += "menuentry 'Vouch measured launch: tboot + " + kind + "' --class vouch --class tboot {\n";
  s += "\tinsmod multiboot2\n";
  s += "\tinsmod gzio\n";
  s += "\techo 'Loading tboot (measured launch) ...'\n";
  s += "\tmultiboot2 " + tboot;
  if (!plan.inputs.tboot_cmdline.empty()) s += " " + plan.inputs.tboot_cmdline;
  s += "\n";
  for (const PlannedModule& m : plan.modules) {
    VOUCH_ASSIGN_OR_RETURN(std::string path, BootPathFor(options.root, m.path));
    const std::string what = "module " + std::to_string(m.index);
    VOUCH_RETURN_IF_ERROR(CheckGrubWord(what + " path", path));
    VOUCH_RETURN_IF_ERROR(CheckGrubWord(what + " command line", m.cmdline));
    s += "\tmodule2 " + path;
    if (!m.cmdline.empty()) s += " " + m.cmdline;
    s += "\n";
  }
  if (!options.sinit.empty()) {
    VOUCH_ASSIGN_OR_RETURN(std::string sinit, BootPathFor(options.root, options.sinit));
    VOUCH_RETURN_IF_ERROR(CheckGrubWord("--sinit", sinit));
    s += "\tmodule2 " + sinit + "\n";
  }
  s += "}\n";
  return s;
}

Result<std::vector<InstallAction>> PlanInstall(const TbootPlan& plan,
                                               const InstallOptions& options) {
  if (options.root.empty() || options.root[0] != '/') {
    return InvalidArgumentError("--root " + options.root + ": must be an absolute path");
  }
  VOUCH_ASSIGN_OR_RETURN(std::string grub, GrubEntryScript(plan, options));
  VOUCH_ASSIGN_OR_RETURN(std::string plan_json, EncodePlanJson(plan));
  VOUCH_ASSIGN_OR_RETURN(policy::ReferenceSetDocument refs, PlanReferences(plan, "tboot-launch"));
  VOUCH_ASSIGN_OR_RETURN(std::string refs_json, policy::EncodeReferenceSet(refs));
  const std::string state = Join(options.root, options.state_dir + "/tboot");
  const std::string vlp_path = state + "/vl.pol";
  std::vector<InstallAction> actions;
  auto write = [&](std::string path, Bytes content, uint32_t mode, std::string text) {
    InstallAction a;
    a.kind = InstallAction::Kind::kWriteFile;
    a.path = std::move(path);
    a.content = std::move(content);
    a.mode = mode;
    a.text = std::move(text);
    actions.push_back(std::move(a));
  };
  write(vlp_path, plan.vlp, 0644, "tboot verified launch policy");
  write(state + "/plan.json", ToBytes(plan_json), 0644, "the plan (tboot status --plan)");
  write(state + "/references.json", ToBytes(refs_json + "\n"), 0644,
        "reference set for the verifier");
  write(Join(options.root, kGrubScript), ToBytes(grub), 0755, "GRUB entry");
  char index[16];
  std::snprintf(index, sizeof(index), "0x%08x", kVlpNvIndex);
  if (options.tcti.empty()) {
    InstallAction note;
    note.text = std::string("TPM NV index ") + index +
                " not written: no --tcti given (install under --root writes files only)";
    actions.push_back(note);
  } else {
    InstallAction undefine;
    undefine.kind = InstallAction::Kind::kRunCommand;
    undefine.argv = {"tpm2_nvundefine", "-T", options.tcti, "-C", "o", index};
    undefine.may_fail = true;
    undefine.text = "remove an earlier VLP index (fails when there is none)";
    actions.push_back(undefine);
    InstallAction define;
    define.kind = InstallAction::Kind::kRunCommand;
    define.argv = {"tpm2_nvdefine",
                   "-T",
                   options.tcti,
                   "-C",
                   "o",
                   "-s",
                   std::to_string(plan.vlp.size()),
                   "-a",
                   "ownerwrite|policywrite|authread|no_da",
                   index};
    define.text = "define the VLP index";
    actions.push_back(define);
    InstallAction nvwrite;
    nvwrite.kind = InstallAction::Kind::kRunCommand;
    nvwrite.argv = {"tpm2_nvwrite", "-T", options.tcti, "-C", "o", "-i", vlp_path, index};
    nvwrite.text = "write the VLP";
    actions.push_back(nvwrite);
  }
  InstallAction hint;
  hint.text = "then regenerate GRUB's configuration (update-grub) on the installed system";
  actions.push_back(hint);
  return actions;
}

std::string DescribeAction(const InstallAction& action) {
  switch (action.kind) {
    case InstallAction::Kind::kWriteFile:
      return "write " + action.path + " (" + std::to_string(action.content.size()) +
             " bytes, mode " + Octal(action.mode) + "): " + action.text;
    case InstallAction::Kind::kRunCommand:
      return "run " + JoinCommand(action.argv) + (action.may_fail ? " (failure ignored)" : "") +
             ": " + action.text;
    case InstallAction::Kind::kNote: return "note: " + action.text;
  }
  return "";
}

Status ApplyInstall(const std::vector<InstallAction>& actions, const std::string& root,
                    ToolRunner& runner, Logger& logger) {
  for (const InstallAction& a : actions) {
    switch (a.kind) {
      case InstallAction::Kind::kNote: logger.Info(a.text); break;
      case InstallAction::Kind::kWriteFile: {
        const fs::path parent = fs::path(a.path).parent_path();
        VOUCH_RETURN_IF_ERROR(CheckInsideRoot(root, parent.string()));
        std::error_code ec;
        fs::create_directories(parent, ec);
        if (ec) return UnavailableError("mkdir " + parent.string() + ": " + ec.message());
        VOUCH_RETURN_IF_ERROR(CheckInsideRoot(root, a.path));
        VOUCH_RETURN_IF_ERROR(WriteFileDurably(a.path, a.content, a.mode));
        logger.Info("wrote " + a.path + " (" + a.text + ")");
        break;
      }
      case InstallAction::Kind::kRunCommand: {
        VOUCH_ASSIGN_OR_RETURN(ToolOutput out, runner.Run(a.argv));
        if (out.exit_code != 0 && !a.may_fail) {
          std::string err = out.stderr_text.substr(0, 300);
          while (!err.empty() && err.back() == '\n') err.pop_back();
          return FailedPreconditionError(JoinCommand(a.argv) + ": exit " +
                                         std::to_string(out.exit_code) +
                                         (err.empty() ? "" : ": " + err));
        }
        logger.Info(
            "ran " + JoinCommand(a.argv) +
            (out.exit_code != 0 ? " (exit " + std::to_string(out.exit_code) + ", ignored)" : ""));
        break;
      }
    }
  }
  return Status::Ok();
}

}  // namespace vouch::launcher::tboot
