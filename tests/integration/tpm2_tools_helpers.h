// Helpers for integration tests that drive a SwtpmInstance with tpm2-tools
// 5.4: EK/AK creation, quotes, PCR reads, files in the instance's work dir.
//
// tpm2-tools is used here as an independent producer of TPM evidence (the
// way an operator would make it), never by library code. Every command runs
// with TPM2TOOLS_TCTI set for the child only (SwtpmInstance::RunTool).
#ifndef VOUCH_TESTS_INTEGRATION_TPM2_TOOLS_HELPERS_H_
#define VOUCH_TESTS_INTEGRATION_TPM2_TOOLS_HELPERS_H_

#include <filesystem>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/crypto/x509.h"
#include "core/tpm/pcr.h"
#include "tests/testing/swtpm.h"

namespace vouch::testing {

enum class AkKind { kRsa, kEcc };

// Files (relative to SwtpmInstance::WorkDir()) of a key made by tpm2-tools.
struct AkFiles {
  std::string ctx;   // tpm2-tools context
  std::string pub;   // TPM2B_PUBLIC
  std::string name;  // raw TPM name (alg id || digest)
};

struct QuoteFiles {
  std::string msg;   // TPMS_ATTEST
  std::string sig;   // TPMT_SIGNATURE
  std::string pcrs;  // tpm2-tools "serialized" PCR file
};

// The default RSA EK as a transient object: ek.ctx and ek.pub.
Status CreateRsaEk(SwtpmInstance& tpm);
// An AK under ek.ctx: RSA-2048 RSASSA-SHA256 or ECC P-256 ECDSA-SHA256;
// files <prefix>.ctx, <prefix>.pub, <prefix>.name.
Result<AkFiles> CreateAk(SwtpmInstance& tpm, const std::string& prefix, AkKind kind);

// "sha1:0,1,...,23+sha256:0,1,...,23".
std::string AllPcrsSelection();

// tpm2_quote with `ak` over `selection` (tpm2-tools syntax) and the nonce
// `nonce_hex`; files <prefix>.msg, <prefix>.sig, <prefix>.pcrs.
Result<QuoteFiles> Quote(SwtpmInstance& tpm, const AkFiles& ak, const std::string& nonce_hex,
                         const std::string& prefix,
                         const std::string& selection = AllPcrsSelection());

// Extends PCR `pcr` in both banks with the given byte repeated.
Status ExtendBothBanks(SwtpmInstance& tpm, uint32_t pcr, uint8_t fill);

// PCR values as tpm2_pcrread prints them (its text output, parsed here, so the
// comparison does not share code with the PCR file reader under test).
Result<tpm::PcrValues> ReadPcrsWithTool(SwtpmInstance& tpm, const std::string& selection);

Result<Bytes> ReadWorkFile(const SwtpmInstance& tpm, const std::string& name);
Status WriteWorkFile(const SwtpmInstance& tpm, const std::string& name, ByteView data);

// The trust anchors and intermediate certificate of an instance's CA, ready
// for crypto::VerifyChain of its EK certificates.
struct CaFiles {
  crypto::CaStore store;
  std::vector<crypto::Certificate> intermediates;
};
Result<CaFiles> LoadCa(const SwtpmInstance& tpm);

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_INTEGRATION_TPM2_TOOLS_HELPERS_H_
