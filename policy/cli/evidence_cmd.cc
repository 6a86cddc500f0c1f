// vouch-policy evidence verify: checks an evidence document (what
// `vouch-agent quote` prints, schemas/evidence.schema.json) by hand: the
// quote against the AK (the one the document carries, or a pinned one) and
// the nonce, then each event log replayed into the quoted PCRs. Reference
// values and policies are the verifier's job (issue 4); this is the
// operator's first look.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/finding.h"
#include "core/base/status.h"
#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"
#include "core/protocol/evidence.h"
#include "core/protocol/finding_json.h"
#include "core/tpm/public.h"
#include "core/tpm/quote.h"
#include "policy/cli/commands.h"
#include "policy/cli/findings_output.h"

namespace vouch::cli {
namespace {

struct EvidenceVerifyArgs {
  std::string path;
  std::string nonce_hex;
  std::string ak_path;  // optional pinned AK (TPM2B_PUBLIC)
  bool json = false;
};

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(Code::kNotFound, "cannot open " + path);
  // Refuse documents over the schema's limit before reading them whole.
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size > static_cast<std::streamoff>(protocol::kMaxEvidenceDocumentBytes)) {
    return Status(Code::kInvalidArgument, path + ": " + std::to_string(size) +
                                              " bytes, over the evidence limit of " +
                                              std::to_string(protocol::kMaxEvidenceDocumentBytes));
  }
  in.seekg(0);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text;
}

int BadInput(const Status& s) {
  std::cerr << "vouch-policy evidence verify: " << s.ToString() << "\n";
  return kExitBadInput;
}

struct LogCheck {
  std::string name;     // srtm, drtm, vm
  std::string outcome;  // "replayed", "absent", "not checked: ..."
  size_t events = 0;
  std::vector<Finding> findings;
};

Result<LogCheck> CheckLog(std::string name, const std::optional<Bytes>& bytes,
                          const tpm::VerifiedPcrs& quoted) {
  LogCheck check;
  check.name = std::move(name);
  if (!bytes.has_value()) {
    check.outcome = "absent";
    return check;
  }
  auto buffer = std::make_shared<const Bytes>(*bytes);
  Result<eventlog::UnverifiedEventLog> log = eventlog::ParseEventLog(buffer);
  if (!log.has_value()) {
    Finding f;
    f.id = "log.malformed";
    f.severity = Severity::kError;
    f.message = check.name + " log does not parse: " + log.error().message();
    check.findings.push_back(std::move(f));
    check.outcome = "malformed";
    return check;
  }
  check.events = log->size();
  VOUCH_ASSIGN_OR_RETURN(eventlog::ReplayResult replay, eventlog::Replay(*log, quoted));
  check.findings = std::move(replay.findings);
  check.outcome = HasErrors(check.findings) ? "does not replay" : "replays to the quoted PCRs";
  return check;
}

int RunEvidenceVerify(const EvidenceVerifyArgs& args) {
  Result<Bytes> nonce = HexDecode(args.nonce_hex);
  if (!nonce.has_value()) {
    std::cerr << "vouch-policy evidence verify: --nonce: " << nonce.error().message() << "\n";
    return kExitUsage;
  }
  Result<std::string> text = ReadText(args.path);
  if (!text.has_value()) return BadInput(text.error());
  Result<protocol::Evidence> evidence = protocol::DecodeEvidence(*text);
  if (!evidence.has_value()) return BadInput(evidence.error().WithContext(args.path));

  std::vector<Finding> findings;
  Result<tpm::TpmPublic> ak = tpm::TpmPublic::DecodeTpm2b(evidence->ak_public);
  if (!ak.has_value()) return BadInput(ak.error().WithContext(args.path + ": ak.public"));
  if (!args.ak_path.empty()) {
    std::ifstream in(args.ak_path, std::ios::binary);
    if (!in) return BadInput(Status(Code::kNotFound, "cannot open AK file " + args.ak_path));
    Bytes pinned((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Result<tpm::TpmPublic> pinned_ak = tpm::TpmPublic::DecodeTpm2b(pinned);
    if (!pinned_ak.has_value()) return BadInput(pinned_ak.error().WithContext(args.ak_path));
    if (pinned_ak->name() != ak->name()) {
      Finding f;
      f.id = "evidence.ak_mismatch";
      f.severity = Severity::kError;
      f.message = "the evidence carries another AK than the pinned one";
      f.expected = HexEncode(pinned_ak->name());
      f.actual = HexEncode(ak->name());
      findings.push_back(std::move(f));
      ak = std::move(pinned_ak);
    }
  }
  tpm::QuoteEvidence quote{evidence->quote_attest, evidence->quote_signature, evidence->pcrs};
  Result<tpm::QuoteVerification> v = tpm::VerifyQuote(*ak, quote, *nonce);
  if (!v.has_value()) return BadInput(v.error());
  findings.insert(findings.end(), v->findings.begin(), v->findings.end());

  std::vector<LogCheck> logs;
  if (v->verified.has_value()) {
    for (auto& [name, bytes] :
         {std::pair<std::string, const std::optional<Bytes>*>{"srtm", &evidence->srtm_log},
          {"drtm", &evidence->drtm_log}}) {
      Result<LogCheck> check = CheckLog(name, *bytes, *v->verified);
      if (!check.has_value()) return BadInput(check.error());
      findings.insert(findings.end(), check->findings.begin(), check->findings.end());
      logs.push_back(std::move(*check));
    }
    LogCheck vm;
    vm.name = "vm";
    vm.outcome = evidence->vm_log.has_value()
                     ? "present, not checked (the VM log format comes with the launcher)"
                     : "absent";
    logs.push_back(std::move(vm));
  }
  const bool ok = v->verified.has_value() && !HasErrors(findings);

  if (args.json) {
    nlohmann::json out = {{"ok", ok},
                          {"ak_name", HexEncode(ak->name())},
                          {"host", evidence->host.hostname},
                          {"findings", nlohmann::json::array()},
                          {"logs", nlohmann::json::object()}};
    for (const Finding& f : findings)
      out["findings"].push_back(protocol::FindingToJson<nlohmann::json>(f));
    for (const LogCheck& l : logs) {
      out["logs"][l.name] = {{"outcome", l.outcome}, {"events", l.events}};
    }
    if (v->attest) {
      out["clock_info"] = {{"reset_count", v->attest->clock_info.reset_count},
                           {"restart_count", v->attest->clock_info.restart_count}};
    }
    std::cout << out.dump(1) << "\n";
  } else {
    std::cout << "host " << evidence->host.hostname << ", agent " << evidence->host.agent_version
              << ", AK " << HexEncode(ak->name()) << "\n";
    for (const Finding& f : findings) std::cout << FindingLine(f) << "\n";
    if (v->verified.has_value()) {
      std::cout << "quote: signature, nonce and PCR digest OK";
      if (v->attest) {
        std::cout << " (resetCount " << v->attest->clock_info.reset_count << ", restartCount "
                  << v->attest->clock_info.restart_count << ")";
      }
      std::cout << "\n";
    }
    for (const LogCheck& l : logs) {
      std::cout << l.name << " log: " << l.outcome;
      if (l.events > 0) std::cout << " (" << l.events << " events)";
      std::cout << "\n";
    }
    std::cout << (ok ? "evidence OK\n" : "evidence REJECTED\n");
  }
  return ok ? kExitOk : kExitCheckFailed;
}

}  // namespace

void AddEvidenceCommands(CLI::App& app, int* exit_code) {
  CLI::App* evidence = app.add_subcommand("evidence", "Check evidence documents (vouch-agent)");
  evidence->require_subcommand(1);
  auto args = std::make_shared<EvidenceVerifyArgs>();
  CLI::App* verify = evidence->add_subcommand(
      "verify",
      "Verify an evidence document (vouch-agent quote): quote signature, nonce, PCR digest, "
      "and every event log replayed into the quoted PCRs.\n"
      "Exit 0 when it verifies, 1 with findings, 3 when the document cannot be read.");
  verify->add_option("file", args->path, "evidence JSON (schemas/evidence.schema.json)")
      ->required();
  verify->add_option("--nonce", args->nonce_hex, "the nonce the quote must carry, hex")->required();
  verify->add_option("--ak", args->ak_path,
                     "pin the AK: TPM2B_PUBLIC file the evidence's AK must equal");
  verify->add_flag("--json", args->json, "print the result as JSON");
  verify->callback([args, exit_code] { *exit_code = RunEvidenceVerify(*args); });
}

}  // namespace vouch::cli
