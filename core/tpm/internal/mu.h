// Private helper for the tss2 adapter files of core/tpm: sequential decoding
// of one marshaled TPM structure, field by field, with libtss2-mu.
//
// Each read names the field it decodes, so errors read
// "decode TPMS_ATTEST: qualifiedSigner at offset 6: size 300 exceeds remaining
// 120". Sizes and counts are checked here before libtss2-mu sees them, which
// gives those precise messages and keeps hostile input from reaching tss2's
// own logging. Not part of the public API. Not thread-safe; the viewed bytes
// must outlive the decoder.
#ifndef VOUCH_CORE_TPM_INTERNAL_MU_H_
#define VOUCH_CORE_TPM_INTERNAL_MU_H_

#include <tss2/tss2_mu.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace vouch::tpm::internal {

// "mu:A buffer isn't large enough (0x00090006)" for a tss2 return code.
std::string RcText(TSS2_RC rc);

class MuDecoder {
 public:
  // `structure` names the whole structure in messages ("TPMS_ATTEST").
  MuDecoder(ByteView data, std::string_view structure) : data_(data), structure_(structure) {}

  size_t offset() const { return offset_; }
  size_t remaining() const { return data_.size() - offset_; }

  // Decodes one field with a libtss2-mu unmarshaler
  // (Tss2_MU_UINT16_Unmarshal, Tss2_MU_TPMS_CLOCK_INFO_Unmarshal, ...).
  template <typename T>
  Status Read(TSS2_RC (*fn)(const uint8_t[], size_t, size_t*, T*), T* dest,
              std::string_view field) {
    size_t at = offset_;
    TSS2_RC rc = fn(data_.data(), data_.size(), &offset_, dest);
    if (rc != TSS2_RC_SUCCESS) return ErrorAt(at, field, RcText(rc));
    return Status();
  }

  // Decodes a union member selected by `selector` (TPM 2.0 Part 2, section
  // 4.5: unions are marshaled as the selected member only).
  template <typename T>
  Status ReadUnion(TSS2_RC (*fn)(const uint8_t[], size_t, size_t*, uint32_t, T*), uint32_t selector,
                   T* dest, std::string_view field) {
    size_t at = offset_;
    TSS2_RC rc = fn(data_.data(), data_.size(), &offset_, selector, dest);
    if (rc != TSS2_RC_SUCCESS) return ErrorAt(at, field, RcText(rc));
    return Status();
  }

  // Decodes a TPM2B after checking its 2-byte size against the remaining
  // input and the structure's `capacity` (the size of its buffer member).
  template <typename T>
  Status ReadTpm2b(TSS2_RC (*fn)(const uint8_t[], size_t, size_t*, T*), T* dest, size_t capacity,
                   std::string_view field) {
    VOUCH_RETURN_IF_ERROR(CheckTpm2bSizeAt(offset_, capacity, field));
    return Read(fn, dest, field);
  }

  // Checks the TPM2B whose size field sits at absolute offset `at` against
  // the input left after it and `capacity`, without consuming anything.
  Status CheckTpm2bSizeAt(size_t at, size_t capacity, std::string_view field) const;

  // The big-endian 16-bit value `ahead` bytes past the current offset,
  // without consuming it.
  Result<uint16_t> PeekU16(size_t ahead, std::string_view field) const;

  // InvalidArgument unless the whole input was consumed.
  Status Finish() const;

  // "decode <structure>: <field> at offset <at>: <message>".
  Status ErrorAt(size_t at, std::string_view field, std::string_view message) const;
  Status Error(std::string_view field, std::string_view message) const {
    return ErrorAt(offset_, field, message);
  }

 private:
  ByteView data_;
  std::string_view structure_;
  size_t offset_ = 0;
};

// "0x000b" style for algorithm ids and tags in messages.
std::string Hex16(uint16_t v);

}  // namespace vouch::tpm::internal

#endif  // VOUCH_CORE_TPM_INTERNAL_MU_H_
