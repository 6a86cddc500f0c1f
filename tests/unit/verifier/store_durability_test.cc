// Durability of the SQLite Store: a report acknowledged by AddReport is on
// disk even when the process is killed (SIGKILL at a random moment while
// writing), and the file reopens cleanly afterwards. Also prints AddReport's
// rate with synchronous=FULL (a figure, not asserted).
//
// SIGKILL covers a crash of the verifier process, not a power cut: the
// latter rests on synchronous=FULL's fsync at every commit and is not
// simulated here.
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/status_matchers.h"
#include "tests/unit/verifier/store_test_util.h"
#include "verifier/store/sqlite_store.h"

namespace vouch::verifier {
namespace {

using Clock = std::chrono::steady_clock;

class SqliteStoreDurabilityTest : public StoreTestBase {};

// The child: writes reports in a loop and prints (to `fd`) each id AddReport
// acknowledged, 8 bytes at a time (atomic on a pipe). Never returns.
[[noreturn]] void WriteReportsForever(const std::string& path, int fd, int round) {
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(path);
  if (!store.has_value()) {
    std::fprintf(stderr, "child: %s\n", store.status().ToString().c_str());
    _exit(2);
  }
  ReportRecord r = MakeReport("host-1", "trusted");
  r.report_json = std::string(2000, 'x');
  for (int64_t i = 0;; ++i) {
    r.appraised_at = T(int64_t{round} * 1'000'000 + i);
    r.verdict = i % 2 == 0 ? "trusted" : "untrusted";
    r.reset_count = static_cast<uint32_t>(i);
    Result<int64_t> id = (*store)->AddReport(r);
    if (!id.has_value()) {
      std::fprintf(stderr, "child: %s\n", id.status().ToString().c_str());
      _exit(3);
    }
    const int64_t v = *id;
    if (write(fd, &v, sizeof(v)) != static_cast<ssize_t>(sizeof(v))) {
      _exit(4);
    }
  }
}

// Reads the ids the child printed: until `kill_after` has passed since the
// first one arrived (then SIGKILLs the child), and then the rest of the pipe.
std::vector<int64_t> ReadIdsAndKill(int fd, pid_t child, std::chrono::milliseconds kill_after) {
  std::vector<int64_t> ids;
  std::string buffer;
  auto consume = [&](const char* data, size_t n) {
    buffer.append(data, n);
    while (buffer.size() >= sizeof(int64_t)) {
      int64_t v = 0;
      std::memcpy(&v, buffer.data(), sizeof(v));
      ids.push_back(v);
      buffer.erase(0, sizeof(v));
    }
  };
  std::optional<Clock::time_point> deadline;
  const Clock::time_point give_up = Clock::now() + std::chrono::seconds(10);
  char chunk[4096];
  bool killed = false;
  while (true) {
    if (!killed && ((deadline && Clock::now() >= *deadline) || Clock::now() >= give_up)) {
      ::kill(child, SIGKILL);
      killed = true;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, killed ? 1000 : 1) < 0) {
      continue;
    }
    if ((p.revents & (POLLIN | POLLHUP)) == 0) {
      continue;
    }
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n == 0) {
      break;  // EOF: the child is dead and everything it wrote has been read
    }
    if (n < 0) {
      continue;
    }
    consume(chunk, static_cast<size_t>(n));
    if (!deadline && !ids.empty()) {
      deadline = Clock::now() + kill_after;
    }
  }
  return ids;
}

TEST_F(SqliteStoreDurabilityTest, AcknowledgedReportsSurviveSigkillAtARandomMoment) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, Open());
    ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-1"));
  }
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_ms(5, 300);
  SCOPED_TRACE("seed " + std::to_string(seed));
  size_t total_printed = 0;
  for (int round = 0; round < 4; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::fflush(nullptr);  // the child must not flush our buffered output again
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      WriteReportsForever(path(), fds[1], round);
    }
    ::close(fds[1]);
    const std::chrono::milliseconds kill_after(delay_ms(rng));
    std::vector<int64_t> printed = ReadIdsAndKill(fds[0], child, kill_after);
    ::close(fds[0]);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "the child stopped by itself: status " << wstatus;
    ASSERT_FALSE(printed.empty()) << "round " << round;
    total_printed += printed.size();

    // Reopen (WAL recovery) and find every acknowledged id.
    ASSERT_OK_AND_ASSIGN(auto store, Open());
    std::set<int64_t> stored;
    int64_t before = 0;
    while (true) {
      ASSERT_OK_AND_ASSIGN(auto page, store->ListReports("host-1", 1000, before));
      if (page.empty()) {
        break;
      }
      for (const ReportRecord& r : page) {
        stored.insert(r.id);
      }
      before = page.back().id;
    }
    size_t missing = 0;
    for (int64_t id : printed) {
      missing += stored.count(id) == 0 ? 1 : 0;
    }
    EXPECT_EQ(missing, 0u) << "round " << round << ": " << missing << " of " << printed.size()
                           << " acknowledged reports lost (killed after " << kill_after.count()
                           << " ms)";
    // The host row and the latest report changed in one transaction.
    ASSERT_OK_AND_ASSIGN(auto latest, store->LatestReport("host-1"));
    ASSERT_TRUE(latest.has_value());
    EXPECT_GE(latest->id, printed.back());
    ASSERT_OK_AND_ASSIGN(HostRecord host, store->GetHost("host-1"));
    EXPECT_EQ(host.last_report_at, std::optional<StoreTime>(latest->appraised_at));
    EXPECT_EQ(host.verdict, latest->verdict);
    EXPECT_EQ(host.last_reset_count, latest->reset_count);
    std::printf("round %d: killed after %lld ms, %zu acknowledged, %zu stored\n", round,
                static_cast<long long>(kill_after.count()), printed.size(), stored.size());
  }
  EXPECT_GT(total_printed, 0u);
}

TEST_F(SqliteStoreDurabilityTest, AddReportRateWithSynchronousFull) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_NO_FATAL_FAILURE(AddHost(*store, "host-1"));
  ReportRecord r = MakeReport("host-1", "trusted");
  r.report_json = std::string(4096, 'x');  // about one appraisal document
  constexpr int kReports = 300;
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < kReports; ++i) {
    ASSERT_OK(store->AddReport(r).status());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  // The same from 8 threads sharing the store (calls serialize on its mutex).
  constexpr int kThreads = 8;
  const Clock::time_point start8 = Clock::now();
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kReports / kThreads; ++i) {
        if (!store->AddReport(r).has_value()) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  const double seconds8 = std::chrono::duration<double>(Clock::now() - start8).count();
  const int reports8 = kReports / kThreads * kThreads;
  EXPECT_EQ(failures.load(), 0);
  std::printf(
      "AddReport (4 KiB report, WAL, synchronous=FULL, %s): %.0f/s from 1 thread "
      "(%.2f ms each), %.0f/s from %d threads\n",
      dir().c_str(), kReports / seconds, 1000.0 * seconds / kReports, reports8 / seconds8,
      kThreads);
  RecordProperty("add_report_per_second", static_cast<int>(kReports / seconds));
}

}  // namespace
}  // namespace vouch::verifier
