# The launch gate (launcher/gate/, docs/launcher-gate.md): libvirt domain XML,
# the verifier's launch decision client, the measure -> ask -> enforce logic.
find_package(LibXml2 REQUIRED)
vouch_add_library(NAME launcher_gate
  SRCS ${CMAKE_CURRENT_LIST_DIR}/gate/gate.cc
    ${CMAKE_CURRENT_LIST_DIR}/gate/libvirt_domain.cc
    ${CMAKE_CURRENT_LIST_DIR}/gate/verifier_client.cc
  HDRS ${CMAKE_CURRENT_LIST_DIR}/gate/gate.h
    ${CMAKE_CURRENT_LIST_DIR}/gate/libvirt_domain.h
    ${CMAKE_CURRENT_LIST_DIR}/gate/verifier_client.h
    ${CMAKE_CURRENT_LIST_DIR}/gate/vm_measurer.h
  DEPS vouch::base vouch::protocol vouch::http vouch::launcher_config
  PRIVATE_DEPS LibXml2::LibXml2 nlohmann_json::nlohmann_json)

target_link_libraries(vouch-launcher PRIVATE vouch::launcher_gate vouch::http_cpprest)
