# drivers/escpos decoder and picture, tools/ticket-render: hand-written
# ESC/POS bytes, truncations and random bytes (run in the ASan build too),
# the QR in the PNG read back with zbarimg, the tool's messages and exit
# codes, and bytes from an independent encoder (the npm package
# receiptline, installed on demand into the build tree).
hallq_unit_test(test_escpos_decode unit/escpos/test_decode.c hallq_escpos_decode)
hallq_unit_test(test_escpos_render unit/escpos/test_render.c hallq_escpos_render)

add_test(NAME ticket_render_cli
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/escpos_decode/test_ticket_render.sh
                 $<TARGET_FILE:ticket-render> ${CMAKE_CURRENT_BINARY_DIR}/ticket_render_cli)

add_test(NAME ticket_render_receiptline
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/escpos_decode/test_receiptline.sh
                 $<TARGET_FILE:ticket-render> ${PROJECT_BINARY_DIR}/escpos_decode_node)
set_tests_properties(ticket_render_receiptline PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
