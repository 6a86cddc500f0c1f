# launcher/vm (issue 5): multi-bank hashing against crypto::Digest, the VM
# log's writer side on FakeTpmDevice in temp dirs (append + extend, torn
# tail, roll-forward, rotation, concurrent writers, the agent's LOCK_SH),
# measure-vm's orchestration.
vouch_add_test(NAME launcher_vm_test
  SRCS ${CMAKE_CURRENT_SOURCE_DIR}/multi_hasher_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/vm_log_writer_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/measure_vm_test.cc
  DEPS vouch::launcher_vm vouch::protocol vouch::crypto nlohmann_json::nlohmann_json)
