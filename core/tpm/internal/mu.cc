#include "core/tpm/internal/mu.h"

#include <tss2/tss2_rc.h>

#include <cstdio>

namespace vouch::tpm::internal {

std::string RcText(TSS2_RC rc) {
  char code[16];
  std::snprintf(code, sizeof(code), "0x%08x", static_cast<unsigned>(rc));
  // Tss2_RC_Decode returns a thread-local buffer; copy it out at once.
  const char* text = Tss2_RC_Decode(rc);
  return std::string(text != nullptr ? text : "unknown") + " (" + code + ")";
}

std::string Hex16(uint16_t v) {
  char out[8];
  std::snprintf(out, sizeof(out), "0x%04x", static_cast<unsigned>(v));
  return out;
}

Status MuDecoder::CheckTpm2bSizeAt(size_t at, size_t capacity, std::string_view field) const {
  if (at > data_.size() || data_.size() - at < 2) {
    return ErrorAt(at, field,
                   "need 2 bytes for size, " +
                       std::to_string(at > data_.size() ? 0 : data_.size() - at) + " left");
  }
  size_t size = (size_t{data_[at]} << 8) | data_[at + 1];
  size_t left = data_.size() - at - 2;
  if (size > left) {
    return ErrorAt(at, field,
                   "size " + std::to_string(size) + " exceeds remaining " + std::to_string(left));
  }
  if (size > capacity) {
    return ErrorAt(at, field,
                   "size " + std::to_string(size) + " exceeds maximum " + std::to_string(capacity));
  }
  return Status();
}

Result<uint16_t> MuDecoder::PeekU16(size_t ahead, std::string_view field) const {
  size_t at = offset_ + ahead;
  if (at > data_.size() || data_.size() - at < 2) {
    return ErrorAt(
        at, field,
        "need 2 bytes, " + std::to_string(at > data_.size() ? 0 : data_.size() - at) + " left");
  }
  return static_cast<uint16_t>((data_[at] << 8) | data_[at + 1]);
}

Status MuDecoder::Finish() const {
  if (offset_ == data_.size()) return Status();
  return InvalidArgumentError("decode " + std::string(structure_) + ": trailing " +
                              std::to_string(data_.size() - offset_) + " bytes after offset " +
                              std::to_string(offset_));
}

Status MuDecoder::ErrorAt(size_t at, std::string_view field, std::string_view message) const {
  return InvalidArgumentError("decode " + std::string(structure_) + ": " + std::string(field) +
                              " at offset " + std::to_string(at) + ": " + std::string(message));
}

}  // namespace vouch::tpm::internal
