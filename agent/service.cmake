# vouch::agent_service: pull-mode API handlers, the TPM-backed evidence
# service, push mode and enrollment over HTTP (HTTP through core/http's
# interfaces only).
vouch_add_library(NAME agent_service
  SRCS service.cc push.cc
  HDRS service.h push.h
  DEPS vouch::agent_state vouch::agent_evidence vouch::http vouch::protocol vouch::crypto
       vouch::tpm_device
  PRIVATE_DEPS nlohmann_json::nlohmann_json)

add_executable(vouch-agent main.cc commands.cc)
target_link_libraries(vouch-agent PRIVATE vouch::agent_service vouch::http_cpprest
  CLI11::CLI11 nlohmann_json::nlohmann_json)
target_include_directories(vouch-agent PRIVATE ${PROJECT_SOURCE_DIR})
_vouch_warnings(vouch-agent)
install(TARGETS vouch-agent RUNTIME DESTINATION sbin)
