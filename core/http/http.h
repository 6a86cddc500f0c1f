// HTTP without an HTTP library: the request/response structs that handlers
// see, the server and client interfaces, and one Status -> HTTP mapping.
//
// Handlers are plain functions (STYLE.md section 2): `Response
// Handle(const Request&)`. The only implementation of HttpServer and
// HttpClient on cpprestsdk lives in core/http/cpprest_http.{h,cc}; no other
// file includes cpprestsdk, so the library can be swapped (it is in
// maintenance mode). Used by the agent (pull API, push client) and the
// verifier (REST API, agent polling, webhooks).
#ifndef VOUCH_CORE_HTTP_HTTP_H_
#define VOUCH_CORE_HTTP_HTTP_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/base/status.h"

namespace vouch::http {

// Header names are stored lower case; values as sent.
using Headers = std::map<std::string, std::string>;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path without the query, e.g. "/v1/evidence"
  std::string query;   // raw query string without '?', may be empty
  Headers headers;
  std::string body;
  // Filled by the server: the peer address ("127.0.0.1"), and the subject of
  // the verified TLS client certificate when client certificates are
  // required (empty otherwise). The cpprestsdk server cannot see the
  // certificate and always leaves it empty (see cpprest_http.h).
  std::string remote_address;
  std::string client_cert_subject;

  // The header's value, or empty. `name` must be lower case.
  std::string_view Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;  // "content-type" defaults to application/json
  std::string body;
};

// The JSON error document every Vouch API returns:
//   {"error": {"code": "<canonical code>", "message": "...", "field": "..."}}
// ("field" only when non-empty), with the status from HttpStatusFor().
Response ErrorResponse(const Status& status, std::string_view field = {});
// An error response with an explicit HTTP status and code string, for
// transport-level refusals (413 body too large, 429 rate limited, 404, 405).
Response ErrorResponse(int http_status, std::string_view code, std::string_view message,
                       std::string_view field = {});
// An error answer as one line for logs and messages, from the other side's
// error document: "403 permission_denied: token lacks the role" (the message
// cut at 512 bytes); just the status when the body is not such a document.
// Never includes anything of the request.
std::string DescribeErrorResponse(const Response& response);
// 405 method_not_allowed with an Allow header naming `allow` ("POST").
Response MethodNotAllowed(std::string_view allow);
// A 200 (or `status`) response with a JSON body.
Response JsonResponse(std::string body, int status = 200);

// The one Status -> HTTP mapping: InvalidArgument 400, Unauthenticated 401,
// PermissionDenied 403, NotFound 404, FailedPrecondition 409, Unavailable
// 503, DataLoss and Internal 500. (OK is 200.)
int HttpStatusFor(const Status& status);
// "invalid_argument", "not_found", ... for the "code" member.
std::string_view ErrorCodeName(const Status& status);

using Handler = std::function<Response(const Request&)>;

struct TlsServerOptions {
  std::string certificate_chain_file;  // PEM, server certificate first
  std::string private_key_file;        // PEM
  // When non-empty, clients must present a certificate that chains to one of
  // the CA certificates in this PEM file; otherwise the handshake fails.
  std::string client_ca_file;
};

struct ServerOptions {
  std::string address = "127.0.0.1";    // IPv4/IPv6 literal or host name
  uint16_t port = 0;                    // 0: pick a free port (see BoundPort)
  std::optional<TlsServerOptions> tls;  // nullopt: plain HTTP
  // Bodies longer than this are refused with 413 before the handler runs
  // (by Content-Length when given, else while reading).
  size_t max_body_bytes = 64 * 1024;
  // Requests still unanswered after this are answered 503.
  std::chrono::milliseconds handler_timeout{30000};
};

// A running HTTP(S) server. Stop() (or destruction) stops accepting, waits
// for handlers in flight, and frees the port. Handlers may run on several
// threads at once: they must be thread-safe.
class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // The port actually bound (useful with port 0).
  virtual uint16_t BoundPort() const = 0;
  virtual void Stop() = 0;
};

struct TlsClientOptions {
  std::string ca_file;  // PEM CAs to verify the server with; empty: system CAs
  // Client certificate and key (PEM) for servers that require them.
  std::string certificate_file;
  std::string private_key_file;
  bool verify_server = true;  // false only for tests with self-signed certs
};

struct ClientOptions {
  std::chrono::milliseconds timeout{10000};
  size_t max_response_bytes = 32 * 1024 * 1024;
  TlsClientOptions tls;
};

// Sends one request and waits for the answer. Thread-safe.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // `url` is absolute ("https://verifier:8443/v1/hosts/h1/challenges");
  // request.path/query are ignored. Unavailable when the server cannot be
  // reached or times out (retryable), InvalidArgument for a bad URL,
  // PermissionDenied for a TLS verification failure. Any HTTP status is a
  // successful Result: the caller reads response.status.
  virtual Result<Response> Send(std::string_view url, const Request& request) = 0;
};

}  // namespace vouch::http

#endif  // VOUCH_CORE_HTTP_HTTP_H_
