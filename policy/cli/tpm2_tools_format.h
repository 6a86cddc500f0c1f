// Readers for the PCR files tpm2-tools 5.x writes (tpm2_quote -o,
// tpm2_pcrread -o), so evidence produced with tpm2-tools can be checked by
// vouch-policy and by integration tests.
//
// This is an interoperability adapter for operator tooling, deliberately kept
// out of core/: the formats are tpm2-tools' own, not TPM structures.
//   "serialized" (tpm2_quote's default, -F serialized): the in-memory layout
//     of TPML_PCR_SELECTION followed by the PCR digests as TPML_DIGEST
//     structures, little-endian (tpm2-tools lib/pcr.c, pcr_fwrite_serialized).
//   "values" (-F values): the selected digests concatenated in selection
//     order, with no selection; the caller supplies it (for a quote, the
//     selection in TPMS_ATTEST).
// Nothing read here is trusted; quote verification decides that.
#ifndef VOUCH_POLICY_CLI_TPM2_TOOLS_FORMAT_H_
#define VOUCH_POLICY_CLI_TPM2_TOOLS_FORMAT_H_

#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/tpm/pcr.h"

namespace vouch::cli {

struct Tpm2ToolsPcrs {
  // The selection stored in the file, in file order.
  std::vector<tpm::PcrSelection> selection;
  // One value per selected PCR.
  tpm::PcrValues values;
};

// Parses a "serialized" PCR file. InvalidArgument (naming the offset or
// field) when the size is not exactly that of the stored structures, a bank
// is not a known hash, a PCR index is >= 24, a digest has the wrong size for
// its bank, or the number of digests differs from the number of selected PCRs.
Result<Tpm2ToolsPcrs> ParseTpm2ToolsSerializedPcrs(ByteView data);

// Parses a "values" PCR file against `selection` (banks in order, PCRs
// ascending within a bank). InvalidArgument when the size differs from the
// sum of the selected digest sizes.
Result<tpm::PcrValues> ParseTpm2ToolsPcrValues(ByteView data,
                                               const std::vector<tpm::PcrSelection>& selection);

}  // namespace vouch::cli

#endif  // VOUCH_POLICY_CLI_TPM2_TOOLS_FORMAT_H_
