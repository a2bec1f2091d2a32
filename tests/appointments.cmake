# Appointments (预约制度): the bookings table (hostd/store/bookings.c), the
# core's booking rules with a fake clock (hostd/core/booking.c), and the
# API end to end over loopback (tests/api/test_bookings.py), with the 100
# parallel requests for the last 3 places of a slot.
hallq_unit_test(test_bookings unit/store/test_bookings.c hallq_store dep::sqlite)
add_test(NAME api_bookings
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/api/test_bookings.py ${PROJECT_BINARY_DIR})
# hostd runs on a simulated clock in real time: a check-in must come within
# its slot's grace, so it runs alone like the other timing-bound tests
set_tests_properties(api_bookings PROPERTIES TIMEOUT 300 RESOURCE_LOCK hall_timing)
# the core's booking rules with a fake clock, and the pure helpers
hallq_unit_test(test_booking unit/core/test_booking.c hallq_core)
