// VOUCH_CHECK: invariants that only a bug can break. Logs and aborts.
// Never use it on anything untrusted input can reach; return a Status instead.
#ifndef VOUCH_CORE_BASE_CHECK_H_
#define VOUCH_CORE_BASE_CHECK_H_

#include <string_view>

namespace vouch::internal {
[[noreturn]] void CheckFailed(const char* file, int line, std::string_view condition,
                              std::string_view detail = {});
}  // namespace vouch::internal

#define VOUCH_CHECK(cond)                                                   \
  do {                                                                      \
    if (!(cond)) ::vouch::internal::CheckFailed(__FILE__, __LINE__, #cond); \
  } while (0)

#endif  // VOUCH_CORE_BASE_CHECK_H_
