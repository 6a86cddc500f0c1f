// VM image hashing throughput (issue 5): the launcher's hasher
// (launcher/vm/multi_hasher.h) on one page-cached file of real (pseudo-
// random, not zero) data, against `openssl dgst -sha256` run as a process on
// the same file in the same run. Rounds alternate the subjects so machine
// noise hits all alike; medians are reported, and ratios, never absolute
// targets.
//
// Targets: single bank (sha256) throughput >= 0.9x openssl's; all three banks
// (sha1 + sha256 + sha384) in one pass <= 1.6x the single-bank time.
//
// Run: build/bench/vm_hash_bench [--size-mib N] [--rounds N] [--buffer-kib N]
//      [--buffers N] [--dir DIR]
// (defaults: 1024 MiB, 5 rounds, the hasher's default buffers, $TMPDIR).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "launcher/vm/multi_hasher.h"

extern char** environ;

namespace {

using vouch::HashAlg;
using vouch::launcher::HashFile;
using vouch::launcher::HashFileOptions;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double Seconds(const std::function<bool()>& fn) {
  const auto start = std::chrono::steady_clock::now();
  if (!fn()) {
    std::fprintf(stderr, "vm_hash_bench: a run failed\n");
    std::exit(1);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// `openssl dgst -sha256 FILE` with its stdout discarded; true on exit 0.
bool RunOpenssl(const std::string& path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> args = {"openssl", "dgst", "-sha256", path};
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "openssl", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return false;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool WriteRandomFile(const std::string& path, size_t bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::mt19937_64 rng(42);
  std::vector<uint64_t> chunk((size_t{4} << 20) / sizeof(uint64_t));
  size_t done = 0;
  bool ok = true;
  while (ok && done < bytes) {
    for (uint64_t& w : chunk) w = rng();
    const size_t n = std::min(bytes - done, chunk.size() * sizeof(uint64_t));
    ok = ::write(fd, chunk.data(), n) == static_cast<ssize_t>(n);
    done += n;
  }
  ::close(fd);
  return ok;
}

}  // namespace

int Run(int argc, char** argv) {
  size_t size_mib = 1024;
  int rounds = 5;
  HashFileOptions options;
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--size-mib") {
      size_mib = std::stoul(value);
    } else if (flag == "--rounds") {
      rounds = std::stoi(value);
    } else if (flag == "--buffer-kib") {
      options.buffer_bytes = std::stoul(value) * 1024;
    } else if (flag == "--buffers") {
      options.buffers = std::stoul(value);
    } else if (flag == "--dir") {
      dir = value;
    } else {
      std::fprintf(stderr, "vm_hash_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  const std::string path = dir + "/vouch-vm-hash-bench-" + std::to_string(::getpid()) + ".img";
  const size_t bytes = size_mib << 20;
  std::printf(
      "vm_hash_bench: %zu MiB of pseudo-random data in %s, %d rounds, buffers %zu x %zu "
      "KiB, %u CPUs\n",
      size_mib, path.c_str(), rounds, options.buffers, options.buffer_bytes / 1024,
      std::thread::hardware_concurrency());
  if (!WriteRandomFile(path, bytes)) {
    std::fprintf(stderr, "vm_hash_bench: cannot write %s\n", path.c_str());
    return 1;
  }

  const std::vector<HashAlg> one = {HashAlg::kSha256};
  const std::vector<HashAlg> two = {HashAlg::kSha1, HashAlg::kSha256};
  const std::vector<HashAlg> three = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384};
  auto hash = [&](const std::vector<HashAlg>& banks, bool single_thread) {
    HashFileOptions o = options;
    o.single_thread = single_thread;
    return [&path, banks, o] {
      auto r = HashFile(path, banks, o);
      return r.has_value() && r->size > 0;
    };
  };
  struct Subject {
    const char* name;
    std::function<bool()> run;
    std::vector<double> seconds;
  };
  std::vector<Subject> subjects = {
      {"openssl dgst -sha256 (process)", [&] { return RunOpenssl(path); }, {}},
      {"launcher sha256", hash(one, false), {}},
      {"launcher sha1+sha256", hash(two, false), {}},
      {"launcher sha1+sha256+sha384", hash(three, false), {}},
      {"launcher sha256, one thread", hash(one, true), {}},
      {"launcher sha384 alone", hash({HashAlg::kSha384}, false), {}},
  };
  // Warm-up: puts the file in the page cache (and checks every subject runs).
  for (Subject& s : subjects) Seconds(s.run);
  for (int r = 0; r < rounds; ++r) {
    for (Subject& s : subjects) s.seconds.push_back(Seconds(s.run));
  }
  ::unlink(path.c_str());

  const double mib = static_cast<double>(size_mib);
  for (const Subject& s : subjects) {
    const double t = Median(s.seconds);
    std::printf("  %-34s median %.3f s  %7.0f MiB/s\n", s.name, t, mib / t);
  }
  const double openssl = Median(subjects[0].seconds);
  const double single = Median(subjects[1].seconds);
  const double pair = Median(subjects[2].seconds);
  const double triple = Median(subjects[3].seconds);
  const double sha384 = Median(subjects[5].seconds);
  std::printf("single bank throughput vs openssl: %.2fx (target >= 0.9)\n", openssl / single);
  std::printf("three banks vs single bank time: %.2fx (target <= 1.6)\n", triple / single);
  std::printf("two banks (sha1+sha256) vs single bank time: %.2fx\n", pair / single);
  std::printf(
      "sha384 alone vs sha256 alone: %.2fx (the floor of the three-bank ratio: one bank "
      "is hashed by one thread)\n",
      sha384 / single);
  return 0;
}

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {  // std::stoul on a bad flag value
    std::fprintf(stderr, "vm_hash_bench: %s\n", e.what());
    return 2;
  }
}
