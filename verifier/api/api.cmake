# vouch::verifier_api: the REST API handlers (plain functions over core/http).
vouch_add_library(NAME verifier_api
  SRCS ${CMAKE_CURRENT_LIST_DIR}/api.cc ${CMAKE_CURRENT_LIST_DIR}/api_hosts.cc
       ${CMAKE_CURRENT_LIST_DIR}/api_references.cc ${CMAKE_CURRENT_LIST_DIR}/api_internal.cc
       ${CMAKE_CURRENT_LIST_DIR}/api_decisions.cc
  HDRS ${CMAKE_CURRENT_LIST_DIR}/api.h
  DEPS vouch::verifier_core vouch::verifier_registrar vouch::verifier_store vouch::http
       vouch::protocol vouch::crypto vouch::policy_model vouch::verifier_config
       vouch::verifier_metrics vouch::verifier_notify
  PRIVATE_DEPS nlohmann_json::nlohmann_json)
