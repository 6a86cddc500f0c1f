# measure-vm and vm-log through the real vouch-launcher on swtpm: a 4 GiB
# sparse image vs openssl's sha256 and the PCR 15 replay, the
# kill-after-append crash (VOUCH_LAUNCHER_FAULT, test only) and its
# roll-forward, a missing file, forced rotation.
vouch_add_test(NAME launcher_vm_integration_test
  SRCS ${CMAKE_CURRENT_SOURCE_DIR}/vm_integration_test.cc
  DEPS vouch::tpm_device vouch::protocol vouch::tpm_types nlohmann_json::nlohmann_json
  LABELS integration
  TIMEOUT 180)
target_compile_definitions(launcher_vm_integration_test PRIVATE
  VOUCH_LAUNCHER_BIN="$<TARGET_FILE:vouch-launcher>")
add_dependencies(launcher_vm_integration_test vouch-launcher)
