# vouch::verifier_config: vouch-verifier's configuration file (config.h),
# bearer tokens and their roles (auth.h), and the `token new|hash`
# subcommands (token_cmd.h). No sockets, no store.
vouch_add_library(NAME verifier_config
  SRCS ${CMAKE_CURRENT_LIST_DIR}/config.cc ${CMAKE_CURRENT_LIST_DIR}/auth.cc
       ${CMAKE_CURRENT_LIST_DIR}/token_cmd.cc
  HDRS ${CMAKE_CURRENT_LIST_DIR}/config.h ${CMAKE_CURRENT_LIST_DIR}/auth.h
       ${CMAKE_CURRENT_LIST_DIR}/token_cmd.h
  DEPS vouch::base vouch::crypto
  PRIVATE_DEPS OpenSSL::Crypto)
