// Access to the shared real-world fixtures (../shared/fixtures).
//
// The directory comes from the VOUCH_FIXTURES_DIR environment variable (ctest
// sets it from the CMake cache variable of the same name). Tests that need
// fixtures call FixturesDirOrSkip() through VOUCH_REQUIRE_FIXTURES(), which
// skips with a message naming the missing path. CI sets VOUCH_REQUIRE_FIXTURES=1
// in the environment, which turns a missing directory into a failure instead.
#ifndef VOUCH_TESTS_TESTING_FIXTURES_H_
#define VOUCH_TESTS_TESTING_FIXTURES_H_

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace vouch::testing {

// The fixtures root (containing eventlogs/), or nullopt when absent.
std::optional<std::filesystem::path> FixturesDir();
// Whether a missing fixtures directory must fail rather than skip.
bool FixturesRequired();
// Reads a whole file.
Result<Bytes> ReadFileBytes(const std::filesystem::path& path);
Result<std::string> ReadFileText(const std::filesystem::path& path);

// Writes `data` to `path`, replacing its contents (creating the file when
// absent); Internal naming the path when the file cannot be written.
Status WriteFileBytes(const std::filesystem::path& path, ByteView data);
// Event-log fixture files: the binary logs in eventlogs/ (names without a
// side-file suffix such as .yaml, .json, .txt, .sh, .stderr, .warn), sorted.
// The raw TXT heap dump (isecl__txt_heap_info.bin) is not a log and is left out.
std::vector<std::filesystem::path> EventLogFixtures(const std::filesystem::path& root);

}  // namespace vouch::testing

// In a TEST body: binds `var` to the fixtures root or skips/fails.
#define VOUCH_REQUIRE_FIXTURES(var)                                             \
  auto var##_opt = ::vouch::testing::FixturesDir();                             \
  if (!var##_opt) {                                                             \
    if (::vouch::testing::FixturesRequired()) {                                 \
      FAIL() << "fixtures directory missing (VOUCH_FIXTURES_DIR) and required"; \
    }                                                                           \
    GTEST_SKIP() << "fixtures directory not found (set VOUCH_FIXTURES_DIR to "  \
                    "../shared/fixtures); skipping";                            \
  }                                                                             \
  const std::filesystem::path var = *var##_opt

#endif  // VOUCH_TESTS_TESTING_FIXTURES_H_
