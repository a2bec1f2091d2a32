# hostd as a systemd service (packaging/, docs/operations.md): the
# notification protocol on a real datagram socket, the tokens reload on
# SIGHUP, the unit checked by systemd-analyze, and the .deb's contents.
add_test(NAME service_notify
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/service/test_notify.py ${PROJECT_BINARY_DIR})
set_tests_properties(service_notify PROPERTIES TIMEOUT 300)
# The tokens file: its mode, and lookups in constant time (tokens.c).
hallq_unit_test(test_tokens unit/api/test_tokens.c hallq_api)
# SIGHUP reads the tokens file again; a bad one keeps the old tokens.
add_test(NAME service_tokens_reload
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/service/test_tokens_reload.py ${PROJECT_BINARY_DIR})
set_tests_properties(service_tokens_reload PROPERTIES TIMEOUT 300)
# `cmake --install` and `cpack -G DEB`: the unit verified, the package's
# control fields and files (the clean-system install: scripts/check-package).
add_test(NAME service_package
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/service/test_package.sh ${PROJECT_BINARY_DIR}
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(service_package PROPERTIES TIMEOUT 600)
