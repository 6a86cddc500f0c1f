// Private helpers of core/protocol (not part of its API; only its own .cc
// files include this): a guarded JSON parse for untrusted documents,
// typed member access that names the member in every error, and the field
// checks shared by encoders and decoders so both apply the schemas' rules.
//
// Paths in messages are "<document>.<member>.<member>[<index>]", e.g.
// "evidence.pcrs.sha256.7". Every check returns InvalidArgument; encoders
// turn that into Internal (bad data from our own caller is a bug there).
#ifndef VOUCH_CORE_PROTOCOL_JSON_UTIL_H_
#define VOUCH_CORE_PROTOCOL_JSON_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/protocol/evidence.h"

namespace vouch::protocol::internal {

using Json = nlohmann::json;                 // decoding
using OrderedJson = nlohmann::ordered_json;  // encoding: keys in schema order

// No document of the protocol nests deeper than 3 levels; anything deeper is
// refused before nlohmann's recursive parser sees it.
inline constexpr size_t kMaxJsonDepth = 8;

// Parses an untrusted document named `name` ("evidence"). In order:
// refuses text longer than `max_bytes` (before looking at it), checks in one
// linear pass that nesting stays within kMaxJsonDepth and that every string
// is valid UTF-8 (naming the member), parses without exceptions, refuses
// duplicate member names (a parser differential: others keep the first, we
// would keep the last) and requires a top-level object.
Result<Json> ParseDocument(std::string_view text, size_t max_bytes, std::string_view name);

// Dumps compactly. Strings must already be valid UTF-8 (CheckUtf8String);
// invalid bytes would be replaced rather than thrown on.
std::string Dump(const OrderedJson& doc);

// Status with "path: " in front of `message`.
Status FieldError(std::string_view path, std::string_view message);
// `status` (InvalidArgument from a check) as Internal, for encoders.
Status EncoderError(const Status& status);

// InvalidArgument naming the first member of `object` not in `allowed`.
Status CheckMembers(const Json& object, std::string_view path,
                    std::initializer_list<std::string_view> allowed);

// The member `name` of `object`, or nullptr when absent (optional members).
const Json* FindMember(const Json& object, std::string_view name);
// The member `name`; InvalidArgument "path.name: missing" when absent.
Result<const Json*> RequireMember(const Json& object, std::string_view path, std::string_view name);

std::string Join(std::string_view path, std::string_view member);

// Typed reads of a value at `path`.
Status ExpectObject(const Json& value, std::string_view path);
Result<std::string> GetString(const Json& value, std::string_view path);
// A JSON integer token in 0..max (no fraction, no exponent).
Result<uint64_t> GetUnsigned(const Json& value, std::string_view path, uint64_t max);
// Standard padded base64 of min_bytes..max_bytes decoded bytes; the text
// length is checked before decoding.
Result<Bytes> GetBase64(const Json& value, std::string_view path, size_t min_bytes,
                        size_t max_bytes);
// Lower-case hex of min_bytes..max_bytes bytes (an even number of digits).
Result<Bytes> GetHex(const Json& value, std::string_view path, size_t min_bytes, size_t max_bytes);

// Field checks shared by encoders and decoders.
Status CheckUtf8String(std::string_view text, std::string_view path, size_t min_code_points,
                       size_t max_code_points);
Status CheckByteSize(size_t size, std::string_view path, size_t min_bytes, size_t max_bytes);
// [A-Za-z0-9_-]{1,64}: enrollment and host ids (they appear in URL paths).
Status CheckId(std::string_view id, std::string_view path);
// RFC 3339 UTC timestamp without fraction: "2026-11-28T09:00:00Z".
Status CheckTimestamp(std::string_view text, std::string_view path);
Status CheckNonce(ByteView nonce, std::string_view path);
bool IsLowerHex(std::string_view text);

// The host object of the evidence and enrollment request documents.
Status CheckHostFacts(const HostFacts& host, std::string_view path);
OrderedJson EncodeHostFacts(const HostFacts& host);
Result<HostFacts> DecodeHostFacts(const Json& value, std::string_view path);

// The digests object of VM log records and launch measurements
// ({"sha1": hex, ...}, vm_log.cc): encoded in bank order; decoded with the
// schema's member names and exact sizes, then CheckVmDigests.
OrderedJson EncodeVmDigests(const std::map<HashAlg, Bytes>& digests);
Result<std::map<HashAlg, Bytes>> DecodeVmDigests(const Json& value, std::string_view path);

// Largest base64 text (padded) for `bytes` bytes.
constexpr size_t Base64Length(size_t bytes) { return (bytes + 2) / 3 * 4; }

}  // namespace vouch::protocol::internal

#endif  // VOUCH_CORE_PROTOCOL_JSON_UTIL_H_
