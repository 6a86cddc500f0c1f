// `vouch-launcher tboot install`: puts a plan in place on a (possibly
// scratch) root: the VLP file, the TPM NV index tboot reads it from, a GRUB
// entry for tboot + hypervisor (+ kernel, initrd, SINIT) and the plan
// itself (docs/launcher-tboot.md "install").
//
// Files (all under ROOT, never elsewhere: every target's existing parent is
// resolved and must stay inside ROOT, so a symlink cannot lead out):
//   ROOT/STATE_DIR/tboot/vl.pol           the VLP (tb_polgen's bytes; STATE_DIR: /var/lib/vouch)
//   ROOT/STATE_DIR/tboot/plan.json        the plan (tboot status reads it)
//   ROOT/STATE_DIR/tboot/references.json  the reference set for the verifier
//   ROOT/etc/grub.d/20_vouch_tboot             GRUB entry script (0755)
// The VLP lives with Vouch's state, not in /boot: tboot reads it from NV,
// never from a file. GRUB's configuration is not regenerated (run
// update-grub / grub-mkconfig afterwards).
//
// TPM (only when a TCTI is given): through tpm2-tools, as processes:
//   tpm2_nvundefine -T TCTI -C o 0x01c10131     (failure ignored: not defined)
//   tpm2_nvdefine -T TCTI -C o -s SIZE -a ownerwrite|policywrite|authread|no_da 0x01c10131
//   tpm2_nvwrite -T TCTI -C o -i vl.pol 0x01c10131
// Attributes 0x0204000A, those of tboot's provisioning instructions for the
// VLP index: the owner writes it, anyone reads it with the index's empty
// password (tboot reads with index authorization), no dictionary-attack
// lockout. SIZE is the VLP's size, so the index holds exactly the file.
//
// Thread-compatible.
#ifndef VOUCH_LAUNCHER_TBOOT_INSTALL_H_
#define VOUCH_LAUNCHER_TBOOT_INSTALL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/logger.h"
#include "core/base/status.h"
#include "launcher/tboot/plan.h"
#include "launcher/tboot/tool_runner.h"

namespace vouch::launcher::tboot {

struct InstallOptions {
  std::string root = "/";  // absolute
  std::string tcti;        // empty: the NV index is not written (logged)
  // The SINIT ACM as GRUB loads it (a path under ROOT); empty: none
  // (platforms whose BIOS provides SINIT).
  std::string sinit;
  // The launcher's state directory on the installed system (state_dir); the
  // VLP, plan and reference set go to ROOT/STATE_DIR/tboot/.
  std::string state_dir = "/var/lib/vouch";
};

struct InstallAction {
  enum class Kind { kWriteFile, kRunCommand, kNote };
  Kind kind = Kind::kNote;
  std::string path;  // kWriteFile: absolute path under ROOT
  Bytes content;
  uint32_t mode = 0644;
  std::vector<std::string> argv;  // kRunCommand
  bool may_fail = false;          // kRunCommand whose failure is expected/ignored
  std::string text;               // kNote; also a description for others
};

// The path GRUB names for `path` (a file under `root`): `path` with the
// root prefix removed. InvalidArgument when `path` is not under `root`.
Result<std::string> BootPathFor(const std::string& root, const std::string& path);

// The ROOT/etc/grub.d/20_vouch_tboot script for `plan`. InvalidArgument for
// paths outside ROOT or command lines with characters GRUB would interpret
// (quotes, backslash, $, ;, braces, newline).
Result<std::string> GrubEntryScript(const TbootPlan& plan, const InstallOptions& options);

// Every file to write and command to run, in order. InvalidArgument for a
// relative root or bad inputs (as GrubEntryScript).
Result<std::vector<InstallAction>> PlanInstall(const TbootPlan& plan,
                                               const InstallOptions& options);

// One line per action for --dry-run and logs ("write ROOT/... (N bytes,
// mode 0644)", "run tpm2_nvdefine ...").
std::string DescribeAction(const InstallAction& action);

// Writes each file (parent directories created 0755, file written to
// path.tmp, fsynced, renamed) and runs each command through `runner`;
// stops at the first failure. PermissionDenied when a target resolves
// outside `root`; Unavailable for I/O errors; the tools' errors as
// FailedPrecondition.
Status ApplyInstall(const std::vector<InstallAction>& actions, const std::string& root,
                    ToolRunner& runner, Logger& logger);

}  // namespace vouch::launcher::tboot

#endif  // VOUCH_LAUNCHER_TBOOT_INSTALL_H_
