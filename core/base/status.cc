#include "core/base/status.h"

#include <cstdio>
#include <cstdlib>

namespace vouch {
namespace internal {

void CheckFailed(const char* file, int line, std::string_view condition, std::string_view detail) {
  std::fprintf(stderr, "VOUCH_CHECK failed at %s:%d: %.*s%s%.*s\n", file, line,
               static_cast<int>(condition.size()), condition.data(), detail.empty() ? "" : ": ",
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace internal

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kNotFound: return "not_found";
    case Code::kFailedPrecondition: return "failed_precondition";
    case Code::kPermissionDenied: return "permission_denied";
    case Code::kUnauthenticated: return "unauthenticated";
    case Code::kUnavailable: return "unavailable";
    case Code::kDataLoss: return "data_loss";
    case Code::kInternal: return "internal";
  }
  return "unknown";
}

Status::Status(Code code, std::string message) : code_(code), message_(std::move(message)) {
  VOUCH_CHECK(code_ != Code::kOk || message_.empty());
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(CodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const& {
  Status copy = *this;
  return std::move(copy).WithContext(context);
}

Status Status::WithContext(std::string_view context) && {
  if (ok() || context.empty()) return std::move(*this);
  std::string msg(context);
  msg += ": ";
  msg += message_;
  message_ = std::move(msg);
  return std::move(*this);
}

Status InvalidArgumentError(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
Status NotFoundError(std::string m) { return Status(Code::kNotFound, std::move(m)); }
Status FailedPreconditionError(std::string m) {
  return Status(Code::kFailedPrecondition, std::move(m));
}
Status PermissionDeniedError(std::string m) {
  return Status(Code::kPermissionDenied, std::move(m));
}
Status UnauthenticatedError(std::string m) { return Status(Code::kUnauthenticated, std::move(m)); }
Status UnavailableError(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
Status DataLossError(std::string m) { return Status(Code::kDataLoss, std::move(m)); }
Status InternalError(std::string m) { return Status(Code::kInternal, std::move(m)); }

}  // namespace vouch
