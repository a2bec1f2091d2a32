# The hardware kiosk's keypad check-in (预约签到): a booking made through
# the API checked in with `checkin CODE` on a kiosk-fw control socket,
# its appointment ticket printed, and the refusals shown on the kiosk
# (tests/integration/test_kiosk_checkin.py: python3's standard library).
add_test(NAME kiosk_checkin
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_kiosk_checkin.py ${PROJECT_BINARY_DIR})
# hostd on a simulated clock in real time, the kiosk's 5 s messages
set_tests_properties(kiosk_checkin PROPERTIES TIMEOUT 300 RESOURCE_LOCK hall_timing)
