#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/tpm_device/esys_tpm_device.h"
#include "launcher/cli/common.h"
#include "launcher/tboot/install.h"
#include "launcher/tboot/plan.h"
#include "launcher/tboot/status.h"
#include "launcher/tboot/tool_runner.h"
#include "launcher/tboot/txt_heap.h"
#include "policy/model/reference.h"

// tboot plan | install | status: the real-hardware measured launch with
// tboot and Intel TXT (docs/launcher-tboot.md).
namespace vouch::launcher::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using tboot::TbootPlan;

// Options shared by plan and install: what is launched.
struct PlanOptions {
  std::string tboot = "/boot/tboot.gz";
  std::string tboot_cmdline;
  std::string hypervisor;
  std::string hypervisor_cmdline;
  std::vector<std::string> modules;  // FILE[:CMDLINE]
  std::string kind = "xen";
  uint32_t policy_control = 1;
  std::string policy_type = "nonfatal";
  std::string vlp_alg = "sha256";
  std::vector<std::string> banks;
};

void AddPlanOptions(CLI::App& sub, PlanOptions& o) {
  sub.add_option("--tboot", o.tboot, "tboot image as GRUB loads it (default /boot/tboot.gz)");
  sub.add_option("--tboot-cmdline", o.tboot_cmdline,
                 "tboot's command line (part of its MLE hash), e.g. logging=serial,memory");
  sub.add_option("--hypervisor", o.hypervisor, "module 0: xen.gz (Xen) or the Linux kernel (KVM)")
      ->required();
  sub.add_option("--hypervisor-cmdline", o.hypervisor_cmdline,
                 "module 0's command line without the file name");
  sub.add_option("--module", o.modules,
                 "further module FILE[:CMDLINE] in GRUB order (Xen: dom0 kernel, initrd; KVM: "
                 "initrd); repeatable");
  sub.add_option("--kind", o.kind, "xen (default) or kvm")->check(CLI::IsMember({"xen", "kvm"}));
  sub.add_option("--policy-control", o.policy_control,
                 "tboot policy control: 1 (default, extend the policy into PCR 17) or 0");
  sub.add_option("--policy-type", o.policy_type, "VLP type: nonfatal (default), continue or halt")
      ->check(CLI::IsMember({"nonfatal", "continue", "halt"}));
  sub.add_option("--vlp-alg", o.vlp_alg, "VLP hash algorithm, tboot's extpol bank (default sha256)")
      ->check(CLI::IsMember({"sha1", "sha256", "sha384", "sha512"}));
  sub.add_option("--bank", o.banks,
                 "PCR bank to compute (repeatable; default sha1, sha256, sha384)")
      ->check(CLI::IsMember({"sha1", "sha256", "sha384", "sha512"}));
}

// Paths become absolute: the plan names them and GRUB needs them so.
std::string Absolute(const std::string& path) {
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  return ec ? path : abs.lexically_normal().string();
}

Result<tboot::PlanInputs> ResolvePlanInputs(const PlanOptions& o) {
  tboot::PlanInputs in;
  in.kind = *tboot::ParseHypervisorKind(o.kind);
  in.tboot_path = Absolute(o.tboot);
  in.tboot_cmdline = o.tboot_cmdline;
  in.modules.push_back({Absolute(o.hypervisor), o.hypervisor_cmdline});
  for (const std::string& spec : o.modules) {
    const size_t colon = spec.find(':');
    in.modules.push_back({Absolute(spec.substr(0, colon)),
                          colon == std::string::npos ? "" : spec.substr(colon + 1)});
  }
  in.policy_control = o.policy_control;
  in.policy_type = o.policy_type;
  in.vlp_alg = *HashAlgFromName(o.vlp_alg);
  if (!o.banks.empty()) {
    in.banks.clear();
    for (const std::string& b : o.banks) {
      const HashAlg alg = *HashAlgFromName(b);
      if (std::find(in.banks.begin(), in.banks.end(), alg) == in.banks.end()) {
        in.banks.push_back(alg);
      }
    }
  }
  return in;
}

// A private temporary directory for tb_polgen's policy file, removed on
// destruction.
class TempDir {
 public:
  static Result<TempDir> Create() {
    std::error_code ec;
    std::string pattern = (fs::temp_directory_path(ec) / "vouch-tboot-XXXXXX").string();
    if (ec) pattern = "/tmp/vouch-tboot-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) {
      return UnavailableError("mkdtemp " + pattern + ": cannot create");
    }
    return TempDir(buf.data());
  }
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

Result<TbootPlan> BuildPlan(const PlanOptions& options, tboot::ToolRunner& runner) {
  VOUCH_ASSIGN_OR_RETURN(tboot::PlanInputs inputs, ResolvePlanInputs(options));
  VOUCH_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  return tboot::MakeTbootPlan(runner, inputs, dir.path());
}

std::string DigestLines(const tboot::DigestMap& digests, const std::string& indent) {
  std::string out;
  for (const auto& [alg, d] : digests) {
    std::string name(HashAlgName(alg));
    name.resize(7, ' ');
    out += indent + name + HexEncode(d) + "\n";
  }
  return out;
}

std::string PlanText(const TbootPlan& plan, const std::optional<tpm::PcrValues>& expected) {
  std::string s;
  s += "tboot MLE hash (lcp2_mlehash " + plan.inputs.tboot_path + ", cmdline \"" +
       plan.inputs.tboot_cmdline + "\"):\n" + DigestLines(plan.mle_hash, "  ");
  s += "verified launch policy (tb_polgen: type " + plan.inputs.policy_type + ", alg " +
       std::string(HashAlgName(plan.inputs.vlp_alg)) + ", control " +
       std::to_string(plan.inputs.policy_control) + "): " + std::to_string(plan.vlp.size()) +
       " bytes for NV index 0x01c10131\n  " + HexEncode(plan.vlp) + "\n";
  s += "policy control digest H(le32(control) || " +
       std::string(plan.inputs.policy_control & 1 ? "H(VLP)" : "zeros") +
       ") into PCR 17 and 18:\n" + DigestLines(plan.policy_digest, "  ");
  s += "modules, measured H(H(cmdline) || H(image)) into PCR 17:\n";
  for (const tboot::PlannedModule& m : plan.modules) {
    s += "  " + std::to_string(m.index) + " " + std::string(policy::ReferenceKindName(m.kind)) +
         " " + m.path + " \"" + m.cmdline + "\" (" + std::to_string(m.size) + " bytes)\n" +
         DigestLines(m.measurement, "      ");
  }
  s += "expected D-RTM contributions, in extend order:\n";
  s += "  PCR 17  SINIT's events (HASH_START, BIOS ACM, S-CRTM status, LCP, STM, OsSinitData "
       "capabilities, NV info): unknown without the SINIT ACM and this platform\n";
  s += "  PCR 17  EVTYPE_MLE_HASH (0x404, by SINIT, among its events): the tboot MLE hash above\n";
  s += "  PCR 18  SINIT's authorities (SINIT signer, LCP authorities, ...): unknown without the "
       "SINIT ACM\n";
  s += "  PCR 17  EV_TBOOT_HASH (0x501): policy control digest\n";
  s += "  PCR 18  EV_TBOOT_HASH (0x501): policy control digest\n";
  for (const tboot::PlannedModule& m : plan.modules) {
    s += "  PCR 17  EV_TBOOT_HASH (0x501): module " + std::to_string(m.index) + " " + m.path + "\n";
  }
  s += "  (tboot extends its events only into its extpol bank, sha256 by default, or into every "
       "bank with extpol=embedded|agile)\n";
  if (expected.has_value()) {
    s += "expected PCR values after launch (SINIT's events as given):\n";
    for (const auto& [bank, values] : expected->banks()) {
      for (const auto& [pcr, v] : values) {
        s += "  PCR " + std::to_string(pcr) + " " + std::string(HashAlgName(bank)) + " " +
             HexEncode(v) + "\n";
      }
    }
  } else {
    s += "expected PCR 17/18 values: not computable without SINIT's events (--sinit-events "
         "FILE: the D-RTM log of an earlier launch with the same SINIT ACM)\n";
  }
  return s;
}

int WriteTextFile(const std::string& option, const std::string& path, const std::string& text,
                  Logger& logger) {
  if (auto s = WriteFileAtomically(path, AsBytes(text)); !s.ok()) {
    logger.Error(s.WithContext(option).ToString());
    return kExitFailure;
  }
  return kExitOk;
}

struct PlanCmdOptions {
  PlanOptions plan;
  bool json_output = false;
  std::string references_out;
  std::string plan_out;
  std::string vlp_out;
  std::string sinit_events;
  std::string set_name = "tboot-launch";
};

int RunPlan(const PlanCmdOptions& o, Logger& logger) {
  auto runner = tboot::MakeProcessToolRunner();
  auto plan = BuildPlan(o.plan, *runner);
  if (!plan.has_value()) {
    logger.Error(plan.error().WithContext("tboot plan").ToString());
    return ExitCodeFor(plan.error());
  }
  std::optional<tpm::PcrValues> expected;
  if (!o.sinit_events.empty()) {
    auto log = ReadInputFile("--sinit-events", o.sinit_events);
    if (!log.has_value()) {
      logger.Error(log.error().ToString());
      return kExitBadInput;
    }
    auto pcrs = tboot::ExpectedPcrs(*plan, *log);
    if (!pcrs.has_value()) {
      logger.Error(pcrs.error().WithContext("--sinit-events " + o.sinit_events).ToString());
      return kExitBadInput;
    }
    expected = std::move(*pcrs);
  }
  auto plan_json = tboot::EncodePlanJson(*plan);
  auto refs = tboot::PlanReferences(*plan, o.set_name);
  if (!plan_json.has_value() || !refs.has_value()) {
    const Status& s = !plan_json.has_value() ? plan_json.error() : refs.error();
    logger.Error(s.ToString());
    return ExitCodeFor(s);
  }
  auto refs_json = policy::EncodeReferenceSet(*refs);
  if (!refs_json.has_value()) {
    logger.Error(refs_json.error().ToString());
    return kExitInternal;
  }
  if (!o.references_out.empty()) {
    if (int rc = WriteTextFile("--references-out", o.references_out, *refs_json + "\n", logger);
        rc != kExitOk) {
      return rc;
    }
    logger.Info("reference set \"" + o.set_name + "\" (" + std::to_string(refs->entries.size()) +
                " entries) written to " + o.references_out);
  }
  if (!o.plan_out.empty()) {
    if (int rc = WriteTextFile("--plan-out", o.plan_out, *plan_json, logger); rc != kExitOk) {
      return rc;
    }
  }
  if (!o.vlp_out.empty()) {
    if (auto s = WriteFileAtomically(o.vlp_out, plan->vlp); !s.ok()) {
      logger.Error(s.WithContext("--vlp-out").ToString());
      return kExitFailure;
    }
  }
  if (o.json_output) {
    json doc = json::parse(*plan_json, nullptr, false);
    if (expected.has_value()) {
      json e = json::object();
      for (const auto& [bank, values] : expected->banks()) {
        for (const auto& [pcr, v] : values) {
          e[std::string(HashAlgName(bank))][std::to_string(pcr)] = HexEncode(v);
        }
      }
      doc["expected_pcrs"] = e;
    }
    doc["references"] = json::parse(*refs_json, nullptr, false);
    std::printf("%s\n", doc.dump(2).c_str());
  } else {
    std::printf("%s", PlanText(*plan, expected).c_str());
  }
  return kExitOk;
}

struct InstallCmdOptions {
  PlanOptions plan;
  std::string root = "/";
  bool dry_run = false;
  bool yes = false;
  std::string sinit;
};

int RunInstall(const InstallCmdOptions& o, const CommonOptions& common, Logger& logger) {
  std::error_code ec;
  const std::string root =
      o.root.empty() ? std::string() : fs::absolute(o.root, ec).lexically_normal().string();
  if (root.empty() || ec) {
    logger.Error("--root " + o.root + ": not a usable path");
    return kExitBadInput;
  }
  const bool real_root = fs::path(root) == fs::path("/");
  if (real_root && !o.dry_run && !o.yes) {
    logger.Error(
        "tboot install on the running system (--root /) changes GRUB and the TPM: "
        "give --yes, or --dry-run to see what would happen, or --root DIR");
    return kExitRefused;
  }
  if (!fs::is_directory(root, ec)) {
    logger.Error("--root " + root + ": not a directory");
    return kExitBadInput;
  }
  tboot::InstallOptions options;
  options.root = root;
  options.sinit = o.sinit;
  if (!o.sinit.empty() && !fs::is_regular_file(o.sinit, ec)) {
    logger.Error("--sinit " + o.sinit + ": not a regular file");
    return kExitBadInput;
  }
  auto config = ResolveConfig(common);
  if (!config.has_value()) {
    logger.Error(config.error().ToString());
    return kExitBadInput;
  }
  options.state_dir = config->state_dir;
  // Under a scratch root only an explicit --tcti reaches a TPM; on the real
  // root the configuration's TPM is the one tboot will read.
  if (!common.tcti.empty()) {
    options.tcti = common.tcti;
  } else if (real_root) {
    options.tcti = config->tcti;
  }
  auto runner = tboot::MakeProcessToolRunner();
  auto plan = BuildPlan(o.plan, *runner);
  if (!plan.has_value()) {
    logger.Error(plan.error().WithContext("tboot install").ToString());
    return ExitCodeFor(plan.error());
  }
  auto actions = tboot::PlanInstall(*plan, options);
  if (!actions.has_value()) {
    logger.Error(actions.error().WithContext("tboot install").ToString());
    return ExitCodeFor(actions.error());
  }
  if (o.dry_run) {
    std::printf("dry run: nothing is written or run\n");
    for (const tboot::InstallAction& a : *actions) {
      std::printf("%s\n", tboot::DescribeAction(a).c_str());
      if (a.kind == tboot::InstallAction::Kind::kWriteFile &&
          a.path.find("grub.d") != std::string::npos) {
        std::printf("----- %s\n%s-----\n", a.path.c_str(), ToString(a.content).c_str());
      }
    }
    return kExitOk;
  }
  if (auto s = tboot::ApplyInstall(*actions, root, *runner, logger); !s.ok()) {
    logger.Error(s.WithContext("tboot install").ToString());
    return ExitCodeFor(s);
  }
  logger.Info("tboot install done under " + root);
  return kExitOk;
}

struct StatusCmdOptions {
  std::string plan;
  bool json_output = false;
  std::string heap;
  std::string log;
  bool collect = false;
  bool skip_txt_stat = false;
  std::string host_root;
};

int RunStatus(const StatusCmdOptions& o, const CommonOptions& common, Logger& logger) {
  auto config = ResolveConfig(common);
  if (!config.has_value()) {
    logger.Error(config.error().ToString());
    return kExitBadInput;
  }
  json out;
  std::vector<std::string> notes;
  // The plan: --plan, else the installed one when present.
  std::optional<TbootPlan> plan;
  std::string plan_path = o.plan;
  std::error_code ec;
  const std::string installed_plan = config->state_dir + "/tboot/plan.json";
  if (plan_path.empty() && fs::exists(installed_plan, ec)) plan_path = installed_plan;
  if (!plan_path.empty()) {
    auto text = ReadInputFile("--plan", plan_path, 16u << 20);
    if (!text.has_value()) {
      logger.Error(text.error().ToString());
      return kExitBadInput;
    }
    auto decoded = tboot::DecodePlanJson(ToString(*text));
    if (!decoded.has_value()) {
      logger.Error(decoded.error().WithContext("--plan " + plan_path).ToString());
      return kExitBadInput;
    }
    plan = std::move(*decoded);
  }
  // txt-stat.
  tboot::TxtStat txt;
  if (o.skip_txt_stat) {
    txt.detail = "txt-stat not run (--no-txt-stat)";
  } else {
    auto runner = tboot::MakeProcessToolRunner(std::chrono::milliseconds(20000));
    txt = tboot::InterpretTxtStat(runner->Run({"txt-stat"}));
  }
  notes.push_back(txt.detail);
  // The D-RTM log.
  std::optional<Bytes> log;
  std::string log_source;
  if (!o.log.empty()) {
    auto data = ReadInputFile("--log", o.log, tboot::kMaxDrtmLogSize);
    if (!data.has_value()) {
      logger.Error(data.error().ToString());
      return kExitBadInput;
    }
    log = std::move(*data);
    log_source = o.log;
  } else if (!o.heap.empty()) {
    auto data = tboot::ReadTxtDrtmLogFromDump(o.heap);
    if (!data.has_value()) {
      logger.Error(data.error().WithContext("--heap " + o.heap).ToString());
      return ExitCodeFor(data.error());
    }
    log = std::move(*data);
    log_source = "TXT heap dump " + o.heap;
  } else if (fs::is_regular_file(config->DrtmLogPath(), ec)) {
    auto data = ReadInputFile("drtm.log", config->DrtmLogPath(), tboot::kMaxDrtmLogSize);
    if (data.has_value()) {
      log = std::move(*data);
      log_source = config->DrtmLogPath();
    } else {
      notes.push_back(data.error().ToString());
    }
  } else if (txt.txt_present) {
    auto data = tboot::ReadTxtDrtmLogFromDevMem();
    if (data.has_value()) {
      log = std::move(*data);
      log_source = "TXT heap (/dev/mem)";
    } else {
      notes.push_back("D-RTM log from the TXT heap: " + data.error().message());
    }
  }
  if (log.has_value()) notes.push_back("D-RTM log: " + log_source);
  // PCR 17/18.
  auto tpm = tpm_device::OpenEsysTpmDevice(config->tcti);
  if (!tpm.has_value()) {
    logger.Error(tpm.error().WithContext("TPM " + config->tcti).ToString());
    return kExitFailure;
  }
  auto banks = (*tpm)->ActiveBanks();
  if (!banks.has_value()) {
    logger.Error(banks.error().WithContext("TPM").ToString());
    return kExitFailure;
  }
  std::vector<tpm::PcrSelection> selection;
  selection.reserve(banks->size());
  for (HashAlg b : *banks) selection.push_back({b, {17, 18}});
  auto pcrs = (*tpm)->ReadPcrs(selection);
  if (!pcrs.has_value()) {
    logger.Error(pcrs.error().WithContext("PCR 17/18").ToString());
    return kExitFailure;
  }
  auto check = tboot::CheckLaunch(*pcrs, log, plan);
  if (!check.has_value()) {
    logger.Error(check.error().ToString());
    return kExitInternal;
  }
  if (o.collect && log.has_value() && log_source != config->DrtmLogPath()) {
    if (auto s = WriteFileAtomically(config->DrtmLogPath(), *log); !s.ok()) {
      logger.Error(s.WithContext("--collect").ToString());
      return kExitFailure;
    }
    notes.push_back("D-RTM log copied to " + config->DrtmLogPath() + " for the agent");
  }
  for (const std::string& n : check->notes) notes.push_back(n);
  const tboot::HypervisorFacts facts = tboot::DetectHypervisor(o.host_root);
  if (o.json_output) {
    out["measured_launch"] = check->launched;
    out["consistent"] = check->consistent;
    out["emulated"] = check->emulated;
    out["txt"] = {{"present", txt.txt_present},
                  {"measured_launch", txt.measured_launch},
                  {"detail", txt.detail}};
    json p = json::object();
    for (const auto& [bank, values] : pcrs->banks()) {
      for (const auto& [pcr, v] : values) {
        p[std::string(HashAlgName(bank))][std::to_string(pcr)] = HexEncode(v);
      }
    }
    out["pcrs"] = p;
    out["log"] = log.has_value() ? json(log_source) : json(nullptr);
    out["plan"] = plan_path.empty() ? json(nullptr) : json(plan_path);
    out["problems"] = check->problems;
    out["notes"] = notes;
    out["host_facts"] = {{"hypervisor", facts.kind}, {"hypervisor_version", facts.version}};
    std::printf("%s\n", out.dump(2, ' ', false, json::error_handler_t::replace).c_str());
  } else {
    for (const std::string& n : notes) std::printf("  %s\n", n.c_str());
    for (const std::string& p : check->problems) std::printf("  problem: %s\n", p.c_str());
    std::printf("hypervisor: %s%s\n", facts.kind.c_str(),
                facts.version.empty() ? "" : (" " + facts.version).c_str());
    if (check->consistent) {
      std::printf("measured launch: yes, consistent with %s\n",
                  plan.has_value() ? ("the plan " + plan_path).c_str() : "its D-RTM log (no plan)");
    } else if (!check->launched) {
      std::printf("measured launch: no\n");
    } else {
      std::printf("measured launch: yes, but NOT consistent (see problems)\n");
    }
  }
  return check->consistent ? kExitOk : kExitRefused;
}

}  // namespace

std::vector<Command> RegisterTbootCommands(CLI::App& app) {
  std::vector<Command> commands;
  CLI::App* group = app.add_subcommand(
      "tboot", "measured launch with tboot and Intel TXT on real hardware: plan, install, status");
  group->require_subcommand(1);

  CLI::App* plan = group->add_subcommand(
      "plan",
      "compute what tboot will measure (MLE hash, launch policy, modules), the expected "
      "PCR 17/18 contributions and the reference values for the verifier");
  auto plan_common = std::make_shared<CommonOptions>();
  auto plan_opts = std::make_shared<PlanCmdOptions>();
  AddCommonOptions(*plan, *plan_common);
  AddPlanOptions(*plan, plan_opts->plan);
  plan->add_flag("--json", plan_opts->json_output, "print the plan as JSON");
  plan->add_option("--references-out", plan_opts->references_out,
                   "write the reference set (JSON) for the verifier here");
  plan->add_option("--reference-set", plan_opts->set_name,
                   "name of that reference set (default tboot-launch)");
  plan->add_option("--plan-out", plan_opts->plan_out, "write the plan (JSON) here");
  plan->add_option("--vlp-out", plan_opts->vlp_out,
                   "write the launch policy (tb_polgen's file, the NV index contents) here");
  plan->add_option("--sinit-events", plan_opts->sinit_events,
                   "a D-RTM log holding SINIT's events (an earlier launch with the same SINIT): "
                   "then the full expected PCR 17/18 are printed");
  commands.push_back({plan, [plan_common, plan_opts](Logger& logger) {
                        if (auto c = ResolveConfig(*plan_common); !c.has_value()) {
                          logger.Error(c.error().ToString());
                          return kExitBadInput;
                        }
                        return RunPlan(*plan_opts, logger);
                      }});

  CLI::App* install = group->add_subcommand(
      "install",
      "write the launch policy (VLP), its TPM NV index (with --tcti), a GRUB entry "
      "for tboot and the plan, under --root (default /, which needs --yes)");
  auto install_common = std::make_shared<CommonOptions>();
  auto install_opts = std::make_shared<InstallCmdOptions>();
  AddCommonOptions(*install, *install_common);
  AddPlanOptions(*install, install_opts->plan);
  install->add_option("--root", install_opts->root,
                      "root of the system to install into (default /)");
  install->add_flag("--dry-run", install_opts->dry_run,
                    "print every file and command, write and run nothing");
  install->add_flag("--yes", install_opts->yes, "allow installing into the running system (/)");
  install->add_option("--sinit", install_opts->sinit,
                      "SINIT ACM file under ROOT to load as the last GRUB module");
  commands.push_back({install, [install_common, install_opts](Logger& logger) {
                        return RunInstall(*install_opts, *install_common, logger);
                      }});

  CLI::App* status = group->add_subcommand(
      "status",
      "whether this boot was a measured launch (txt-stat, PCR 17/18, D-RTM log) and "
      "whether it matches the plan; exit 0 consistent, 1 not launched or not "
      "consistent");
  auto status_common = std::make_shared<CommonOptions>();
  auto status_opts = std::make_shared<StatusCmdOptions>();
  AddCommonOptions(*status, *status_common);
  status->add_option("--plan", status_opts->plan,
                     "plan.json to compare with (default STATE_DIR/tboot/plan.json when "
                     "present)");
  status->add_flag("--json", status_opts->json_output, "print the result as JSON");
  status->add_option("--heap", status_opts->heap,
                     "read the D-RTM log from a TXT heap dump file instead of /dev/mem");
  status->add_option("--log", status_opts->log, "read the D-RTM log from this file");
  status->add_flag("--collect", status_opts->collect,
                   "copy the D-RTM log found to STATE_DIR/drtm.log for the agent");
  status->add_flag("--no-txt-stat", status_opts->skip_txt_stat, "do not run txt-stat");
  status->add_option("--host-root", status_opts->host_root,
                     "prefix for /proc, /sys and /dev when detecting the hypervisor (tests)");
  commands.push_back({status, [status_common, status_opts](Logger& logger) {
                        return RunStatus(*status_opts, *status_common, logger);
                      }});
  return commands;
}

}  // namespace vouch::launcher::cli
