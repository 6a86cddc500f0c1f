# vouch-agent as a process: init, quote, serve (HTTPS, client certs, bad
# requests, SIGTERM), enroll and push against an in-test verifier stand-in.
vouch_add_test(NAME vouch_agent_e2e_test
  SRCS vouch_agent_e2e_test.cc
  DEPS vouch::http_cpprest vouch::protocol vouch::tpm_types vouch::crypto vouch::verifier_registrar
       nlohmann_json::nlohmann_json
  LABELS integration
  TIMEOUT 300)
target_compile_definitions(vouch_agent_e2e_test PRIVATE
  VOUCH_AGENT_BINARY="$<TARGET_FILE:vouch-agent>")
add_dependencies(vouch_agent_e2e_test vouch-agent)
