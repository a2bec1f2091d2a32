# tools/hallsim: fast mode end to end (two simulated days read back with
# sqlite3, determinism, refusals), and bench_dispatch --quick as a check
# that the benchmark runs and prints its lines (never a timing).
add_test(NAME hallsim_fast
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/hallsim/test_hallsim_fast.sh
                 $<TARGET_FILE:hallsim> ${PROJECT_SOURCE_DIR})
set_tests_properties(hallsim_fast PROPERTIES TIMEOUT 120)
add_test(NAME bench_dispatch_quick
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/hallsim/test_bench_dispatch.sh
                 $<TARGET_FILE:bench_dispatch>)
set_tests_properties(bench_dispatch_quick PROPERTIES TIMEOUT 120)
# Device mode end to end: a simulated morning of the demo hall through
# hostd, lineproxy and the device programs at 240x; the report, the
# printed pictures, the calls shown and the database must agree.
add_test(NAME hallsim_devices
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/hallsim/test_hallsim_devices.py
                 $<TARGET_FILE:hallsim> ${PROJECT_SOURCE_DIR})
set_tests_properties(hallsim_devices PROPERTIES TIMEOUT 240)
# hallsim --prepare, then --attach to a hostd started by the test: the
# option rules, a wrong --speed refused, and a morning played on it.
add_test(NAME hallsim_attach
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/hallsim/test_hallsim_attach.py
                 $<TARGET_FILE:hallsim> $<TARGET_FILE:hostd> ${PROJECT_SOURCE_DIR})
set_tests_properties(hallsim_attach PROPERTIES TIMEOUT 240)
