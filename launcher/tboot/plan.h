// `vouch-launcher tboot plan`: what a tboot measured launch of a given
// tboot, hypervisor and modules will measure, computed before the launch
// (docs/launcher-tboot.md).
//
// Inputs and the tools behind them:
//   tboot's MLE hash   `lcp2_mlehash --create --alg A --cmdline C tboot.gz`
//                      (Debian's tboot package). The tool un-gzips the file,
//                      checks that it is an ELF image, lays the ELF's
//                      program segments out as they are loaded, finds the
//                      MLE header in that image and hashes the MLE range
//                      the header names; the command line tboot is started
//                      with changes the result (tboot keeps it inside its
//                      MLE), so it must be the GRUB line's. SINIT extends
//                      this hash as EVTYPE_MLE_HASH (0x404) into PCR 17.
//   the launch policy  a Verified Launch Policy (VLP) written by
//                      `tb_polgen --create --type T --alg A --ctrl N` and
//                      one `tb_polgen --add --num I --pcr P --hash image
//                      --cmdline C --image F` per module: module 0 with
//                      `--pcr none` (tboot always extends module 0 into
//                      PCR 17 under the details/authorities mapping; a PCR
//                      in its entry would extend it a second time), the
//                      others with `--pcr 17` (where tboot's own default
//                      policy for that mapping puts them). tboot reads the
//                      VLP from TPM NV index 0x01c10131 (kVlpNvIndex).
//   module digests     H(H(cmdline) || H(image)) per bank, as tboot's
//                      policy.c hash_module computes and as tb_polgen
//                      writes into the VLP (launcher/drtm/tboot_measure.h).
//   policy digest      H(le32(control) || P) per bank, P = H(VLP) when the
//                      control's bit 0 (extend the policy, the default) is
//                      set and H-size zero bytes otherwise (tboot
//                      policy.c verify_g_policy; tb_polgen allows control 0
//                      or 1 only). Extended into PCR 17 and PCR 18.
//
// What tboot extends after SINIT, in order, under the details/authorities
// mapping TPM 2.0 SINITs use: PCR 17 policy, PCR 18 policy, PCR 17 module 0,
// PCR 17 module 1, ... (EV_TBOOT_HASH 0x501 events). Which banks: tboot's
// `extpol` option decides (a single bank, sha256 by default in current
// tboot, or every bank with extpol=embedded|agile); the plan gives every
// requested bank's digest and a check compares whatever banks the log
// records. Not known without the SINIT ACM and the platform: SINIT's own
// events (HASH_START, platform configuration, LCP, authorities); the
// expected PCR 17/18 values are computed only when SINIT's events are given
// (ExpectedPcrs).
//
// Pure functions except MakeTbootPlan/RunMleHash/BuildVlp (which run tools
// through a ToolRunner and use a work directory). Thread-compatible.
#ifndef VOUCH_LAUNCHER_TBOOT_PLAN_H_
#define VOUCH_LAUNCHER_TBOOT_PLAN_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/tpm/pcr.h"
#include "launcher/tboot/tool_runner.h"
#include "policy/model/reference.h"

namespace vouch::launcher::tboot {

// tboot's VLP NV index on TPM 2.0 (TB_POLICY_INDEX for TPM 2.0).
inline constexpr uint32_t kVlpNvIndex = 0x01c10131;
// tboot's event type for its own measurements.
inline constexpr uint32_t kEvTbootHash = 0x501;
// SINIT's measurement of tboot's MLE.
inline constexpr uint32_t kEvTxtMleHash = 0x404;

enum class HypervisorKind { kXen, kKvm };
std::string_view HypervisorKindName(HypervisorKind k);  // "xen" | "kvm"
std::optional<HypervisorKind> ParseHypervisorKind(std::string_view name);

// One multiboot module as GRUB loads it.
struct ModuleSpec {
  std::string path;     // the file (read and hashed; also named in GRUB)
  std::string cmdline;  // without the file name
};

struct PlanInputs {
  HypervisorKind kind = HypervisorKind::kXen;
  std::string tboot_path;     // tboot.gz
  std::string tboot_cmdline;  // tboot's own command line (GRUB multiboot2 line)
  // Module 0 first: xen.gz then dom0 kernel, initrd (Xen); the Linux
  // kernel then its initrd (KVM). At least one.
  std::vector<ModuleSpec> modules;
  uint32_t policy_control = 1;           // 0 or 1 (tb_polgen --ctrl)
  std::string policy_type = "nonfatal";  // nonfatal | continue | halt
  HashAlg vlp_alg = HashAlg::kSha256;    // tb_polgen --alg (tboot's extpol bank)
  std::vector<HashAlg> banks = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384};
};

using DigestMap = std::map<HashAlg, Bytes>;

struct PlannedModule {
  size_t index = 0;
  policy::ReferenceKind kind = policy::ReferenceKind::kHypervisor;
  std::string path;
  std::string cmdline;
  uint64_t size = 0;
  DigestMap measurement;  // H(H(cmdline) || H(image)) per bank
};

struct TbootPlan {
  PlanInputs inputs;
  DigestMap mle_hash;       // per bank, from lcp2_mlehash
  Bytes vlp;                // the policy file tb_polgen wrote
  DigestMap policy_digest;  // H(le32(control) || H(VLP) or zeros) per bank
  std::vector<PlannedModule> modules;
};

// One measurement tboot (or SINIT, for the MLE hash) extends.
struct PlannedEvent {
  uint32_t pcr = 0;
  uint32_t type = 0;
  std::string what;  // "tboot policy control", "module 0 (hypervisor) /boot/xen.gz"
  DigestMap digests;
};

// The reference kind of module `index` for `kind`: Xen: 0 hypervisor,
// 1 kernel, 2.. initrd; KVM: 0 kernel, 1.. initrd (the verifier matches
// module 0 against hypervisor/kernel and later ones against kernel/initrd).
policy::ReferenceKind ModuleKind(HypervisorKind kind, size_t index);

// lcp2_mlehash's output: hex bytes separated by spaces (and possibly
// newlines), exactly DigestSize(alg) of them. InvalidArgument otherwise.
Result<Bytes> ParseMleHashText(std::string_view text, HashAlg alg);

// The argv of lcp2_mlehash for `alg` (sha1, sha256, sha384 or sha512).
std::vector<std::string> MleHashCommand(const std::string& tboot_path, const std::string& cmdline,
                                        HashAlg alg);

// Runs lcp2_mlehash. FailedPrecondition with the tool's message when it
// fails (e.g. the file is not a tboot ELF image); InvalidArgument for SM3.
Result<Bytes> RunMleHash(ToolRunner& runner, const std::string& tboot_path,
                         const std::string& cmdline, HashAlg alg);

// The tb_polgen commands that write the VLP for `inputs` to `policy_path`.
std::vector<std::vector<std::string>> VlpCommands(const PlanInputs& inputs,
                                                  const std::string& policy_path);

// Runs VlpCommands into `work_dir`/vl.pol (removed first) and returns the
// file's bytes. Errors of the tools as FailedPrecondition.
Result<Bytes> BuildVlp(ToolRunner& runner, const PlanInputs& inputs, const std::string& work_dir);

// Checks inputs (at least one module, policy control 0/1, known policy
// type, banks non-empty and hashable), reads every module, runs
// lcp2_mlehash per bank and tb_polgen in `work_dir`. InvalidArgument naming
// the input; the tools' errors.
Result<TbootPlan> MakeTbootPlan(ToolRunner& runner, const PlanInputs& inputs,
                                const std::string& work_dir);

// tboot's measurements in extend order (policy on 17, policy on 18, each
// module on 17), preceded by SINIT's MLE_HASH event on 17 as the first
// element (its place among SINIT's other events is SINIT's business).
std::vector<PlannedEvent> PlannedEvents(const TbootPlan& plan);

// The expected PCR 17/18 values after the launch, given SINIT's events as a
// TCG D-RTM log (e.g. the log of an earlier launch on the same platform with
// the same SINIT): its events of SINIT's types (0x400-0x4FF) are replayed
// from zero, with the EVTYPE_MLE_HASH digest replaced by the plan's MLE
// hash, then tboot's events are extended. Only banks both the SINIT log and
// the plan have. InvalidArgument for a log that does not parse or has no
// SINIT event.
Result<tpm::PcrValues> ExpectedPcrs(const TbootPlan& plan, ByteView sinit_log);

// The plan as JSON (docs/launcher-tboot.md "plan.json"), and back. The
// decoder checks every member it uses (hex digests of the bank's size,
// module list, control value) and refuses other formats.
Result<std::string> EncodePlanJson(const TbootPlan& plan);
Result<TbootPlan> DecodePlanJson(std::string_view text);

// The reference values to load into the verifier: one set named
// `set_name` with entries of kind tboot (MLE hash), tboot-policy (policy
// digest) and one per module (hypervisor/kernel/initrd), each with every
// bank's digest, source "file:PATH".
Result<policy::ReferenceSetDocument> PlanReferences(const TbootPlan& plan,
                                                    const std::string& set_name);

}  // namespace vouch::launcher::tboot

#endif  // VOUCH_LAUNCHER_TBOOT_PLAN_H_
