#include "policy/cli/tpm2_tools_format.h"

#include <string>

#include "core/base/byte_reader.h"
#include "core/base/hash_alg.h"

namespace vouch::cli {
namespace {

// Sizes of the tpm2-tss 3.x in-memory structures tpm2-tools dumps
// (tss2_tpm2_types.h): TPMS_PCR_SELECTION is hash (2) + sizeofSelect (1) +
// pcrSelect[TPM2_PCR_SELECT_MAX = 4] + 1 byte of padding; TPML_PCR_SELECTION
// holds TPM2_NUM_PCR_BANKS = 16 of them after a 4-byte count; TPM2B_DIGEST is
// size (2) + buffer[sizeof(TPMU_HA) = 64]; TPML_DIGEST holds 8 of them after
// a 4-byte count.
constexpr size_t kPcrSelectMax = 4;
constexpr size_t kPcrSelectionSize = 8;
constexpr size_t kNumPcrBanks = 16;
constexpr size_t kDigestBufferSize = 64;
constexpr size_t kDigestsPerList = 8;
constexpr size_t kDigestListSize = 4 + kDigestsPerList * (2 + kDigestBufferSize);  // 532
constexpr size_t kMaxDigestLists = 64;

Result<std::vector<tpm::PcrSelection>> ReadSelectionList(ByteReader& r) {
  VOUCH_ASSIGN_OR_RETURN(uint32_t count, r.U32Le("TPML_PCR_SELECTION.count"));
  if (count > kNumPcrBanks) {
    return InvalidArgumentError("TPML_PCR_SELECTION.count " + std::to_string(count) + " exceeds " +
                                std::to_string(kNumPcrBanks));
  }
  std::vector<tpm::PcrSelection> out;
  for (size_t i = 0; i < kNumPcrBanks; ++i) {
    const size_t entry_offset = r.offset();
    VOUCH_ASSIGN_OR_RETURN(uint16_t hash_id, r.U16Le("TPMS_PCR_SELECTION.hash"));
    VOUCH_ASSIGN_OR_RETURN(uint8_t size_of_select, r.U8("TPMS_PCR_SELECTION.sizeofSelect"));
    VOUCH_ASSIGN_OR_RETURN(ByteView select, r.Take(kPcrSelectMax, "pcrSelect"));
    VOUCH_RETURN_IF_ERROR(r.Skip(kPcrSelectionSize - 7, "TPMS_PCR_SELECTION padding"));
    if (i >= count) continue;  // unused slots
    std::optional<HashAlg> bank = HashAlgFromTpmId(hash_id);
    if (!bank) {
      return InvalidArgumentError(
          "at offset " + std::to_string(entry_offset) + ": unknown PCR bank hash 0x" +
          HexEncode(Bytes{static_cast<uint8_t>(hash_id >> 8), static_cast<uint8_t>(hash_id)}));
    }
    if (size_of_select > kPcrSelectMax) {
      return InvalidArgumentError("at offset " + std::to_string(entry_offset) + ": sizeofSelect " +
                                  std::to_string(size_of_select) + " exceeds " +
                                  std::to_string(kPcrSelectMax));
    }
    tpm::PcrSelection sel{*bank, {}};
    for (uint32_t byte = 0; byte < size_of_select; ++byte) {
      for (uint32_t bit = 0; bit < 8; ++bit) {
        if ((select[byte] & (1u << bit)) == 0) continue;
        uint32_t pcr = byte * 8 + bit;
        if (pcr >= tpm::kNumPcrs) {
          return InvalidArgumentError("at offset " + std::to_string(entry_offset) + ": PCR " +
                                      std::to_string(pcr) + " selected, only " +
                                      std::to_string(tpm::kNumPcrs) + " exist");
        }
        sel.pcrs.push_back(pcr);
      }
    }
    out.push_back(std::move(sel));
  }
  return out;
}

size_t SelectedCount(const std::vector<tpm::PcrSelection>& selection) {
  size_t n = 0;
  for (const tpm::PcrSelection& s : selection) n += s.pcrs.size();
  return n;
}

}  // namespace

Result<Tpm2ToolsPcrs> ParseTpm2ToolsSerializedPcrs(ByteView data) {
  ByteReader r(data);
  Tpm2ToolsPcrs out;
  VOUCH_ASSIGN_OR_RETURN(out.selection, ReadSelectionList(r));
  VOUCH_ASSIGN_OR_RETURN(uint32_t lists, r.U32Le("TPML_DIGEST list count"));
  if (lists <= kMaxDigestLists && r.remaining() > lists * kDigestListSize) {
    return InvalidArgumentError("serialized PCR file: trailing " +
                                std::to_string(r.remaining() - lists * kDigestListSize) +
                                " bytes after " + std::to_string(lists) + " digest lists");
  }
  if (lists > kMaxDigestLists || r.remaining() != lists * kDigestListSize) {
    return InvalidArgumentError("serialized PCR file: " + std::to_string(lists) +
                                " digest lists need " + std::to_string(lists * kDigestListSize) +
                                " bytes after offset " + std::to_string(r.offset()) + ", have " +
                                std::to_string(r.remaining()));
  }
  std::vector<ByteView> digests;
  for (uint32_t l = 0; l < lists; ++l) {
    const size_t list_offset = r.offset();
    VOUCH_ASSIGN_OR_RETURN(uint32_t count, r.U32Le("TPML_DIGEST.count"));
    if (count > kDigestsPerList) {
      return InvalidArgumentError("at offset " + std::to_string(list_offset) +
                                  ": TPML_DIGEST.count " + std::to_string(count) + " exceeds " +
                                  std::to_string(kDigestsPerList));
    }
    for (uint32_t d = 0; d < kDigestsPerList; ++d) {
      const size_t digest_offset = r.offset();
      VOUCH_ASSIGN_OR_RETURN(uint16_t size, r.U16Le("TPM2B_DIGEST.size"));
      VOUCH_ASSIGN_OR_RETURN(ByteView buffer, r.Take(kDigestBufferSize, "TPM2B_DIGEST.buffer"));
      if (d >= count) continue;
      if (size > kDigestBufferSize) {
        return InvalidArgumentError("at offset " + std::to_string(digest_offset) +
                                    ": digest size " + std::to_string(size) + " exceeds " +
                                    std::to_string(kDigestBufferSize));
      }
      digests.push_back(buffer.first(size));
    }
  }
  if (digests.size() != SelectedCount(out.selection)) {
    return InvalidArgumentError("serialized PCR file holds " + std::to_string(digests.size()) +
                                " digests for " + std::to_string(SelectedCount(out.selection)) +
                                " selected PCRs");
  }
  size_t next = 0;
  for (const tpm::PcrSelection& sel : out.selection) {
    for (uint32_t pcr : sel.pcrs) {
      VOUCH_RETURN_IF_ERROR_CTX(out.values.Set(sel.bank, pcr, ToBytes(digests[next++])),
                                "serialized PCR file");
    }
  }
  return out;
}

Result<tpm::PcrValues> ParseTpm2ToolsPcrValues(ByteView data,
                                               const std::vector<tpm::PcrSelection>& selection) {
  size_t expected = 0;
  for (const tpm::PcrSelection& sel : selection) {
    expected += sel.pcrs.size() * DigestSize(sel.bank);
  }
  if (data.size() != expected) {
    return InvalidArgumentError("PCR values file has " + std::to_string(data.size()) +
                                " bytes, the selection needs " + std::to_string(expected));
  }
  tpm::PcrValues values;
  ByteReader r(data);
  for (const tpm::PcrSelection& sel : selection) {
    for (uint32_t pcr : sel.pcrs) {
      VOUCH_ASSIGN_OR_RETURN(ByteView v, r.Take(DigestSize(sel.bank), "PCR value"));
      VOUCH_RETURN_IF_ERROR_CTX(values.Set(sel.bank, pcr, ToBytes(v)), "PCR values file");
    }
  }
  return values;
}

}  // namespace vouch::cli
