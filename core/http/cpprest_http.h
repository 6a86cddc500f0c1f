// HttpServer and HttpClient on cpprestsdk (Casablanca). The only file pair in
// Vouch that includes cpprestsdk headers (in the .cc); every exception it
// throws is caught here and becomes a Status or a 500 response.
#ifndef VOUCH_CORE_HTTP_CPPREST_HTTP_H_
#define VOUCH_CORE_HTTP_CPPREST_HTTP_H_

#include <memory>

#include "core/base/logger.h"
#include "core/base/status.h"
#include "core/http/http.h"

namespace vouch::http {

// Starts listening on options.address:options.port and serves `handler`.
// Returns when the socket is bound and accepting (so callers can announce
// readiness). InvalidArgument for unusable TLS files (naming the file),
// Unavailable when the address cannot be bound. `logger` must outlive the
// server; it receives one line per refused request (never bodies).
Result<std::unique_ptr<HttpServer>> StartCpprestServer(const ServerOptions& options,
                                                       Handler handler, Logger& logger);

Result<std::unique_ptr<HttpClient>> MakeCpprestClient(const ClientOptions& options);

}  // namespace vouch::http

#endif  // VOUCH_CORE_HTTP_CPPREST_HTTP_H_
