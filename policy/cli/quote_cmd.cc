// vouch-policy quote verify: checks a quote made with tpm2-tools
// (tpm2_quote -m/-s/-o) against an AK public (TPM2B_PUBLIC, tpm2_createak -u)
// and the nonce the verifier chose, with core/tpm VerifyQuote.
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/finding.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/protocol/finding_json.h"
#include "core/tpm/attest.h"
#include "core/tpm/public.h"
#include "core/tpm/quote.h"
#include "policy/cli/commands.h"
#include "policy/cli/findings_output.h"
#include "policy/cli/tpm2_tools_format.h"

namespace vouch::cli {
namespace {

struct QuoteVerifyArgs {
  std::string ak_path;
  std::string attest_path;
  std::string signature_path;
  std::string pcrs_path;
  std::string pcrs_format = "tpm2-tools";
  std::string nonce_hex;
  bool json = false;
};

Result<Bytes> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(std::string("cannot open ") + what + " file " + path);
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return DataLossError(std::string("cannot read ") + what + " file " + path);
  return data;
}

// Exit code for `s`: unreadable or malformed input.
int BadInput(const Status& s) {
  std::cerr << "vouch-policy quote verify: " << s.ToString() << "\n";
  return kExitBadInput;
}

int RunQuoteVerify(const QuoteVerifyArgs& args) {
  Result<Bytes> nonce = HexDecode(args.nonce_hex);
  if (!nonce.has_value()) {
    std::cerr << "vouch-policy quote verify: --nonce: " << nonce.error().message() << "\n";
    return kExitUsage;
  }
  Result<Bytes> ak_bytes = ReadFile(args.ak_path, "AK public");
  if (!ak_bytes.has_value()) return BadInput(ak_bytes.error());
  Result<tpm::TpmPublic> ak = tpm::TpmPublic::DecodeTpm2b(*ak_bytes);
  if (!ak.has_value()) return BadInput(ak.error().WithContext("AK public " + args.ak_path));

  tpm::QuoteEvidence evidence;
  Result<Bytes> attest = ReadFile(args.attest_path, "attest");
  if (!attest.has_value()) return BadInput(attest.error());
  evidence.attest = std::move(*attest);
  Result<Bytes> signature = ReadFile(args.signature_path, "signature");
  if (!signature.has_value()) return BadInput(signature.error());
  evidence.signature = std::move(*signature);
  Result<Bytes> pcr_file = ReadFile(args.pcrs_path, "PCR");
  if (!pcr_file.has_value()) return BadInput(pcr_file.error());

  if (args.pcrs_format == "tpm2-tools") {
    Result<Tpm2ToolsPcrs> pcrs = ParseTpm2ToolsSerializedPcrs(*pcr_file);
    if (!pcrs.has_value()) return BadInput(pcrs.error().WithContext("PCR file " + args.pcrs_path));
    evidence.pcrs = pcrs->values;  // PcrValues copies share storage
  } else {
    // "values" carries no selection: take the one the quote lists. If the
    // attest does not decode, VerifyQuote reports quote.attest_malformed.
    Result<tpm::Attest> decoded = tpm::DecodeAttest(evidence.attest);
    if (decoded.has_value() && decoded->quote) {
      Result<tpm::PcrValues> values = ParseTpm2ToolsPcrValues(*pcr_file, decoded->quote->selection);
      if (!values.has_value()) {
        return BadInput(values.error().WithContext("PCR file " + args.pcrs_path));
      }
      evidence.pcrs = *values;
    }
  }

  Result<tpm::QuoteVerification> verification = tpm::VerifyQuote(*ak, evidence, *nonce);
  if (!verification.has_value()) return BadInput(verification.error());
  const tpm::QuoteVerification& v = *verification;
  const bool ok = v.verified.has_value() && !HasErrors(v.findings);

  std::vector<std::string> banks;
  size_t pcr_count = 0;
  if (v.verified) {
    for (const auto& [bank, values] : v.verified->values().banks()) {
      banks.emplace_back(HashAlgName(bank));
      pcr_count += values.size();
    }
  }
  std::string bank_list;
  for (const std::string& b : banks) bank_list += (bank_list.empty() ? "" : ",") + b;

  if (args.json) {
    nlohmann::json out = {{"ok", ok}, {"findings", nlohmann::json::array()}};
    for (const Finding& f : v.findings)
      out["findings"].push_back(protocol::FindingToJson<nlohmann::json>(f));
    if (v.attest) {
      out["clock_info"] = {{"clock", v.attest->clock_info.clock},
                           {"reset_count", v.attest->clock_info.reset_count},
                           {"restart_count", v.attest->clock_info.restart_count},
                           {"safe", v.attest->clock_info.safe}};
      out["firmware_version"] = v.attest->firmware_version;
    }
    if (v.verified) {
      nlohmann::json pcrs = nlohmann::json::object();
      for (const auto& [bank, values] : v.verified->values().banks()) {
        nlohmann::json b = nlohmann::json::object();
        for (const auto& [index, value] : values) b[std::to_string(index)] = HexEncode(value);
        pcrs[std::string(HashAlgName(bank))] = b;
      }
      out["pcrs"] = pcrs;
    }
    std::cout << out.dump(1) << "\n";
  } else {
    for (const Finding& f : v.findings) std::cout << FindingLine(f) << "\n";
    if (ok) {
      std::cout << "quote OK: " << pcr_count << " PCRs in banks " << bank_list;
      if (v.attest) {
        std::cout << "; resetCount " << v.attest->clock_info.reset_count << " restartCount "
                  << v.attest->clock_info.restart_count;
      }
      std::cout << "\n";
    } else {
      std::cout << "quote REJECTED\n";
    }
  }
  return ok ? kExitOk : kExitCheckFailed;
}

}  // namespace

void AddQuoteCommands(CLI::App& app, int* exit_code) {
  CLI::App* quote = app.add_subcommand("quote", "Check TPM quotes");
  quote->require_subcommand(1);
  auto args = std::make_shared<QuoteVerifyArgs>();
  CLI::App* verify = quote->add_subcommand(
      "verify",
      "Verify a quote made with tpm2_quote against an AK and a nonce.\n"
      "Exit 0 when it verifies, 1 with findings, 3 when an input cannot be read.");
  verify->add_option("--ak", args->ak_path, "AK public key, TPM2B_PUBLIC (tpm2_createak -u)")
      ->required();
  verify->add_option("--attest", args->attest_path, "quoted TPMS_ATTEST (tpm2_quote -m)")
      ->required();
  verify->add_option("--signature", args->signature_path, "TPMT_SIGNATURE (tpm2_quote -s)")
      ->required();
  verify->add_option("--pcrs", args->pcrs_path, "claimed PCR values (tpm2_quote -o)")->required();
  verify
      ->add_option("--pcrs-format", args->pcrs_format,
                   "tpm2-tools: tpm2_quote's default (-F serialized); values: -F values")
      ->check(CLI::IsMember({"tpm2-tools", "values"}))
      ->capture_default_str();
  verify->add_option("--nonce", args->nonce_hex, "the nonce the quote must carry, hex")->required();
  verify->add_flag("--json", args->json, "print the result as JSON");
  verify->callback([args, exit_code] { *exit_code = RunQuoteVerify(*args); });
}

}  // namespace vouch::cli
