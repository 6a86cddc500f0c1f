// HttpServer and HttpClient on cpprestsdk (Casablanca). The only file pair in
// Vouch that includes cpprestsdk headers (in the .cc); every exception it
// throws is caught here and becomes a Status or a 500 response.
//
// What cpprestsdk 2.10 lets us do, and what it does not (read before relying
// on the server for hostile networks):
//
// * Port 0: cpprestsdk cannot report the port it bound, so StartCpprestServer
//   asks the kernel for a free port (bind to address:0, read it, close) and
//   opens the listener on it, retrying up to 5 times when another process
//   took the port in between. BoundPort() returns the port in use.
// * Request bodies: Content-Length above max_body_bytes is answered 413
//   before the handler runs. A body without Content-Length (chunked) is read
//   in 16 KiB pieces and refused with 413 as soon as it passes the limit. In
//   both cases the rest of the body is read and dropped (so a client still
//   sending sees the 413, not a reset) until the body ends or handler_timeout
//   passes, and the connection is closed after the answer. Our own buffers
//   per request hold at most max_body_bytes + 16 KiB; cpprestsdk's hand-over
//   buffer is drained as it fills (peak RSS grew ~20 MiB while a 128-512 MiB
//   refused body was dropped, see the loopback test). cpprestsdk itself,
//   before our code sees the request, reads the request line and headers
//   without a limit and buffers each chunk of a chunked body whole, trusting
//   the chunk-size line (up to 2 GiB per chunk, unbounded with an overflowing
//   size): a hostile client can make the process hold that much per
//   connection. Put a proxy that bounds request size in front of any port
//   reachable by untrusted clients, or replace cpprestsdk.
// * handler_timeout counts from the end of the request headers. A request
//   unanswered by then gets 503 (the handler keeps running; its result is
//   dropped). A body still arriving then is abandoned; cpprestsdk sends the
//   503 only when it receives the next piece of the body (4 KiB or the rest),
//   so a peer that goes silent keeps its connection until it closes it or the
//   server stops. cpprestsdk has no idle timeout for server connections.
// * Handlers run on cpprestsdk's shared thread pool (40 threads), which also
//   does the socket I/O: handlers that block for long starve the server.
// * Request::client_cert_subject stays EMPTY: cpprestsdk does not expose the
//   connection's TLS session to request handlers. With client_ca_file set,
//   every request did come over a connection whose client certificate chains
//   to that CA; which certificate is not known to the handler.
// * TLS: server and client require TLS >= 1.2. PEM files are read once at
//   start (InvalidArgument naming the file when unreadable or unusable);
//   later changes to them need a restart.
// * cpprestsdk keeps one process-wide server: a stopped server's port is
//   released only when no other cpprestsdk server in the process is open
//   (until then cpprestsdk answers 404 on it). With a single server per
//   process, Stop() frees the port. IPv6 literals cannot be listened on.
#ifndef VOUCH_CORE_HTTP_CPPREST_HTTP_H_
#define VOUCH_CORE_HTTP_CPPREST_HTTP_H_

#include <cstddef>
#include <memory>

#include "core/base/logger.h"
#include "core/base/status.h"
#include "core/http/http.h"

namespace vouch::http {

// Starts listening on options.address:options.port and serves `handler`.
// Returns when the socket is bound and accepting (so callers can announce
// readiness). InvalidArgument for unusable TLS files (naming the file), an
// IPv6 literal address or a non-positive handler_timeout; Unavailable when the
// address cannot be bound. `logger` must outlive the server; it receives one
// warning line per refused request (413, 400, 503 on timeout, 500 when the
// handler throws: method, path, peer and reason, never bodies).
// Stop() closes the listener and its connections, then waits for handlers
// still running (also those already answered 503): a handler that never
// returns blocks Stop() forever, and Stop() must not be called from a handler.
Result<std::unique_ptr<HttpServer>> StartCpprestServer(const ServerOptions& options,
                                                       Handler handler, Logger& logger);

// A client that opens one connection per Send (no pooled state between
// callers). options.timeout bounds the whole exchange (connect, TLS, sending,
// headers and body). With tls.ca_file set only those CAs are trusted (the
// system store is not used); the server name is checked against the URL host.
// Redirects are not followed. InvalidArgument for unusable TLS files (naming
// the file) or a certificate without its key. Send errors: InvalidArgument
// for a bad URL, method or header, or a response body above
// max_response_bytes; PermissionDenied when the server certificate fails
// verification or the server rejects our client certificate; Unavailable for
// refused connections, time-outs and other transport or TLS failures (the
// message names method, host, port and path; never the query or body).
Result<std::unique_ptr<HttpClient>> MakeCpprestClient(const ClientOptions& options);

// Sizes cpprestsdk's process-wide thread pool (socket I/O and handlers; 40
// threads by default). Only effective when called before any server or
// client is made; false afterwards. A host agent serving one verifier needs
// few threads, and each costs memory (stack, malloc arena).
bool SetCpprestThreadCount(size_t threads);

}  // namespace vouch::http

#endif  // VOUCH_CORE_HTTP_CPPREST_HTTP_H_
