# Evidence assembly (agent/evidence_collector.h) against FakeTpmDevice and
# temporary files; hermetic (label unit).
vouch_add_test(NAME agent_evidence_test
  SRCS evidence_collector_test.cc evidence_file_log_source_test.cc
  DEPS vouch::agent_evidence vouch::tpm_types vouch::crypto vouch::protocol)
