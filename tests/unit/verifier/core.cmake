# The appraisal pipeline (verifier/core) on real evidence: quotes from
# FakeTpmDevice (software P-256 AK, real TPMS_ATTEST) assembled by the agent's
# EvidenceCollector, with real firmware and TXT logs from the fixtures.
# Hermetic (label unit).
vouch_add_test(NAME verifier_core_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/core_appraisal_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/core_reference_set_test.cc
  DEPS vouch::verifier_core vouch::agent_evidence vouch::eventlog vouch::tpm_types vouch::crypto
       vouch::protocol)
