#include "verifier/api/api_internal.h"

#include "core/base/bytes.h"
#include "core/base/time_format.h"

namespace vouch::verifier::api_internal {

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Unescape(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 &&
               HexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> QueryValues(std::string_view query, std::string_view key) {
  std::vector<std::string> values;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == key) {
      values.push_back(Unescape(pair.substr(eq + 1)));
    }
    start = end + 1;
  }
  return values;
}

std::string QueryValue(std::string_view query, std::string_view key) {
  std::vector<std::string> values = QueryValues(query, key);
  return values.empty() ? "" : values.front();
}

Result<int64_t> ParseIntParam(const std::string& text, std::string_view name, int64_t min,
                              int64_t max, int64_t fallback) {
  if (text.empty()) return fallback;
  const std::string range =
      std::string(name) + ": expected " + std::to_string(min) + "-" + std::to_string(max);
  if (text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
    return Status(Code::kInvalidArgument, range);
  }
  int64_t n = std::stoll(text);
  if (n < min || n > max) return Status(Code::kInvalidArgument, range);
  return n;
}

Json HostJson(const HostRecord& h) {
  Json j;
  j["host_id"] = h.host_id;
  j["hostname"] = h.hostname;
  j["ak_name"] = HexEncode(h.ak_name);
  j["enrolled_at"] = FormatRfc3339Utc(h.enrolled_at);
  j["verdict"] = h.verdict;
  j["last_report_at"] =
      h.last_report_at ? Json(FormatRfc3339Utc(*h.last_report_at)) : Json(nullptr);
  j["agent_url"] = h.agent_url.empty() ? Json(nullptr) : Json(h.agent_url);
  if (h.identity_change) {
    j["identity_change"] = {{"reason", h.identity_change->reason},
                            {"detected_at", FormatRfc3339Utc(h.identity_change->detected_at)},
                            {"enrollment_id", h.identity_change->enrollment_id}};
  } else {
    j["identity_change"] = nullptr;
  }
  Json facts = Json::parse(h.host_facts_json, nullptr, false);
  j["facts"] = facts.is_discarded() ? Json::object() : facts;
  return j;
}

Result<Json> ParseObjectBody(std::string_view body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status(Code::kInvalidArgument, "body: expected a JSON object");
  }
  return j;
}

}  // namespace vouch::verifier::api_internal
