// ByteReader: bounds-checked sequential reads over untrusted bytes.
//
// Every read checks the remaining length first and fails with InvalidArgument
// naming the absolute offset and what was being read ("at offset 1234: need 32
// bytes for digest, 7 left"), so parsers never over-read or over-allocate.
// `base_offset` lets a sub-reader report offsets of the enclosing buffer.
// Not thread-safe; the viewed bytes must outlive the reader.
#ifndef VOUCH_CORE_BASE_BYTE_READER_H_
#define VOUCH_CORE_BASE_BYTE_READER_H_

#include <cstdint>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace vouch {

class ByteReader {
 public:
  explicit ByteReader(ByteView data, size_t base_offset = 0)
      : data_(data), base_offset_(base_offset) {}

  // Absolute offset of the next byte (base_offset + position).
  size_t offset() const { return base_offset_ + pos_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  // The unread bytes, without consuming them.
  ByteView Rest() const { return data_.subspan(pos_); }

  Result<uint8_t> U8(std::string_view what);
  Result<uint16_t> U16Le(std::string_view what);
  Result<uint32_t> U32Le(std::string_view what);
  Result<uint64_t> U64Le(std::string_view what);
  Result<uint16_t> U16Be(std::string_view what);
  Result<uint32_t> U32Be(std::string_view what);
  Result<uint64_t> U64Be(std::string_view what);
  // Next `n` bytes as a view into the input.
  Result<ByteView> Take(size_t n, std::string_view what);
  Status Skip(size_t n, std::string_view what);

  // An InvalidArgument error at the current offset: "at offset N: message".
  Status ErrorHere(std::string_view message) const;

 private:
  Status Need(size_t n, std::string_view what) const;
  template <typename T, bool kBig>
  Result<T> ReadInt(std::string_view what);

  ByteView data_;
  size_t base_offset_;
  size_t pos_ = 0;
};

}  // namespace vouch

#endif  // VOUCH_CORE_BASE_BYTE_READER_H_
