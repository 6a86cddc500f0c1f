# vouch::verifier_notify with a fake HTTP client: signatures (checked against
# OpenSSL's HMAC() directly), retry policy, queue limits, Stop and Flush, and
# the event document against schemas/webhook-event.schema.json. Hermetic
# (label unit).
vouch_add_test(NAME verifier_webhooks_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/webhooks_test.cc
       ${PROJECT_SOURCE_DIR}/tests/unit/policy/schema_check.cc
  DEPS vouch::verifier_notify nlohmann_json::nlohmann_json OpenSSL::Crypto)
target_compile_definitions(verifier_webhooks_test PRIVATE
  VOUCH_SCHEMAS_DIR="${PROJECT_SOURCE_DIR}/schemas")
