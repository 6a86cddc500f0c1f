# vouch::verifier_notify: signed webhooks on verdict and identity changes.
vouch_add_library(NAME verifier_notify
  SRCS ${CMAKE_CURRENT_LIST_DIR}/webhooks.cc
  HDRS ${CMAKE_CURRENT_LIST_DIR}/webhooks.h
  DEPS vouch::base vouch::http vouch::crypto vouch::verifier_metrics
  PRIVATE_DEPS nlohmann_json::nlohmann_json)
