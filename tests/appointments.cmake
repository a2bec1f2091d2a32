# Appointments (预约制度): the bookings table (hostd/store/bookings.c), the
# core's booking rules with a fake clock (hostd/core/booking.c), and the
# API end to end over loopback (tests/api/test_bookings.py), with the 100
# parallel requests for the last 3 places of a slot.
hallq_unit_test(test_bookings unit/store/test_bookings.c hallq_store dep::sqlite)
