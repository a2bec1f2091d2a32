# drivers/escpos: the ticket layout (golden tickets, an independent model,
# bad input) and the printer's status bytes.
add_executable(test_escpos_status unit/escpos/test_status.c)
target_link_libraries(test_escpos_status PRIVATE hallq_escpos dep::cmocka)
add_test(NAME test_escpos_status COMMAND test_escpos_status)

add_test(NAME escpos_ticket_golden
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/escpos/test_ticket_golden.py ${PROJECT_BINARY_DIR})
set_tests_properties(escpos_ticket_golden PROPERTIES TIMEOUT 300)

# hostd -> kiosk-fw -> drivers/escpos -> paper (a file printer), decoded.
add_test(NAME kiosk_escpos
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/escpos/test_kiosk_escpos.py ${PROJECT_BINARY_DIR})
set_tests_properties(kiosk_escpos PROPERTIES TIMEOUT 300)
