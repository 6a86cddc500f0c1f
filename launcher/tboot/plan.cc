#include "launcher/tboot/plan.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/crypto/digest.h"
#include "core/eventlog/event_log.h"
#include "launcher/drtm/tboot_measure.h"

namespace vouch::launcher::tboot {
namespace {

using json = nlohmann::json;

bool IsKnownPolicyType(std::string_view t) {
  return t == "nonfatal" || t == "continue" || t == "halt";
}

Result<Bytes> ReadWholeFile(const std::string& what, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return InvalidArgumentError(what + " " + path + ": not a regular file");
  }
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return InvalidArgumentError(what + " " + path + ": cannot open");
  Bytes data;
  uint8_t buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) data.insert(data.end(), buf, buf + n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return InvalidArgumentError(what + " " + path + ": read error");
  return data;
}

// Extends `pcr` (a bank's value) with `digest` in place.
Status Extend(HashAlg bank, Bytes& pcr, ByteView digest) {
  VOUCH_ASSIGN_OR_RETURN(crypto::Hasher h, crypto::Hasher::Create(bank));
  h.Update(pcr);
  h.Update(digest);
  pcr = h.Final();
  return Status::Ok();
}

json DigestsJson(const DigestMap& digests) {
  json out = json::object();
  for (const auto& [alg, d] : digests) out[std::string(HashAlgName(alg))] = HexEncode(d);
  return out;
}

Result<DigestMap> DigestsFromJson(const json& j, const std::string& where) {
  if (!j.is_object() || j.empty()) {
    return InvalidArgumentError(where + ": expected an object of bank digests");
  }
  DigestMap out;
  for (const auto& [name, value] : j.items()) {
    const std::optional<HashAlg> alg = HashAlgFromName(name);
    if (!alg.has_value()) return InvalidArgumentError(where + "." + name + ": unknown bank");
    if (!value.is_string()) return InvalidArgumentError(where + "." + name + ": expected hex");
    auto bytes = HexDecode(value.get<std::string>());
    if (!bytes.has_value() || bytes->size() != DigestSize(*alg)) {
      return InvalidArgumentError(where + "." + name + ": expected " +
                                  std::to_string(2 * DigestSize(*alg)) + " hex digits");
    }
    out[*alg] = std::move(*bytes);
  }
  return out;
}

const json* Member(const json& j, const char* name) {
  auto it = j.find(name);
  return it == j.end() ? nullptr : &*it;
}

Result<std::string> StringMember(const json& j, const char* name, const std::string& where) {
  const json* m = Member(j, name);
  if (m == nullptr || !m->is_string()) {
    return InvalidArgumentError(where + "." + name + ": expected a string");
  }
  return m->get<std::string>();
}

}  // namespace

std::string_view HypervisorKindName(HypervisorKind k) {
  return k == HypervisorKind::kXen ? "xen" : "kvm";
}

std::optional<HypervisorKind> ParseHypervisorKind(std::string_view name) {
  if (name == "xen") return HypervisorKind::kXen;
  if (name == "kvm") return HypervisorKind::kKvm;
  return std::nullopt;
}

policy::ReferenceKind ModuleKind(HypervisorKind kind, size_t index) {
  using policy::ReferenceKind;
  if (kind == HypervisorKind::kXen) {
    if (index == 0) return ReferenceKind::kHypervisor;
    if (index == 1) return ReferenceKind::kKernel;
    return ReferenceKind::kInitrd;
  }
  return index == 0 ? ReferenceKind::kKernel : ReferenceKind::kInitrd;
}

Result<Bytes> ParseMleHashText(std::string_view text, HashAlg alg) {
  Bytes out;
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i])) != 0) {
      ++i;
      continue;
    }
    if (i + 2 > text.size() || std::isxdigit(static_cast<unsigned char>(text[i])) == 0 ||
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) == 0 ||
        (i + 2 < text.size() && std::isspace(static_cast<unsigned char>(text[i + 2])) == 0)) {
      return InvalidArgumentError(
          "lcp2_mlehash output: expected hex bytes separated by spaces at "
          "offset " +
          std::to_string(i));
    }
    auto byte = HexDecode(text.substr(i, 2));
    if (!byte.has_value()) return InvalidArgumentError("lcp2_mlehash output: bad hex");
    out.push_back((*byte)[0]);
    i += 2;
    if (out.size() > 64) break;
  }
  if (out.size() != DigestSize(alg)) {
    return InvalidArgumentError("lcp2_mlehash output: " + std::to_string(out.size()) +
                                " bytes, expected " + std::to_string(DigestSize(alg)) + " for " +
                                std::string(HashAlgName(alg)));
  }
  return out;
}

std::vector<std::string> MleHashCommand(const std::string& tboot_path, const std::string& cmdline,
                                        HashAlg alg) {
  return {"lcp2_mlehash", "--create", "--alg",   std::string(HashAlgName(alg)),
          "--cmdline",    cmdline,    tboot_path};
}

Result<Bytes> RunMleHash(ToolRunner& runner, const std::string& tboot_path,
                         const std::string& cmdline, HashAlg alg) {
  if (alg == HashAlg::kSm3_256) {
    return InvalidArgumentError("lcp2_mlehash: bank sm3_256 not supported");
  }
  VOUCH_ASSIGN_OR_RETURN(ToolOutput out,
                         RunToolOk(runner, MleHashCommand(tboot_path, cmdline, alg)));
  auto hash = ParseMleHashText(out.stdout_text, alg);
  if (!hash.has_value()) return hash.error().WithContext("--tboot " + tboot_path);
  return hash;
}

std::vector<std::vector<std::string>> VlpCommands(const PlanInputs& inputs,
                                                  const std::string& policy_path) {
  std::vector<std::vector<std::string>> cmds;
  cmds.push_back({"tb_polgen", "--create", "--type", inputs.policy_type, "--alg",
                  std::string(HashAlgName(inputs.vlp_alg)), "--ctrl",
                  std::to_string(inputs.policy_control), policy_path});
  for (size_t i = 0; i < inputs.modules.size(); ++i) {
    cmds.push_back({"tb_polgen", "--add", "--num", std::to_string(i), "--pcr",
                    i == 0 ? "none" : "17", "--hash", "image", "--cmdline",
                    inputs.modules[i].cmdline, "--image", inputs.modules[i].path, policy_path});
  }
  return cmds;
}

Result<Bytes> BuildVlp(ToolRunner& runner, const PlanInputs& inputs, const std::string& work_dir) {
  const std::string policy_path = (std::filesystem::path(work_dir) / "vl.pol").string();
  std::error_code ec;
  std::filesystem::remove(policy_path, ec);
  for (const auto& cmd : VlpCommands(inputs, policy_path)) {
    VOUCH_RETURN_IF_ERROR(RunToolOk(runner, cmd).status());
  }
  return ReadWholeFile("tb_polgen policy", policy_path);
}

Result<TbootPlan> MakeTbootPlan(ToolRunner& runner, const PlanInputs& inputs,
                                const std::string& work_dir) {
  if (inputs.tboot_path.empty()) return InvalidArgumentError("--tboot: required");
  if (inputs.modules.empty()) return InvalidArgumentError("--hypervisor: required");
  if (inputs.policy_control > 1) {
    return InvalidArgumentError("--policy-control " + std::to_string(inputs.policy_control) +
                                ": tb_polgen accepts 0 or 1");
  }
  if (!IsKnownPolicyType(inputs.policy_type)) {
    return InvalidArgumentError("--policy-type " + inputs.policy_type +
                                ": expected nonfatal, continue or halt");
  }
  if (inputs.banks.empty()) return InvalidArgumentError("--bank: at least one bank");
  for (HashAlg b : inputs.banks) {
    if (!crypto::IsDigestSupported(b) || b == HashAlg::kSm3_256) {
      return InvalidArgumentError("bank " + std::string(HashAlgName(b)) + " not supported");
    }
  }
  TbootPlan plan;
  plan.inputs = inputs;
  for (size_t i = 0; i < inputs.modules.size(); ++i) {
    const ModuleSpec& spec = inputs.modules[i];
    VOUCH_ASSIGN_OR_RETURN(Bytes image, ReadWholeFile("module " + std::to_string(i), spec.path));
    PlannedModule m;
    m.index = i;
    m.kind = ModuleKind(inputs.kind, i);
    m.path = spec.path;
    m.cmdline = spec.cmdline;
    m.size = image.size();
    for (HashAlg b : inputs.banks) {
      VOUCH_ASSIGN_OR_RETURN(m.measurement[b], TbootModuleDigest(b, image, spec.cmdline));
    }
    plan.modules.push_back(std::move(m));
  }
  for (HashAlg b : inputs.banks) {
    VOUCH_ASSIGN_OR_RETURN(plan.mle_hash[b],
                           RunMleHash(runner, inputs.tboot_path, inputs.tboot_cmdline, b));
  }
  VOUCH_ASSIGN_OR_RETURN(plan.vlp, BuildVlp(runner, inputs, work_dir));
  for (HashAlg b : inputs.banks) {
    VOUCH_ASSIGN_OR_RETURN(plan.policy_digest[b],
                           TbootPolicyDigest(b, inputs.policy_control, plan.vlp));
  }
  return plan;
}

std::vector<PlannedEvent> PlannedEvents(const TbootPlan& plan) {
  std::vector<PlannedEvent> events;
  events.push_back({17, kEvTxtMleHash, "tboot MLE (extended by SINIT)", plan.mle_hash});
  events.push_back({17, kEvTbootHash, "tboot policy control", plan.policy_digest});
  events.push_back({18, kEvTbootHash, "tboot policy control", plan.policy_digest});
  for (const PlannedModule& m : plan.modules) {
    events.push_back({17, kEvTbootHash,
                      "module " + std::to_string(m.index) + " (" +
                          std::string(policy::ReferenceKindName(m.kind)) + ") " + m.path,
                      m.measurement});
  }
  return events;
}

Result<tpm::PcrValues> ExpectedPcrs(const TbootPlan& plan, ByteView sinit_log) {
  VOUCH_ASSIGN_OR_RETURN(eventlog::UnverifiedEventLog log, eventlog::ParseEventLog(sinit_log));
  std::vector<HashAlg> banks;
  for (HashAlg b : log.banks()) {
    if (plan.mle_hash.count(b) != 0) banks.push_back(b);
  }
  if (banks.empty()) {
    return InvalidArgumentError("SINIT events: no bank in common with the plan");
  }
  std::map<HashAlg, Bytes> pcr17;
  std::map<HashAlg, Bytes> pcr18;
  for (HashAlg b : banks) {
    pcr17[b] = Bytes(DigestSize(b), 0);
    pcr18[b] = Bytes(DigestSize(b), 0);
  }
  size_t sinit_events = 0;
  for (const eventlog::Event& ev : log.EventsUnverifiedForDebug()) {
    if (ev.type < 0x400 || ev.type > 0x4FF || (ev.pcr != 17 && ev.pcr != 18)) continue;
    ++sinit_events;
    for (HashAlg b : banks) {
      const ByteView* d = ev.DigestFor(b);
      if (d == nullptr) continue;
      ByteView digest = *d;
      if (ev.type == kEvTxtMleHash) digest = plan.mle_hash.at(b);
      VOUCH_RETURN_IF_ERROR(Extend(b, ev.pcr == 17 ? pcr17[b] : pcr18[b], digest));
    }
  }
  if (sinit_events == 0) {
    return InvalidArgumentError("SINIT events: the log has no SINIT event (types 0x400-0x4FF)");
  }
  for (const PlannedEvent& ev : PlannedEvents(plan)) {
    if (ev.type != kEvTbootHash) continue;
    for (HashAlg b : banks) {
      VOUCH_RETURN_IF_ERROR(Extend(b, ev.pcr == 17 ? pcr17[b] : pcr18[b], ev.digests.at(b)));
    }
  }
  tpm::PcrValues out;
  for (HashAlg b : banks) {
    VOUCH_RETURN_IF_ERROR(out.Set(b, 17, pcr17[b]));
    VOUCH_RETURN_IF_ERROR(out.Set(b, 18, pcr18[b]));
  }
  return out;
}

Result<std::string> EncodePlanJson(const TbootPlan& plan) {
  json doc;
  doc["format"] = "vouch-tboot-plan";
  doc["version"] = 1;
  doc["kind"] = std::string(HypervisorKindName(plan.inputs.kind));
  doc["tboot"] = {{"path", plan.inputs.tboot_path},
                  {"cmdline", plan.inputs.tboot_cmdline},
                  {"mle_hash", DigestsJson(plan.mle_hash)}};
  char index[16];
  std::snprintf(index, sizeof(index), "0x%08x", kVlpNvIndex);
  doc["policy"] = {{"control", plan.inputs.policy_control},
                   {"type", plan.inputs.policy_type},
                   {"alg", std::string(HashAlgName(plan.inputs.vlp_alg))},
                   {"nv_index", index},
                   {"vlp", HexEncode(plan.vlp)},
                   {"digests", DigestsJson(plan.policy_digest)}};
  json modules = json::array();
  for (const PlannedModule& m : plan.modules) {
    modules.push_back({{"index", m.index},
                       {"kind", std::string(policy::ReferenceKindName(m.kind))},
                       {"path", m.path},
                       {"cmdline", m.cmdline},
                       {"size", m.size},
                       {"measurement", DigestsJson(m.measurement)}});
  }
  doc["modules"] = modules;
  json events = json::array();
  for (const PlannedEvent& ev : PlannedEvents(plan)) {
    events.push_back({{"pcr", ev.pcr},
                      {"type", ev.type},
                      {"what", ev.what},
                      {"digests", DigestsJson(ev.digests)}});
  }
  doc["events"] = events;
  doc["unknown_without_sinit"] =
      "SINIT's events (HASH_START, platform configuration, LCP, authorities) precede tboot's "
      "on PCR 17 and 18; their values depend on the SINIT ACM and the platform";
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<TbootPlan> DecodePlanJson(std::string_view text) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return InvalidArgumentError("plan: not JSON");
  const json* format = Member(doc, "format");
  if (format == nullptr || !format->is_string() || *format != "vouch-tboot-plan") {
    return InvalidArgumentError("plan.format: expected \"vouch-tboot-plan\"");
  }
  const json* version = Member(doc, "version");
  if (version == nullptr || !version->is_number_integer() || *version != 1) {
    return InvalidArgumentError("plan.version: expected 1");
  }
  TbootPlan plan;
  VOUCH_ASSIGN_OR_RETURN(std::string kind, StringMember(doc, "kind", "plan"));
  const std::optional<HypervisorKind> k = ParseHypervisorKind(kind);
  if (!k.has_value()) return InvalidArgumentError("plan.kind: expected xen or kvm");
  plan.inputs.kind = *k;
  const json* tb = Member(doc, "tboot");
  if (tb == nullptr || !tb->is_object()) return InvalidArgumentError("plan.tboot: missing");
  VOUCH_ASSIGN_OR_RETURN(plan.inputs.tboot_path, StringMember(*tb, "path", "plan.tboot"));
  VOUCH_ASSIGN_OR_RETURN(plan.inputs.tboot_cmdline, StringMember(*tb, "cmdline", "plan.tboot"));
  const json* mle = Member(*tb, "mle_hash");
  if (mle == nullptr) return InvalidArgumentError("plan.tboot.mle_hash: missing");
  VOUCH_ASSIGN_OR_RETURN(plan.mle_hash, DigestsFromJson(*mle, "plan.tboot.mle_hash"));
  const json* pol = Member(doc, "policy");
  if (pol == nullptr || !pol->is_object()) return InvalidArgumentError("plan.policy: missing");
  const json* control = Member(*pol, "control");
  if (control == nullptr || !control->is_number_unsigned() || *control > 1) {
    return InvalidArgumentError("plan.policy.control: expected 0 or 1");
  }
  plan.inputs.policy_control = control->get<uint32_t>();
  VOUCH_ASSIGN_OR_RETURN(plan.inputs.policy_type, StringMember(*pol, "type", "plan.policy"));
  VOUCH_ASSIGN_OR_RETURN(std::string alg, StringMember(*pol, "alg", "plan.policy"));
  const std::optional<HashAlg> vlp_alg = HashAlgFromName(alg);
  if (!vlp_alg.has_value()) return InvalidArgumentError("plan.policy.alg: unknown");
  plan.inputs.vlp_alg = *vlp_alg;
  VOUCH_ASSIGN_OR_RETURN(std::string vlp_hex, StringMember(*pol, "vlp", "plan.policy"));
  auto vlp = HexDecode(vlp_hex);
  if (!vlp.has_value()) return InvalidArgumentError("plan.policy.vlp: expected hex");
  plan.vlp = std::move(*vlp);
  const json* pd = Member(*pol, "digests");
  if (pd == nullptr) return InvalidArgumentError("plan.policy.digests: missing");
  VOUCH_ASSIGN_OR_RETURN(plan.policy_digest, DigestsFromJson(*pd, "plan.policy.digests"));
  const json* modules = Member(doc, "modules");
  if (modules == nullptr || !modules->is_array() || modules->empty() || modules->size() > 64) {
    return InvalidArgumentError("plan.modules: expected 1-64 modules");
  }
  for (size_t i = 0; i < modules->size(); ++i) {
    const json& mj = (*modules)[i];
    const std::string where = "plan.modules[" + std::to_string(i) + "]";
    if (!mj.is_object()) return InvalidArgumentError(where + ": expected an object");
    PlannedModule m;
    m.index = i;
    m.kind = ModuleKind(plan.inputs.kind, i);
    VOUCH_ASSIGN_OR_RETURN(m.path, StringMember(mj, "path", where));
    VOUCH_ASSIGN_OR_RETURN(m.cmdline, StringMember(mj, "cmdline", where));
    const json* size = Member(mj, "size");
    if (size != nullptr && size->is_number_unsigned()) m.size = size->get<uint64_t>();
    const json* meas = Member(mj, "measurement");
    if (meas == nullptr) return InvalidArgumentError(where + ".measurement: missing");
    VOUCH_ASSIGN_OR_RETURN(m.measurement, DigestsFromJson(*meas, where + ".measurement"));
    plan.inputs.modules.push_back({m.path, m.cmdline});
    plan.modules.push_back(std::move(m));
  }
  plan.inputs.banks.clear();
  for (const auto& [b, d] : plan.mle_hash) {
    if (plan.policy_digest.count(b) == 0) {
      return InvalidArgumentError("plan.policy.digests: no " + std::string(HashAlgName(b)));
    }
    for (const PlannedModule& m : plan.modules) {
      if (m.measurement.count(b) == 0) {
        return InvalidArgumentError("plan.modules[" + std::to_string(m.index) +
                                    "].measurement: no " + std::string(HashAlgName(b)));
      }
    }
    plan.inputs.banks.push_back(b);
  }
  return plan;
}

Result<policy::ReferenceSetDocument> PlanReferences(const TbootPlan& plan,
                                                    const std::string& set_name) {
  if (!policy::IsValidReferenceSetName(set_name)) {
    return InvalidArgumentError("reference set name " + set_name +
                                ": expected [A-Za-z0-9._:-]{1,128}");
  }
  policy::ReferenceSetDocument set;
  set.name = set_name;
  set.description = "tboot measured launch (" + std::string(HypervisorKindName(plan.inputs.kind)) +
                    ") planned by vouch-launcher tboot plan";
  auto base = [](const std::string& path) {
    return std::filesystem::path(path).filename().string();
  };
  policy::ReferenceValue tb;
  tb.kind = policy::ReferenceKind::kTboot;
  tb.name = "tboot MLE " + base(plan.inputs.tboot_path);
  tb.digests = plan.mle_hash;
  tb.source = "file:" + plan.inputs.tboot_path.substr(0, 250);
  set.entries.push_back(tb);
  policy::ReferenceValue pol;
  pol.kind = policy::ReferenceKind::kTbootPolicy;
  pol.name = "tboot launch policy (control " + std::to_string(plan.inputs.policy_control) + ", " +
             plan.inputs.policy_type + ")";
  pol.digests = plan.policy_digest;
  pol.source = "vlp:nv:0x01c10131";
  set.entries.push_back(pol);
  for (const PlannedModule& m : plan.modules) {
    policy::ReferenceValue v;
    v.kind = m.kind;
    v.name = std::string(policy::ReferenceKindName(m.kind)) + " " + base(m.path) +
             (m.cmdline.empty() ? "" : " (" + m.cmdline.substr(0, 200) + ")");
    if (v.name.size() > 256) v.name.resize(256);
    v.digests = m.measurement;
    v.source = "file:" + m.path.substr(0, 250);
    set.entries.push_back(std::move(v));
  }
  return set;
}

}  // namespace vouch::launcher::tboot
