// vouch::Status and vouch::Result<T>: the error model of every Vouch library.
//
// Libraries never throw across their boundary; they return Status (no value) or
// Result<T> (a value or a non-OK Status). Both are [[nodiscard]]. Result keeps
// to a subset of std::expected's API (has_value, operator bool, value, error,
// operator*, operator->, value_or) so it can become an alias under C++23.
//
// Choosing a code (pick the most specific):
//   kInvalidArgument    input bytes or arguments are malformed: truncated or
//                       oversized structures, bad hex, unknown algorithm ids.
//                       Untrusted evidence that cannot be parsed gets this.
//   kNotFound           a named thing (file, host, key) does not exist.
//   kFailedPrecondition the system is not in a state to do this (TPM not
//                       provisioned, key not loaded, wrong order of calls).
//   kPermissionDenied   the caller is known but not allowed.
//   kUnauthenticated    the caller could not be authenticated.
//   kUnavailable        a dependency is down or busy; retrying may help.
//   kDataLoss           our own stored data is corrupt or torn (a record we
//                       wrote cannot be read back).
//   kInternal           a library below us failed in a way we did not expect.
// A failed attestation is NOT an error: appraisal returns findings.
#ifndef VOUCH_CORE_BASE_STATUS_H_
#define VOUCH_CORE_BASE_STATUS_H_

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/base/check.h"

namespace vouch {

enum class Code {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kFailedPrecondition,
  kPermissionDenied,
  kUnauthenticated,
  kUnavailable,
  kDataLoss,
  kInternal,
};

// Stable lower-case name of a code ("invalid_argument"), for logs and JSON.
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  // The OK status.
  Status() = default;
  // A status with `code` and a human-readable message. `code` may be kOk only
  // with an empty message.
  Status(Code code, std::string message);

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "invalid_argument: message", or "ok".
  std::string ToString() const;

  // Returns this status with "context: " prepended to the message, so errors
  // say where they came from as they travel up ("decode quote: ...").
  // OK stays OK.
  Status WithContext(std::string_view context) const&;
  Status WithContext(std::string_view context) &&;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status FailedPreconditionError(std::string message);
Status PermissionDeniedError(std::string message);
Status UnauthenticatedError(std::string message);
Status UnavailableError(std::string message);
Status DataLossError(std::string message);
Status InternalError(std::string message);

// Either a T or a non-OK Status. Building a Result from an OK Status is a bug
// (VOUCH_CHECK): there is no "empty success".
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Status>, "Result<Status> is not allowed");

 public:
  using value_type = T;

  Result(const T& value) : data_(std::in_place_index<0>, value) {}        // NOLINT: implicit
  Result(T&& value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
           !std::is_same_v<std::decay_t<U>, Status> && !std::is_same_v<std::decay_t<U>, Result<T>>)
      Result(U&& value)
      : data_(std::in_place_index<0>, T(std::forward<U>(value))) {}           // NOLINT
  Result(Status status) : data_(std::in_place_index<1>, std::move(status)) {  // NOLINT: implicit
    VOUCH_CHECK(!std::get<1>(data_).ok());
  }

  bool has_value() const { return data_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  // Precondition: has_value(). Calling on an error is a bug and aborts.
  T& value() & {
    CheckValue();
    return std::get<0>(data_);
  }
  const T& value() const& {
    CheckValue();
    return std::get<0>(data_);
  }
  T&& value() && {
    CheckValue();
    return std::get<0>(std::move(data_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(data_) : static_cast<T>(std::forward<U>(fallback));
  }

  // The error. Precondition: !has_value().
  const Status& error() const& {
    VOUCH_CHECK(!has_value());
    return std::get<1>(data_);
  }
  Status error() && {
    VOUCH_CHECK(!has_value());
    return std::get<1>(std::move(data_));
  }
  // OK when a value is held, the error otherwise (convenience for tests and
  // for code that only propagates).
  Status status() const { return has_value() ? Status() : std::get<1>(data_); }

 private:
  void CheckValue() const {
    if (!has_value()) {
      internal::CheckFailed(__FILE__, __LINE__, "Result::value() on error",
                            std::get<1>(data_).ToString());
    }
  }
  std::variant<T, Status> data_;
};

namespace internal {
inline const Status& AsStatus(const Status& s) { return s; }
template <typename T>
Status AsStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace vouch

#define VOUCH_INTERNAL_CONCAT2(a, b) a##b
#define VOUCH_INTERNAL_CONCAT(a, b) VOUCH_INTERNAL_CONCAT2(a, b)

// Returns the Status of `expr` (a Status or Result) from the enclosing
// function when it is not OK.
#define VOUCH_RETURN_IF_ERROR(expr)                                      \
  do {                                                                   \
    ::vouch::Status vouch_status_ = ::vouch::internal::AsStatus((expr)); \
    if (!vouch_status_.ok()) return vouch_status_;                       \
  } while (0)

// Like VOUCH_RETURN_IF_ERROR, prepending "context: " to the message.
#define VOUCH_RETURN_IF_ERROR_CTX(expr, context)                         \
  do {                                                                   \
    ::vouch::Status vouch_status_ = ::vouch::internal::AsStatus((expr)); \
    if (!vouch_status_.ok()) return vouch_status_.WithContext(context);  \
  } while (0)

// `lhs = value of rexpr` (a Result<T>), or returns its error.
// `lhs` may declare a variable: VOUCH_ASSIGN_OR_RETURN(auto x, F());
#define VOUCH_ASSIGN_OR_RETURN(lhs, rexpr) \
  VOUCH_INTERNAL_ASSIGN_OR_RETURN(VOUCH_INTERNAL_CONCAT(vouch_result_, __LINE__), lhs, rexpr, "")
#define VOUCH_ASSIGN_OR_RETURN_CTX(lhs, rexpr, context)                                       \
  VOUCH_INTERNAL_ASSIGN_OR_RETURN(VOUCH_INTERNAL_CONCAT(vouch_result_, __LINE__), lhs, rexpr, \
                                  context)
#define VOUCH_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, rexpr, context)                           \
  auto tmp = (rexpr);                                                                       \
  if (!tmp.has_value()) {                                                                   \
    return std::string_view(context).empty() ? std::move(tmp).error()                       \
                                             : std::move(tmp).error().WithContext(context); \
  }                                                                                         \
  lhs = std::move(tmp).value()

#endif  // VOUCH_CORE_BASE_STATUS_H_
