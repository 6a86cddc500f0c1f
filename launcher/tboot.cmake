# tboot measured launch on real hardware: plan, install, status
# (docs/launcher-tboot.md).
vouch_add_library(NAME launcher_tboot
  SRCS ${CMAKE_CURRENT_SOURCE_DIR}/tboot/tool_runner.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/tboot/plan.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/tboot/txt_heap.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/tboot/install.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/tboot/status.cc
  HDRS ${CMAKE_CURRENT_SOURCE_DIR}/tboot/tool_runner.h
    ${CMAKE_CURRENT_SOURCE_DIR}/tboot/plan.h
    ${CMAKE_CURRENT_SOURCE_DIR}/tboot/txt_heap.h
    ${CMAKE_CURRENT_SOURCE_DIR}/tboot/install.h
    ${CMAKE_CURRENT_SOURCE_DIR}/tboot/status.h
  DEPS vouch::base vouch::tpm_types vouch::policy_model
  PRIVATE_DEPS vouch::launcher_drtm vouch::crypto vouch::eventlog nlohmann_json::nlohmann_json)
target_link_libraries(vouch-launcher PRIVATE vouch::launcher_tboot)
