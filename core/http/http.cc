#include "core/http/http.h"

#include <nlohmann/json.hpp>

namespace vouch::http {

std::string_view Request::Header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  if (it == headers.end()) {
    return {};
  }
  return it->second;
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kFailedPrecondition: return 409;
    case Code::kUnavailable: return 503;
    case Code::kDataLoss:
    case Code::kInternal: return 500;
  }
  return 500;
}

std::string_view ErrorCodeName(const Status& status) { return CodeName(status.code()); }

Response ErrorResponse(int http_status, std::string_view code, std::string_view message,
                       std::string_view field) {
  nlohmann::json error = nlohmann::json::object();
  error["code"] = std::string(code);
  error["message"] = std::string(message);
  if (!field.empty()) {
    error["field"] = std::string(field);
  }
  nlohmann::json doc = nlohmann::json::object();
  doc["error"] = std::move(error);
  Response response;
  response.status = http_status;
  response.headers["content-type"] = "application/json";
  // Messages may carry bytes from untrusted input (names, paths) that are not
  // valid UTF-8; `replace` turns them into U+FFFD instead of throwing.
  response.body = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

std::string DescribeErrorResponse(const Response& response) {
  std::string text = std::to_string(response.status);
  nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_object()) {
    const auto& e = j["error"];
    if (e.contains("code") && e["code"].is_string()) text += " " + e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string()) {
      text += ": " + e["message"].get<std::string>().substr(0, 512);
    }
  }
  return text;
}

Response ErrorResponse(const Status& status, std::string_view field) {
  if (status.ok()) {
    // A caller bug, but a server must not crash on it: answer 500 rather than
    // an error document that claims success.
    return ErrorResponse(500, CodeName(Code::kInternal), "error response built from an OK status",
                         field);
  }
  return ErrorResponse(HttpStatusFor(status), ErrorCodeName(status), status.message(), field);
}

Response MethodNotAllowed(std::string_view allow) {
  Response r =
      ErrorResponse(405, "method_not_allowed", "method not allowed; use " + std::string(allow));
  r.headers["allow"] = std::string(allow);
  return r;
}

Response JsonResponse(std::string body, int status) {
  Response response;
  response.status = status;
  response.headers["content-type"] = "application/json";
  response.body = std::move(body);
  return response;
}

}  // namespace vouch::http
