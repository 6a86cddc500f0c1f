# vouch::verifier_registrar: enrollment checks and the credential challenge
# (pure; the HTTP layer stores records through verifier/store's interface).
vouch_add_library(NAME verifier_registrar
  SRCS ${CMAKE_CURRENT_LIST_DIR}/registrar.cc
  HDRS ${CMAKE_CURRENT_LIST_DIR}/registrar.h
  DEPS vouch::base vouch::crypto vouch::tpm_types vouch::protocol)
target_include_directories(vouch_verifier_registrar PUBLIC ${PROJECT_SOURCE_DIR})
