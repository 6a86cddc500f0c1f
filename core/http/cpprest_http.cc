#include "core/http/cpprest_http.h"

#include <cpprest/http_client.h>
#include <cpprest/http_listener.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pplx/threadpool.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ssl.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace vouch::http {
namespace {

using SteadyClock = std::chrono::steady_clock;
using web::http::http_request;
using web::http::http_response;
using web::http::experimental::listener::http_listener;
using web::http::experimental::listener::http_listener_config;

// Bytes requested from a body stream per read. cpprestsdk's producer/consumer
// buffer completes a read once this many bytes (or the end) are there, so it
// is also the most body data we hold beyond the accepted limit.
constexpr size_t kReadChunk = size_t{16} * 1024;
// TLS files are small; anything bigger is not a certificate or key.
constexpr std::streamoff kMaxTlsFileBytes = std::streamoff{1024} * 1024;
// How often StartCpprestServer retries a picked port that another process
// took between our probe and cpprestsdk's bind.
constexpr int kPortAttempts = 5;
// Paths and other request text in log lines are cut to this length.
constexpr size_t kMaxLoggedChars = 200;

std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

std::string ForLog(std::string_view s) {
  std::string out(s.substr(0, kMaxLoggedChars));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = '?';
    }
  }
  if (s.size() > kMaxLoggedChars) {
    out += "...";
  }
  return out;
}

// Header names and values we put on the wire: CR, LF or NUL would let a value
// start a new header (response splitting).
bool IsSafeHeaderText(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// The OpenSSL error queue as "reason; reason", for messages.
std::string OpenSslErrors() {
  std::string out;
  while (unsigned long err = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(err);
    if (!out.empty()) {
      out += "; ";
    }
    out += reason != nullptr ? reason : "error " + std::to_string(err);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// Reads a PEM file named in the TLS options. `what` names the option in
// errors ("certificate chain file"): cpprestsdk's own errors do not say which
// file is wrong.
Result<std::string> ReadTlsFile(const std::string& path, std::string_view what) {
  if (path.empty()) {
    return InvalidArgumentError(std::string(what) + " is not set");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return InvalidArgumentError(std::string(what) + " '" + path +
                                "' cannot be read: " + std::strerror(errno));
  }
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0 || size > kMaxTlsFileBytes) {
    return InvalidArgumentError(std::string(what) + " '" + path +
                                "' is not a regular file of at most " +
                                std::to_string(kMaxTlsFileBytes) + " bytes");
  }
  in.seekg(0, std::ios::beg);
  std::string data(static_cast<size_t>(size), '\0');
  if (!in.read(data.data(), size)) {
    return InvalidArgumentError(std::string(what) + " '" + path + "' cannot be read");
  }
  if (data.empty()) {
    return InvalidArgumentError(std::string(what) + " '" + path + "' is empty");
  }
  return data;
}

// PEM material loaded once at start-up. cpprestsdk builds a new SSL context
// for every connection; configuring it from memory avoids file I/O per
// handshake and makes later changes to the files take effect only on restart.
struct TlsMaterial {
  std::string chain_file, chain;
  std::string key_file, key;
  std::string ca_file, ca;  // empty ca: none configured
};

// Applies `material` to a fresh context. Returns the first failure naming the
// file; never throws.
Status ApplyTls(const TlsMaterial& material, bool server, boost::asio::ssl::context& ctx) {
  namespace ssl = boost::asio::ssl;
  boost::system::error_code ec;
  ERR_clear_error();
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                  ec);
  if (ec || SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1) {
    return InternalError("TLS context: cannot require TLS 1.2: " + OpenSslErrors());
  }
  if (!material.ca.empty()) {
    if (!server) {
      // A configured CA file replaces the system store: the server must chain
      // to one of these CAs, not to any public CA.
      X509_STORE* store = X509_STORE_new();
      if (store == nullptr) {
        return InternalError("TLS context: X509_STORE_new failed");
      }
      SSL_CTX_set_cert_store(ctx.native_handle(), store);
    }
    ctx.add_certificate_authority(boost::asio::buffer(material.ca), ec);
    if (ec) {
      return InvalidArgumentError("CA file '" + material.ca_file +
                                  "' holds no usable PEM certificate: " + ec.message());
    }
    if (server) {
      ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
      if (ec) {
        return InternalError("TLS context: cannot require client certificates: " + ec.message());
      }
    }
  }
  if (!material.chain.empty()) {
    ctx.use_certificate_chain(boost::asio::buffer(material.chain), ec);
    if (ec) {
      return InvalidArgumentError("certificate chain file '" + material.chain_file +
                                  "' holds no usable PEM certificate: " + ec.message());
    }
    ctx.use_private_key(boost::asio::buffer(material.key), ssl::context::pem, ec);
    if (ec && ec.message().find("mismatch") != std::string::npos) {
      return InvalidArgumentError("private key file '" + material.key_file +
                                  "' does not match the certificate in '" + material.chain_file +
                                  "' (" + ec.message() + ")");
    }
    if (ec) {
      return InvalidArgumentError("private key file '" + material.key_file +
                                  "' holds no usable PEM key: " + ec.message());
    }
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
      return InvalidArgumentError("private key file '" + material.key_file +
                                  "' does not match the certificate in '" + material.chain_file +
                                  "': " + OpenSslErrors());
    }
  }
  return Status::Ok();
}

// Builds one context from `material` to surface bad files at start-up
// instead of at the first handshake.
Status ValidateTls(const TlsMaterial& material, bool server) {
  try {
    boost::asio::ssl::context ctx(boost::asio::ssl::context::tls);
    return ApplyTls(material, server, ctx);
  } catch (const std::exception& e) {
    return InternalError(std::string("TLS context: ") + e.what());
  }
}

// Asks the kernel for a free port on `address` by binding port 0. The port is
// released before cpprestsdk binds it (it cannot report the port it bound),
// so another process may take it in between; the caller retries.
Result<uint16_t> PickFreePort(const std::string& address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(address.c_str(), "0", &hints, &found);
  if (rc != 0 || found == nullptr) {
    return UnavailableError("cannot resolve listen address '" + address + "': " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, &freeaddrinfo);
  int fd = socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  if (fd < 0) {
    return UnavailableError(std::string("socket: ") + std::strerror(errno));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  if (bind(fd, found->ai_addr, found->ai_addrlen) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
    int err = errno;
    close(fd);
    return UnavailableError("cannot bind '" + address + "': " + std::strerror(err));
  }
  close(fd);
  uint16_t port = 0;
  if (bound.ss_family == AF_INET) {
    port = ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
  } else if (bound.ss_family == AF_INET6) {
    port = ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
  }
  if (port == 0) {
    return UnavailableError("cannot learn the port bound on '" + address + "'");
  }
  return port;
}

// Reads a cpprestsdk task's exception so pplx does not terminate the process
// for an unobserved one when the task is destroyed.
template <typename T>
void Observe(const pplx::task<T>& task) {
  task.then([](const pplx::task<T>& t) {
    try {
      t.get();
    } catch (...) {  // NOLINT(bugprone-empty-catch): observed on purpose
    }
  });
}

// ---------------------------------------------------------------------------
// Server

class Exchange;

// State shared by the server object, the cpprestsdk callback and every
// request in flight. It outlives the server object while requests hold it.
struct ServerCore {
  ServerCore(Handler h, Logger& l, const ServerOptions& o)
      : handler(std::move(h)),
        logger(l),
        max_body_bytes(o.max_body_bytes),
        handler_timeout(o.handler_timeout) {}

  Handler handler;
  Logger& logger;
  const size_t max_body_bytes;
  const std::chrono::milliseconds handler_timeout;

  struct Live {
    std::weak_ptr<Exchange> exchange;
    std::optional<std::multimap<SteadyClock::time_point, uint64_t>::iterator> deadline;
  };
  std::mutex mu;
  std::condition_variable deadline_cv;  // a new earliest deadline, or stopping
  std::condition_variable idle_cv;      // in_flight dropped
  std::unordered_map<uint64_t, Live> live;
  std::multimap<SteadyClock::time_point, uint64_t> deadlines;
  uint64_t next_id = 1;
  size_t in_flight = 0;
  bool stopping = false;

  // Answers requests whose deadline passed (see Exchange::OnDeadline).
  void WatchDeadlines();
};

// One request: reads the body with the limit, runs the handler, replies once.
// Owned by the pplx continuations that work on it; the watchdog and Stop hold
// weak references.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::shared_ptr<ServerCore> core, const http_request& request)
      : core_(std::move(core)), request_(request) {
    std::lock_guard<std::mutex> lock(core_->mu);
    ++core_->in_flight;
    id_ = core_->next_id++;
  }

  ~Exchange() {
    std::lock_guard<std::mutex> lock(core_->mu);
    auto it = core_->live.find(id_);
    if (it != core_->live.end()) {
      if (it->second.deadline) {
        core_->deadlines.erase(*it->second.deadline);
      }
      core_->live.erase(it);
    }
    --core_->in_flight;
    core_->idle_cv.notify_all();
  }

  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // Called on cpprestsdk's I/O thread right after the request headers were
  // parsed (the body is still arriving): must not block.
  void Start() {
    // Converted before the watchdog can see this exchange: OnDeadline logs
    // the method and path from another thread.
    std::string malformed;
    try {
      converted_.method = request_.method();
      const web::uri& uri = request_.request_uri();
      converted_.path = web::uri::decode(uri.path());
      converted_.query = uri.query();
      for (const auto& [name, value] : request_.headers()) {
        converted_.headers[ToLower(name)] = value;
      }
      converted_.remote_address = request_.remote_address();
    } catch (const std::exception& e) {
      malformed = std::string("malformed request: ") + e.what();
    }
    {
      std::lock_guard<std::mutex> lock(core_->mu);
      if (core_->stopping) {
        Reply(ErrorResponse(UnavailableError("server is stopping")), /*close_connection=*/true);
        return;
      }
      auto deadline = SteadyClock::now() + core_->handler_timeout;
      auto it = core_->deadlines.emplace(deadline, id_);
      core_->live[id_] = ServerCore::Live{weak_from_this(), it};
      if (it == core_->deadlines.begin()) {
        core_->deadline_cv.notify_all();
      }
    }
    if (!malformed.empty()) {
      Refuse(400, "invalid_argument", malformed);
      ReadMore();
      return;
    }

    // cpprestsdk reads a chunked body when Transfer-Encoding names chunked
    // and ignores Content-Length then: a request with both is ambiguous
    // (request smuggling through proxies), so it is refused.
    std::string_view length = converted_.Header("content-length");
    bool chunked = !converted_.Header("transfer-encoding").empty();
    if (chunked && !length.empty()) {
      Refuse(400, "invalid_argument", "both Content-Length and Transfer-Encoding are set");
    } else if (!length.empty()) {
      if (length.size() > 19 || length.find_first_not_of("0123456789") != std::string_view::npos) {
        Refuse(400, "invalid_argument", "malformed Content-Length");
      } else if (std::stoull(std::string(length)) > core_->max_body_bytes) {
        Refuse(413, "payload_too_large",
               "request body larger than " + std::to_string(core_->max_body_bytes) + " bytes");
      } else {
        body_.reserve(static_cast<size_t>(std::stoull(std::string(length))));
      }
    }
    ReadMore();
  }

  // The deadline passed: answer 503 when nothing was sent yet, and stop
  // waiting for a body that is still arriving. Runs on the watchdog thread.
  void OnDeadline() {
    bool body_open = !body_finished_.load();
    if (!replied_.load()) {
      std::string message = body_open ? "request body not received within " : "no answer within ";
      message += std::to_string(core_->handler_timeout.count()) + " ms";
      Log(503, message);
      Reply(ErrorResponse(UnavailableError(message)), /*close_connection=*/body_open);
    }
    if (body_open) {
      AbortBody("deadline passed");
    }
  }

  // Fails the body stream: our pending read completes with an error, and
  // cpprestsdk's next write of received data fails, which completes the
  // request and lets it send the stored response. (A peer that sends nothing
  // more keeps its connection until it closes it or the server stops.)
  void AbortBody(const char* why) {
    try {
      auto buf = request_.body().streambuf();
      if (buf) {
        Observe(buf.close(std::ios_base::out, std::make_exception_ptr(std::runtime_error(
                                                  std::string("aborted: ") + why))));
      }
    } catch (const std::exception& e) {
      core_->logger.Warning(std::string("http: cannot abort request body: ") + e.what());
    }
  }

 private:
  void ReadMore() {
    auto buf = request_.body().streambuf();
    if (!buf) {
      FinishBody();
      return;
    }
    if (scratch_.empty()) {
      scratch_.resize(kReadChunk);
    }
    auto self = shared_from_this();
    buf.getn(scratch_.data(), scratch_.size()).then([self](const pplx::task<size_t>& t) {
      self->OnRead(t);
    });
  }

  void OnRead(const pplx::task<size_t>& t) {
    size_t n = 0;
    try {
      n = t.get();
    } catch (const std::exception& e) {
      // The peer went away mid-body, or OnDeadline/Stop aborted the body.
      body_finished_ = true;
      if (!replied_.load()) {
        Log(400, std::string("request body could not be read: ") + e.what());
        Reply(ErrorResponse(400, "invalid_argument", "request body could not be read"), true);
      }
      return;
    }
    if (n == 0) {
      FinishBody();
      return;
    }
    received_ += n;
    if (!discarding_) {
      if (received_ > core_->max_body_bytes) {
        std::string().swap(body_);
        Refuse(413, "payload_too_large",
               "request body larger than " + std::to_string(core_->max_body_bytes) + " bytes");
      } else {
        body_.append(reinterpret_cast<const char*>(scratch_.data()), n);
      }
    }
    // A refused body is still read to its end (and dropped) so the client,
    // which is still sending, reads our answer instead of a connection reset.
    // Memory stays at one kReadChunk; time is bounded by the deadline.
    ReadMore();
  }

  void FinishBody() {
    body_finished_ = true;
    if (discarding_ || replied_.load()) {
      return;
    }
    converted_.body = std::move(body_);
    Response response;
    try {
      response = core_->handler(converted_);
    } catch (const std::exception& e) {
      Log(500, std::string("handler threw: ") + e.what());
      response = ErrorResponse(InternalError("internal error"));
    } catch (...) {
      Log(500, "handler threw a non-standard exception");
      response = ErrorResponse(InternalError("internal error"));
    }
    Reply(response, false);
  }

  // Answers with an error, drops the rest of the body, and closes the
  // connection after the answer (the body may not have been read to its end).
  void Refuse(int status, std::string_view code, const std::string& message) {
    discarding_ = true;
    Log(status, message);
    Reply(ErrorResponse(status, code, message), /*close_connection=*/true);
  }

  void Log(int status, const std::string& message) {
    core_->logger.Warning("http: " + std::to_string(status) + " " + ForLog(converted_.method) +
                          " " + ForLog(converted_.path) + " from " +
                          ForLog(converted_.remote_address) + ": " + ForLog(message));
  }

  void Reply(const Response& response, bool close_connection) {
    if (replied_.exchange(true)) {
      return;
    }
    try {
      Response checked = response;
      bool valid = checked.status >= 100 && checked.status <= 599;
      for (const auto& [name, value] : checked.headers) {
        valid = valid && !name.empty() && IsSafeHeaderText(name) && IsSafeHeaderText(value);
      }
      if (!valid) {
        Log(500, "handler returned an invalid status or header");
        checked = ErrorResponse(InternalError("internal error"));
      }
      http_response out(static_cast<web::http::status_code>(checked.status));
      out.headers()[web::http::header_names::content_type] = "application/json";
      for (const auto& [name, value] : checked.headers) {
        // cpprestsdk frames the body itself.
        if (name == "content-length" || name == "transfer-encoding") {
          continue;
        }
        out.headers()[name] = value;
      }
      // A byte vector, not a std::string: cpprestsdk reads strings through a
      // char/unsigned char stream cast that UBSan reports.
      out.set_body(std::vector<unsigned char>(checked.body.begin(), checked.body.end()));
      if (close_connection) {
        // Ends the connection after this answer: cpprestsdk would otherwise
        // parse unread body bytes as the next request.
        out.headers()[web::http::header_names::connection] = "close";
      }
      Observe(request_.reply(out));
    } catch (const std::exception& e) {
      // The connection was closed under us (cpprestsdk then answers 500 itself).
      core_->logger.Warning(std::string("http: cannot send response: ") + e.what());
    }
  }

  std::shared_ptr<ServerCore> core_;
  http_request request_;
  uint64_t id_ = 0;
  Request converted_;
  // Touched only by the read chain (one read at a time) and Start before it.
  std::string body_;
  size_t received_ = 0;
  bool discarding_ = false;
  std::vector<uint8_t> scratch_;
  std::atomic<bool> replied_{false};
  std::atomic<bool> body_finished_{false};
};

void ServerCore::WatchDeadlines() {
  std::unique_lock<std::mutex> lock(mu);
  while (!stopping) {
    if (deadlines.empty()) {
      deadline_cv.wait(lock);
    } else {
      // A copy: the node may be erased while we wait without the lock.
      const SteadyClock::time_point next = deadlines.begin()->first;
      deadline_cv.wait_until(lock, next);
    }
    std::vector<std::weak_ptr<Exchange>> due;
    auto now = SteadyClock::now();
    while (!deadlines.empty() && deadlines.begin()->first <= now) {
      auto it = live.find(deadlines.begin()->second);
      if (it != live.end()) {
        it->second.deadline.reset();
        due.push_back(it->second.exchange);
      }
      deadlines.erase(deadlines.begin());
    }
    // Exchanges may be destroyed here (their destructor takes `mu`).
    lock.unlock();
    for (const auto& weak : due) {
      if (auto exchange = weak.lock()) {
        exchange->OnDeadline();
      }
    }
    due.clear();
    lock.lock();
  }
}

// Closed listeners are kept until the process exits: cpprestsdk's per-port
// acceptor keeps a reference to the listener's TLS callback and outlives the
// listener while any other listener in the process is open.
void KeepListenerAlive(std::unique_ptr<http_listener> listener) {
  static std::mutex* mu = new std::mutex;
  static auto* kept = new std::vector<std::unique_ptr<http_listener>>;
  std::lock_guard<std::mutex> lock(*mu);
  kept->push_back(std::move(listener));
}

class CpprestServer final : public HttpServer {
 public:
  explicit CpprestServer(std::shared_ptr<ServerCore> core)
      : core_(std::move(core)), watchdog_([c = core_] { c->WatchDeadlines(); }) {}

  ~CpprestServer() override { Stop(); }

  CpprestServer(const CpprestServer&) = delete;
  CpprestServer& operator=(const CpprestServer&) = delete;

  // Opens a listener on `port`; false with `error` set when that fails.
  bool Open(const std::string& uri, const http_listener_config& config, std::string& error) {
    auto listener = std::make_unique<http_listener>(web::uri(uri), config);
    std::weak_ptr<ServerCore> weak = core_;
    listener->support([weak](const http_request& request) {
      auto core = weak.lock();
      try {
        if (core == nullptr) {
          Observe(request.reply(web::http::status_codes::ServiceUnavailable));
          return;
        }
        auto exchange = std::make_shared<Exchange>(core, request);
        exchange->Start();
      } catch (const std::exception& e) {
        // cpprestsdk answers 500 when its callback throws; say why once.
        if (core != nullptr) {
          core->logger.Error(std::string("http: request dispatch failed: ") + e.what());
        }
      }
    });
    try {
      listener->open().wait();
    } catch (const std::exception& e) {
      error = e.what();
      KeepListenerAlive(std::move(listener));
      return false;
    }
    listener_ = std::move(listener);
    return true;
  }

  void set_port(uint16_t port) { port_ = port; }
  uint16_t BoundPort() const override { return port_; }

  void Stop() override {
    std::lock_guard<std::mutex> stop_lock(stop_mu_);
    if (stopped_) {
      return;
    }
    stopped_ = true;
    if (listener_ != nullptr) {
      try {
        // Stops accepting and closes this port's connections (see the header
        // for the multi-server caveat).
        listener_->close().wait();
      } catch (const std::exception& e) {
        core_->logger.Warning(std::string("http: closing the listener failed: ") + e.what());
      }
      KeepListenerAlive(std::move(listener_));
    }
    std::vector<std::weak_ptr<Exchange>> live;
    {
      std::lock_guard<std::mutex> lock(core_->mu);
      core_->stopping = true;
      core_->deadline_cv.notify_all();
      for (const auto& [id, entry] : core_->live) {
        live.push_back(entry.exchange);
      }
    }
    for (const auto& weak : live) {
      if (auto exchange = weak.lock()) {
        exchange->AbortBody("server stopping");
      }
    }
    live.clear();
    if (watchdog_.joinable()) {
      watchdog_.join();
    }
    std::unique_lock<std::mutex> lock(core_->mu);
    core_->idle_cv.wait(lock, [this] { return core_->in_flight == 0; });
  }

 private:
  std::shared_ptr<ServerCore> core_;
  std::thread watchdog_;
  std::unique_ptr<http_listener> listener_;
  uint16_t port_ = 0;
  std::mutex stop_mu_;
  bool stopped_ = false;
};

// ---------------------------------------------------------------------------
// Client

// Waits for `task` until `deadline`; true when it finished.
template <typename T>
bool WaitUntil(const pplx::task<T>& task, SteadyClock::time_point deadline) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  task.then([done](const pplx::task<T>&) { done->set_value(); });
  return finished.wait_until(deadline) == std::future_status::ready;
}

// Maps a cpprestsdk client error. For TLS failures cpprestsdk passes
// OpenSSL's packed error code through as the exception's value, so the
// OpenSSL reason can be named and verification failures told apart.
Status MapClientError(const web::http::http_exception& e, const std::string& where) {
  int value = e.error_code().value();
  std::string what = e.what();
  if (value > 0 && ERR_GET_LIB(static_cast<unsigned long>(value)) == ERR_LIB_SSL) {
    int reason = ERR_GET_REASON(static_cast<unsigned long>(value));
    const char* text = ERR_reason_error_string(static_cast<unsigned long>(value));
    std::string detail = text != nullptr ? text : "TLS error " + std::to_string(value);
    switch (reason) {
      case SSL_R_CERTIFICATE_VERIFY_FAILED:
        return PermissionDeniedError(where + ": TLS: the server certificate failed verification (" +
                                     detail + ")");
      case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
      case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
      case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
      case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
      case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
      case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
        return PermissionDeniedError(where +
                                     ": TLS: the server refused our client certificate "
                                     "(missing or not trusted: " +
                                     detail + ")");
      default: return UnavailableError(where + ": TLS: " + detail + " (" + what + ")");
    }
  }
  if (e.error_code() == std::errc::timed_out) {
    return UnavailableError(where + ": timed out");
  }
  // cpprestsdk reports a refused connection as "host unreachable" and
  // resolver failures with unrelated errno texts; say what happened instead.
  if (what.find("Failed to connect") != std::string::npos) {
    return UnavailableError(where + ": cannot connect (refused or unreachable)");
  }
  if (what.find("resolv") != std::string::npos) {
    return UnavailableError(where + ": cannot resolve the host name");
  }
  return UnavailableError(where + ": " + what + " (" + e.error_code().message() + ")");
}

class CpprestClient final : public HttpClient {
 public:
  CpprestClient(const ClientOptions& options, std::shared_ptr<const TlsMaterial> tls)
      : options_(options), tls_(std::move(tls)) {}

  Result<Response> Send(std::string_view url, const Request& request) override {
    web::uri uri;
    std::string scheme;
    try {
      uri = web::uri(utility::conversions::to_string_t(std::string(url)));
      scheme = ToLower(uri.scheme());
    } catch (const std::exception& e) {
      return InvalidArgumentError("bad URL '" + ForLog(url) + "': " + e.what());
    }
    if ((scheme != "http" && scheme != "https") || uri.host().empty()) {
      return InvalidArgumentError("bad URL '" + ForLog(url) +
                                  "': need http:// or https:// and a host");
    }
    std::string method = request.method.empty() ? "GET" : request.method;
    if (!IsSafeHeaderText(method) || method.find(' ') != std::string::npos) {
      return InvalidArgumentError("bad HTTP method '" + ForLog(method) + "'");
    }
    for (const auto& [name, value] : request.headers) {
      if (name.empty() || !IsSafeHeaderText(name) || !IsSafeHeaderText(value)) {
        return InvalidArgumentError("bad request header '" + ForLog(name) + "'");
      }
    }
    // Names the request in errors: no user info, no query (may hold tokens),
    // never the body.
    std::string where =
        method + " " + scheme + "://" + uri.host() + ":" +
        std::to_string(uri.port() > 0 ? uri.port() : (scheme == "https" ? 443 : 80)) +
        ForLog(uri.path());

    web::http::client::http_client_config config;
    config.set_timeout(options_.timeout);
    config.set_validate_certificates(options_.tls.verify_server);
    config.set_max_redirects(0);
    if (scheme == "https") {
      std::shared_ptr<const TlsMaterial> tls = tls_;
      config.set_ssl_context_callback([tls](boost::asio::ssl::context& ctx) {
        // Failing here leaves the context without our CA store or client
        // certificate, so the handshake fails closed; throwing would escape
        // into cpprestsdk's I/O thread.
        (void)ApplyTls(*tls, /*server=*/false, ctx);
      });
    }

    auto deadline = SteadyClock::now() + options_.timeout;
    pplx::cancellation_token_source cancel;
    try {
      // A client per request: no pooled connection state shared between
      // callers, at the cost of one TCP (and TLS) handshake per request.
      web::http::client::http_client client(uri.authority(), config);
      http_request out(method);
      out.set_request_uri(uri.resource());
      for (const auto& [name, value] : request.headers) {
        std::string lower = ToLower(name);
        if (lower == "host" || lower == "content-length" || lower == "transfer-encoding") {
          continue;
        }
        out.headers().add(name, value);
      }
      if (!request.body.empty()) {
        // Keeps a caller's content-type; application/octet-stream otherwise.
        out.set_body(std::vector<unsigned char>(request.body.begin(), request.body.end()));
      }

      pplx::task<http_response> sent = client.request(out, cancel.get_token());
      if (!WaitUntil(sent, deadline)) {
        cancel.cancel();
        Observe(sent);
        return UnavailableError(where + ": timed out after " +
                                std::to_string(options_.timeout.count()) + " ms");
      }
      http_response answer;
      try {
        answer = sent.get();
      } catch (const web::http::http_exception& e) {
        return MapClientError(e, where);
      }

      Response response;
      response.status = answer.status_code();
      for (const auto& [name, value] : answer.headers()) {
        response.headers[ToLower(name)] = value;
      }
      uint64_t declared = 0;
      if (answer.headers().match(web::http::header_names::content_length, declared) &&
          declared > options_.max_response_bytes) {
        cancel.cancel();
        return InvalidArgumentError(where + ": response body of " + std::to_string(declared) +
                                    " bytes is larger than the limit of " +
                                    std::to_string(options_.max_response_bytes));
      }
      auto stream = answer.body().streambuf();
      if (stream) {
        // Shared with a read that may still be pending when we give up.
        auto scratch = std::make_shared<std::vector<uint8_t>>(kReadChunk);
        while (true) {
          pplx::task<size_t> read = stream.getn(scratch->data(), scratch->size());
          if (!WaitUntil(read, deadline)) {
            cancel.cancel();
            read.then([scratch](const pplx::task<size_t>& t) {
              try {
                t.get();
              } catch (...) {  // NOLINT(bugprone-empty-catch): observed on purpose
              }
            });
            return UnavailableError(where + ": timed out reading the response body");
          }
          size_t n = 0;
          try {
            n = read.get();
          } catch (const web::http::http_exception& e) {
            return MapClientError(e, where).WithContext("reading the response body");
          }
          if (n == 0) {
            break;
          }
          if (response.body.size() + n > options_.max_response_bytes) {
            cancel.cancel();
            return InvalidArgumentError(where + ": response body larger than the limit of " +
                                        std::to_string(options_.max_response_bytes) + " bytes");
          }
          response.body.append(reinterpret_cast<const char*>(scratch->data()), n);
        }
      }
      return response;
    } catch (const web::http::http_exception& e) {
      return MapClientError(e, where);
    } catch (const std::invalid_argument& e) {
      return InvalidArgumentError(where + ": " + e.what());
    } catch (const web::uri_exception& e) {
      return InvalidArgumentError(where + ": " + e.what());
    } catch (const std::exception& e) {
      return UnavailableError(where + ": " + e.what());
    }
  }

 private:
  ClientOptions options_;
  std::shared_ptr<const TlsMaterial> tls_;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> StartCpprestServer(const ServerOptions& options,
                                                       Handler handler, Logger& logger) {
  if (!handler) {
    return InvalidArgumentError("no handler given");
  }
  if (options.address.empty()) {
    return InvalidArgumentError("empty listen address");
  }
  if (options.address.find(':') != std::string::npos) {
    // cpprestsdk splits "host:port" at the first colon.
    return InvalidArgumentError("listen address '" + options.address +
                                "': IPv6 literals are not supported by the cpprestsdk server");
  }
  if (options.handler_timeout.count() <= 0) {
    return InvalidArgumentError("handler_timeout must be positive");
  }

  http_listener_config config;
  std::string scheme = "http";
  if (options.tls) {
    scheme = "https";
    auto material = std::make_shared<TlsMaterial>();
    material->chain_file = options.tls->certificate_chain_file;
    material->key_file = options.tls->private_key_file;
    material->ca_file = options.tls->client_ca_file;
    VOUCH_ASSIGN_OR_RETURN(material->chain,
                           ReadTlsFile(material->chain_file, "certificate chain file"));
    VOUCH_ASSIGN_OR_RETURN(material->key, ReadTlsFile(material->key_file, "private key file"));
    if (!material->ca_file.empty()) {
      VOUCH_ASSIGN_OR_RETURN(material->ca, ReadTlsFile(material->ca_file, "client CA file"));
    }
    VOUCH_RETURN_IF_ERROR(ValidateTls(*material, /*server=*/true));
    std::shared_ptr<const TlsMaterial> shared = material;
    config.set_ssl_context_callback([shared](boost::asio::ssl::context& ctx) {
      // Runs for every accepted connection on an I/O thread. cpprestsdk drops
      // the connection on boost::system::system_error and nothing else.
      Status status = ApplyTls(*shared, /*server=*/true, ctx);
      if (!status.ok()) {
        throw boost::system::system_error(
            boost::system::errc::make_error_code(boost::system::errc::invalid_argument));
      }
    });
  }

  std::unique_ptr<CpprestServer> server;
  try {
    server = std::make_unique<CpprestServer>(
        std::make_shared<ServerCore>(std::move(handler), logger, options));
  } catch (const std::exception& e) {
    // std::thread (the deadline watchdog) failed to start.
    return InternalError(std::string("cannot start the HTTP server: ") + e.what());
  }
  std::string error;
  int attempts = options.port == 0 ? kPortAttempts : 1;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    uint16_t port = options.port;
    if (port == 0) {
      VOUCH_ASSIGN_OR_RETURN(port, PickFreePort(options.address));
    }
    std::string uri = scheme + "://" + options.address + ":" + std::to_string(port) + "/";
    try {
      if (server->Open(uri, config, error)) {
        server->set_port(port);
        return std::unique_ptr<HttpServer>(std::move(server));
      }
    } catch (const std::exception& e) {
      // web::uri rejects the address.
      return InvalidArgumentError("listen address '" + options.address + "': " + e.what());
    }
  }
  return UnavailableError(
      "cannot listen on " + options.address + ":" +
      (options.port == 0 ? std::string("<free port>") : std::to_string(options.port)) + ": " +
      error);
}

bool SetCpprestThreadCount(size_t threads) {
  try {
    crossplat::threadpool::initialize_with_threads(threads);
    return true;
  } catch (const std::exception&) {
    return false;  // the pool already exists
  }
}

Result<std::unique_ptr<HttpClient>> MakeCpprestClient(const ClientOptions& options) {
  if (options.timeout.count() <= 0) {
    return InvalidArgumentError("client timeout must be positive");
  }
  auto material = std::make_shared<TlsMaterial>();
  const TlsClientOptions& tls = options.tls;
  if (tls.certificate_file.empty() != tls.private_key_file.empty()) {
    return InvalidArgumentError(
        "client certificate_file and private_key_file must be set together");
  }
  material->ca_file = tls.ca_file;
  material->chain_file = tls.certificate_file;
  material->key_file = tls.private_key_file;
  if (!tls.ca_file.empty()) {
    VOUCH_ASSIGN_OR_RETURN(material->ca, ReadTlsFile(tls.ca_file, "CA file"));
  }
  if (!tls.certificate_file.empty()) {
    VOUCH_ASSIGN_OR_RETURN(material->chain,
                           ReadTlsFile(tls.certificate_file, "client certificate file"));
    VOUCH_ASSIGN_OR_RETURN(material->key, ReadTlsFile(tls.private_key_file, "private key file"));
  }
  VOUCH_RETURN_IF_ERROR(ValidateTls(*material, /*server=*/false));
  return std::unique_ptr<HttpClient>(std::make_unique<CpprestClient>(options, material));
}

}  // namespace vouch::http
