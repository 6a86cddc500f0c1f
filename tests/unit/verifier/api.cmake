# vouch::verifier_api in process (VerifierApi::Handle, no HTTP) over a real
# SQLite store in a temporary directory; evidence from FakeTpmDevice quotes
# assembled by the agent's EvidenceCollector over a real firmware log. Every
# response body is checked against its schema in schemas/. Hermetic (label
# unit).
vouch_add_test(NAME verifier_api_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/api_test.cc ${PROJECT_SOURCE_DIR}/tests/unit/policy/schema_check.cc
  DEPS vouch::verifier_api vouch::verifier_store vouch::agent_evidence vouch::eventlog
       vouch::tpm_types vouch::protocol vouch::crypto nlohmann_json::nlohmann_json)
target_compile_definitions(verifier_api_test PRIVATE
  VOUCH_SCHEMAS_DIR="${PROJECT_SOURCE_DIR}/schemas")
