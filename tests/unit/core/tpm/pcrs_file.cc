#include "tests/unit/core/tpm/pcrs_file.h"

#include <string>

#include "core/base/byte_reader.h"

namespace vouch::tpm::testing {
namespace {

constexpr uint32_t kSelectionSlots = 16;  // TPM2_NUM_PCR_BANKS
constexpr uint32_t kSelectMax = 4;        // TPM2_PCR_SELECT_MAX
constexpr uint32_t kDigestSlots = 8;      // TPML_DIGEST holds at most 8
constexpr size_t kDigestBuffer = 64;      // sizeof(TPMU_HA)

}  // namespace

Result<Tpm2ToolsPcrs> ParseTpm2ToolsPcrs(ByteView data) {
  ByteReader r(data);
  Tpm2ToolsPcrs out;
  VOUCH_ASSIGN_OR_RETURN(uint32_t banks, r.U32Le("selection count"));
  if (banks > kSelectionSlots) return r.ErrorHere("selection count " + std::to_string(banks));
  for (uint32_t i = 0; i < kSelectionSlots; ++i) {
    VOUCH_ASSIGN_OR_RETURN(uint16_t hash, r.U16Le("selection hash"));
    VOUCH_ASSIGN_OR_RETURN(uint8_t size_of_select, r.U8("sizeofSelect"));
    VOUCH_ASSIGN_OR_RETURN(ByteView bitmap, r.Take(kSelectMax, "pcrSelect"));
    VOUCH_RETURN_IF_ERROR(r.Skip(1, "padding"));
    if (i >= banks) continue;
    std::optional<HashAlg> bank = HashAlgFromTpmId(hash);
    if (!bank) return r.ErrorHere("unknown bank " + std::to_string(hash));
    if (size_of_select > kSelectMax) return r.ErrorHere("sizeofSelect too big");
    PcrSelection sel{*bank, {}};
    for (uint32_t pcr = 0; pcr < size_of_select * 8u; ++pcr) {
      if ((bitmap[pcr / 8] >> (pcr % 8)) & 1) {
        if (pcr >= kNumPcrs) return r.ErrorHere("PCR " + std::to_string(pcr));
        sel.pcrs.push_back(pcr);
      }
    }
    out.selection.push_back(std::move(sel));
  }

  VOUCH_ASSIGN_OR_RETURN(uint32_t lists, r.U32Le("digest list count"));
  std::vector<ByteView> digests;
  for (uint32_t l = 0; l < lists; ++l) {
    VOUCH_ASSIGN_OR_RETURN(uint32_t count, r.U32Le("digest count"));
    if (count > kDigestSlots) return r.ErrorHere("digest count " + std::to_string(count));
    for (uint32_t i = 0; i < kDigestSlots; ++i) {
      VOUCH_ASSIGN_OR_RETURN(uint16_t size, r.U16Le("digest size"));
      VOUCH_ASSIGN_OR_RETURN(ByteView buffer, r.Take(kDigestBuffer, "digest buffer"));
      if (i >= count) continue;
      if (size > kDigestBuffer) return r.ErrorHere("digest size " + std::to_string(size));
      digests.push_back(buffer.first(size));
    }
  }
  if (!r.empty()) return r.ErrorHere(std::to_string(r.remaining()) + " trailing bytes");

  size_t next = 0;
  for (const PcrSelection& s : out.selection) {
    for (uint32_t pcr : s.pcrs) {
      if (next == digests.size()) return InvalidArgumentError("fewer digests than selected PCRs");
      VOUCH_RETURN_IF_ERROR(out.values.Set(s.bank, pcr, ToBytes(digests[next++])));
    }
  }
  if (next != digests.size()) return InvalidArgumentError("more digests than selected PCRs");
  return out;
}

}  // namespace vouch::tpm::testing
