# vouch::verifier_core: the appraisal pipeline (appraisal.h): pure functions
# over decoded evidence, the enrolled host, the issued nonce and the reference
# values, and the launch decision (launch_decision.h); no I/O, no clock, no
# store.
vouch_add_library(NAME verifier_core
  SRCS ${CMAKE_CURRENT_LIST_DIR}/appraisal.cc ${CMAKE_CURRENT_LIST_DIR}/reference_set.cc
       ${CMAKE_CURRENT_LIST_DIR}/launch_decision.cc
  HDRS ${CMAKE_CURRENT_LIST_DIR}/appraisal.h ${CMAKE_CURRENT_LIST_DIR}/launch_decision.h
  DEPS vouch::base vouch::tpm_types vouch::crypto vouch::eventlog vouch::protocol
    vouch::policy_model)
