# The launch gate (launcher/gate): libvirt domain XML samples, the verifier
# client and token file rules, the measure -> ask -> enforce/audit logic with
# a fake measurer and a fake HTTP client (execs /usr/bin/touch in a child).
vouch_add_test(NAME launcher_gate_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/libvirt_domain_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/gate_test.cc
  DEPS vouch::launcher_gate vouch::protocol vouch::testing)
target_compile_definitions(launcher_gate_test PRIVATE
  VOUCH_LIBVIRT_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data/libvirt")
