# vouch::agent_state against swtpm: AK lifecycle, restart, another TPM,
# enrollment round trip with a software verifier (labelled "integration").
vouch_add_test(NAME agent_state_integration_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/state_integration_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/../tpm2_tools_helpers.cc
  DEPS vouch::agent_state vouch::protocol vouch::tpm_device vouch::tpm_types vouch::crypto
  LABELS integration
  TIMEOUT 300)
