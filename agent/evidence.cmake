# vouch::agent_evidence: evidence assembly (one quote over every active bank,
# the PCR values it covers, the measurement logs read under the launcher's
# lock protocol, host facts).
vouch_add_library(NAME agent_evidence
  SRCS evidence_collector.cc
  HDRS evidence_collector.h
  DEPS vouch::base vouch::tpm_types vouch::tpm_device vouch::protocol)
