#include "launcher/gate/verifier_client.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "core/base/net_address.h"
#include "core/base/unique_fd.h"

namespace vouch::launcher::gate {
namespace {

std::string ModeString(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

using Fd = UniqueFd;

}  // namespace

Result<std::string> ReadTokenFile(const std::string& path) {
  const std::string what = "token file " + path;
  // The mode is checked on the opened file, so it cannot be swapped between
  // the check and the read.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) return NotFoundError(what + ": does not exist");
    if (err == EACCES) return PermissionDeniedError(what + ": " + std::strerror(err));
    return UnavailableError(what + ": " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return UnavailableError(what + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return InvalidArgumentError(what + ": not a regular file");
  if ((st.st_mode & 077) != 0) {
    return PermissionDeniedError(what + " has mode " + ModeString(st.st_mode) +
                                 ": a token file must be readable by its owner only (0600 or "
                                 "0400)");
  }
  if (st.st_uid != ::geteuid()) {
    return PermissionDeniedError(what + " is owned by uid " + std::to_string(st.st_uid) +
                                 ", not by this user (uid " + std::to_string(::geteuid()) + ")");
  }
  if (st.st_size > static_cast<off_t>(kMaxTokenFileBytes)) {
    return InvalidArgumentError(what + ": larger than " + std::to_string(kMaxTokenFileBytes) +
                                " bytes");
  }
  std::string content(kMaxTokenFileBytes + 1, '\0');
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::read(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return UnavailableError(what + ": read: " + std::strerror(errno));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  if (done > kMaxTokenFileBytes) {
    return InvalidArgumentError(what + ": larger than " + std::to_string(kMaxTokenFileBytes) +
                                " bytes");
  }
  content.resize(done);
  const size_t eol = content.find('\n');
  std::string token = content.substr(0, eol);
  // Wipe the copy with whatever followed the first line.
  std::fill(content.begin(), content.end(), '\0');
  const char* ws = " \t\r";
  const size_t begin = token.find_first_not_of(ws);
  const size_t end = token.find_last_not_of(ws);
  token = begin == std::string::npos ? "" : token.substr(begin, end - begin + 1);
  if (token.empty()) return InvalidArgumentError(what + ": no token on its first line");
  for (unsigned char c : token) {
    if (c <= 0x20 || c >= 0x7f) {
      return InvalidArgumentError(what + ": the token holds spaces or non-printable characters");
    }
  }
  return token;
}

Result<std::unique_ptr<VerifierClient>> VerifierClient::Create(http::HttpClient& http,
                                                               std::string_view verifier_url,
                                                               std::string token) {
  if (verifier_url.empty()) return InvalidArgumentError("verifier_url is not set");
  VOUCH_RETURN_IF_ERROR(CheckServiceUrl(verifier_url, "verifier_url"));
  if (verifier_url.find('?') != std::string_view::npos ||
      verifier_url.find('#') != std::string_view::npos) {
    return InvalidArgumentError("verifier_url must not have a query or fragment");
  }
  if (token.empty()) return InvalidArgumentError("verifier token is empty");
  std::string url(verifier_url);
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += kLaunchDecisionPath;
  return std::unique_ptr<VerifierClient>(
      new VerifierClient(http, std::move(url), std::move(token)));
}

Result<protocol::LaunchDecision> VerifierClient::RequestLaunchDecision(
    const protocol::LaunchDecisionRequest& request) {
  VOUCH_ASSIGN_OR_RETURN_CTX(std::string body, protocol::EncodeLaunchDecisionRequest(request),
                             "launch decision request");
  http::Request r;
  r.method = "POST";
  r.headers["content-type"] = "application/json";
  r.headers["accept"] = "application/json";
  r.headers["authorization"] = "Bearer " + token_;
  r.body = std::move(body);
  Result<http::Response> answer = http_.Send(url_, r);
  if (!answer.has_value()) return answer.error().WithContext("POST " + url_);
  const int s = answer->status;
  if (s != 200) {
    std::string message =
        "POST " + url_ + ": verifier answered " + http::DescribeErrorResponse(*answer);
    if (s == 401) return UnauthenticatedError(std::move(message));
    if (s == 403) return PermissionDeniedError(std::move(message));
    if (s >= 500 || s == 429 || s < 200 || s >= 600) return UnavailableError(std::move(message));
    return InvalidArgumentError(std::move(message));
  }
  Result<protocol::LaunchDecision> decision = protocol::DecodeLaunchDecision(answer->body);
  if (!decision.has_value()) {
    return UnavailableError("POST " + url_ +
                            ": the answer is not a launch decision: " + decision.error().message());
  }
  if (decision->host_id != request.host_id || decision->vm_id != request.vm_id) {
    return UnavailableError("POST " + url_ + ": the answer is for host " + decision->host_id +
                            " VM " + decision->vm_id + ", not for host " + request.host_id +
                            " VM " + request.vm_id);
  }
  return decision;
}

}  // namespace vouch::launcher::gate
