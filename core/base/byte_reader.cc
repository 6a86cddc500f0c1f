#include "core/base/byte_reader.h"

#include <string>

namespace vouch {

Status ByteReader::ErrorHere(std::string_view message) const {
  return InvalidArgumentError("at offset " + std::to_string(offset()) + ": " +
                              std::string(message));
}

Status ByteReader::Need(size_t n, std::string_view what) const {
  if (n <= remaining()) return Status();
  return ErrorHere("need " + std::to_string(n) + " bytes for " + std::string(what) + ", " +
                   std::to_string(remaining()) + " left");
}

template <typename T, bool kBig>
Result<T> ByteReader::ReadInt(std::string_view what) {
  VOUCH_RETURN_IF_ERROR(Need(sizeof(T), what));
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    size_t idx = kBig ? i : sizeof(T) - 1 - i;
    v = static_cast<T>((v << 8) | data_[pos_ + idx]);
  }
  pos_ += sizeof(T);
  return v;
}

Result<uint8_t> ByteReader::U8(std::string_view what) { return ReadInt<uint8_t, true>(what); }
Result<uint16_t> ByteReader::U16Le(std::string_view w) { return ReadInt<uint16_t, false>(w); }
Result<uint32_t> ByteReader::U32Le(std::string_view w) { return ReadInt<uint32_t, false>(w); }
Result<uint64_t> ByteReader::U64Le(std::string_view w) { return ReadInt<uint64_t, false>(w); }
Result<uint16_t> ByteReader::U16Be(std::string_view w) { return ReadInt<uint16_t, true>(w); }
Result<uint32_t> ByteReader::U32Be(std::string_view w) { return ReadInt<uint32_t, true>(w); }
Result<uint64_t> ByteReader::U64Be(std::string_view w) { return ReadInt<uint64_t, true>(w); }

Result<ByteView> ByteReader::Take(size_t n, std::string_view what) {
  VOUCH_RETURN_IF_ERROR(Need(n, what));
  ByteView out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Status ByteReader::Skip(size_t n, std::string_view what) {
  VOUCH_RETURN_IF_ERROR(Need(n, what));
  pos_ += n;
  return Status();
}

}  // namespace vouch
