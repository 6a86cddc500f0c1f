# The launch gate end to end: vouch-launcher run / libvirt-hook (and
# packaging/libvirt/qemu) against a vouch-verifier process on loopback, with
# a swtpm; the trusted-host case also runs vouch-agent on the shared fixtures.
vouch_add_test(NAME launcher_gate_integration_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/gate_integration_test.cc
  DEPS vouch::http_cpprest vouch::crypto vouch::protocol nlohmann_json::nlohmann_json
  LABELS integration
  TIMEOUT 180)
target_compile_definitions(launcher_gate_integration_test PRIVATE
  VOUCH_LAUNCHER_BINARY="$<TARGET_FILE:vouch-launcher>"
  VOUCH_VERIFIER_BINARY="$<TARGET_FILE:vouch-verifier>"
  VOUCH_AGENT_BINARY="$<TARGET_FILE:vouch-agent>"
  VOUCH_LIBVIRT_HOOK_SCRIPT="${PROJECT_SOURCE_DIR}/packaging/libvirt/qemu"
  VOUCH_LIBVIRT_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data/libvirt")
add_dependencies(launcher_gate_integration_test vouch-launcher vouch-verifier vouch-agent)
