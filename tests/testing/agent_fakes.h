// In-memory fakes of the agent's evidence inputs (agent/evidence_collector.h)
// for tests that assemble evidence without files or a real host:
// MemoryLogSource (an EventLogSource) and FixedHostFacts (a HostFactsSource).
//
// Header-only so that vouch::testing does not link the agent libraries; a
// test that includes this header already links vouch::agent_evidence (or a
// library that depends on it).
#ifndef VOUCH_TESTS_TESTING_AGENT_FAKES_H_
#define VOUCH_TESTS_TESTING_AGENT_FAKES_H_

#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "agent/evidence_collector.h"
#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/protocol/evidence.h"

namespace vouch::testing {

// Logs held in memory, keyed by kind; a kind never Set reads as nullopt (no
// such log). Records whether the writers' lock is held, so a test can check
// that the logs are read (and the quote taken) under it. Not thread-safe,
// like the collector's use of a source.
class MemoryLogSource final : public agent::EventLogSource {
 public:
  // `log` nullopt: the platform has no such log.
  void Set(agent::LogKind kind, std::optional<Bytes> log) { logs_[kind] = std::move(log); }
  // The next Read returns `status` (not OK) instead of a log, once.
  void FailNextRead(Status status) { read_failure_ = std::move(status); }
  // True while a guard from LockWriters is alive.
  bool locked() const { return *locked_; }
  // How many Reads happened without the writers' lock held.
  int reads_unlocked() const { return reads_unlocked_; }

  Result<std::unique_ptr<Guard>> LockWriters() override {
    *locked_ = true;
    return std::unique_ptr<Guard>(std::make_unique<FlagGuard>(locked_));
  }
  Result<std::optional<Bytes>> Read(agent::LogKind kind) override {
    if (!*locked_) ++reads_unlocked_;
    if (!read_failure_.ok()) return std::exchange(read_failure_, Status());
    auto it = logs_.find(kind);
    return it == logs_.end() ? std::optional<Bytes>() : it->second;
  }

 private:
  // Clears the shared flag when destroyed; shared so that a guard outliving
  // the source (a test bug) does not write freed memory.
  class FlagGuard final : public Guard {
   public:
    explicit FlagGuard(std::shared_ptr<bool> flag) : flag_(std::move(flag)) {}
    ~FlagGuard() override { *flag_ = false; }

   private:
    std::shared_ptr<bool> flag_;
  };
  std::map<agent::LogKind, std::optional<Bytes>> logs_;
  std::shared_ptr<bool> locked_ = std::make_shared<bool>(false);
  Status read_failure_;
  int reads_unlocked_ = 0;
};

// Returns `facts` on every call; tests may change the member between calls.
class FixedHostFacts final : public agent::HostFactsSource {
 public:
  FixedHostFacts() = default;
  explicit FixedHostFacts(protocol::HostFacts f) : facts(std::move(f)) {}
  protocol::HostFacts Facts() override { return facts; }

  protocol::HostFacts facts;
};

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_TESTING_AGENT_FAKES_H_
