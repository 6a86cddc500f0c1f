# VM measurement (issue 5; docs/launcher-vm.md): hashing a component in every
# active bank in one pass (multi_hasher), the VM log's writer side under the
# agent's lock protocol (vm_log_writer), and measure-vm itself (measure_vm).
find_package(Threads REQUIRED)
vouch_add_library(NAME launcher_vm
  SRCS ${CMAKE_CURRENT_SOURCE_DIR}/vm/multi_hasher.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/vm/vm_log_writer.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/vm/measure_vm.cc
  HDRS ${CMAKE_CURRENT_SOURCE_DIR}/vm/multi_hasher.h
    ${CMAKE_CURRENT_SOURCE_DIR}/vm/vm_log_writer.h
    ${CMAKE_CURRENT_SOURCE_DIR}/vm/measure_vm.h
  DEPS vouch::base vouch::tpm_types vouch::tpm_device vouch::protocol
  PRIVATE_DEPS vouch::crypto nlohmann_json::nlohmann_json Threads::Threads)
target_link_libraries(vouch-launcher PRIVATE vouch::launcher_vm)
