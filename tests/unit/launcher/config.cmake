# launcher/config: /etc/vouch/launcher.conf parsing and its example file.
vouch_add_test(NAME launcher_config_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/config_test.cc
  DEPS vouch::launcher_config vouch::testing)
target_compile_definitions(launcher_config_test PRIVATE
  VOUCH_LAUNCHER_CONF_EXAMPLE="${PROJECT_SOURCE_DIR}/launcher/launcher.conf.example")
