// Helpers of the tboot plan/install/status tests: a scratch directory, a
// recording ToolRunner, and whether Debian's tboot tools are installed.
#ifndef VOUCH_TESTS_UNIT_LAUNCHER_TBOOT_TEST_UTIL_H_
#define VOUCH_TESTS_UNIT_LAUNCHER_TBOOT_TEST_UTIL_H_

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "launcher/tboot/tool_runner.h"

namespace vouch::launcher::tboot::test {

// A fresh directory under $TMPDIR (or /tmp), removed on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = ::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/vouch-tboot-test-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) != nullptr) path_ = buf.data();
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

inline void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Whether `tool` is an executable in /usr/sbin, /sbin or PATH.
inline bool HaveTool(const std::string& tool) {
  std::vector<std::string> dirs = {"/usr/sbin", "/sbin", "/usr/bin"};
  if (const char* path = ::getenv("PATH")) {
    std::string p = path;
    size_t start = 0;
    while (start <= p.size()) {
      const size_t colon = p.find(':', start);
      dirs.push_back(
          p.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  for (const std::string& d : dirs) {
    if (!d.empty() && ::access((d + "/" + tool).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// Records every command and answers with `answer` (default: exit 0, no
// output).
class RecordingToolRunner final : public ToolRunner {
 public:
  Result<ToolOutput> Run(const std::vector<std::string>& argv) override {
    calls.push_back(argv);
    if (answer) return answer(argv);
    return ToolOutput{};
  }
  std::vector<std::vector<std::string>> calls;
  std::function<Result<ToolOutput>(const std::vector<std::string>&)> answer;
};

}  // namespace vouch::launcher::tboot::test

#endif  // VOUCH_TESTS_UNIT_LAUNCHER_TBOOT_TEST_UTIL_H_
