# hostd's HTTP API over loopback against docs/api.md: every endpoint and
# window operation, the roles, bad input that changes nothing, the
# server-sent events resumed with Last-Event-ID (tests/api/test_api.py:
# python3's standard library).
add_test(NAME api_endpoints
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/api/test_api.py ${PROJECT_BINARY_DIR})
set_tests_properties(api_endpoints PROPERTIES TIMEOUT 300)
