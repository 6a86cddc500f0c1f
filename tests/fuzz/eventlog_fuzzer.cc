// libFuzzer target: TCG event-log parsing, PCR computation and event-data
// description over arbitrary bytes, with the events viewing the shared input
// buffer the log owns. Any crash, leak, hang or sanitizer report
// is a bug; errors are expected and fine.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/eventlog/describe.h"
#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Parsed in place from a shared buffer, which is then released here: the
  // log alone must keep the bytes its events view alive (ASan checks).
  auto buffer = std::make_shared<const vouch::Bytes>(data, data + size);
  auto log = vouch::eventlog::ParseEventLog(std::move(buffer));
  if (!log.has_value()) return 0;
  auto pcrs = vouch::eventlog::ComputePcrs(*log);
  (void)pcrs;
  for (const auto& event : log->EventsUnverifiedForDebug()) {
    auto d = vouch::eventlog::DescribeEvent(event);
    (void)d;
  }
  return 0;
}
