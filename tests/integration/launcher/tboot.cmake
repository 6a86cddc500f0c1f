# tboot plan -> emulate-launch -> status, and install with --tcti writing the
# VLP NV index, on swtpm with Debian's tboot tools (skipped without them).
vouch_add_test(NAME launcher_tboot_integration_test
  SRCS tboot_integration_test.cc
  DEPS vouch::launcher_tboot vouch::policy_model vouch::tpm_device vouch::testing
    nlohmann_json::nlohmann_json
  LABELS integration
  TIMEOUT 120)
target_compile_definitions(launcher_tboot_integration_test PRIVATE
  VOUCH_LAUNCHER_BIN="$<TARGET_FILE:vouch-launcher>")
add_dependencies(launcher_tboot_integration_test vouch-launcher)
