// Byte buffers and their text encodings (hex, base64).
//
// Bytes owns; ByteView borrows (the caller keeps the bytes alive). Decoders
// take untrusted text and return InvalidArgument naming the offending
// position; they never abort. Encoders are total.
#ifndef VOUCH_CORE_BASE_BYTES_H_
#define VOUCH_CORE_BASE_BYTES_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace vouch {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

// Views the characters of `s` as bytes (no copy; `s` must outlive the view).
inline ByteView AsBytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline Bytes ToBytes(ByteView v) { return Bytes(v.begin(), v.end()); }
inline std::string ToString(ByteView v) { return std::string(v.begin(), v.end()); }

// Lower-case hex, two characters per byte.
std::string HexEncode(ByteView data);
// Accepts upper or lower case and an optional "0x" prefix; no separators.
// InvalidArgument on odd length or a non-hex character (with its position).
Result<Bytes> HexDecode(std::string_view text);

// Standard base64 (RFC 4648 section 4) with padding.
std::string Base64Encode(ByteView data);
// Strict: standard alphabet, padding required, no whitespace. InvalidArgument
// names the first bad character's position.
Result<Bytes> Base64Decode(std::string_view text);

// Constant-time equality for secrets and MACs (length is not secret).
bool ConstantTimeEqual(ByteView a, ByteView b);

}  // namespace vouch

#endif  // VOUCH_CORE_BASE_BYTES_H_
