# hostd with the device programs: both journeys over a pseudo-terminal
# RS-485 line (lineproxy) and loopback TCP, and exactly once over a line
# that corrupts and drops frames (tests/integration/test_devices.py,
# test_bus_faults.py: python3's standard library).
add_test(NAME devices_end_to_end
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_devices.py ${PROJECT_BINARY_DIR})
set_tests_properties(devices_end_to_end PROPERTIES TIMEOUT 300)
add_test(NAME devices_bus_faults
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_bus_faults.py ${PROJECT_BINARY_DIR})
set_tests_properties(devices_bus_faults PROPERTIES TIMEOUT 1200)
add_test(NAME devices_recovery
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_device_recovery.py ${PROJECT_BINARY_DIR})
set_tests_properties(devices_recovery PROPERTIES TIMEOUT 300)
