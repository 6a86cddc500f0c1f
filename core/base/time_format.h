// Time as text for documents, findings and logs: RFC 3339, UTC, whole
// seconds ("2026-11-28T09:40:00Z"), the form every Vouch document uses.
#ifndef VOUCH_CORE_BASE_TIME_FORMAT_H_
#define VOUCH_CORE_BASE_TIME_FORMAT_H_

#include <chrono>
#include <string>

namespace vouch {

// Sub-second parts are dropped (truncated). Thread-safe (gmtime_r).
std::string FormatRfc3339Utc(std::chrono::system_clock::time_point t);

}  // namespace vouch

#endif  // VOUCH_CORE_BASE_TIME_FORMAT_H_
