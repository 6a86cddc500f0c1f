# The VM log step of the appraisal (verifier/core/appraisal.h) on evidence
# from FakeTpmDevice quotes with a real firmware log, and the launch decision
# (verifier/core/launch_decision.h) as a pure function. Hermetic (label unit).
vouch_add_test(NAME verifier_vm_appraisal_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/vm_appraisal_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/launch_decision_test.cc
       ${PROJECT_SOURCE_DIR}/tests/unit/policy/schema_check.cc
  DEPS vouch::verifier_core vouch::agent_evidence vouch::eventlog vouch::tpm_types vouch::crypto
       vouch::protocol vouch::policy_model nlohmann_json::nlohmann_json)
target_compile_definitions(verifier_vm_appraisal_test PRIVATE
  VOUCH_SCHEMAS_DIR="${PROJECT_SOURCE_DIR}/schemas")
# POST /v1/decisions/launch through VerifierApi::Handle over a real SQLite
# store in a temporary directory (hosts and reports seeded in the store):
# every answer checked against schemas/launch-decision.schema.json or
# error.schema.json. Hermetic (label unit).
vouch_add_test(NAME verifier_api_decisions_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/api_decisions_test.cc
       ${PROJECT_SOURCE_DIR}/tests/unit/policy/schema_check.cc
  DEPS vouch::verifier_api vouch::verifier_store vouch::protocol vouch::crypto
       nlohmann_json::nlohmann_json)
target_compile_definitions(verifier_api_decisions_test PRIVATE
  VOUCH_SCHEMAS_DIR="${PROJECT_SOURCE_DIR}/schemas")
