# Evidence assembly on swtpm (ESAPI TpmDevice, RSA and ECC AKs): the wire
# round trip, core's VerifyQuote and tpm2_checkquote, reboot, PCR 15, logs,
# handle leaks over 2,000 collections; FakeTpmDevice quotes vs tpm2_checkquote.
vouch_add_test(NAME agent_evidence_integration_test
  SRCS evidence_integration_test.cc
  DEPS vouch::agent_evidence vouch::tpm_device vouch::tpm_types vouch::crypto vouch::protocol
  LABELS integration
  TIMEOUT 180)
