# book.html in a headless Chromium against hostd on a simulated clock: a
# slot booked end to end (a double tap books once), the code in the API and
# the database with the phone masked, the page's QR code read by zbarimg as
# the booking's url, a full slot greyed and one filled meanwhile refused
# with SLOT_FULL in Chinese, the booking cancelled through the page, no
# horizontal overflow on a 375×667 phone (tests/web/test_book.py drives
# tests/web/book.js, playwright-core as for web_pages).
add_test(NAME web_book COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/web/test_book.py ${PROJECT_BINARY_DIR})
set_tests_properties(web_book PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77 RESOURCE_LOCK hall_timing)
