# The pages of web/ in a headless Chromium against a real hostd: a call
# made through the API shows on hall.html within 1 s, the hall display
# fits landscape and portrait TVs, window.html takes a ticket from call to
# finish, ticket.html follows its ticket, hall.html comes back after a
# hostd restart (tests/web/test_web.py drives tests/web/browser.js:
# python3, node with playwright-core installed on demand into the build
# tree, Debian's chromium). Skipped (77) only when npm cannot reach its
# registry.
add_test(NAME web_pages COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/web/test_web.py ${PROJECT_BINARY_DIR})
set_tests_properties(web_pages PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
