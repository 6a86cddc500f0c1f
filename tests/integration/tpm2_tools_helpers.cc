#include "tests/integration/tpm2_tools_helpers.h"

#include <fstream>
#include <sstream>

#include "core/base/hash_alg.h"
#include "tests/testing/fixtures.h"

namespace vouch::testing {

Status CreateRsaEk(SwtpmInstance& tpm) {
  return tpm.RunTool({"tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub"}).status();
}

Result<AkFiles> CreateAk(SwtpmInstance& tpm, const std::string& prefix, AkKind kind) {
  AkFiles files{prefix + ".ctx", prefix + ".pub", prefix + ".name"};
  const bool rsa = kind == AkKind::kRsa;
  VOUCH_RETURN_IF_ERROR(tpm.RunTool({"tpm2_createak", "-C", "ek.ctx", "-c", files.ctx, "-G",
                                     rsa ? "rsa" : "ecc", "-g", "sha256", "-s",
                                     rsa ? "rsassa" : "ecdsa", "-u", files.pub, "-n", files.name})
                            .status());
  return files;
}

std::string AllPcrsSelection() {
  std::string list;
  for (uint32_t i = 0; i < tpm::kNumPcrs; ++i) {
    list += (i == 0 ? "" : ",") + std::to_string(i);
  }
  return "sha1:" + list + "+sha256:" + list;
}

Result<QuoteFiles> Quote(SwtpmInstance& tpm, const AkFiles& ak, const std::string& nonce_hex,
                         const std::string& prefix, const std::string& selection) {
  QuoteFiles files{prefix + ".msg", prefix + ".sig", prefix + ".pcrs"};
  VOUCH_RETURN_IF_ERROR(
      tpm.RunTool({"tpm2_quote", "-c", ak.ctx, "-l", selection, "-q", nonce_hex, "-m", files.msg,
                   "-s", files.sig, "-o", files.pcrs, "-g", "sha256"})
          .status());
  return files;
}

Status ExtendBothBanks(SwtpmInstance& tpm, uint32_t pcr, uint8_t fill) {
  std::string sha1 = HexEncode(Bytes(DigestSize(HashAlg::kSha1), fill));
  std::string sha256 = HexEncode(Bytes(DigestSize(HashAlg::kSha256), fill));
  return tpm
      .RunTool({"tpm2_pcrextend", std::to_string(pcr) + ":sha1=" + sha1 + ",sha256=" + sha256})
      .status();
}

Result<tpm::PcrValues> ReadPcrsWithTool(SwtpmInstance& tpm, const std::string& selection) {
  VOUCH_ASSIGN_OR_RETURN(ProcessResult r, tpm.RunTool({"tpm2_pcrread", selection}));
  // Output (YAML-like):
  //   sha1:
  //     0 : 0x0000...
  tpm::PcrValues values;
  std::optional<HashAlg> bank;
  std::istringstream in(r.stdout_text);
  std::string line;
  while (std::getline(in, line)) {
    size_t first = line.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    std::string text = line.substr(first);
    if (!text.empty() && text.back() == ':') {
      bank = HashAlgFromName(text.substr(0, text.size() - 1));
      if (!bank) return InvalidArgumentError("tpm2_pcrread: unknown bank line '" + line + "'");
      continue;
    }
    size_t colon = text.find(':');
    size_t hex = text.find("0x");
    if (!bank || colon == std::string::npos || hex == std::string::npos) {
      return InvalidArgumentError("tpm2_pcrread: unexpected line '" + line + "'");
    }
    uint32_t index = static_cast<uint32_t>(std::stoul(text.substr(0, colon)));
    VOUCH_ASSIGN_OR_RETURN(Bytes value, HexDecode(text.substr(hex + 2)));
    VOUCH_RETURN_IF_ERROR(values.Set(*bank, index, std::move(value)));
  }
  return values;
}

Result<Bytes> ReadWorkFile(const SwtpmInstance& tpm, const std::string& name) {
  return ReadFileBytes(tpm.WorkDir() / name);
}

Status WriteWorkFile(const SwtpmInstance& tpm, const std::string& name, ByteView data) {
  std::ofstream out(tpm.WorkDir() / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return InternalError("cannot write " + (tpm.WorkDir() / name).string());
  return Status();
}

Result<CaFiles> LoadCa(const SwtpmInstance& tpm) {
  VOUCH_ASSIGN_OR_RETURN(crypto::CaStore store, crypto::CaStore::LoadDirectory(tpm.TrustDir()));
  VOUCH_ASSIGN_OR_RETURN(std::string pem, ReadFileText(tpm.IntermediateCertPath()));
  VOUCH_ASSIGN_OR_RETURN(std::vector<crypto::Certificate> intermediates,
                         crypto::Certificate::AllFromPem(pem));
  return CaFiles{std::move(store), std::move(intermediates)};
}

}  // namespace vouch::testing
