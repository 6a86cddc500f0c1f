# Unit tests of vouch::verifier_store (SQLite files in temporary directories;
# no servers). store_durability_test forks a writer and SIGKILLs it.
find_package(SQLite3 REQUIRED)
vouch_add_test(NAME verifier_store_unit_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/store_test.cc ${CMAKE_CURRENT_LIST_DIR}/store_durability_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/store_v2_test.cc
  DEPS vouch::verifier_store SQLite::SQLite3)
