#include "tests/testing/fixtures.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace vouch::testing {

std::optional<std::filesystem::path> FixturesDir() {
  const char* env = std::getenv("VOUCH_FIXTURES_DIR");
  std::filesystem::path p = env != nullptr ? env : "";
  std::error_code ec;
  if (p.empty() || !std::filesystem::is_directory(p / "eventlogs", ec)) return std::nullopt;
  return p;
}

bool FixturesRequired() {
  const char* env = std::getenv("VOUCH_REQUIRE_FIXTURES");
  return env != nullptr && std::string(env) == "1";
}

Result<Bytes> ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + path.string());
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return data;
}

Result<std::string> ReadFileText(const std::filesystem::path& path) {
  VOUCH_ASSIGN_OR_RETURN(Bytes b, ReadFileBytes(path));
  return std::string(b.begin(), b.end());
}

Status WriteFileBytes(const std::filesystem::path& path, ByteView data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return InternalError("cannot write " + path.string());
  return Status::Ok();
}

std::vector<std::filesystem::path> EventLogFixtures(const std::filesystem::path& root) {
  static const char* kSideSuffixes[] = {".yaml", ".json", ".txt", ".sh", ".stderr", ".warn"};
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(root / "eventlogs")) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    if (name == "README.md" || name == "SHA256SUMS" || name == "isecl__txt_heap_info.bin") continue;
    bool side = false;
    for (const char* s : kSideSuffixes) {
      std::string suf(s);
      if (name.size() >= suf.size() &&
          name.compare(name.size() - suf.size(), suf.size(), suf) == 0) {
        side = true;
      }
    }
    if (!side) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace vouch::testing
