# vouch::verifier_config: configuration keys and errors, the example file and
# docs/verifier.md in sync, token specs, the bearer authenticator and the
# `token new|hash` commands. Hermetic (label unit).
vouch_add_test(NAME verifier_config_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/config_test.cc ${CMAKE_CURRENT_LIST_DIR}/config_auth_test.cc
  DEPS vouch::verifier_config)
target_compile_definitions(verifier_config_test PRIVATE VOUCH_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
