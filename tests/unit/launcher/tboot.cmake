# tboot plan/install/status (launcher/tboot): Debian's lcp2_mlehash and
# tb_polgen where installed (tests skip otherwise), the TXT heap fixture, a
# scratch root, FakeTpmDevice; the CLI binary for --dry-run and refusals.
vouch_add_test(NAME launcher_tboot_test
  SRCS tboot_plan_test.cc tboot_heap_test.cc tboot_install_test.cc tboot_status_test.cc
  DEPS vouch::launcher_tboot vouch::launcher_drtm vouch::policy_model vouch::eventlog
    vouch::crypto vouch::tpm_device vouch::testing)
target_compile_definitions(launcher_tboot_test PRIVATE
  VOUCH_LAUNCHER_BIN="$<TARGET_FILE:vouch-launcher>")
add_dependencies(launcher_tboot_test vouch-launcher)
