// Test-only reader for the PCR file `tpm2_quote -o` writes (tpm2-tools 5.4,
// default `-F serialized`), so real quotes stored under tests/data/quotes can
// be verified hermetically. The format is tpm2-tools' in-memory C structures
// in host (little-endian) byte order, documented in
// tests/data/quotes/README.md:
//   TPML_PCR_SELECTION  132 bytes: u32 count, 16 x {u16 hash, u8 sizeofSelect,
//                       u8 pcrSelect[4], u8 pad}
//   u32 n
//   n x TPML_DIGEST     532 bytes each: u32 count (<= 8), 8 x {u16 size,
//                       u8 buffer[64]}
// The flattened digests are the selected values in selection order.
#ifndef VOUCH_TESTS_UNIT_CORE_TPM_PCRS_FILE_H_
#define VOUCH_TESTS_UNIT_CORE_TPM_PCRS_FILE_H_

#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/tpm/pcr.h"

namespace vouch::tpm::testing {

struct Tpm2ToolsPcrs {
  std::vector<PcrSelection> selection;
  PcrValues values;
};

// InvalidArgument on any size, count or algorithm that does not fit.
Result<Tpm2ToolsPcrs> ParseTpm2ToolsPcrs(ByteView data);

}  // namespace vouch::tpm::testing

#endif  // VOUCH_TESTS_UNIT_CORE_TPM_PCRS_FILE_H_
