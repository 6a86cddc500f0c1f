# vouch::verifier_metrics: exact Prometheus text, format check, concurrent
# recording. Hermetic (label unit).
vouch_add_test(NAME verifier_metrics_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/metrics_test.cc
  DEPS vouch::verifier_metrics)
