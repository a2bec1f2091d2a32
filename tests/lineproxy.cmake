# lineproxy (tools/lineproxy), the RS-485 line emulator: its line model
# with a fake clock; the program with real libmodbus masters and slaves
# (tests/integration/test_lineproxy.c: one case a test), mbpoll as an
# independent master; its command line; and its pacing self-test, which
# must run but whose timings are not checked.
hallq_unit_test(test_lineproxy_line integration/test_lineproxy_line.c lineproxy_line)

add_executable(test_lineproxy integration/test_lineproxy.c)
target_link_libraries(test_lineproxy PRIVATE dep::modbus)
foreach(case multidrop faults absent_unit restart mbpoll)
  add_test(NAME lineproxy_${case} COMMAND test_lineproxy $<TARGET_FILE:lineproxy> ${case})
  set_tests_properties(lineproxy_${case} PROPERTIES TIMEOUT 300)
endforeach()

add_test(NAME lineproxy_cli
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_lineproxy_cli.sh
                 $<TARGET_FILE:lineproxy>)
set_tests_properties(lineproxy_cli PROPERTIES TIMEOUT 120)

add_test(NAME lineproxy_selftest COMMAND lineproxy --selftest-pacing --frames 36)
set_tests_properties(lineproxy_selftest PROPERTIES TIMEOUT 120)
