# drivers/escpos transports: the libusb one against a printer mocked with
# umockdev (usbmock runs usbclient under umockdev-wrapper), the file: and
# dev: ones against a plain file and a pseudo-terminal.

add_executable(escpos_usbclient escpos_usb/usbclient.c)
target_link_libraries(escpos_usbclient PRIVATE hallq_escpos)

add_executable(escpos_usbmock escpos_usb/usbmock.c)
target_link_libraries(escpos_usbmock PRIVATE hallq_proto dep::umockdev)

foreach(scenario write status unplug none)
  add_test(NAME escpos_usb_${scenario}
           COMMAND escpos_usbmock ${scenario} $<TARGET_FILE:escpos_usbclient>)
  # The wrapper preloads its library ahead of ASan's runtime.
  set_tests_properties(escpos_usb_${scenario} PROPERTIES
                       TIMEOUT 120
                       ENVIRONMENT "ASAN_OPTIONS=verify_asan_link_order=0")
endforeach()

add_executable(test_escpos_ports escpos_usb/test_ports.c)
target_link_libraries(test_escpos_ports PRIVATE hallq_escpos Threads::Threads dep::cmocka)
add_test(NAME test_escpos_ports COMMAND test_escpos_ports)
set_tests_properties(test_escpos_ports PROPERTIES TIMEOUT 60)

# hostd -> Modbus TCP -> kiosk-fw -> libusb -> the mocked printer (usbmock
# serve): tickets decoded from what the printer took, paper out, an unplug
# in the middle of a ticket and the replug.
add_test(NAME kiosk_usb
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/escpos/test_kiosk_usb.py ${PROJECT_BINARY_DIR})
set_tests_properties(kiosk_usb PROPERTIES
                     TIMEOUT 300
                     ENVIRONMENT "ASAN_OPTIONS=verify_asan_link_order=0")
