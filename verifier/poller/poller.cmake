# vouch::verifier_poller: pull mode (the verifier polls agents' /v1/evidence
# on a jittered schedule with a bounded number of polls in flight).
vouch_add_library(NAME verifier_poller
  SRCS ${CMAKE_CURRENT_LIST_DIR}/poller.cc
  HDRS ${CMAKE_CURRENT_LIST_DIR}/poller.h
  DEPS vouch::base vouch::http vouch::crypto vouch::protocol vouch::verifier_store
    vouch::verifier_metrics)
