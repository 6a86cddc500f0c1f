# vouch::verifier_store: the verifier's Store interface (store.h) and its
# SQLite implementation (sqlite_store.h). SQLiteCpp is a private dependency:
# only sqlite_store.cc includes it.
find_package(SQLiteCpp REQUIRED)
vouch_add_library(NAME verifier_store
  SRCS ${CMAKE_CURRENT_LIST_DIR}/sqlite_store.cc
  HDRS ${CMAKE_CURRENT_LIST_DIR}/store.h ${CMAKE_CURRENT_LIST_DIR}/sqlite_store.h
  DEPS vouch::base
  PRIVATE_DEPS SQLiteCpp SQLite::SQLite3)
