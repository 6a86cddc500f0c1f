# vouch::agent_state: the agent's configuration, state directory, attestation
# key lifecycle, host facts and its side of enrollment (agent/config.h,
# state_dir.h, ak.h, host_facts.h, enroll.h).
vouch_add_library(NAME agent_state
  SRCS ${CMAKE_CURRENT_LIST_DIR}/config.cc ${CMAKE_CURRENT_LIST_DIR}/state_dir.cc
       ${CMAKE_CURRENT_LIST_DIR}/ak.cc ${CMAKE_CURRENT_LIST_DIR}/host_facts.cc
       ${CMAKE_CURRENT_LIST_DIR}/enroll.cc
  HDRS ${CMAKE_CURRENT_LIST_DIR}/config.h ${CMAKE_CURRENT_LIST_DIR}/state_dir.h
       ${CMAKE_CURRENT_LIST_DIR}/ak.h ${CMAKE_CURRENT_LIST_DIR}/host_facts.h
       ${CMAKE_CURRENT_LIST_DIR}/enroll.h
  DEPS vouch::base vouch::tpm_types vouch::tpm_device vouch::protocol vouch::crypto
  PRIVATE_DEPS nlohmann_json::nlohmann_json)
target_compile_definitions(vouch_agent_state PRIVATE VOUCH_AGENT_VERSION="${PROJECT_VERSION}")
