#include "core/protocol/json_util.h"

#include <string>
#include <utility>
#include <vector>

namespace vouch::protocol::internal {
namespace {

// One open container during the pre-parse scan.
struct Frame {
  bool object = false;
  bool expect_key = false;  // objects: the next string is a member name
  std::string key;          // objects: the current member name, raw
  size_t index = 0;         // arrays: the current element
};

std::string FramePath(std::string_view name, const std::vector<Frame>& frames) {
  std::string path(name);
  for (const Frame& f : frames) {
    if (f.object) {
      if (!f.key.empty()) path += "." + f.key;
    } else {
      path += "[" + std::to_string(f.index) + "]";
    }
  }
  return path;
}

// Length of the UTF-8 sequence starting at text[i], or 0 when it is not a
// well-formed sequence (Unicode 15, table 3-7: no overlong forms, no
// surrogates, nothing above U+10FFFF).
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  auto at = [&](size_t k) -> uint8_t {
    return i + k < text.size() ? static_cast<uint8_t>(text[i + k]) : 0;
  };
  auto cont = [&](size_t k, uint8_t lo = 0x80, uint8_t hi = 0xBF) {
    uint8_t c = at(k);
    return i + k < text.size() && c >= lo && c <= hi;
  };
  uint8_t c = at(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0, 0xBF) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90, 0xBF) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

// Code points of valid UTF-8, or nullopt-like SIZE_MAX when invalid.
constexpr size_t kInvalidUtf8 = static_cast<size_t>(-1);
size_t CountCodePoints(std::string_view text) {
  size_t n = 0;
  for (size_t i = 0; i < text.size();) {
    size_t len = Utf8SequenceLength(text, i);
    if (len == 0) return kInvalidUtf8;
    i += len;
    ++n;
  }
  return n;
}

// The pre-parse pass: nesting depth and UTF-8 inside strings, with the path
// of the offending member. It does not check JSON grammar (nlohmann does);
// it only has to stay linear and non-recursive on any input.
Status ScanDocument(std::string_view text, std::string_view name) {
  std::vector<Frame> frames;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (c) {
      case '{':
      case '[': {
        if (frames.size() >= kMaxJsonDepth) {
          return FieldError(FramePath(name, frames),
                            "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
        }
        Frame f;
        f.object = c == '{';
        f.expect_key = f.object;
        frames.push_back(std::move(f));
        break;
      }
      case '}':
      case ']':
        if (!frames.empty()) frames.pop_back();
        break;
      case ',':
        if (!frames.empty()) {
          if (frames.back().object) {
            frames.back().expect_key = true;
            frames.back().key.clear();
          } else {
            ++frames.back().index;
          }
        }
        break;
      case ':':
        if (!frames.empty()) frames.back().expect_key = false;
        break;
      case '"': {
        const size_t start = i + 1;
        size_t j = start;
        bool bad_utf8 = false;
        while (j < text.size() && text[j] != '"') {
          if (text[j] == '\\') {
            j += 2;  // the escaped character is ASCII in valid JSON
            continue;
          }
          size_t len = Utf8SequenceLength(text, j);
          if (len == 0) {
            bad_utf8 = true;
            break;
          }
          j += len;
        }
        const bool is_key = !frames.empty() && frames.back().object && frames.back().expect_key;
        if (bad_utf8) {
          return FieldError(FramePath(name, frames), is_key ? "member name is not valid UTF-8"
                                                            : "string is not valid UTF-8");
        }
        if (is_key) {
          frames.back().key.assign(text.substr(start, std::min(j, text.size()) - start));
        }
        i = j;  // at the closing quote (or past the end: nlohmann reports it)
        break;
      }
      default: break;
    }
  }
  return Status::Ok();
}

// Builds the document from nlohmann's SAX events (Json::sax_parse) and finds
// duplicate member names on the way, in time linear in the input.
//
// Why not Json::parse with a callback (the obvious way to see each member
// name): nlohmann 3.11.2's callback parser, on every object end, scans the
// whole enclosing array for a discarded element to erase, so a document that
// is one large array of objects (a reference set of 100,000 entries) parses in
// quadratic time. The builder below uses only the public API (json_sax's
// event signatures, Json::object_t/array_t), does what nlohmann's own
// non-callback builder does, and gets the duplicate check for free: a member
// name is a duplicate exactly when inserting it into its object fails.
//
// Behaviour matches the callback parser it replaces: every event is accepted
// (a duplicate is recorded, not a reason to stop, so a document that is also
// malformed is still reported as not valid JSON), the last of two equal
// member names wins in the tree (which is discarded anyway), and the path of
// the first duplicate is the document name followed by the current member
// name of every open object.
class DocumentBuilder {
 public:
  DocumentBuilder(Json& root, std::string_view name) : root_(root), name_(name) {}

  // SAX interface (see nlohmann::json_sax). Returning false would stop the
  // parser; only parse_error does.
  bool null() {
    Add(Json(nullptr));
    return true;
  }
  bool boolean(bool value) {
    Add(Json(value));
    return true;
  }
  bool number_integer(Json::number_integer_t value) {
    Add(Json(value));
    return true;
  }
  bool number_unsigned(Json::number_unsigned_t value) {
    Add(Json(value));
    return true;
  }
  bool number_float(Json::number_float_t value, const Json::string_t& /*text*/) {
    Add(Json(value));
    return true;
  }
  bool string(Json::string_t& value) {
    Add(Json(value));
    return true;
  }
  bool binary(Json::binary_t& value) {  // never produced by the JSON syntax
    Add(Json::binary(value));
    return true;
  }

  bool start_object(std::size_t /*elements*/) {
    open_.push_back(Open{Add(Json(Json::value_t::object)), nullptr, nullptr});
    return true;
  }
  bool key(Json::string_t& member) {
    Open& object = open_.back();
    auto [it, inserted] = object.value->get_ref<Json::object_t&>().try_emplace(member);
    // map nodes do not move: the name and the slot stay valid while the
    // object is open.
    object.key = &it->first;
    object.slot = &it->second;
    if (!inserted && duplicate_path_.empty()) duplicate_path_ = OpenMemberPath();
    return true;
  }
  bool end_object() {
    open_.pop_back();
    return true;
  }
  bool start_array(std::size_t /*elements*/) {
    open_.push_back(Open{Add(Json(Json::value_t::array)), nullptr, nullptr});
    return true;
  }
  bool end_array() {
    open_.pop_back();
    return true;
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                   const Json::exception& /*error*/) {
    return false;
  }

  // Empty when no member name repeats within one object.
  const std::string& duplicate_path() const { return duplicate_path_; }

 private:
  struct Open {
    Json* value;             // the object or array being filled
    const std::string* key;  // objects: the current member name
    Json* slot;              // objects: the current member's value
  };

  // Stores `value` where the grammar puts it and returns where it now is.
  // Pointers into an array stay valid: an array only grows when its open
  // child (if any) has been closed.
  Json* Add(Json&& value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Open& parent = open_.back();
    if (parent.slot != nullptr) {  // an object's member value, after key()
      *parent.slot = std::move(value);
      Json* stored = parent.slot;
      parent.slot = nullptr;
      return stored;
    }
    Json::array_t& array = parent.value->get_ref<Json::array_t&>();
    array.push_back(std::move(value));
    return &array.back();
  }

  std::string OpenMemberPath() const {
    std::string path(name_);
    for (const Open& o : open_) {
      if (o.key != nullptr) path += "." + *o.key;
    }
    return path;
  }

  Json& root_;
  std::string_view name_;
  std::vector<Open> open_;
  std::string duplicate_path_;  // set at the first duplicate
};

}  // namespace

Status FieldError(std::string_view path, std::string_view message) {
  std::string text(path);
  text += ": ";
  text += message;
  return InvalidArgumentError(std::move(text));
}

Status EncoderError(const Status& status) { return InternalError("encode: " + status.message()); }

std::string Join(std::string_view path, std::string_view member) {
  std::string out(path);
  out += '.';
  out += member;
  return out;
}

Result<Json> ParseDocument(std::string_view text, size_t max_bytes, std::string_view name) {
  if (text.size() > max_bytes) {
    return FieldError(name, "document is " + std::to_string(text.size()) +
                                " bytes, more than the limit of " + std::to_string(max_bytes));
  }
  VOUCH_RETURN_IF_ERROR(ScanDocument(text, name));
  Json doc;
  DocumentBuilder builder(doc, name);
  bool parsed = false;
  try {
    // strict: nothing but whitespace may follow the document.
    parsed = Json::sax_parse(text.begin(), text.end(), &builder);
  } catch (const Json::exception&) {
    // The builder never throws and parse errors go to parse_error; this only
    // keeps a nlohmann exception from leaving the library if that changes.
    parsed = false;
  }
  if (!parsed) return FieldError(name, "not a valid JSON document");
  if (!builder.duplicate_path().empty()) {
    return FieldError(builder.duplicate_path(), "duplicate member");
  }
  if (!doc.is_object()) return FieldError(name, "expected a JSON object");
  return doc;
}

std::string Dump(const OrderedJson& doc) {
  return doc.dump(-1, ' ', /*ensure_ascii=*/false, OrderedJson::error_handler_t::replace);
}

Status CheckMembers(const Json& object, std::string_view path,
                    std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) return FieldError(Join(path, key), "unknown member");
  }
  return Status::Ok();
}

const Json* FindMember(const Json& object, std::string_view name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

Result<const Json*> RequireMember(const Json& object, std::string_view path,
                                  std::string_view name) {
  const Json* member = FindMember(object, name);
  if (member == nullptr) return FieldError(Join(path, name), "missing required member");
  return member;
}

Status ExpectObject(const Json& value, std::string_view path) {
  if (!value.is_object()) {
    return FieldError(path, std::string("expected an object, got ") + value.type_name());
  }
  return Status::Ok();
}

Result<std::string> GetString(const Json& value, std::string_view path) {
  if (!value.is_string()) {
    return FieldError(path, std::string("expected a string, got ") + value.type_name());
  }
  return value.get_ref<const std::string&>();
}

Result<uint64_t> GetUnsigned(const Json& value, std::string_view path, uint64_t max) {
  if (!value.is_number_integer()) {
    return FieldError(path, std::string("expected an integer, got ") + value.type_name());
  }
  if (value.is_number_integer() && !value.is_number_unsigned()) {
    return FieldError(path, "must not be negative");
  }
  uint64_t v = value.get<uint64_t>();
  if (v > max) return FieldError(path, "must be at most " + std::to_string(max));
  return v;
}

Result<Bytes> GetBase64(const Json& value, std::string_view path, size_t min_bytes,
                        size_t max_bytes) {
  if (!value.is_string()) {
    return FieldError(path, std::string("expected a base64 string, got ") + value.type_name());
  }
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() > Base64Length(max_bytes)) {
    return FieldError(path, "more than " + std::to_string(max_bytes) + " bytes");
  }
  Result<Bytes> bytes = Base64Decode(text);
  if (!bytes) return FieldError(path, bytes.error().message());
  VOUCH_RETURN_IF_ERROR(CheckByteSize(bytes->size(), path, min_bytes, max_bytes));
  return bytes;
}

bool IsLowerHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<Bytes> GetHex(const Json& value, std::string_view path, size_t min_bytes, size_t max_bytes) {
  if (!value.is_string()) {
    return FieldError(path, std::string("expected a hex string, got ") + value.type_name());
  }
  const std::string& text = value.get_ref<const std::string&>();
  auto expected = [&]() {
    if (min_bytes == max_bytes) {
      return "expected " + std::to_string(2 * min_bytes) + " lower-case hex digits";
    }
    return "expected " + std::to_string(2 * min_bytes) + " to " + std::to_string(2 * max_bytes) +
           " lower-case hex digits (an even number)";
  };
  if (text.size() % 2 != 0 || text.size() < 2 * min_bytes || text.size() > 2 * max_bytes ||
      !IsLowerHex(text)) {
    return FieldError(path, expected());
  }
  Result<Bytes> bytes = HexDecode(text);
  if (!bytes) return FieldError(path, bytes.error().message());
  return bytes;
}

Status CheckUtf8String(std::string_view text, std::string_view path, size_t min_code_points,
                       size_t max_code_points) {
  size_t n = CountCodePoints(text);
  if (n == kInvalidUtf8) return FieldError(path, "not valid UTF-8");
  if (n < min_code_points) {
    return FieldError(path, "shorter than " + std::to_string(min_code_points) + " characters");
  }
  if (n > max_code_points) {
    return FieldError(path, "longer than " + std::to_string(max_code_points) + " characters");
  }
  return Status::Ok();
}

Status CheckByteSize(size_t size, std::string_view path, size_t min_bytes, size_t max_bytes) {
  if (size < min_bytes) {
    return FieldError(path,
                      std::to_string(size) + " bytes, fewer than " + std::to_string(min_bytes));
  }
  if (size > max_bytes) {
    return FieldError(path,
                      std::to_string(size) + " bytes, more than " + std::to_string(max_bytes));
  }
  return Status::Ok();
}

Status CheckId(std::string_view id, std::string_view path) {
  constexpr size_t kMaxIdLength = 64;
  bool ok = !id.empty() && id.size() <= kMaxIdLength;
  for (char c : id) {
    ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-');
  }
  if (!ok) return FieldError(path, "expected 1 to 64 characters of [A-Za-z0-9_-]");
  return Status::Ok();
}

Status CheckTimestamp(std::string_view text, std::string_view path) {
  // YYYY-MM-DDThh:mm:ssZ (RFC 3339 section 5.6, UTC, whole seconds).
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  bool ok = text.size() == kShape.size();
  for (size_t i = 0; ok && i < kShape.size(); ++i) {
    ok = kShape[i] == 'd' ? text[i] >= '0' && text[i] <= '9' : text[i] == kShape[i];
  }
  auto num = [&](size_t at) { return (text[at] - '0') * 10 + (text[at + 1] - '0'); };
  if (ok) {
    int month = num(5), day = num(8), hour = num(11), minute = num(14), second = num(17);
    // Second 60 is a leap second (RFC 3339 allows it).
    ok = month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 &&
         second <= 60;
  }
  if (!ok) return FieldError(path, "expected an RFC 3339 UTC time like 2026-11-28T09:00:00Z");
  return Status::Ok();
}

Status CheckNonce(ByteView nonce, std::string_view path) {
  return CheckByteSize(nonce.size(), path, kMinNonceBytes, kMaxNonceBytes);
}

// Limits of the host object (schemas/evidence.schema.json, host).
namespace {
constexpr size_t kMaxHostnameLength = 253;
constexpr size_t kMaxAgentVersionLength = 64;
constexpr size_t kMaxHypervisorVersionLength = 128;
constexpr size_t kMaxLabels = 64;
constexpr size_t kMaxLabelValueLength = 256;
constexpr size_t kMachineIdHexDigits = 32;

// ^[a-z0-9][a-z0-9._/-]{0,62}$
bool IsLabelName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '/' && c != '-'))) return false;
  }
  return true;
}

Result<HypervisorKind> HypervisorFromName(std::string_view name, std::string_view path) {
  for (HypervisorKind k : {HypervisorKind::kXen, HypervisorKind::kKvm, HypervisorKind::kNone,
                           HypervisorKind::kUnknown}) {
    if (HypervisorKindName(k) == name) return k;
  }
  return FieldError(path, "expected one of xen, kvm, none, unknown");
}

Result<MeasuredLaunch> MeasuredLaunchFromName(std::string_view name, std::string_view path) {
  for (MeasuredLaunch m : {MeasuredLaunch::kTxt, MeasuredLaunch::kEmulated, MeasuredLaunch::kNone,
                           MeasuredLaunch::kUnknown}) {
    if (MeasuredLaunchName(m) == name) return m;
  }
  return FieldError(path, "expected one of txt, emulated, none, unknown");
}
}  // namespace

Status CheckHostFacts(const HostFacts& host, std::string_view path) {
  VOUCH_RETURN_IF_ERROR(
      CheckUtf8String(host.hostname, Join(path, "hostname"), 1, kMaxHostnameLength));
  if (!host.machine_id.empty() &&
      (host.machine_id.size() != kMachineIdHexDigits || !IsLowerHex(host.machine_id))) {
    return FieldError(Join(path, "machine_id"), "expected 32 lower-case hex digits");
  }
  VOUCH_RETURN_IF_ERROR(
      CheckUtf8String(host.agent_version, Join(path, "agent_version"), 0, kMaxAgentVersionLength));
  VOUCH_RETURN_IF_ERROR(CheckUtf8String(host.hypervisor_version,
                                        Join(Join(path, "hypervisor"), "version"), 0,
                                        kMaxHypervisorVersionLength));
  const std::string labels_path = Join(path, "labels");
  if (host.labels.size() > kMaxLabels) {
    return FieldError(labels_path, "more than " + std::to_string(kMaxLabels) + " labels");
  }
  for (const auto& [name, value] : host.labels) {
    if (!IsLabelName(name)) {
      return FieldError(Join(labels_path, name), "label names are [a-z0-9][a-z0-9._/-]{0,62}");
    }
    VOUCH_RETURN_IF_ERROR(CheckUtf8String(value, Join(labels_path, name), 0, kMaxLabelValueLength));
  }
  return Status::Ok();
}

OrderedJson EncodeHostFacts(const HostFacts& host) {
  OrderedJson out = OrderedJson::object();
  out["hostname"] = host.hostname;
  if (!host.machine_id.empty()) out["machine_id"] = host.machine_id;
  out["agent_version"] = host.agent_version;
  OrderedJson hypervisor = OrderedJson::object();
  hypervisor["kind"] = HypervisorKindName(host.hypervisor);
  if (!host.hypervisor_version.empty()) hypervisor["version"] = host.hypervisor_version;
  out["hypervisor"] = std::move(hypervisor);
  out["measured_launch"] = MeasuredLaunchName(host.measured_launch);
  if (!host.labels.empty()) {
    OrderedJson labels = OrderedJson::object();
    for (const auto& [name, value] : host.labels) labels[name] = value;
    out["labels"] = std::move(labels);
  }
  return out;
}

Result<HostFacts> DecodeHostFacts(const Json& value, std::string_view path) {
  VOUCH_RETURN_IF_ERROR(ExpectObject(value, path));
  VOUCH_RETURN_IF_ERROR(CheckMembers(
      value, path,
      {"hostname", "machine_id", "agent_version", "hypervisor", "measured_launch", "labels"}));
  HostFacts host;
  VOUCH_ASSIGN_OR_RETURN(const Json* hostname, RequireMember(value, path, "hostname"));
  VOUCH_ASSIGN_OR_RETURN(host.hostname, GetString(*hostname, Join(path, "hostname")));
  if (const Json* machine_id = FindMember(value, "machine_id")) {
    VOUCH_ASSIGN_OR_RETURN(host.machine_id, GetString(*machine_id, Join(path, "machine_id")));
    // Present means non-empty: the schema's pattern has no empty match.
    if (host.machine_id.empty()) {
      return FieldError(Join(path, "machine_id"), "expected 32 lower-case hex digits");
    }
  }
  VOUCH_ASSIGN_OR_RETURN(const Json* agent_version, RequireMember(value, path, "agent_version"));
  VOUCH_ASSIGN_OR_RETURN(host.agent_version,
                         GetString(*agent_version, Join(path, "agent_version")));
  if (const Json* hypervisor = FindMember(value, "hypervisor")) {
    const std::string hv_path = Join(path, "hypervisor");
    VOUCH_RETURN_IF_ERROR(ExpectObject(*hypervisor, hv_path));
    VOUCH_RETURN_IF_ERROR(CheckMembers(*hypervisor, hv_path, {"kind", "version"}));
    if (const Json* kind = FindMember(*hypervisor, "kind")) {
      VOUCH_ASSIGN_OR_RETURN(std::string name, GetString(*kind, Join(hv_path, "kind")));
      VOUCH_ASSIGN_OR_RETURN(host.hypervisor, HypervisorFromName(name, Join(hv_path, "kind")));
    }
    if (const Json* version = FindMember(*hypervisor, "version")) {
      VOUCH_ASSIGN_OR_RETURN(host.hypervisor_version,
                             GetString(*version, Join(hv_path, "version")));
    }
  }
  if (const Json* launch = FindMember(value, "measured_launch")) {
    VOUCH_ASSIGN_OR_RETURN(std::string name, GetString(*launch, Join(path, "measured_launch")));
    VOUCH_ASSIGN_OR_RETURN(host.measured_launch,
                           MeasuredLaunchFromName(name, Join(path, "measured_launch")));
  }
  if (const Json* labels = FindMember(value, "labels")) {
    const std::string labels_path = Join(path, "labels");
    VOUCH_RETURN_IF_ERROR(ExpectObject(*labels, labels_path));
    if (labels->size() > kMaxLabels) {
      return FieldError(labels_path, "more than " + std::to_string(kMaxLabels) + " labels");
    }
    for (const auto& [name, label] : labels->items()) {
      VOUCH_ASSIGN_OR_RETURN(host.labels[name], GetString(label, Join(labels_path, name)));
    }
  }
  VOUCH_RETURN_IF_ERROR(CheckHostFacts(host, path));
  return host;
}

}  // namespace vouch::protocol::internal
