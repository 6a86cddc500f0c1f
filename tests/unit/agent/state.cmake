# Unit tests of vouch::agent_state (agent/config, state_dir, ak, host_facts,
# enroll): hermetic, no TPM (an in-memory TPM models the AK lifecycle).
vouch_add_test(NAME agent_state_unit_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/state_config_test.cc ${CMAKE_CURRENT_LIST_DIR}/state_dir_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/state_ak_test.cc ${CMAKE_CURRENT_LIST_DIR}/state_host_facts_test.cc
  DEPS vouch::agent_state vouch::protocol vouch::tpm_types)
target_compile_definitions(agent_state_unit_test PRIVATE
  VOUCH_SOURCE_DIR="${PROJECT_SOURCE_DIR}" VOUCH_PROJECT_VERSION="${PROJECT_VERSION}")
