# Pull-mode API handlers and push client (no TPM, no sockets).
vouch_add_test(NAME agent_service_test
  SRCS service_test.cc push_test.cc
  DEPS vouch::agent_service nlohmann_json::nlohmann_json)

vouch_add_test(NAME agent_config_example_test
  SRCS config_example_test.cc
  DEPS vouch::agent_state)
target_compile_definitions(agent_config_example_test PRIVATE
  VOUCH_AGENT_CONF_EXAMPLE="${PROJECT_SOURCE_DIR}/agent/agent.conf.example")

vouch_add_test(NAME agent_evidence_service_test
  SRCS evidence_service_test.cc
  DEPS vouch::agent_service vouch::tpm_types)
