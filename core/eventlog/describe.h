// Decoding event data into human-readable descriptions, for display only.
//
// DescribeEvent turns the data of one event into a small structured value: a
// stable `kind`, a one-line `summary` and ordered key/value `fields`. It
// knows the structures of the TCG PC Client Platform Firmware Profile (PFP)
// and the UEFI specification (variables, load options, device paths,
// signature lists, image loads, firmware blobs, handoff tables, GPT), the
// EV_NO_ACTION events (Spec ID, StartupLocality, SP800-155), Windows SIPA
// tagged events, Intel TXT/SINIT events (0x400-0x4FF) and tboot (0x501);
// anything else is shown as bounded hex.
//
// What it deliberately is not: a source of boot state for policy decisions.
// Event type and data are untrusted (event_log.h); a description says what
// the bytes claim, nothing more. Extraction for appraisal works on
// VerifiedEvents elsewhere. The library has no JSON dependency: callers
// render the fields themselves.
//
// Robustness: every length is checked (ByteReader) before use; data that does
// not match its type's structure yields a description whose `malformed` is
// set (with the fields decoded up to that point), never an error or a crash.
// All strings are valid UTF-8 without control characters (escaped as \xNN,
// \n, \u{...}; bidi overrides included), and every text is bounded
// (kMaxTextChars, kMaxHexBytes, kMaxListItems), so untrusted logs cannot
// flood a terminal or inject escape sequences.
#ifndef VOUCH_CORE_EVENTLOG_DESCRIBE_H_
#define VOUCH_CORE_EVENTLOG_DESCRIBE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/base/bytes.h"
#include "core/eventlog/event_log.h"

namespace vouch::eventlog {

// Bounds on what a description contains.
inline constexpr size_t kMaxTextChars = 256;  // per decoded string (code points)
inline constexpr size_t kMaxHexBytes = 64;    // raw bytes shown as hex
inline constexpr size_t kMaxListItems = 32;   // entries of a list field
inline constexpr size_t kMaxSummaryChars = 512;

// A decoded value: text, an unsigned number, a flag, or a list of texts.
using FieldValue = std::variant<std::string, uint64_t, bool, std::vector<std::string>>;

struct DescriptionField {
  std::string key;  // snake_case, unique within one description, stable
  FieldValue value;
};

struct EventDescription {
  // Which decoder produced it; stable identifiers for tools:
  //   "uefi_variable", "uefi_image_load", "firmware_blob", "firmware_blob2",
  //   "handoff_tables", "gpt", "separator", "crtm_version", "text",
  //   "spec_id", "startup_locality", "sp800_155", "no_action", "sipa",
  //   "txt", "tboot", "empty", "hex".
  std::string kind;
  // One printable line; starts with "malformed: " when `malformed` is set.
  std::string summary;
  std::vector<DescriptionField> fields;
  // Empty when the data decoded; otherwise why it did not (for example
  // "at offset 16: need 8 bytes for VariableDataLength, 3 left").
  std::string malformed;

  // The field named `key`, or nullptr.
  const FieldValue* Find(std::string_view key) const;
};

// Describes the data of `event` according to its type. Total: never fails,
// never aborts, output bounded (see above). Thread-safe (pure function).
EventDescription DescribeEvent(const Event& event);

// Text form of a UEFI device path (UEFI 2.10, section 10.6 "Text Device Path
// Representation"), for example "PciRoot(0x0)/Pci(0x1f,0x2)/Sata(0x0,0xffff,0x0)/
// HD(1,GPT,<guid>,0x800,0x100000)/\EFI\BOOT\BOOTX64.EFI" (one line).
// Unknown nodes print as Path(type,subtype,hex). Stops at the end node;
// a truncated or inconsistent path ends with "<malformed: reason>". Bounded.
std::string DevicePathToText(ByteView path);

// Canonical text of an EFI_GUID as stored in UEFI structures (first three
// fields little-endian): "8be4df61-93ca-11d2-aa0d-00e098032b8c".
// Precondition: guid.size() == 16 (otherwise returns hex of the bytes).
std::string EfiGuidToString(ByteView guid);

// Name of a well-known GUID ("EFI_GLOBAL_VARIABLE", "EFI_CERT_X509",
// "EFI System Partition", ...), or an empty view.
std::string_view WellKnownGuidName(std::string_view canonical_guid);

}  // namespace vouch::eventlog

#endif  // VOUCH_CORE_EVENTLOG_DESCRIBE_H_
