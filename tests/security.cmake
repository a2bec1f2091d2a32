# docs/security.md made checkable: SQL is only ever written out, with
# values bound (scripts/check-sql), and the check catches what it must.
add_test(NAME check_sql COMMAND ${PROJECT_SOURCE_DIR}/scripts/check-sql)
add_test(NAME check_sql_catches
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/security/test_check_sql.sh ${PROJECT_SOURCE_DIR})
# The headers that keep the pages to the hall server's own files.
add_test(NAME security_headers
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/security/test_headers.py ${PROJECT_BINARY_DIR}
                 ${PROJECT_SOURCE_DIR})
