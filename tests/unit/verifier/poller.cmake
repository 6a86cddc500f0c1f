# Unit tests of vouch::verifier_poller: in-memory store, scripted HTTP
# client, recording hooks, scripted randomness (no network). The scheduling
# tests run on real time (1 s minimum interval): about 5 s in all.
vouch_add_test(NAME verifier_poller_unit_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/poller_test.cc
  DEPS vouch::verifier_poller vouch::protocol)
