# The VM measurement log (core/protocol/vm_log.h) and the launch decision
# documents (core/protocol/decision.h): round trips, refusals naming the
# member, torn and malformed lines with exact offsets, replay against an
# independent computation, and the documents checked against their schemas.
vouch_add_test(NAME protocol_vm_log_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/vm_log_test.cc ${CMAKE_CURRENT_LIST_DIR}/decision_test.cc
       ${PROJECT_SOURCE_DIR}/tests/unit/policy/schema_check.cc
  DEPS vouch::protocol vouch::crypto nlohmann_json::nlohmann_json)
target_compile_definitions(protocol_vm_log_test PRIVATE
  VOUCH_SCHEMAS_DIR="${PROJECT_SOURCE_DIR}/schemas"
  VOUCH_PROTOCOL_SEEDS_DIR="${PROJECT_SOURCE_DIR}/tests/fuzz/seeds/protocol")
