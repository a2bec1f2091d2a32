# The firmware's POSIX port (firmware/posix) from the outside: options,
# then kiosk-fw, window-fw and display-fw against mbpoll and hand-made
# frames over loopback TCP and over a socat pseudo-terminal pair
# (tests/integration/test_fw_port.py: python3's standard library, mbpoll
# and socat, all from scripts/bootstrap).
foreach(mode cli tcp rtu)
  add_test(NAME fw_port_${mode}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_fw_port.py ${mode}
                   $<TARGET_FILE:kiosk-fw> $<TARGET_FILE:window-fw> $<TARGET_FILE:display-fw>)
  set_tests_properties(fw_port_${mode} PROPERTIES TIMEOUT 300)
endforeach()
