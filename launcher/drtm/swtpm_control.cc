#include "launcher/drtm/swtpm_control.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "core/base/unique_fd.h"

namespace vouch::launcher {

namespace {

// Control command codes (swtpm_ioctls(3); tpm_ioctl.h numbers them from
// CMD_GET_CAPABILITY = 1 in this order).
constexpr uint32_t kCmdSetLocality = 5;
constexpr uint32_t kCmdHashStart = 6;
constexpr uint32_t kCmdHashData = 7;
constexpr uint32_t kCmdHashEnd = 8;
// ptm_hdata carries at most 4096 bytes per command.
constexpr size_t kMaxHashDataChunk = 4096;

void PutBe32(Bytes& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 24));
  out.push_back(static_cast<uint8_t>(v >> 16));
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

std::string CommandName(uint32_t cmd) {
  switch (cmd) {
    case kCmdSetLocality: return "CMD_SET_LOCALITY";
    case kCmdHashStart: return "CMD_HASH_START";
    case kCmdHashData: return "CMD_HASH_DATA";
    case kCmdHashEnd: return "CMD_HASH_END";
    default: return "command " + std::to_string(cmd);
  }
}

using Fd = UniqueFd;

class TcpSwtpmControl final : public SwtpmControl {
 public:
  TcpSwtpmControl(SwtpmControlEndpoint endpoint, std::chrono::milliseconds timeout)
      : endpoint_(std::move(endpoint)), timeout_(timeout) {}

  Status HashStart() override { return Send(kCmdHashStart, {}); }

  Status HashData(ByteView data) override {
    // An empty sequence is legal (H of nothing); nothing to send then.
    for (size_t off = 0; off < data.size(); off += kMaxHashDataChunk) {
      const size_t n = std::min(kMaxHashDataChunk, data.size() - off);
      Bytes payload;
      payload.reserve(4 + n);
      PutBe32(payload, static_cast<uint32_t>(n));
      payload.insert(payload.end(), data.begin() + static_cast<std::ptrdiff_t>(off),
                     data.begin() + static_cast<std::ptrdiff_t>(off + n));
      VOUCH_RETURN_IF_ERROR(Send(kCmdHashData, payload));
    }
    return Status::Ok();
  }

  Status HashEnd() override { return Send(kCmdHashEnd, {}); }

  Status SetLocality(uint8_t locality) override {
    if (locality > 4) {
      return InvalidArgumentError("locality " + std::to_string(locality) + " out of range 0-4");
    }
    return Send(kCmdSetLocality, Bytes{locality});
  }

 private:
  std::string Where() const {
    return "swtpm control channel " + endpoint_.host + ":" + std::to_string(endpoint_.port);
  }

  Status Errno(const std::string& what, int err) const {
    return UnavailableError(Where() + ": " + what + ": " + std::strerror(err));
  }

  Result<int> Connect() const {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(endpoint_.port);
    const int gai = ::getaddrinfo(endpoint_.host.c_str(), service.c_str(), &hints, &found);
    if (gai != 0) {
      return UnavailableError(Where() + ": cannot resolve: " + ::gai_strerror(gai));
    }
    int last_errno = ECONNREFUSED;
    int fd = -1;
    for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
      int s = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (s < 0) {
        last_errno = errno;
        continue;
      }
      // On Linux SO_SNDTIMEO also bounds connect(2).
      timeval tv{};
      tv.tv_sec = static_cast<time_t>(timeout_.count() / 1000);
      tv.tv_usec = static_cast<suseconds_t>((timeout_.count() % 1000) * 1000);
      ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
      ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      if (::connect(s, ai->ai_addr, ai->ai_addrlen) == 0) {
        fd = s;
      } else {
        last_errno = errno;
        ::close(s);
      }
    }
    ::freeaddrinfo(found);
    if (fd < 0) return Errno("connect", last_errno);
    return fd;
  }

  Status Send(uint32_t cmd, ByteView payload) const {
    VOUCH_ASSIGN_OR_RETURN(int raw_fd, Connect());
    Fd fd(raw_fd);
    Bytes message;
    message.reserve(4 + payload.size());
    PutBe32(message, cmd);
    message.insert(message.end(), payload.begin(), payload.end());
    // One write per command: swtpm reads a command with a single read.
    size_t sent = 0;
    while (sent < message.size()) {
      const ssize_t n =
          ::send(fd.get(), message.data() + sent, message.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Errno("sending " + CommandName(cmd), n < 0 ? errno : EPIPE);
      sent += static_cast<size_t>(n);
    }
    uint8_t answer[4];
    size_t got = 0;
    while (got < sizeof(answer)) {
      const ssize_t n = ::recv(fd.get(), answer + got, sizeof(answer) - got, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("reading the answer to " + CommandName(cmd), errno);
      if (n == 0) {
        return UnavailableError(Where() + ": connection closed before the answer to " +
                                CommandName(cmd));
      }
      got += static_cast<size_t>(n);
    }
    const uint32_t result = (uint32_t{answer[0]} << 24) | (uint32_t{answer[1]} << 16) |
                            (uint32_t{answer[2]} << 8) | uint32_t{answer[3]};
    if (result != 0) {
      char hex[16];
      std::snprintf(hex, sizeof(hex), "0x%08x", result);
      return FailedPreconditionError(Where() + ": " + CommandName(cmd) +
                                     " failed with TPM result " + hex);
    }
    return Status::Ok();
  }

  SwtpmControlEndpoint endpoint_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

Result<SwtpmControlEndpoint> SwtpmControlEndpointFromTcti(std::string_view tcti) {
  constexpr std::string_view kPrefix = "swtpm";
  if (tcti.substr(0, kPrefix.size()) != kPrefix ||
      (tcti.size() > kPrefix.size() && tcti[kPrefix.size()] != ':')) {
    return InvalidArgumentError("TCTI \"" + std::string(tcti) +
                                "\" is not a swtpm TCTI (swtpm:host=H,port=P): only swtpm has the "
                                "control channel an emulated launch needs");
  }
  SwtpmControlEndpoint endpoint{"127.0.0.1", 2321};
  std::string_view conf = tcti.size() > kPrefix.size() ? tcti.substr(kPrefix.size() + 1) : "";
  while (!conf.empty()) {
    const size_t comma = conf.find(',');
    std::string_view item = conf.substr(0, comma);
    conf = comma == std::string_view::npos ? std::string_view() : conf.substr(comma + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgumentError("TCTI \"" + std::string(tcti) + "\": \"" + std::string(item) +
                                  "\" is not key=value");
    }
    std::string_view key = item.substr(0, eq);
    std::string_view value = item.substr(eq + 1);
    if (key == "host") {
      if (value.empty()) return InvalidArgumentError("TCTI: empty host");
      endpoint.host = std::string(value);
    } else if (key == "port") {
      uint32_t port = 0;
      if (value.empty() || value.size() > 5) {
        return InvalidArgumentError("TCTI: bad port \"" + std::string(value) + "\"");
      }
      for (char c : value) {
        if (c < '0' || c > '9') {
          return InvalidArgumentError("TCTI: bad port \"" + std::string(value) + "\"");
        }
        port = port * 10 + static_cast<uint32_t>(c - '0');
      }
      // The control port is port + 1, so port 65535 has none.
      if (port == 0 || port >= 65535) {
        return InvalidArgumentError("TCTI: port " + std::string(value) + " out of range 1-65534");
      }
      endpoint.port = static_cast<uint16_t>(port);
    } else {
      return InvalidArgumentError("TCTI \"" + std::string(tcti) + "\": unknown key \"" +
                                  std::string(key) + "\"");
    }
  }
  endpoint.port = static_cast<uint16_t>(endpoint.port + 1);
  return endpoint;
}

std::unique_ptr<SwtpmControl> MakeTcpSwtpmControl(SwtpmControlEndpoint endpoint,
                                                  std::chrono::milliseconds timeout) {
  return std::make_unique<TcpSwtpmControl>(std::move(endpoint), timeout);
}

}  // namespace vouch::launcher
