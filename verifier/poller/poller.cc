#include "verifier/poller/poller.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "core/base/time_format.h"
#include "core/protocol/enrollment.h"

namespace vouch::verifier {
namespace {

using Steady = std::chrono::steady_clock;

constexpr size_t kMaxInFlight = 1024;
constexpr size_t kListPageSize = 1000;
constexpr uint32_t kPcrCount = 24;

// A host to poll, as read from the store.
struct Target {
  std::string host_id;
  std::string url;  // the agent's base URL
};

std::string EvidenceUrl(std::string_view base) {
  // "https://h:8444/" and "https://h:8444" name the same agent.
  while (!base.empty() && base.back() == '/') {
    base.remove_suffix(1);
  }
  std::string url(base);
  url += "/v1/evidence";
  return url;
}

// "https://user:secret@host:1/x" -> "https://***@host:1/x".
std::string WithoutUserInfo(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) {
    return url;
  }
  const size_t authority = scheme + 3;
  const size_t end = url.find_first_of("/?#", authority);
  const size_t at = url.rfind('@', end);  // npos: the whole string
  if (at == std::string::npos || at < authority) {
    return url;
  }
  return url.substr(0, authority) + "***" + url.substr(at);
}

bool IsStoreFailure(const Status& s) {
  return s.code() == Code::kUnavailable || s.code() == Code::kDataLoss ||
         s.code() == Code::kInternal;
}

}  // namespace

class Poller::Impl {
 public:
  Impl(Store& store, http::HttpClient& client, PollerHooks hooks, PollerOptions options,
       const Clock& clock, crypto::RandomSource& random, Logger& logger, Metrics* metrics)
      : store_(store),
        client_(client),
        hooks_(std::move(hooks)),
        options_(std::move(options)),
        clock_(clock),
        random_(random),
        logger_(logger),
        metrics_(metrics) {}

  ~Impl() { Stop(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void Start() {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_ || stopping_) {
      return;
    }
    started_ = true;
    next_scan_ = Steady::now();
    // Thread creation can fail (std::system_error) when the process is out
    // of threads or memory; no exception may leave the library, so the
    // poller then runs with the workers it got (or not at all), and says so.
    workers_.reserve(options_.max_in_flight);
    try {
      for (size_t i = 0; i < options_.max_in_flight; ++i) {
        workers_.emplace_back([this] { WorkerLoop(); });
      }
    } catch (const std::exception& e) {
      logger_.Error("poller: started " + std::to_string(workers_.size()) + " of " +
                    std::to_string(options_.max_in_flight) + " workers: " + e.what());
    }
    slots_ = workers_.size();
    if (slots_ == 0) {
      logger_.Error("poller: no worker thread, pull mode is not running");
      return;
    }
    try {
      scheduler_ = std::thread([this] { SchedulerLoop(); });
    } catch (const std::exception& e) {
      logger_.Error(std::string("poller: no scheduler thread, pull mode is not running: ") +
                    e.what());
    }
  }

  void Stop() {
    // Serializes concurrent Stop calls so exactly one joins the threads and
    // the others wait for it to finish.
    std::lock_guard<std::mutex> stop_lock(stop_mu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      queue_.clear();  // polls not started yet are dropped
    }
    stopping_flag_.store(true);
    sched_cv_.notify_all();
    work_cv_.notify_all();
    if (scheduler_.joinable()) {
      scheduler_.join();
    }
    for (std::thread& t : workers_) {
      if (t.joinable()) {
        t.join();
      }
    }
    workers_.clear();
  }

  Result<size_t> PollAllOnce() {
    VOUCH_ASSIGN_OR_RETURN_CTX(std::vector<Target> targets, ListTargets(), "poll: list hosts");
    std::atomic<size_t> next{0};
    std::atomic<size_t> reports{0};
    auto run = [&] {
      for (size_t i = next.fetch_add(1); i < targets.size(); i = next.fetch_add(1)) {
        if (stopping_flag_.load()) {
          return;
        }
        if (PollOne(targets[i])) {
          reports.fetch_add(1);
        }
      }
    };
    const size_t threads = std::min(options_.max_in_flight, targets.size());
    std::vector<std::thread> pool;
    pool.reserve(threads);
    try {
      for (size_t i = 0; i < threads; ++i) {
        pool.emplace_back(run);
      }
    } catch (const std::exception& e) {
      // Fewer threads only means a slower round; with none, this thread
      // polls alone (still within the bound).
      logger_.Warning("poller: round with " + std::to_string(pool.size()) + " of " +
                      std::to_string(threads) + " threads: " + e.what());
      if (pool.empty()) {
        run();
      }
    }
    for (std::thread& t : pool) {
      t.join();
    }
    return reports.load();
  }

 private:
  struct HostState {
    std::string url;
    Steady::time_point due;
    bool busy = false;     // queued for or held by a worker
    bool removed = false;  // URL cleared (or host gone) while busy
  };

  // Every host with an agent URL, by keyset paging over the whole store.
  Result<std::vector<Target>> ListTargets() {
    std::vector<Target> targets;
    HostQuery query;
    query.limit = kListPageSize;
    while (true) {
      Result<std::vector<HostRecord>> page = store_.ListHosts(query);
      if (!page) {
        if (metrics_ != nullptr && IsStoreFailure(page.error())) {
          metrics_->RecordStoreError();
        }
        return std::move(page).error();
      }
      for (HostRecord& host : *page) {
        if (!host.agent_url.empty()) {
          targets.push_back(Target{host.host_id, std::move(host.agent_url)});
        }
      }
      // A short page is the last; a full one may be followed by more.
      if (page->size() < query.limit || page->empty()) {
        break;
      }
      query.after_host_id = page->back().host_id;
    }
    return targets;
  }

  // A uniform draw in [0, jitter * interval). A failing generator gives no
  // jitter rather than no poll (the schedule is a load-spreading aid, not a
  // security property).
  Steady::duration Jitter() {
    if (options_.jitter <= 0.0) {
      return Steady::duration::zero();
    }
    std::array<uint8_t, 8> bytes{};
    Status s;
    {
      // RandomSource implementations need not be thread-safe; workers and
      // the scheduler draw concurrently.
      std::lock_guard<std::mutex> lock(random_mu_);
      s = random_.Fill(bytes);
    }
    if (!s.ok()) {
      logger_.Warning("poller: random source failed, polling without jitter: " + s.ToString());
      return Steady::duration::zero();
    }
    uint64_t x = 0;
    for (uint8_t b : bytes) {
      x = (x << 8) | b;
    }
    // 53 random bits -> [0, 1) exactly representable as a double.
    const double unit = static_cast<double>(x >> 11) * 0x1.0p-53;
    const double span = options_.jitter * static_cast<double>(options_.interval.count());
    const auto ms = static_cast<int64_t>(std::floor(unit * span));
    return std::chrono::milliseconds(ms);
  }

  // One round for one host; true when the verifier stored a report.
  bool PollOne(const Target& target) {
    const std::string url = EvidenceUrl(target.url);
    auto fail = [&](const std::string& what) {
      // The URL is logged without user information: an operator may have
      // put credentials there.
      std::optional<std::chrono::system_clock::time_point> last_ok;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = last_ok_.find(target.host_id);
        if (it != last_ok_.end()) {
          last_ok = it->second;
        }
      }
      std::string line =
          "poller: host " + target.host_id + " (" + WithoutUserInfo(url) + "): " + what;
      line += last_ok ? "; last successful poll " + FormatRfc3339Utc(*last_ok)
                      : std::string("; no successful poll since the verifier started");
      logger_.Warning(line);
      if (metrics_ != nullptr) {
        metrics_->RecordPoll(false);
      }
      return false;
    };

    Result<Bytes> nonce = hooks_.issue_nonce(target.host_id);
    if (!nonce) {
      return fail("issue nonce: " + nonce.error().ToString());
    }
    Result<std::string> body =
        protocol::EncodeEvidenceRequest(protocol::EvidenceRequest{*nonce, options_.pcrs});
    if (!body) {
      return fail("encode request: " + body.error().ToString());
    }
    http::Request request;
    request.method = "POST";
    request.headers["content-type"] = "application/json";
    request.headers["accept"] = "application/json";
    request.body = std::move(*body);
    Result<http::Response> response = client_.Send(url, request);
    if (!response) {
      return fail("request failed: " + response.error().ToString());
    }
    if (response->status < 200 || response->status > 299) {
      // The agent's error document says why (rate limited, TPM unavailable);
      // a bounded prefix keeps a hostile agent from flooding the log.
      constexpr size_t kMaxLoggedBody = 256;
      std::string excerpt = response->body.substr(0, kMaxLoggedBody);
      std::replace_if(
          excerpt.begin(), excerpt.end(), [](char c) { return c < 0x20 || c == 0x7f; }, ' ');
      return fail("agent answered HTTP " + std::to_string(response->status) + ": " + excerpt);
    }
    Result<std::string> verdict = hooks_.submit_evidence(target.host_id, response->body);
    if (!verdict) {
      return fail("evidence refused: " + verdict.error().ToString());
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_ok_[target.host_id] = clock_.Now();
    }
    if (metrics_ != nullptr) {
      metrics_->RecordPoll(true);
    }
    if (logger_.Enabled(LogLevel::kDebug)) {
      logger_.Debug("poller: host " + target.host_id + ": " + *verdict);
    }
    return true;
  }

  // Brings hosts_ in line with the store: new hosts are due after their
  // jitter, removed ones leave (or are marked, when a poll is running), a
  // changed URL applies from the next poll. Called with mu_ held.
  void Merge(std::vector<Target> targets, Steady::time_point now) {
    std::map<std::string, std::string> wanted;
    for (Target& t : targets) {
      wanted.emplace(std::move(t.host_id), std::move(t.url));
    }
    for (auto it = hosts_.begin(); it != hosts_.end();) {
      if (wanted.count(it->first) == 0) {
        if (it->second.busy) {
          it->second.removed = true;
          ++it;
        } else {
          idle_.erase({it->second.due, it->first});
          last_ok_.erase(it->first);
          it = hosts_.erase(it);
        }
      } else {
        ++it;
      }
    }
    for (auto& [id, url] : wanted) {
      auto it = hosts_.find(id);
      if (it == hosts_.end()) {
        HostState state;
        state.url = std::move(url);
        state.due = now + Jitter();
        idle_.emplace(state.due, id);
        hosts_.emplace(id, std::move(state));
      } else {
        it->second.url = std::move(url);
        it->second.removed = false;
      }
    }
  }

  void SchedulerLoop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      Steady::time_point now = Steady::now();
      if (now >= next_scan_) {
        // The store is read without the lock so workers can finish polls
        // meanwhile; a slow store delays scheduling, never Stop.
        lock.unlock();
        Result<std::vector<Target>> targets = ListTargets();
        if (!targets) {
          logger_.Warning("poller: list hosts (keeping the previous host list): " +
                          targets.error().ToString());
        }
        lock.lock();
        if (stopping_) {
          break;
        }
        now = Steady::now();
        if (targets) {
          Merge(std::move(*targets), now);
        }
        next_scan_ = now + options_.scan_interval;
      }
      // Earliest due first, while a worker slot is free.
      while (busy_ < slots_ && !idle_.empty() && idle_.begin()->first <= now) {
        auto [due, id] = *idle_.begin();
        idle_.erase(idle_.begin());
        HostState& state = hosts_.at(id);
        state.busy = true;
        ++busy_;
        queue_.push_back(Target{id, state.url});
        work_cv_.notify_one();
      }
      Steady::time_point wake = next_scan_;
      if (busy_ < slots_ && !idle_.empty()) {
        wake = std::min(wake, idle_.begin()->first);
      }
      // Woken early by Stop and by finished polls (a free slot or a new due
      // time); spurious wake-ups just re-run the loop.
      sched_cv_.wait_until(lock, wake);
    }
  }

  void WorkerLoop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        return;
      }
      Target target = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      const Steady::time_point started = Steady::now();
      PollOne(target);
      const Steady::duration jitter = Jitter();
      lock.lock();
      --busy_;
      auto it = hosts_.find(target.host_id);
      if (it != hosts_.end()) {
        if (it->second.removed) {
          last_ok_.erase(it->first);
          hosts_.erase(it);
        } else {
          it->second.busy = false;
          it->second.due = started + options_.interval + jitter;
          idle_.emplace(it->second.due, it->first);
        }
      }
      sched_cv_.notify_one();
    }
  }

  Store& store_;
  http::HttpClient& client_;
  const PollerHooks hooks_;
  const PollerOptions options_;
  const Clock& clock_;
  crypto::RandomSource& random_;
  Logger& logger_;
  Metrics* const metrics_;

  std::mutex random_mu_;
  std::mutex stop_mu_;
  std::atomic<bool> stopping_flag_{false};  // read by PollAllOnce without mu_

  std::mutex mu_;
  std::condition_variable sched_cv_;  // the scheduler waits here
  std::condition_variable work_cv_;   // idle workers wait here
  bool started_ = false;
  bool stopping_ = false;
  Steady::time_point next_scan_;
  std::map<std::string, HostState> hosts_;
  // Hosts not busy, by due time (ties by id): the earliest is begin().
  std::set<std::pair<Steady::time_point, std::string>> idle_;
  std::deque<Target> queue_;  // handed to workers; never longer than the free slots
  size_t busy_ = 0;           // queued + running polls
  size_t slots_ = 0;          // worker threads running: the in-flight bound
  // When each host's last poll succeeded (scheduled or PollAllOnce), named in
  // failure warnings so an operator sees how long a host has been dark.
  std::map<std::string, std::chrono::system_clock::time_point> last_ok_;
  std::thread scheduler_;
  std::vector<std::thread> workers_;
};

Result<std::unique_ptr<Poller>> Poller::Create(Store& store, http::HttpClient& client,
                                               PollerHooks hooks, PollerOptions options,
                                               const Clock& clock, crypto::RandomSource& random,
                                               Logger& logger, Metrics* metrics) {
  if (options.interval < std::chrono::seconds(1)) {
    return InvalidArgumentError("poller: interval must be at least 1 s, got " +
                                std::to_string(options.interval.count()) + " ms");
  }
  if (!(options.jitter >= 0.0 && options.jitter <= 1.0)) {
    return InvalidArgumentError("poller: jitter must be within [0, 1], got " +
                                std::to_string(options.jitter));
  }
  if (options.max_in_flight == 0 || options.max_in_flight > kMaxInFlight) {
    return InvalidArgumentError("poller: max_in_flight must be within 1.." +
                                std::to_string(kMaxInFlight) + ", got " +
                                std::to_string(options.max_in_flight));
  }
  if (options.scan_interval < std::chrono::milliseconds(1)) {
    return InvalidArgumentError("poller: scan_interval must be at least 1 ms, got " +
                                std::to_string(options.scan_interval.count()) + " ms");
  }
  for (uint32_t pcr : options.pcrs) {
    if (pcr >= kPcrCount) {
      return InvalidArgumentError("poller: pcrs: PCR " + std::to_string(pcr) +
                                  " out of range 0..23");
    }
  }
  std::sort(options.pcrs.begin(), options.pcrs.end());
  options.pcrs.erase(std::unique(options.pcrs.begin(), options.pcrs.end()), options.pcrs.end());
  if (!hooks.issue_nonce || !hooks.submit_evidence) {
    return InvalidArgumentError("poller: hooks.issue_nonce and hooks.submit_evidence are required");
  }
  auto impl = std::make_unique<Impl>(store, client, std::move(hooks), std::move(options), clock,
                                     random, logger, metrics);
  return std::unique_ptr<Poller>(new Poller(std::move(impl)));
}

Poller::Poller(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Poller::~Poller() { Stop(); }

void Poller::Start() { impl_->Start(); }

void Poller::Stop() { impl_->Stop(); }

Result<size_t> Poller::PollAllOnce() { return impl_->PollAllOnce(); }

}  // namespace vouch::verifier
