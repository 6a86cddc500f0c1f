// core/http/http.cc: the Status -> HTTP mapping, the error document and the
// small Request/Response helpers (no server, no network).
#include "core/http/http.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace vouch::http {
namespace {

nlohmann::json ParseBody(const Response& response) {
  nlohmann::json doc = nlohmann::json::parse(response.body, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << response.body;
  return doc;
}

TEST(HttpStatusForTest, MapsEveryCode) {
  EXPECT_EQ(HttpStatusFor(Status::Ok()), 200);
  EXPECT_EQ(HttpStatusFor(InvalidArgumentError("x")), 400);
  EXPECT_EQ(HttpStatusFor(UnauthenticatedError("x")), 401);
  EXPECT_EQ(HttpStatusFor(PermissionDeniedError("x")), 403);
  EXPECT_EQ(HttpStatusFor(NotFoundError("x")), 404);
  EXPECT_EQ(HttpStatusFor(FailedPreconditionError("x")), 409);
  EXPECT_EQ(HttpStatusFor(UnavailableError("x")), 503);
  EXPECT_EQ(HttpStatusFor(DataLossError("x")), 500);
  EXPECT_EQ(HttpStatusFor(InternalError("x")), 500);
}

TEST(ErrorCodeNameTest, NamesEveryCode) {
  EXPECT_EQ(ErrorCodeName(InvalidArgumentError("x")), "invalid_argument");
  EXPECT_EQ(ErrorCodeName(NotFoundError("x")), "not_found");
  EXPECT_EQ(ErrorCodeName(FailedPreconditionError("x")), "failed_precondition");
  EXPECT_EQ(ErrorCodeName(PermissionDeniedError("x")), "permission_denied");
  EXPECT_EQ(ErrorCodeName(UnauthenticatedError("x")), "unauthenticated");
  EXPECT_EQ(ErrorCodeName(UnavailableError("x")), "unavailable");
  EXPECT_EQ(ErrorCodeName(DataLossError("x")), "data_loss");
  EXPECT_EQ(ErrorCodeName(InternalError("x")), "internal");
}

TEST(ErrorResponseTest, StatusBecomesErrorDocumentWithoutEmptyField) {
  Response r = ErrorResponse(NotFoundError("host h1 is not enrolled"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  nlohmann::json doc = ParseBody(r);
  EXPECT_EQ(doc, nlohmann::json::parse(
                     R"({"error": {"code": "not_found", "message": "host h1 is not enrolled"}})"));
}

TEST(ErrorResponseTest, CarriesFieldWhenGiven) {
  Response r = ErrorResponse(InvalidArgumentError("bad hex"), "quote.signature");
  EXPECT_EQ(r.status, 400);
  nlohmann::json doc = ParseBody(r);
  EXPECT_EQ(doc["error"]["code"], "invalid_argument");
  EXPECT_EQ(doc["error"]["message"], "bad hex");
  EXPECT_EQ(doc["error"]["field"], "quote.signature");
}

TEST(ErrorResponseTest, ExplicitStatusAndCode) {
  Response r = ErrorResponse(413, "payload_too_large", "body larger than 65536 bytes");
  EXPECT_EQ(r.status, 413);
  nlohmann::json doc = ParseBody(r);
  EXPECT_EQ(doc["error"]["code"], "payload_too_large");
  EXPECT_EQ(doc["error"]["message"], "body larger than 65536 bytes");
  EXPECT_FALSE(doc["error"].contains("field"));
}

TEST(ErrorResponseTest, InvalidUtf8InMessageIsReplacedNotThrown) {
  Response r = ErrorResponse(InvalidArgumentError(std::string("name \xff\xfe end")), "f\xc3");
  nlohmann::json doc = ParseBody(r);
  EXPECT_EQ(doc["error"]["message"], "name \xEF\xBF\xBD\xEF\xBF\xBD end");
  EXPECT_EQ(doc["error"]["field"], "f\xEF\xBF\xBD");
}

TEST(ErrorResponseTest, OkStatusIsAnInternalErrorNotASuccess) {
  Response r = ErrorResponse(Status::Ok());
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(ParseBody(r)["error"]["code"], "internal");
}

TEST(JsonResponseTest, SetsStatusTypeAndBody) {
  Response r = JsonResponse(R"({"ok":true})", 201);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.body, R"({"ok":true})");
  EXPECT_EQ(JsonResponse("{}").status, 200);
}

TEST(RequestTest, HeaderReturnsValueOrEmpty) {
  Request request;
  request.headers["content-type"] = "application/json";
  EXPECT_EQ(request.Header("content-type"), "application/json");
  EXPECT_EQ(request.Header("x-missing"), "");
}

}  // namespace
}  // namespace vouch::http
