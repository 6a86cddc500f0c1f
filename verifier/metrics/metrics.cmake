# vouch::verifier_metrics: counters and the Prometheus text of GET /v1/metrics.
vouch_add_library(NAME verifier_metrics
  SRCS ${CMAKE_CURRENT_LIST_DIR}/metrics.cc
  HDRS ${CMAKE_CURRENT_LIST_DIR}/metrics.h
  DEPS vouch::base vouch::verifier_store)
